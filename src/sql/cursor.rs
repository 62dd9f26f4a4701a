//! The token-level readers' shared moves: look ahead, eat keywords and punctuation, read
//! identifiers, qualified names and roles. `fallback` reads a statement's tokens up front;
//! `routine` lexes as it goes, so a long function body past the header is never tokenised.

use super::ident::unquote;
use super::lexer::{Token, TokenKind};
use super::{ObjectRef, RoleSpec, fold};

pub(super) trait TokenCursor<'a> {
    /// The statement's text.
    fn source(&self) -> &'a str;
    /// The token `n` places ahead, comments skipped.
    fn peek_nth(&mut self, n: usize) -> Option<Token>;
    /// Moves past `n` tokens.
    fn advance(&mut self, n: usize);

    fn peek(&mut self) -> Option<Token> {
        self.peek_nth(0)
    }

    fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    fn peek_nth_is(&mut self, n: usize, keyword: &str) -> bool {
        let source = self.source();
        self.peek_nth(n).is_some_and(|token| token.is_word(source, keyword))
    }

    fn peek_is(&mut self, keyword: &str) -> bool {
        self.peek_nth_is(0, keyword)
    }

    fn peek_nth_punct(&mut self, n: usize, punct: u8) -> bool {
        self.peek_nth(n).is_some_and(|token| token.kind == TokenKind::Punct(punct))
    }

    fn peek_punct(&mut self, punct: u8) -> bool {
        self.peek_nth_punct(0, punct)
    }

    fn eat(&mut self, keyword: &str) -> bool {
        let matched = self.peek_is(keyword);
        if matched {
            self.advance(1);
        }
        matched
    }

    /// Eats every keyword of `sequence` or none of them.
    fn eat_all(&mut self, sequence: &[&str]) -> bool {
        let matched = (0..sequence.len()).all(|i| self.peek_nth_is(i, sequence[i]));
        if matched {
            self.advance(sequence.len());
        }
        matched
    }

    /// Eats one of `keywords` and says which.
    fn eat_any(&mut self, keywords: &[&'static str]) -> Option<&'static str> {
        let keyword = keywords.iter().copied().find(|keyword| self.peek_is(keyword))?;
        self.advance(1);
        Some(keyword)
    }

    fn eat_punct(&mut self, punct: u8) -> bool {
        let matched = self.peek_punct(punct);
        if matched {
            self.advance(1);
        }
        matched
    }

    /// An identifier: an unquoted word (folded) or a quoted identifier.
    fn ident(&mut self) -> Option<String> {
        let token = self.peek()?;
        let name = match token.kind {
            TokenKind::Word => fold(token.text(self.source())),
            TokenKind::QuotedIdent => unquote(token.text(self.source())),
            _ => return None,
        };
        self.advance(1);
        Some(name)
    }

    /// `name`, `schema.name` or `database.schema.name`.
    fn object_ref(&mut self) -> Option<ObjectRef> {
        let mut parts = vec![self.ident()?];
        while self.eat_punct(b'.') {
            parts.push(self.ident()?);
        }
        let name = parts.pop()?;
        Some(ObjectRef { schema: parts.pop(), name })
    }

    /// A role in `TO`, `FROM`, `OWNER TO`: a name, `PUBLIC`, `CURRENT_USER`, … .
    fn role_spec(&mut self) -> Option<RoleSpec> {
        let token = self.peek()?;
        if token.kind == TokenKind::Word {
            let word = token.text(self.source());
            let special = match word.to_ascii_lowercase().as_str() {
                "public" => Some(RoleSpec::Public),
                "current_user" | "current_role" => Some(RoleSpec::CurrentUser),
                "session_user" => Some(RoleSpec::SessionUser),
                _ => None,
            };
            if let Some(special) = special {
                self.advance(1);
                return Some(special);
            }
            // `GROUP name` is an old spelling of a role name.
            if word.eq_ignore_ascii_case("group") && self.peek_nth(1).is_some() {
                self.advance(1);
            }
        }
        self.ident().map(RoleSpec::Name)
    }

    /// Skips a balanced `( … )` and returns the byte range inside it.
    fn parenthesized(&mut self) -> Option<(usize, usize)> {
        let open = self.peek().filter(|token| token.kind == TokenKind::Punct(b'('))?;
        let mut depth = 0usize;
        while let Some(token) = self.peek() {
            self.advance(1);
            match token.kind {
                TokenKind::Punct(b'(') => depth += 1,
                TokenKind::Punct(b')') => {
                    depth -= 1;
                    if depth == 0 {
                        return Some((open.end, token.start));
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// `item [, item …]`.
    fn list<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>>
    where
        Self: Sized,
    {
        let mut items = vec![item(self)?];
        while self.eat_punct(b',') {
            items.push(item(self)?);
        }
        Some(items)
    }
}
