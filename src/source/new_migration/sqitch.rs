//! sqitch: a `neonlint_fix` change (deploy, revert and verify scripts) and its line at the end
//! of `sqitch.plan`.

use super::versions::Clock;
use super::{
    FixText, NewMigration, NewMigrationError, Separator, exists, free_change_name, no_reversal_comment,
};
use crate::input;
use crate::source::{MigrationSet, SourceError};

pub(super) fn plan(
    set: &MigrationSet,
    fix: &FixText,
    clock: Clock,
) -> Result<NewMigration, NewMigrationError> {
    let plan_path = set.root.join("sqitch.plan");
    if !plan_path.is_file() {
        return Err(SourceError::MissingSqitchPlan { path: set.root.clone() }.into());
    }
    let plan_text = input::read_text_as_is(&plan_path)
        .map_err(|error| SourceError::UnreadableFile { path: plan_path.clone(), error })?;
    let planned = sqitch_change_names(&plan_text);
    let script = |folder: &str, change: &str| set.root.join(folder).join(format!("{change}.sql"));
    let change = free_change_name(&set.root, |change| {
        planned.contains(&change)
            || ["deploy", "revert", "verify"].iter().any(|folder| exists(&script(folder, change)))
    })?;

    // `sqitch add` wraps a PostgreSQL deploy script in a transaction.
    let deploy_body = format!("BEGIN;\n\n{}\n\nCOMMIT;", fix.statements_joined(Separator::BlankLine));
    let deploy_name = format!("deploy/{change}.sql");
    let revert_body = no_reversal_comment(&format!("Reverting `{change}` changes nothing"), &deploy_name);
    let verify_body = [
        format!("-- Verifying `{change}` checks nothing: neonlint writes no verify query for its fixes."),
        "-- Run neonlint again to confirm that the problems it reported are gone.".to_string(),
    ]
    .join("\n");

    let newline = if plan_text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut new_plan = plan_text.clone();
    if !new_plan.is_empty() && !new_plan.ends_with('\n') {
        new_plan.push_str(newline);
    }
    new_plan.push_str(&format!(
        "{change} {} neonlint <neonlint@localhost> # Data API fixes written by neonlint{newline}",
        clock.utc().iso()
    ));

    Ok(NewMigration {
        created: vec![
            (script("deploy", &change), fix.file(&[], &deploy_body)),
            (script("revert", &change), fix.file(&[], &revert_body)),
            (script("verify", &change), fix.file(&[], &verify_body)),
        ],
        updated: vec![(plan_path, new_plan)],
        notes: Vec::new(),
    })
}

/// The change names of a sqitch plan: the first word of each line that is no blank, comment
/// (`#`), pragma (`%`) or tag (`@`), without the `+`/`-` of a deploy or revert mark.
fn sqitch_change_names(plan: &str) -> Vec<&str> {
    plan.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with(['#', '%', '@']))
        .map(|line| line.trim_start_matches(['+', '-']).trim_start())
        .filter_map(|line| line.split(|character: char| character.is_whitespace() || character == '[').next())
        .filter(|name| !name.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::super::test_support::*;
    use super::*;
    use crate::source::test_support::folder_with;

    #[test]
    fn sqitch_gets_a_change_and_a_plan_line() {
        let project = copy_fixture("sqitch");
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan),
            (
                vec![
                    "deploy/neonlint_fix.sql".to_string(),
                    "revert/neonlint_fix.sql".to_string(),
                    "verify/neonlint_fix.sql".to_string()
                ],
                vec!["sqitch.plan".to_string()]
            )
        );
        assert_eq!(
            created_text(&plan, 0),
            "-- Written by neonlint fix\n-- NL001 rls-disabled: `public.todos`\n\nBEGIN;\n\n\
             ALTER TABLE public.todos ENABLE ROW LEVEL SECURITY;\n\n\
             -- NL006: grant what the policy already restricts\n\
             GRANT SELECT ON public.todos TO authenticated;\n\nCOMMIT;\n"
        );
        assert!(created_text(&plan, 1).contains("-- Reverting `neonlint_fix` changes nothing"));
        assert!(created_text(&plan, 2).lines().all(|line| line.is_empty() || line.starts_with("--")));
        let original = fs::read_to_string(project.path().join("sqitch.plan")).expect("plan");
        assert_eq!(
            plan.updated[0].1,
            format!(
                "{original}neonlint_fix 2026-11-27T04:40:00Z neonlint <neonlint@localhost> # Data API fixes \
                 written by neonlint\n"
            )
        );
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn sqitch_change_name_taken_gets_2() {
        let plan_text =
            "%project=p\ninit 2024-01-01T00:00:00Z A <a@b>\nneonlint_fix 2024-01-02T00:00:00Z A <a@b>";
        let project = folder_with(&[
            ("sqitch.plan", plan_text),
            ("deploy/init.sql", "SELECT 1;\n"),
            ("deploy/neonlint_fix.sql", "SELECT 2;\n"),
        ]);
        let set = discover_set(project.path());
        let plan = plan_at(&set, now());
        assert_eq!(
            relative_paths(&set, &plan).0,
            ["deploy/neonlint_fix_2.sql", "revert/neonlint_fix_2.sql", "verify/neonlint_fix_2.sql"]
        );
        // The plan had no final newline: one is added before the new line, nothing else changes.
        assert_eq!(
            plan.updated[0].1,
            format!(
                "{plan_text}\nneonlint_fix_2 2026-11-27T04:40:00Z neonlint <neonlint@localhost> # Data API \
                 fixes written by neonlint\n"
            )
        );
        write_and_check(project.path(), &plan, &[]);
    }

    #[test]
    fn sqitch_change_names_skip_pragmas_tags_and_comments() {
        let plan =
            "%project=p\n# note\n\n+a [b] 2024 X <x>\n-b 2024 X <x>\n@v1 2024 X <x>\nc[a] 2024 X <x>\n";
        assert_eq!(sqitch_change_names(plan), ["a", "b", "c"]);
    }
}
