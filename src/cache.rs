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
//! Changed-files runs also keep the replay state before the first chosen file (`state-*`,
//! `load_state`) and what they need of the files before it to leave them unread while their
//! stamps hold (`files-*`, `known_files`).
//!
//! The cache can make a run faster, never different: any failure (no home directory, a
//! read-only disk, a damaged or foreign entry) falls back to parsing the text.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use std::collections::BTreeSet;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::check::PrefixState;
use crate::replay::Replay;
use crate::sql::{self, ParsedFile};

/// The first bytes of every entry, with the format's version.
const MAGIC: &[u8] = b"neonlint parse cache 1\n";

#[derive(Debug)]
pub struct ParseCache {
    dir: PathBuf,
    /// How long after a change a file's stamp is not trusted alone (`KnownFiles::racy`).
    racy_window: Duration,
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
        Some(ParseCache { dir, racy_window: RACY_WINDOW })
    }

    /// `sql::parse_file(text)`, from the cache when an entry for this text exists; else
    /// parsed and stored.
    pub fn parse(&self, text: &str) -> ParsedFile {
        self.parse_digested(text, &digest(text))
    }

    /// `parse` for a text whose `digest` is known.
    pub fn parse_digested(&self, text: &str, digest: &[u8; 32]) -> ParsedFile {
        let path = self.dir.join(hex(digest));
        if let Some(parsed) = read_entry(&path, MAGIC) {
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
    fn write_entry(&self, path: &Path, magic: &[u8], body: &[u8]) -> bool {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let temporary =
            self.dir.join(format!(".tmp-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)));
        let written = fs::File::create(&temporary).and_then(|mut file| {
            file.write_all(magic)?;
            file.write_all(body)
        });
        if written.is_err() || fs::rename(&temporary, path).is_err() {
            let _ = fs::remove_file(&temporary);
            return false;
        }
        true
    }

    /// The replay state stored under `key` (see `state_key`), with what replaying those
    /// files left besides it; `None` when there is none or it cannot be read.
    pub fn load_state(&self, key: &str) -> Option<(Replay, PrefixState)> {
        let path = self.dir.join(format!("{STATE_PREFIX}{key}"));
        let state = read_entry(&path, STATE_MAGIC)?;
        // Used: the newest states are the ones kept (`store_state`).
        mark_used(&path);
        Some(state)
    }

    /// Stores the state of `replay` under `key` unless one is there, then keeps only the
    /// `STATES_KEPT` most recently used states: each holds a whole replayed catalog.
    /// Whether it stored one.
    pub fn store_state(&self, key: &str, replay: &Replay, state: &PrefixState) -> bool {
        let path = self.dir.join(format!("{STATE_PREFIX}{key}"));
        if path.exists() {
            return false;
        }
        let Ok(body) = postcard::to_stdvec(&(replay, state)) else { return false };
        let written = self.write_entry(&path, STATE_MAGIC, &body);
        self.keep_newest(STATE_PREFIX, STATES_KEPT);
        written
    }

    /// Tests trust stamps at once: their files were written a moment ago.
    #[cfg(test)]
    pub fn trusting_stamps_at_once(mut self) -> ParseCache {
        self.racy_window = Duration::ZERO;
        self
    }

    /// The files stored under `key` by `store_known_files`, when every one of `paths` still
    /// has the stamp it had then; `None` when there is no entry, it cannot be read, or a file
    /// changed (or cannot be looked at). The files whose stamps cannot be trusted alone (see
    /// `KnownFiles::racy`) are the caller's to read and compare.
    pub fn known_files(&self, key: &str, paths: &[&Path]) -> Option<KnownFiles> {
        let path = self.dir.join(format!("{FILES_PREFIX}{key}"));
        let known: KnownFiles = read_entry(&path, FILES_MAGIC)?;
        if known.files.len() != paths.len() {
            return None;
        }
        let unchanged = known.files.par_iter().zip(paths).all(|(file, path)| stamp(path) == Some(file.stamp));
        if !unchanged {
            return None;
        }
        mark_used(&path);
        Some(known)
    }

    /// Stores what a run needs of `files` (whose stamps were taken before they were read)
    /// under `key`, and keeps the most recently used such entries only.
    pub fn store_known_files(&self, key: &str, files: Vec<KnownFile>) {
        let path = self.dir.join(format!("{FILES_PREFIX}{key}"));
        let known = KnownFiles { written: since_epoch(SystemTime::now()), files };
        let Ok(body) = postcard::to_stdvec(&known) else { return };
        self.write_entry(&path, FILES_MAGIC, &body);
        self.keep_newest(FILES_PREFIX, FILES_KEPT);
    }

    /// Removes all but the `keep` most recently used entries whose names start with `prefix`.
    fn keep_newest(&self, prefix: &str, keep: usize) {
        let Ok(entries) = fs::read_dir(&self.dir) else { return };
        let mut found: Vec<(SystemTime, PathBuf)> = entries
            .flatten()
            .filter(|entry| entry.file_name().to_str().is_some_and(|name| name.starts_with(prefix)))
            .filter_map(|entry| Some((entry.metadata().ok()?.modified().ok()?, entry.path())))
            .collect();
        found.sort_by_key(|entry| std::cmp::Reverse(entry.0));
        for (_, old) in found.into_iter().skip(keep) {
            let _ = fs::remove_file(old);
        }
    }
}

/// What a changed-files run needs of the files before the first chosen one when their
/// texts are the ones an earlier run read: their digests (the prefix state's key) and the
/// notes their reading gave. A file is taken to be unchanged while its stamp is (size,
/// modification and change times, inode, device), as git's index does.
#[derive(serde::Serialize, serde::Deserialize)]
pub struct KnownFiles {
    /// When the entry was written, in nanoseconds since the epoch.
    written: i128,
    pub files: Vec<KnownFile>,
}

impl KnownFiles {
    /// The positions of the files whose stamps do not prove them unchanged: changed less
    /// than `RACY_WINDOW` before the entry was written, so a second change within the
    /// file system's timestamp granularity could have kept the stamp (git's "racy" files).
    /// The caller reads them and compares digests; an entry written later no longer lists
    /// them.
    pub fn racy(&self, cache: &ParseCache) -> Vec<usize> {
        let window = cache.racy_window.as_nanos() as i128;
        (0..self.files.len())
            .filter(|&i| {
                let stamp = &self.files[i].stamp;
                stamp.modified.max(stamp.changed) + window > self.written
            })
            .collect()
    }
}

/// One file of `KnownFiles`.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
pub struct KnownFile {
    pub stamp: Stamp,
    /// The SHA-256 of the part of the text that runs (`digest`).
    pub digest: [u8; 32],
    /// The note its placeholders gave, if any.
    pub placeholder_note: Option<String>,
    /// Whether it must be read anyway: it holds suppression comments.
    pub read_again: bool,
}

/// A file's metadata, by which `KnownFiles` tells that it has not changed. The change time
/// (`ctime`) cannot be set back by a program: any write, rename or copy over the file moves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    len: u64,
    modified: i128,
    changed: i128,
    inode: u64,
    device: u64,
}

/// The stamp of the regular file at `path` (links followed); `None` when it cannot be
/// looked at, or on a system without change times and inodes (there every run reads the files).
pub fn stamp(path: &Path) -> Option<Stamp> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let metadata = fs::metadata(path).ok()?;
        let nanos = |seconds: i64, nanos: i64| i128::from(seconds) * 1_000_000_000 + i128::from(nanos);
        metadata.is_file().then(|| Stamp {
            len: metadata.len(),
            modified: nanos(metadata.mtime(), metadata.mtime_nsec()),
            changed: nanos(metadata.ctime(), metadata.ctime_nsec()),
            inode: metadata.ino(),
            device: metadata.dev(),
        })
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

fn since_epoch(time: SystemTime) -> i128 {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => after.as_nanos() as i128,
        Err(before) => -(before.duration().as_nanos() as i128),
    }
}

/// How long after a file's last change its stamp is not trusted alone: more than any file
/// system's timestamp granularity (FAT's is 2 seconds).
const RACY_WINDOW: Duration = Duration::from_secs(3);
const FILES_MAGIC: &[u8] = b"neonlint known files 1\n";
const FILES_PREFIX: &str = "files-";
/// `KnownFiles` entries kept: small, one per folder and first changed file.
const FILES_KEPT: usize = 8;

/// The key of the `KnownFiles` of a set's first `paths.len()` files: the replay options,
/// the set's first id, the placeholders and layout that turn a file into what is parsed
/// (their `Debug` forms, in `reading`), and the files' paths in order.
pub fn known_files_key(options: &str, first_id: usize, reading: &str, paths: &[&Path]) -> String {
    let mut key = Key::default();
    key.field(b"known files").field(options.as_bytes()).field(&(first_id as u64).to_le_bytes());
    key.field(reading.as_bytes());
    for path in paths {
        key.field(path.as_os_str().as_encoded_bytes());
    }
    key.finish()
}

/// The first bytes of every replay-state entry, with the format's version.
const STATE_MAGIC: &[u8] = b"neonlint prefix state 2\n";
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
    let mut key = Key::default();
    key.field(options.as_bytes())
        .field(&(first_id as u64).to_le_bytes())
        .field(&(files.len() as u64).to_le_bytes());
    for file in files {
        key.field(file);
    }
    for schema in later_schemas {
        key.field(schema.as_bytes());
    }
    key.finish()
}

/// The entry at `path`: `magic`, then one postcard value and nothing after it; `None` when
/// it is missing, damaged or of another format.
fn read_entry<T: serde::de::DeserializeOwned>(path: &Path, magic: &[u8]) -> Option<T> {
    let bytes = fs::read(path).ok()?;
    match postcard::take_from_bytes::<T>(bytes.strip_prefix(magic)?) {
        Ok((value, [])) => Some(value),
        _ => None,
    }
}

/// Marks the entry at `path` as just used: the most recently used entries are kept.
fn mark_used(path: &Path) {
    if let Ok(file) = fs::File::options().append(true).open(path) {
        let _ = file.set_modified(SystemTime::now());
    }
}

/// The SHA-256 of length-prefixed fields, in hex: a key no two field lists share.
#[derive(Default)]
struct Key(Sha256);

impl Key {
    fn field(&mut self, bytes: &[u8]) -> &mut Key {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    fn finish(self) -> String {
        hex(&self.0.finalize())
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

    /// Known files come back while every stamp holds; a file changed within the racy window
    /// before the entry was written is listed for reading.
    #[cfg(unix)]
    #[test]
    fn known_files_hold_while_their_stamps_do_and_recent_ones_are_racy() {
        let root = tempfile::tempdir().unwrap();
        let folder = tempfile::tempdir().unwrap();
        let paths: Vec<PathBuf> = (0..3).map(|i| folder.path().join(format!("{i}.sql"))).collect();
        for path in &paths {
            fs::write(path, "SELECT 1;\n").unwrap();
        }
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        fs::File::options().write(true).open(&paths[0]).unwrap().set_modified(old).unwrap();
        let refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
        let known = |path: &Path| KnownFile {
            stamp: stamp(path).unwrap(),
            digest: digest("SELECT 1;\n"),
            placeholder_note: None,
            read_again: false,
        };
        let cache = ParseCache::open(root.path()).unwrap();
        cache.store_known_files("k", refs.iter().map(|path| known(path)).collect());
        let found = cache.known_files("k", &refs).expect("nothing changed");
        // Written a moment ago, files 1 and 2 are racy; file 0 was changed (its change time)
        // a moment ago too, whatever its modification time says.
        assert_eq!(found.racy(&cache), vec![0, 1, 2]);
        assert!(found.racy(&cache.trusting_stamps_at_once()).is_empty());
        let cache = ParseCache::open(root.path()).unwrap();
        assert!(cache.known_files("other key", &refs).is_none());
        assert!(cache.known_files("k", &refs[..2]).is_none(), "another number of files");
        fs::write(&paths[2], "SELECT 2;\n").unwrap();
        fs::File::options().write(true).open(&paths[2]).unwrap().set_modified(old).unwrap();
        assert!(cache.known_files("k", &refs).is_none(), "a changed file");
    }
}
