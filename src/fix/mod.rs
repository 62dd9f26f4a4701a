//! The fix file: the corrective SQL rules attach to their findings (`rules::corrective`
//! writes it), each statement once, in an order that applies in one run, under titles that
//! say which finding each block fixes.
//!
//! Every statement is idempotent (running the file twice is fine) and schema-qualified.
//! Every comment line goes through `corrective::comment`, so no name can end one early.
//! Nothing here reads files or talks to a database.

use std::collections::BTreeSet;

use crate::rules::corrective::comment;
use crate::rules::{Applicability, Finding, Object};

/// One finding's corrective SQL, as the fix file and a fix migration write it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// `NL001 rls-disabled public.todos REVIEW`.
    pub title: String,
    pub sql: String,
}

/// The fixes of `findings`, each distinct statement block once, in the order that
/// applies in one run (database grants, RLS, policies, table grants, default privileges).
/// A fix that needs row-level security enabled first (`Fix::needs_rls_enabled`) is written
/// only when the same findings enable it on its table; otherwise a comment says why not.
pub fn blocks(findings: &[Finding]) -> Vec<Block> {
    let enabled: BTreeSet<&Object> = findings
        .iter()
        .filter(|finding| matches!(finding.rule.code, "NL001" | "NL006"))
        .filter(|finding| finding.fix.as_ref().is_some_and(|fix| !fix.sql.is_empty()))
        .map(|finding| &finding.object)
        .collect();
    let mut fixes: Vec<_> =
        findings.iter().filter_map(|finding| Some((finding, finding.fix.as_ref()?))).collect();
    fixes.sort_by_key(|(_, fix)| fix.phase);
    let mut seen = BTreeSet::new();
    fixes
        .into_iter()
        .filter(|(_, fix)| !fix.sql.is_empty())
        .map(|(finding, fix)| {
            let sql = if fix.needs_rls_enabled && !enabled.contains(&finding.object) {
                withheld(finding, &fix.sql)
            } else {
                fix.sql.clone()
            };
            (finding, fix, sql)
        })
        .filter(|(_, _, sql)| seen.insert(sql.clone()))
        .map(|(finding, fix, sql)| {
            let review = if fix.applicability == Applicability::Review { " REVIEW" } else { "" };
            let title = format!("{} {} {}{review}", finding.rule.code, finding.rule.name, finding.object);
            Block { title: crate::text::escape_control(&title), sql }
        })
        .collect()
}

/// The comment that stands in for a fix that would open a table without row-level
/// security, when the fix that enables it is not in this file (suppressed, or not part of
/// this run).
fn withheld(finding: &Finding, sql: &str) -> String {
    let mut lines = vec![
        comment(&format!(
            "Not written: {} has row-level security off, and this file does not enable it",
            finding.object
        )),
        comment("(its NL001 fix is suppressed or not part of this run). Granting now would let the"),
        comment("API roles read and change every row. Enable row-level security first, then run:"),
    ];
    lines.extend(sql.lines().map(comment));
    lines.join("\n")
}

/// The first lines of every fix file and fix migration.
pub fn header(command: &str) -> String {
    format!(
        "{}\n\
         -- Statements marked REVIEW change who can read or write rows: read them before applying.\n\
         -- Every statement is idempotent: running this file twice is fine.\n",
        comment(&format!("Written by neonlint {} (`{command}`).", env!("CARGO_PKG_VERSION")))
    )
}

/// The fix file for `findings`: the header, then each block under its title, in one
/// transaction: a statement that fails (a function the database lacks, a role that does
/// not exist) must not leave the file half applied, with row-level security enabled and
/// the policy that lets rows through missing. `CREATE INDEX CONCURRENTLY` cannot run in a
/// transaction block, so those blocks come after `COMMIT` (an index changes no access).
pub fn render(findings: &[Finding], command: &str) -> String {
    let mut out = header(command);
    let (concurrent, blocks): (Vec<Block>, Vec<Block>) =
        blocks(findings).into_iter().partition(|block| block.sql.contains("CREATE INDEX CONCURRENTLY"));
    if blocks.is_empty() && concurrent.is_empty() {
        out.push_str("\n-- Nothing to fix.\n");
        return out;
    }
    if !blocks.is_empty() {
        out.push_str(
            "-- One transaction: if a statement fails, the file changes nothing. With psql, stop at the\n\
             -- first error: psql -v ON_ERROR_STOP=1 -f <this file>\n\nBEGIN;\n",
        );
        for block in &blocks {
            out.push_str(&format!("\n-- {}\n{}\n", block.title, block.sql));
        }
        out.push_str("\nCOMMIT;\n");
    }
    if !concurrent.is_empty() {
        out.push_str(
            "\n-- CREATE INDEX CONCURRENTLY cannot run in a transaction block: each runs on its own.\n",
        );
        for block in &concurrent {
            out.push_str(&format!("\n-- {}\n{}\n", block.title, block.sql));
        }
    }
    out
}

/// `blocks` made fit for a migration file: migration tools run each file in a transaction,
/// where `CREATE INDEX CONCURRENTLY` fails, so indexes are built plainly (and the block
/// says what that costs).
pub fn for_migration(blocks: Vec<Block>) -> Vec<Block> {
    const CONCURRENTLY: &str = "CREATE INDEX CONCURRENTLY ";
    blocks
        .into_iter()
        .map(|block| {
            if !block.sql.contains(CONCURRENTLY) {
                return block;
            }
            let sql = format!(
                "-- Migration tools run a file in a transaction, where CONCURRENTLY is refused: this build\n\
                 -- blocks writes to the table while it runs. On a large table, build it CONCURRENTLY outside one.\n{}",
                block.sql.replace(CONCURRENTLY, "CREATE INDEX ")
            );
            Block { sql, ..block }
        })
        .collect()
}

/// `blocks` as separate statements (each with its comments and title), for migration
/// tools that run one statement at a time; blocks that are only comments (a policy
/// skeleton to complete) come back apart, for the migration's header.
pub fn statements(blocks: &[Block]) -> (Vec<String>, Vec<String>) {
    let mut statements = Vec::new();
    let mut notes = Vec::new();
    for block in blocks {
        let pieces = crate::sql::split::split(&block.sql);
        if pieces.is_empty() {
            notes.push(format!("-- {}\n{}", block.title, block.sql));
            continue;
        }
        for (i, piece) in pieces.iter().enumerate() {
            let text = block.sql[piece.comments_start..piece.end].trim();
            let title = if i == 0 { format!("-- {}\n", block.title) } else { String::new() };
            statements.push(format!("{title}{text};"));
        }
    }
    (statements, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_build_indexes_without_concurrently() {
        let blocks = vec![
            Block {
                title: "NL014".into(),
                sql: "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_a_idx ON public.t (a);".into(),
            },
            Block { title: "NL003".into(), sql: "GRANT SELECT ON TABLE public.t TO authenticated;".into() },
        ];
        let fitted = for_migration(blocks.clone());
        assert!(
            fitted[0].sql.ends_with("\nCREATE INDEX IF NOT EXISTS t_a_idx ON public.t (a);"),
            "{}",
            fitted[0].sql
        );
        assert!(fitted[0].sql.starts_with("-- "));
        assert_eq!(fitted[1], blocks[1]);
    }
}
