//! Baselines, for adopting neonlint on a project that already has findings: `neonlint
//! baseline FILE` records today's findings, and `--baseline FILE` reports only the others.
//!
//! Findings are keyed by rule and object (`NL003` + `public.todos`), never by line, so
//! editing a migration above a known finding does not make it new again. The same key may
//! appear several times (NL003 once per API role); each entry absorbs one finding.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::rules::Finding;
use crate::suppress::object_key;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    code: String,
    rule: String,
    object: String,
}

/// Known findings, counted by key.
#[derive(Clone, Debug, Default)]
pub struct Baseline {
    counts: BTreeMap<(String, String), usize>,
}

/// The baseline file's text for `findings`.
pub fn render(findings: &[Finding]) -> String {
    let mut entries: Vec<Entry> = findings
        .iter()
        .map(|finding| Entry {
            code: finding.rule.code.to_string(),
            rule: finding.rule.name.to_string(),
            object: object_key(&finding.object),
        })
        .collect();
    entries.sort();
    let file = BaselineFile { version: 1, findings: entries };
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    text
}

/// Reads a baseline file, or says what is wrong with it and what to do.
pub fn load(path: &Path) -> Result<Baseline, String> {
    let text = crate::input::read_bytes(path, crate::input::BASELINE_LIMIT)
        .and_then(crate::input::decode)
        .map_err(|error| {
            format!(
                "cannot read the baseline `{}`: {error}; write one with `neonlint baseline {}`",
                path.display(),
                path.display()
            )
        })?;
    let file: BaselineFile = serde_json::from_str(&text).map_err(|error| {
        format!(
            "the baseline `{}` is not a neonlint baseline ({error}); write it again with `neonlint baseline`",
            path.display()
        )
    })?;
    if file.version != 1 {
        return Err(format!(
            "the baseline `{}` has version {}, and this neonlint reads version 1; write it again with `neonlint baseline`",
            path.display(),
            file.version
        ));
    }
    let mut baseline = Baseline::default();
    for entry in file.findings {
        *baseline.counts.entry((entry.code, entry.object)).or_default() += 1;
    }
    Ok(baseline)
}

impl Baseline {
    /// The findings the baseline does not know, and how many of its entries matched
    /// nothing (problems fixed since it was written).
    pub fn filter(mut self, findings: Vec<Finding>) -> (Vec<Finding>, usize) {
        let new = findings
            .into_iter()
            .filter(|finding| {
                let key = (finding.rule.code.to_string(), object_key(&finding.object));
                match self.counts.get_mut(&key) {
                    Some(count) if *count > 0 => {
                        *count -= 1;
                        false
                    }
                    _ => true,
                }
            })
            .collect();
        (new, self.counts.values().sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Object;

    fn finding(code: &str, table: &str, line: u32) -> Finding {
        let object = Object {
            kind: crate::rules::ObjectKind::Table,
            schema: Some("public".into()),
            name: table.into(),
            table: None,
            args: None,
        };
        let span = crate::model::Span { file: crate::model::FileId(0), line, column: 1, start: 0, end: 0 };
        Finding::new(code, object, String::new(), String::new(), Some(span))
    }

    #[test]
    fn keys_ignore_lines_and_count_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        std::fs::write(
            &path,
            render(&[
                finding("NL003", "todos", 3),
                finding("NL003", "todos", 3),
                finding("NL001", "notes", 9),
            ]),
        )
        .unwrap();
        let baseline = load(&path).unwrap();
        // Lines moved; one NL003 more than before; the NL001 was fixed.
        let (new, stale) = baseline.filter(vec![
            finding("NL003", "todos", 30),
            finding("NL003", "todos", 30),
            finding("NL003", "todos", 30),
            finding("NL002", "todos", 31),
        ]);
        let codes: Vec<&str> = new.iter().map(|f| f.rule.code).collect();
        assert_eq!(codes, ["NL003", "NL002"]);
        assert_eq!(stale, 1);
    }

    #[test]
    fn bad_files_say_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        assert!(load(&path).unwrap_err().contains("neonlint baseline"));
        std::fs::write(&path, "{\"version\": 2, \"findings\": []}").unwrap();
        assert!(load(&path).unwrap_err().contains("version 2"));
        std::fs::write(&path, "not json").unwrap();
        assert!(load(&path).unwrap_err().contains("is not a neonlint baseline"));
    }
}
