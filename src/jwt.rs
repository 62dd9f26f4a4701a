//! `neonlint jwt`: a token the Data API would receive, read offline. It decodes the header
//! and the claims (never the signature) and reports what Neon's Data API troubleshooting
//! lists as the usual token failures: a malformed token, an expired or not yet valid one, a
//! missing `sub`, an audience or issuer other than the configured one.
//!
//! Nothing here prints the token or its signature: findings quote claims only.

use serde_json::{Map, Value};

use crate::rules::{Finding, Object};

/// What the token is checked against.
#[derive(Clone, Debug)]
pub struct Expectations {
    /// The JWT Audience configured for the Data API; `None`: not checked.
    pub audience: Option<String>,
    /// The expected issuer; `None`: not checked.
    pub issuer: Option<String>,
    /// Clock skew allowed for `exp`, `nbf` and `iat`, in seconds.
    pub leeway: i64,
    /// The time to check at, in seconds since the epoch.
    pub now: i64,
}

/// A token's readable parts.
#[derive(Debug)]
pub struct Decoded {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
}

/// The token read, when it could be, and the findings.
#[derive(Debug)]
pub struct Report {
    pub decoded: Option<Decoded>,
    pub findings: Vec<Finding>,
}

/// Reads and checks `token` (surrounding blanks and a `Bearer ` prefix are ignored).
pub fn check(token: &str, expect: &Expectations) -> Report {
    let token = token.trim();
    let token =
        token.strip_prefix("Bearer ").or_else(|| token.strip_prefix("bearer ")).unwrap_or(token).trim();
    let decoded = match decode(token) {
        Ok(decoded) => decoded,
        Err(why) => return Report { decoded: None, findings: vec![malformed(&why)] },
    };
    let mut findings = Vec::new();
    if decoded.header.get("alg").and_then(Value::as_str).is_some_and(|alg| alg.eq_ignore_ascii_case("none")) {
        findings
            .push(malformed("its header says `alg: none`: it is not signed, and the Data API refuses it"));
    }
    check_times(&decoded.claims, expect, &mut findings);
    check_subject(&decoded.claims, &mut findings);
    if let Some(audience) = &expect.audience {
        check_audience(&decoded.claims, audience, &mut findings);
    }
    if let Some(issuer) = &expect.issuer {
        let iss = decoded.claims.get("iss").and_then(Value::as_str);
        if iss != Some(issuer.as_str()) {
            let found = iss.map_or("no `iss` claim".to_string(), |iss| format!("`iss` is `{iss}`"));
            findings.push(Finding::new(
                "NL106",
                Object::token(),
                format!("the token's issuer is not the expected one: {found}, expected `{issuer}`"),
                "check which provider issued the token, and the issuer the Data API's authentication provider is \
                 set up with"
                    .to_string(),
                None,
            ));
        }
    }
    Report { decoded: Some(decoded), findings }
}

/// The header and claims of a compact JWS: three base64url parts, the first two JSON objects.
/// The error says what is wrong without quoting the token.
fn decode(token: &str) -> Result<Decoded, String> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(format!(
            "it has {} part{} separated by dots where a JWT has three (header, claims, signature)",
            parts.len(),
            if parts.len() == 1 { "" } else { "s" }
        ));
    }
    let object = |part: &str, what: &str| -> Result<Map<String, Value>, String> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(part.trim_end_matches('='))
            .map_err(|_| format!("its {what} is not base64url"))?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(Value::Object(map)) => Ok(map),
            Ok(_) => Err(format!("its {what} is JSON but not an object")),
            Err(_) => Err(format!("its {what} is not JSON")),
        }
    };
    if parts[2].is_empty() {
        return Err("its signature part is empty".to_string());
    }
    Ok(Decoded { header: object(parts[0], "header")?, claims: object(parts[1], "claims part")? })
}

fn malformed(why: &str) -> Finding {
    Finding::new(
        "NL100",
        Object::token(),
        format!("the token cannot be used: {why}"),
        "copy the whole token (the value after `Bearer ` in the Authorization header), or get a new one from \
         your auth provider"
            .to_string(),
        None,
    )
}

fn check_times(claims: &Map<String, Value>, expect: &Expectations, findings: &mut Vec<Finding>) {
    let time = |name: &str| claims.get(name).and_then(Value::as_f64).map(|seconds| seconds as i64);
    if let Some(exp) = time("exp")
        && expect.now > exp + expect.leeway
    {
        findings.push(Finding::new(
            "NL101",
            Object::token(),
            format!(
                "the token expired {} ago, at {}: the Data API answers \"JWT token has expired\"",
                duration(expect.now - exp),
                utc(exp)
            ),
            "sign in again or refresh the token: access tokens last about 15 minutes, so a client must refresh \
             them before `exp`"
                .to_string(),
            None,
        ));
    }
    for (name, what) in [("nbf", "is not valid before"), ("iat", "says it was issued at")] {
        if let Some(at) = time(name)
            && at > expect.now + expect.leeway
        {
            findings.push(Finding::new(
                "NL102",
                Object::token(),
                format!(
                    "the token {what} {}, {} from now (`{name}`): it is not valid yet",
                    utc(at),
                    duration(at - expect.now)
                ),
                "a clock is wrong, most often the one of the machine that issued the token or of the one checking \
                 it: set it by NTP"
                    .to_string(),
                None,
            ));
        }
    }
}

fn check_subject(claims: &Map<String, Value>, findings: &mut Vec<Finding>) {
    let problem = match claims.get("sub") {
        None => "has no `sub` claim",
        Some(Value::String(sub)) if sub.trim().is_empty() => "has an empty `sub` claim",
        Some(Value::String(_)) => return,
        Some(_) => "has a `sub` claim that is not a string",
    };
    findings.push(Finding::new(
        "NL103",
        Object::token(),
        format!(
            "the token {problem}: the Data API answers \"JWT token missing sub claim\", and `auth.user_id()` is \
             NULL, so every policy comparing it with an owner column lets no row through"
        ),
        "have your auth provider put the user's id in `sub` (a user's access token, not a service or anonymous one)"
            .to_string(),
        None,
    ));
}

fn check_audience(claims: &Map<String, Value>, audience: &str, findings: &mut Vec<Finding>) {
    let (matches, found) = match claims.get("aud") {
        None => (false, None),
        Some(Value::String(aud)) => (aud == audience, Some(format!("`{aud}`"))),
        Some(Value::Array(list)) => (
            list.iter().any(|aud| aud.as_str() == Some(audience)),
            Some(
                list.iter()
                    .map(|aud| format!("`{}`", aud.as_str().unwrap_or("?")))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ),
        Some(_) => (false, Some("a value that is neither a string nor a list".to_string())),
    };
    if matches {
        return;
    }
    let (message, help) = match found {
        None => (
            format!(
                "the token has no `aud` claim, but the Data API expects the audience `{audience}`: it answers \
                 \"JWT Audience validation failed\""
            ),
            "your provider sends no audience: remove the JWT Audience from the Data API's authentication settings"
                .to_string(),
        ),
        Some(found) => (
            format!(
                "the token's audience is {found}, not the `{audience}` the Data API expects: it answers \"JWT \
                 Audience validation failed\""
            ),
            "set the Data API's JWT Audience to the token's `aud`, or have the provider issue tokens for it".to_string(),
        ),
    };
    findings.push(Finding::new("NL104", Object::token(), message, help, None));
}

/// `seconds` as "3 minutes", "2 hours", "5 days".
pub fn duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (amount, unit) = match seconds {
        0..=119 => (seconds, "second"),
        120..=7_199 => (seconds / 60, "minute"),
        7_200..=172_799 => (seconds / 3_600, "hour"),
        _ => (seconds / 86_400, "day"),
    };
    format!("{amount} {unit}{}", if amount == 1 { "" } else { "s" })
}

/// `seconds` since the epoch as `2026-12-06 04:35:00 UTC`.
pub fn utc(seconds: i64) -> String {
    let (year, month, day) = crate::calendar::civil_from_days(seconds.div_euclid(86_400));
    let in_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        in_day / 3_600,
        in_day % 3_600 / 60,
        in_day % 60
    )
}

/// The decoded header and claims as lines for a person: times also as UTC dates, with how
/// long ago or until.
pub fn describe(decoded: &Decoded, now: i64) -> String {
    let mut out = String::from("header:\n");
    for (name, value) in &decoded.header {
        out.push_str(&format!("  {name}: {value}\n"));
    }
    out.push_str("claims:\n");
    for (name, value) in &decoded.claims {
        out.push_str(&format!("  {name}: {value}"));
        if let ("exp" | "nbf" | "iat", Some(at)) = (name.as_str(), value.as_f64()) {
            let at = at as i64;
            let when = match (name.as_str(), at <= now) {
                ("exp", true) => format!("expired {} ago", duration(now - at)),
                ("exp", false) => format!("valid for {} more", duration(at - now)),
                (_, true) => format!("{} ago", duration(now - at)),
                (_, false) => format!("in {}", duration(at - now)),
            };
            out.push_str(&format!(" ({}, {when})", utc(at)));
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    const NOW: i64 = 1_800_000_000;

    fn token(header: &str, claims: &str) -> String {
        let part = |json: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
        format!("{}.{}.c2ln", part(header), part(claims))
    }

    fn codes(token: &str, audience: Option<&str>) -> Vec<&'static str> {
        let expect =
            Expectations { audience: audience.map(String::from), issuer: None, leeway: 30, now: NOW };
        check(token, &expect).findings.iter().map(|f| f.rule.code).collect()
    }

    #[test]
    fn each_failure_of_the_troubleshooting_page() {
        let header = r#"{"alg":"EdDSA","typ":"JWT"}"#;
        let good = format!(r#"{{"sub":"u1","aud":"app","exp":{},"iat":{}}}"#, NOW + 600, NOW - 60);
        assert!(codes(&token(header, &good), Some("app")).is_empty());
        assert!(codes(&format!("Bearer {}\n", token(header, &good)), Some("app")).is_empty());
        // Expired beyond the leeway; within it, not.
        let expired = format!(r#"{{"sub":"u1","exp":{}}}"#, NOW - 180);
        assert_eq!(codes(&token(header, &expired), None), ["NL101"]);
        let skewed = format!(r#"{{"sub":"u1","exp":{}}}"#, NOW - 10);
        assert!(codes(&token(header, &skewed), None).is_empty());
        let early = format!(r#"{{"sub":"u1","nbf":{}}}"#, NOW + 3_600);
        assert_eq!(codes(&token(header, &early), None), ["NL102"]);
        assert_eq!(codes(&token(header, r#"{"sub":""}"#), None), ["NL103"]);
        assert_eq!(codes(&token(header, r#"{"role":"authenticated"}"#), None), ["NL103"]);
        assert_eq!(codes(&token(header, r#"{"sub":"u1","aud":["x","y"]}"#), Some("app")), ["NL104"]);
        assert!(codes(&token(header, r#"{"sub":"u1","aud":["x","app"]}"#), Some("app")).is_empty());
        assert_eq!(codes(&token(header, r#"{"sub":"u1"}"#), Some("app")), ["NL104"]);
        assert_eq!(codes(&token(r#"{"alg":"none"}"#, r#"{"sub":"u1"}"#), None), ["NL100"]);
        for broken in ["", "abc", "a.b", "a.b.c.d", "%%%.e30.c2ln", "e30.bm90IGpzb24.c2ln", "W10.e30.c2ln"] {
            assert_eq!(codes(broken, None), ["NL100"], "{broken:?}");
        }
    }

    #[test]
    fn no_message_quotes_the_token_or_its_signature() {
        let signature = "U0VDUkVULVNJR05BVFVSRQ";
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#);
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"aud":"x","exp":1}"#);
        for token in [format!("{header}.{claims}.{signature}"), format!("{header}.{claims}.{signature}.x")] {
            let expect =
                Expectations { audience: Some("app".into()), issuer: Some("i".into()), leeway: 0, now: NOW };
            let report = check(&token, &expect);
            assert!(!report.findings.is_empty());
            for finding in &report.findings {
                let text = format!("{} {} {}", finding.message, finding.help, finding.label);
                assert!(!text.contains(signature) && !text.contains(&claims), "{text}");
            }
        }
    }

    #[test]
    fn times_read_as_dates_and_durations() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_800_000_000), "2027-01-15 08:00:00 UTC");
        assert_eq!(duration(59), "59 seconds");
        assert_eq!(duration(180), "3 minutes");
        assert_eq!(duration(7_200), "2 hours");
        assert_eq!(duration(86_400 * 3), "3 days");
        let decoded = decode(&token(r#"{"alg":"EdDSA"}"#, &format!(r#"{{"exp":{}}}"#, NOW + 660))).unwrap();
        assert!(describe(&decoded, NOW).contains("(2027-01-15 08:11:00 UTC, valid for 11 minutes more)"));
    }
}
