//! The static pipeline for `neonlint check`: read the files of each migration set in
//! parallel, split and parse them, replay them in order into one `Catalog` per set, run
//! the rules, and turn parse problems into findings.
//!
//! It prints nothing and exits nothing: the caller renders a `Run`.

use std::collections::{BTreeSet, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::cache;
use crate::config::Config;
use crate::input::{self, InputError};
use crate::model::{Catalog, FileId, TableId};
use crate::placeholders::Placeholders;
use crate::replay::{Options, Replay, Touch, Touched};
use crate::rules::{self, Finding, Object, ObjectKind, Settings};
use crate::source::{self, Layout, Selection};
use crate::sql::{self, ParsedFile, ProblemKind};
use crate::suppress::{self, DirectiveError, Suppression};
use crate::touches::TouchIndex;

/// One migration file as read.
pub struct File {
    pub id: FileId,
    pub path: PathBuf,
    pub display: String,
    text: FileText,
}

impl File {
    /// The text the report shows snippets from (empty when the file could not be read).
    pub fn text(&self) -> Arc<str> {
        match &self.text {
            FileText::Read(text) => text.clone(),
            FileText::Unread { layout, placeholders, text } => {
                text.get_or_init(|| read_text(&self.path, *layout, placeholders).0).clone()
            }
        }
    }
}

/// A file's text: read, or left unread by a run that restored the state after it (the
/// prefix-state cache), then read the first time a report needs it.
enum FileText {
    Read(Arc<str>),
    Unread { layout: Layout, placeholders: Arc<Placeholders>, text: std::sync::OnceLock<Arc<str>> },
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

/// A migration file that could not be read (an I/O error, not a regular file, too large,
/// binary, UTF-16, not UTF-8). The other files are still checked, but the run is
/// incomplete, and the command ends with exit code 2.
#[derive(Debug)]
pub struct UnreadableFile {
    pub display: String,
    pub error: InputError,
}

/// Everything one `check` produced.
#[derive(Default)]
pub struct Run {
    pub files: Vec<File>,
    pub findings: Vec<Finding>,
    pub notices: Vec<Notice>,
    /// Migrations that could not be read; the findings are those of the others.
    pub unreadable: Vec<UnreadableFile>,
    pub statement_count: usize,
    /// The replayed catalog of each migration set, in argument order.
    pub catalogs: Vec<Catalog>,
}

impl Run {
    pub fn file(&self, id: FileId) -> Option<&File> {
        self.files.get(id.0 as usize)
    }
}

/// A file read, with its placeholders filled in and its "up" part cut: what is parsed.
struct Prepared {
    text: FileText,
    /// The part the tool runs, as parsed (empty when the file could not be read, or was
    /// left unread).
    up: String,
    /// The SHA-256 of `up`: the parse cache's key and a link of the prefix state's key.
    digest: [u8; 32],
    unreadable: Option<InputError>,
    suppressions: Result<Vec<Suppression>, DirectiveError>,
    placeholder_note: Option<String>,
    /// The file's stamp, taken before it was read, when the run may store it.
    stamp: Option<cache::Stamp>,
}

impl Prepared {
    /// A file left unread: an earlier run read it, and it has not changed since.
    fn known(file: &cache::KnownFile, layout: Layout, placeholders: &Arc<Placeholders>) -> Prepared {
        Prepared {
            text: FileText::Unread { layout, placeholders: placeholders.clone(), text: Default::default() },
            up: String::new(),
            digest: file.digest,
            unreadable: None,
            suppressions: Ok(Vec::new()),
            placeholder_note: file.placeholder_note.clone(),
            stamp: Some(file.stamp),
        }
    }

    /// What a later run needs of this file to leave it unread: `None` when it could not be
    /// read or has no stamp.
    fn to_known(&self) -> Option<cache::KnownFile> {
        if self.unreadable.is_some() {
            return None;
        }
        Some(cache::KnownFile {
            stamp: self.stamp?,
            digest: self.digest,
            placeholder_note: self.placeholder_note.clone(),
            // Suppression comments are read from the text, each run.
            read_again: !self.suppressions.as_ref().is_ok_and(Vec::is_empty),
        })
    }
}

/// What replaying the first files of a set leaves besides the replay itself, stored with
/// it by the prefix-state cache (`cache::ParseCache::store_state`).
#[derive(Default, serde::Serialize, serde::Deserialize)]
pub struct PrefixState {
    /// The statements of those files.
    pub statement_count: usize,
    /// Each file's notes (`not_analyzed`), by position in the set.
    pub file_notes: Vec<Vec<(u32, String)>>,
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
    run_with(selections, config, extra, true)
}

/// `run` for a report: each set's catalog is dropped as soon as its rules have run
/// (`Run::catalogs` stays empty), so a large schema's catalog and its findings are not
/// held at the same time as the report.
pub fn run_for_report(selections: &[Selection], config: &Config) -> Result<Run, CheckError> {
    run_with(selections, config, None, false)
}

fn run_with(
    selections: &[Selection],
    config: &Config,
    extra: Option<&str>,
    keep_catalogs: bool,
) -> Result<Run, CheckError> {
    let mut run = Run::default();
    let settings = config.settings();
    let mut config_suppressions = suppress::from_config(config);
    for selection in selections {
        check_set(&mut run, selection, config, &settings, extra, &mut config_suppressions, keep_catalogs)?;
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
    keep_catalog: bool,
) -> Result<(), CheckError> {
    let first_id = run.files.len();
    let SetResult { mut findings, touches, suppressions, catalog, chosen } =
        analyse_set(run, selection, config, settings, extra, config_suppressions, keep_catalog)?;

    // Changed-files mode: findings in the chosen files, or about objects they create or
    // alter. Findings with no location (schema-wide) belong to full runs only.
    match &chosen {
        Some(chosen) => findings = in_changed_files(findings, chosen, &touches),
        None => {
            // A whole-folder run reminds to reload the schema cache for the newest
            // migration only: the older ones were deployed long ago (issue 9). Dropped after
            // suppressions, so an old file's `neonlint-ignore schema-cache-reminder` still
            // counts as used.
            let last = run.files[first_id..].last().map(|file| file.id);
            findings.retain(|finding| {
                finding.rule.code != "NL017" || finding.location.is_some_and(|span| Some(span.file) == last)
            });
        }
    }
    for suppression in suppressions.iter().filter(|s| !s.used) {
        let Some(file) = suppression.file() else { continue };
        if chosen.as_ref().is_none_or(|chosen| chosen.contains(&file)) {
            let display = run.file(file).map_or("", |file| file.display.as_str());
            findings.push(suppression.unused_finding(display));
        }
    }
    append(&mut run.findings, findings);
    run.catalogs.extend(catalog);
    Ok(())
}

/// One migration set replayed and checked, before the changed-files filter.
struct SetResult {
    /// Every finding of the set that no suppression covers.
    findings: Vec<Finding>,
    touches: Vec<Touch>,
    /// The set's comment suppressions, marked used or not.
    suppressions: Vec<Suppression>,
    /// The replayed catalog, when the caller keeps it.
    catalog: Option<Catalog>,
    /// Changed-files mode: the files the user named.
    chosen: Option<HashSet<FileId>>,
}

/// Reads, replays and checks one set; its files are added to `run`.
fn analyse_set(
    run: &mut Run,
    selection: &Selection,
    config: &Config,
    settings: &Settings,
    extra: Option<&str>,
    config_suppressions: &mut [Suppression],
    keep_catalog: bool,
) -> Result<SetResult, CheckError> {
    let set = &selection.set;
    let layout = set.layout;
    run.notices.extend(set.notices.iter().map(|notice| Notice {
        warning: true,
        path: notice.path.clone(),
        line: None,
        message: notice.message.clone(),
    }));
    let first_id = run.files.len();
    let placeholders = Arc::new(Placeholders::for_set(&set.root, layout, &config.placeholders));
    let options = Options {
        migration_role: config.migration_role.clone(),
        assume_data_api_grants: config.assume_data_api_grants,
        api_roles: config.api_roles.clone(),
        anonymous_role: config.anonymous_role.clone(),
        exposed_schemas: config.exposed_schemas.clone(),
        closed_world: false,
        postgres_major: config.postgres_version,
    };
    let cache = config.parse_cache.as_deref();
    let paths: Vec<&Path> = set.files.iter().map(|file| file.path.as_path()).collect();
    let file_id = |i: usize| FileId((first_id + i) as u32);
    // Changed-files mode with a cache: the files before the first chosen one replay to the
    // state an earlier run on the same files (and options) stored, so they need neither
    // parsing nor replay (issue 17). Those that have not changed since an earlier run read
    // them (`cache::KnownFiles`) are not even read.
    let chosen_at: Option<Vec<usize>> = selection.only.as_ref().map(|only| chosen_indices(only, &paths));
    let chosen: Option<HashSet<FileId>> =
        chosen_at.as_ref().map(|positions| positions.iter().map(|&i| file_id(i)).collect());
    let prefix = match (&chosen_at, cache) {
        (Some(positions), Some(_)) if extra.is_none() => positions.iter().copied().min().unwrap_or(0),
        _ => 0,
    };
    let options_key = format!("{options:?}");
    let reading = format!("{layout:?} {placeholders:?}");
    let known_files_key =
        |files: usize| cache::known_files_key(&options_key, first_id, &reading, &paths[..files]);
    let known = match cache {
        Some(cache) if prefix > 0 => cache.known_files(&known_files_key(prefix), &paths[..prefix]),
        _ => None,
    };
    let stamped = prefix > 0 && cache.is_some();
    let mut prepared: Vec<Prepared> = set
        .files
        .par_iter()
        .enumerate()
        .map(|(i, file)| match known.as_ref().filter(|known| i < prefix && !known.files[i].read_again) {
            Some(known) => Prepared::known(&known.files[i], layout, &placeholders),
            None => prepare(&file.path, layout, &placeholders, file_id(i), stamped),
        })
        .collect();
    // Files whose stamps alone do not prove them unchanged are read and compared. The entry
    // is written (again) unless it held with no such file.
    let mut store_prefix_entry = known.is_none();
    if let (Some(known), Some(cache)) = (&known, cache) {
        let racy = known.racy(cache);
        let read: Vec<(usize, Prepared)> = racy
            .par_iter()
            .map(|&i| (i, prepare(paths[i], layout, &placeholders, file_id(i), true)))
            .collect();
        let held =
            read.iter().all(|(i, file)| file.digest == known.files[*i].digest && file.unreadable.is_none());
        if held {
            for (i, file) in read {
                prepared[i] = file;
            }
        } else {
            prepared[..prefix]
                .par_iter_mut()
                .enumerate()
                .for_each(|(i, slot)| *slot = prepare(paths[i], layout, &placeholders, file_id(i), true));
        }
        store_prefix_entry = !held || !racy.is_empty();
    }
    let mut parsed: Vec<Option<ParsedFile>> =
        prepared.par_iter().enumerate().map(|(i, file)| (i >= prefix).then(|| parse(file, cache))).collect();
    let later_schemas = Replay::look_ahead_names(parsed.iter().flatten().map(|p| p.statements.as_slice()));
    let links: Vec<[u8; 32]> = prepared.iter().map(|file| file.digest).collect();
    let state_key = |files: usize, later: &BTreeSet<String>| {
        cache::state_key(&options_key, first_id, &links[..files], later)
    };
    let restored = match cache {
        Some(cache) if prefix > 0 => cache.load_state(&state_key(prefix, &later_schemas)),
        _ => None,
    };
    let mut keyed_right = true;
    let (mut replay, mut state, restored) = match restored {
        Some((replay, state)) if state.file_notes.len() == prefix => (replay, state, true),
        _ => {
            // Every file is parsed and replayed; those left unread are read now. Should one
            // no longer be what its stamp promised, the state is keyed by what was promised
            // and must not be stored.
            if known.is_some() {
                prepared[..prefix].par_iter_mut().enumerate().for_each(|(i, slot)| {
                    if matches!(slot.text, FileText::Unread { .. }) {
                        *slot = prepare(paths[i], layout, &placeholders, file_id(i), true);
                    }
                });
                keyed_right = prepared[..prefix].iter().zip(&links).all(|(file, link)| file.digest == *link);
            }
            parsed[..prefix]
                .par_iter_mut()
                .zip(&prepared[..prefix])
                .for_each(|(slot, file)| *slot = Some(parse(file, cache)));
            let mut all_schemas = later_schemas.clone();
            all_schemas.extend(Replay::look_ahead_names(
                parsed[..prefix].iter().flatten().map(|p| p.statements.as_slice()),
            ));
            let mut replay = Replay::new(&options);
            replay.look_ahead_schemas(&all_schemas);
            (replay, PrefixState::default(), false)
        }
    };
    // What a later run needs to leave these files unread.
    let to_known: Vec<Option<cache::KnownFile>> =
        if stamped && keyed_right { prepared.iter().map(Prepared::to_known).collect() } else { Vec::new() };
    let mut findings = Vec::new();
    let mut suppressions = Vec::new();
    run.statement_count += state.statement_count;
    let file_count = set.files.len();
    for (i, ((file, prepared), parsed)) in set.files.iter().zip(prepared).zip(parsed).enumerate() {
        let id = FileId(run.files.len() as u32);
        if i == prefix
            && prefix > 0
            && !restored
            && keyed_right
            && let Some(cache) = cache
        {
            // The state before the first chosen file, for the next run on these files.
            cache.store_state(&state_key(prefix, &later_schemas), &replay, &state);
        }
        let Prepared { text, unreadable, suppressions: found, placeholder_note, .. } = prepared;
        if let Some(note) = &placeholder_note {
            run.notices.push(Notice {
                warning: false,
                path: Some(file.display.clone()),
                line: None,
                message: note.clone(),
            });
        }
        match &parsed {
            Some(parsed) => {
                replay.file(id, &parsed.statements);
                run.statement_count += parsed.statement_count;
                state.statement_count += parsed.statement_count;
                findings.extend(problem_findings(&file.display, id, parsed, &mut run.notices));
                state.file_notes.push(not_analyzed(parsed));
            }
            // Replayed by the restored state: its notes are the stored ones.
            None => run.notices.extend(state.file_notes[i].iter().map(|(line, message)| Notice {
                warning: false,
                path: Some(file.display.clone()),
                line: Some(*line),
                message: message.clone(),
            })),
        }
        match found {
            Ok(_) if !config.suppressions => {}
            Ok(found) => suppressions.extend(found),
            Err(error) => {
                return Err(CheckError(format!(
                    "{}:{}: {}; fix the `neonlint-ignore` comment",
                    file.display, error.line, error.message
                )));
            }
        }
        if let Some(error) = unreadable {
            run.unreadable.push(UnreadableFile { display: file.display.clone(), error });
        }
        run.files.push(File { id, path: file.path.clone(), display: file.display.clone(), text });
    }
    // The state after the last file, for the next changed-files run with one more file (the
    // pre-commit hook on the next migration); a whole-folder run has no use for it.
    if let Some(cache) = cache
        && extra.is_none()
        && selection.only.is_some()
        && keyed_right
        && state.file_notes.len() == file_count
    {
        let stored = cache.store_state(&state_key(file_count, &BTreeSet::new()), &replay, &state);
        // With the files' stamps, so that the next run on one more file need not read them.
        if stored && let Some(files) = to_known.iter().cloned().collect::<Option<Vec<_>>>() {
            cache.store_known_files(&known_files_key(file_count), files);
        }
    }
    // The entry read held no more, or needed rewriting once its racy files were compared.
    if let Some(cache) = cache
        && prefix > 0
        && store_prefix_entry
        && let Some(files) =
            to_known.get(..prefix).and_then(|files| files.iter().cloned().collect::<Option<Vec<_>>>())
    {
        cache.store_known_files(&known_files_key(prefix), files);
    }
    if let Some(extra) = extra {
        let parsed = sql::parse_file(extra);
        replay.outside_history(FileId(u32::MAX), &parsed.statements);
    }
    // A changed-files run looks at the touches of the chosen files (its filter and focus)
    // and of the files with suppression comments (what their statements cover) only.
    let (catalog, touches) = match &chosen {
        Some(chosen) => {
            let mut looked_at = chosen.clone();
            looked_at.extend(suppressions.iter().filter_map(Suppression::file));
            replay.finish_with_touches_of(|file| looked_at.contains(&file))
        }
        None => replay.finish_with_touches(),
    };
    // With nothing replayed there is nothing to check: the catalog-wide rules (NL004) would
    // only describe an empty database. `source` already said why nothing was found.
    let replayed_nothing = state.statement_count == 0 && extra.is_none();
    // Changed-files mode reports findings about the relations the chosen files touch, and
    // findings located in them, which are about relations they touch too: the relation
    // rules need run on those only.
    let focused;
    let settings = match &chosen {
        Some(chosen) => {
            let mut tables: HashSet<TableId> = HashSet::new();
            let mut sequences: HashSet<(&str, &str)> = HashSet::new();
            for touch in touches.iter().filter(|touch| chosen.contains(&touch.file)) {
                match &touch.object {
                    Touched::Table { schema, name } => tables.extend(catalog.table_id(schema, name)),
                    Touched::Sequence { schema, name } => {
                        sequences.insert((schema, name));
                    }
                    _ => {}
                }
            }
            // NL008 reports a sequence while checking the tables that draw from it.
            if !sequences.is_empty() {
                for table in catalog.tables() {
                    let draws = table.columns.iter().any(|column| {
                        catalog
                            .column_sequence(column)
                            .is_some_and(|sequence| sequences.contains(&(&sequence.schema, &sequence.name)))
                    });
                    if draws {
                        tables.insert(table.id);
                    }
                }
            }
            focused = Settings { focus: Some(Arc::new(tables)), ..settings.clone() };
            &focused
        }
        None => settings,
    };
    let mut found = if replayed_nothing { Vec::new() } else { rules::check(&catalog, settings) };
    // Dropped as soon as the rules have run unless the caller wants it: a large schema's
    // catalog need not be held at the same time as its findings and the report.
    // Freeing a catalog of tens of thousands of tables takes a tenth of a second: another
    // thread does it while this one goes on (if no thread can start, this one does).
    let catalog = if keep_catalog {
        Some(catalog)
    } else {
        let _ = std::thread::Builder::new().name("drop-catalog".into()).spawn(move || drop(catalog));
        None
    };
    // Findings about a whole migration file (NL017) are named by the file.
    for finding in
        found.iter_mut().filter(|f| f.object.kind == ObjectKind::Statement && f.object.name.is_empty())
    {
        if let Some(file) = finding.location.and_then(|span| run.file(span.file)) {
            finding.object.name = file.display.clone();
        }
    }
    append(&mut findings, found);
    findings = suppress::apply(findings, &mut suppressions, &touches);
    findings = suppress::apply(findings, config_suppressions, &touches);

    Ok(SetResult { findings, touches, suppressions, catalog, chosen })
}

/// The findings changed-files mode reports: located in a chosen file, or about an object
/// a statement of a chosen file touched. The touches of the chosen files are indexed once,
/// so the filter is linear in findings plus touches.
fn in_changed_files(findings: Vec<Finding>, chosen: &HashSet<FileId>, touches: &[Touch]) -> Vec<Finding> {
    let touched = TouchIndex::new(touches.iter().filter(|touch| chosen.contains(&touch.file)));
    findings
        .into_iter()
        .filter(|finding| {
            finding
                .location
                .is_some_and(|span| chosen.contains(&span.file) || touched.covers(&finding.object))
        })
        .collect()
}

/// The positions in `paths` of the files the user named in `only`.
fn chosen_indices(only: &[PathBuf], paths: &[&Path]) -> Vec<usize> {
    let named: HashSet<&Path> = only.iter().map(PathBuf::as_path).collect();
    let mut canonical_named: Option<HashSet<PathBuf>> = None;
    (0..paths.len())
        .filter(|&i| {
            let path = paths[i];
            if named.contains(path) {
                return true;
            }
            // Spelled differently (`./x.sql`, a symlink): compare canonical paths, but only
            // for files whose name matches one the user gave.
            let name = path.file_name();
            if !only.iter().any(|given| given.file_name() == name) {
                return false;
            }
            let canonical_named = canonical_named
                .get_or_insert_with(|| only.iter().filter_map(|given| given.canonicalize().ok()).collect());
            path.canonicalize().is_ok_and(|path| canonical_named.contains(&path))
        })
        .collect()
}

/// `more` added to `into` without a copy when `into` is empty, and without spare capacity
/// otherwise: findings can number in the hundreds of thousands.
fn append(into: &mut Vec<Finding>, more: Vec<Finding>) {
    if into.is_empty() {
        *into = more;
    } else {
        into.reserve_exact(more.len());
        into.extend(more);
    }
}

/// Reads one file, fills in its placeholders and cuts its "up" part. One that cannot be
/// read (see `UnreadableFile`) replays as empty.
fn prepare(path: &Path, layout: Layout, placeholders: &Placeholders, id: FileId, stamped: bool) -> Prepared {
    // Taken before reading: a change after it gives the next run another stamp.
    let stamp = if stamped { cache::stamp(path) } else { None };
    let (text, placeholder_note) = match read_text(path, layout, placeholders) {
        (text, Ok(note)) => (text, note),
        (text, Err(error)) => {
            return Prepared {
                text: FileText::Read(text),
                up: String::new(),
                digest: cache::digest(""),
                unreadable: Some(error),
                suppressions: Ok(Vec::new()),
                placeholder_note: None,
                stamp,
            };
        }
    };
    let up = source::up_part(layout, &text).into_owned();
    let digest = cache::digest(&up);
    let suppressions = suppress::from_comments(id, &up);
    Prepared {
        text: FileText::Read(text),
        up,
        digest,
        unreadable: None,
        suppressions,
        placeholder_note,
        stamp,
    }
}

/// The text of the file at `path` with its placeholders filled in, and the note they give;
/// an empty text and the error when it cannot be read.
fn read_text(
    path: &Path,
    layout: Layout,
    placeholders: &Placeholders,
) -> (Arc<str>, Result<Option<String>, InputError>) {
    let text = match input::read_bytes(path, input::MIGRATION_LIMIT).and_then(input::decode) {
        Ok(text) => text,
        Err(error) => return (Arc::from(""), Err(error)),
    };
    let substituted = placeholders.apply(layout, &text);
    let note = substituted.note();
    let text = match substituted.text {
        std::borrow::Cow::Owned(replaced) => Arc::from(replaced),
        std::borrow::Cow::Borrowed(_) => Arc::from(text),
    };
    (text, Ok(note))
}

/// What `sql::parse_file` makes of a prepared file, from the parse cache when there is one.
fn parse(file: &Prepared, cache: Option<&cache::ParseCache>) -> ParsedFile {
    match cache {
        Some(cache) => cache.parse_digested(&file.up, &file.digest),
        None => sql::parse_file(&file.up),
    }
}

/// The notes a file's parse gives (`DO` blocks and includes not analyzed), by line.
fn not_analyzed(parsed: &ParsedFile) -> Vec<(u32, String)> {
    parsed
        .problems
        .iter()
        .filter(|problem| problem.kind == ProblemKind::NotAnalyzed)
        .map(|problem| (problem.location.line, problem.message.clone()))
        .collect()
}

/// Parse errors are NL000 findings; `DO` blocks and includes are notices.
fn problem_findings(
    display: &str,
    file: FileId,
    parsed: &ParsedFile,
    notices: &mut Vec<Notice>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for problem in &parsed.problems {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The changed-files filter before it was indexed: every finding against every touch.
    /// Kept as the definition the indexed filter must match.
    fn scan_filter(findings: &[Finding], chosen: &HashSet<FileId>, touches: &[Touch]) -> Vec<Finding> {
        findings
            .iter()
            .filter(|finding| {
                finding.location.is_some_and(|span| {
                    chosen.contains(&span.file)
                        || touches.iter().any(|touch| {
                            chosen.contains(&touch.file)
                                && crate::touches::touches_object(&touch.object, &finding.object)
                        })
                })
            })
            .cloned()
            .collect()
    }

    /// Every fixture folder holding a migrations project.
    fn fixture_projects() -> Vec<PathBuf> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut projects = vec![root.join("demo")];
        for group in ["rules", "layouts", "fix-safety"] {
            for entry in std::fs::read_dir(root.join(group)).unwrap() {
                let path = entry.unwrap().path();
                match (group, path.is_dir()) {
                    (_, false) => {}
                    ("rules", true) => projects.extend([path.join("bad"), path.join("good")]),
                    (_, true) => projects.push(path),
                }
            }
        }
        projects
    }

    fn codes(findings: &[Finding]) -> Vec<String> {
        findings
            .iter()
            .map(|f| format!("{} {} {:?}", f.rule.code, suppress::object_key(&f.object), f.location))
            .collect()
    }

    /// Issue 17: the indexed filter must report exactly what the scan reported, for every
    /// file of every fixture, both on the filter alone and through `run` (where the rules
    /// check only the relations the file touches: `Settings::focus`).
    #[test]
    fn changed_files_filter_matches_the_scan_on_every_fixture() {
        let config = Config::default();
        let settings = config.settings();
        let mut compared = 0;
        let mut kept = 0;
        for project in fixture_projects() {
            let full = source::discover(&project, None).unwrap();
            let mut analysed = Run::default();
            let mut config_suppressions = Vec::new();
            let result =
                analyse_set(&mut analysed, &full, &config, &settings, None, &mut config_suppressions, true)
                    .unwrap();
            for file in &analysed.files {
                let chosen = HashSet::from([file.id]);
                let mut indexed = in_changed_files(result.findings.clone(), &chosen, &result.touches);
                let mut scanned = scan_filter(&result.findings, &chosen, &result.touches);
                assert_eq!(codes(&indexed), codes(&scanned), "{}: filter differs", file.display);

                let one = source::discover(&file.path, None).unwrap();
                assert!(one.only.is_some(), "{} selects one file", file.display);
                let mut through_run = run(&[one], &config, None).unwrap().findings;
                through_run.retain(|finding| finding.rule.code != "NL900");
                apply_levels(&mut scanned, &config);
                assert_eq!(codes(&through_run), codes(&scanned), "{}: `check FILE` differs", file.display);
                apply_levels(&mut indexed, &config);
                compared += 1;
                kept += indexed.len();
            }
        }
        assert!(compared > 50, "the fixtures have many files ({compared})");
        assert!(kept > 20, "the filter keeps findings on the fixtures ({kept})");
    }

    fn cached_config(root: &Path) -> Config {
        let mut cached = Config::default();
        let cache = crate::cache::ParseCache::open(root).unwrap().trusting_stamps_at_once();
        cached.parse_cache = Some(Arc::new(cache));
        cached
    }

    fn notices(run: &Run) -> Vec<String> {
        run.notices.iter().map(|n| format!("{:?}", (&n.path, n.line, &n.message))).collect()
    }

    /// The text each finding's file shows in a report, read or left unread.
    fn finding_texts(run: &Run) -> Vec<Arc<str>> {
        run.findings.iter().filter_map(|f| Some(run.file(f.location?.file)?.text())).collect()
    }

    /// Issue 17: checking one file with the prefix-state cache (a miss that stores the
    /// state and the earlier files' stamps, then hits that restore the state and leave the
    /// earlier files unread) reports exactly what checking it without a cache does,
    /// findings, notices and the texts reports quote, on every file of every fixture.
    #[test]
    fn a_restored_prefix_state_gives_the_same_run() {
        let root = tempfile::tempdir().unwrap();
        let plain = Config::default();
        let cached = cached_config(root.path());
        let (mut restored, mut unread) = (0, 0);
        for project in fixture_projects() {
            let full = source::discover(&project, None).unwrap();
            for (position, file) in full.set.files.iter().enumerate() {
                let one = || source::discover(&file.path, None).unwrap();
                let expected = run(&[one()], &plain, None).unwrap();
                for round in 0..3 {
                    let got = run(&[one()], &cached, None).unwrap();
                    let what = format!("{} (round {round})", file.display);
                    assert_eq!(codes(&got.findings), codes(&expected.findings), "{what}: findings differ");
                    assert_eq!(notices(&got), notices(&expected), "{what}: notices differ");
                    assert_eq!(got.statement_count, expected.statement_count, "{what}");
                    assert_eq!(finding_texts(&got), finding_texts(&expected), "{what}: texts differ");
                    if round > 0 {
                        unread +=
                            got.files.iter().filter(|f| matches!(f.text, FileText::Unread { .. })).count();
                    }
                }
                restored += usize::from(position > 0);
            }
        }
        assert!(restored > 30, "files after the first were checked from a stored state ({restored})");
        assert!(unread > 100, "earlier files were left unread ({unread})");
    }

    /// A file before the chosen one that changes after a run is read again, whatever its
    /// size: the stamp holds its change time. Same length, other meaning.
    #[test]
    fn an_earlier_file_changed_after_a_run_is_read_again() {
        let folder = crate::source::test_support::folder_with(&[
            (
                "supabase/migrations/20240101000000_a.sql",
                "CREATE TABLE public.a (id int);\nCREATE TABLE public.b (id int);\n",
            ),
            ("supabase/migrations/20240102000000_b.sql", "ALTER TABLE public.a ENABLE ROW LEVEL SECURITY;\n"),
            ("supabase/migrations/20240103000000_c.sql", "ALTER TABLE public.a ADD COLUMN note text;\n"),
        ]);
        let migrations = folder.path().join("supabase/migrations");
        let newest = migrations.join("20240103000000_c.sql");
        let root = tempfile::tempdir().unwrap();
        let cached = cached_config(root.path());
        let check = |config: &Config| {
            let got = run(&[source::discover(&newest, None).unwrap()], config, None).unwrap();
            (
                codes(&got.findings),
                got.files.iter().filter(|f| matches!(f.text, FileText::Unread { .. })).count(),
            )
        };
        let (before, _) = check(&cached);
        let (again, unread) = check(&cached);
        assert_eq!(again, before);
        assert_eq!(unread, 2, "the two earlier files were left unread");
        // The same length: RLS is now on `b`, and off on `a`, which the newest file alters.
        let changed = migrations.join("20240102000000_b.sql");
        std::fs::write(&changed, "ALTER TABLE public.b ENABLE ROW LEVEL SECURITY;\n").unwrap();
        // Within one tick of a coarse file-system clock the times could stay the same (the
        // racy case `cache::KnownFiles::racy` covers); an old modification time, as `tar`
        // or `rsync -a` leave, makes the stamp differ here for sure.
        let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
        std::fs::File::options().write(true).open(&changed).unwrap().set_modified(old).unwrap();
        let (after, unread) = check(&cached);
        let (expected, _) = check(&Config::default());
        assert_eq!(unread, 0, "a changed stamp reads the files again");
        assert_eq!(after, expected);
        assert_ne!(after, before, "the change shows: {after:?}");
    }
}
