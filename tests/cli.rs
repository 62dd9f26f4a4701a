//! The command line as users meet it: exit codes, messages for bad input, report formats,
//! `--fix-out`, `rules`, `explain`, `init`.

mod common;

use std::fs;

use common::{assert_findings, findings, fixture, found, neonlint, neonlint_in};

fn write(dir: &std::path::Path, name: &str, contents: impl AsRef<[u8]>) -> std::path::PathBuf {
    let path = dir.join(name);
    fs::write(&path, contents).unwrap();
    path
}

#[test]
fn missing_path_is_exit_2_naming_it() {
    let run = neonlint(&["check", "no/such/folder"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.starts_with("neonlint: `no/such/folder` does not exist"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn folder_without_migrations_is_exit_2_with_what_was_looked_for() {
    let dir = tempfile::tempdir().unwrap();
    let run = neonlint_in(dir.path(), &["check"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("no migrations found") && run.stderr.contains("supabase/migrations"),
        "{}",
        run.stderr
    );
}

#[test]
fn bad_config_is_exit_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let migrations = dir.path().join("migrations");
    fs::create_dir(&migrations).unwrap();
    write(&migrations, "1_init.sql", "CREATE TABLE t ();");
    for (config, expected) in [
        ("exposed_schema = [\"api\"]\n", "unknown field `exposed_schema`"),
        ("[rules]\nrls-disable = \"off\"\n", "did you mean `rls-disabled`"),
        ("assume_data_api_grants = 1\n", "line 1"),
        ("layout = \"rails\"\n", "unknown layout `rails`"),
        ("api_roles = []\n", "`api_roles` is empty"),
    ] {
        write(dir.path(), "neonlint.toml", config);
        let run = neonlint_in(dir.path(), &["check"]);
        assert_eq!(run.code, 2, "{config}: {}", run.stderr);
        assert!(
            run.stderr.contains("neonlint.toml") && run.stderr.contains(expected),
            "{config}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    let run = neonlint_in(dir.path(), &["check", "--config", "missing.toml"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("missing.toml"), "{}", run.stderr);
}

#[test]
fn binary_and_non_utf8_files_are_exit_2_and_the_others_still_run() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "1_init.sql", "CREATE TABLE public.t (id int);\nNOTIFY pgrst, 'reload schema';\n");
    write(dir.path(), "2_blob.sql", b"\x00\x01\x02binary");
    write(dir.path(), "3_latin1.sql", b"-- caf\xe9\nCREATE TABLE public.u ();\n");
    let run = neonlint(&["check", "--format", "json", "--fail-on", "never", dir.path().to_str().unwrap()]);
    // The run could not read two inputs: exit 2 whatever --fail-on says, one error each.
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("2_blob.sql`: it looks binary"), "{}", run.stderr);
    assert!(
        run.stderr.contains("3_latin1.sql`: it is not UTF-8: the byte 0xE9 at line 1, column 7"),
        "{}",
        run.stderr
    );
    let mut actual = common::parse_findings(&run.stdout);
    actual.retain(|f| f.code != "NL003" && f.code != "NL004");
    assert_findings(actual, vec![common::found("NL001", "public.t", "1_init.sql", 1)], "the readable file");
}

#[test]
fn unterminated_comment_is_reported_where_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "1_init.sql",
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;\n\n/* forgot to close\nCREATE TABLE t ();\n",
    );
    assert_findings(
        findings(&[dir.path().to_str().unwrap()]),
        vec![found("NL000", "1_init.sql", "1_init.sql", 3)],
        "unterminated comment",
    );
}

#[test]
fn deep_nesting_and_a_large_file_do_not_crash() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!(
        "CREATE TABLE public.t (id int DEFAULT {}1{});\nCREATE POLICY p ON public.t USING ({}true{});\nSELECT {}1{};\n",
        "(".repeat(5000),
        ")".repeat(5000),
        "(".repeat(5000),
        ")".repeat(5000),
        "(".repeat(5000),
        ")".repeat(5000)
    );
    write(dir.path(), "1_deep.sql", deep);
    let mut large = String::with_capacity(52 << 20);
    large.push_str("CREATE TABLE public.big (id bigint PRIMARY KEY, body text);\n");
    while large.len() < 50 << 20 {
        large.push_str(
            "INSERT INTO public.big (id, body) VALUES (1, 'some text with a ; semicolon and ''quotes''');\n",
        );
    }
    write(dir.path(), "2_large.sql", large);
    let mut actual = findings(&[dir.path().to_str().unwrap()]);
    actual.retain(|f| ["NL000", "NL001", "NL006"].contains(&f.code.as_str()));
    // The deeply nested table and policy are still read: the policy without RLS shows it.
    assert_findings(
        actual,
        vec![
            found("NL001", "public.t", "1_deep.sql", 1),
            found("NL006", "public.t", "1_deep.sql", 2),
            found("NL001", "public.big", "2_large.sql", 1),
        ],
        "deep nesting and a 50 MB file",
    );
}

#[test]
fn fail_on_sets_the_exit_code() {
    let warnings_only = fixture("rules/rls-no-policy/bad");
    let path = warnings_only.to_str().unwrap();
    assert_eq!(neonlint(&["check", path]).code, 1);
    assert_eq!(neonlint(&["check", "--fail-on", "error", path]).code, 0);
    assert_eq!(neonlint(&["check", "--fail-on", "never", fixture("demo").to_str().unwrap()]).code, 0);
    assert_eq!(neonlint(&["check", fixture("rules/rls-no-policy/good").to_str().unwrap()]).code, 0);
    assert_eq!(neonlint(&["check", "--fail-on", "sometimes", path]).code, 2);
}

#[test]
fn fix_out_is_always_written_and_never_replaces_a_migration() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fix.sql");
    let run = neonlint(&[
        "check",
        "--fix-out",
        out.to_str().unwrap(),
        fixture("rules/rls-disabled/good").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = fs::read_to_string(&out).unwrap();
    assert!(text.starts_with("-- Written by neonlint") && text.contains("-- Nothing to fix."), "{text}");

    let migration = fixture("rules/rls-disabled/bad/001_tables.sql");
    let before = fs::read(&migration).unwrap();
    let run = neonlint(&[
        "check",
        "--fix-out",
        migration.to_str().unwrap(),
        fixture("rules/rls-disabled/bad").to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("never edits a migration"), "{}", run.stderr);
    assert_eq!(fs::read(&migration).unwrap(), before);
}

#[test]
fn human_output_has_no_colour_codes_when_not_a_terminal() {
    let run = neonlint(&["check", fixture("demo").to_str().unwrap()]);
    assert!(!run.stdout.contains('\u{1b}'), "{}", run.stdout);
    assert!(
        run.stdout.ends_with("neonlint: 6 errors, 1 warning, 0 infos in 4 files (26 statements)\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn json_report_follows_the_contract() {
    let run = neonlint(&["check", "--format", "json", fixture("rules/rls-disabled/bad").to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let first = &report["findings"][0];
    let mut keys: Vec<&str> = first.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, ["code", "fix", "location", "message", "object", "rule", "severity"]);
    assert_eq!(first["code"], "NL001");
    assert_eq!(first["rule"], "rls-disabled");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["object"], serde_json::json!({"kind": "table", "schema": "public", "name": "todos"}));
    assert_eq!(first["location"]["line"], 4);
    assert_eq!(first["location"]["column"], 1);
    assert!(first["location"]["file"].as_str().unwrap().ends_with("rls-disabled/bad/001_tables.sql"));
    assert!(
        first["fix"].as_str().unwrap().starts_with("ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;")
    );
    assert_eq!(
        report["summary"],
        serde_json::json!({"errors": 2, "warnings": 0, "infos": 0, "files": 1, "statements": 8})
    );
    // Schema-level findings have no location.
    let run = neonlint(&[
        "check",
        "--format",
        "json",
        fixture("rules/missing-default-privileges/bad").to_str().unwrap(),
    ]);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["findings"][0]["location"], serde_json::Value::Null);
    assert_eq!(report["findings"][0]["object"], serde_json::json!({"kind": "schema", "name": "public"}));
}

#[test]
fn schema_flag_replaces_the_exposed_schemas() {
    let path = fixture("rules/rls-disabled/good");
    let mut actual = findings(&["--schema", "private", path.to_str().unwrap()]);
    actual.retain(|f| f.code == "NL001");
    assert_findings(
        actual,
        vec![common::found("NL001", "private.audit_log", "001_tables.sql", 29)],
        "--schema private",
    );
}

#[test]
fn a_file_argument_reports_its_findings_and_those_about_objects_it_touches() {
    // Findings located in the file.
    let file = fixture("layouts/plain/migrations/10_disable_rls.sql");
    let disabled = vec![
        found("NL001", "public.todos", "10_disable_rls.sql", 1),
        found("NL006", "public.todos", "10_disable_rls.sql", 1),
    ];
    assert_findings(findings(&[file.to_str().unwrap()]), disabled.clone(), "the file that disables RLS");
    // 1_init.sql creates public.todos: the findings about it are reported too.
    let file = fixture("layouts/plain/migrations/1_init.sql");
    assert_findings(findings(&[file.to_str().unwrap()]), disabled, "the file that creates the table");
    // The demo's projects migration: its own tables only, not public.todos or the database.
    let file = fixture("demo/supabase/migrations/20240115120000_projects.sql");
    assert_findings(
        findings(&[file.to_str().unwrap()]),
        vec![
            // No NL003 beside NL002: no grant helps until a policy exists (issue 9).
            found("NL002", "public.projects", "20240115120000_projects.sql", 18),
            found("NL003", "public.project_members", "20240115120000_projects.sql", 20),
        ],
        "the projects migration",
    );
}

#[test]
fn rules_and_explain() {
    let run = neonlint(&["rules"]);
    assert_eq!(run.code, 0);
    let listed: Vec<Vec<String>> = run
        .stdout
        .lines()
        .skip(1)
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .take(5)
                .map(String::from)
                .collect()
        })
        .collect();
    let registry: Vec<Vec<String>> = neonlint::rules::RULES
        .iter()
        .map(|rule| {
            let fix = if rule.fixable { "yes" } else { "no" };
            [rule.code, rule.name, rule.level.as_str(), rule.sources.modes(), fix].map(String::from).to_vec()
        })
        .collect();
    assert_eq!(listed, registry, "{}", run.stdout);
    // README's rule table says the same: code, name, level, modes, fix.
    let readme = fs::read_to_string(common::root().join("README.md")).unwrap();
    let table: Vec<Vec<String>> = readme
        .lines()
        .filter(|line| line.starts_with("| NL"))
        .map(|line| line.split('|').map(str::trim).skip(1).take(5).map(String::from).collect::<Vec<_>>())
        .filter(|cells| neonlint::rules::find(&cells[0]).is_some())
        .collect();
    assert_eq!(table, registry, "README.md's rule table differs from `neonlint rules`");
    let run = neonlint(&["explain", "rls-disabled"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("# NL001 rls-disabled"));
    assert_eq!(neonlint(&["explain", "nl003"]).code, 0);
    let run = neonlint(&["explain", "rls-disable"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("did you mean `rls-disabled`"), "{}", run.stderr);
}

#[test]
fn init_writes_a_config_once() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("supabase/migrations")).unwrap();
    write(&dir.path().join("supabase/migrations"), "20240101000000_init.sql", "CREATE TABLE t ();");
    let run = neonlint_in(dir.path(), &["init"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let text = fs::read_to_string(dir.path().join("neonlint.toml")).unwrap();
    assert!(
        text.contains("# Detected: supabase migrations") && text.contains("exposed_schemas = [\"public\"]"),
        "{text}"
    );
    // The written file is a valid configuration.
    assert!(neonlint_in(dir.path(), &["check"]).code < 2);
    let run = neonlint_in(dir.path(), &["init"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--force"), "{}", run.stderr);
    assert_eq!(neonlint_in(dir.path(), &["init", "--force"]).code, 0);
}

#[test]
fn default_command_is_check_in_the_current_directory() {
    let run = neonlint_in(&fixture("layouts/plain"), &["--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(common::parse_findings(&run.stdout).len(), 2);
}
