//! A column cast to a type, as an expression index key spells it: `(owner::uuid)`,
//! `((owner)::uuid)` (what `pg_get_indexdef` prints), `CAST(owner AS uuid)`. Policies
//! compare such casts with the caller's id, and only an index on the same cast serves
//! them (NL014); both modes read the key here, so they agree.

use super::lexer::{Lexer, Token, TokenKind};
use super::{fold, normalise_type, unquote};
use crate::model::ColumnCast;

/// The cast `text` is, or `None` for anything else (a plain column, a function call, an
/// expression over several columns).
pub fn column_cast(text: &str) -> Option<ColumnCast> {
    let tokens: Vec<Token> = Lexer::new(text).filter(|token| !token.is_comment()).collect();
    let tokens = strip_parentheses(text, &tokens);
    if let Some(first) = tokens.first()
        && first.is_word(text, "cast")
    {
        // `CAST ( column AS type )`.
        let inner = strip_parentheses(text, &tokens[1..]);
        let as_at = inner.iter().position(|token| token.is_word(text, "as"))?;
        let column = column(text, strip_parentheses(text, &inner[..as_at]))?;
        let type_name = type_text(text, &inner[as_at + 1..])?;
        return Some(ColumnCast { column, type_name });
    }
    // `column :: type`, the column maybe in parentheses.
    let at = tokens.windows(2).position(|pair| is_punct(pair[0], b':') && is_punct(pair[1], b':'))?;
    let column = column(text, strip_parentheses(text, &tokens[..at]))?;
    let type_name = type_text(text, &tokens[at + 2..])?;
    Some(ColumnCast { column, type_name })
}

/// `tokens` without parentheses that enclose all of them.
fn strip_parentheses<'t>(text: &str, mut tokens: &'t [Token]) -> &'t [Token] {
    while tokens.len() >= 2 && is_punct(tokens[0], b'(') && is_punct(tokens[tokens.len() - 1], b')') {
        // Only when the first `(` closes at the last token: `(a)::t` is not enclosed.
        let mut depth = 0;
        let closes_at_end = tokens.iter().enumerate().all(|(i, token)| {
            if is_punct(*token, b'(') {
                depth += 1;
            } else if is_punct(*token, b')') {
                depth -= 1;
            }
            depth > 0 || i == tokens.len() - 1
        });
        if !closes_at_end {
            break;
        }
        tokens = &tokens[1..tokens.len() - 1];
        let _ = text;
    }
    tokens
}

/// A single (unqualified or table-qualified) column name.
fn column(text: &str, tokens: &[Token]) -> Option<String> {
    let last = match tokens {
        [one] => *one,
        [_, dot, last] if is_punct(*dot, b'.') => *last,
        _ => return None,
    };
    match last.kind {
        TokenKind::Word => Some(fold(last.text(text))),
        TokenKind::QuotedIdent => Some(unquote(last.text(text))),
        _ => None,
    }
}

/// Words a type name can hold after its first one (`double precision`, `character varying`,
/// `timestamp with time zone`, `interval day to second`, `int array`).
const TYPE_WORDS: &[&str] = &[
    "array",
    "day",
    "hour",
    "minute",
    "month",
    "precision",
    "second",
    "time",
    "to",
    "varying",
    "with",
    "without",
    "year",
    "zone",
];

/// The type after `::` or `AS`, as `format_type` prints it; `None` when more follows the
/// type (`owner::uuid = x`, `owner::uuid IS NULL`): that is an expression, not a cast.
fn type_text(text: &str, tokens: &[Token]) -> Option<String> {
    let mut depth = 0usize;
    for (i, token) in tokens.iter().enumerate() {
        let allowed = match token.kind {
            TokenKind::Punct(b'(' | b'[') => {
                depth += 1;
                true
            }
            TokenKind::Punct(b')' | b']') => {
                depth = depth.checked_sub(1)?;
                true
            }
            // Inside `numeric(10, 2)` or `int[3]`: sizes.
            _ if depth > 0 => matches!(token.kind, TokenKind::Number | TokenKind::Punct(b',')),
            TokenKind::Punct(b'.') | TokenKind::QuotedIdent => true,
            TokenKind::Word => {
                i == 0
                    || tokens[i - 1].kind == TokenKind::Punct(b'.')
                    || TYPE_WORDS.iter().any(|word| token.is_word(text, word))
            }
            _ => false,
        };
        if !allowed {
            return None;
        }
    }
    let start = tokens.first()?.start;
    let end = tokens.last()?.end;
    normalise_type(&text[start..end])
}

fn is_punct(token: Token, punct: u8) -> bool {
    token.kind == TokenKind::Punct(punct)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast(column: &str, type_name: &str) -> Option<ColumnCast> {
        Some(ColumnCast { column: column.to_string(), type_name: type_name.to_string() })
    }

    #[test]
    fn every_spelling_of_one_cast_reads_the_same() {
        for text in
            ["owner::uuid", "(owner::uuid)", "((owner)::uuid)", "CAST(owner AS uuid)", "(t.owner)::UUID"]
        {
            assert_eq!(column_cast(text), cast("owner", "uuid"), "{text}");
        }
        assert_eq!(column_cast("(\"Owner\")::int"), cast("Owner", "integer"));
        assert_eq!(column_cast("(owner)::character varying(20)"), cast("owner", "character varying"));
        assert_eq!(column_cast("owner::pg_catalog.text"), cast("owner", "text"));
    }

    #[test]
    fn other_expressions_are_no_cast() {
        for text in [
            "owner",
            "lower(owner)",
            "(a || b)::text",
            "owner::uuid = x",
            "owner::uuid IS NULL",
            "owner::uuid + 1",
            "",
        ] {
            assert_eq!(column_cast(text), None, "{text}");
        }
    }
}
