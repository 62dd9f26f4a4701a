//! Decides from a statement's first words whether it can change what the model holds,
//! so that the many statements that cannot (`INSERT`, `ALTER INDEX`, `COMMENT ON`, …)
//! are never parsed, and the frequent ones the model needs few facts from (`CREATE
//! INDEX`, `CREATE SEQUENCE`, `NOTIFY`) are read with tokens only. That keeps a run fast and keeps sqlparser's gaps in statements we
//! do not need from turning into false parse errors.

use super::lexer::{Lexer, Token, TokenKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Can change tables, functions, policies, privileges, roles, schemas or the session.
    Relevant,
    /// `SELECT set_config('search_path', …)`, as pg_dump writes it.
    SearchPathCall,
    /// A `DO` block.
    Do,
    /// Sequences, indexes, `ALTER VIEW` and schema-cache reloads: read by the token
    /// reader only, and nothing (not a parse error) when it cannot.
    Tokens,
    /// Known not to change anything the rules read.
    Irrelevant,
    /// Not a statement we know: parsed, and a parse error if nothing can read it.
    Unknown,
}

/// Words that open statements the model never needs.
const IRRELEVANT_FIRST_WORDS: &[&str] = &[
    "abort",
    "analyse",
    "analyze",
    "begin",
    "call",
    "checkpoint",
    "close",
    "cluster",
    "comment",
    "commit",
    "copy",
    "deallocate",
    "declare",
    "delete",
    "discard",
    "end",
    "execute",
    "explain",
    "fetch",
    "import",
    "insert",
    "listen",
    "load",
    "lock",
    "merge",
    "move",
    "prepare",
    "reassign",
    "refresh",
    "reindex",
    "release",
    "rollback",
    "savepoint",
    "security",
    "show",
    "start",
    "table",
    "truncate",
    "unlisten",
    "update",
    "vacuum",
    "values",
    "with",
];

/// Objects of `CREATE`/`ALTER`/`DROP` that the model holds.
const RELEVANT_OBJECTS: &[&str] = &[
    "table",
    "view",
    "materialized",
    "policy",
    "schema",
    "role",
    "user",
    "group",
    "database",
    "extension",
    "default",
    "foreign",
    "function",
    "procedure",
    "routine",
];

/// Objects of `CREATE`/`ALTER`/`DROP` that cannot change what the rules read. Anything
/// not listed here or above is unknown, so a typo (`CREATE TABEL`) is a parse error.
const IRRELEVANT_OBJECTS: &[&str] = &[
    "access",
    "aggregate",
    "cast",
    "collation",
    "constraint",
    "conversion",
    "domain",
    "event",
    "language",
    "large",
    "operator",
    "owned",
    "publication",
    "rule",
    "server",
    "statistics",
    "subscription",
    "system",
    "tablespace",
    "text",
    "transform",
    "trigger",
    "type",
];

/// `CREATE` modifiers that come before the object keyword.
const CREATE_MODIFIERS: &[&str] = &[
    "or",
    "replace",
    "global",
    "local",
    "temp",
    "temporary",
    "unlogged",
    "recursive",
    "trusted",
    "procedural",
];

pub fn classify(statement: &str) -> Class {
    let mut words = Lexer::new(statement).filter(|token| !token.is_comment());
    let Some(first) = words.next() else { return Class::Irrelevant };
    if first.kind != TokenKind::Word {
        // `(SELECT …)` and similar.
        return Class::Unknown;
    }
    let word = |token: Option<Token>| token.filter(|t| t.kind == TokenKind::Word).map(|t| t.text(statement));
    let first = first.text(statement).to_ascii_lowercase();
    match first.as_str() {
        "grant" | "revoke" => Class::Relevant,
        "do" => Class::Do,
        "notify" => Class::Tokens,
        "select" if contains_ignoring_case(statement, "pg_notify") => Class::Tokens,
        "select"
            if contains_ignoring_case(statement, "set_config")
                && contains_ignoring_case(statement, "search_path") =>
        {
            Class::SearchPathCall
        }
        "select" => Class::Irrelevant,
        "set" | "reset" => {
            let mut next = word(words.next());
            if next.is_some_and(|w| ["local", "session"].iter().any(|k| w.eq_ignore_ascii_case(k))) {
                next = word(words.next());
            }
            match next {
                Some(w)
                    if ["search_path", "role", "all", "authorization"]
                        .iter()
                        .any(|k| w.eq_ignore_ascii_case(k)) =>
                {
                    Class::Relevant
                }
                _ => Class::Irrelevant,
            }
        }
        "create" | "alter" | "drop" => {
            let mut next = word(words.next());
            if first == "create" {
                while next.is_some_and(|w| CREATE_MODIFIERS.iter().any(|m| w.eq_ignore_ascii_case(m))) {
                    next = word(words.next());
                }
            }
            let Some(object) = next else { return Class::Unknown };
            let object = object.to_ascii_lowercase();
            let after = word(words.next()).map(str::to_ascii_lowercase);
            match object.as_str() {
                "sequence" => Class::Tokens,
                "index" if first == "alter" => Class::Irrelevant,
                "index" => Class::Tokens,
                "unique" => Class::Tokens,
                "view" | "materialized" if first == "alter" => Class::Tokens,
                // `CREATE USER MAPPING`, `CREATE FOREIGN DATA WRAPPER`, `DROP OWNED`.
                "user" if after.as_deref() == Some("mapping") => Class::Irrelevant,
                "foreign" if after.as_deref() != Some("table") => Class::Irrelevant,
                // `CREATE DEFAULT CONVERSION`.
                "default" if after.as_deref() != Some("privileges") => Class::Irrelevant,
                _ if RELEVANT_OBJECTS.contains(&object.as_str()) => Class::Relevant,
                _ if IRRELEVANT_OBJECTS.contains(&object.as_str()) => Class::Irrelevant,
                _ => Class::Unknown,
            }
        }
        _ if IRRELEVANT_FIRST_WORDS.contains(&first.as_str()) => Class::Irrelevant,
        _ => Class::Unknown,
    }
}

/// ASCII case-insensitive `contains`, without copying `text` (a SELECT can be long).
fn contains_ignoring_case(text: &str, needle: &str) -> bool {
    text.as_bytes().windows(needle.len()).any(|window| window.eq_ignore_ascii_case(needle.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_that_shape_access_are_relevant() {
        for statement in [
            "CREATE TABLE t (a int)",
            "create unlogged table t ()",
            "CREATE OR REPLACE VIEW v AS SELECT 1",
            "create materialized view m as select 1",
            "ALTER TABLE t ENABLE ROW LEVEL SECURITY",
            "alter default privileges grant select on tables to x",
            "GRANT SELECT ON t TO x",
            "revoke all on t from public",
            "CREATE POLICY p ON t USING (true)",
            "drop policy p on t",
            "create schema s",
            "create role r",
            "create database d",
            "create extension pg_session_jwt",
            "SET search_path TO a",
            "set local search_path = ''",
            "SET ROLE app",
            "reset role",
            "create /* comment */ table t ()",
            "CREATE FOREIGN TABLE f (a int) SERVER s",
            "CREATE FUNCTION f() RETURNS int AS $$ select 1 $$ LANGUAGE sql COST 1",
            "create or replace procedure p() language plpgsql as $$ begin end $$",
            "ALTER ROUTINE f OWNER TO app",
            "drop function f(int)",
        ] {
            assert_eq!(classify(statement), Class::Relevant, "{statement}");
        }
    }

    #[test]
    fn statements_that_cannot_change_access_are_irrelevant() {
        for statement in [
            "INSERT INTO t VALUES (1)",
            "ALTER INDEX i RENAME TO j",
            "COMMENT ON TABLE t IS 'x'",
            "CREATE TYPE mood AS ENUM ('a')",
            "SET statement_timeout = 0",
            "select 1",
            "CREATE USER MAPPING FOR x SERVER s",
            "CREATE FOREIGN DATA WRAPPER w",
            "with x as (select 1) select * from x",
            "BEGIN",
        ] {
            assert_eq!(classify(statement), Class::Irrelevant, "{statement}");
        }
    }

    #[test]
    fn sequences_indexes_view_options_and_reloads_are_read_with_tokens() {
        for statement in [
            "CREATE INDEX i ON t (a)",
            "create unique index i on t (a)",
            "CREATE SEQUENCE s",
            "create temp sequence s",
            "ALTER SEQUENCE s OWNED BY t.id",
            "DROP SEQUENCE s",
            "drop index i",
            "ALTER VIEW v SET (security_invoker = true)",
            "alter materialized view m rename to n",
            "NOTIFY pgrst, 'reload schema'",
            "SELECT pg_notify('pgrst', 'reload schema')",
        ] {
            assert_eq!(classify(statement), Class::Tokens, "{statement}");
        }
    }

    #[test]
    fn do_blocks_search_path_calls_and_unknown_words() {
        assert_eq!(classify("DO $$ BEGIN END $$"), Class::Do);
        assert_eq!(classify("SELECT pg_catalog.set_config('search_path', '', false)"), Class::SearchPathCall);
        assert_eq!(classify("CRATE TABLE t (a int)"), Class::Unknown);
        assert_eq!(classify("CREATE TABEL t (a int)"), Class::Unknown);
        assert_eq!(classify("ALTER TABEL t ENABLE ROW LEVEL SECURITY"), Class::Unknown);
    }
}
