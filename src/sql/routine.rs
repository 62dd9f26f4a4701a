//! Reads the statements about functions and procedures: `CREATE [OR REPLACE] FUNCTION |
//! PROCEDURE`, `ALTER` and `DROP FUNCTION | PROCEDURE | ROUTINE`, and `GRANT`/`REVOKE` on
//! them. A token-level reader, not sqlparser: routine bodies are long and written in
//! many languages, and only the header and a few attributes matter to the model.
//!
//! Argument types are normalised to the text PostgreSQL's `format_type()` prints with an
//! empty `search_path`, so that a replayed function and an introspected one have the same
//! key. Types named without a schema that are not built in are left for replay to
//! qualify (see `arg_types`): only replay knows the search path.
//!
//! It never fails on a routine statement: one it cannot read is `StatementKind::Other`.

use super::cursor::TokenCursor;
use super::ident::{quote_ident, unquote};
use super::lexer::{Lexer, Token, TokenKind};
use super::{
    AlterFunctionAction, CreateFunction, FunctionRef, GrantTarget, ObjectRef, PrivilegeChange, PrivilegeList,
    RoutineKind, StatementKind, fold,
};
use crate::model::Privileges;

/// Reads `statement` if it is about functions or procedures; `None` when it is not.
pub fn read(statement: &str) -> Option<StatementKind> {
    let mut reader = Reader::new(statement);
    let routine = if reader.eat("create") {
        let or_replace = reader.eat("or") && reader.eat("replace");
        let procedure = reader.eat_any(&["function", "procedure"])? == "procedure";
        reader.create_function(or_replace, procedure)
    } else if reader.eat("alter") {
        let kind = reader.routine_kind()?;
        reader.alter_function(kind)
    } else if reader.eat("drop") {
        let kind = reader.routine_kind()?;
        reader.drop_functions(kind)
    } else if reader.eat("grant") {
        reader.grant_or_revoke(true)?
    } else if reader.eat("revoke") {
        reader.grant_or_revoke(false)?
    } else {
        return None;
    };
    Some(routine.unwrap_or(StatementKind::Other))
}

/// One type of an argument list as the parser normalised it, for replay to finish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgType<'a> {
    /// Built in or schema-qualified: already as PostgreSQL prints it.
    Done(&'a str),
    /// A type named without a schema that is not built in (`mood`, `"Mood"[]`): it
    /// needs the schema the search path finds it in, then a `.`.
    Unqualified(&'a str),
    /// `table.column%TYPE` (`text`): the column's type.
    ColumnType { text: &'a str, table: ObjectRef, column: String },
}

/// Splits a normalised argument list (`integer, mood[]`) into its types.
pub fn arg_types(args: &str) -> Vec<ArgType<'_>> {
    split_outside_quotes(args, ", ")
        .into_iter()
        .filter(|text| !text.is_empty())
        .map(|text| {
            if let Some(reference) = text.strip_suffix("%TYPE") {
                let mut parts: Vec<String> =
                    split_outside_quotes(reference, ".").into_iter().map(unquote_printed).collect();
                let column = parts.pop().unwrap_or_default();
                let name = parts.pop().unwrap_or_default();
                return ArgType::ColumnType { text, table: ObjectRef { schema: parts.pop(), name }, column };
            }
            let base = text.trim_end_matches("[]");
            if split_outside_quotes(base, ".").len() > 1 || is_builtin_printed(base) {
                ArgType::Done(text)
            } else {
                ArgType::Unqualified(text)
            }
        })
        .collect()
}

/// A type as written (`int`, `character varying(40)`, `s."T"[]`) in `format_type()`'s
/// spelling, or `None` when it is not a type.
pub fn normalise_type(text: &str) -> Option<String> {
    let tokens: Vec<Token> = Lexer::new(text).filter(|token| !token.is_comment()).collect();
    type_from_tokens(text, &tokens)
}

/// `pg_catalog` types whose `format_type()` is their own name (PostgreSQL 15: base,
/// pseudo, range and multirange types), sorted.
const BUILTIN_TYPES: &[&str] = &[
    "aclitem",
    "anyarray",
    "anycompatible",
    "anycompatiblearray",
    "anycompatiblemultirange",
    "anycompatiblenonarray",
    "anycompatiblerange",
    "anyelement",
    "anyenum",
    "anymultirange",
    "anynonarray",
    "anyrange",
    "bit",
    "box",
    "bytea",
    "cid",
    "cidr",
    "circle",
    "cstring",
    "date",
    "datemultirange",
    "daterange",
    "event_trigger",
    "fdw_handler",
    "gtsvector",
    "index_am_handler",
    "inet",
    "int2vector",
    "int4multirange",
    "int4range",
    "int8multirange",
    "int8range",
    "internal",
    "interval",
    "json",
    "jsonb",
    "jsonpath",
    "language_handler",
    "line",
    "lseg",
    "macaddr",
    "macaddr8",
    "money",
    "name",
    "numeric",
    "nummultirange",
    "numrange",
    "oid",
    "oidvector",
    "path",
    "pg_brin_bloom_summary",
    "pg_brin_minmax_multi_summary",
    "pg_ddl_command",
    "pg_dependencies",
    "pg_lsn",
    "pg_mcv_list",
    "pg_ndistinct",
    "pg_node_tree",
    "pg_snapshot",
    "point",
    "polygon",
    "record",
    "refcursor",
    "regclass",
    "regcollation",
    "regconfig",
    "regdictionary",
    "regnamespace",
    "regoper",
    "regoperator",
    "regproc",
    "regprocedure",
    "regrole",
    "regtype",
    "table_am_handler",
    "text",
    "tid",
    "trigger",
    "tsm_handler",
    "tsmultirange",
    "tsquery",
    "tsrange",
    "tstzmultirange",
    "tstzrange",
    "tsvector",
    "txid_snapshot",
    "unknown",
    "uuid",
    "void",
    "xid",
    "xid8",
    "xml",
];

/// `pg_catalog` type names that `format_type()` prints differently.
const RENAMED_BUILTIN_TYPES: &[(&str, &str)] = &[
    ("any", "\"any\""),
    ("bool", "boolean"),
    ("bpchar", "character"),
    ("char", "\"char\""),
    ("float4", "real"),
    ("float8", "double precision"),
    ("int2", "smallint"),
    ("int4", "integer"),
    ("int8", "bigint"),
    ("time", "time without time zone"),
    ("timestamp", "timestamp without time zone"),
    ("timestamptz", "timestamp with time zone"),
    ("timetz", "time with time zone"),
    ("varbit", "bit varying"),
    ("varchar", "character varying"),
];

/// Words that continue a type name written as several keywords (`double precision`,
/// `timestamp with time zone`, `interval day to second`).
const TYPE_NAME_WORDS: &[&str] = &[
    "char",
    "character",
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

/// Words that can start such a type name.
const MULTI_WORD_TYPE_STARTS: &[&str] =
    &["bit", "char", "character", "double", "interval", "national", "nchar", "time", "timestamp"];

/// The `format_type()` text of a type written with keywords (`int`, `double precision`,
/// `float(10)`), from its words joined by spaces; `None` for other names.
fn keyword_type(words: &str, precision: Option<u32>) -> Option<&'static str> {
    Some(match words {
        "int" | "integer" | "int4" => "integer",
        "bigint" | "int8" => "bigint",
        "smallint" | "int2" => "smallint",
        "bool" | "boolean" => "boolean",
        "double precision" | "float8" => "double precision",
        // `float(1)` to `float(24)` are `real`.
        "float" if precision.is_some_and(|p| p <= 24) => "real",
        "float" => "double precision",
        "real" | "float4" => "real",
        "numeric" | "decimal" | "dec" => "numeric",
        "varchar"
        | "character varying"
        | "char varying"
        | "national character varying"
        | "national char varying"
        | "nchar varying" => "character varying",
        "char" | "character" | "bpchar" | "nchar" | "national character" | "national char" => "character",
        "timestamptz" | "timestamp with time zone" => "timestamp with time zone",
        "timestamp" | "timestamp without time zone" => "timestamp without time zone",
        "timetz" | "time with time zone" => "time with time zone",
        "time" | "time without time zone" => "time without time zone",
        "varbit" | "bit varying" => "bit varying",
        _ if words == "interval" || words.starts_with("interval ") => "interval",
        _ => return None,
    })
}

/// The text of a `'…'` or `E'…'` literal.
pub(super) fn string_value(literal: &str) -> String {
    let (escaped, inner) = match literal.strip_prefix(['e', 'E']) {
        Some(rest) => (true, rest),
        None => (false, literal),
    };
    let inner = inner.strip_prefix('\'').and_then(|rest| rest.strip_suffix('\'')).unwrap_or(inner);
    let text = inner.replace("''", "'");
    if escaped { text.replace("\\'", "'").replace("\\\\", "\\") } else { text }
}

/// The text between the tags of a `$tag$…$tag$` literal.
fn dollar_value(literal: &str) -> &str {
    let tag_end = literal[1..].find('$').map_or(literal.len(), |at| at + 2);
    literal.get(tag_end..literal.len().saturating_sub(tag_end)).unwrap_or("")
}

/// Whether a one-word type name (`int`, `text`, `uuid`, `timestamptz`) is built in.
pub fn is_builtin_type_name(name: &str) -> bool {
    keyword_type(name, None).is_some() || catalog_type(name).is_some()
}

/// Whether `printed` (without `[]`) is how `format_type()` prints a built-in type.
fn is_builtin_printed(printed: &str) -> bool {
    BUILTIN_TYPES.binary_search(&printed).is_ok()
        || RENAMED_BUILTIN_TYPES.iter().any(|(_, shown)| *shown == printed)
        || matches!(printed, "character" | "character varying" | "interval")
}

/// A `pg_catalog` type by its catalog name (`int4`, `"char"`, `text`), as printed.
fn catalog_type(name: &str) -> Option<String> {
    if let Some((_, shown)) = RENAMED_BUILTIN_TYPES.iter().find(|(internal, _)| *internal == name) {
        return Some(shown.to_string());
    }
    BUILTIN_TYPES.binary_search(&name).ok().map(|_| name.to_string())
}

/// The type in `tokens`, which hold exactly one type (modifiers and array bounds
/// included, no argument name or default).
fn type_from_tokens(source: &str, tokens: &[Token]) -> Option<String> {
    let mut position = 0;
    // The dotted name, each part with whether it was quoted.
    let mut parts: Vec<(String, bool)> = Vec::new();
    loop {
        let token = tokens.get(position)?;
        parts.push(match token.kind {
            TokenKind::Word => (fold(token.text(source)), false),
            TokenKind::QuotedIdent => (unquote(token.text(source)), true),
            _ => return None,
        });
        position += 1;
        if !tokens.get(position).is_some_and(|token| token.kind == TokenKind::Punct(b'.')) {
            break;
        }
        position += 1;
    }
    let is_punct =
        |at: usize, punct: u8| tokens.get(at).is_some_and(|token| token.kind == TokenKind::Punct(punct));
    if is_punct(position, b'%') {
        let attribute = tokens.get(position + 1)?;
        if attribute.is_word(source, "type") {
            let names: Vec<String> = parts.iter().map(|(name, _)| quote_ident(name)).collect();
            return Some(format!("{}%TYPE", names.join(".")));
        }
        // `table%ROWTYPE` is the table's row type, named like the table.
        position += 2;
    }
    let single_keyword = parts.len() == 1 && !parts[0].1;
    let mut words = vec![parts[0].0.clone()];
    let mut precision = None;
    let mut array = false;
    while let Some(token) = tokens.get(position) {
        match token.kind {
            TokenKind::Punct(b'(') => {
                let open = position;
                position = skip_group(tokens, position, b'(', b')');
                if precision.is_none() && open + 1 < position {
                    precision = tokens[open + 1].text(source).parse().ok();
                }
                continue;
            }
            TokenKind::Punct(b'[') => {
                array = true;
                position = skip_group(tokens, position, b'[', b']');
                continue;
            }
            TokenKind::Word if token.is_word(source, "array") => array = true,
            TokenKind::Word
                if single_keyword
                    && MULTI_WORD_TYPE_STARTS.contains(&words[0].as_str())
                    && TYPE_NAME_WORDS.iter().any(|word| token.is_word(source, word)) =>
            {
                words.push(fold(token.text(source)));
            }
            _ => {}
        }
        position += 1;
    }
    let suffix = if array { "[]" } else { "" };
    let base = match parts.as_slice() {
        _ if single_keyword => match keyword_type(&words.join(" "), precision) {
            Some(shown) => shown.to_string(),
            None => catalog_type(&parts[0].0).unwrap_or_else(|| quote_ident(&parts[0].0)),
        },
        [(name, _)] => catalog_type(name).unwrap_or_else(|| quote_ident(name)),
        [.., (schema, _), (name, _)] if schema == "pg_catalog" => {
            catalog_type(name).unwrap_or_else(|| format!("pg_catalog.{}", quote_ident(name)))
        }
        [.., (schema, _), (name, _)] => format!("{}.{}", quote_ident(schema), quote_ident(name)),
        [] => return None,
    };
    Some(format!("{base}{suffix}"))
}

/// The position after the group that opens at `position`.
fn skip_group(tokens: &[Token], mut position: usize, open: u8, close: u8) -> usize {
    let mut depth = 0usize;
    while let Some(token) = tokens.get(position) {
        position += 1;
        if token.kind == TokenKind::Punct(open) {
            depth += 1;
        } else if token.kind == TokenKind::Punct(close) {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                break;
            }
        }
    }
    position
}

/// A name as `quote_ident` printed it, back to the name.
fn unquote_printed(printed: &str) -> String {
    if printed.starts_with('"') { unquote(printed) } else { printed.to_string() }
}

/// Splits `text` at each `separator` outside double quotes.
fn split_outside_quotes<'a>(text: &'a str, separator: &str) -> Vec<&'a str> {
    let mut pieces = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    let mut index = 0;
    while index < text.len() {
        if text.as_bytes()[index] == b'"' {
            quoted = !quoted;
        } else if !quoted && text[index..].starts_with(separator) {
            pieces.push(&text[start..index]);
            index += separator.len();
            start = index;
            continue;
        }
        index += 1;
    }
    pieces.push(&text[start..]);
    pieces
}

/// An argument's mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    In,
    Out,
    InOut,
    Variadic,
}

/// Tokens read on demand, comments skipped: a routine body is one token, but a `BEGIN
/// ATOMIC` body is many, and nothing after it matters.
struct Reader<'a> {
    source: &'a str,
    lexer: Lexer<'a>,
    tokens: Vec<Token>,
    position: usize,
}

impl<'a> TokenCursor<'a> for Reader<'a> {
    fn source(&self) -> &'a str {
        self.source
    }

    fn peek_nth(&mut self, n: usize) -> Option<Token> {
        while self.tokens.len() <= self.position + n {
            let token = self.lexer.find(|token| !token.is_comment())?;
            self.tokens.push(token);
        }
        Some(self.tokens[self.position + n])
    }

    fn advance(&mut self, n: usize) {
        self.position += n;
    }
}

impl<'a> Reader<'a> {
    fn new(source: &'a str) -> Self {
        Reader { source, lexer: Lexer::new(source), tokens: Vec::new(), position: 0 }
    }

    /// Skips one token, or a whole parenthesised group.
    fn skip(&mut self) {
        if !self.peek_punct(b'(') {
            self.advance(1);
        } else {
            self.parenthesized();
        }
    }

    fn routine_kind(&mut self) -> Option<RoutineKind> {
        Some(match self.eat_any(&["function", "procedure", "routine"])? {
            "function" => RoutineKind::Function,
            "procedure" => RoutineKind::Procedure,
            _ => RoutineKind::Routine,
        })
    }

    /// `( [mode] [name] type [DEFAULT expr | = expr], … )`: each argument's mode and
    /// normalised type.
    fn arguments(&mut self) -> Option<Vec<(Mode, String)>> {
        if !self.eat_punct(b'(') {
            return None;
        }
        let mut arguments = Vec::new();
        if self.eat_punct(b')') {
            return Some(arguments);
        }
        loop {
            // The argument's tokens, up to a `,` or `)` outside parentheses.
            let start = self.position;
            let mut depth = 0usize;
            let mut default_at = None;
            loop {
                let token = self.peek()?;
                match token.kind {
                    TokenKind::Punct(b'(') | TokenKind::Punct(b'[') => depth += 1,
                    TokenKind::Punct(b')') | TokenKind::Punct(b']') if depth > 0 => depth -= 1,
                    TokenKind::Punct(b')') | TokenKind::Punct(b',') if depth == 0 => break,
                    TokenKind::Punct(b'=') if depth == 0 => default_at = default_at.or(Some(self.position)),
                    TokenKind::Word if depth == 0 && token.is_word(self.source, "default") => {
                        default_at = default_at.or(Some(self.position))
                    }
                    _ => {}
                }
                self.position += 1;
            }
            let end = default_at.unwrap_or(self.position);
            arguments.push(argument(self.source, &self.tokens[start..end])?);
            if self.eat_punct(b')') {
                return Some(arguments);
            }
            self.position += 1;
        }
    }

    /// `name [( args )]` in `ALTER`, `DROP`, `GRANT`: `OUT` arguments are not part of
    /// the identity and PostgreSQL ignores them there.
    fn function_ref(&mut self, kind: RoutineKind) -> Option<FunctionRef> {
        let name = self.object_ref()?;
        let args = if self.peek_punct(b'(') { Some(identity(&self.arguments()?)) } else { None };
        Some(FunctionRef { name, kind, args })
    }

    fn create_function(&mut self, or_replace: bool, procedure: bool) -> Option<StatementKind> {
        let name = self.object_ref()?;
        let args = identity(&self.arguments()?);
        let mut create = CreateFunction {
            name,
            args,
            or_replace,
            procedure,
            security_definer: false,
            sets_search_path: false,
            returns_trigger: false,
            body: None,
        };
        let mut language = None;
        // The body as the server stores it, and whether it is SQL-standard (bound).
        let mut body: Option<(String, bool)> = None;
        // Attributes come in any order, before and after the body; a `BEGIN ATOMIC`
        // or `RETURN` body is always last.
        while !self.at_end() {
            if self.peek_is("external") && self.peek_nth_is(1, "security") {
                self.position += 1;
            }
            if self.eat("security") {
                create.security_definer = self.eat_any(&["definer", "invoker"])? == "definer";
            } else if self.eat("set") {
                if let Some(sets) = self.search_path_setting() {
                    create.sets_search_path = sets;
                }
            } else if self.eat("returns") {
                // `[pg_catalog.]trigger` or `event_trigger`.
                if self.eat("pg_catalog") {
                    self.eat_punct(b'.');
                }
                create.returns_trigger = self.peek_is("trigger") || self.peek_is("event_trigger");
            } else if self.eat("language") {
                let token = self.peek()?;
                language = Some(match token.kind {
                    TokenKind::String => string_value(token.text(self.source)),
                    _ => fold(token.text(self.source)),
                });
                self.advance(1);
            } else if self.eat("as") {
                let token = self.peek()?;
                body = match token.kind {
                    TokenKind::String => Some((string_value(token.text(self.source)), false)),
                    TokenKind::DollarString => {
                        Some((dollar_value(token.text(self.source)).to_string(), false))
                    }
                    _ => None,
                };
                self.skip();
            } else if (self.peek_is("begin") && self.peek_nth_is(1, "atomic")) || self.peek_is("return") {
                let start = self.peek()?.start;
                body = Some((self.source[start..].to_string(), true));
                break;
            } else {
                self.skip();
            }
        }
        // Trigger functions cannot be called through the Data API or in a policy: no rule
        // reads their bodies.
        if !create.returns_trigger {
            let language = language.unwrap_or_else(|| "sql".to_string());
            create.body = body.and_then(|(text, bound)| super::body::facts(&language, &text, bound));
        }
        Some(StatementKind::CreateFunction(create))
    }

    /// After `SET`: `Some(true)` for `search_path TO | = value` or `FROM CURRENT`,
    /// `Some(false)` for `TO DEFAULT`, `None` for another parameter.
    fn search_path_setting(&mut self) -> Option<bool> {
        if !self.eat("search_path") {
            return None;
        }
        if self.eat("from") {
            return Some(true);
        }
        if !self.eat("to") {
            self.eat_punct(b'=');
        }
        Some(!self.eat("default"))
    }

    fn alter_function(&mut self, kind: RoutineKind) -> Option<StatementKind> {
        let function = self.function_ref(kind)?;
        let mut actions = Vec::new();
        while !self.at_end() {
            if self.peek_is("external") && self.peek_nth_is(1, "security") {
                self.position += 1;
            }
            if self.eat("security") {
                actions.push(AlterFunctionAction::SecurityDefiner(
                    self.eat_any(&["definer", "invoker"])? == "definer",
                ));
            } else if self.eat("rename") {
                if !self.eat("to") {
                    return None;
                }
                actions.push(AlterFunctionAction::RenameTo(self.ident()?));
            } else if self.eat("owner") {
                if !self.eat("to") {
                    return None;
                }
                actions.push(AlterFunctionAction::OwnerTo(self.role_spec()?));
            } else if self.eat("set") {
                if self.eat("schema") {
                    actions.push(AlterFunctionAction::SetSchema(self.ident()?));
                } else if let Some(sets) = self.search_path_setting() {
                    actions.push(AlterFunctionAction::SearchPath(sets));
                }
            } else if self.eat("reset") {
                if self.eat_any(&["search_path", "all"]).is_some() {
                    actions.push(AlterFunctionAction::SearchPath(false));
                }
            } else {
                self.skip();
            }
        }
        Some(StatementKind::AlterFunction { function, actions })
    }

    fn drop_functions(&mut self, kind: RoutineKind) -> Option<StatementKind> {
        if self.eat("if") && !self.eat("exists") {
            return None;
        }
        let functions = self.list(|reader| reader.function_ref(kind))?;
        Some(StatementKind::DropFunctions { functions })
    }

    /// `GRANT | REVOKE … ON FUNCTION …` or `ON ALL FUNCTIONS IN SCHEMA …`; `None` when
    /// the statement is about other objects (it is then left to the other readers),
    /// `Some(None)` when it is about routines but cannot be read.
    fn grant_or_revoke(&mut self, grant: bool) -> Option<Option<StatementKind>> {
        // Find `ON` before `TO`/`FROM` and look at what follows it.
        let start = self.position;
        let mut on = None;
        while let Some(token) = self.peek() {
            if token.is_word(self.source, "on") {
                on = Some(self.position);
                break;
            }
            if ["to", "from"].iter().any(|word| token.is_word(self.source, word)) {
                break;
            }
            self.skip();
        }
        self.position = on? + 1;
        let all = self.eat("all");
        let kind = if all {
            match self.eat_any(&["functions", "procedures", "routines"])? {
                "functions" => RoutineKind::Function,
                "procedures" => RoutineKind::Procedure,
                _ => RoutineKind::Routine,
            }
        } else {
            self.routine_kind()?
        };
        let target_at = self.position;
        self.position = start;
        Some(self.routine_privileges(grant, all, kind, target_at))
    }

    fn routine_privileges(
        &mut self,
        grant: bool,
        all: bool,
        kind: RoutineKind,
        target_at: usize,
    ) -> Option<StatementKind> {
        // `REVOKE GRANT OPTION FOR` takes away the option only, which the model does not hold.
        let option_only = !grant && self.eat("grant") && self.eat("option") && self.eat("for");
        let mut privileges = PrivilegeList::default();
        if self.eat("all") {
            privileges.all = true;
        } else {
            privileges.object_level = self
                .list(|reader| {
                    let token = reader.peek().filter(|token| token.kind == TokenKind::Word)?;
                    reader.position += 1;
                    Privileges::from_keyword(token.text(reader.source))
                })?
                .into_iter()
                .fold(Privileges::NONE, |all, privilege| all | privilege);
        }
        if option_only {
            privileges = PrivilegeList::default();
        }
        self.position = target_at;
        let target = if all {
            if !(self.eat("in") && self.eat("schema")) {
                return None;
            }
            GrantTarget::AllFunctionsInSchemas(kind, self.list(Self::ident)?)
        } else {
            GrantTarget::Functions(self.list(|reader| reader.function_ref(kind))?)
        };
        self.eat_any(&["to", "from"])?;
        let grantees = self.list(Self::role_spec)?;
        Some(StatementKind::Privileges(PrivilegeChange { grant, privileges, target, grantees }))
    }
}

/// The identity types of an argument list: all but `OUT`, joined as PostgreSQL joins
/// `proargtypes`.
fn identity(arguments: &[(Mode, String)]) -> String {
    let types: Vec<&str> = arguments
        .iter()
        .filter(|(mode, _)| *mode != Mode::Out)
        .map(|(_, type_name)| type_name.as_str())
        .collect();
    types.join(", ")
}

/// One argument's tokens, without its default: `[mode] [name] type` or `name mode type`.
fn argument(source: &str, mut tokens: &[Token]) -> Option<(Mode, String)> {
    let mode_of = |token: &Token| {
        [("in", Mode::In), ("out", Mode::Out), ("inout", Mode::InOut), ("variadic", Mode::Variadic)]
            .into_iter()
            .find(|(word, _)| token.is_word(source, word))
            .map(|(_, mode)| mode)
    };
    let is_name = |token: &Token| matches!(token.kind, TokenKind::Word | TokenKind::QuotedIdent);
    let mut mode = Mode::In;
    // `IN` alone is a type named `in`? No: `in` is reserved, so it is always the mode.
    if let Some(found) = tokens.first().and_then(mode_of)
        && tokens.len() > 1
    {
        mode = found;
        tokens = &tokens[1..];
    }
    // A name comes first when a second word follows that does not continue a
    // keyword type (`double precision`, `character varying`).
    if let [first, second, ..] = tokens
        && is_name(first)
        && is_name(second)
    {
        let continues_type = first.kind == TokenKind::Word
            && MULTI_WORD_TYPE_STARTS.iter().any(|word| first.is_word(source, word))
            && TYPE_NAME_WORDS.iter().any(|word| second.is_word(source, word));
        if !continues_type {
            tokens = &tokens[1..];
            // `name OUT type`.
            if let Some(found) = tokens.first().and_then(mode_of)
                && tokens.len() > 1
            {
                mode = found;
                tokens = &tokens[1..];
            }
        }
    }
    Some((mode, type_from_tokens(source, tokens)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::RoleSpec;

    #[test]
    fn types_print_as_format_type_does() {
        // Each pair was checked on PostgreSQL 15: the function's `proargtypes` through
        // `format_type(t, NULL)` with `search_path = ''` (user types in `public`).
        for (written, printed) in [
            ("int", "integer"),
            ("INTEGER", "integer"),
            ("int4", "integer"),
            ("pg_catalog.int4", "integer"),
            ("int8", "bigint"),
            ("bigint", "bigint"),
            ("int2", "smallint"),
            ("smallint", "smallint"),
            ("varchar(40)", "character varying"),
            ("character varying(40)", "character varying"),
            ("varchar", "character varying"),
            ("character varying[]", "character varying[]"),
            ("bool", "boolean"),
            ("boolean", "boolean"),
            ("float8", "double precision"),
            ("double precision", "double precision"),
            ("float", "double precision"),
            ("float(10)", "real"),
            ("float(30)", "double precision"),
            ("float4", "real"),
            ("real", "real"),
            ("numeric(10,2)", "numeric"),
            ("decimal", "numeric"),
            ("dec(3)", "numeric"),
            ("char(3)", "character"),
            ("character", "character"),
            ("bpchar", "character"),
            ("\"char\"", "\"char\""),
            ("timestamptz", "timestamp with time zone"),
            ("timestamp with time zone", "timestamp with time zone"),
            ("timestamp(3)", "timestamp without time zone"),
            ("timestamp without time zone", "timestamp without time zone"),
            ("time", "time without time zone"),
            ("time(3) with time zone", "time with time zone"),
            ("interval", "interval"),
            ("interval day to second", "interval"),
            ("bit", "bit"),
            ("bit(3)", "bit"),
            ("bit varying(3)", "bit varying"),
            ("text", "text"),
            ("text[]", "text[]"),
            ("int ARRAY", "integer[]"),
            ("int ARRAY[3]", "integer[]"),
            ("int[][]", "integer[]"),
            ("int4[]", "integer[]"),
            ("uuid", "uuid"),
            ("jsonb", "jsonb"),
            ("json", "json"),
            ("bytea", "bytea"),
            ("name", "name"),
            ("regclass", "regclass"),
            ("anyelement", "anyelement"),
            ("public.mood", "public.mood"),
            ("public.mood[]", "public.mood[]"),
            ("s.\"Weird T\"", "s.\"Weird T\""),
            ("s.\"Weird T\"[]", "s.\"Weird T\"[]"),
            ("mood", "mood"),
            ("\"MixedCase\"", "\"MixedCase\""),
            ("Public.Mood", "public.mood"),
            ("tt.x%TYPE", "tt.x%TYPE"),
            ("tt%ROWTYPE", "tt"),
        ] {
            assert_eq!(normalise_type(written).as_deref(), Some(printed), "{written}");
        }
        assert_eq!(normalise_type("'x'"), None);
    }

    #[test]
    fn quote_ident_quotes_like_postgres() {
        assert_eq!(quote_ident("mood"), "mood");
        assert_eq!(quote_ident("Mood"), "\"Mood\"");
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("a b"), "\"a b\"");
        assert_eq!(quote_ident("my$type_2"), "my$type_2");
    }

    #[test]
    fn arg_types_split_what_replay_must_finish() {
        assert_eq!(
            arg_types("integer, mood[], s.\"a, b\", \"X\", public.t.c%TYPE, timestamp with time zone"),
            vec![
                ArgType::Done("integer"),
                ArgType::Unqualified("mood[]"),
                ArgType::Done("s.\"a, b\""),
                ArgType::Unqualified("\"X\""),
                ArgType::ColumnType {
                    text: "public.t.c%TYPE",
                    table: ObjectRef { schema: Some("public".into()), name: "t".into() },
                    column: "c".into()
                },
                ArgType::Done("timestamp with time zone"),
            ]
        );
        assert!(arg_types("").is_empty());
    }

    fn create(statement: &str) -> CreateFunction {
        match read(statement) {
            Some(StatementKind::CreateFunction(create)) => create,
            other => panic!("{statement}: {other:?}"),
        }
    }

    #[test]
    fn trigger_functions_are_told_apart() {
        assert!(
            create("CREATE FUNCTION t() RETURNS trigger LANGUAGE plpgsql AS $$ begin return new; end $$")
                .returns_trigger
        );
        assert!(
            create(
                "create function t() returns pg_catalog.event_trigger as $$ begin end $$ language plpgsql"
            )
            .returns_trigger
        );
        assert!(
            !create("CREATE FUNCTION t() RETURNS TABLE (trigger text) AS 'select 1' LANGUAGE sql")
                .returns_trigger
        );
        assert!(
            !create("CREATE FUNCTION t() RETURNS SETOF public.trigger_log AS 'select 1' LANGUAGE sql")
                .returns_trigger
        );
    }

    #[test]
    fn create_function_arguments_and_attributes() {
        let function = create(
            "CREATE OR REPLACE FUNCTION Public.\"Get\"(IN a int, b double precision DEFAULT 1, OUT c text, \
             inout d varchar(40) = 'x', VARIADIC e int[], character varying, \"Name\" timestamp with time zone, f out int8) \
             RETURNS SETOF record LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = '' AS $$ begin end $$",
        );
        assert_eq!(function.name, ObjectRef { schema: Some("public".into()), name: "Get".into() });
        assert_eq!(
            function.args,
            "integer, double precision, character varying, integer[], character varying, timestamp with time zone"
        );
        assert!(function.or_replace && !function.procedure);
        assert!(function.security_definer && function.sets_search_path);

        let procedure = create(
            "create procedure p() as $body$ select 'security definer' $body$ language sql external security invoker",
        );
        assert!(procedure.procedure && !procedure.security_definer && !procedure.sets_search_path);
        assert_eq!(procedure.args, "");

        let atomic = create(
            "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql SET search_path FROM CURRENT BEGIN ATOMIC; SELECT a; END",
        );
        assert!(atomic.sets_search_path);
        let later = create(
            "CREATE FUNCTION f() RETURNS TABLE (a int, security text) AS 'select 1' LANGUAGE sql SECURITY INVOKER SET work_mem = '1MB' SECURITY DEFINER",
        );
        assert!(later.security_definer && !later.sets_search_path);
    }

    #[test]
    fn alter_drop_and_grant_name_functions_with_or_without_arguments() {
        let reference = |name: &str, kind, args: Option<&str>| FunctionRef {
            name: ObjectRef { schema: None, name: name.into() },
            kind,
            args: args.map(String::from),
        };
        assert_eq!(
            read(
                "ALTER FUNCTION f(a int, OUT b text) SECURITY DEFINER SET search_path TO public RESET ALL OWNER TO CURRENT_USER RESTRICT"
            ),
            Some(StatementKind::AlterFunction {
                function: reference("f", RoutineKind::Function, Some("integer")),
                actions: vec![
                    AlterFunctionAction::SecurityDefiner(true),
                    AlterFunctionAction::SearchPath(true),
                    AlterFunctionAction::SearchPath(false),
                    AlterFunctionAction::OwnerTo(RoleSpec::CurrentUser),
                ],
            })
        );
        assert_eq!(
            read("alter routine f rename to g"),
            Some(StatementKind::AlterFunction {
                function: reference("f", RoutineKind::Routine, None),
                actions: vec![AlterFunctionAction::RenameTo("g".into())],
            })
        );
        assert_eq!(
            read("alter procedure p() set schema app"),
            Some(StatementKind::AlterFunction {
                function: reference("p", RoutineKind::Procedure, Some("")),
                actions: vec![AlterFunctionAction::SetSchema("app".into())],
            })
        );
        assert_eq!(
            read("DROP FUNCTION IF EXISTS f(int), g CASCADE"),
            Some(StatementKind::DropFunctions {
                functions: vec![
                    reference("f", RoutineKind::Function, Some("integer")),
                    reference("g", RoutineKind::Function, None)
                ]
            })
        );
        assert_eq!(
            read("GRANT EXECUTE ON FUNCTION f(int), g() TO authenticated, GROUP web WITH GRANT OPTION"),
            Some(StatementKind::Privileges(PrivilegeChange {
                grant: true,
                privileges: PrivilegeList { object_level: Privileges::EXECUTE, ..PrivilegeList::default() },
                target: GrantTarget::Functions(vec![
                    reference("f", RoutineKind::Function, Some("integer")),
                    reference("g", RoutineKind::Function, Some("")),
                ]),
                grantees: vec![RoleSpec::Name("authenticated".into()), RoleSpec::Name("web".into())],
            }))
        );
        assert_eq!(
            read("REVOKE ALL PRIVILEGES ON ALL ROUTINES IN SCHEMA public, app FROM PUBLIC"),
            Some(StatementKind::Privileges(PrivilegeChange {
                grant: false,
                privileges: PrivilegeList { all: true, ..PrivilegeList::default() },
                target: GrantTarget::AllFunctionsInSchemas(
                    RoutineKind::Routine,
                    vec!["public".into(), "app".into()]
                ),
                grantees: vec![RoleSpec::Public],
            }))
        );
        assert!(matches!(
            read("REVOKE GRANT OPTION FOR EXECUTE ON PROCEDURE p FROM x"),
            Some(StatementKind::Privileges(PrivilegeChange {
                privileges: PrivilegeList { all: false, .. },
                ..
            }))
        ));
    }

    #[test]
    fn other_statements_are_left_alone_and_unreadable_routines_are_other() {
        assert_eq!(read("GRANT SELECT ON t TO x"), None);
        assert_eq!(read("GRANT x TO y"), None);
        assert_eq!(read("CREATE TABLE t ()"), None);
        assert_eq!(read("ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC"), None);
        assert_eq!(read("CREATE FUNCTION"), Some(StatementKind::Other));
        assert_eq!(read("CREATE FUNCTION f RETURNS int"), Some(StatementKind::Other));
        assert_eq!(read("ALTER FUNCTION f(int RENAME TO g"), Some(StatementKind::Other));
        assert_eq!(read("GRANT EXECUTE ON FUNCTION TO x"), Some(StatementKind::Other));
    }
}
