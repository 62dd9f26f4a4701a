//! Connection strings as libpq reads them: the `postgresql://` URL and the `key=value`
//! form, percent-decoding, and [`redact`], which hides every password in a string
//! before anything echoes it.
//!
//! It only splits text into settings; what they mean is `settings`' job. Its errors never
//! quote the input, since a misread password could be in it.

use std::ops::Range;

/// `url` with every password replaced by `****`: the `user:password@` of a URL, and
/// `password=` (and `sslpassword=`) in a query string or a `key=value` string. Text
/// that cannot be read is redacted generously: everything between the first `:` and the
/// last `@`, and each `password=` value up to the next setting.
pub fn redact(url: &str) -> String {
    match parse(url) {
        Ok(parsed) => replace_spans(url, parsed.secrets),
        Err(_) => replace_spans(url, generous_secret_spans(url)),
    }
}

/// Where a setting came from, for messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Origin {
    /// The connection string.
    Text,
    /// An environment variable of that name.
    Environment(&'static str),
}

/// One setting as given.
#[derive(Clone, Debug)]
pub(super) struct Param {
    pub(super) key: String,
    pub(super) value: String,
    pub(super) origin: Origin,
}

/// `text` as error messages may echo it: generously redacted.
pub(super) fn echo_text(text: &str) -> String {
    let mut spans = generous_secret_spans(text);
    if let Ok(parsed) = parse(text) {
        spans.extend(parsed.secrets);
    }
    replace_spans(text, spans)
}

/// A connection string read into settings, with the byte ranges that hold secrets.
pub(super) struct Parsed {
    pub(super) params: Vec<Param>,
    pub(super) secrets: Vec<Range<usize>>,
}

/// Reads a `postgresql://` URL or libpq `key=value` settings. The error text never
/// quotes the input (a misread password could be in it).
pub(super) fn parse(text: &str) -> Result<Parsed, String> {
    let start = text.len() - text.trim_start().len();
    let trimmed = text[start..].trim_end();
    let lower = trimmed.get(..13).unwrap_or(trimmed).to_ascii_lowercase();
    if let Some(scheme) = ["postgresql://", "postgres://"].iter().find(|scheme| lower.starts_with(**scheme)) {
        return parse_url(&text[..start + trimmed.len()], start + scheme.len());
    }
    if trimmed.contains("://") {
        return Err("the scheme is not `postgresql://` or `postgres://`".to_string());
    }
    if trimmed.is_empty() || trimmed.contains('=') {
        return parse_key_value(text);
    }
    Err("it is neither a `postgresql://` URL nor `key=value` settings".to_string())
}

/// libpq's URI form: `postgresql://[user[:password]@][host][:port][/dbname][?key=value&…]`.
/// The user information ends at the last `@` before the query, so an unencoded `@` or
/// `/` in a password still reads right.
fn parse_url(text: &str, body_start: usize) -> Result<Parsed, String> {
    let body = &text[body_start..];
    let query_start = body.find('?');
    let before_query = &body[..query_start.unwrap_or(body.len())];
    let mut params = Vec::new();
    let mut secrets = Vec::new();
    let mut push = |key: &str, value: String| {
        params.push(Param { key: key.to_string(), value, origin: Origin::Text });
    };

    let mut authority_start = 0;
    if let Some(at) = before_query.rfind('@') {
        let user_info = &before_query[..at];
        let (user, password) = match user_info.find(':') {
            Some(colon) => {
                secrets.push(body_start + colon + 1..body_start + at);
                (&user_info[..colon], Some(&user_info[colon + 1..]))
            }
            None => (user_info, None),
        };
        if !user.is_empty() {
            push("user", percent_decode(user, "the user name")?);
        }
        if let Some(password) = password.filter(|password| !password.is_empty()) {
            push("password", percent_decode(password, "the password")?);
        }
        authority_start = at + 1;
    }

    let rest = &before_query[authority_start..];
    let (authority, path) = match rest.find('/') {
        Some(slash) => (&rest[..slash], Some(&rest[slash + 1..])),
        None => (rest, None),
    };
    if !authority.is_empty() {
        let (host, port) = split_host_port(authority)?;
        if !host.is_empty() {
            push("host", percent_decode(host, "the host")?);
        }
        if let Some(port) = port.filter(|port| !port.is_empty()) {
            push("port", percent_decode(port, "the port")?);
        }
    }
    if let Some(path) = path.filter(|path| !path.is_empty()) {
        push("dbname", percent_decode(path, "the database name")?);
    }

    if let Some(query_start) = query_start {
        let mut offset = body_start + query_start + 1;
        for segment in body[query_start + 1..].split('&') {
            let segment_start = offset;
            offset += segment.len() + 1;
            if segment.is_empty() {
                continue;
            }
            let Some(equals) = segment.find('=') else {
                return Err("a query parameter has no `=`".to_string());
            };
            let key = percent_decode(&segment[..equals], "a query parameter's name")?;
            if is_secret_key(&key) {
                secrets.push(segment_start + equals + 1..segment_start + segment.len());
            }
            let value = percent_decode(&segment[equals + 1..], "a query parameter's value")?;
            // libpq reads JDBC's `ssl=true` as `sslmode=require`.
            if key == "ssl" && value == "true" {
                push("sslmode", "require".to_string());
            } else {
                push(&key, value);
            }
        }
    }
    Ok(Parsed { params, secrets })
}

/// Splits `host`, `host:port`, `[v6]` or `[v6]:port`.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), String> {
    if authority.contains(',') {
        return Err("several hosts are given; neonlint connects to one host".to_string());
    }
    if let Some(bracketed) = authority.strip_prefix('[') {
        let Some(close) = bracketed.find(']') else {
            return Err("an IPv6 address has no closing `]`".to_string());
        };
        let after = &bracketed[close + 1..];
        return match after.strip_prefix(':') {
            Some(port) => Ok((&bracketed[..close], Some(port))),
            None if after.is_empty() => Ok((&bracketed[..close], None)),
            None => Err("unexpected text after an IPv6 address".to_string()),
        };
    }
    Ok(match authority.rfind(':') {
        Some(colon) => (&authority[..colon], Some(&authority[colon + 1..])),
        None => (authority, None),
    })
}

/// libpq's percent-decoding: `%XX` is a byte, `+` stays `+`, `%00` is refused.
fn percent_decode(raw: &str, what: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let high = bytes.get(index + 1).and_then(|byte| (*byte as char).to_digit(16));
            let low = bytes.get(index + 2).and_then(|byte| (*byte as char).to_digit(16));
            let (Some(high), Some(low)) = (high, low) else {
                return Err(format!(
                    "{what} has a `%` that is not followed by two hex digits (write `%25` for a literal `%`)"
                ));
            };
            let byte = (high * 16 + low) as u8;
            if byte == 0 {
                return Err(format!("{what} contains `%00`"));
            }
            decoded.push(byte);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| format!("{what} is not valid UTF-8 once percent-decoded"))
}

/// libpq's `key=value` form: values are bare words or single-quoted, `\` escapes the next
/// character.
fn parse_key_value(text: &str) -> Result<Parsed, String> {
    let bytes = text.as_bytes();
    let mut params = Vec::new();
    let mut secrets = Vec::new();
    let mut index = 0;
    loop {
        while index < bytes.len() && bytes[index].is_ascii_whitespace() {
            index += 1;
        }
        if index == bytes.len() {
            break;
        }
        let key_start = index;
        while index < bytes.len() && bytes[index] != b'=' && !bytes[index].is_ascii_whitespace() {
            index += 1;
        }
        let key = &text[key_start..index];
        while index < bytes.len() && bytes[index].is_ascii_whitespace() {
            index += 1;
        }
        if bytes.get(index) != Some(&b'=') {
            return Err(
                "a setting has no `=` (quote a value that contains spaces: key='a value')".to_string()
            );
        }
        index += 1;
        while index < bytes.len() && bytes[index].is_ascii_whitespace() {
            index += 1;
        }
        let value_start = index;
        let mut value = Vec::new();
        if bytes.get(index) == Some(&b'\'') {
            index += 1;
            loop {
                match bytes.get(index) {
                    None => return Err("a quoted value has no closing `'`".to_string()),
                    Some(b'\'') => {
                        index += 1;
                        break;
                    }
                    Some(b'\\') if index + 1 < bytes.len() => {
                        value.push(bytes[index + 1]);
                        index += 2;
                    }
                    Some(byte) => {
                        value.push(*byte);
                        index += 1;
                    }
                }
            }
        } else {
            while index < bytes.len() && !bytes[index].is_ascii_whitespace() {
                if bytes[index] == b'\\' && index + 1 < bytes.len() {
                    index += 1;
                }
                value.push(bytes[index]);
                index += 1;
            }
        }
        if is_secret_key(key) {
            secrets.push(value_start..index);
        }
        let value = String::from_utf8(value).map_err(|_| "a value is not valid UTF-8".to_string())?;
        params.push(Param { key: key.to_string(), value, origin: Origin::Text });
    }
    Ok(Parsed { params, secrets })
}

/// Where a password may be in text that may not parse. Over-redacting is fine here:
/// this only decides what an error message echoes.
fn generous_secret_spans(text: &str) -> Vec<Range<usize>> {
    let mut spans = Vec::new();
    // Anything between the first `:` after the scheme and the last `@` may be a password.
    let body_start = text.find("://").map_or(0, |index| index + 3);
    let body = &text[body_start..];
    if let Some(at) = body.rfind('@') {
        if let Some(colon) = body[..at].find(':') {
            spans.push(body_start + colon + 1..body_start + at);
        }
    }
    // The value of every secret-looking `key=`, quoted or up to the next `&`, the next
    // word that looks like `key=`, or the end.
    let bytes = text.as_bytes();
    for (equals, _) in text.match_indices('=') {
        let mut key_end = equals;
        while key_end > 0 && bytes[key_end - 1] == b' ' {
            key_end -= 1;
        }
        let mut key_start = key_end;
        while key_start > 0 && (bytes[key_start - 1].is_ascii_alphanumeric() || bytes[key_start - 1] == b'_')
        {
            key_start -= 1;
        }
        if !is_secret_key(&text[key_start..key_end]) {
            continue;
        }
        let mut index = equals + 1;
        while index < bytes.len() && bytes[index] == b' ' {
            index += 1;
        }
        let value_start = index;
        if bytes.get(index) == Some(&b'\'') {
            index += 1;
            while index < bytes.len() && bytes[index] != b'\'' {
                index += if bytes[index] == b'\\' { 2 } else { 1 };
            }
            index += 1;
        } else {
            while index < bytes.len() && bytes[index] != b'&' {
                if bytes[index].is_ascii_whitespace() && looks_like_setting(&bytes[index..]) {
                    break;
                }
                index += 1;
            }
        }
        spans.push(value_start..index.min(bytes.len()));
    }
    spans
}

/// Whether a setting's name looks like it holds a secret (`password`, `sslpassword`,
/// and misspellings such as `pasword` or `passwd`), for redaction.
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    ["pas", "pw", "secret"].iter().any(|part| key.contains(part))
}

/// Whether `bytes` (starting at whitespace) continues with `key=`.
fn looks_like_setting(bytes: &[u8]) -> bool {
    let rest = bytes.iter().skip_while(|byte| byte.is_ascii_whitespace());
    let mut saw_key = false;
    for byte in rest {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => saw_key = true,
            b'=' => return saw_key,
            b' ' => continue,
            _ => return false,
        }
    }
    false
}

/// `text` with each span replaced by `****`. Spans that overlap are merged.
fn replace_spans(text: &str, mut spans: Vec<Range<usize>>) -> String {
    spans.retain(|span| span.start < span.end && span.end <= text.len());
    spans.sort_by_key(|span| (span.start, span.end));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for span in spans {
        match merged.last_mut() {
            Some(last) if span.start <= last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut position = 0;
    for span in merged {
        // Spans start and end at ASCII delimiters, so these are char boundaries; `get`
        // keeps a mistake from panicking (and then hides the rest).
        match (text.get(position..span.start), text.get(span.end..)) {
            (Some(before), Some(_)) => {
                out.push_str(before);
                out.push_str("****");
                position = span.end;
            }
            _ => {
                out.push_str("****");
                return out;
            }
        }
    }
    out.push_str(text.get(position..).unwrap_or_default());
    out
}
#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn redact_urls() {
        assert_eq!(
            redact("postgresql://alex:AbC123@ep-x.neon.tech/neondb"),
            "postgresql://alex:****@ep-x.neon.tech/neondb"
        );
        assert_eq!(redact("postgres://alex@h/db"), "postgres://alex@h/db");
        assert_eq!(redact("postgresql://h:5432/db?user=me@corp"), "postgresql://h:5432/db?user=me@corp");
        assert_eq!(redact("postgresql://u:p%40ss%25@h/db"), "postgresql://u:****@h/db");
        assert_eq!(
            redact("postgresql://u:p@ss/w@h/db?sslmode=require"),
            "postgresql://u:****@h/db?sslmode=require"
        );
        assert_eq!(
            redact("postgresql://h/db?user=u&password=secret&sslmode=require"),
            "postgresql://h/db?user=u&password=****&sslmode=require"
        );
        assert_eq!(redact("  postgresql://u:secret@h/db  "), "  postgresql://u:****@h/db  ");
    }

    #[test]
    fn redact_key_value() {
        assert_eq!(redact("host=h password=secret user=u"), "host=h password=**** user=u");
        assert_eq!(redact("host=h password = 'se cret' user=u"), "host=h password = **** user=u");
        assert_eq!(redact("password=x\\ y"), "password=****");
        assert_eq!(redact("host=h user=u"), "host=h user=u");
        // Misspelt or upper-case keys are an error later, but their values stay hidden.
        assert_eq!(redact("host=h PASSWORD=secret"), "host=h PASSWORD=****");
        assert_eq!(redact("postgresql://h/db?pasword=secret"), "postgresql://h/db?pasword=****");
    }

    #[test]
    fn redact_leaves_other_command_line_arguments_alone() {
        // The CLI redacts every argument when it records the command line.
        for argument in ["db", "--format", "json", "--fix-out=fix.sql", "migrations/v1@2024", "--schema=api"]
        {
            assert_eq!(redact(argument), argument);
        }
        assert_eq!(redact("--url=postgresql://u:secret@h/db"), "--url=postgresql://u:****@h/db");
    }

    #[test]
    fn redact_text_that_does_not_parse() {
        // A `?` in a raw password ends the URL's authority for a parser; the generous
        // rule still hides it.
        assert_eq!(redact("postgresql://u:pa?ss@h/db"), "postgresql://u:****@h/db");
        assert_eq!(redact("host=h password='never closed"), "host=h password=****");
        assert_eq!(redact("host=h password=my pass"), "host=h password=****");
        assert_eq!(redact("user:secret@host"), "user:****@host");
        assert_eq!(redact("mysql://u:secret@h/db"), "mysql://u:****@h/db");
        for text in [
            "",
            "@",
            ":@",
            "postgresql://",
            "postgresql://@",
            "password=",
            "password",
            "é:é@é",
            "%",
            "postgresql://[::1",
        ] {
            let _ = redact(text);
        }
    }
}
