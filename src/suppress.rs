//! Suppressions: `-- neonlint-ignore RULES -- reason` on the statement below it,
//! `-- neonlint-ignore-file [RULES]` for a whole file, and `[[ignore]]` entries in the
//! configuration, matched by rule and object (globs allowed). An unknown rule name is an
//! error; a suppression that matched nothing becomes an `NL900 unused-ignore` finding.
//!
//! This runs after the rules, on findings; it never changes what the rules see.

use std::collections::{HashMap, HashSet};

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
    for line in text[from..to].split_inclusive('\n') {
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
pub fn apply(findings: Vec<Finding>, suppressions: &mut [Suppression], touches: &[Touch]) -> Vec<Finding> {
    if suppressions.is_empty() {
        return findings;
    }
    let touched = CommentTouches::index(suppressions, touches);
    findings
        .into_iter()
        .filter(|finding| {
            let mut suppressed = false;
            for suppression in suppressions.iter_mut() {
                if suppression.covers(finding, &touched) {
                    suppression.used = true;
                    suppressed = true;
                }
            }
            !suppressed
        })
        .collect()
}

/// What the statements and files that carry comment suppressions touched, indexed once
/// per run (a scan of every touch for every finding is quadratic on large folders).
struct CommentTouches<'a> {
    by_statement: HashMap<(FileId, usize), TouchIndex<'a>>,
    by_file: HashMap<FileId, TouchIndex<'a>>,
}

impl<'a> CommentTouches<'a> {
    fn index(suppressions: &[Suppression], touches: &'a [Touch]) -> CommentTouches<'a> {
        let mut statements = HashSet::new();
        let mut files = HashSet::new();
        for suppression in suppressions {
            match &suppression.scope {
                Scope::Statement { comment, start, .. } => {
                    statements.insert((comment.file, *start));
                }
                Scope::File { comment } => {
                    files.insert(comment.file);
                }
                Scope::Config { .. } => {}
            }
        }
        let mut touched = CommentTouches { by_statement: HashMap::new(), by_file: HashMap::new() };
        if statements.is_empty() && files.is_empty() {
            return touched;
        }
        let mut by_statement: HashMap<(FileId, usize), Vec<&Touch>> = HashMap::new();
        let mut by_file: HashMap<FileId, Vec<&Touch>> = HashMap::new();
        for touch in touches {
            let statement = (touch.file, touch.statement_start);
            if statements.contains(&statement) {
                by_statement.entry(statement).or_default().push(touch);
            }
            if files.contains(&touch.file) {
                by_file.entry(touch.file).or_default().push(touch);
            }
        }
        touched.by_statement =
            by_statement.into_iter().map(|(key, found)| (key, TouchIndex::new(found))).collect();
        touched.by_file = by_file.into_iter().map(|(key, found)| (key, TouchIndex::new(found))).collect();
        touched
    }
}

impl Suppression {
    fn covers(&self, finding: &Finding, touched: &CommentTouches) -> bool {
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
                    || touched
                        .by_statement
                        .get(&(comment.file, *start))
                        .is_some_and(|index| index.covers(&finding.object))
            }
            Scope::File { comment } => {
                finding.location.is_some_and(|at| at.file == comment.file)
                    || touched.by_file.get(&comment.file).is_some_and(|index| index.covers(&finding.object))
            }
            Scope::Config { object, .. } => glob_match(object, &object_key(&finding.object)),
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
                    "remove the entry, or correct its `object` (keys look like `public.todos`, `schema:public`, `database:app`)"
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
}
