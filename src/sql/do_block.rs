//! Reads simple `DO` blocks: the PL/pgSQL wrappers migrations put around ordinary
//! statements to make them idempotent, such as drizzle's
//! `DO $$ BEGIN ALTER TABLE … ADD CONSTRAINT …; EXCEPTION WHEN duplicate_object THEN null; END $$;`
//! or `IF NOT EXISTS (SELECT FROM pg_roles …) THEN CREATE ROLE …; END IF;`.
//!
//! Control words (`BEGIN`, `IF … THEN`, `EXCEPTION WHEN … THEN`, `END IF`) are peeled off
//! and the statements inside are read like top-level ones, as if every branch ran. A body
//! with dynamic SQL (`EXECUTE`), loops, or anything else not understood is reported as
//! not analyzed, unless none of it could matter.

use super::classify::{Class, classify};
use super::lexer::{Lexer, Token, TokenKind};
use super::split::split;

/// A statement found inside a `DO` body, as a byte range of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inner {
    pub start: usize,
    pub end: usize,
}

/// What a `DO` block holds, as far as it can be read.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DoBlock {
    /// Statements that can change the model, in order (file offsets).
    pub statements: Vec<Inner>,
    /// Something in the body that may change the model could not be read.
    pub unanalyzed: bool,
}

/// Reads the `DO` statement at `start..end` of `source`.
pub fn read(source: &str, start: usize, end: usize) -> DoBlock {
    let text = &source[start..end];
    let tokens: Vec<Token> = Lexer::new(text).filter(|token| !token.is_comment()).collect();
    let mut language_is_plpgsql = true;
    let mut body = None;
    for (i, token) in tokens.iter().enumerate().skip(1) {
        match token.kind {
            TokenKind::DollarString | TokenKind::String => body = Some(*token),
            TokenKind::Word if token.is_word(text, "language") => {
                language_is_plpgsql = tokens.get(i + 1).is_some_and(|next| {
                    let name = next.text(text).trim_matches(|c| c == '\'' || c == '"');
                    name.eq_ignore_ascii_case("plpgsql")
                });
            }
            _ => {}
        }
    }
    let Some(body) = body.filter(|_| language_is_plpgsql) else {
        return DoBlock { statements: Vec::new(), unanalyzed: true };
    };
    let (inner_start, inner_end) = body_range(body.text(text));
    read_body(source, start + body.start + inner_start, start + body.start + inner_end)
}

/// The part of a quoted body between its delimiters.
fn body_range(quoted: &str) -> (usize, usize) {
    if let Some(after_dollar) = quoted.strip_prefix('$') {
        let tag_end = after_dollar.find('$').map_or(1, |i| i + 2);
        (tag_end, quoted.len() - tag_end)
    } else {
        (1, quoted.len().saturating_sub(1))
    }
}

fn read_body(source: &str, start: usize, end: usize) -> DoBlock {
    let body = &source[start..end];
    let mut block = DoBlock::default();
    let mut in_declarations = false;
    for piece in split(body) {
        let statement = &body[piece.start..piece.end];
        let first_word =
            statement.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').next().unwrap_or_default();
        // After DECLARE, every piece up to the one starting with BEGIN is a declaration.
        if first_word.eq_ignore_ascii_case("declare") {
            in_declarations = true;
        }
        if in_declarations {
            if !first_word.eq_ignore_ascii_case("begin") {
                continue;
            }
            in_declarations = false;
        }
        let Some(offset) = strip_control(statement) else {
            block.unanalyzed = true;
            continue;
        };
        let rest = &statement[offset..];
        if rest.trim().is_empty() || is_plpgsql_only(rest) {
            continue;
        }
        match classify(rest) {
            Class::Irrelevant => {}
            Class::Relevant | Class::SearchPathCall | Class::Tokens => {
                block.statements.push(Inner { start: start + piece.start + offset, end: start + piece.end })
            }
            Class::Do | Class::Unknown => block.unanalyzed = true,
        }
    }
    block
}

/// Skips the PL/pgSQL control words in front of a statement; returns the offset of the
/// statement, or `None` for a construct that cannot be read as straight-line code.
fn strip_control(statement: &str) -> Option<usize> {
    let tokens: Vec<Token> = Lexer::new(statement).filter(|token| !token.is_comment()).collect();
    let mut i = 0;
    loop {
        let Some(token) = tokens.get(i) else { return Some(statement.len()) };
        let word = |keyword: &str| token.is_word(statement, keyword);
        if word("begin") || word("else") {
            i += 1;
        } else if word("if") || word("elsif") || word("when") {
            i = after_then(statement, &tokens, i + 1)?;
        } else if word("exception") {
            i += 1;
        } else if word("end") {
            return Some(statement.len());
        } else if word("loop") || word("for") || word("while") || word("foreach") || word("execute") {
            return None;
        } else {
            return Some(token.start);
        }
    }
}

/// The index after the `THEN` that closes a condition starting at `from`.
fn after_then(statement: &str, tokens: &[Token], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate().skip(from) {
        match token.kind {
            TokenKind::Punct(b'(') => depth += 1,
            TokenKind::Punct(b')') => depth = depth.saturating_sub(1),
            _ if depth == 0 && token.is_word(statement, "then") => return Some(i + 1),
            _ => {}
        }
    }
    None
}

/// PL/pgSQL statements that touch nothing the model holds.
fn is_plpgsql_only(statement: &str) -> bool {
    let first = statement.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').next().unwrap_or_default();
    ["null", "raise", "perform", "return", "get", "assert", "commit", "rollback"]
        .iter()
        .any(|word| first.eq_ignore_ascii_case(word))
        || statement.contains(":=")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inner(source: &str) -> (Vec<&str>, bool) {
        let block = read(source, 0, source.len());
        (block.statements.iter().map(|s| &source[s.start..s.end]).collect(), block.unanalyzed)
    }

    #[test]
    fn drizzle_constraint_wrapper_is_read_without_a_note() {
        let source = "DO $$ BEGIN\n ALTER TABLE \"a\" ADD CONSTRAINT \"fk\" FOREIGN KEY (\"b\") REFERENCES \"c\"(\"id\");\nEXCEPTION\n WHEN duplicate_object THEN null;\nEND $$";
        assert_eq!(
            inner(source),
            (
                vec!["ALTER TABLE \"a\" ADD CONSTRAINT \"fk\" FOREIGN KEY (\"b\") REFERENCES \"c\"(\"id\")"],
                false
            )
        );
        let source =
            "DO $$ BEGIN CREATE TYPE mood AS ENUM ('a'); EXCEPTION WHEN duplicate_object THEN null; END $$";
        assert_eq!(inner(source), (vec![], false));
    }

    #[test]
    fn guarded_role_creation_and_grants_are_read() {
        let source = "DO $do$\nBEGIN\n  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'app') THEN\n    CREATE ROLE app NOLOGIN;\n  END IF;\n  GRANT app TO authenticated;\nEND\n$do$";
        assert_eq!(inner(source), (vec!["CREATE ROLE app NOLOGIN", "GRANT app TO authenticated"], false));
    }

    #[test]
    fn dynamic_sql_and_loops_are_not_analyzed() {
        let (_, unanalyzed) =
            inner("DO $$ BEGIN EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', 'todos'); END $$");
        assert!(unanalyzed);
        let (_, unanalyzed) = inner(
            "DO $$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables LOOP RAISE NOTICE '%', r; END LOOP; END $$",
        );
        assert!(unanalyzed);
        let (_, unanalyzed) = inner("DO LANGUAGE plperl $$ print 1 $$");
        assert!(unanalyzed);
    }

    #[test]
    fn declarations_notices_and_assignments_are_plpgsql_only() {
        assert_eq!(
            inner("DO $$ DECLARE n int; t text := 'x'; BEGIN n := 1; RAISE NOTICE 'x'; PERFORM 1; END $$"),
            (vec![], false)
        );
    }
}
