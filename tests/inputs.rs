//! Files as PostgreSQL reads them, and inputs neonlint cannot read: byte order marks, lone
//! CRs, UTF-16 and Latin-1 text, unreadable files, FIFOs and devices given as paths,
//! symbolic links that loop, psql includes, and configuration that checks nothing.
//!
//! Where psql's reading is the question (BOM, CR), a live test runs the file through the
//! real psql into a fresh database and compares the tables it created with what neonlint
//! saw.

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Run, assert_findings, found, neonlint_in, parse_findings};

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) {
    fs::write(dir.join(name), contents).unwrap();
}

/// `neonlint check --format json --fail-on never` in `dir`, with its findings' tables.
fn check_json(dir: &Path) -> (Run, Vec<common::Found>) {
    let run = neonlint_in(dir, &["check", "--format", "json", "--fail-on", "never", "."]);
    let findings = if run.code == 0 { parse_findings(&run.stdout) } else { Vec::new() };
    (run, findings)
}

/// NL001 and NL000 only: the table seen (or not) and any parse error.
fn seen(findings: Vec<common::Found>) -> Vec<common::Found> {
    findings.into_iter().filter(|f| f.code == "NL001" || f.code == "NL000").collect()
}

/// Runs the binary with `args` in `dir`, killing it after `limit`: `None` if it had to be
/// killed (it would have hung).
fn bounded_run(dir: &Path, args: &[&str], limit: Duration) -> Option<Run> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_neonlint"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            let output = child.wait_with_output().unwrap();
            return Some(Run {
                code: output.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            });
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// Runs the binary as an unprivileged user: as `nobody` through `setpriv` when the tests
/// run as root (root reads files whatever their mode), else as the current user.
fn unprivileged(dir: &Path, args: &[&str]) -> Run {
    let root = fs::metadata("/proc/self").is_ok_and(|metadata| {
        use std::os::unix::fs::MetadataExt;
        metadata.uid() == 0
    });
    let mut command = if root {
        let mut command = Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_neonlint")]);
        command
    } else {
        Command::new(env!("CARGO_BIN_EXE_neonlint"))
    };
    let output = command
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .output()
        .expect("setpriv runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A temporary folder others can enter and read (for the unprivileged runs).
fn open_tempdir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

#[test]
fn utf8_byte_order_mark_does_not_hide_the_table() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "1_init.sql", b"\xef\xbb\xbfCREATE TABLE public.t (id int);\n");
    let (run, findings) = check_json(dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_findings(seen(findings), vec![found("NL001", "public.t", "1_init.sql", 1)], "file with a BOM");
    // The column is the first character an editor shows, in every format.
    let gcc = neonlint_in(dir.path(), &["check", "--format", "gcc", "--fail-on", "never", "."]);
    assert!(gcc.stdout.contains("1_init.sql:1:1: error: table `public.t`"), "{}", gcc.stdout);
}

#[test]
fn lone_cr_ends_a_comment_and_a_line_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "1_init.sql",
        "-- note\rCREATE TABLE public.t (id int);\r\r  CREATE TABLE public.u (id int);\r",
    );
    let (run, findings) = check_json(dir.path());
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_findings(
        seen(findings),
        vec![found("NL001", "public.t", "1_init.sql", 2), found("NL001", "public.u", "1_init.sql", 4)],
        "file with lone CRs",
    );
    let format =
        |name: &str| neonlint_in(dir.path(), &["check", "--format", name, "--fail-on", "never", "."]);
    let gcc = format("gcc").stdout;
    assert!(gcc.contains("1_init.sql:2:1: error: table `public.t`"), "{gcc}");
    assert!(gcc.contains("1_init.sql:4:3: error: table `public.u`"), "{gcc}");
    let github = format("github").stdout;
    assert!(github.contains("line=4,col=3"), "{github}");
    let sarif: serde_json::Value = serde_json::from_str(&format("sarif").stdout).unwrap();
    let lines: Vec<u64> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|result| result["ruleId"] == "NL001")
        .map(|result| result["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![2, 4]);
    let human = format("human").stdout;
    assert!(!human.contains('\r'), "a raw CR in the human report: {human:?}");
    assert!(human.contains("1_init.sql:4:3]"), "{human}");
}

#[test]
fn utf16_file_is_named_as_utf16_and_exit_2() {
    let sql = "CREATE TABLE public.t (id int);\n";
    for (name, big_endian) in [("1_le.sql", false), ("1_be.sql", true)] {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes: Vec<u8> = if big_endian { vec![0xfe, 0xff] } else { vec![0xff, 0xfe] };
        for unit in sql.encode_utf16() {
            bytes.extend(if big_endian { unit.to_be_bytes() } else { unit.to_le_bytes() });
        }
        write(dir.path(), name, bytes);
        let (run, _) = check_json(dir.path());
        assert_eq!(run.code, 2, "{}", run.stderr);
        let endian = if big_endian { "big-endian" } else { "little-endian" };
        assert!(
            run.stderr.contains(&format!("it is UTF-16 ({endian}, with a byte order mark)")),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains("save it as UTF-8"), "{}", run.stderr);
        assert!(!run.stderr.contains("binary"), "{}", run.stderr);
    }
}

#[test]
fn latin1_file_names_the_invalid_byte_line_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "1_init.sql",
        b"CREATE TABLE public.t (id int);\r\n-- Z\xfcrich\nCREATE TABLE public.u ();\n",
    );
    let (run, _) = check_json(dir.path());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "the byte 0xFC at line 2, column 5 (byte offset 37) is invalid; save the file as UTF-8"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn unreadable_migration_is_exit_2_even_with_fail_on_never() {
    let dir = open_tempdir();
    write(dir.path(), "1_init.sql", "CREATE TABLE public.t (id int);\n");
    write(dir.path(), "2_secret.sql", "CREATE TABLE public.u (id int);\n");
    fs::set_permissions(dir.path().join("2_secret.sql"), fs::Permissions::from_mode(0o000)).unwrap();
    let run = unprivileged(dir.path(), &["check", "--format", "json", "--fail-on", "never", "."]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("cannot read the migration `2_secret.sql`: cannot read it (Permission denied"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("check its permissions"), "{}", run.stderr);
    // The other file is still checked and reported.
    let findings = seen(parse_findings(&run.stdout));
    assert_findings(findings, vec![found("NL001", "public.t", "1_init.sql", 1)], "the readable migration");
}

#[test]
fn unreadable_config_found_by_search_does_not_name_the_config_flag() {
    let dir = open_tempdir();
    write(dir.path(), "neonlint.toml", "exposed_schemas = [\"public\"]\n");
    fs::set_permissions(dir.path().join("neonlint.toml"), fs::Permissions::from_mode(0o000)).unwrap();
    let migrations = dir.path().join("migrations");
    fs::create_dir(&migrations).unwrap();
    write(&migrations, "1_init.sql", "CREATE TABLE public.t (id int);\n");
    let run = unprivileged(dir.path(), &["check"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("neonlint.toml") && run.stderr.contains("Permission denied"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("searching upward from the current folder"), "{}", run.stderr);
    assert!(!run.stderr.contains("check the path given to --config"), "{}", run.stderr);
}

#[test]
fn devices_and_fifos_given_as_files_fail_at_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "1_init.sql", "CREATE TABLE public.t (id int);\n");
    let fifo = dir.path().join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let fifo = fifo.to_str().unwrap();
    for (args, expected) in [
        (vec!["check", "--config", "/dev/zero", "."], "it is a character device, not a regular file"),
        (vec!["check", "--config", fifo, "."], "it is a named pipe (FIFO), not a regular file"),
        (vec!["check", "--baseline", "/dev/zero", "."], "it is a character device, not a regular file"),
        (vec!["check", "--baseline", fifo, "."], "it is a named pipe (FIFO), not a regular file"),
        (vec!["check", fifo], "is neither a file nor a folder"),
    ] {
        let run = bounded_run(dir.path(), &args, Duration::from_secs(20))
            .unwrap_or_else(|| panic!("{args:?} did not end"));
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn symbolic_link_loops_and_non_files_in_a_folder_are_named() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "1_init.sql", "CREATE TABLE public.t (id int);\n");
    std::os::unix::fs::symlink("3_c.sql", dir.path().join("2_b.sql")).unwrap();
    std::os::unix::fs::symlink("2_b.sql", dir.path().join("3_c.sql")).unwrap();
    std::os::unix::fs::symlink("gone.sql", dir.path().join("4_d.sql")).unwrap();
    assert!(Command::new("mkfifo").arg(dir.path().join("5_e.sql")).status().unwrap().success());
    let run = bounded_run(dir.path(), &["check", "--fail-on", "never", "."], Duration::from_secs(20))
        .expect("a FIFO in the folder does not hang the run");
    assert_eq!(run.code, 0, "{}", run.stderr);
    for expected in [
        "skipped `2_b.sql`: it is a symbolic link that loops back on itself",
        "skipped `3_c.sql`: it is a symbolic link that loops back on itself",
        "skipped `4_d.sql`: it is a symbolic link to `gone.sql`, which does not exist",
        "skipped `5_e.sql`: it is not a regular file",
    ] {
        assert_eq!(run.stderr.matches(expected).count(), 1, "once: `{expected}` in {}", run.stderr);
    }
}

#[test]
fn psql_includes_are_named_once_per_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "1_init.sql", "\\ir tables.sql\nCREATE TABLE public.t (id int);\n\\i more.sql\n");
    let run = neonlint_in(dir.path(), &["check", "--fail-on", "never", "."]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr.matches("is not followed").count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("note: 1_init.sql:1: psql include `\\ir tables.sql` is not followed (and 1 more"),
        "{}",
        run.stderr
    );
}

#[test]
fn empty_exposed_schemas_is_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "neonlint.toml", "exposed_schemas = []\n");
    write(dir.path(), "1_init.sql", "CREATE TABLE public.t (id int);\n");
    let run = neonlint_in(dir.path(), &["check", "."]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`exposed_schemas` is empty"), "{}", run.stderr);
}

/// psql is the judge of how a file is read: the tables it creates from each file are the
/// tables neonlint reports (NL001 on a fresh database), at the same lines.
#[test]
fn psql_and_neonlint_read_bom_and_lone_cr_files_alike() {
    let Some(live) = common::live::live("psql_and_neonlint_read_bom_and_lone_cr_files_alike") else { return };
    if Command::new("psql").arg("--version").output().is_err() {
        assert!(!std::env::var("CI").is_ok_and(|value| value == "true"), "CI=true needs psql for this test");
        eprintln!("skipped: psql is not installed");
        return;
    }
    let files: [(&str, &[u8]); 3] = [
        ("bom.sql", b"\xef\xbb\xbfCREATE TABLE public.t (id int);\n"),
        ("cr.sql", b"-- note\rCREATE TABLE public.t (id int);\r-- x\rCREATE TABLE public.u (id int);\r"),
        ("crlf.sql", b"-- a\r\nCREATE TABLE public.t (id int); -- b\r\nCREATE TABLE public.u (id int);\r\n"),
    ];
    for (name, contents) in files {
        let database = live.create_database(name);
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), name, contents);
        let admin = common::live::admin_url();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let output = Command::new("psql")
            .arg(format!("{base}/{}", database.name))
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-f"])
            .arg(dir.path().join(name))
            .output()
            .unwrap();
        assert!(output.status.success(), "psql -f {name}: {}", String::from_utf8_lossy(&output.stderr));
        let client = database.client();
        let created: Vec<String> = live
            .block_on(client.query(
                "SELECT 'public.' || relname FROM pg_class WHERE relnamespace = 'public'::regnamespace \
                 AND relkind = 'r' ORDER BY 1",
                &[],
            ))
            .unwrap()
            .iter()
            .map(|row| row.get(0))
            .collect();
        let (run, findings) = check_json(dir.path());
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        let mut seen: Vec<String> =
            seen(findings).into_iter().filter(|f| f.code == "NL001").map(|f| f.object).collect();
        seen.sort();
        assert_eq!(seen, created, "{name}: neonlint's tables against psql's");
    }
}
