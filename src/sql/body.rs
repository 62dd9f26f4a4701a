//! What a function body refers to by name, read from its tokens: the functions it calls,
//! the relations and types it names, and whether it reads the request's identity
//! (`auth.user_id()`, `current_setting(…)`).
//!
//! Both modes read the same text (a migration's `AS $$ … $$` is what `pg_proc.prosrc`
//! holds), so they get the same facts. The reading is approximate on purpose and errs
//! toward "names something": a plpgsql variable after `INTO` is taken for a relation. Rules
//! use the facts to decide whether a body still resolves under a fixed `search_path` and
//! whether a function is an auth helper; an extra name only makes them more careful.

use super::fold;
use super::lexer::{Lexer, Token, TokenKind};
use super::unquote;
use crate::model::{FunctionBody as BodyFacts, Name};

/// The facts of a body in `language`; `None` for languages whose text is not SQL (C,
/// internal, plv8, …). `bound` is a SQL-standard body.
pub fn facts(language: &str, body: &str, bound: bool) -> Option<BodyFacts> {
    let language = language.to_ascii_lowercase();
    if !matches!(language.as_str(), "sql" | "plpgsql") {
        return None;
    }
    let tokens: Vec<Token> = Lexer::new(body).filter(|token| !token.is_comment()).collect();
    let mut facts = BodyFacts { bound_at_creation: bound, ..BodyFacts::default() };
    let in_coalesce = inside_coalesce(body, &tokens);
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i];
        if !is_name_part(token) {
            i += 1;
            continue;
        }
        // A dotted name: `a`, `a.b`, `a.b.c` (the last part is the object).
        let start = i;
        let mut parts = vec![part(body, token)];
        while i + 2 < tokens.len() && is_punct(tokens[i + 1], b'.') && is_name_part(tokens[i + 2]) {
            parts.push(part(body, tokens[i + 2]));
            i += 2;
        }
        let next = tokens.get(i + 1).copied();
        let opens = next.is_some_and(|next| is_punct(next, b'('));
        let previous = start.checked_sub(1).map(|p| tokens[p]);
        let after_cast = previous.is_some_and(|p| is_punct(p, b':'))
            && start.checked_sub(2).is_some_and(|p| is_punct(tokens[p], b':'));
        let relation_keyword =
            previous.and_then(|p| RELATION_BEFORE.iter().find(|keyword| p.is_word(body, keyword)).copied());
        let name = qualified(&parts);
        let word = token.kind == TokenKind::Word && parts.len() == 1;
        if after_cast {
            if !(name.0.is_none() && super::routine::is_builtin_type_name(&name.1)) {
                push(&mut facts.types, name);
            }
        } else if next.is_some_and(|next| is_punct(next, b'%')) {
            // `todos%ROWTYPE`, `todos.title%TYPE`: the table is the part before the column.
            let table = if parts.len() >= 2 { qualified(&parts[..parts.len() - 1]) } else { name };
            push(&mut facts.relations, table);
        } else if let Some(keyword) = relation_keyword
            && !(word && NOT_RELATIONS.binary_search(&parts[0].as_str()).is_ok())
            // `FROM f(x)` calls a set-returning function; `INSERT INTO t (a, b)` names columns.
            && !(opens && matches!(keyword, "from" | "join"))
        {
            push(&mut facts.relations, name);
        } else if opens {
            if is_request_call(&name) {
                facts.reads_request = true;
            }
            // `coalesce(current_setting('app.tenant', true), …)` falls back when it is missing.
            if let Some(read) = setting_read(body, &tokens[i + 1..], &name)
                && !(read.1 && in_coalesce[i])
                && !facts.settings_read.contains(&read)
            {
                facts.settings_read.push(read);
            }
            let keyword = word && TAKES_PARENTHESES.binary_search(&parts[0].as_str()).is_ok();
            let builtin = name.0.is_none() && BUILTIN_FUNCTIONS.binary_search(&name.1.as_str()).is_ok();
            if !keyword && !builtin {
                push(&mut facts.calls, name);
            }
        }
        i += 1;
    }
    Some(facts)
}

/// For each token, whether it is inside the parentheses of a `coalesce(…)` call.
fn inside_coalesce(body: &str, tokens: &[Token]) -> Vec<bool> {
    let mut opened_by_coalesce: Vec<bool> = Vec::new();
    let mut inside = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        if is_punct(*token, b'(') {
            let coalesce = i.checked_sub(1).is_some_and(|p| tokens[p].is_word(body, "coalesce"));
            opened_by_coalesce.push(coalesce);
        } else if is_punct(*token, b')') {
            opened_by_coalesce.pop();
        }
        inside.push(opened_by_coalesce.contains(&true));
    }
    inside
}

/// `current_setting('name'[::text] [, missing_ok])` from its opening parenthesis: the name
/// and whether `missing_ok` may be true (absent or a literal `false`: it is not).
fn setting_read(body: &str, call: &[Token], name: &Name) -> Option<(String, bool)> {
    if !matches!((name.0.as_deref(), name.1.as_str()), (None | Some("pg_catalog"), "current_setting")) {
        return None;
    }
    let literal = call.get(1).filter(|token| token.kind == TokenKind::String)?;
    let setting = super::routine::string_value(literal.text(body)).to_ascii_lowercase();
    // Past a cast of the name (`'app.tenant'::text`).
    let mut next = 2;
    while call.get(next).is_some_and(|token| is_punct(*token, b':') || token.kind == TokenKind::Word) {
        next += 1;
    }
    let missing_ok = match call.get(next) {
        Some(token) if is_punct(*token, b',') => {
            let argument = call.get(next + 1)?;
            let closes = call.get(next + 2).is_some_and(|token| is_punct(*token, b')'));
            !(closes && (argument.is_word(body, "false") || argument.text(body) == "'f'"))
        }
        _ => false,
    };
    Some((setting, missing_ok))
}

/// Keywords after which a relation is named.
const RELATION_BEFORE: &[&str] = &["from", "join", "update", "into", "table", "truncate", "only"];

/// Words after `FROM`, `INTO`, … that are not relations (sorted).
const NOT_RELATIONS: &[&str] = &["lateral", "only", "select", "strict", "table", "unnest", "values"];

/// Keywords and syntax that take parentheses but are no function call (sorted).
const TAKES_PARENTHESES: &[&str] = &[
    "all",
    "and",
    "any",
    "array",
    "as",
    "between",
    "by",
    "case",
    "cast",
    "check",
    "collate",
    "conflict",
    "distinct",
    "else",
    "elsif",
    "exists",
    "filter",
    "from",
    "grouping",
    "if",
    "in",
    "is",
    "join",
    "key",
    "not",
    "on",
    "or",
    "over",
    "perform",
    "query",
    "raise",
    "return",
    "returning",
    "row",
    "select",
    "set",
    "some",
    "then",
    "unique",
    "using",
    "values",
    "when",
    "where",
    "while",
    "with",
    "within",
];

/// `pg_catalog` functions common in bodies; `pg_catalog` is searched first whatever the
/// `search_path` says, so an unqualified call of one resolves under `''` too (sorted).
const BUILTIN_FUNCTIONS: &[&str] = &[
    "abs",
    "age",
    "array_agg",
    "array_append",
    "array_length",
    "array_position",
    "array_remove",
    "array_to_string",
    "avg",
    "btrim",
    "cardinality",
    "ceil",
    "char_length",
    "clock_timestamp",
    "coalesce",
    "concat",
    "concat_ws",
    "count",
    "current_setting",
    "date_part",
    "date_trunc",
    "decode",
    "encode",
    "extract",
    "floor",
    "format",
    "gen_random_uuid",
    "generate_series",
    "greatest",
    "json_agg",
    "json_build_array",
    "json_build_object",
    "jsonb_agg",
    "jsonb_array_elements",
    "jsonb_array_length",
    "jsonb_build_array",
    "jsonb_build_object",
    "jsonb_each",
    "jsonb_object_agg",
    "jsonb_set",
    "jsonb_strip_nulls",
    "jsonb_typeof",
    "least",
    "left",
    "length",
    "lower",
    "ltrim",
    "make_interval",
    "max",
    "md5",
    "min",
    "now",
    "nullif",
    "pg_notify",
    "position",
    "random",
    "regexp_match",
    "regexp_replace",
    "repeat",
    "replace",
    "right",
    "round",
    "row_number",
    "rtrim",
    "set_config",
    "split_part",
    "starts_with",
    "statement_timestamp",
    "string_agg",
    "string_to_array",
    "strpos",
    "substr",
    "substring",
    "sum",
    "to_char",
    "to_json",
    "to_jsonb",
    "to_timestamp",
    "transaction_timestamp",
    "trim",
    "trunc",
    "unnest",
    "upper",
];

fn is_name_part(token: Token) -> bool {
    matches!(token.kind, TokenKind::Word | TokenKind::QuotedIdent)
}

fn is_punct(token: Token, punct: u8) -> bool {
    token.kind == TokenKind::Punct(punct)
}

fn part(body: &str, token: Token) -> String {
    match token.kind {
        TokenKind::QuotedIdent => unquote(token.text(body)),
        _ => fold(token.text(body)),
    }
}

/// The object of a dotted name: its last part, with the part before it as the schema.
fn qualified(parts: &[String]) -> Name {
    match parts {
        [] => (None, String::new()),
        [name] => (None, name.clone()),
        [.., schema, name] => (Some(schema.clone()), name.clone()),
    }
}

fn push(names: &mut Vec<Name>, name: Name) {
    if !names.contains(&name) {
        names.push(name);
    }
}

/// The calls that read the request's identity (the ones `policy_expr` calls auth calls).
pub fn is_request_call(name: &Name) -> bool {
    matches!(
        (name.0.as_deref(), name.1.as_str()),
        (Some("auth"), "user_id" | "uid" | "session" | "jwt")
            | (None | Some("pg_catalog"), "current_setting")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(schema: Option<&str>, name: &str) -> Name {
        (schema.map(str::to_string), name.to_string())
    }

    #[test]
    fn lists_are_sorted_for_binary_search() {
        for list in [NOT_RELATIONS, TAKES_PARENTHESES, BUILTIN_FUNCTIONS] {
            assert!(list.windows(2).all(|pair| pair[0] < pair[1]), "{list:?}");
        }
    }

    #[test]
    fn unqualified_relations_and_calls_are_found() {
        let facts = facts(
            "sql",
            "SELECT count(*) FROM files f JOIN public.owners o ON (o.id = f.owner) WHERE check_it(f.id)",
            false,
        )
        .unwrap();
        assert_eq!(facts.relations, vec![name(None, "files"), name(Some("public"), "owners")]);
        assert_eq!(facts.calls, vec![name(None, "check_it")]);
        assert!(!facts.fully_qualified());
        assert_eq!(facts.unqualified(), vec!["files", "check_it"]);
    }

    #[test]
    fn settings_read_by_name_with_missing_ok() {
        let read = facts(
            "plpgsql",
            "BEGIN RETURN current_setting('app.tenant')::uuid = t OR pg_catalog.current_setting('App.Other'::text, true) \
             = x OR current_setting('app.third', false) = y OR current_setting(name) = z; END",
            false,
        )
        .unwrap();
        let expected = [("app.tenant", false), ("app.other", true), ("app.third", false)];
        assert_eq!(read.settings_read, expected.map(|(name, ok)| (name.to_string(), ok)));
        // A fallback for a missing setting is no read that fails or finds nothing.
        let fallback = facts(
            "sql",
            "SELECT coalesce(current_setting('app.tenant', true), auth.session() ->> 'tenant_id'), \
             coalesce(current_setting('app.strict'), 'x')",
            false,
        )
        .unwrap();
        assert_eq!(fallback.settings_read, [("app.strict".to_string(), false)]);
    }

    #[test]
    fn qualified_bodies_and_builtins_need_no_search_path() {
        let facts = facts(
            "plpgsql",
            "BEGIN RETURN EXISTS (SELECT 1 FROM public.members m WHERE m.user_id = (select auth.user_id()) \
             AND m.created_at < now()::timestamptz); END",
            false,
        )
        .unwrap();
        assert!(facts.fully_qualified(), "{facts:?}");
        assert!(facts.reads_request);
    }

    #[test]
    fn inserts_name_their_table_and_from_can_call() {
        let facts = facts(
            "plpgsql",
            "BEGIN INSERT INTO audit (id, at) VALUES (NEW.id, now()) ON CONFLICT (id) DO NOTHING; \
             RETURN QUERY SELECT * FROM list_things(1) t; END",
            false,
        )
        .unwrap();
        assert_eq!(facts.relations, vec![name(None, "audit")]);
        assert_eq!(facts.calls, vec![name(None, "list_things")]);
    }

    #[test]
    fn casts_to_user_types_and_rowtypes_count() {
        let facts = facts(
            "plpgsql",
            "DECLARE r todos%ROWTYPE; BEGIN PERFORM 'x'::mood; PERFORM 'y'::text; END",
            false,
        )
        .unwrap();
        assert_eq!(facts.relations, vec![name(None, "todos")]);
        assert_eq!(facts.types, vec![name(None, "mood")]);
    }

    #[test]
    fn other_languages_are_not_read_and_standard_bodies_are_bound() {
        assert_eq!(facts("c", "whatever", false), None);
        let bound = facts("sql", "BEGIN ATOMIC SELECT count(*) FROM files; END", true).unwrap();
        assert!(bound.fully_qualified());
        assert!(bound.unqualified().is_empty());
    }
}
