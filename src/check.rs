//! The static pipeline for `neonlint check`: read the files of each migration set in
//! parallel, split and parse them, replay them in order into one `Catalog` per set, run
//! the rules, and turn parse problems into findings.
//!
//! It prints nothing and exits nothing: the caller renders a `Run`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::model::{Catalog, FileId, Span};
use crate::placeholders::Placeholders;
use crate::replay::{Options, Replay};
use crate::rules::{self, Finding, Object, ObjectKind, Settings};
use crate::source::{self, Layout, Selection};
use crate::sql::{self, ParsedFile, ProblemKind};
use crate::suppress::{self, DirectiveError, Suppression};

/// One migration file as read.
pub struct File {
    pub id: FileId,
    pub path: PathBuf,
    pub display: String,
    /// The text the report shows snippets from (empty when the file could not be read).
    pub text: Arc<str>,
}

/// A message for the user that is not a finding: skipped files (warnings), unanalyzed
/// `DO` blocks (notes).
#[derive(Clone, Debug)]
pub struct Notice {
    pub warning: bool,
    pub path: Option<String>,
    pub line: Option<u32>,
    pub message: String,
}

/// Everything one `check` produced.
#[derive(Default)]
pub struct Run {
    pub files: Vec<File>,
    pub findings: Vec<Finding>,
    pub notices: Vec<Notice>,
    pub statement_count: usize,
    /// The replayed catalog of each migration set, in argument order.
    pub catalogs: Vec<Catalog>,
}

impl Run {
    pub fn file(&self, id: FileId) -> Option<&File> {
        self.files.get(id.0 as usize)
    }
}

/// A file read and parsed, before replay.
struct Loaded {
    text: Arc<str>,
    parsed: ParsedFile,
    /// Why the file could not be used, with the line it concerns.
    unreadable: Option<(String, u32)>,
    /// Its `neonlint-ignore` comments, or the first one that names an unknown rule.
    suppressions: Result<Vec<Suppression>, DirectiveError>,
    /// What the placeholder substitution could not fill in, for the user.
    placeholder_note: Option<String>,
}

/// A run that could not be completed: a suppression comment names an unknown rule.
#[derive(Debug)]
pub struct CheckError(pub String);

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CheckError {}

/// Checks every selection with `config`: replay, rules, suppressions (comments and the
/// configuration's `[[ignore]]`), the changed-files filter, levels. Extra SQL (`extra`)
/// is replayed after the last migration of each set, as if it were one more file; tests
/// use it to replay a fix.
pub fn run(selections: &[Selection], config: &Config, extra: Option<&str>) -> Result<Run, CheckError> {
    let mut run = Run::default();
    let settings = config.settings();
    let mut config_suppressions = suppress::from_config(config);
    for selection in selections {
        check_set(&mut run, selection, config, &settings, extra, &mut config_suppressions)?;
    }
    // Whether a configured ignore is used can only be told from a full run that checked
    // something.
    if selections.iter().all(|selection| selection.only.is_none()) && run.statement_count > 0 {
        run.findings.extend(suppress::unused_config_findings(&config_suppressions));
    }
    apply_levels(&mut run.findings, config);
    Ok(run)
}

/// Sets each finding's level from the configuration, drops those of rules that are
/// off, and sorts them for the report.
pub fn apply_levels(findings: &mut Vec<Finding>, config: &Config) {
    findings.retain_mut(|finding| match config.configured_severity(finding.rule) {
        None => true,
        Some(Some(severity)) => {
            finding.severity = severity;
            true
        }
        Some(None) => false,
    });
    sort_findings(findings);
}

fn check_set(
    run: &mut Run,
    selection: &Selection,
    config: &Config,
    settings: &Settings,
    extra: Option<&str>,
    config_suppressions: &mut [Suppression],
) -> Result<(), CheckError> {
    let set = &selection.set;
    let layout = set.layout;
    run.notices.extend(set.notices.iter().map(|notice| Notice {
        warning: true,
        path: notice.path.clone(),
        line: None,
        message: notice.message.clone(),
    }));
    let first_id = run.files.len();
    let placeholders = Placeholders::for_set(&set.root, layout, &config.placeholders);
    let loaded: Vec<Loaded> = set
        .files
        .par_iter()
        .enumerate()
        .map(|(i, file)| load(&file.path, layout, &placeholders, FileId((first_id + i) as u32)))
        .collect();

    let options = Options {
        migration_role: config.migration_role.clone(),
        assume_data_api_grants: config.assume_data_api_grants,
        api_roles: config.api_roles.clone(),
        exposed_schemas: config.exposed_schemas.clone(),
    };
    let mut replay = Replay::new(&options);
    let mut findings = Vec::new();
    let mut suppressions = Vec::new();
    let mut set_statements = 0;
    for (file, loaded) in set.files.iter().zip(loaded) {
        let id = FileId(run.files.len() as u32);
        replay.file(id, &loaded.parsed.statements);
        run.statement_count += loaded.parsed.statement_count;
        set_statements += loaded.parsed.statement_count;
        if let Some(note) = &loaded.placeholder_note {
            run.notices.push(Notice {
                warning: false,
                path: Some(file.display.clone()),
                line: None,
                message: note.clone(),
            });
        }
        findings.extend(problem_findings(&file.display, id, &loaded, &mut run.notices));
        match loaded.suppressions {
            Ok(_) if !config.suppressions => {}
            Ok(found) => suppressions.extend(found),
            Err(error) => {
                return Err(CheckError(format!(
                    "{}:{}: {}; fix the `neonlint-ignore` comment",
                    file.display, error.line, error.message
                )));
            }
        }
        run.files.push(File {
            id,
            path: file.path.clone(),
            display: file.display.clone(),
            text: loaded.text,
        });
    }
    if let Some(extra) = extra {
        let parsed = sql::parse_file(extra);
        replay.outside_history(FileId(u32::MAX), &parsed.statements);
    }
    let (catalog, touches) = replay.finish_with_touches();
    // With nothing replayed there is nothing to check: the catalog-wide rules (NL004) would
    // only describe an empty database. `source` already said why nothing was found.
    let replayed_nothing = set_statements == 0 && extra.is_none();
    let mut found = if replayed_nothing { Vec::new() } else { rules::check(&catalog, settings) };
    // Findings about a whole migration file (NL017) are named by the file.
    for finding in
        found.iter_mut().filter(|f| f.object.kind == ObjectKind::Statement && f.object.name.is_empty())
    {
        if let Some(file) = finding.location.and_then(|span| run.file(span.file)) {
            finding.object.name = file.display.clone();
        }
    }
    findings.extend(found);
    findings = suppress::apply(findings, &mut suppressions, &touches);
    findings = suppress::apply(findings, config_suppressions, &touches);

    // Changed-files mode: findings in the chosen files, or about objects they create or
    // alter. Findings with no location (schema-wide) belong to full runs only.
    let chosen: Option<Vec<FileId>> = selection.only.as_ref().map(|only| {
        run.files[first_id..]
            .iter()
            .filter(|file| only.iter().any(|path| same_file(path, &file.path)))
            .map(|file| file.id)
            .collect()
    });
    if let Some(chosen) = &chosen {
        findings.retain(|finding| {
            finding.location.is_some_and(|span| {
                chosen.contains(&span.file)
                    || touches.iter().any(|touch| {
                        chosen.contains(&touch.file)
                            && suppress::touches_object(&touch.object, &finding.object)
                    })
            })
        });
    }
    for suppression in suppressions.iter().filter(|s| !s.used) {
        let Some(file) = suppression.file() else { continue };
        if chosen.as_ref().is_none_or(|chosen| chosen.contains(&file)) {
            let display = run.file(file).map_or("", |file| file.display.as_str());
            findings.push(suppression.unused_finding(display));
        }
    }
    run.findings.extend(findings);
    run.catalogs.push(catalog);
    Ok(())
}

/// Reads one file: binary, non-UTF-8 and unreadable files become a problem, not an error.
/// Placeholders are replaced first; the text kept for the report is the substituted one, so
/// every span points into the text it was computed on (lines never move).
fn load(path: &Path, layout: Layout, placeholders: &Placeholders, id: FileId) -> Loaded {
    let unreadable = |message: String, line: u32| Loaded {
        text: Arc::from(""),
        parsed: ParsedFile::default(),
        unreadable: Some((message, line)),
        suppressions: Ok(Vec::new()),
        placeholder_note: None,
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) => {
            return unreadable(format!("cannot read this file ({error}); check its permissions"), 1);
        }
    };
    if bytes.iter().take(8192).any(|&byte| byte == 0) {
        return unreadable("this file looks binary (it contains NUL bytes), not SQL".to_string(), 1);
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let line = error.as_bytes()[..valid].iter().filter(|&&b| b == b'\n').count() as u32 + 1;
            return unreadable(
                format!("this file is not UTF-8 (invalid byte at offset {valid}); save it as UTF-8"),
                line,
            );
        }
    };
    let (placeholder_note, replaced) = {
        let substituted = placeholders.apply(layout, &text);
        (
            substituted.note(),
            match substituted.text {
                std::borrow::Cow::Owned(replaced) => Some(replaced),
                std::borrow::Cow::Borrowed(_) => None,
            },
        )
    };
    let text = replaced.unwrap_or(text);
    let up = source::up_part(layout, &text);
    let parsed = sql::parse_file(&up);
    let suppressions = suppress::from_comments(id, &up);
    Loaded { text: Arc::from(text), parsed, unreadable: None, suppressions, placeholder_note }
}

/// Parse errors and unreadable files are NL000 findings; `DO` blocks are notices.
fn problem_findings(display: &str, file: FileId, loaded: &Loaded, notices: &mut Vec<Notice>) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some((message, line)) = &loaded.unreadable {
        let span = Span { file, line: *line, column: 1, start: 0, end: 0 };
        let help = "fix or remove the file; the other migrations were still checked".to_string();
        findings.push(
            Finding::new("NL000", Object::statement(display), message.clone(), help, Some(span))
                .with_label("not read"),
        );
    }
    for problem in &loaded.parsed.problems {
        let location = problem.location;
        match problem.kind {
            ProblemKind::NotAnalyzed => notices.push(Notice {
                warning: false,
                path: Some(display.to_string()),
                line: Some(location.line),
                message: problem.message.clone(),
            }),
            ProblemKind::ParseError => {
                let span = location.in_file(file);
                let help = "correct the statement; if PostgreSQL accepts it, neonlint's reader has a gap: \
                            the rest of the file was still analyzed"
                    .to_string();
                findings.push(
                    Finding::new(
                        "NL000",
                        Object::statement(display),
                        problem.message.clone(),
                        help,
                        Some(span),
                    )
                    .with_label("could not be read"),
                );
            }
        }
    }
    findings
}

/// File order and position first; findings without a location last, by rule and object.
fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        let key = |finding: &Finding| {
            (
                finding.location.is_none(),
                finding.location.map(|span| (span.file, span.line, span.column)),
                finding.rule.code,
                finding.object.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(a), Ok(b)) if a == b)
}
