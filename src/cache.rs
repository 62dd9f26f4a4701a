//! The parse cache: what `sql::parse_file` made of a migration's text, kept on disk under
//! the text's SHA-256, so that a run that replays a whole folder to check one changed file
//! (the pre-commit hook, `--changed-since`) parses only what changed since the last run.
//!
//! Where: `NEONLINT_CACHE_DIR`, else `$XDG_CACHE_HOME/neonlint`, else `~/.cache/neonlint`;
//! `--no-cache` (or `NEONLINT_CACHE_DIR=off`) turns it off. Entries live in
//! `parse-<build>/`, where `<build>` names this executable (version, size, modification
//! time): another build never reads them, and the first run of a new build removes the
//! directories of the others. Each entry is written to a temporary file and renamed into
//! place, so a reader sees a whole entry or none, whatever runs at the same time.
//!
//! The cache can make a run faster, never different: any failure (no home directory, a
//! read-only disk, a damaged or foreign entry) falls back to parsing the text.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use std::collections::BTreeSet;

use sha2::{Digest, Sha256};

use crate::check::PrefixState;
use crate::replay::Replay;
use crate::sql::{self, ParsedFile};

/// The first bytes of every entry, with the format's version.
const MAGIC: &[u8] = b"neonlint parse cache 1\n";

#[derive(Debug)]
pub struct ParseCache {
    dir: PathBuf,
}

impl ParseCache {
    /// The cache under the default root (see the module documentation); `None` when it is
    /// turned off or no directory can be made.
    pub fn open_default() -> Option<ParseCache> {
        ParseCache::open(&default_root()?)
    }

    /// The cache of this build under `root`, created if missing.
    pub fn open(root: &Path) -> Option<ParseCache> {
        let build = build_name()?;
        let dir = root.join(format!("parse-{build}"));
        if !dir.is_dir() {
            create_private_dir(&dir).ok()?;
            remove_other_builds(root, &dir);
        }
        Some(ParseCache { dir })
    }

    /// `sql::parse_file(text)`, from the cache when an entry for this text exists; else
    /// parsed and stored.
    pub fn parse(&self, text: &str) -> ParsedFile {
        self.parse_digested(text, &digest(text))
    }

    /// `parse` for a text whose `digest` is known.
    pub fn parse_digested(&self, text: &str, digest: &[u8; 32]) -> ParsedFile {
        let path = self.dir.join(hex(digest));
        if let Some(parsed) = fs::read(&path).ok().and_then(|bytes| decode(&bytes)) {
            return parsed;
        }
        let parsed = sql::parse_file(text);
        self.store(&path, &parsed);
        parsed
    }

    fn store(&self, path: &Path, parsed: &ParsedFile) {
        let Ok(body) = postcard::to_stdvec(parsed) else { return };
        self.write_entry(path, MAGIC, &body);
    }

    /// Writes `magic` then `body` to a temporary file renamed to `path`: a reader sees a
    /// whole entry or none.
    fn write_entry(&self, path: &Path, magic: &[u8], body: &[u8]) {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let temporary =
            self.dir.join(format!(".tmp-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
        let written = fs::File::create(&temporary).and_then(|mut file| {
            file.write_all(magic)?;
            file.write_all(body)
        });
        if written.is_err() || fs::rename(&temporary, path).is_err() {
            let _ = fs::remove_file(&temporary);
        }
    }

    /// The replay state stored under `key` (see `state_key`), with what replaying those
    /// files left besides it; `None` when there is none or it cannot be read.
    pub fn load_state(&self, key: &str) -> Option<(Replay, PrefixState)> {
        let path = self.dir.join(format!("{STATE_PREFIX}{key}"));
        let bytes = fs::read(&path).ok()?;
        let body = bytes.strip_prefix(STATE_MAGIC)?;
        let (state, rest) = postcard::take_from_bytes::<(Replay, PrefixState)>(body).ok()?;
        if !rest.is_empty() {
            return None;
        }
        // Used: the newest states are the ones kept (`store_state`).
        if let Ok(file) = fs::File::options().append(true).open(&path) {
            let _ = file.set_modified(std::time::SystemTime::now());
        }
        Some(state)
    }

    /// Stores the state of `replay` under `key` unless one is there, then keeps only the
    /// `STATES_KEPT` most recently used states: each holds a whole replayed catalog.
    pub fn store_state(&self, key: &str, replay: &Replay, state: &PrefixState) {
        let path = self.dir.join(format!("{STATE_PREFIX}{key}"));
        if path.exists() {
            return;
        }
        let Ok(body) = postcard::to_stdvec(&(replay, state)) else { return };
        self.write_entry(&path, STATE_MAGIC, &body);
        let Ok(entries) = fs::read_dir(&self.dir) else { return };
        let mut states: Vec<(std::time::SystemTime, PathBuf)> = entries
            .flatten()
            .filter(|entry| entry.file_name().to_str().is_some_and(|name| name.starts_with(STATE_PREFIX)))
            .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
            .collect();
        states.sort_by_key(|state| std::cmp::Reverse(state.0));
        for (_, old) in states.into_iter().skip(STATES_KEPT) {
            let _ = fs::remove_file(old);
        }
    }
}

/// The first bytes of every replay-state entry, with the format's version.
const STATE_MAGIC: &[u8] = b"neonlint prefix state 1\n";
const STATE_PREFIX: &str = "state-";
/// Replay states kept: the one before the file being edited and the one after the newest
/// file, for two or so folders.
const STATES_KEPT: usize = 4;

/// The SHA-256 of a migration's text: the key of its parse.
pub fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// The key of the replay state after the first `files.len()` files of a set, given by the
/// digests of their texts in order: the replay options (`options`, their `Debug` form),
/// the id of the set's first file (findings and touches name files by id), those files,
/// and the schemas a plain `CREATE SCHEMA` in a later file creates (read ahead: replay
/// treats them as absent until then).
pub fn state_key(
    options: &str,
    first_id: usize,
    files: &[[u8; 32]],
    later_schemas: &BTreeSet<String>,
) -> String {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    field(options.as_bytes());
    field(&(first_id as u64).to_le_bytes());
    field(&(files.len() as u64).to_le_bytes());
    for file in files {
        field(file);
    }
    for schema in later_schemas {
        field(schema.as_bytes());
    }
    hex(&hasher.finalize())
}

fn decode(bytes: &[u8]) -> Option<ParsedFile> {
    let body = bytes.strip_prefix(MAGIC)?;
    match postcard::take_from_bytes::<ParsedFile>(body) {
        Ok((parsed, [])) => Some(parsed),
        _ => None,
    }
}

/// `NEONLINT_CACHE_DIR` (`off` or empty: no cache), else `$XDG_CACHE_HOME/neonlint`, else
/// `$HOME/.cache/neonlint`.
pub fn default_root() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("NEONLINT_CACHE_DIR") {
        return (!dir.is_empty() && dir != "off").then(|| PathBuf::from(dir));
    }
    let base = std::env::var_os("XDG_CACHE_HOME").filter(|dir| !dir.is_empty()).map(PathBuf::from).or_else(
        || std::env::var_os("HOME").filter(|dir| !dir.is_empty()).map(|home| Path::new(&home).join(".cache")),
    )?;
    Some(base.join("neonlint"))
}

/// This executable, as a name: its version and a hash of its size and modification time,
/// so that a rebuilt binary (whose parser may read a statement differently) starts afresh.
fn build_name() -> Option<String> {
    let metadata = fs::metadata(std::env::current_exe().ok()?).ok()?;
    let modified = metadata.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    let mut hasher = Sha256::new();
    hasher.update(metadata.len().to_le_bytes());
    hasher.update(modified.as_nanos().to_le_bytes());
    let digest = hasher.finalize();
    Some(format!("{}-{}", env!("CARGO_PKG_VERSION"), &hex(&digest)[..16]))
}

/// The directory and its missing parents, readable by the user only (on Unix): entries hold
/// what the migrations say.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Removes `parse-*` directories of other builds; ignores what it cannot remove.
fn remove_other_builds(root: &Path, keep: &Path) {
    let Ok(entries) = fs::read_dir(root) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let ours = entry.file_name().to_str().is_some_and(|name| name.starts_with("parse-"));
        if ours && path != keep && path.is_dir() {
            let _ = fs::remove_dir_all(&path);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQL: &str = "CREATE TABLE public.t (id int, user_id text);\n\
                       ALTER TABLE public.t ENABLE ROW LEVEL SECURITY;\n\
                       CREATE POLICY p ON public.t USING ((select auth.user_id()) = user_id);\n\
                       CREATE TABLE broken (id int,,);\n";

    fn same(a: &ParsedFile, b: &ParsedFile) -> bool {
        a.statements == b.statements && a.problems == b.problems && a.statement_count == b.statement_count
    }

    #[test]
    fn an_entry_gives_back_what_the_parser_gave() {
        let root = tempfile::tempdir().unwrap();
        let cache = ParseCache::open(root.path()).unwrap();
        let parsed = cache.parse(SQL);
        assert!(same(&parsed, &sql::parse_file(SQL)));
        let entries: Vec<_> = fs::read_dir(&cache.dir).unwrap().flatten().collect();
        assert_eq!(entries.len(), 1, "one entry, no temporary file left");
        // Read back from the entry, not parsed again.
        let again = cache.parse(SQL);
        assert!(same(&again, &parsed));
        assert!(!parsed.problems.is_empty(), "the parse error is kept too");
    }

    #[test]
    fn a_damaged_entry_is_parsed_again_and_replaced() {
        let root = tempfile::tempdir().unwrap();
        let cache = ParseCache::open(root.path()).unwrap();
        cache.parse(SQL);
        let entry = fs::read_dir(&cache.dir).unwrap().flatten().next().unwrap().path();
        let whole = fs::read(&entry).unwrap();
        for damaged in [&whole[..whole.len() - 3], &whole[MAGIC.len()..], b"garbage".as_slice()] {
            fs::write(&entry, damaged).unwrap();
            assert!(same(&cache.parse(SQL), &sql::parse_file(SQL)));
            assert_eq!(fs::read(&entry).unwrap(), whole, "the entry is written again");
        }
    }

    #[test]
    fn other_builds_are_removed_and_an_unwritable_root_only_costs_speed() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("parse-0.0.1-old")).unwrap();
        fs::create_dir_all(root.path().join("unrelated")).unwrap();
        let cache = ParseCache::open(root.path()).unwrap();
        assert!(!root.path().join("parse-0.0.1-old").exists());
        assert!(root.path().join("unrelated").exists());
        assert!(cache.dir.is_dir());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&cache.dir).unwrap().permissions().mode() & 0o077, 0, "private");
        }
        // A root that cannot hold a directory (a file): no cache at all.
        let file = root.path().join("a-file");
        fs::write(&file, "").unwrap();
        assert!(ParseCache::open(&file).is_none());
    }
}
