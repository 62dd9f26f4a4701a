//! The rule pages in `rules/` match the registry one to one, have every section, and
//! their examples do what they say: the bad example raises the rule, "Use instead" does
//! not.

mod common;

use neonlint::check;
use neonlint::config::Config;
use neonlint::rules::{RULES, Rule};
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

/// The first SQL block after "## Example", and the first after "Use instead".
fn examples(rule: &Rule) -> (String, String) {
    let example = &rule.page[rule.page.find("## Example").unwrap()..];
    let block = |text: &str| {
        let start = text.find("```sql\n").unwrap_or_else(|| panic!("{rule:?}: no sql block")) + 7;
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
    for rule in RULES {
        let (bad, good) = examples(rule);
        assert!(codes(&bad).contains(&rule.code), "{rule:?}: the example does not raise it:\n{bad}");
        let after = codes(&good);
        assert!(!after.contains(&rule.code), "{rule:?}: `Use instead` still raises it:\n{good}");
        assert!(!after.contains(&"NL000"), "{rule:?}: `Use instead` does not parse:\n{good}");
    }
}
