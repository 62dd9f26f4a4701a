//! The command line: clap definitions, and the wiring of the stages for each command.
//! No rule logic lives here; exit codes do.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use std::time::{Duration, SystemTime};

use crate::baseline;
use crate::check::{self, Run};
use crate::config::{self, Config};
use crate::fix;
use crate::introspect::{self, connect, connect::ConnectOptions};
use crate::model::FileId;
use crate::report::{self, ColorChoice, Sources, Summary};
use crate::rules::{self, Finding, Settings, Severity};
use crate::source::{self, Layout, new_migration};
use crate::suppress;

/// How long `neonlint db` waits for the server to take the Terminate message at the end.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Parser, Debug)]
#[command(
    name = "neonlint",
    version,
    about = "Find what breaks a PostgreSQL database behind Neon's Data API, and write the SQL that fixes it",
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    check: CheckArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Lint migration files (the default command)
    Check(CheckArgs),
    /// Lint a live database through its catalog (read-only)
    Db(DbArgs),
    /// Write the corrective SQL as a new migration, in the layout's own convention
    Fix {
        /// Print the migration instead of writing it
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        check: CheckArgs,
    },
    /// Record the current findings, so that `--baseline FILE` reports only new ones
    Baseline {
        /// The baseline file to write
        file: PathBuf,
        #[command(flatten)]
        check: CheckArgs,
    },
    /// Read a token offline: its claims, and why the Data API would refuse it
    Jwt(JwtArgs),
    /// List the rules: code, name, default level, summary
    Rules,
    /// Print a rule's page: what it finds, why it matters, the fix
    Explain {
        /// A rule code or name, like NL001 or rls-disabled
        rule: String,
    },
    /// Write a commented neonlint.toml with every key and its default
    Init {
        /// Overwrite an existing neonlint.toml
        #[arg(long)]
        force: bool,
    },
}

#[derive(Args, Debug, Default)]
struct CheckArgs {
    /// Migrations folder, a file inside one, or a project root [default: current directory]
    paths: Vec<PathBuf>,
    /// Report only what the migrations changed since REF (git: changed, added, untracked) cause or touch
    #[arg(long, value_name = "REF")]
    changed_since: Option<String>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args, Debug)]
struct DbArgs {
    /// Connection URL, as copied from the Neon Console [default: $DATABASE_URL, then the PG* variables]
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Check `neon_superuser` on every database the role can see, not only the connected one
    #[arg(long)]
    all_databases: bool,
    /// Seconds the connection may take: name lookup, TCP, TLS and authentication
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    connect_timeout: u64,
    /// Seconds each catalog query may run on the server; the whole catalog read may take one more
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    statement_timeout: u64,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args, Debug)]
struct JwtArgs {
    /// The token, or `-` to read it from stdin [default: $NEONLINT_JWT, else stdin]. Reading
    /// it from stdin keeps it out of the shell's history.
    token: Option<String>,
    /// The JWT Audience configured for the Data API [default: `audience` under [jwt]; none: not checked]
    #[arg(long, value_name = "AUD")]
    audience: Option<String>,
    /// The issuer the token must come from [default: `issuer` under [jwt]; none: not checked]
    #[arg(long, value_name = "ISS")]
    issuer: Option<String>,
    /// Seconds of clock skew allowed for `exp`, `nbf` and `iat` [default: `leeway` under [jwt], else 30]
    #[arg(long, value_name = "SECONDS")]
    leeway: Option<u32>,
    /// Check at this time (seconds since 1970, as in a log line) instead of now
    #[arg(long, value_name = "UNIX_SECONDS")]
    now: Option<i64>,
    #[command(flatten)]
    common: CommonArgs,
}

#[derive(Args, Debug, Default)]
struct CommonArgs {
    /// Configuration file [default: neonlint.toml in the current directory or above]
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Human, global = true)]
    format: Format,
    /// Exit with 1 when a finding is at or above this level
    #[arg(long, value_enum, default_value_t = FailOn::Warning, global = true)]
    fail_on: FailOn,
    /// Write the corrective SQL to FILE (always written; says so when there is nothing to fix)
    #[arg(long, value_name = "FILE", global = true)]
    fix_out: Option<PathBuf>,
    /// Schema the Data API exposes (repeatable; replaces `exposed_schemas`)
    #[arg(long = "schema", value_name = "SCHEMA", global = true)]
    schemas: Vec<String>,
    /// Report what `neonlint-ignore` comments and `[[ignore]]` entries would hide
    #[arg(long, global = true)]
    no_suppressions: bool,
    /// Report only findings that are not in this baseline (see `neonlint baseline`)
    #[arg(long, value_name = "FILE", global = true)]
    baseline: Option<PathBuf>,
    /// Parse every file, without reading or writing the parse cache (see NEONLINT_CACHE_DIR)
    #[arg(long, global = true)]
    no_cache: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
enum Format {
    #[default]
    Human,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning
    Sarif,
    /// GitHub Actions workflow commands (annotations)
    Github,
    /// `file:line:col: severity: message [code]`, for editors
    Gcc,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Error,
    #[default]
    Warning,
    Info,
    Never,
}

impl FailOn {
    fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

/// A failure of the tool itself (exit code 2), already worded for the user.
#[derive(Debug)]
pub struct Error(pub String);

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl<E: std::error::Error> From<E> for Error {
    fn from(error: E) -> Self {
        Error(error.to_string())
    }
}

pub fn run() -> Result<ExitCode, Error> {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with 0; usage errors are exit 2.
            let _ = error.print();
            return Ok(if error.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS });
        }
    };
    match cli.command {
        None => check_command(cli.check),
        Some(Command::Check(args)) => check_command(args),
        Some(Command::Db(args)) => db_command(args),
        Some(Command::Baseline { file, check }) => baseline_command(&file, check),
        Some(Command::Fix { dry_run, check }) => fix_command(dry_run, check),
        Some(Command::Jwt(args)) => jwt_command(args),
        Some(Command::Rules) => rules_command(),
        Some(Command::Explain { rule }) => explain_command(&rule),
        Some(Command::Init { force }) => init_command(force),
    }
}

/// The configuration, with `--schema` applied.
fn load_config(common: &CommonArgs) -> Result<Config, Error> {
    let cwd =
        std::env::current_dir().map_err(|e| Error(format!("cannot read the current directory: {e}")))?;
    let mut config = Config::load(common.config.as_deref(), &cwd)?;
    if !common.schemas.is_empty() {
        config.exposed_schemas = common.schemas.clone();
    }
    config.suppressions = !common.no_suppressions;
    if !common.no_cache {
        config.parse_cache = crate::cache::ParseCache::open_default().map(std::sync::Arc::new);
    }
    Ok(config)
}

fn check_command(args: CheckArgs) -> Result<ExitCode, Error> {
    let config = load_config(&args.common)?;
    let selections = select(&args, &config)?;
    if let Some(fix_out) = &args.common.fix_out {
        refuse_to_overwrite_a_migration(fix_out, &selections)?;
    }
    let mut run = check::run_for_report(&selections, &config)?;
    print_notices(&run);
    run.findings = apply_baseline(run.findings, args.common.baseline.as_deref())?;

    if let Some(fix_out) = &args.common.fix_out {
        // A fix computed without some migrations could undo or repeat what they do.
        if run.unreadable.is_empty() {
            write_atomically(fix_out, &fix::render(&run.findings, &command_line()))?;
        } else {
            eprintln!(
                "neonlint: note: did not write `{}`: some migrations could not be read (below)",
                fix_out.display()
            );
        }
    }
    let summary = Summary::new(&run.findings, run.files.len(), run.statement_count);
    print_report(args.common.format, &run.findings, &run, summary, &report::files_subject(summary))?;
    if print_unreadable(&run) {
        return Ok(ExitCode::from(2));
    }
    Ok(exit_code(&run.findings, args.common.fail_on))
}

/// The migration sets to check: the paths (or the current directory), narrowed to the
/// files changed since `--changed-since`.
fn select(args: &CheckArgs, config: &Config) -> Result<Vec<source::Selection>, Error> {
    let layout = match &config.layout {
        None => None,
        Some(name) => Some(Layout::from_name(name).ok_or_else(|| {
            let known: Vec<&str> = Layout::ALL.iter().map(|layout| layout.name()).collect();
            Error(format!(
                "invalid configuration in `{}`: unknown layout `{name}`; use one of {}",
                config.path.as_deref().unwrap_or(Path::new(config::FILE_NAME)).display(),
                known.join(", ")
            ))
        })?),
    };
    // No path given: the `paths` of neonlint.toml, relative to its folder, else the current one.
    let configured: Vec<PathBuf> = match (&config.path, args.paths.is_empty()) {
        (Some(config_path), true) => {
            let base = config_path.parent().unwrap_or(Path::new("."));
            config.paths.iter().map(|path| base.join(path)).collect()
        }
        _ => Vec::new(),
    };
    let paths = if args.paths.is_empty() { &configured } else { &args.paths };
    let mut selections = source::discover_many(paths, layout)?;
    print_search_result(&selections);
    let Some(reference) = &args.changed_since else { return Ok(selections) };
    let cwd =
        std::env::current_dir().map_err(|e| Error(format!("cannot read the current directory: {e}")))?;
    let changed = source::git::changed_since(&cwd, reference).map_err(Error)?;
    for selection in &mut selections {
        let chosen = selection
            .set
            .files
            .iter()
            .map(|file| file.path.clone())
            .filter(|path| changed.contains(path))
            .filter(|path| selection.only.as_ref().is_none_or(|only| only.contains(path)))
            .collect();
        selection.only = Some(chosen);
    }
    if selections.iter().all(|selection| selection.only.as_ref().is_some_and(Vec::is_empty)) {
        eprintln!("neonlint: note: no migration changed since `{reference}`");
    }
    Ok(selections)
}

/// Says which migrations folders a search below a repository root found, and as what.
fn print_search_result(selections: &[source::Selection]) {
    let mut searched: Vec<&Path> = Vec::new();
    for selection in selections {
        if let Some(root) = selection.found_below.as_deref() {
            if !searched.contains(&root) {
                searched.push(root);
            }
        }
    }
    for root in searched {
        let found: Vec<String> = selections
            .iter()
            .filter(|selection| selection.found_below.as_deref() == Some(root))
            .map(|selection| {
                format!("`{}` ({})", source::display_path(&selection.set.root), selection.set.layout)
            })
            .collect();
        eprintln!(
            "neonlint: note: `{}` has no migrations of its own; checking {} migrations folder{} found below it, \
             each on its own: {}; list them in `paths` in neonlint.toml to choose",
            source::display_path(root),
            found.len(),
            if found.len() == 1 { "" } else { "s" },
            found.join(", ")
        );
    }
}

/// Drops the findings `--baseline` knows, and says when some of its entries are gone.
fn apply_baseline(findings: Vec<Finding>, path: Option<&Path>) -> Result<Vec<Finding>, Error> {
    let Some(path) = path else { return Ok(findings) };
    let (findings, stale) = baseline::load(path).map_err(Error)?.filter(findings);
    if stale > 0 {
        eprintln!(
            "neonlint: note: {stale} finding{} in the baseline `{}` no longer occur; \
             refresh it with `neonlint baseline {}`",
            if stale == 1 { "" } else { "s" },
            path.display(),
            path.display()
        );
    }
    Ok(findings)
}

/// `neonlint fix`: the corrective SQL of what `check` reports, as the next migration.
fn fix_command(dry_run: bool, args: CheckArgs) -> Result<ExitCode, Error> {
    let config = load_config(&args.common)?;
    let selections = select(&args, &config)?;
    let [selection] = selections.as_slice() else {
        return Err(Error(
            "`neonlint fix` writes one migration into one migrations folder; pass one folder".to_string(),
        ));
    };
    let mut run = check::run_for_report(&selections, &config)?;
    print_notices(&run);
    refuse_partial_run(&run, "write the fix migration")?;
    run.findings = apply_baseline(run.findings, args.common.baseline.as_deref())?;
    let blocks = fix::for_migration(fix::blocks(&run.findings));
    let (statements, notes) = fix::statements(&blocks);
    if statements.is_empty() {
        eprintln!("neonlint: nothing to fix: no finding has corrective SQL");
        return Ok(ExitCode::SUCCESS);
    }
    let mut header = fix::header("neonlint fix");
    for note in &notes {
        header.push_str("--\n-- Not written as SQL, complete it yourself:\n");
        header.push_str(note);
        header.push('\n');
    }
    let plan = new_migration::plan(&selection.set, header.trim_end(), &statements, SystemTime::now())?;
    if dry_run {
        let mut out = String::new();
        for (path, text) in plan.created.iter().chain(&plan.updated) {
            out.push_str(&format!("==> {} <==\n{text}\n", source::display_path(path)));
        }
        for note in &plan.notes {
            eprintln!("neonlint: note: {note}");
        }
        print_stdout(&out)?;
        return Ok(ExitCode::SUCCESS);
    }
    new_migration::write(&plan).map_err(|error| Error(format!("cannot write the fix migration: {error}")))?;
    for note in &plan.notes {
        eprintln!("neonlint: note: {note}");
    }
    let mut out = String::new();
    for (path, _) in &plan.created {
        out.push_str(&format!("wrote {}\n", source::display_path(path)));
    }
    for (path, _) in &plan.updated {
        out.push_str(&format!("updated {}\n", source::display_path(path)));
    }
    print_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn baseline_command(file: &Path, args: CheckArgs) -> Result<ExitCode, Error> {
    let config = load_config(&args.common)?;
    let selections = select(&args, &config)?;
    let run = check::run_for_report(&selections, &config)?;
    print_notices(&run);
    refuse_partial_run(&run, &format!("write the baseline `{}`", source::display_path(file)))?;
    write_atomically(file, &baseline::render(&run.findings))?;
    eprintln!(
        "neonlint: wrote {} with {} finding{}; use it with `neonlint check --baseline {}`",
        source::display_path(file),
        run.findings.len(),
        if run.findings.len() == 1 { "" } else { "s" },
        source::display_path(file)
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the report in `format` to stdout as it is rendered, so a large report is never
/// held in memory whole; `subject` says what was checked, for the human summary line.
fn print_report(
    format: Format,
    findings: &[Finding],
    sources: &dyn Sources,
    summary: Summary,
    subject: &str,
) -> Result<(), Error> {
    let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
    let written = match format {
        Format::Human => {
            report::write_human(&mut stdout, findings, sources, summary, color_choice(), subject)
        }
        Format::Json => report::write_json(&mut stdout, findings, sources, summary),
        Format::Sarif => stdout.write_all(report::render_sarif(findings, sources, summary).as_bytes()),
        Format::Github => report::write_github(&mut stdout, findings, sources, summary),
        Format::Gcc => report::write_gcc(&mut stdout, findings, sources, summary),
    };
    match written.and_then(|()| stdout.flush()) {
        // A closed pipe (`neonlint … | head`) is not an error worth reporting.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|error| Error(format!("cannot write the report: {error}"))),
    }
}

fn exit_code(findings: &[Finding], fail_on: FailOn) -> ExitCode {
    let failed = fail_on
        .threshold()
        .is_some_and(|threshold| findings.iter().any(|finding| finding.severity >= threshold));
    if failed { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn db_command(args: DbArgs) -> Result<ExitCode, Error> {
    let config = load_config(&args.common)?;
    if let Some(fix_out) = &args.common.fix_out
        && fix_out.is_dir()
    {
        return Err(Error(format!("--fix-out `{}` is a directory; give a file name", fix_out.display())));
    }
    let options = ConnectOptions {
        url: args.url.clone(),
        connect_timeout: Duration::from_secs(args.connect_timeout.max(1)),
        database: None,
    };
    let scope = introspect::Scope {
        all_databases: args.all_databases,
        migration_role: config.migration_role.clone(),
    };
    let statement_timeout = Duration::from_secs(args.statement_timeout.max(1));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error(format!("cannot start the async runtime: {e}")))?;
    // The connect timeout bounds the connection and the statement timeout the catalog read,
    // on the server and here, so a server that stops answering cannot hold the run.
    let read = runtime.block_on(async {
        let mut connection = connect::connect(&options).await.map_err(|error| Error(error.to_string()))?;
        let target = connection.target.clone();
        let read = introspect::read(&mut connection.client, &scope, statement_timeout).await;
        // A server that stopped answering gets no goodbye; any other gets Terminate.
        if !matches!(&read, Err(error) if matches!(error.kind, introspect::ReadErrorKind::Stalled(_))) {
            connection.close(CLOSE_TIMEOUT).await;
        }
        match read {
            Ok((catalog, _)) => Ok((catalog, target)),
            Err(error) => Err(Error(introspect::describe_error(&error, &target, statement_timeout))),
        }
    });
    // A name lookup still running on a blocking thread must not hold the exit.
    runtime.shutdown_background();
    let (catalog, target) = read?;

    let settings = Settings { explain_console_grants: false, ..config.settings() };
    let findings = rules::check(&catalog, &settings);
    // Only the configuration's `[[ignore]]` applies: a database has no comments to read.
    let mut suppressions = suppress::from_config(&config);
    let mut findings = suppress::apply(findings, &mut suppressions, &[]);
    findings.extend(suppress::unused_config_findings(&suppressions));
    check::apply_levels(&mut findings, &config);
    let findings = apply_baseline(findings, args.common.baseline.as_deref())?;
    if let Some(fix_out) = &args.common.fix_out {
        write_atomically(fix_out, &fix::render(&findings, &command_line()))?;
    }
    let summary = Summary::new(&findings, 0, 0);
    let subject = format!("in database `{}` ({target})", target.database);
    print_report(args.common.format, &findings, &NoSources, summary, &subject)?;
    Ok(exit_code(&findings, args.common.fail_on))
}

/// Says which migrations could not be read, and why; `true` when there were any. The
/// run then ends with exit code 2 whatever `--fail-on` says: its findings miss what those
/// files do.
fn print_unreadable(run: &Run) -> bool {
    let mut stderr = std::io::stderr().lock();
    for file in &run.unreadable {
        let _ = writeln!(
            stderr,
            "neonlint: error: cannot read the migration `{}`: {}. The other migrations were checked without \
             it, so the findings may be incomplete",
            file.display, file.error
        );
    }
    !run.unreadable.is_empty()
}

/// The error for commands that must not act on a partial run (`fix`, `baseline`).
fn refuse_partial_run(run: &Run, what: &str) -> Result<(), Error> {
    if print_unreadable(run) {
        return Err(Error(format!(
            "did not {what}: some migrations could not be read; fix them and run again"
        )));
    }
    Ok(())
}

fn print_notices(run: &Run) {
    let mut stderr = std::io::stderr().lock();
    for notice in &run.notices {
        let place = match (&notice.path, notice.line) {
            (Some(path), Some(line)) => format!("{path}:{line}: "),
            (Some(path), None) => format!("{path}: "),
            _ => String::new(),
        };
        let level = if notice.warning { "warning" } else { "note" };
        let _ = writeln!(stderr, "neonlint: {level}: {place}{}", notice.message);
    }
}

fn jwt_command(args: JwtArgs) -> Result<ExitCode, Error> {
    let config = load_config(&args.common)?;
    let token = match (args.token.as_deref(), std::env::var_os("NEONLINT_JWT")) {
        (Some("-"), _) | (None, None) => {
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
                eprintln!("neonlint: reading the token from stdin: paste it, then press Ctrl-D");
            }
            let mut text = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut text)
                .map_err(|e| Error(format!("cannot read the token from stdin: {e}")))?;
            text
        }
        (Some(token), _) => token.to_string(),
        (None, Some(value)) => value.into_string().map_err(|_| {
            Error("NEONLINT_JWT is not valid UTF-8: pass the token on stdin instead".to_string())
        })?,
    };
    if token.trim().is_empty() {
        return Err(Error("no token: pass it as an argument, on stdin, or in NEONLINT_JWT".to_string()));
    }
    let now = match args.now {
        Some(now) => now,
        None => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| Error("the system clock is before 1970: pass --now".to_string()))?
            .as_secs() as i64,
    };
    let expect = crate::jwt::Expectations {
        audience: args.audience.or(config.jwt.audience.clone()),
        issuer: args.issuer.or(config.jwt.issuer.clone()),
        leeway: i64::from(args.leeway.or(config.jwt.leeway).unwrap_or(30)),
        now,
    };
    let mut report = crate::jwt::check(&token, &expect);
    check::apply_levels(&mut report.findings, &config);
    if args.common.format == Format::Human
        && let Some(decoded) = &report.decoded
    {
        print_stdout(&format!("{}\n", crate::jwt::describe(decoded, now)))?;
    }
    let summary = Summary::new(&report.findings, 0, 0);
    print_report(args.common.format, &report.findings, &NoSources, summary, "in the token")?;
    Ok(exit_code(&report.findings, args.common.fail_on))
}

fn rules_command() -> Result<ExitCode, Error> {
    // Columns are separated by at least two spaces, so scripts can split them.
    let mut out =
        format!("{:<5}  {:<30}  {:<7}  {:<9}  {:<3}  {}\n", "code", "name", "level", "modes", "fix", "finds");
    for rule in rules::RULES {
        let fix = if rule.fixable { "yes" } else { "no" };
        out.push_str(&format!(
            "{:<5}  {:<30}  {:<7}  {:<9}  {:<3}  {}\n",
            rule.code,
            rule.name,
            rule.level,
            rule.sources.modes(),
            fix,
            rule.summary
        ));
    }
    print_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn explain_command(name: &str) -> Result<ExitCode, Error> {
    let rule = config::lookup_rule(name).map_err(Error)?;
    print_stdout(rule.page)?;
    Ok(ExitCode::SUCCESS)
}

fn init_command(force: bool) -> Result<ExitCode, Error> {
    let cwd =
        std::env::current_dir().map_err(|e| Error(format!("cannot read the current directory: {e}")))?;
    let path = cwd.join(config::FILE_NAME);
    if path.exists() && !force {
        return Err(Error(format!(
            "`{}` already exists; edit it, or run `neonlint init --force` to replace it",
            path.display()
        )));
    }
    let detected = source::discover(&cwd, None).ok();
    let text =
        config::template(detected.as_ref().map(|selection| (selection.set.layout, &selection.set.root)));
    write_atomically(&path, &text)?;
    eprintln!("neonlint: wrote {}", source::display_path(&path));
    Ok(ExitCode::SUCCESS)
}

/// `--fix-out` must never replace a migration: applied migrations are not edited.
fn refuse_to_overwrite_a_migration(fix_out: &Path, selections: &[source::Selection]) -> Result<(), Error> {
    let target = fix_out.canonicalize().ok();
    for file in selections.iter().flat_map(|selection| &selection.set.files) {
        if target.is_some() && file.path.canonicalize().ok() == target {
            return Err(Error(format!(
                "--fix-out `{}` is one of the migrations being checked; neonlint never edits a migration: \
                 write the fix to a new file",
                fix_out.display()
            )));
        }
    }
    if fix_out.is_dir() {
        return Err(Error(format!("--fix-out `{}` is a directory; give a file name", fix_out.display())));
    }
    Ok(())
}

/// Writes through a temporary file, so a failure never leaves half a file behind.
fn write_atomically(path: &Path, contents: &str) -> Result<(), Error> {
    let file_name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{file_name}.neonlint-tmp"));
    let failed = |error: std::io::Error| Error(format!("cannot write `{}`: {error}", path.display()));
    std::fs::write(&temporary, contents).map_err(failed)?;
    std::fs::rename(&temporary, path).map_err(|error| {
        let _ = std::fs::remove_file(&temporary);
        failed(error)
    })
}

fn print_stdout(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        // A closed pipe (`neonlint … | head`) is not an error worth reporting.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|error| Error(format!("cannot write the report: {error}"))),
    }
}

fn color_choice() -> ColorChoice {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
    if no_color || !std::io::stdout().is_terminal() { ColorChoice::Never } else { ColorChoice::Always }
}

/// The command line, for the fix file's header, with any password in `--url` replaced.
fn command_line() -> String {
    let mut after_url = false;
    let args: Vec<String> = std::env::args()
        .skip(1)
        .map(|arg| {
            let redacted = match arg.strip_prefix("--url=") {
                Some(url) => format!("--url={}", connect::redact(url)),
                None if after_url => connect::redact(&arg),
                None => arg.clone(),
            };
            after_url = arg == "--url";
            redacted
        })
        .collect();
    format!("neonlint {}", args.join(" ")).trim_end().to_string()
}

/// `db` reports have no files to show snippets from.
struct NoSources;

impl Sources for NoSources {
    fn path(&self, _file: FileId) -> Option<&str> {
        None
    }

    fn text(&self, _file: FileId) -> Option<Arc<str>> {
        None
    }
}

impl Sources for Run {
    fn path(&self, file: FileId) -> Option<&str> {
        self.file(file).map(|file| file.display.as_str())
    }

    fn text(&self, file: FileId) -> Option<Arc<str>> {
        self.file(file).map(|file| file.text())
    }
}
