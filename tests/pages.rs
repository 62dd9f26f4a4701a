//! The rule pages in `rules/` match the registry one to one, have every section, and
//! their examples do what they say: the bad example raises the rule, "Use instead" does
//! not.

mod common;

use neonlint::check;
use neonlint::config::Config;
use neonlint::rules::{RULES, Rule, Sources};
use neonlint::source;

const SECTIONS: &[&str] = &[
    "## What it finds",
    "## Why it matters",
    "## Example",
    "## Fix",
    "## Options",
    "## Limits",
    "## References",
];

#[test]
fn every_rule_has_exactly_one_page_and_every_page_a_rule() {
    let mut pages: Vec<String> = std::fs::read_dir(common::root().join("rules"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    let expected: Vec<String> = RULES.iter().map(|rule| format!("{}-{}.md", rule.code, rule.name)).collect();
    assert_eq!(pages, expected);
    for rule in RULES {
        assert!(rule.page.starts_with(&format!("# {} {}\n", rule.code, rule.name)), "{rule:?}: title");
        for section in SECTIONS {
            assert!(rule.page.contains(section), "{rule:?}: no `{section}`");
        }
    }
}

/// The first SQL block after "## Example", and the first after "Use instead" (for a token
/// rule, the first block of any kind: a token, or its claims as JSON).
fn examples(rule: &Rule) -> (String, String) {
    let example = &rule.page[rule.page.find("## Example").unwrap()..];
    let opening = if rule.sources == Sources::Token { "```" } else { "```sql\n" };
    let block = |text: &str| {
        let fence = text.find(opening).unwrap_or_else(|| panic!("{rule:?}: no example block"));
        let start = fence + text[fence..].find('\n').unwrap() + 1;
        text[start..start + text[start..].find("```").unwrap()].to_string()
    };
    let good_start = example.find("Use instead").unwrap_or_else(|| panic!("{rule:?}: no `Use instead`"));
    (block(example), block(&example[good_start..]))
}

/// The example's migration files: one, or several after `-- file: NAME` lines.
fn files(sql: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = Vec::new();
    for line in sql.lines() {
        match line.strip_prefix("-- file: ") {
            Some(name) => files.push((name.trim().to_string(), String::new())),
            None if files.is_empty() => files.push(("1_example.sql".to_string(), format!("{line}\n"))),
            None => {
                let text = &mut files.last_mut().unwrap().1;
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    files
}

fn codes(sql: &str) -> Vec<&'static str> {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files(sql) {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let selection = source::discover(dir.path(), None).unwrap();
    check::run(&[selection], &Config::default(), None).unwrap().findings.iter().map(|f| f.rule.code).collect()
}

#[test]
fn examples_raise_their_rule_and_the_fix_does_not() {
    for rule in RULES.iter().filter(|rule| rule.sources != Sources::Token) {
        let (bad, good) = examples(rule);
        assert!(codes(&bad).contains(&rule.code), "{rule:?}: the example does not raise it:\n{bad}");
        let after = codes(&good);
        assert!(!after.contains(&rule.code), "{rule:?}: `Use instead` still raises it:\n{good}");
        assert!(!after.contains(&"NL000"), "{rule:?}: `Use instead` does not parse:\n{good}");
    }
}

/// A token rule's example: a token as is, or claims (a JSON object) signed by nobody.
fn token_codes(example: &str) -> Vec<&'static str> {
    use base64::Engine;
    let example = example.trim();
    let token = if example.starts_with('{') {
        let part = |json: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json);
        format!("{}.{}.c2lnbmF0dXJl", part(r#"{"alg":"EdDSA","typ":"JWT"}"#), part(example))
    } else {
        example.to_string()
    };
    let expect = neonlint::jwt::Expectations {
        audience: Some("app".to_string()),
        issuer: Some("https://auth.example.com".to_string()),
        leeway: 30,
        now: 1_800_000_000,
    };
    neonlint::jwt::check(&token, &expect).findings.iter().map(|f| f.rule.code).collect()
}

#[test]
fn token_examples_raise_their_rule_and_the_fix_does_not() {
    let mut checked = 0;
    for rule in RULES.iter().filter(|rule| rule.sources == Sources::Token) {
        let (bad, good) = examples(rule);
        assert_eq!(token_codes(&bad), [rule.code], "{rule:?}: the example raises exactly it");
        assert!(token_codes(&good).is_empty(), "{rule:?}: `Use instead` raises {:?}", token_codes(&good));
        checked += 1;
    }
    assert!(checked >= 6);
}
