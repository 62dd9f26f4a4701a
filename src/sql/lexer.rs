//! A PostgreSQL lexer that only finds token boundaries, the way psql does before it
//! sends a statement: strings (`''`, `E''` with backslashes, `U&''`), quoted
//! identifiers, dollar quotes with tags, nested block comments, line comments, psql
//! backslash commands. It never fails: an unterminated construct becomes one
//! `Unterminated` token that runs to the end of the text.
//!
//! It does not build values (no unescaping, no case folding) and allocates nothing; the
//! splitter and the token-level reader in `fallback` sit on top of it.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// A keyword or unquoted identifier.
    Word,
    /// `"…"`.
    QuotedIdent,
    /// `'…'`, `E'…'`, `U&'…'`, `B'…'`, `X'…'`, `N'…'`.
    String,
    /// `$tag$…$tag$`.
    DollarString,
    Number,
    /// `$1`.
    Param,
    /// One punctuation or operator character.
    Punct(u8),
    LineComment,
    BlockComment,
    /// A psql backslash command, to the end of its line.
    MetaCommand,
    /// A string, quoted identifier, dollar quote or comment that never ends.
    Unterminated(Unterminated),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unterminated {
    String,
    QuotedIdent,
    DollarQuote,
    BlockComment,
}

impl Unterminated {
    pub fn describe(self) -> &'static str {
        match self {
            Unterminated::String => "string literal",
            Unterminated::QuotedIdent => "quoted identifier",
            Unterminated::DollarQuote => "dollar-quoted string",
            Unterminated::BlockComment => "block comment",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text(self, source: &str) -> &str {
        &source[self.start..self.end]
    }

    pub fn is_comment(self) -> bool {
        matches!(self.kind, TokenKind::LineComment | TokenKind::BlockComment)
    }

    /// True for a word equal to `keyword` (ASCII, any case).
    pub fn is_word(self, source: &str, keyword: &str) -> bool {
        self.kind == TokenKind::Word && self.text(source).eq_ignore_ascii_case(keyword)
    }
}

pub struct Lexer<'a> {
    source: &'a str,
    bytes: &'a [u8],
    position: usize,
}

impl<'a> Lexer<'a> {
    pub fn new(source: &'a str) -> Self {
        Lexer { source, bytes: source.as_bytes(), position: 0 }
    }

    pub fn position(&self) -> usize {
        self.position
    }

    /// Skips the data that follows `COPY … FROM stdin;`: every line up to and including
    /// one that is exactly `\.`.
    pub fn skip_copy_data(&mut self) {
        // Data starts on the line after the statement.
        let Some(newline) = memchr(b'\n', &self.bytes[self.position..]) else {
            self.position = self.bytes.len();
            return;
        };
        let mut line_start = self.position + newline + 1;
        while line_start < self.bytes.len() {
            let line_end =
                memchr(b'\n', &self.bytes[line_start..]).map_or(self.bytes.len(), |n| line_start + n);
            let line = self.source[line_start..line_end].trim_end_matches('\r');
            if line == "\\." {
                self.position = line_end;
                return;
            }
            line_start = line_end + 1;
        }
        self.position = self.bytes.len();
    }

    fn token(&mut self, kind: TokenKind, start: usize, end: usize) -> Option<Token> {
        self.position = end;
        Some(Token { kind, start, end })
    }

    fn quoted(&self, start: usize, quote: u8, backslash_escapes: bool) -> Result<usize, usize> {
        let mut i = start + 1;
        while i < self.bytes.len() {
            let byte = self.bytes[i];
            if backslash_escapes && byte == b'\\' {
                i += 2;
                continue;
            }
            if byte == quote {
                // A doubled quote is an escaped quote.
                if self.bytes.get(i + 1) == Some(&quote) {
                    i += 2;
                    continue;
                }
                return Ok(i + 1);
            }
            i += 1;
        }
        Err(self.bytes.len())
    }

    /// `$tag$` at `start`: returns the end of the opening delimiter.
    fn dollar_tag(&self, start: usize) -> Option<usize> {
        let mut i = start + 1;
        if let Some(&first) = self.bytes.get(i)
            && first.is_ascii_digit()
        {
            return None;
        }
        while let Some(&byte) = self.bytes.get(i) {
            if byte == b'$' {
                return Some(i + 1);
            }
            if !is_ident_byte(byte) || byte == b'$' {
                return None;
            }
            i += 1;
        }
        None
    }

    fn block_comment(&self, start: usize) -> Result<usize, usize> {
        let mut depth = 0usize;
        let mut i = start;
        while i + 1 < self.bytes.len() {
            match (self.bytes[i], self.bytes[i + 1]) {
                (b'/', b'*') => {
                    depth += 1;
                    i += 2;
                }
                (b'*', b'/') => {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                _ => i += 1,
            }
        }
        Err(self.bytes.len())
    }
}

impl Iterator for Lexer<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let bytes = self.bytes;
        let mut i = self.position;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= bytes.len() {
            self.position = i;
            return None;
        }
        let start = i;
        let byte = bytes[i];
        let next = bytes.get(i + 1).copied();
        match byte {
            b'-' if next == Some(b'-') => {
                // PostgreSQL's lexer ends a comment at LF or CR (`non_newline [^\n\r]` in
                // scan.l): text after a lone CR is SQL again.
                let end = bytes[i..]
                    .iter()
                    .position(|&byte| byte == b'\n' || byte == b'\r')
                    .map_or(bytes.len(), |n| i + n);
                self.token(TokenKind::LineComment, start, end)
            }
            b'/' if next == Some(b'*') => match self.block_comment(i) {
                Ok(end) => self.token(TokenKind::BlockComment, start, end),
                Err(end) => self.token(TokenKind::Unterminated(Unterminated::BlockComment), start, end),
            },
            b'\'' => self.string(start, i, false),
            b'"' => match self.quoted(i, b'"', false) {
                Ok(end) => self.token(TokenKind::QuotedIdent, start, end),
                Err(end) => self.token(TokenKind::Unterminated(Unterminated::QuotedIdent), start, end),
            },
            b'e' | b'E' if next == Some(b'\'') => self.string(start, i + 1, true),
            b'b' | b'B' | b'x' | b'X' | b'n' | b'N' if next == Some(b'\'') => {
                self.string(start, i + 1, false)
            }
            b'u' | b'U' if next == Some(b'&') && bytes.get(i + 2) == Some(&b'\'') => {
                self.string(start, i + 2, false)
            }
            b'$' => {
                if let Some(tag_end) = self.dollar_tag(i) {
                    let delimiter = &self.source[i..tag_end];
                    return match self.source[tag_end..].find(delimiter) {
                        Some(offset) => {
                            self.token(TokenKind::DollarString, start, tag_end + offset + delimiter.len())
                        }
                        None => {
                            self.token(TokenKind::Unterminated(Unterminated::DollarQuote), start, bytes.len())
                        }
                    };
                }
                let mut end = i + 1;
                while end < bytes.len() && bytes[end].is_ascii_digit() {
                    end += 1;
                }
                let kind = if end > i + 1 { TokenKind::Param } else { TokenKind::Punct(b'$') };
                self.token(kind, start, end)
            }
            b'\\' => {
                // psql reads a backslash command to the end of its LF-terminated line; a lone
                // CR does not end it.
                let end = memchr(b'\n', &bytes[i..]).map_or(bytes.len(), |n| i + n);
                self.token(TokenKind::MetaCommand, start, end)
            }
            b'0'..=b'9' => {
                let mut end = i + 1;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'.' || bytes[end] == b'_')
                {
                    end += 1;
                }
                self.token(TokenKind::Number, start, end)
            }
            _ if is_ident_start(byte) => {
                let mut end = i + 1;
                while end < bytes.len() && is_ident_byte(bytes[end]) {
                    end += 1;
                }
                self.token(TokenKind::Word, start, end)
            }
            _ => {
                // Stay on a character boundary for any other non-ASCII byte.
                let width = self.source[i..].chars().next().map_or(1, char::len_utf8);
                self.token(TokenKind::Punct(byte), start, i + width)
            }
        }
    }
}

impl Lexer<'_> {
    /// A string whose opening quote is at `quote`; `start` includes any prefix.
    fn string(&mut self, start: usize, quote: usize, backslash_escapes: bool) -> Option<Token> {
        match self.quoted(quote, b'\'', backslash_escapes) {
            Ok(end) => self.token(TokenKind::String, start, end),
            Err(end) => self.token(TokenKind::Unterminated(Unterminated::String), start, end),
        }
    }
}

fn is_ident_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

fn is_ident_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'$' || byte >= 0x80
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&byte| byte == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<(TokenKind, &str)> {
        Lexer::new(source).map(|token| (token.kind, token.text(source))).collect()
    }

    #[test]
    fn strings_identifiers_and_comments() {
        let source = r#"SELECT 'it''s', E'a\'b', "Odd ""name""" -- note
/* outer /* inner */ still */ x"#;
        assert_eq!(
            kinds(source),
            vec![
                (TokenKind::Word, "SELECT"),
                (TokenKind::String, "'it''s'"),
                (TokenKind::Punct(b','), ","),
                (TokenKind::String, r"E'a\'b'"),
                (TokenKind::Punct(b','), ","),
                (TokenKind::QuotedIdent, r#""Odd ""name""""#),
                (TokenKind::LineComment, "-- note"),
                (TokenKind::BlockComment, "/* outer /* inner */ still */"),
                (TokenKind::Word, "x"),
            ]
        );
    }

    #[test]
    fn dollar_quotes_with_tags_and_parameters() {
        let source = "$fn$ select $$x$$; $fn$ $1 a$b";
        assert_eq!(
            kinds(source),
            vec![
                (TokenKind::DollarString, "$fn$ select $$x$$; $fn$"),
                (TokenKind::Param, "$1"),
                (TokenKind::Word, "a$b"),
            ]
        );
    }

    #[test]
    fn unterminated_constructs_run_to_the_end() {
        for (source, what) in [
            ("select 'abc", Unterminated::String),
            ("select $x$ abc $y$", Unterminated::DollarQuote),
            ("select /* a /* b */", Unterminated::BlockComment),
            ("select \"abc", Unterminated::QuotedIdent),
        ] {
            let last = Lexer::new(source).last().unwrap();
            assert_eq!(last.kind, TokenKind::Unterminated(what), "{source}");
            assert_eq!(last.end, source.len());
        }
    }

    #[test]
    fn backslash_commands_end_at_the_line() {
        assert_eq!(
            kinds("\\connect app\nselect"),
            vec![(TokenKind::MetaCommand, "\\connect app"), (TokenKind::Word, "select")]
        );
    }

    #[test]
    fn copy_data_is_skipped_through_the_terminator() {
        let source = "copy t from stdin;\n1\t'x\n\\.\nselect 1";
        let mut lexer = Lexer::new(source);
        let semicolon = lexer.find(|t| t.kind == TokenKind::Punct(b';')).unwrap();
        assert_eq!(semicolon.start, 17);
        lexer.skip_copy_data();
        assert_eq!(lexer.next().unwrap().text(source), "select");
    }

    #[test]
    fn non_ascii_letters_are_identifier_characters() {
        // PostgreSQL treats every byte above 0x7F as an identifier character.
        assert_eq!(kinds("a → b")[1], (TokenKind::Word, "→"));
        assert_eq!(kinds("\u{1}x")[0], (TokenKind::Punct(1), "\u{1}"));
    }
}
