//! `neonlint jwt` as a user runs it: the token from stdin, an argument or NEONLINT_JWT,
//! options from the command line or `[jwt]` in neonlint.toml, exit codes, and no output that
//! quotes the token's signature or the whole token. Tokens are built here from claims.

use std::io::Write;
use std::process::{Command, Stdio};

use base64::Engine;

/// A token with these claims and a placeholder signature that must never be printed.
fn token(claims: &str) -> String {
    let part = |json: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
    format!("{}.{}.{SIGNATURE}", part(r#"{"alg":"EdDSA","typ":"JWT"}"#), part(claims))
}

const SIGNATURE: &str = "bmV2ZXItcHJpbnQtdGhpcy1zaWduYXR1cmU";
const NOW: &str = "1800000000";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn jwt(dir: &std::path::Path, args: &[&str], stdin: Option<&str>, env: Option<&str>) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_neonlint"));
    command.arg("jwt").args(args).current_dir(dir).env("NO_COLOR", "1").env_remove("NEONLINT_JWT");
    if let Some(value) = env {
        command.env("NEONLINT_JWT", value);
    }
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn tokens_from_each_source_with_exit_codes_and_no_signature_in_any_format() {
    let dir = tempfile::tempdir().unwrap();
    let good = token(r#"{"sub":"u1","aud":"app","exp":1800000600}"#);
    let expired = token(r#"{"sub":"u1","aud":"app","exp":1799990000}"#);
    // A good token, from stdin, an argument and the environment: exit 0.
    for (args, stdin, env) in [
        (vec!["--now", NOW, "--audience", "app"], Some(good.as_str()), None),
        (vec!["-", "--now", NOW, "--audience", "app"], Some(good.as_str()), None),
        (vec![good.as_str(), "--now", NOW, "--audience", "app"], None, None),
        (vec!["--now", NOW, "--audience", "app"], None, Some(good.as_str())),
    ] {
        let run = jwt(dir.path(), &args, stdin, env);
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        assert!(run.stdout.contains("valid for 10 minutes more"), "{}", run.stdout);
    }
    // An expired token fails in every format, and no output quotes the signature or the token.
    for format in ["human", "json", "sarif", "github", "gcc"] {
        let run = jwt(dir.path(), &["--now", NOW, "--format", format], Some(&expired), None);
        assert_eq!(run.code, 1, "{format}: {}{}", run.stdout, run.stderr);
        assert!(run.stdout.contains("NL101"), "{format}: {}", run.stdout);
        for output in [&run.stdout, &run.stderr] {
            assert!(!output.contains(SIGNATURE) && !output.contains(&expired), "{format}: {output}");
        }
    }
    // Nothing to read, and a malformed token: an error without the token, and a finding.
    let run = jwt(dir.path(), &[], Some("  \n"), None);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no token"), "{}", run.stderr);
    let broken = format!("{}.{SIGNATURE}", &good[..good.find('.').unwrap()]);
    let run = jwt(dir.path(), &["--now", NOW], Some(&broken), None);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("NL100") && !run.stdout.contains(SIGNATURE), "{}", run.stdout);
}

#[test]
fn the_audience_and_issuer_come_from_the_configuration_unless_given() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("neonlint.toml"),
        "[jwt]\naudience = \"app\"\nissuer = \"https://auth.example.com\"\nleeway = 0\n",
    )
    .unwrap();
    let other = token(r#"{"sub":"u1","aud":"other","iss":"https://auth.example.com","exp":1800000600}"#);
    let run = jwt(dir.path(), &["--now", NOW, "--format", "json"], Some(&other), None);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("NL104") && !run.stdout.contains("NL106"), "{}", run.stdout);
    let run = jwt(dir.path(), &["--now", NOW, "--audience", "other"], Some(&other), None);
    assert_eq!(run.code, 0, "{}", run.stdout);
    // The configured leeway (0) makes a token one second past `exp` expired.
    let just = token(r#"{"sub":"u1","aud":"app","iss":"https://auth.example.com","exp":1799999999}"#);
    let run = jwt(dir.path(), &["--now", NOW], Some(&just), None);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let run = jwt(dir.path(), &["--now", NOW, "--leeway", "5"], Some(&just), None);
    assert_eq!(run.code, 0, "{}", run.stdout);
}
