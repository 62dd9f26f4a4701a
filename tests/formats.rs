//! The machine-read report formats through the binary: `gcc` and `github` line by line,
//! SARIF's structure against the registry and the JSON report. Full outputs of the demo are
//! insta snapshots; `scripts/validate-sarif` runs Microsoft's validator on top.

mod common;

use common::neonlint;
use serde_json::Value;

const DEMO: &str = "fixtures/demo";
/// One finding without a location: NL004 is about a schema, not a statement.
const NO_LOCATION: &str = "fixtures/rules/missing-default-privileges/bad";
const CLEAN: &str = "fixtures/rules/rls-disabled/good";

const INIT: &str = "fixtures/demo/supabase/migrations/20240101093000_init.sql";
const PROJECTS: &str = "fixtures/demo/supabase/migrations/20240115120000_projects.sql";
const ANALYTICS: &str = "fixtures/demo/supabase/migrations/20240201080000_analytics.sql";
const HOTFIX: &str = "fixtures/demo/supabase/migrations/20240301101500_hotfix.sql";

#[test]
fn gcc_lines_for_the_demo() {
    let run = neonlint(&["check", "--format", "gcc", DEMO]);
    assert_eq!(run.code, 1);
    let expected = [
        format!(
            "{INIT}:17:1: error: table `public.profiles` is exposed through the Data API with row-level \
             security off: any role with grants on it can read and change every row [NL001]"
        ),
        format!(
            "{PROJECTS}:18:1: warning: table `public.projects` has row-level security on and no policy: \
             the Data API returns no rows to `authenticated` and refuses every write [NL002]"
        ),
        format!(
            "{PROJECTS}:20:1: error: `authenticated` lacks SELECT on `public.project_members`, which its \
             policies allow: Data API requests fail with \"permission denied for table project_members\" [NL003]"
        ),
        format!(
            "{ANALYTICS}:2:1: error: `neon_superuser` lacks CREATE on database `neonlint_demo_analytics`: \
             enabling the Data API there fails with \"permission denied to create extension pg_session_jwt\" \
             [NL005]"
        ),
        format!(
            "{ANALYTICS}:14:1: error: partition `public.page_views_2024_02` has row-level security off: \
             requests to it directly skip the policies of `public.page_views` and see every row [NL001]"
        ),
        format!(
            "{HOTFIX}:2:1: error: table `public.todos` is exposed through the Data API with row-level \
             security off: any role with grants on it can read and change every row [NL001]"
        ),
        format!(
            "{HOTFIX}:2:1: error: table `public.todos` has a policy (`todos_owner`) but row-level security \
             is off, so PostgreSQL ignores it [NL006]"
        ),
    ];
    assert_eq!(run.stdout.lines().collect::<Vec<_>>(), expected);
    assert!(run.stdout.ends_with("[NL006]\n"), "one newline after the last line, no summary");
}

#[test]
fn gcc_line_without_a_location_names_the_tool() {
    assert_eq!(
        report("gcc", NO_LOCATION),
        "neonlint: warning: tables that the migration role creates in schema `public` get no SELECT, \
         INSERT, UPDATE, DELETE for `authenticated`: each new table fails with \"permission denied for table\" \
         until it is granted by hand [NL004]\n"
    );
}

#[test]
fn gcc_prints_nothing_when_clean() {
    let run = neonlint(&["check", "--format", "gcc", CLEAN]);
    assert_eq!((run.code, run.stdout.as_str()), (0, ""));
}

#[test]
fn github_commands_for_the_demo() {
    let run = neonlint(&["check", "--format", "github", DEMO]);
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 8, "7 commands and the summary:\n{}", run.stdout);
    assert_eq!(
        lines[3],
        format!(
            "::error file={ANALYTICS},line=2,col=1,title=NL005 database-missing-neon-superuser::\
             `neon_superuser` lacks CREATE on database `neonlint_demo_analytics`: enabling the Data API \
             there fails with \"permission denied to create extension pg_session_jwt\"%0A%0A\
             Help: grant all privileges on database `neonlint_demo_analytics` to `neon_superuser`%0A%0A\
             Fix (safe):%0AGRANT ALL PRIVILEGES ON DATABASE neonlint_demo_analytics TO neon_superuser;"
        )
    );
    assert!(
        lines[0].starts_with(&format!("::error file={INIT},line=17,col=1,title=NL001 rls-disabled::")),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].starts_with(&format!("::warning file={PROJECTS},line=18,col=1,title=NL002 rls-no-policy::"))
    );
    // The fix's lines stay apart in the annotation.
    assert!(lines[0].ends_with(
        "Fix (review before applying):%0AALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;\
         %0A-- Each signed-in user may read and write only the rows of public.profiles whose user_id is \
         theirs.%0ADROP POLICY IF EXISTS neonlint_owner_rows ON public.profiles;%0ACREATE POLICY neonlint_owner_rows \
         ON public.profiles FOR ALL TO authenticated%0A  USING ((select auth.user_id()) = user_id)%0A  \
         WITH CHECK ((select auth.user_id()) = user_id);"
    ));
    assert_eq!(lines[7], "neonlint: 6 errors, 1 warning, 0 infos in 4 files (26 statements)");
    insta::assert_snapshot!("demo_github", run.stdout);
}

#[test]
fn github_command_without_a_location_has_no_file() {
    assert_eq!(
        report("github", NO_LOCATION),
        "::warning title=NL004 missing-default-privileges::tables that the migration role creates in \
         schema `public` get no SELECT, INSERT, UPDATE, DELETE for `authenticated`: each new table fails with \
         \"permission denied for table\" until it is granted by hand%0A%0AHelp: set default privileges so \
         new tables in `public` grant SELECT, INSERT, UPDATE, DELETE to `authenticated`; if the Data API was \
         enabled with \"Grant public schema access\", the Console set them: set \
         `assume_data_api_grants = true` in neonlint.toml%0A%0AFix (review before applying):%0AALTER DEFAULT PRIVILEGES IN \
         SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO authenticated;\n\
         neonlint: 0 errors, 1 warning, 0 infos in 1 file (8 statements)\n"
    );
}

#[test]
fn github_prints_only_the_summary_when_clean() {
    assert_eq!(report("github", CLEAN), "neonlint: no findings in 1 file (14 statements)\n");
}

#[test]
fn info_findings_are_notices_and_notes() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("neonlint.toml");
    std::fs::write(&config, "[rules]\nrls-no-policy = \"info\"\n").unwrap();
    let config = config.to_str().unwrap();
    let run = |format: &str| neonlint(&["check", "--config", config, "--format", format, DEMO]).stdout;

    let github = run("github");
    let notice = github.lines().find(|line| line.contains("NL002")).unwrap();
    assert!(
        notice.starts_with(&format!("::notice file={PROJECTS},line=18,col=1,title=NL002 rls-no-policy::"))
    );
    assert!(github.ends_with("neonlint: 6 errors, 0 warnings, 1 info in 4 files (26 statements)\n"));

    let gcc = run("gcc");
    assert!(gcc.contains(&format!("{PROJECTS}:18:1: note: table `public.projects` has row-level security")));

    let sarif: Value = serde_json::from_str(&run("sarif")).unwrap();
    let result = &sarif["runs"][0]["results"][1];
    assert_eq!((result["ruleId"].as_str(), result["level"].as_str()), (Some("NL002"), Some("note")));
}

#[test]
fn sarif_describes_every_rule_of_the_registry() {
    let report = sarif(CLEAN);
    assert_eq!(report["$schema"], "https://json.schemastore.org/sarif-2.1.0.json");
    assert_eq!(report["version"], "2.1.0");
    assert_eq!(report["runs"].as_array().map(Vec::len), Some(1));
    let run = &report["runs"][0];
    assert_eq!(run["results"], Value::Array(Vec::new()));
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "neonlint");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), neonlint::rules::RULES.len());
    for (descriptor, rule) in rules.iter().zip(neonlint::rules::RULES) {
        assert_eq!(descriptor["id"], rule.code);
        assert_eq!(descriptor["properties"]["tags"][0], rule.name);
        assert_eq!(descriptor["shortDescription"]["text"], rule.summary);
        assert_eq!(descriptor["help"]["markdown"], rule.page);
        let level = match rule.level {
            neonlint::rules::Severity::Error => "error",
            neonlint::rules::Severity::Warning => "warning",
            neonlint::rules::Severity::Info => "note",
        };
        assert_eq!(descriptor["defaultConfiguration"]["level"], level, "{}", rule.code);
        let full = descriptor["fullDescription"]["text"].as_str().unwrap();
        assert!(!full.is_empty() && !full.contains('\n'), "{}: {full:?}", rule.code);
    }
    assert_eq!(rules[1]["name"], "RlsDisabled");
    assert_eq!(rules[5]["name"], "DatabaseMissingNeonSuperuser");
}

#[test]
fn sarif_results_match_the_json_report() {
    let sarif = sarif(DEMO);
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let json: Value = serde_json::from_str(&report("json", DEMO)).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    assert_eq!(results.len(), 7);
    let mut fingerprints = Vec::new();
    for (result, finding) in results.iter().zip(findings) {
        assert_eq!(result["ruleId"], finding["code"]);
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"], "ruleIndex points at the rule");
        let level =
            if finding["severity"] == "info" { "note" } else { finding["severity"].as_str().unwrap() };
        assert_eq!(result["level"], level);
        let message = result["message"]["text"].as_str().unwrap();
        assert!(message.starts_with(finding["message"].as_str().unwrap()), "{message}");
        assert!(message.contains("\n\nHelp: "), "{message}");
        assert!(message.ends_with(finding["fix"].as_str().unwrap()), "{message}");
        assert_eq!(result["properties"]["fixSql"], finding["fix"]);

        let locations = result["locations"].as_array().unwrap();
        assert_eq!(locations.len(), 1);
        let physical = &locations[0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], finding["location"]["file"]);
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &physical["region"];
        assert_eq!(region["startLine"], finding["location"]["line"]);
        assert_eq!(region["startColumn"], finding["location"]["column"]);
        assert!(region["startLine"].as_u64() >= Some(1) && region["startColumn"].as_u64() >= Some(1));
        assert!(region["endLine"].as_u64() >= region["startLine"].as_u64());
        let logical = &locations[0]["logicalLocations"][0];
        assert_eq!(logical["kind"], finding["object"]["kind"]);
        assert_eq!(logical["name"], finding["object"]["name"]);
        fingerprints.push(result["partialFingerprints"]["neonlint/v1"].as_str().unwrap().to_string());
    }
    // The first statement, `CREATE TABLE public.profiles (…);`, spans lines 17 to 22.
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"],
        serde_json::json!({ "startLine": 17, "startColumn": 1, "endLine": 22, "endColumn": 2 })
    );
    assert_eq!(fingerprints[0], "NL001:table:public.profiles");
    assert_eq!(fingerprints[3], "NL005:database:neonlint_demo_analytics");
    let mut unique = fingerprints.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), fingerprints.len(), "{fingerprints:?}");
}

#[test]
fn sarif_result_without_a_location_is_shown_at_the_first_migration() {
    let report = sarif(NO_LOCATION);
    let results = report["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!((result["ruleId"].as_str(), result["ruleIndex"].as_u64()), (Some("NL004"), Some(4)));
    assert_eq!(result["level"], "warning");
    assert_eq!(
        result["locations"],
        serde_json::json!([{
            "physicalLocation": {
                "artifactLocation": {
                    "uri": "fixtures/rules/missing-default-privileges/bad/001_todos.sql",
                    "uriBaseId": "%SRCROOT%"
                },
                "region": { "startLine": 1, "startColumn": 1 }
            },
            "logicalLocations": [{ "name": "public", "fullyQualifiedName": "public", "kind": "schema" }],
            "message": { "text": "This finding has no statement of its own; it is shown at the first migration" }
        }])
    );
    assert_eq!(result["partialFingerprints"], serde_json::json!({ "neonlint/v1": "NL004:schema:public" }));
    assert_eq!(result["properties"]["fixApplicability"], "review");
}

#[test]
fn sarif_report_of_the_demo() {
    let text = report("sarif", DEMO);
    assert!(text.ends_with("}\n"));
    insta::assert_snapshot!("demo_sarif", text);
}

/// The report in `format`; the exit code must say findings (1) or none (0), not a failure.
fn report(format: &str, path: &str) -> String {
    let run = neonlint(&["check", "--format", format, path]);
    assert!(run.code == 0 || run.code == 1, "exit {}: {}", run.code, run.stderr);
    run.stdout
}

/// The SARIF report, parsed.
fn sarif(path: &str) -> Value {
    let text = report("sarif", path);
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("invalid SARIF ({error}): {text}"))
}
