//! Finding migration files: which folder, which layout, which files, in which order.
//!
//! `discover` turns a path the user gave (a project root, a migrations folder, or a file in
//! one) into a `MigrationSet`: the files the layout's tool would run, in the order it would
//! run them, with a `Notice` for everything it left out or could not order with certainty.
//! `up_part` keeps the part of a file that runs when migrating up (dbmate's `-- migrate:up`
//! half). This module knows no SQL beyond dbmate's two marker comments, never edits a file,
//! and reads file contents only where a layout needs them: drizzle's journal, sqitch's plan,
//! and the first 64 KiB of `.sql` files when looking for dbmate's marker.

mod folder;
pub mod git;
mod layouts;
mod markers;
pub mod new_migration;
mod order;
mod search;

use std::borrow::Cow;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

pub use folder::graphile_config;
use folder::{FolderListing, detect_layout};

/// A migration tool's conventions: where its files are, which run, and in what order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `supabase/migrations/<timestamp>_name.sql`, in name order.
    Supabase,
    /// drizzle-kit: `meta/_journal.json` order, or `<timestamp>_name/migration.sql` folders.
    Drizzle,
    /// `prisma/migrations/<timestamp>_name/migration.sql`, in folder order.
    Prisma,
    /// `<version>_name.up.sql`, by numeric version; `.down.sql` never runs.
    GolangMigrate,
    /// `<version>_name.sql`, by version; only the `-- migrate:up` half runs.
    Dbmate,
    /// `V<version>__name.sql` by numeric version, then `R__name.sql`; `U` never runs.
    Flyway,
    /// `sqitch.plan` order, `deploy/<change>.sql` only.
    Sqitch,
    /// `<version>_name.sql` by numeric version; only the `-- +goose Up` part runs.
    Goose,
    /// `<version>_name/up.sql` folders, in folder order; `down.sql` never runs.
    Diesel,
    /// `<version>_name.sql` or `<version>_name.up.sql` by numeric version; `.down.sql` never runs.
    Sqlx,
    /// `<version>.do.<name>.sql` by numeric version; `.undo.` never runs.
    Postgrator,
    /// `committed/<number>[-name].sql` in order, then `current.sql` or `current/*.sql`.
    GraphileMigrate,
    /// `<version>_name.sql` beside an `atlas.sum`, in name order.
    Atlas,
    /// Formatted SQL changelogs: the master changelog's order, else name order; the
    /// `--changeset` blocks run, `--rollback` lines never.
    Liquibase,
    /// Every `.sql` file of the folder, in natural name order.
    Plain,
}

impl Layout {
    /// Every layout, in the order `neonlint` documents them.
    pub const ALL: [Layout; 15] = [
        Layout::Supabase,
        Layout::Drizzle,
        Layout::Prisma,
        Layout::GolangMigrate,
        Layout::Dbmate,
        Layout::Flyway,
        Layout::Sqitch,
        Layout::Goose,
        Layout::Diesel,
        Layout::Sqlx,
        Layout::Postgrator,
        Layout::GraphileMigrate,
        Layout::Atlas,
        Layout::Liquibase,
        Layout::Plain,
    ];

    /// The name used in `neonlint.toml` and in output.
    pub fn name(self) -> &'static str {
        match self {
            Layout::Supabase => "supabase",
            Layout::Drizzle => "drizzle",
            Layout::Prisma => "prisma",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Dbmate => "dbmate",
            Layout::Flyway => "flyway",
            Layout::Sqitch => "sqitch",
            Layout::Goose => "goose",
            Layout::Diesel => "diesel",
            Layout::Sqlx => "sqlx",
            Layout::Postgrator => "postgrator",
            Layout::GraphileMigrate => "graphile-migrate",
            Layout::Atlas => "atlas",
            Layout::Liquibase => "liquibase",
            Layout::Plain => "plain",
        }
    }

    /// Reads a layout name, ignoring case. golang-migrate is also `golang_migrate` or
    /// `migrate` (its command's name); graphile-migrate is also `graphile_migrate` or
    /// `graphile`.
    pub fn from_name(name: &str) -> Option<Layout> {
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "golang_migrate" | "migrate" => Some(Layout::GolangMigrate),
            "graphile_migrate" | "graphile" => Some(Layout::GraphileMigrate),
            _ => Layout::ALL.into_iter().find(|layout| layout.name() == name),
        }
    }

    /// How messages name the tool that runs this layout's migrations.
    fn tool_name(self) -> &'static str {
        match self {
            Layout::Supabase => "Supabase",
            Layout::Drizzle => "drizzle",
            Layout::Prisma => "Prisma",
            Layout::GolangMigrate => "golang-migrate",
            Layout::Dbmate => "dbmate",
            Layout::Flyway => "Flyway",
            Layout::Sqitch => "sqitch",
            Layout::Goose => "goose",
            Layout::Diesel => "diesel",
            Layout::Sqlx => "sqlx",
            Layout::Postgrator => "Postgrator",
            Layout::GraphileMigrate => "graphile-migrate",
            Layout::Atlas => "Atlas",
            Layout::Liquibase => "Liquibase",
            Layout::Plain => "neonlint",
        }
    }
}

impl fmt::Display for Layout {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.name())
    }
}

/// One migration file to replay.
#[derive(Clone, Debug)]
pub struct MigrationFile {
    /// Where to open the file: its folder's canonical path joined with its name, so two
    /// spellings of one file give equal paths (compare with `Selection::only`).
    pub path: PathBuf,
    /// `display_path(path)`: what reports show.
    pub display: String,
}

/// A warning for the user: a file left out, an order that may be wrong. Sentence case,
/// no trailing period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The file or folder it is about, as `display_path` shows it.
    pub path: Option<String>,
    /// What happened and what it means, e.g. "skipped `notes.sql`: Supabase only runs files
    /// named `<timestamp>_name.sql`".
    pub message: String,
}

/// The migrations of one folder, in the order its tool applies them.
#[derive(Clone, Debug)]
pub struct MigrationSet {
    /// The migrations folder (for sqitch, the project folder holding `sqitch.plan`),
    /// canonical.
    pub root: PathBuf,
    /// The layout detected, or the one the caller forced.
    pub layout: Layout,
    /// In apply order.
    pub files: Vec<MigrationFile>,
    /// Warnings to show the user, in a stable order.
    pub notices: Vec<Notice>,
}

/// A migration set and, when the user named files rather than a folder, those files.
#[derive(Clone, Debug)]
pub struct Selection {
    /// Every migration of the folder: all of them are replayed, whatever `only` says.
    pub set: MigrationSet,
    /// The folder named on the command line when this set was found by searching below it
    /// (a repository root holding several projects), canonical; `None` when the path led to
    /// this set directly.
    pub found_below: Option<PathBuf>,
    /// The named files, canonical like `MigrationFile::path`, in argument order; `None` when
    /// a folder was named, meaning every file of the set.
    pub only: Option<Vec<PathBuf>>,
}

/// Why migrations could not be found. Each message says what failed, on which path, and
/// what to do.
#[derive(Debug)]
pub enum SourceError {
    /// The path does not exist.
    NotFound { path: PathBuf },
    /// The path is neither a file nor a folder (a socket, a device).
    NotFileOrFolder { path: PathBuf },
    /// Reading the path failed (permissions, I/O).
    Unreadable { path: PathBuf, error: std::io::Error },
    /// A file the layout needs (drizzle's journal, sqitch's plan) cannot be read: not a
    /// regular file, too large, or an I/O error.
    UnreadableFile { path: PathBuf, error: crate::input::InputError },
    /// A folder that is no migrations folder and holds none of the usual ones.
    NoMigrations { path: PathBuf },
    /// A file whose folder holds no migrations.
    NotInMigrationsFolder { path: PathBuf },
    /// drizzle's `meta/_journal.json` is not the JSON drizzle-kit writes.
    InvalidJournal { path: PathBuf, error: String },
    /// The sqitch layout was chosen for a folder without `sqitch.plan`.
    MissingSqitchPlan { path: PathBuf },
}

impl fmt::Display for SourceError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::NotFound { path } => write!(
                formatter,
                "`{}` does not exist: pass a migrations folder, a file inside one, or a project folder",
                display_path(path)
            ),
            SourceError::NotFileOrFolder { path } => write!(
                formatter,
                "`{}` is neither a file nor a folder: pass a migrations folder, a file inside one, or a \
                 project folder",
                display_path(path)
            ),
            SourceError::Unreadable { path, error } => write!(
                formatter,
                "cannot read `{}`: {error}; check that it exists and that you are allowed to read it",
                display_path(path)
            ),
            SourceError::UnreadableFile { path, error } => {
                write!(formatter, "cannot read `{}`: {error}", display_path(path))
            }
            SourceError::NoMigrations { path } => write!(
                formatter,
                "no migrations found in `{}`: expected one of {}, or a sqitch.plan, there or in a migrations \
                 folder at most {} levels below; pass the migrations folder, or list it in `paths` in \
                 neonlint.toml",
                display_path(path),
                PROJECT_MIGRATION_FOLDERS.join(", "),
                search::MAX_DEPTH
            ),
            SourceError::NotInMigrationsFolder { path } => write!(
                formatter,
                "`{}` is not inside a migrations folder: its folder holds no `.sql` files, no \
                 `meta/_journal.json` and no `sqitch.plan`; pass a file from your migrations folder, or the \
                 folder itself",
                display_path(path)
            ),
            SourceError::InvalidJournal { path, error } => write!(
                formatter,
                "cannot read the drizzle journal `{}`: {error}; fix the JSON, or restore the file from \
                 version control (drizzle-kit writes it on `drizzle-kit generate`)",
                display_path(path)
            ),
            SourceError::MissingSqitchPlan { path } => write!(
                formatter,
                "the layout is sqitch but `{}` has no `sqitch.plan`: pass the sqitch project folder (the one \
                 holding `sqitch.plan`), or change `layout` in neonlint.toml",
                display_path(path)
            ),
        }
    }
}

/// The message already includes the I/O error's text, so `source` returns `None` and a
/// caller printing the chain does not repeat it.
impl std::error::Error for SourceError {}

/// Finds the migrations `path` stands for: a project root (its usual migrations folder is
/// found), a migrations folder, or one file in one (then `only` names that file). `layout`
/// overrides detection.
///
/// A folder that holds no migrations and none of the usual project folders is searched (see
/// `discover_many`); this returns the first set found there.
pub fn discover(path: &Path, layout: Option<Layout>) -> Result<Selection, SourceError> {
    let mut selections = discover_many(&[path.to_path_buf()], layout)?;
    Ok(selections.remove(0))
}

/// `discover` for several paths. Paths that lead to the same migrations folder share one
/// `Selection` (its `only` lists their files, or is `None` if any of them is a folder);
/// selections come in the order their folders were first named. No paths means `.`.
pub fn discover_many(paths: &[PathBuf], layout: Option<Layout>) -> Result<Vec<Selection>, SourceError> {
    let current_folder = [PathBuf::from(".")];
    let paths = if paths.is_empty() { &current_folder[..] } else { paths };
    let mut groups: Vec<TargetGroup> = Vec::new();
    for path in paths {
        let targets = match resolve_target(path, layout) {
            Ok(target) => vec![target],
            // A folder with no migrations of its own: a repository root holding several
            // projects. Each migrations folder below it is a set of its own.
            Err(SourceError::NoMigrations { path: folder }) => {
                let found = search::migrations_folders_below(&folder, layout)?;
                if found.is_empty() {
                    return Err(SourceError::NoMigrations { path: folder });
                }
                let mut targets = Vec::new();
                for migrations in found {
                    let mut target = resolve_target(&migrations, layout)?;
                    target.found_below = Some(folder.clone());
                    targets.push(target);
                }
                targets
            }
            Err(error) => return Err(error),
        };
        for target in targets {
            match groups.iter_mut().find(|group| group.folder == target.folder) {
                Some(group) => group.add(target),
                None => groups.push(TargetGroup::new(target)),
            }
        }
    }
    groups.into_iter().map(|group| group.into_selection(layout)).collect()
}

/// The text of a migration file that runs when migrating up. For dbmate, the part between
/// `-- migrate:up` and `-- migrate:down`; the rest, markers included, becomes spaces with
/// every newline kept, so the result has the same length and the same line and column for
/// every byte. Other layouts run the whole file, which comes back borrowed.
pub fn up_part(layout: Layout, text: &str) -> Cow<'_, str> {
    match layout {
        Layout::Dbmate => markers::keep_up_part(markers::Markers::Dbmate, text),
        Layout::Goose => markers::keep_up_part(markers::Markers::Goose, text),
        Layout::Liquibase => layouts::liquibase::keep_changesets(text),
        // No tool says what runs: a file with another tool's markers keeps only its up part.
        Layout::Plain => match markers::markers_in(text.as_bytes()) {
            Some(found) => markers::keep_up_part(found, text),
            None => Cow::Borrowed(text),
        },
        _ => Cow::Borrowed(text),
    }
}

/// How reports show a path: relative to the current folder when inside it, else as given;
/// always with `/`.
pub fn display_path(path: &Path) -> String {
    let shown = relative_to_current_folder(path).unwrap_or_else(|| path.to_path_buf());
    with_forward_slashes(&shown)
}

/// Where a project keeps its migrations, relative to the project root, in the order they
/// are tried.
const PROJECT_MIGRATION_FOLDERS: [&str; 9] = [
    "supabase/migrations",
    "drizzle",
    "prisma/migrations",
    "db/migrations",
    "db/migration",
    "migrations",
    "src/main/resources/db/migration",
    "db/changelog",
    "src/main/resources/db/changelog",
];

/// What one path argument stands for once resolved.
struct Target {
    /// The migrations folder whose layout orders the files, canonical.
    folder: PathBuf,
    /// The file the user named, as canonical folder plus name; `None` for a folder.
    file: Option<PathBuf>,
    /// Warnings from resolving, such as loose `.sql` files passed over for a migrations
    /// folder.
    notices: Vec<Notice>,
    /// The folder searched to find it, for a repository root.
    found_below: Option<PathBuf>,
}

impl Target {
    /// A whole migrations folder.
    fn whole(folder: PathBuf) -> Target {
        Target { folder, file: None, notices: Vec::new(), found_below: None }
    }

    /// One file of the migrations folder `folder`.
    fn one_file(folder: &Path, file: PathBuf) -> Target {
        Target { folder: folder.to_path_buf(), file: Some(file), notices: Vec::new(), found_below: None }
    }
}

/// The path arguments that lead to one migrations folder.
struct TargetGroup {
    folder: PathBuf,
    whole_folder: bool,
    files: Vec<PathBuf>,
    notices: Vec<Notice>,
    found_below: Option<PathBuf>,
}

impl TargetGroup {
    fn new(target: Target) -> TargetGroup {
        let mut group = TargetGroup {
            folder: target.folder.clone(),
            whole_folder: false,
            files: Vec::new(),
            notices: Vec::new(),
            found_below: target.found_below.clone(),
        };
        group.add(target);
        group
    }

    fn add(&mut self, target: Target) {
        if target.found_below.is_none() {
            self.found_below = None;
        }
        match target.file {
            Some(file) if !self.files.contains(&file) => self.files.push(file),
            Some(_) => {}
            None => self.whole_folder = true,
        }
        for notice in target.notices {
            if !self.notices.contains(&notice) {
                self.notices.push(notice);
            }
        }
    }

    fn into_selection(self, layout: Option<Layout>) -> Result<Selection, SourceError> {
        let mut set = build_set(&self.folder, layout)?;
        let mut notices = self.notices;
        notices.append(&mut set.notices);
        set.notices = notices;
        for file in &self.files {
            if set.files.iter().any(|migration| migration.path == *file) {
                continue;
            }
            let display = display_path(file);
            // A file the layout skipped with a notice of its own needs no second one.
            if !set.notices.iter().any(|notice| notice.path.as_deref() == Some(display.as_str())) {
                let message = why_file_is_not_run(set.layout, &set.root, file);
                set.notices.push(Notice { path: Some(display), message });
            }
        }
        let only = if self.whole_folder { None } else { Some(self.files) };
        Ok(Selection { set, only, found_below: self.found_below })
    }
}

/// Lists, detects and orders one migrations folder.
fn build_set(folder: &Path, layout: Option<Layout>) -> Result<MigrationSet, SourceError> {
    let listing = FolderListing::read(folder)?;
    let (layout, detection_notices) = match layout {
        Some(layout) => (layout, Vec::new()),
        None => detect_layout(&listing),
    };
    let ordered = layouts::order_files(layout, &listing)?;
    let mut notices = listing.notices;
    notices.extend(detection_notices);
    notices.extend(ordered.notices);
    let files: Vec<MigrationFile> =
        ordered.files.into_iter().map(|path| MigrationFile { display: display_path(&path), path }).collect();
    if files.is_empty() {
        notices.push(Notice {
            path: Some(display_path(folder)),
            message: format!(
                "found no migrations that {} runs in `{}`",
                layout.tool_name(),
                display_path(folder)
            ),
        });
    }
    Ok(MigrationSet { root: folder.to_path_buf(), layout, files, notices })
}

fn resolve_target(path: &Path, layout: Option<Layout>) -> Result<Target, SourceError> {
    let metadata = fs::metadata(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::NotFound => SourceError::NotFound { path: path.to_path_buf() },
        _ => SourceError::Unreadable { path: path.to_path_buf(), error },
    })?;
    if metadata.is_file() {
        return resolve_file(path, layout);
    }
    if !metadata.is_dir() {
        return Err(SourceError::NotFileOrFolder { path: path.to_path_buf() });
    }
    let folder = canonical(path)?;
    // A Prisma or drizzle migration's own folder stands for its `migration.sql`, a diesel
    // migration's for its `up.sql`.
    for file_name in ["migration.sql", "up.sql"] {
        let migration_file = folder.join(file_name);
        if migration_file.is_file() && is_migration_subfolder(&folder, layout) {
            return resolve_file(&migration_file, layout);
        }
    }
    // `deploy/`, `revert/` or `verify/` of a sqitch project stands for the project, and
    // graphile-migrate's `committed/` or `current/` for its migrations folder.
    if let Some(project) =
        sqitch_project_of_script_folder(&folder).or_else(|| graphile_of_script_folder(&folder))
    {
        return Ok(Target::whole(project.to_path_buf()));
    }
    // Formatted SQL below a liquibase master changelog belongs to the master's folder.
    if layout.is_none_or(|layout| layout == Layout::Liquibase) {
        if let Some(master_folder) = layouts::liquibase::master_above(&folder) {
            return Ok(Target::whole(master_folder));
        }
    }
    let listing = FolderListing::read(&folder)?;
    if listing.holds_structured_migrations() {
        return Ok(Target::whole(folder));
    }
    if !listing.sql_files.is_empty() {
        return match project_migrations_folder(&folder, true)? {
            Some(migrations) => {
                let notice = loose_files_notice(&folder, &listing.sql_files, &migrations);
                Ok(Target { notices: vec![notice], ..Target::whole(migrations) })
            }
            None => Ok(Target::whole(folder)),
        };
    }
    match project_migrations_folder(&folder, false)? {
        Some(migrations) => Ok(Target::whole(migrations)),
        None => Err(SourceError::NoMigrations { path: folder }),
    }
}

/// Finds the migrations folder a file belongs to. The file itself is not opened.
fn resolve_file(path: &Path, layout: Option<Layout>) -> Result<Target, SourceError> {
    let Some(file_name) = path.file_name() else {
        return Err(SourceError::NotFileOrFolder { path: path.to_path_buf() });
    };
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let parent = canonical(parent)?;
    let file = parent.join(file_name);

    let grandparent = parent.parent();
    let in_migration_subfolder = match file_name.to_str() {
        Some("migration.sql") => parent.join("migration.sql").is_file(),
        Some("up.sql" | "down.sql") => parent.join("up.sql").is_file(),
        _ => false,
    };
    if in_migration_subfolder && is_migration_subfolder(&parent, layout) {
        if let Some(migrations) = grandparent {
            return Ok(Target::one_file(migrations, file));
        }
    }
    if let Some(project) = parent.ancestors().find_map(sqitch_project_of_script_folder) {
        return Ok(Target::one_file(project, file));
    }
    if let Some(migrations) = graphile_of_script_folder(&parent) {
        return Ok(Target::one_file(migrations, file));
    }
    if layout.is_none_or(|layout| layout == Layout::Liquibase) {
        if let Some(master_folder) = layouts::liquibase::master_above(&parent) {
            return Ok(Target::one_file(&master_folder, file));
        }
    }
    // drizzle's `meta/` (journal and snapshots) belongs to the migrations folder above it.
    let in_meta_folder = parent.file_name().is_some_and(|name| name == "meta");
    if let Some(migrations) = grandparent.filter(|_| in_meta_folder) {
        if migrations.join(layouts::DRIZZLE_JOURNAL).is_file() {
            return Ok(Target::one_file(migrations, file));
        }
    }
    let listing = FolderListing::read(&parent)?;
    if listing.holds_structured_migrations() {
        return Ok(Target::one_file(&parent, file));
    }
    if !listing.sql_files.is_empty() {
        let migrations = project_migrations_folder(&parent, true)?;
        return Ok(Target::one_file(migrations.as_deref().unwrap_or(&parent), file));
    }
    Err(SourceError::NotInMigrationsFolder { path: path.to_path_buf() })
}

/// The first of `PROJECT_MIGRATION_FOLDERS` below `root` that holds migrations, canonical.
/// Unless `must_hold_migrations`, an existing but empty one will do when none holds any.
fn project_migrations_folder(
    root: &Path,
    must_hold_migrations: bool,
) -> Result<Option<PathBuf>, SourceError> {
    let mut first_existing = None;
    for relative in PROJECT_MIGRATION_FOLDERS {
        let candidate = root.join(relative);
        if !candidate.is_dir() {
            continue;
        }
        if FolderListing::read(&candidate)?.holds_migrations() {
            return canonical(&candidate).map(Some);
        }
        first_existing.get_or_insert(candidate);
    }
    match first_existing {
        Some(candidate) if !must_hold_migrations => canonical(&candidate).map(Some),
        _ => Ok(None),
    }
}

/// The migrations folder of graphile-migrate's `committed/` or `current/` folder, if it is one.
fn graphile_of_script_folder(folder: &Path) -> Option<&Path> {
    let name = folder.file_name()?.to_str()?;
    let migrations = folder.parent()?;
    let is_script_folder = matches!(name, "committed" | "current");
    let looks_graphile = migrations.join("committed").is_dir() || folder::has_graphile_config(migrations);
    (is_script_folder && looks_graphile).then_some(migrations)
}

/// Whether `folder` looks like one migration of a Prisma, drizzle-kit or diesel folder
/// layout: those tools name it `<timestamp>_name`; with such a layout chosen, any name will do.
fn is_migration_subfolder(folder: &Path, layout: Option<Layout>) -> bool {
    if matches!(layout, Some(Layout::Prisma | Layout::Drizzle | Layout::Diesel)) {
        return true;
    }
    let name = folder.file_name().and_then(|name| name.to_str()).unwrap_or("");
    name.starts_with(|character: char| character.is_ascii_digit())
}

/// The sqitch project a `deploy/`, `revert/` or `verify/` folder belongs to, if it is one.
fn sqitch_project_of_script_folder(folder: &Path) -> Option<&Path> {
    let name = folder.file_name()?.to_str()?;
    let project = folder.parent()?;
    let is_script_folder = matches!(name, "deploy" | "revert" | "verify");
    (is_script_folder && project.join("sqitch.plan").is_file()).then_some(project)
}

fn loose_files_notice(folder: &Path, sql_files: &[String], migrations: &Path) -> Notice {
    const SHOWN: usize = 3;
    let mut names: Vec<String> = sql_files.iter().take(SHOWN).map(|name| format!("`{name}`")).collect();
    if sql_files.len() > SHOWN {
        names.push(format!("and {} more", sql_files.len() - SHOWN));
    }
    Notice {
        path: Some(display_path(folder)),
        message: format!(
            "skipped {} in `{}`: the migrations are taken from `{}`, and files beside that folder are not \
             migrations",
            names.join(", "),
            display_path(folder),
            display_path(migrations)
        ),
    }
}

/// The notice for a file the user named that its set does not run.
fn why_file_is_not_run(layout: Layout, root: &Path, file: &Path) -> String {
    let file_name = file.file_name().map(|name| name.to_string_lossy()).unwrap_or_default();
    let Ok(relative) = file.strip_prefix(root) else {
        return format!(
            "`{file_name}` is outside the migrations folder `{}`, so it is not linted",
            display_path(root)
        );
    };
    let name = with_forward_slashes(relative);
    if file.extension().is_none_or(|extension| extension != "sql") {
        return format!("`{name}` is not a `.sql` file, so it is not linted");
    }
    match layout {
        Layout::GolangMigrate if name.ends_with(".down.sql") => {
            format!(
                "`{name}` is a down migration: golang-migrate does not run it when migrating up, so it is \
                 not linted"
            )
        }
        Layout::Flyway if order::parse_flyway_name(&name) == Some(order::FlywayName::Undo) => {
            format!(
                "`{name}` is an undo migration: Flyway does not run it when migrating, so it is not linted"
            )
        }
        Layout::Sqlx if name.ends_with(".down.sql") => format!(
            "`{name}` is a down migration: sqlx runs it only on `sqlx migrate revert`, so it is not linted"
        ),
        Layout::Postgrator if order::parse_postgrator_name(&name).is_some_and(|(_, runs)| !runs) => format!(
            "`{name}` is an undo migration: postgrator does not run it when migrating up, so it is not linted"
        ),
        Layout::Diesel if name.ends_with("/down.sql") => format!(
            "`{name}` is a down migration: diesel runs it only on `diesel migration revert`, so it is not linted"
        ),
        Layout::Sqitch if !name.starts_with("deploy/") => {
            format!("`{name}` is not a deploy script: sqitch deploys only `deploy/`, so it is not linted")
        }
        _ if order::reversal_name(&name).is_some() => format!(
            "`{name}` is named as a down, undo, rollback or revert migration, which never runs when migrating up, \
             so it is not linted"
        ),
        _ => format!(
            "`{name}` is not a migration that {} runs from `{}`, so it is not linted",
            layout.tool_name(),
            display_path(root)
        ),
    }
}

fn canonical(path: &Path) -> Result<PathBuf, SourceError> {
    fs::canonicalize(path).map_err(|error| SourceError::Unreadable { path: path.to_path_buf(), error })
}

fn relative_to_current_folder(path: &Path) -> Option<PathBuf> {
    if !path.is_absolute() {
        return None;
    }
    let current = std::env::current_dir().ok()?;
    let canonical_current = fs::canonicalize(&current).ok();
    [Some(current), canonical_current].into_iter().flatten().find_map(|base| {
        let relative = path.strip_prefix(&base).ok()?;
        Some(if relative.as_os_str().is_empty() { PathBuf::from(".") } else { relative.to_path_buf() })
    })
}

fn with_forward_slashes(path: &Path) -> String {
    let text = path.to_string_lossy();
    if cfg!(windows) {
        // `canonicalize` gives verbatim paths (`\\?\C:\…`) on Windows; people never type them.
        let text = text.strip_prefix(r"\\?\").unwrap_or(&text);
        text.replace('\\', "/")
    } else {
        text.into_owned()
    }
}

/// Helpers the tests of this module's files share.
#[cfg(test)]
pub(crate) mod test_support {
    use std::fs;

    /// A temporary folder holding `files` (relative path, text), parents created.
    pub fn folder_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let folder = tempfile::tempdir().expect("temp dir");
        for (relative, text) in files {
            let path = folder.path().join(relative);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).expect("create parent");
            }
            fs::write(path, text).expect("write file");
        }
        folder
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::test_support::folder_with;

    fn fixture(relative: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/layouts").join(relative)
    }

    /// The set's files below its root, with `/`.
    fn file_names(set: &MigrationSet) -> Vec<String> {
        set.files
            .iter()
            .map(|file| with_forward_slashes(file.path.strip_prefix(&set.root).unwrap_or(&file.path)))
            .collect()
    }

    fn notice_pairs(set: &MigrationSet) -> Vec<(Option<&str>, &str)> {
        set.notices.iter().map(|notice| (notice.path.as_deref(), notice.message.as_str())).collect()
    }

    fn canonical_file(path: &Path) -> PathBuf {
        fs::canonicalize(path).expect("canonical path")
    }

    fn discover_ok(path: &Path, layout: Option<Layout>) -> Selection {
        match discover(path, layout) {
            Ok(selection) => selection,
            Err(error) => panic!("discover({}) failed: {error}", path.display()),
        }
    }

    #[test]
    fn layout_names_round_trip() {
        let names: Vec<&str> = Layout::ALL.iter().map(|layout| layout.name()).collect();
        assert_eq!(
            names,
            [
                "supabase",
                "drizzle",
                "prisma",
                "golang-migrate",
                "dbmate",
                "flyway",
                "sqitch",
                "goose",
                "diesel",
                "sqlx",
                "postgrator",
                "graphile-migrate",
                "atlas",
                "liquibase",
                "plain"
            ]
        );
        for layout in Layout::ALL {
            assert_eq!(Layout::from_name(layout.name()), Some(layout));
            assert_eq!(Layout::from_name(&layout.name().to_uppercase()), Some(layout));
            assert_eq!(layout.to_string(), layout.name());
        }
        assert_eq!(Layout::from_name("golang_migrate"), Some(Layout::GolangMigrate));
        assert_eq!(Layout::from_name("Migrate"), Some(Layout::GolangMigrate));
        assert_eq!(Layout::from_name("Supabase"), Some(Layout::Supabase));
        assert_eq!(Layout::from_name("Graphile"), Some(Layout::GraphileMigrate));
        assert_eq!(Layout::from_name("liquibase-xml"), None);
        assert_eq!(Layout::from_name(""), None);
    }

    #[test]
    fn display_path_is_relative_inside_the_current_folder() {
        // `cargo test` runs unit tests from the package root.
        let current = std::env::current_dir().expect("current folder");
        assert_eq!(display_path(&current.join("fixtures/layouts/plain")), "fixtures/layouts/plain");
        assert_eq!(display_path(&current), ".");
        assert_eq!(display_path(Path::new("migrations/1_init.sql")), "migrations/1_init.sql");
        assert_eq!(display_path(Path::new("/somewhere/else/1_init.sql")), "/somewhere/else/1_init.sql");
    }

    #[test]
    fn supabase_fixture() {
        let selection = discover_ok(&fixture("supabase"), None);
        let set = &selection.set;
        assert_eq!(set.layout, Layout::Supabase);
        assert_eq!(set.root, canonical_file(&fixture("supabase/supabase/migrations")));
        assert_eq!(
            file_names(set),
            ["20240101000000_init.sql", "20240102000000_disable_rls.sql", "20240103000000_enable_rls.sql"]
        );
        assert_eq!(
            notice_pairs(set),
            [(
                Some("fixtures/layouts/supabase/supabase/migrations/notes.sql"),
                "skipped `notes.sql`: Supabase only runs files named `<timestamp>_name.sql`"
            )]
        );
        assert_eq!(
            set.files[0].display,
            "fixtures/layouts/supabase/supabase/migrations/20240101000000_init.sql"
        );
        assert!(selection.only.is_none());
    }

    #[test]
    fn drizzle_fixture() {
        let set = discover_ok(&fixture("drizzle"), None).set;
        assert_eq!(set.layout, Layout::Drizzle);
        assert_eq!(file_names(&set), ["0000_init.sql", "0001_enable_rls.sql"]);
        assert_eq!(
            notice_pairs(&set),
            [(
                Some("fixtures/layouts/drizzle/drizzle/0002_disable_rls.sql"),
                "skipped `0002_disable_rls.sql`: it is not listed in `meta/_journal.json`, so drizzle will not run it"
            )]
        );
    }

    #[test]
    fn prisma_fixture() {
        let set = discover_ok(&fixture("prisma"), None).set;
        assert_eq!(set.layout, Layout::Prisma);
        assert_eq!(
            file_names(&set),
            [
                "20240101000000_init/migration.sql",
                "20240102000000_disable_rls/migration.sql",
                "20240103000000_enable_rls/migration.sql"
            ]
        );
        assert_eq!(
            notice_pairs(&set),
            [(
                Some("fixtures/layouts/prisma/prisma/migrations/notes.sql"),
                "skipped `notes.sql`: Prisma only runs `<folder>/migration.sql` files"
            )]
        );
    }

    #[test]
    fn golang_migrate_fixture() {
        let set = discover_ok(&fixture("golang-migrate"), None).set;
        assert_eq!(set.layout, Layout::GolangMigrate);
        assert_eq!(file_names(&set), ["1_init.up.sql", "2_enable_rls.up.sql", "10_disable_rls.up.sql"]);
        assert!(set.notices.is_empty(), "{:?}", set.notices);
    }

    #[test]
    fn dbmate_fixture() {
        let set = discover_ok(&fixture("dbmate"), None).set;
        assert_eq!(set.layout, Layout::Dbmate);
        assert_eq!(file_names(&set), ["20240101000000_init.sql", "20240102000000_enable_rls.sql"]);
        assert!(set.notices.is_empty(), "{:?}", set.notices);
    }

    #[test]
    fn flyway_fixture() {
        let set = discover_ok(&fixture("flyway"), None).set;
        assert_eq!(set.layout, Layout::Flyway);
        assert_eq!(set.root, canonical_file(&fixture("flyway/src/main/resources/db/migration")));
        assert_eq!(
            file_names(&set),
            [
                "V1__init.sql",
                "V1_1__comment.sql",
                "V2__enable_rls.sql",
                "V10__disable_rls.sql",
                "R__touch.sql"
            ]
        );
        assert!(set.notices.is_empty(), "{:?}", set.notices);
    }

    #[test]
    fn sqitch_fixture() {
        let set = discover_ok(&fixture("sqitch"), None).set;
        assert_eq!(set.layout, Layout::Sqitch);
        assert_eq!(set.root, canonical_file(&fixture("sqitch")));
        assert_eq!(
            file_names(&set),
            ["deploy/init.sql", "deploy/zz_disable_rls.sql", "deploy/aa_enable_rls.sql"]
        );
        assert!(set.notices.is_empty(), "{:?}", set.notices);
    }

    #[test]
    fn plain_fixture() {
        let set = discover_ok(&fixture("plain"), None).set;
        assert_eq!(set.layout, Layout::Plain);
        assert_eq!(file_names(&set), ["1_init.sql", "2_enable_rls.sql", "10_disable_rls.sql"]);
        assert!(set.notices.is_empty(), "{:?}", set.notices);
    }

    #[test]
    fn layouts_are_detected_from_the_migrations_folders_too() {
        let folders = [
            ("supabase/supabase/migrations", Layout::Supabase),
            ("drizzle/drizzle", Layout::Drizzle),
            ("prisma/prisma/migrations", Layout::Prisma),
            ("golang-migrate/migrations", Layout::GolangMigrate),
            ("dbmate/db/migrations", Layout::Dbmate),
            ("flyway/src/main/resources/db/migration", Layout::Flyway),
            ("sqitch", Layout::Sqitch),
            ("plain/migrations", Layout::Plain),
        ];
        for (folder, layout) in folders {
            let selection = discover_ok(&fixture(folder), None);
            assert_eq!(selection.set.layout, layout, "{folder}");
            assert!(selection.only.is_none(), "{folder}");
        }
    }

    #[test]
    fn a_sqitch_script_folder_stands_for_its_project() {
        for script_folder in ["sqitch/deploy", "sqitch/revert"] {
            let set = discover_ok(&fixture(script_folder), None).set;
            assert_eq!(set.layout, Layout::Sqitch);
            assert_eq!(set.root, canonical_file(&fixture("sqitch")));
        }
    }

    #[test]
    fn a_layout_override_replaces_detection() {
        let set = discover_ok(&fixture("flyway"), Some(Layout::Plain)).set;
        assert_eq!(set.layout, Layout::Plain);
        assert_eq!(
            file_names(&set),
            [
                "R__touch.sql",
                "V1_1__comment.sql",
                "V1__init.sql",
                "V2__enable_rls.sql",
                "V10__disable_rls.sql"
            ]
        );
        // Every name there is a Flyway name, so there is no mix to warn about; the undo file is
        // never replayed, even in a plain folder.
        assert_eq!(notice_pairs(&set).len(), 1, "{:?}", set.notices);
        assert!(set.notices[0].message.starts_with(
            "skipped 1 file named as a down, undo, rollback or revert migration (`U10__undo.sql`)"
        ));
    }

    #[test]
    fn a_file_argument_selects_that_file_of_its_folder_set() {
        let file = fixture("golang-migrate/migrations/2_enable_rls.up.sql");
        let selection = discover_ok(&file, None);
        assert_eq!(selection.set.layout, Layout::GolangMigrate);
        assert_eq!(
            file_names(&selection.set),
            ["1_init.up.sql", "2_enable_rls.up.sql", "10_disable_rls.up.sql"]
        );
        assert_eq!(selection.only, Some(vec![canonical_file(&file)]));
        assert_eq!(selection.set.files[1].path, canonical_file(&file));
        assert!(selection.set.notices.is_empty(), "{:?}", selection.set.notices);
    }

    #[test]
    fn a_file_argument_spelled_with_dot_dot_is_canonical() {
        let file = fixture("plain/migrations/../migrations/2_enable_rls.sql");
        let selection = discover_ok(&file, None);
        assert_eq!(selection.only, Some(vec![canonical_file(&fixture("plain/migrations/2_enable_rls.sql"))]));
        assert!(
            selection.set.files.iter().any(|migration| Some(vec![migration.path.clone()]) == selection.only)
        );
    }

    #[test]
    fn a_down_file_argument_gets_a_notice() {
        let file = fixture("golang-migrate/migrations/10_disable_rls.down.sql");
        let selection = discover_ok(&file, None);
        assert_eq!(selection.only, Some(vec![canonical_file(&file)]));
        assert_eq!(
            notice_pairs(&selection.set),
            [(
                Some("fixtures/layouts/golang-migrate/migrations/10_disable_rls.down.sql"),
                "`10_disable_rls.down.sql` is a down migration: golang-migrate does not run it when migrating up, \
                 so it is not linted"
            )]
        );
    }

    #[test]
    fn a_flyway_undo_file_argument_gets_a_notice() {
        let selection = discover_ok(&fixture("flyway/src/main/resources/db/migration/U10__undo.sql"), None);
        assert_eq!(
            notice_pairs(&selection.set),
            [(
                Some("fixtures/layouts/flyway/src/main/resources/db/migration/U10__undo.sql"),
                "`U10__undo.sql` is an undo migration: Flyway does not run it when migrating, so it is not linted"
            )]
        );
    }

    #[test]
    fn a_file_missing_from_the_drizzle_journal_keeps_its_one_notice() {
        let file = fixture("drizzle/drizzle/0002_disable_rls.sql");
        let selection = discover_ok(&file, None);
        assert_eq!(selection.set.layout, Layout::Drizzle);
        assert_eq!(selection.only, Some(vec![canonical_file(&file)]));
        assert_eq!(
            notice_pairs(&selection.set),
            [(
                Some("fixtures/layouts/drizzle/drizzle/0002_disable_rls.sql"),
                "skipped `0002_disable_rls.sql`: it is not listed in `meta/_journal.json`, so drizzle will not run it"
            )]
        );
    }

    #[test]
    fn the_drizzle_journal_as_argument_belongs_to_its_folder() {
        let selection = discover_ok(&fixture("drizzle/drizzle/meta/_journal.json"), None);
        assert_eq!(selection.set.root, canonical_file(&fixture("drizzle/drizzle")));
        let pairs = notice_pairs(&selection.set);
        assert_eq!(
            pairs.last(),
            Some(&(
                Some("fixtures/layouts/drizzle/drizzle/meta/_journal.json"),
                "`meta/_journal.json` is not a `.sql` file, so it is not linted"
            ))
        );
    }

    #[test]
    fn a_prisma_migration_file_or_its_folder_selects_it() {
        let file = fixture("prisma/prisma/migrations/20240102000000_disable_rls/migration.sql");
        for argument in [file.clone(), fixture("prisma/prisma/migrations/20240102000000_disable_rls")] {
            let selection = discover_ok(&argument, None);
            assert_eq!(selection.set.layout, Layout::Prisma);
            assert_eq!(selection.set.root, canonical_file(&fixture("prisma/prisma/migrations")));
            assert_eq!(selection.only, Some(vec![canonical_file(&file)]));
            assert_eq!(selection.set.files.len(), 3);
        }
    }

    #[test]
    fn sqitch_file_arguments_resolve_to_the_project() {
        let deploy = fixture("sqitch/deploy/aa_enable_rls.sql");
        let selection = discover_ok(&deploy, None);
        assert_eq!(selection.set.root, canonical_file(&fixture("sqitch")));
        assert_eq!(selection.only, Some(vec![canonical_file(&deploy)]));
        assert!(selection.set.notices.is_empty(), "{:?}", selection.set.notices);

        let revert = discover_ok(&fixture("sqitch/revert/zz_disable_rls.sql"), None);
        assert_eq!(revert.set.layout, Layout::Sqitch);
        assert_eq!(
            notice_pairs(&revert.set),
            [(
                Some("fixtures/layouts/sqitch/revert/zz_disable_rls.sql"),
                "`revert/zz_disable_rls.sql` is not a deploy script: sqitch deploys only `deploy/`, so it is not \
                 linted"
            )]
        );
    }

    #[test]
    fn a_non_sql_file_in_a_migrations_folder_gets_a_notice() {
        let selection = discover_ok(&fixture("prisma/prisma/migrations/migration_lock.toml"), None);
        assert_eq!(selection.set.layout, Layout::Prisma);
        assert_eq!(
            notice_pairs(&selection.set).last(),
            Some(&(
                Some("fixtures/layouts/prisma/prisma/migrations/migration_lock.toml"),
                "`migration_lock.toml` is not a `.sql` file, so it is not linted"
            ))
        );
    }

    #[test]
    fn discover_many_merges_files_of_one_folder_and_keeps_argument_order() {
        let init = fixture("plain/migrations/1_init.sql");
        let disable = fixture("plain/migrations/10_disable_rls.sql");
        let sqitch = fixture("sqitch");
        let selections =
            discover_many(&[disable.clone(), sqitch.clone(), init.clone(), disable.clone()], None)
                .expect("selections");
        assert_eq!(selections.len(), 2);
        assert_eq!(selections[0].set.layout, Layout::Plain);
        assert_eq!(selections[0].only, Some(vec![canonical_file(&disable), canonical_file(&init)]));
        assert_eq!(selections[1].set.layout, Layout::Sqitch);
        assert_eq!(selections[1].only, None);
    }

    #[test]
    fn discover_many_with_a_folder_selects_the_whole_set() {
        let selections = discover_many(
            &[
                fixture("plain/migrations/1_init.sql"),
                fixture("plain"),
                fixture("plain/migrations/2_enable_rls.sql"),
            ],
            None,
        )
        .expect("selections");
        assert_eq!(selections.len(), 1);
        assert_eq!(selections[0].only, None);
        assert_eq!(file_names(&selections[0].set), ["1_init.sql", "2_enable_rls.sql", "10_disable_rls.sql"]);
    }

    #[test]
    fn discover_many_without_paths_means_the_current_folder() {
        let described = |result: Result<Vec<Selection>, SourceError>| match result {
            Ok(selections) => {
                format!("{:?}", selections.iter().map(|selection| &selection.set.root).collect::<Vec<_>>())
            }
            Err(error) => error.to_string(),
        };
        assert_eq!(
            described(discover_many(&[], None)),
            described(discover_many(&[PathBuf::from(".")], None))
        );
    }

    #[test]
    fn a_missing_path_is_an_error_naming_it() {
        let error = discover(Path::new("no/such/migrations"), None).expect_err("missing path");
        assert_eq!(
            error.to_string(),
            "`no/such/migrations` does not exist: pass a migrations folder, a file inside one, or a project folder"
        );
        let error =
            discover_many(&[fixture("plain"), PathBuf::from("gone.sql")], None).expect_err("missing path");
        assert!(
            matches!(error, SourceError::NotFound { ref path } if path == Path::new("gone.sql")),
            "{error}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_neither_file_nor_folder() {
        let error = discover(Path::new("/dev/null"), None).expect_err("device");
        assert_eq!(
            error.to_string(),
            "`/dev/null` is neither a file nor a folder: pass a migrations folder, a file inside one, or a project \
             folder"
        );
    }

    #[test]
    fn a_folder_without_migrations_is_an_error_listing_what_was_looked_for() {
        let project = folder_with(&[("README.md", "# project\n"), ("src/main.rs", "")]);
        let error = discover(project.path(), None).expect_err("no migrations");
        assert_eq!(
            error.to_string(),
            format!(
                "no migrations found in `{}`: expected one of supabase/migrations, drizzle, prisma/migrations, \
                 db/migrations, db/migration, migrations, src/main/resources/db/migration, db/changelog, \
                 src/main/resources/db/changelog, or a sqitch.plan, there or in a migrations folder at most 8 \
                 levels below; pass the migrations folder, or list it in `paths` in neonlint.toml",
                display_path(&canonical_file(project.path()))
            )
        );
    }

    #[test]
    fn a_file_outside_any_migrations_folder_is_an_error_naming_it() {
        let project = folder_with(&[("README.md", "# project\n"), ("migrations/1_a.sql", "")]);
        let readme = project.path().join("README.md");
        let error = discover(&readme, None).expect_err("not in a migrations folder");
        assert_eq!(
            error.to_string(),
            format!(
                "`{}` is not inside a migrations folder: its folder holds no `.sql` files, no `meta/_journal.json` \
                 and no `sqitch.plan`; pass a file from your migrations folder, or the folder itself",
                display_path(&readme)
            )
        );
    }

    #[test]
    fn an_invalid_journal_stops_discovery() {
        let project =
            folder_with(&[("drizzle/meta/_journal.json", "{\"entries\": 3}"), ("drizzle/0000_a.sql", "")]);
        let error = discover(project.path(), None).expect_err("invalid journal");
        let journal = display_path(&canonical_file(&project.path().join("drizzle/meta/_journal.json")));
        assert_eq!(
            error.to_string(),
            format!(
                "cannot read the drizzle journal `{journal}`: invalid type: integer `3`, expected a sequence at line \
                 1 column 13; fix the JSON, or restore the file from version control (drizzle-kit writes it on \
                 `drizzle-kit generate`)"
            )
        );
    }

    #[test]
    fn project_folders_are_tried_in_order() {
        let project = folder_with(&[
            ("drizzle/0000_a.sql", ""),
            ("migrations/1_b.sql", ""),
            ("src/main/resources/db/migration/V1__c.sql", ""),
        ]);
        let set = discover_ok(project.path(), None).set;
        assert_eq!(set.root, canonical_file(&project.path().join("drizzle")));
        assert_eq!(file_names(&set), ["0000_a.sql"]);
        // Detection reads the folder, not its name: without a journal this is a plain folder.
        assert_eq!(set.layout, Layout::Plain);
        assert!(set.notices.is_empty(), "{:?}", set.notices);
    }

    #[test]
    fn a_project_folder_holding_migrations_beats_an_empty_earlier_one() {
        let project = folder_with(&[("supabase/migrations/.gitkeep", ""), ("db/migrations/1_a.sql", "")]);
        let set = discover_ok(project.path(), None).set;
        assert_eq!(set.root, canonical_file(&project.path().join("db/migrations")));
    }

    #[test]
    fn an_empty_migrations_folder_gives_an_empty_set_with_a_notice() {
        let project = folder_with(&[("supabase/migrations/.gitkeep", "")]);
        let set = discover_ok(project.path(), None).set;
        assert_eq!(set.layout, Layout::Supabase);
        assert!(set.files.is_empty());
        let shown = display_path(&canonical_file(&project.path().join("supabase/migrations")));
        assert_eq!(
            notice_pairs(&set),
            [(Some(shown.as_str()), format!("found no migrations that Supabase runs in `{shown}`").as_str())]
        );
    }

    #[test]
    fn a_sqitch_plan_at_the_root_makes_a_sqitch_project() {
        let project = folder_with(&[
            ("sqitch.plan", "%project=p\nb 2024-01-01T00:00:00Z A <a@b>\na 2024-01-02T00:00:00Z A <a@b>\n"),
            ("deploy/a.sql", ""),
            ("deploy/b.sql", ""),
            ("migrations/1_x.sql", ""),
        ]);
        let set = discover_ok(project.path(), None).set;
        assert_eq!(set.layout, Layout::Sqitch);
        assert_eq!(file_names(&set), ["deploy/b.sql", "deploy/a.sql"]);
    }

    #[test]
    fn loose_sql_files_beside_a_migrations_folder_are_passed_over_with_a_notice() {
        // `supabase/seed.sql` and dbmate's `db/schema.sql` sit next to the migrations folder.
        let project = folder_with(&[
            ("supabase/seed.sql", "INSERT INTO t VALUES (1);\n"),
            ("supabase/migrations/20240101000000_a.sql", ""),
        ]);
        let supabase = canonical_file(&project.path().join("supabase"));
        let selection = discover_ok(&supabase, None);
        assert_eq!(selection.set.layout, Layout::Supabase);
        assert_eq!(selection.set.root, supabase.join("migrations"));
        assert_eq!(
            notice_pairs(&selection.set),
            [(
                Some(display_path(&supabase).as_str()),
                format!(
                    "skipped `seed.sql` in `{}`: the migrations are taken from `{}`, and files beside that \
                     folder are not migrations",
                    display_path(&supabase),
                    display_path(&supabase.join("migrations"))
                )
                .as_str()
            )]
        );

        let seed = supabase.join("seed.sql");
        let selection = discover_ok(&seed, None);
        assert_eq!(selection.set.root, supabase.join("migrations"));
        assert_eq!(selection.only, Some(vec![seed.clone()]));
        assert_eq!(
            notice_pairs(&selection.set),
            [(
                Some(display_path(&seed).as_str()),
                format!(
                    "`seed.sql` is outside the migrations folder `{}`, so it is not linted",
                    display_path(&supabase.join("migrations"))
                )
                .as_str()
            )]
        );
    }

    #[test]
    fn a_folder_with_only_loose_sql_files_is_a_migrations_folder() {
        let project = folder_with(&[("10_b.sql", ""), ("2_a.sql", ""), ("node_modules/x/1_z.sql", "")]);
        let set = discover_ok(project.path(), None).set;
        assert_eq!(set.layout, Layout::Plain);
        assert_eq!(file_names(&set), ["2_a.sql", "10_b.sql"]);
    }

    #[test]
    fn mixed_naming_is_never_silent() {
        let project = folder_with(&[("V1__a.sql", ""), ("001_b.sql", ""), ("002_c.sql", "")]);
        let set = discover_ok(project.path(), None).set;
        assert_eq!(set.layout, Layout::Flyway);
        assert_eq!(file_names(&set), ["V1__a.sql"]);
        let messages: Vec<&str> = set.notices.iter().map(|notice| notice.message.as_str()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(
            messages[0].ends_with(
                "mixes naming schemes (Flyway `V<version>__name.sql`: 1 file; numbered `<number>_name.sql`: 2 \
                 files), so the order may be wrong: neonlint used the Flyway order (`V` files by version, then `R` \
                 files); set `layout` in neonlint.toml if another tool runs these migrations"
            ),
            "{}",
            messages[0]
        );
        assert_eq!(
            messages[1],
            "skipped `001_b.sql`: Flyway only runs files named `V<version>__name.sql` and `R__name.sql`"
        );
    }

    #[test]
    fn up_part_keeps_the_dbmate_up_half_of_the_fixture() {
        let text =
            fs::read_to_string(fixture("dbmate/db/migrations/20240101000000_init.sql")).expect("fixture");
        let up_half = up_part(Layout::Dbmate, &text);
        assert_eq!(up_half.len(), text.len());
        let newlines = |text: &str| text.match_indices('\n').map(|(offset, _)| offset).collect::<Vec<_>>();
        assert_eq!(newlines(&up_half), newlines(&text));
        let lines: Vec<&str> = up_half.lines().collect();
        assert_eq!(lines[0].trim(), "");
        assert!(lines[1].starts_with("ALTER DEFAULT PRIVILEGES IN SCHEMA public"));
        assert!(lines[4].starts_with("CREATE POLICY todos_owner"));
        assert_eq!(lines[6].trim(), "NOTIFY pgrst, 'reload schema';");
        assert!(lines[7..].iter().all(|line| line.trim().is_empty()), "{lines:?}");
        assert!(!up_half.contains("DROP POLICY") && !up_half.contains("DISABLE"));
    }

    #[test]
    fn up_part_returns_other_layouts_unchanged() {
        let text = "-- migrate:up\nSELECT 1;\n-- migrate:down\nSELECT 2;\n";
        let with_markers = [Layout::Dbmate, Layout::Goose, Layout::Liquibase, Layout::Plain];
        for layout in Layout::ALL.into_iter().filter(|layout| !with_markers.contains(layout)) {
            assert!(matches!(up_part(layout, text), Cow::Borrowed(same) if same == text), "{layout}");
        }
        // dbmate and plain keep the up half; goose and liquibase find no marker of theirs.
        assert_eq!(up_part(Layout::Dbmate, text), up_part(Layout::Plain, text));
        assert_eq!(up_part(Layout::Dbmate, text).trim(), "SELECT 1;");
        assert_eq!(up_part(Layout::Goose, text), text);
        assert_eq!(up_part(Layout::Liquibase, text), text);
        let goose = "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd\n-- +goose Down\nSELECT 2;\n";
        assert_eq!(
            up_part(Layout::Goose, goose).trim(),
            "-- +goose StatementBegin\nSELECT 1;\n-- +goose StatementEnd"
        );
        assert_eq!(up_part(Layout::Plain, goose), up_part(Layout::Goose, goose));
    }

    #[test]
    fn source_errors_name_the_path() {
        let error = SourceError::Unreadable {
            path: PathBuf::from("db/migrations"),
            error: std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied"),
        };
        assert_eq!(
            error.to_string(),
            "cannot read `db/migrations`: permission denied; check that it exists and that you are allowed to read it"
        );
        assert!(std::error::Error::source(&error).is_none());
    }
}
