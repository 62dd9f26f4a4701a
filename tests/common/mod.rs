//! Helpers shared by the CLI tests: run the built binary, read its JSON report.

#![allow(dead_code)]

pub mod access;
pub mod live;
pub mod proxy;
pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(path: &str) -> PathBuf {
    root().join("fixtures").join(path)
}

/// The outcome of one `neonlint` run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the binary from the repository root with `NO_COLOR` set.
pub fn neonlint(args: &[&str]) -> Run {
    neonlint_in(&root(), args)
}

pub fn neonlint_in(dir: &Path, args: &[&str]) -> Run {
    let output: Output = Command::new(env!("CARGO_BIN_EXE_neonlint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .output()
        .expect("the neonlint binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// One finding reduced to what the tests compare: code, object, file name, line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    pub code: String,
    pub object: String,
    pub file: Option<String>,
    pub line: Option<u64>,
}

/// Shorthand for an expected finding; `file` is the file name (no folder), or "" for none.
pub fn found(code: &str, object: &str, file: &str, line: u64) -> Found {
    Found {
        code: code.to_string(),
        object: object.to_string(),
        file: (!file.is_empty()).then(|| file.to_string()),
        line: (!file.is_empty()).then_some(line),
    }
}

/// Runs `neonlint check --format json` with `args` and returns its findings, checking
/// the exit code is 0 or 1 and the report is well-formed.
pub fn findings(args: &[&str]) -> Vec<Found> {
    let mut full = vec!["check", "--format", "json"];
    full.extend_from_slice(args);
    let run = neonlint(&full);
    assert!(run.code == 0 || run.code == 1, "exit {}: {}", run.code, run.stderr);
    parse_findings(&run.stdout)
}

pub fn parse_findings(json: &str) -> Vec<Found> {
    let report: Value = serde_json::from_str(json).unwrap_or_else(|e| panic!("invalid JSON ({e}): {json}"));
    assert_eq!(report["version"], 1);
    report["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .map(|finding| {
            let object = &finding["object"];
            let object_name = match (object["schema"].as_str(), object["table"].as_str()) {
                // A statement is named by its file: compare the file name only.
                _ if object["kind"] == "statement" => Path::new(object["name"].as_str().unwrap())
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                (Some(schema), Some(table)) => {
                    format!("{} on {schema}.{table}", object["name"].as_str().unwrap())
                }
                (Some(schema), None) => format!("{schema}.{}", object["name"].as_str().unwrap()),
                (None, _) => object["name"].as_str().unwrap().to_string(),
            };
            let location = &finding["location"];
            Found {
                code: finding["code"].as_str().unwrap().to_string(),
                object: object_name,
                file: location["file"]
                    .as_str()
                    .map(|file| Path::new(file).file_name().unwrap().to_string_lossy().into_owned()),
                line: location["line"].as_u64(),
            }
        })
        .collect()
}

/// Fails with the full list when the findings differ, sorted for a stable comparison.
pub fn assert_findings(mut actual: Vec<Found>, mut expected: Vec<Found>, context: &str) {
    actual.sort();
    expected.sort();
    assert_eq!(
        actual, expected,
        "{context}: findings differ. If the new findings are right, update the expectation in this test; \
         if a good fixture now has findings, the rule has a false positive"
    );
}

/// Fixtures the server refuses to apply, by the end of their path, with the error it gives:
/// what their rule says happens on Neon. A test that needs them applied leaves them out; the
/// live suite requires the error.
#[allow(dead_code)]
pub const REFUSED_BY_THE_SERVER: &[(&str, &str)] = &[
    ("parse-error/bad", "syntax error"),
    ("unknown-role/bad", "role \"anon\" does not exist"),
    ("unknown-auth-function/bad", "function auth.role() does not exist"),
];

/// The error the server gives for a fixture it refuses (`REFUSED_BY_THE_SERVER`), if it does.
#[allow(dead_code)]
pub fn refused_by_the_server(project: &std::path::Path) -> Option<&'static str> {
    REFUSED_BY_THE_SERVER.iter().find(|(end, _)| project.ends_with(end)).map(|(_, error)| *error)
}

/// Every fixture folder that holds a migrations project: each rule's `bad` and `good`,
/// each layout, each fix-safety case, and the demo.
pub fn fixture_projects() -> Vec<PathBuf> {
    let mut projects = Vec::new();
    for group in ["rules", "layouts", "fix-safety"] {
        for entry in std::fs::read_dir(fixture(group)).unwrap() {
            let path = entry.unwrap().path();
            if !path.is_dir() {
                continue;
            }
            if group == "rules" {
                projects.push(path.join("bad"));
                projects.push(path.join("good"));
            } else {
                projects.push(path);
            }
        }
    }
    projects.push(fixture("demo"));
    projects.sort();
    projects
}

/// The findings a fix may add: enabling row-level security on a table whose owner neonlint
/// cannot tell (the fix writes a policy skeleton to complete, issue 9) or whose policies let
/// nothing through leaves it with no usable policy, which NL002 then reports, by design.
pub fn allowed_after_fix(
    before: &[neonlint::rules::Finding],
) -> std::collections::BTreeSet<(String, String)> {
    before
        .iter()
        .filter(|finding| match finding.rule.code {
            "NL001" => finding
                .fix
                .as_ref()
                .is_some_and(|fix| !fix.sql.lines().any(|line| line.starts_with("CREATE POLICY"))),
            "NL006" => true,
            _ => false,
        })
        .map(|finding| ("NL002".to_string(), finding.object.to_string()))
        .collect()
}
