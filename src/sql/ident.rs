//! Identifiers: quoting as PostgreSQL's `quote_ident` does it (fix SQL and function keys
//! print names the way the server reads them back), unquoting, and renaming a column or
//! table inside an expression's text, as PostgreSQL's stored expressions follow renames.

use super::fold;
use super::lexer::{Lexer, Token, TokenKind};

/// An identifier as PostgreSQL's `quote_ident` prints it.
pub fn quote_ident(name: &str) -> String {
    let plain = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '$');
    if plain && RESERVED_KEYWORDS.binary_search(&name).is_err() {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// `schema.name`, each part quoted as needed.
pub fn quote_qualified(schema: &str, name: &str) -> String {
    format!("{}.{}", quote_ident(schema), quote_ident(name))
}

/// Keywords `quote_ident` quotes: every category but unreserved
/// (`SELECT word FROM pg_get_keywords() WHERE catcode <> 'U'` on PostgreSQL 15), sorted.
const RESERVED_KEYWORDS: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "system_user",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

/// `"a""b"` → `a"b`, cut to 63 bytes as PostgreSQL cuts every identifier.
pub fn unquote(quoted: &str) -> String {
    let name =
        quoted.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(quoted).replace("\"\"", "\"");
    super::truncate_identifier(&name).to_string()
}

/// `expr` with column `from` renamed to `to`: references qualified by one of `tables`
/// (`todos.user_id`), and unqualified ones when no subquery brings other tables into
/// scope (with a `FROM` in the text, an unqualified name may be the subquery's own, so it
/// is left as written). Function names (`from(`) are left alone.
pub fn rename_column(expr: &str, tables: &[&str], from: &str, to: &str) -> String {
    let tokens: Vec<Token> = Lexer::new(expr).filter(|token| !token.is_comment()).collect();
    let has_from = tokens.iter().any(|token| token.is_word(expr, "from"));
    rewrite(
        expr,
        &tokens,
        |i| {
            if name_of(expr, tokens[i]).as_deref() != Some(from) || is_punct(&tokens, i + 1, b'(') {
                return false;
            }
            if i >= 2 && is_punct(&tokens, i - 1, b'.') {
                return name_of(expr, tokens[i - 2])
                    .is_some_and(|qualifier| tables.contains(&qualifier.as_str()));
            }
            !has_from
        },
        to,
    )
}

/// `expr` with the table qualifier `from.` renamed to `to.`.
pub fn rename_qualifier(expr: &str, from: &str, to: &str) -> String {
    let tokens: Vec<Token> = Lexer::new(expr).filter(|token| !token.is_comment()).collect();
    rewrite(
        expr,
        &tokens,
        |i| {
            name_of(expr, tokens[i]).as_deref() == Some(from)
                && is_punct(&tokens, i + 1, b'.')
                && !(i >= 1 && is_punct(&tokens, i - 1, b'.'))
        },
        to,
    )
}

fn name_of(source: &str, token: Token) -> Option<String> {
    match token.kind {
        TokenKind::Word => Some(fold(token.text(source))),
        TokenKind::QuotedIdent => Some(unquote(token.text(source))),
        _ => None,
    }
}

fn is_punct(tokens: &[Token], i: usize, punct: u8) -> bool {
    tokens.get(i).is_some_and(|token| token.kind == TokenKind::Punct(punct))
}

/// `source` with the tokens `replace` picks replaced by `to`, quoted as needed.
fn rewrite(source: &str, tokens: &[Token], replace: impl Fn(usize) -> bool, to: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut copied = 0;
    for (i, token) in tokens.iter().enumerate() {
        if replace(i) {
            out.push_str(&source[copied..token.start]);
            out.push_str(&quote_ident(to));
            copied = token.end;
        }
    }
    out.push_str(&source[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_follow_postgres_references() {
        let tables = ["todos"];
        assert_eq!(
            rename_column("(select auth.uid()) = user_id", &tables, "user_id", "owner_id"),
            "(select auth.uid()) = owner_id"
        );
        assert_eq!(
            rename_column("(select auth.user_id() = \"todos\".\"user_id\")", &tables, "user_id", "Owner"),
            "(select auth.user_id() = \"todos\".\"Owner\")"
        );
        // Another table's column, a function of the same name, and a subquery's own column stay.
        assert_eq!(
            rename_column("m.user_id = user_id(x)", &tables, "user_id", "owner_id"),
            "m.user_id = user_id(x)"
        );
        assert_eq!(
            rename_column("user_id IN (SELECT user_id FROM members)", &tables, "user_id", "owner_id"),
            "user_id IN (SELECT user_id FROM members)"
        );
        assert_eq!(
            rename_qualifier("todos.user_id = \"todos\".id", "todos", "tasks"),
            "tasks.user_id = tasks.id"
        );
        assert_eq!(rename_qualifier("public.todos.id = 1", "public", "x"), "x.todos.id = 1");
    }

    #[test]
    fn keywords_are_sorted_for_binary_search() {
        assert!(RESERVED_KEYWORDS.windows(2).all(|pair| pair[0] < pair[1]));
    }
}
