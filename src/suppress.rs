//! Suppressions: `-- neonlint-ignore RULES -- reason` on the statement below it,
//! `-- neonlint-ignore-file [RULES]` for a whole file, and `[[ignore]]` entries in the
//! configuration, matched by rule and object (globs allowed). An unknown rule name is an
//! error; a suppression that matched nothing becomes an `NL900 unused-ignore` finding.
//!
//! This runs after the rules, on findings; it never changes what the rules see.

use std::collections::HashMap;

use crate::config::{self, Config};
use crate::model::{FileId, Span};
use crate::replay::Touch;
use crate::rules::{Finding, Object, ObjectKind, Rule};
use crate::source::display_path;
use crate::sql::{LineIndex, split};
use crate::touches::TouchIndex;

/// One suppression and whether it matched.
#[derive(Clone, Debug)]
pub struct Suppression {
    /// `None`: every rule.
    pub rules: Option<Vec<&'static Rule>>,
    pub scope: Scope,
    pub used: bool,
}

#[derive(Clone, Debug)]
pub enum Scope {
    /// The statement at `start..end` of `file`, below the comment at `comment`.
    Statement { comment: Span, start: usize, end: usize },
    /// Every statement of a file.
    File { comment: Span },
    /// Objects whose key matches a glob (`public.audit_*`, `schema:public`).
    Config { object: String, line: Option<u32>, path: String },
}

/// A directive that cannot be honoured, with the line it is on.
#[derive(Debug)]
pub struct DirectiveError {
    pub line: u32,
    pub message: String,
}

const STATEMENT_DIRECTIVE: &str = "neonlint-ignore";
const FILE_DIRECTIVE: &str = "neonlint-ignore-file";

/// The `neonlint-ignore` comments of one file (its text as replayed).
pub fn from_comments(file: FileId, text: &str) -> Result<Vec<Suppression>, DirectiveError> {
    if !text.contains(STATEMENT_DIRECTIVE) {
        return Ok(Vec::new());
    }
    let index = LineIndex::new(text);
    let mut suppressions = Vec::new();
    let mut covered_until = 0;
    for piece in split::split(text) {
        // Comments directly above the statement apply to it; a file directive anywhere.
        scan_comments(
            text,
            &index,
            file,
            covered_until,
            piece.start,
            Some((piece.start, piece.end)),
            &mut suppressions,
        )?;
        covered_until = piece.end;
    }
    scan_comments(text, &index, file, covered_until, text.len(), None, &mut suppressions)?;
    Ok(suppressions)
}

/// Reads the `--` comment lines in `from..to`. Statement directives count only in the
/// comment block right above the statement (`statement`); elsewhere they are unused.
fn scan_comments(
    text: &str,
    index: &LineIndex,
    file: FileId,
    from: usize,
    to: usize,
    statement: Option<(usize, usize)>,
    suppressions: &mut Vec<Suppression>,
) -> Result<(), DirectiveError> {
    let mut offset = from;
    // A lone CR ends a `--` comment, as in PostgreSQL; a CRLF gives an empty piece.
    for line in text[from..to].split_inclusive(['\n', '\r']) {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim_start();
        let Some(comment) = trimmed.strip_prefix("--") else { continue };
        let comment = comment.trim_start();
        let Some((is_file, rest)) = directive(comment) else { continue };
        let column_start = start + (line.len() - trimmed.len());
        let location = index.location(column_start, start + line.trim_end().len());
        let span = location.in_file(file);
        let rules = parse_rules(rest).map_err(|message| DirectiveError { line: location.line, message })?;
        let scope = match (is_file, statement) {
            (true, _) => Scope::File { comment: span },
            (false, Some((start, end))) => Scope::Statement { comment: span, start, end },
            // A statement directive with no statement below it matches nothing.
            (false, None) => Scope::Statement { comment: span, start: usize::MAX, end: usize::MAX },
        };
        suppressions.push(Suppression { rules, scope, used: false });
    }
    Ok(())
}

/// `neonlint-ignore …` or `neonlint-ignore-file …`: whether it is for the file, and the
/// text after the keyword.
fn directive(comment: &str) -> Option<(bool, &str)> {
    if let Some(rest) = comment.strip_prefix(FILE_DIRECTIVE) {
        return (rest.is_empty() || rest.starts_with(char::is_whitespace)).then_some((true, rest));
    }
    let rest = comment.strip_prefix(STATEMENT_DIRECTIVE)?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace) || rest.starts_with(':'))
        .then_some((false, rest))
}

/// `NL001, rls-no-policy -- reason` → the rules; none listed means every rule.
fn parse_rules(text: &str) -> Result<Option<Vec<&'static Rule>>, String> {
    let list = text.trim_start_matches(':').split("--").next().unwrap_or_default();
    let mut rules = Vec::new();
    for name in list.split(|c: char| c == ',' || c.is_whitespace()).filter(|name| !name.is_empty()) {
        rules.push(config::lookup_rule(name)?);
    }
    Ok(if rules.is_empty() { None } else { Some(rules) })
}

/// The `[[ignore]]` entries of the configuration; none with `--no-suppressions`.
pub fn from_config(config: &Config) -> Vec<Suppression> {
    if !config.suppressions {
        return Vec::new();
    }
    let path = config.path.as_deref().map_or_else(|| config::FILE_NAME.to_string(), display_path);
    config
        .ignores
        .iter()
        .map(|ignore| Suppression {
            rules: ignore.rule.map(|rule| vec![rule]),
            scope: Scope::Config { object: ignore.object.clone(), line: ignore.line, path: path.clone() },
            used: false,
        })
        .collect()
}

/// NL900 for the `[[ignore]]` entries among `suppressions` that matched nothing.
pub fn unused_config_findings(suppressions: &[Suppression]) -> Vec<Finding> {
    suppressions
        .iter()
        .filter(|suppression| !suppression.used && suppression.file().is_none())
        .map(|suppression| suppression.unused_finding(""))
        .collect()
}

/// Removes the findings a suppression covers and marks those suppressions used.
///
/// Each finding is checked against the few suppressions that can cover it, found through
/// `SuppressionIndex` and `TouchIndex`, so the cost grows with findings plus suppressions,
/// not with their product (100,000 `[[ignore]]` entries never finished before).
pub fn apply(findings: Vec<Finding>, suppressions: &mut [Suppression], touches: &[Touch]) -> Vec<Finding> {
    if suppressions.is_empty() {
        return findings;
    }
    let touch_index = TouchIndex::new(touches);
    let index = SuppressionIndex::new(suppressions);
    let mut candidates = Vec::new();
    findings
        .into_iter()
        .filter(|finding| {
            let subject = Subject {
                finding,
                key: object_key(&finding.object),
                touching: touch_index
                    .touching(&finding.object)
                    .map(|touch| (touch.file, touch.statement_start))
                    .collect(),
            };
            candidates.clear();
            index.candidates(&subject, &mut candidates);
            candidates.sort_unstable();
            candidates.dedup();
            let mut suppressed = false;
            for &candidate in &candidates {
                if suppressions[candidate].covers(&subject) {
                    suppressions[candidate].used = true;
                    suppressed = true;
                }
            }
            !suppressed
        })
        .collect()
}

/// A finding with what matching it needs, computed once.
struct Subject<'a> {
    finding: &'a Finding,
    key: String,
    /// The statements that touch the finding's object.
    touching: Vec<(FileId, usize)>,
}

/// Suppressions by what a finding must have for them to cover it: its object key (exact,
/// or the literal part of a glob before its first wildcard), its file, or the statement
/// it is located in or touched by. `candidates` is a superset; `covers` decides.
#[derive(Default)]
struct SuppressionIndex {
    exact_keys: HashMap<String, Vec<usize>>,
    glob_prefixes: HashMap<String, Vec<usize>>,
    files: HashMap<FileId, Vec<usize>>,
    /// Statement suppressions per file, by the statement's range, sorted by its start.
    statements: HashMap<FileId, Vec<(usize, usize, usize)>>,
}

impl SuppressionIndex {
    fn new(suppressions: &[Suppression]) -> SuppressionIndex {
        let mut index = SuppressionIndex::default();
        for (position, suppression) in suppressions.iter().enumerate() {
            match &suppression.scope {
                Scope::Config { object, .. } => match object.find(['*', '?']) {
                    None => index.exact_keys.entry(object.clone()).or_default().push(position),
                    Some(wildcard) => {
                        index.glob_prefixes.entry(object[..wildcard].to_string()).or_default().push(position)
                    }
                },
                Scope::File { comment } => index.files.entry(comment.file).or_default().push(position),
                Scope::Statement { comment, start, end } => {
                    index.statements.entry(comment.file).or_default().push((*start, *end, position))
                }
            }
        }
        for ranges in index.statements.values_mut() {
            ranges.sort_unstable();
        }
        index
    }

    fn candidates(&self, subject: &Subject, out: &mut Vec<usize>) {
        if let Some(exact) = self.exact_keys.get(&subject.key) {
            out.extend(exact);
        }
        if !self.glob_prefixes.is_empty() {
            for (boundary, _) in subject.key.char_indices().chain([(subject.key.len(), ' ')]) {
                if let Some(globs) = self.glob_prefixes.get(&subject.key[..boundary]) {
                    out.extend(globs);
                }
            }
        }
        let location = subject.finding.location;
        let files =
            location.map(|at| at.file).into_iter().chain(subject.touching.iter().map(|(file, _)| *file));
        for file in files {
            if let Some(in_file) = self.files.get(&file) {
                out.extend(in_file);
            }
        }
        if let Some(at) = location
            && let Some(ranges) = self.statements.get(&at.file)
        {
            // Statements do not overlap: only those starting at or before the finding can
            // hold it, and of those, the last few (several directives above one statement).
            let before = ranges.partition_point(|(start, _, _)| *start <= at.start);
            for (start, end, position) in ranges[..before].iter().rev() {
                if !(*start..=*end).contains(&at.start) {
                    break;
                }
                out.push(*position);
            }
        }
        for (file, statement_start) in &subject.touching {
            if let Some(ranges) = self.statements.get(file) {
                let first = ranges.partition_point(|(start, _, _)| start < statement_start);
                out.extend(
                    ranges[first..]
                        .iter()
                        .take_while(|(start, _, _)| start == statement_start)
                        .map(|(_, _, position)| *position),
                );
            }
        }
    }
}

impl Suppression {
    fn covers(&self, subject: &Subject) -> bool {
        let finding = subject.finding;
        if let Some(rules) = &self.rules
            && !rules.iter().any(|rule| rule.code == finding.rule.code)
        {
            return false;
        }
        match &self.scope {
            Scope::Statement { comment, start, end } => {
                let located_here = finding
                    .location
                    .is_some_and(|at| at.file == comment.file && (*start..=*end).contains(&at.start));
                located_here
                    || subject
                        .touching
                        .iter()
                        .any(|(file, statement)| *file == comment.file && statement == start)
            }
            Scope::File { comment } => {
                finding.location.is_some_and(|at| at.file == comment.file)
                    || subject.touching.iter().any(|(file, _)| *file == comment.file)
            }
            Scope::Config { object, .. } => glob_match(object, &subject.key),
        }
    }

    /// The file a comment suppression sits in.
    pub fn file(&self) -> Option<FileId> {
        match &self.scope {
            Scope::Statement { comment, .. } | Scope::File { comment } => Some(comment.file),
            Scope::Config { .. } => None,
        }
    }

    /// An `NL900 unused-ignore` finding for this suppression.
    pub fn unused_finding(&self, file_display: &str) -> Finding {
        let rules = match &self.rules {
            Some(rules) => rules.iter().map(|rule| rule.code).collect::<Vec<_>>().join(", "),
            None => "every rule".to_string(),
        };
        match &self.scope {
            Scope::Statement { comment, start, .. } => {
                let below = if *start == usize::MAX {
                    ": there is no statement below it"
                } else {
                    " for the statement below it"
                };
                Finding::new(
                    "NL900",
                    Object::statement(file_display),
                    format!("`neonlint-ignore` ({rules}) matched no finding{below}"),
                    "remove the comment, or move it above the statement the finding points at".to_string(),
                    Some(*comment),
                )
                .with_label("suppresses nothing")
            }
            Scope::File { comment } => Finding::new(
                "NL900",
                Object::statement(file_display),
                format!("`neonlint-ignore-file` ({rules}) matched no finding in this file"),
                "remove the comment".to_string(),
                Some(*comment),
            )
            .with_label("suppresses nothing"),
            Scope::Config { object, line, path } => {
                let place = match line {
                    Some(line) => format!("{path} line {line}"),
                    None => path.clone(),
                };
                Finding::new(
                    "NL900",
                    Object::statement(path),
                    format!("`[[ignore]]` for {rules} on `{object}` ({place}) matched no finding"),
                    "remove the entry, or correct its `object` (keys look like `public.todos`, `schema:public`, `database:app`, `role:anon`)"
                        .to_string(),
                    None,
                )
            }
        }
    }
}

/// The key `[[ignore]]` and baselines match a finding's object by.
pub fn object_key(object: &Object) -> String {
    match object.kind {
        ObjectKind::Schema => format!("schema:{}", object.name),
        ObjectKind::Database => format!("database:{}", object.name),
        ObjectKind::Role => format!("role:{}", object.name),
        ObjectKind::Token => "token".to_string(),
        ObjectKind::Statement => format!("file:{}", object.name),
        ObjectKind::Policy => match (&object.schema, &object.table) {
            (Some(schema), Some(table)) => format!("{schema}.{table}.{}", object.name),
            _ => object.name.clone(),
        },
        _ => match &object.schema {
            Some(schema) => format!("{schema}.{}", object.name),
            None => object.name.clone(),
        },
    }
}

/// `*` matches any run of characters, `?` one character; everything else itself.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where the last `*` was, and the text position it is matching up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        if p < pattern.len() && (pattern[p] == '?' || pattern[p] == text[t]) {
            p += 1;
            t += 1;
        } else if p < pattern.len() && pattern[p] == '*' {
            star = Some((p, t));
            p += 1;
        } else if let Some((star_p, star_t)) = star {
            p = star_p + 1;
            t = star_t + 1;
            star = Some((star_p, star_t + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::Touched;
    use crate::touches::touches_object;

    #[test]
    fn globs() {
        assert!(glob_match("public.audit_*", "public.audit_log"));
        assert!(glob_match("*.logs", "private.logs"));
        assert!(glob_match("public.t?", "public.t1"));
        assert!(glob_match("*", "anything"));
        assert!(!glob_match("public.audit_*", "private.audit_log"));
        assert!(!glob_match("public.t?", "public.t12"));
        assert!(glob_match("schema:public", "schema:public"));
    }

    #[test]
    fn directives_name_rules_and_reasons() {
        let text = "-- neonlint-ignore NL001, rls-no-policy -- public on purpose\nCREATE TABLE t ();\n\
                    -- neonlint-ignore-file\n-- neonlint-ignore\nCREATE TABLE u ();\n-- neonlint-ignore: NL003\n";
        let suppressions = from_comments(FileId(0), text).unwrap();
        let summary: Vec<(Option<Vec<&str>>, &str)> = suppressions
            .iter()
            .map(|s| {
                let kind = match s.scope {
                    Scope::Statement { start, .. } if start == usize::MAX => "dangling",
                    Scope::Statement { .. } => "statement",
                    Scope::File { .. } => "file",
                    Scope::Config { .. } => "config",
                };
                (s.rules.as_ref().map(|rules| rules.iter().map(|r| r.code).collect()), kind)
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (Some(vec!["NL001", "NL002"]), "statement"),
                (None, "file"),
                (None, "statement"),
                (Some(vec!["NL003"]), "dangling"),
            ]
        );
    }

    #[test]
    fn unknown_rule_names_the_line_and_suggests() {
        let error =
            from_comments(FileId(0), "SELECT 1;\n\n-- neonlint-ignore rls-disable\nCREATE TABLE t ();")
                .unwrap_err();
        assert_eq!(error.line, 3);
        assert!(error.message.contains("did you mean `rls-disabled`"), "{}", error.message);
    }

    #[test]
    fn ordinary_comments_that_mention_the_word_are_not_directives() {
        assert!(
            from_comments(FileId(0), "-- we use neonlint-ignore sparingly\nCREATE TABLE t ();")
                .unwrap()
                .is_empty()
        );
        assert!(from_comments(FileId(0), "-- neonlint-ignored\nCREATE TABLE t ();").unwrap().is_empty());
    }

    #[test]
    fn directive_after_a_comment_ended_by_lone_cr_is_read() {
        let suppressions =
            from_comments(FileId(0), "-- context\r-- neonlint-ignore NL001\rCREATE TABLE t ();\r").unwrap();
        assert_eq!(suppressions.len(), 1);
        assert!(matches!(suppressions[0].scope, Scope::Statement { start, .. } if start != usize::MAX));
    }

    /// The definition `apply` had before it was indexed: every suppression against every
    /// finding, every touch scanned.
    fn apply_by_scanning(
        findings: Vec<Finding>,
        suppressions: &mut [Suppression],
        touches: &[Touch],
    ) -> Vec<Finding> {
        findings
            .into_iter()
            .filter(|finding| {
                let mut suppressed = false;
                for suppression in suppressions.iter_mut() {
                    let rule_ok = suppression
                        .rules
                        .as_ref()
                        .is_none_or(|rules| rules.iter().any(|rule| rule.code == finding.rule.code));
                    let scope_ok = match &suppression.scope {
                        Scope::Statement { comment, start, end } => {
                            finding.location.is_some_and(|at| {
                                at.file == comment.file && (*start..=*end).contains(&at.start)
                            }) || touches.iter().any(|t| {
                                t.file == comment.file
                                    && t.statement_start == *start
                                    && touches_object(&t.object, &finding.object)
                            })
                        }
                        Scope::File { comment } => {
                            finding.location.is_some_and(|at| at.file == comment.file)
                                || touches.iter().any(|t| {
                                    t.file == comment.file && touches_object(&t.object, &finding.object)
                                })
                        }
                        Scope::Config { object, .. } => glob_match(object, &object_key(&finding.object)),
                    };
                    if rule_ok && scope_ok {
                        suppression.used = true;
                        suppressed = true;
                    }
                }
                !suppressed
            })
            .collect()
    }

    #[test]
    fn indexed_apply_agrees_with_scanning_every_pair() {
        // A small deterministic generator: findings, touches and suppressions of every kind
        // over a few names, files and statements, so that many pairs match.
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |bound: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % bound
        };
        let names = ["t1", "t2", "audit_log", "audit_x", "é"];
        let schemas = ["public", "api"];
        let codes = ["NL001", "NL002", "NL003", "NL008", "NL012"];
        let statement = |n: u64| (n as usize) * 100;
        for round in 0..30 {
            let object = |next: &mut dyn FnMut(u64) -> u64| {
                let schema = schemas[next(2) as usize].to_string();
                let name = names[next(5) as usize].to_string();
                match next(6) {
                    0 => Object {
                        kind: ObjectKind::Table,
                        schema: Some(schema),
                        name,
                        table: None,
                        args: None,
                    },
                    1 => {
                        Object { kind: ObjectKind::View, schema: Some(schema), name, table: None, args: None }
                    }
                    2 => Object {
                        kind: ObjectKind::Policy,
                        schema: Some(schema),
                        name: "p".into(),
                        table: Some(name),
                        args: None,
                    },
                    3 => Object::schema(&schema),
                    4 => Object {
                        kind: ObjectKind::Function,
                        schema: Some(schema),
                        name,
                        table: None,
                        args: Some("integer".into()),
                    },
                    _ => Object {
                        kind: ObjectKind::Sequence,
                        schema: Some(schema),
                        name,
                        table: None,
                        args: None,
                    },
                }
            };
            let touched = |object: &Object, next: &mut dyn FnMut(u64) -> u64| match object.kind {
                ObjectKind::Policy => Touched::Table {
                    schema: object.schema.clone().unwrap(),
                    name: object.table.clone().unwrap(),
                },
                ObjectKind::Schema if next(3) == 0 => Touched::Schema(None),
                ObjectKind::Schema => Touched::Schema(Some(object.name.clone())),
                ObjectKind::Function => Touched::Function {
                    schema: object.schema.clone().unwrap(),
                    name: object.name.clone(),
                    args: "integer".into(),
                },
                ObjectKind::Sequence => {
                    Touched::Sequence { schema: object.schema.clone().unwrap(), name: object.name.clone() }
                }
                _ => Touched::Table { schema: object.schema.clone().unwrap(), name: object.name.clone() },
            };
            let mut findings = Vec::new();
            let mut touches = Vec::new();
            for _ in 0..40 {
                let object = object(&mut next);
                let file = FileId(next(3) as u32);
                let start = statement(next(8)) + next(3) as usize;
                let location =
                    (next(5) != 0).then_some(Span { file, line: 1, column: 1, start, end: start + 10 });
                let code = codes[next(5) as usize];
                touches.push(Touch {
                    file: FileId(next(3) as u32),
                    statement_start: statement(next(8)),
                    object: touched(&object, &mut next),
                });
                findings.push(Finding::new(code, object, String::new(), String::new(), location));
            }
            let mut suppressions = Vec::new();
            for _ in 0..25 {
                let rules = (next(3) != 0).then(|| vec![crate::rules::rule(codes[next(5) as usize])]);
                let file = FileId(next(3) as u32);
                let comment = Span { file, line: 1, column: 1, start: 0, end: 0 };
                let scope = match next(4) {
                    0 => Scope::File { comment },
                    1 => {
                        let start = statement(next(8));
                        Scope::Statement { comment, start, end: start + 50 }
                    }
                    _ => {
                        let key = object_key(&object(&mut next));
                        let object = match next(3) {
                            0 => key,
                            1 => format!("{}*", &key[..key.len() / 2]),
                            _ => format!("*{}", &key[key.len() / 2..]).replace('1', "?"),
                        };
                        Scope::Config { object, line: None, path: "neonlint.toml".into() }
                    }
                };
                suppressions.push(Suppression { rules, scope, used: false });
            }
            let mut expected_suppressions = suppressions.clone();
            let expected = apply_by_scanning(findings.clone(), &mut expected_suppressions, &touches);
            let actual = apply(findings, &mut suppressions, &touches);
            let key =
                |f: &Finding| (f.rule.code, object_key(&f.object), f.location.map(|at| (at.file, at.start)));
            assert_eq!(
                actual.iter().map(key).collect::<Vec<_>>(),
                expected.iter().map(key).collect::<Vec<_>>(),
                "round {round}"
            );
            let used = |s: &[Suppression]| s.iter().map(|s| s.used).collect::<Vec<_>>();
            assert_eq!(used(&suppressions), used(&expected_suppressions), "round {round}");
        }
    }
}
