//! Splits a migration file into statements the way psql would run them, keeping
//! file-relative byte ranges.
//!
//! A statement ends at `;` outside parentheses and outside the `BEGIN … END` body of a
//! `CREATE FUNCTION|PROCEDURE` (psql's own heuristic), at a drizzle `-->
//! statement-breakpoint` line, at a psql backslash command, or at the end of the file.
//! `COPY … FROM stdin` data is skipped. Nothing here fails: an unterminated string or
//! comment makes the statement that holds it run to the end of the file and says so.

use super::lexer::{Lexer, Token, TokenKind, Unterminated};

/// One statement's place in its file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    /// Offset of the statement's first token.
    pub start: usize,
    /// Offset just past its last token (the `;` excluded).
    pub end: usize,
    /// Offset of the comments directly above it (equal to `start` when none).
    pub comments_start: usize,
    /// A construct that never ends, and where it starts.
    pub unterminated: Option<(Unterminated, usize)>,
}

/// A psql include (`\i`, `\ir`, `\include`, `\include_relative`): the command's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Include {
    pub start: usize,
    pub end: usize,
}

pub fn split(source: &str) -> Vec<Piece> {
    split_with_includes(source).0
}

/// The statements, and the psql includes met on the way (which nothing here follows).
pub fn split_with_includes(source: &str) -> (Vec<Piece>, Vec<Include>) {
    let mut pieces = Vec::new();
    let mut includes = Vec::new();
    let mut lexer = Lexer::new(source);
    let mut current: Option<Statement> = None;
    let mut comments_start: Option<usize> = None;

    while let Some(token) = lexer.next() {
        match token.kind {
            TokenKind::LineComment if is_breakpoint(token.text(source)) => {
                flush(&mut current, &mut pieces);
                comments_start = None;
            }
            TokenKind::LineComment | TokenKind::BlockComment => {
                if current.is_none() {
                    comments_start.get_or_insert(token.start);
                }
            }
            TokenKind::MetaCommand => {
                flush(&mut current, &mut pieces);
                comments_start = None;
                if is_include(token.text(source)) {
                    includes.push(Include { start: token.start, end: token.end });
                }
            }
            TokenKind::Punct(b';') if current.as_ref().is_none_or(Statement::at_top_level) => {
                if let Some(statement) = current.take() {
                    let copy_from_stdin = statement.copy_from_stdin;
                    pieces.push(statement.piece());
                    if copy_from_stdin {
                        lexer.skip_copy_data();
                    }
                }
                comments_start = None;
            }
            _ => {
                let statement =
                    current.get_or_insert_with(|| Statement::new(token.start, comments_start.take()));
                statement.push(token, source);
            }
        }
    }
    flush(&mut current, &mut pieces);
    (pieces, includes)
}

/// Whether a backslash command includes another file.
fn is_include(command: &str) -> bool {
    let name = command.split(|c: char| c.is_ascii_whitespace()).next().unwrap_or_default();
    matches!(name, "\\i" | "\\ir" | "\\include" | "\\include_relative")
}

/// drizzle-kit's separator between statements: `--> statement-breakpoint`.
fn is_breakpoint(comment: &str) -> bool {
    comment.strip_prefix("-->").is_some_and(|rest| rest.trim_start().starts_with("statement-breakpoint"))
}

fn flush(current: &mut Option<Statement>, pieces: &mut Vec<Piece>) {
    if let Some(statement) = current.take() {
        pieces.push(statement.piece());
    }
}

/// The splitter's state for the statement being read.
struct Statement {
    start: usize,
    end: usize,
    comments_start: usize,
    paren_depth: u32,
    /// `BEGIN`/`CASE` … `END` nesting inside a routine body.
    begin_depth: u32,
    /// The first words, lower-cased, to recognise `CREATE [OR REPLACE] FUNCTION`.
    leading_words: [u8; 4],
    word_count: usize,
    is_copy: bool,
    previous_word_was_from: bool,
    copy_from_stdin: bool,
    unterminated: Option<(Unterminated, usize)>,
}

impl Statement {
    fn new(start: usize, comments_start: Option<usize>) -> Self {
        Statement {
            start,
            end: start,
            comments_start: comments_start.unwrap_or(start),
            paren_depth: 0,
            begin_depth: 0,
            leading_words: [0; 4],
            word_count: 0,
            is_copy: false,
            previous_word_was_from: false,
            copy_from_stdin: false,
            unterminated: None,
        }
    }

    fn at_top_level(&self) -> bool {
        self.paren_depth == 0 && self.begin_depth == 0
    }

    fn piece(&self) -> Piece {
        Piece {
            start: self.start,
            end: self.end,
            comments_start: self.comments_start,
            unterminated: self.unterminated,
        }
    }

    fn push(&mut self, token: Token, source: &str) {
        if token.is_comment() {
            return;
        }
        self.end = token.end;
        match token.kind {
            TokenKind::Punct(b'(') => self.paren_depth += 1,
            TokenKind::Punct(b')') => self.paren_depth = self.paren_depth.saturating_sub(1),
            TokenKind::Word => self.word(token.text(source)),
            TokenKind::Unterminated(what) => self.unterminated = Some((what, token.start)),
            _ => {}
        }
    }

    fn word(&mut self, word: &str) {
        // Remember the first letter of the words psql looks at, as psql does.
        if self.word_count < self.leading_words.len() {
            let tracked = ["create", "function", "procedure", "or", "replace"];
            if tracked.iter().any(|w| word.eq_ignore_ascii_case(w)) {
                self.leading_words[self.word_count] = word.as_bytes()[0].to_ascii_lowercase();
            }
        }
        self.word_count += 1;

        if self.is_routine() && self.paren_depth == 0 {
            if word.eq_ignore_ascii_case("begin") {
                self.begin_depth += 1;
            } else if word.eq_ignore_ascii_case("case") {
                // CASE also closes with END; it matters only inside a body.
                if self.begin_depth > 0 {
                    self.begin_depth += 1;
                }
            } else if word.eq_ignore_ascii_case("end") {
                self.begin_depth = self.begin_depth.saturating_sub(1);
            }
        }

        if self.word_count == 1 {
            self.is_copy = word.eq_ignore_ascii_case("copy");
        } else if self.is_copy {
            if self.previous_word_was_from && word.eq_ignore_ascii_case("stdin") {
                self.copy_from_stdin = true;
            }
            self.previous_word_was_from = word.eq_ignore_ascii_case("from");
        }
    }

    /// `CREATE FUNCTION`, `CREATE PROCEDURE`, or the same with `OR REPLACE`.
    fn is_routine(&self) -> bool {
        let [w0, w1, w2, w3] = self.leading_words;
        w0 == b'c' && (w1 == b'f' || w1 == b'p' || (w1 == b'o' && w2 == b'r' && (w3 == b'f' || w3 == b'p')))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<&str> {
        split(source).iter().map(|piece| &source[piece.start..piece.end]).collect()
    }

    #[test]
    fn psql_includes_are_found() {
        let source = "\\i a.sql\nselect 1;\n\\ir b/c.sql\n\\include_relative d.sql\n\\echo x\n\\if true\n";
        let (pieces, includes) = split_with_includes(source);
        assert_eq!(pieces.len(), 1);
        let found: Vec<&str> = includes.iter().map(|include| &source[include.start..include.end]).collect();
        assert_eq!(found, vec!["\\i a.sql", "\\ir b/c.sql", "\\include_relative d.sql"]);
    }

    #[test]
    fn lone_cr_ends_a_line_comment() {
        // psql runs this file as one CREATE TABLE: PostgreSQL's lexer ends `--` at CR.
        assert_eq!(
            texts("-- note\rCREATE TABLE public.t (id int);\r"),
            vec!["CREATE TABLE public.t (id int)"]
        );
        assert_eq!(
            texts("select 1; -- a\rselect 2;\r-- b\r\nselect 3"),
            vec!["select 1", "select 2", "select 3"]
        );
        // A backslash command still runs to the end of its LF line, as in psql.
        assert_eq!(texts("\\echo a\rselect 1;\nselect 2;"), vec!["select 2"]);
    }

    #[test]
    fn semicolons_inside_strings_comments_and_parentheses_do_not_split() {
        let source = "select ';' /* ; */, $$;$$, E'\\';';\n-- ; here\ncreate table t (a int default (1;2));";
        assert_eq!(
            texts(source),
            vec!["select ';' /* ; */, $$;$$, E'\\';'", "create table t (a int default (1;2))"]
        );
    }

    #[test]
    fn last_statement_without_semicolon_and_empty_statements() {
        assert_eq!(texts(";; select 1;;\n\n select 2\n"), vec!["select 1", "select 2"]);
        assert!(split("  -- only a comment\n").is_empty());
    }

    #[test]
    fn leading_comments_are_kept_with_their_statement() {
        let source = "select 1;\n-- neonlint-ignore NL001\n/* why */\ncreate table t ();";
        let pieces = split(source);
        assert_eq!(
            &source[pieces[1].comments_start..pieces[1].start],
            "-- neonlint-ignore NL001\n/* why */\n"
        );
        assert_eq!(pieces[0].comments_start, pieces[0].start);
    }

    #[test]
    fn atomic_function_bodies_stay_whole() {
        let source = "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\nBEGIN ATOMIC\n  SELECT 1;\n  SELECT CASE WHEN true THEN 1 END;\nEND;\ncreate table t ();";
        let texts = texts(source);
        assert_eq!(texts.len(), 2, "{texts:?}");
        assert!(texts[0].ends_with("END"));
        // Outside a routine, BEGIN is a transaction statement of its own.
        assert_eq!(split("begin; create table t (); commit;").len(), 3);
    }

    #[test]
    fn drizzle_breakpoints_end_statements() {
        let source = "CREATE TABLE a (id int)\n--> statement-breakpoint\nCREATE TABLE b (id int);\n";
        assert_eq!(texts(source), vec!["CREATE TABLE a (id int)", "CREATE TABLE b (id int)"]);
    }

    #[test]
    fn psql_meta_commands_and_copy_data_are_not_sql() {
        let source = "\\set ON_ERROR_STOP on\nCOPY public.t (a) FROM stdin;\n1\t'unbalanced\n\\.\ncreate table u ();\n\\connect other\nselect 1";
        assert_eq!(texts(source), vec!["COPY public.t (a) FROM stdin", "create table u ()", "select 1"]);
        // COPY to a file has no inline data.
        assert_eq!(texts("copy t to stdout; select 1;"), vec!["copy t to stdout", "select 1"]);
    }

    #[test]
    fn unterminated_dollar_quote_is_reported_at_its_start() {
        let source = "select 1;\ncreate function f() returns int as $body$ select 1;\ncreate table t ();";
        let pieces = split(source);
        assert_eq!(pieces.len(), 2);
        let (what, at) = pieces[1].unterminated.unwrap();
        assert_eq!(what, Unterminated::DollarQuote);
        assert_eq!(&source[at..at + 6], "$body$");
        assert_eq!(pieces[1].end, source.len());
    }

    #[test]
    fn deep_parentheses_do_not_recurse() {
        let source = format!("select {}1{};select 2", "(".repeat(5000), ")".repeat(5000));
        assert_eq!(split(&source).len(), 2);
    }
}
