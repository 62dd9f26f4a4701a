//! Reads a row-level security policy's `USING` / `WITH CHECK` expression, given as text:
//! whether it lets every row through, which `auth` calls PostgreSQL evaluates once per row,
//! the same expression with those calls hoisted into one-time subqueries, and which columns
//! it compares with the signed-in user.
//!
//! The text comes in two spellings, as written in a migration (`auth.uid() = owner_id`) and
//! as `pg_get_expr` prints it back (`(auth.uid() = owner_id)`, `( SELECT auth.user_id() AS
//! user_id)`); every function answers the same for both. The expression is parsed with
//! sqlparser and read by walking the tree; text it cannot parse gives no answer (`false`,
//! empty, `None`), never a panic. This module does no I/O and knows nothing of the model.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::rc::Rc;

use sqlparser::ast::{
    BinaryOperator, CastKind, DataType, Expr, Function, GroupByExpr, InTarget, ObjectNamePart, Query, Select,
    SelectItem, SetExpr, TableFactor, UnaryOperator, Value, Visit, VisitMut, Visitor, VisitorMut,
    visit_expressions,
};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

/// Whether the expression is true for every row whatever the row holds: `true`, `1 = 1`,
/// `true OR x`, `NOT false`, `TRUE::boolean`. A comparison of a column with itself is not
/// (`x = x` is NULL, so false, when `x` is NULL).
pub fn is_always_true(expr: &str) -> bool {
    facts(expr, &AuthFunctions::default()).always_true
}

/// Whether the expression is false or NULL for every row (`false`, `1 = 0`, `NULL`,
/// `x AND false`): as a policy expression it lets no row through.
pub fn is_never_true(expr: &str) -> bool {
    facts(expr, &AuthFunctions::default()).never_true
}

/// The calls that read the request's identity: Neon's and PostgreSQL's (`auth.user_id()`,
/// `auth.uid()`, `auth.session()`, `auth.jwt()`, `current_setting(…)`), and a project's own
/// helpers that take no argument and read them (`auth.org_id()`), by schema and name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthFunctions {
    helpers: Vec<(String, String)>,
}

impl AuthFunctions {
    pub fn new(mut helpers: Vec<(String, String)>) -> AuthFunctions {
        helpers.sort();
        helpers.dedup();
        AuthFunctions { helpers }
    }

    /// Whether `function` is one of these calls. An unqualified helper name is taken for
    /// the helper in `public`, the schema a migration's search path starts with.
    fn includes(&self, function: &Function) -> bool {
        let Some(parts) = name_parts(function) else {
            return false;
        };
        let parts: Vec<&str> = parts.iter().map(String::as_str).collect();
        let builtin = matches!(
            parts.as_slice(),
            ["auth", "user_id" | "uid" | "session" | "jwt"]
                | ["current_setting"]
                | ["pg_catalog", "current_setting"]
        );
        let helper = |schema: &str, name: &str| {
            self.helpers.iter().any(|(s, n)| s == schema && n == name) && no_arguments(function)
        };
        builtin
            || match parts.as_slice() {
                [schema, name] => helper(schema, name),
                [name] => helper("public", name),
                _ => false,
            }
    }
}

/// The parts of a called function's name, folded as PostgreSQL folds; `None` when one is not
/// a plain identifier.
fn name_parts(function: &Function) -> Option<Vec<String>> {
    function
        .name
        .0
        .iter()
        .map(|part| match part {
            ObjectNamePart::Identifier(ident) => Some(folded(ident)),
            ObjectNamePart::Function(_) => None,
        })
        .collect()
}

fn no_arguments(function: &Function) -> bool {
    match &function.args {
        sqlparser::ast::FunctionArguments::None => true,
        sqlparser::ast::FunctionArguments::List(list) => list.args.is_empty(),
        sqlparser::ast::FunctionArguments::Subquery(_) => false,
    }
}

/// The auth calls (see `AuthFunctions`) that PostgreSQL evaluates once per row, as text:
/// those that are not inside an uncorrelated subquery expression such as
/// `(select auth.user_id())`.
pub fn per_row_auth_calls(expr: &str, auth: &AuthFunctions) -> Vec<String> {
    facts(expr, auth).per_row_calls.clone()
}

/// The expression rewritten so that no auth call runs per row, for `ALTER POLICY`: each
/// per-row call becomes `(SELECT <call>)`, and a correlated scalar subquery without `FROM`
/// that holds one, such as drizzle's `(select auth.user_id() = user_id)`, is first
/// unwrapped to `(auth.user_id() = user_id)`. `None` when nothing needs rewriting or when
/// the rewrite would not remove every per-row call.
pub fn hoist_auth_calls(expr: &str, auth: &AuthFunctions) -> Option<String> {
    let mut tree = parse(expr)?;
    let analysis = Analysis::of(&tree, auth);
    if !analysis.calls.iter().any(|call| call.per_row) {
        return None;
    }
    let mut hoister = Hoister {
        auth,
        analysis: &analysis,
        n_calls: 0,
        n_subqueries: 0,
        pending: Vec::new(),
        failed: false,
    };
    let _ = VisitMut::visit(&mut tree, &mut hoister);
    if hoister.failed {
        return None;
    }
    let hoisted = tree.to_string();
    // The rewrite is only offered when it reads back as intended: sqlparser prints it as
    // PostgreSQL will parse it, and a call whose arguments read the row stays per row.
    let reread = parse(&hoisted)?;
    let left = Analysis::of(&reread, auth);
    (!left.calls.iter().any(|call| call.per_row)).then_some(hoisted)
}

/// The columns the expression compares with `=` (or `IN` a one-value subquery) against an
/// auth call, bare or in a scalar subquery, on either side, where every row must pass the
/// comparison (see `index_keys`): unqualified names, lower-cased unless quoted.
/// `(select auth.user_id()) = todos.user_id` gives `["user_id"]`.
pub fn auth_compared_columns(expr: &str, auth: &AuthFunctions) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for (column, _) in &facts(expr, auth).compared_columns {
        if !columns.contains(column) {
            columns.push(column.clone());
        }
    }
    columns
}

/// `auth_compared_columns` with the type each column is cast to in the comparison, as
/// `format_type` prints it: `owner::uuid = (select auth.user_id()::uuid)` gives
/// `[("owner", Some("uuid"))]`. Only an index on that cast serves such a comparison.
pub fn auth_compared_keys(expr: &str, auth: &AuthFunctions) -> Vec<(String, Option<String>)> {
    facts(expr, auth).compared_columns.clone()
}

/// The functions the expression calls, as written: `(Some(schema), name)` when qualified,
/// folded as PostgreSQL folds them. `is_member(team_id)` gives `[(None, "is_member")]`.
pub fn called_functions(expr: &str) -> Vec<(Option<String>, String)> {
    facts(expr, &AuthFunctions::default()).calls.clone()
}

/// Whether the expression cannot tell one requester from another: it parses, calls no
/// function (an auth call, or any function, which might read the token or the role), and
/// names no role keyword (`current_user`, `session_user`, `current_role`, `user`). Such a
/// policy lets a request without a token through exactly the rows it lets a signed-in one
/// through.
pub fn ignores_requester(expr: &str) -> bool {
    facts(expr, &AuthFunctions::default()).ignores_requester
}

/// Whether some branch of the expression's top-level `OR` ignores the requester (see
/// `ignores_requester`): `(select auth.user_id()) = owner OR published` lets a request
/// without a token through the published rows.
pub fn has_branch_ignoring_requester(expr: &str) -> bool {
    facts(expr, &AuthFunctions::default()).branch_ignores_requester
}

/// `ignores_requester` for a parsed expression.
fn expr_ignores_requester(expr: &Expr) -> bool {
    const ROLE_WORDS: [&str; 4] = ["current_user", "session_user", "current_role", "user"];
    let names_role = expr
        .to_string()
        .to_ascii_lowercase()
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '$'))
        .any(|word| ROLE_WORDS.contains(&word));
    function_calls(expr).is_empty() && !names_role
}

/// The branches of an expression's top-level `OR`, through parentheses.
fn or_branches(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::BinaryOp { left, op: sqlparser::ast::BinaryOperator::Or, right } => {
            let mut branches = or_branches(left);
            branches.extend(or_branches(right));
            branches
        }
        Expr::Nested(inner) => or_branches(inner),
        other => vec![other],
    }
}

/// What the rules ask of one expression, read from one parse.
#[derive(Debug, Default)]
struct Facts {
    ignores_requester: bool,
    branch_ignores_requester: bool,
    always_true: bool,
    never_true: bool,
    per_row_calls: Vec<String>,
    compared_columns: Vec<(String, Option<String>)>,
    calls: Vec<(Option<String>, String)>,
    settings_read: Vec<(String, bool)>,
}

/// Facts by auth functions, then by expression text.
type FactsCache = HashMap<Vec<(String, String)>, HashMap<String, Rc<Facts>>>;

thread_local! {
    /// Facts by expression text. Several rules ask about the same policy, and projects
    /// repeat the same few expressions across many tables: each is parsed once per run
    /// (per set of auth functions, which a run has one of).
    static FACTS: RefCell<FactsCache> = RefCell::new(HashMap::new());
}

fn facts(text: &str, auth: &AuthFunctions) -> Rc<Facts> {
    let cached = FACTS.with(|cache| {
        cache.borrow().get(auth.helpers.as_slice()).and_then(|by_text| by_text.get(text).cloned())
    });
    if let Some(found) = cached {
        return found;
    }
    let facts = Rc::new(match parse(text) {
        None => Facts::default(),
        Some(expr) => Facts {
            ignores_requester: expr_ignores_requester(&expr),
            branch_ignores_requester: or_branches(&expr).into_iter().any(expr_ignores_requester),
            always_true: constant(&expr) == Some(Constant::Bool(true)),
            never_true: matches!(constant(&expr), Some(Constant::Bool(false) | Constant::Null)),
            per_row_calls: Analysis::of(&expr, auth)
                .calls
                .into_iter()
                .filter(|call| call.per_row)
                .map(|call| call.text)
                .collect(),
            compared_columns: compared_columns(&expr, auth),
            calls: function_calls(&expr),
            settings_read: settings_read(&expr),
        },
    });
    FACTS.with(|cache| {
        cache
            .borrow_mut()
            .entry(auth.helpers.clone())
            .or_default()
            .insert(text.to_string(), Rc::clone(&facts))
    });
    facts
}

/// The settings an expression reads with `current_setting('name' [, missing_ok])`, by
/// their (case-insensitive) names, each with whether `missing_ok` may be true: given and not
/// a constant false. Names that are not constants are left out.
pub fn settings_read_by(expr: &str) -> Vec<(String, bool)> {
    facts(expr, &AuthFunctions::default()).settings_read.clone()
}

fn settings_read(expr: &Expr) -> Vec<(String, bool)> {
    // `coalesce(current_setting('app.tenant', true), <claim>)` falls back when the setting is
    // missing: those reads (by node) are no reason for a missing row.
    let mut guarded: HashSet<*const Function> = HashSet::new();
    let _ = visit_expressions(expr, |expr| {
        if let Expr::Function(function) = expr
            && function_is(function, "coalesce")
            && let sqlparser::ast::FunctionArguments::List(list) = &function.args
            && list.args.len() > 1
        {
            let _ = visit_expressions(expr, |inner| {
                if let Expr::Function(call) = inner {
                    guarded.insert(call as *const Function);
                }
                ControlFlow::<()>::Continue(())
            });
        }
        ControlFlow::<()>::Continue(())
    });
    let mut read = Vec::new();
    let _ = visit_expressions(expr, |expr| {
        if let Expr::Function(function) = expr
            && let Some(found) = setting_read(function)
            && !(found.1 && guarded.contains(&(function as *const Function)))
            && !read.contains(&found)
        {
            read.push(found);
        }
        ControlFlow::<()>::Continue(())
    });
    read
}

/// Whether `function` is the built-in `name` (`name` or `pg_catalog.name`).
fn function_is(function: &Function, name: &str) -> bool {
    match name_parts(function).as_deref() {
        Some([only]) => only == name,
        Some([schema, only]) => schema == "pg_catalog" && only == name,
        _ => false,
    }
}

fn setting_read(function: &Function) -> Option<(String, bool)> {
    if !function_is(function, "current_setting") {
        return None;
    }
    let sqlparser::ast::FunctionArguments::List(list) = &function.args else { return None };
    let argument = |at: usize| match list.args.get(at) {
        Some(sqlparser::ast::FunctionArg::Unnamed(sqlparser::ast::FunctionArgExpr::Expr(expr))) => Some(expr),
        _ => None,
    };
    let Some(Constant::Text(name)) = constant(argument(0)?) else { return None };
    let missing_ok = match list.args.len() {
        1 => false,
        _ => match argument(1).and_then(constant) {
            Some(Constant::Bool(value)) => value,
            Some(Constant::Text(text)) => {
                !matches!(text.to_ascii_lowercase().as_str(), "f" | "false" | "no" | "off" | "0")
            }
            _ => true,
        },
    };
    Some((name.to_ascii_lowercase(), missing_ok))
}

fn function_calls(expr: &Expr) -> Vec<(Option<String>, String)> {
    let mut calls = Vec::new();
    let _ = visit_expressions(expr, |expr| {
        if let Expr::Function(function) = expr {
            let parts: Vec<String> = function
                .name
                .0
                .iter()
                .filter_map(|part| match part {
                    ObjectNamePart::Identifier(ident) => Some(folded(ident)),
                    ObjectNamePart::Function(_) => None,
                })
                .collect();
            let call = match parts.as_slice() {
                [name] => Some((None, name.clone())),
                [.., schema, name] => Some((Some(schema.clone()), name.clone())),
                [] => None,
            };
            if let Some(call) = call.filter(|call| !calls.contains(call)) {
                calls.push(call);
            }
        }
        ControlFlow::<()>::Continue(())
    });
    calls
}

fn compared_columns(expr: &Expr, auth: &AuthFunctions) -> Vec<(String, Option<String>)> {
    let mut columns: Vec<(String, Option<String>)> = Vec::new();
    for column in index_keys(expr, auth).unwrap_or_default() {
        if !columns.contains(&column) {
            columns.push(column);
        }
    }
    columns
}

/// The columns (with casts) an index could narrow the table's scan by, for a policy
/// expression: a comparison with the caller's identity that every row must pass. Those of
/// each side of an `AND`; of an `OR`, only when every branch has one (a bitmap OR scan:
/// `user_id = auth.uid() OR is_admin()` reads the whole table whatever is indexed, as
/// EXPLAIN shows); through parentheses, and into a scalar subquery without `FROM` (drizzle's
/// `(select auth.user_id() = t.owner)`, indexable once NL013's rewrite hoists the call).
/// Comparisons inside other subqueries (`EXISTS (… WHERE m.user_id = auth.uid())`) are
/// about other tables and give none. `None`: nothing narrows the scan.
fn index_keys(expr: &Expr, auth: &AuthFunctions) -> Option<Vec<(String, Option<String>)>> {
    match expr {
        Expr::BinaryOp { left, op: BinaryOperator::And, right } => {
            match (index_keys(left, auth), index_keys(right, auth)) {
                (None, None) => None,
                (left, right) => Some(left.into_iter().chain(right).flatten().collect()),
            }
        }
        Expr::BinaryOp { left, op: BinaryOperator::Or, right } => {
            let mut keys = index_keys(left, auth)?;
            keys.extend(index_keys(right, auth)?);
            Some(keys)
        }
        Expr::Nested(inner) => index_keys(inner, auth),
        Expr::Subquery(query) => plain_projection(query).and_then(|inner| index_keys(inner, auth)),
        Expr::BinaryOp { left, op: BinaryOperator::Eq, right } if is_auth_value(left, auth) => {
            column_of(right).map(|column| vec![column])
        }
        Expr::BinaryOp { left, op: BinaryOperator::Eq, right } if is_auth_value(right, auth) => {
            column_of(left).map(|column| vec![column])
        }
        Expr::In { expr, target: InTarget::Subquery(subquery), negated: false, .. } => {
            plain_projection(subquery)
                .filter(|value| is_auth_value(value, auth))
                .and_then(|_| column_of(expr))
                .map(|column| vec![column])
        }
        Expr::In { expr, target: InTarget::List(list), negated: false, .. }
            if !list.is_empty() && list.iter().all(|value| is_auth_value(value, auth)) =>
        {
            column_of(expr).map(|column| vec![column])
        }
        _ => None,
    }
}

/// Parses one whole expression; `None` when sqlparser rejects it or text follows it.
fn parse(text: &str) -> Option<Expr> {
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(text).ok()?;
    let expr = parser.parse_expr().ok()?;
    (parser.peek_token().token == Token::EOF).then_some(expr)
}

/// An identifier as PostgreSQL folds it: unquoted names are lower-cased (ASCII only, as
/// `downcase_identifier` does in a UTF-8 database), quoted names keep their case.
fn folded(ident: &sqlparser::ast::Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_ascii_lowercase(),
    }
}

/// Whether `expr` is the signed-in user's identity: an auth call, maybe cast, maybe a JSON
/// field of it (`auth.jwt() ->> 'sub'`), maybe in a plain scalar subquery.
fn is_auth_value(expr: &Expr, auth: &AuthFunctions) -> bool {
    match expr {
        Expr::Function(function) => auth.includes(function),
        Expr::Nested(inner) | Expr::Cast { expr: inner, .. } => is_auth_value(inner, auth),
        Expr::BinaryOp { left, op: BinaryOperator::Arrow | BinaryOperator::LongArrow, .. } => {
            is_auth_value(left, auth)
        }
        Expr::Subquery(query) => plain_projection(query).is_some_and(|value| is_auth_value(value, auth)),
        _ => false,
    }
}

/// The column a side of a comparison names, without its table, folded, with the type it is
/// cast to (`None`: compared as it is). A cast of a cast has no index to match: `None`.
fn column_of(expr: &Expr) -> Option<(String, Option<String>)> {
    match expr {
        Expr::Identifier(ident) => Some((folded(ident), None)),
        Expr::CompoundIdentifier(parts) => parts.last().map(|part| (folded(part), None)),
        Expr::Nested(inner) => column_of(inner),
        Expr::Cast { kind: CastKind::Cast | CastKind::DoubleColon, expr: inner, data_type, format: None } => {
            let (column, cast) = column_of(inner)?;
            if cast.is_some() {
                return None;
            }
            let type_name = crate::sql::normalise_type(&data_type.to_string())?;
            Some((column, Some(type_name)))
        }
        _ => None,
    }
}

/// The one expression of `SELECT <expr> [AS name]` with nothing else: no `FROM`, `WHERE`,
/// grouping, ordering, limit, `DISTINCT`, `WITH` or locking. Such a subquery returns
/// exactly one row holding `<expr>`, so `(SELECT <expr>)` and `(<expr>)` are the same value.
fn plain_projection(query: &Query) -> Option<&Expr> {
    let plain_query = query.with.is_none()
        && query.order_by.is_none()
        && query.limit_clause.is_none()
        && query.fetch.is_none()
        && query.locks.is_empty()
        && query.pipe_operators.is_empty();
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    if !plain_query || !plain_select(select) {
        return None;
    }
    match select.projection.as_slice() {
        [SelectItem::UnnamedExpr(expr)] | [SelectItem::ExprWithAlias { expr, .. }] => Some(expr),
        _ => None,
    }
}

fn plain_select(select: &Select) -> bool {
    let no_grouping = match &select.group_by {
        GroupByExpr::Expressions(expressions, modifiers) => expressions.is_empty() && modifiers.is_empty(),
        GroupByExpr::All(_) => false,
    };
    select.from.is_empty()
        && select.selection.is_none()
        && no_grouping
        && select.having.is_none()
        && select.distinct.is_none()
        && select.into.is_none()
        && select.named_window.is_empty()
        && select.qualify.is_none()
        && select.top.is_none()
}

/// A value the expression has whatever the row: PostgreSQL's three-valued booleans, and
/// the literals that comparisons between constants need.
#[derive(Clone, Debug, PartialEq)]
enum Constant {
    Bool(bool),
    Null,
    Number(f64),
    Text(String),
}

/// The expression's value when it does not depend on the row; `None` when it does or when
/// it is beyond this small evaluator (which then never calls it always true).
fn constant(expr: &Expr) -> Option<Constant> {
    match expr {
        Expr::Value(value) => literal(&value.value),
        Expr::Nested(inner) => constant(inner),
        Expr::Subquery(query) => plain_projection(query).and_then(constant),
        Expr::Cast { kind: CastKind::Cast | CastKind::DoubleColon, expr, data_type, format: None } => {
            cast(constant(expr)?, data_type)
        }
        Expr::UnaryOp { op: UnaryOperator::Not, expr } => match constant(expr)? {
            Constant::Bool(value) => Some(Constant::Bool(!value)),
            Constant::Null => Some(Constant::Null),
            _ => None,
        },
        Expr::BinaryOp { left, op: BinaryOperator::Or, right } => or(constant(left), constant(right)),
        Expr::BinaryOp { left, op: BinaryOperator::And, right } => and(constant(left), constant(right)),
        Expr::BinaryOp { left, op, right } => compare(&constant(left)?, op, &constant(right)?),
        Expr::IsTrue(inner) => Some(Constant::Bool(constant(inner)? == Constant::Bool(true))),
        Expr::IsNotTrue(inner) => Some(Constant::Bool(constant(inner)? != Constant::Bool(true))),
        Expr::IsFalse(inner) => Some(Constant::Bool(constant(inner)? == Constant::Bool(false))),
        Expr::IsNotFalse(inner) => Some(Constant::Bool(constant(inner)? != Constant::Bool(false))),
        Expr::IsNull(inner) => Some(Constant::Bool(constant(inner)? == Constant::Null)),
        Expr::IsNotNull(inner) => Some(Constant::Bool(constant(inner)? != Constant::Null)),
        _ => None,
    }
}

fn literal(value: &Value) -> Option<Constant> {
    match value {
        Value::Boolean(value) => Some(Constant::Bool(*value)),
        Value::Null => Some(Constant::Null),
        Value::Number(number, _) => number.parse().ok().map(Constant::Number),
        Value::SingleQuotedString(text) | Value::EscapedStringLiteral(text) => {
            Some(Constant::Text(text.clone()))
        }
        _ => None,
    }
}

/// `value::data_type` for the types a constant condition is written with.
fn cast(value: Constant, data_type: &DataType) -> Option<Constant> {
    let boolean = matches!(data_type, DataType::Bool | DataType::Boolean);
    let text = matches!(
        data_type,
        DataType::Text | DataType::Varchar(_) | DataType::CharacterVarying(_) | DataType::String(_)
    );
    let number = matches!(
        data_type,
        DataType::Int(_)
            | DataType::Integer(_)
            | DataType::Int2(_)
            | DataType::Int4(_)
            | DataType::Int8(_)
            | DataType::SmallInt(_)
            | DataType::BigInt(_)
            | DataType::Numeric(_)
            | DataType::Decimal(_)
    );
    match value {
        Constant::Null => Some(Constant::Null),
        Constant::Bool(_) if boolean => Some(value),
        Constant::Number(_) if number => Some(value),
        Constant::Text(text_value) if text => Some(Constant::Text(text_value)),
        Constant::Text(text_value) if number => text_value.trim().parse().ok().map(Constant::Number),
        // The spellings `boolin` accepts, unambiguous prefixes included.
        Constant::Text(text_value) if boolean => {
            let word = text_value.trim().to_ascii_lowercase();
            let is = |full: &str| !word.is_empty() && full.starts_with(word.as_str());
            if is("true") || is("yes") || word == "on" || word == "1" {
                Some(Constant::Bool(true))
            } else if is("false") || is("no") || word == "off" || word == "0" {
                Some(Constant::Bool(false))
            } else {
                None
            }
        }
        _ => None,
    }
}

/// SQL's `OR`: true if either side is, even when the other depends on the row.
fn or(left: Option<Constant>, right: Option<Constant>) -> Option<Constant> {
    let truth = Some(Constant::Bool(true));
    if left == truth || right == truth {
        return truth;
    }
    match (left?, right?) {
        (Constant::Bool(false), Constant::Bool(false)) => Some(Constant::Bool(false)),
        (Constant::Bool(false) | Constant::Null, Constant::Bool(false) | Constant::Null) => {
            Some(Constant::Null)
        }
        _ => None,
    }
}

/// SQL's `AND`: false if either side is, even when the other depends on the row.
fn and(left: Option<Constant>, right: Option<Constant>) -> Option<Constant> {
    let falsity = Some(Constant::Bool(false));
    if left == falsity || right == falsity {
        return falsity;
    }
    match (left?, right?) {
        (Constant::Bool(true), Constant::Bool(true)) => Some(Constant::Bool(true)),
        (Constant::Bool(true) | Constant::Null, Constant::Bool(true) | Constant::Null) => {
            Some(Constant::Null)
        }
        _ => None,
    }
}

/// A comparison of two constants of one kind; NULL when either is NULL.
fn compare(left: &Constant, op: &BinaryOperator, right: &Constant) -> Option<Constant> {
    use std::cmp::Ordering;
    let ordering = match (left, right) {
        (Constant::Null, _) | (_, Constant::Null) => return Some(Constant::Null),
        (Constant::Bool(left), Constant::Bool(right)) => left.cmp(right),
        (Constant::Number(left), Constant::Number(right)) => left.partial_cmp(right)?,
        (Constant::Text(left), Constant::Text(right)) => {
            // Only equality: the order of text depends on the collation.
            match op {
                BinaryOperator::Eq => return Some(Constant::Bool(left == right)),
                BinaryOperator::NotEq => return Some(Constant::Bool(left != right)),
                _ => return None,
            }
        }
        _ => return None,
    };
    let value = match op {
        BinaryOperator::Eq => ordering == Ordering::Equal,
        BinaryOperator::NotEq => ordering != Ordering::Equal,
        BinaryOperator::Lt => ordering == Ordering::Less,
        BinaryOperator::LtEq => ordering != Ordering::Greater,
        BinaryOperator::Gt => ordering == Ordering::Greater,
        BinaryOperator::GtEq => ordering != Ordering::Less,
        _ => return None,
    };
    Some(Constant::Bool(value))
}

/// What one walk of the expression found: the auth calls and the scalar subqueries, each
/// in the order the visitor first meets them (so a second walk can find them again).
struct Analysis {
    calls: Vec<Call>,
    subqueries: Vec<ScalarSubquery>,
}

struct Call {
    text: String,
    per_row: bool,
}

struct ScalarSubquery {
    /// Holds a per-row call and is a plain `SELECT <expr>` that can be replaced by
    /// `(<expr>)`: no `FROM` and no function call but auth calls in `<expr>`, so no
    /// aggregate or set-returning function changes meaning when it moves out.
    unwrap: bool,
}

/// A query level of the expression. Level 0 is the policy's own row; every `Query` in the
/// tree opens one. A column reference belongs to the innermost level that can own it.
struct Level {
    /// The names its `FROM` clause brings into scope (aliases, else table names), folded.
    names: Vec<String>,
    /// Whether it has a `FROM` clause: unqualified columns inside are taken to be its own.
    has_from: bool,
    /// A `FROM` item whose name this module cannot tell: any qualifier may be its own.
    opaque: bool,
    /// A subquery expression (scalar, `EXISTS`, `IN`), which PostgreSQL plans as a
    /// sub-plan; when uncorrelated it is an init plan and runs once. Derived tables and
    /// CTEs are not: the planner pulls them up into the query around them.
    sublink: bool,
    /// Some column reference inside it belongs to a level outside it (correlated).
    correlated: bool,
}

struct Walker<'a> {
    auth: &'a AuthFunctions,
    levels: Vec<Level>,
    open: Vec<usize>,
    /// The subquery expressions met but not yet entered, by the address of their `Query`.
    sublinks: HashMap<*const Query, Option<usize>>,
    calls: Vec<(String, Vec<usize>)>,
    /// Per scalar subquery: its `Query`'s address and whether it could be unwrapped.
    subqueries: Vec<(*const Query, bool)>,
    /// The subqueries of `= ANY (SELECT …)` and `< ALL (SELECT …)`: they yield a set of
    /// rows, not a value, so `(SELECT <expr>)` cannot become `(<expr>)` there.
    row_sets: HashSet<*const Query>,
}

impl Analysis {
    fn of(expr: &Expr, auth: &AuthFunctions) -> Analysis {
        let root =
            Level { names: Vec::new(), has_from: false, opaque: false, sublink: false, correlated: false };
        let mut walker = Walker {
            auth,
            levels: vec![root],
            open: vec![0],
            sublinks: HashMap::new(),
            calls: Vec::new(),
            subqueries: Vec::new(),
            row_sets: HashSet::new(),
        };
        let _ = Visit::visit(expr, &mut walker);
        let once = |level: &usize| walker.levels[*level].sublink && !walker.levels[*level].correlated;
        let calls: Vec<Call> = walker
            .calls
            .iter()
            .map(|(text, open)| Call { text: text.clone(), per_row: !open.iter().any(once) })
            .collect();
        let subqueries = walker
            .subqueries
            .iter()
            .map(|(query, unwrappable)| {
                let level = walker.sublinks.get(query).copied().flatten();
                let holds_per_row_call = level.is_some_and(|level| {
                    walker
                        .calls
                        .iter()
                        .zip(&calls)
                        .any(|((_, open), call)| call.per_row && open.contains(&level))
                });
                ScalarSubquery { unwrap: *unwrappable && holds_per_row_call }
            })
            .collect();
        Analysis { calls, subqueries }
    }
}

impl Walker<'_> {
    /// Marks every open level inside the one that owns a column reference as correlated.
    fn reference(&mut self, qualifier: Option<String>) {
        let owner = self.open.iter().rposition(|level| {
            let level = &self.levels[*level];
            match &qualifier {
                Some(qualifier) => level.opaque || level.names.contains(qualifier),
                None => level.has_from,
            }
        });
        // Nothing inside claims it: it is a column of the policy's row.
        let owner = owner.unwrap_or(0);
        for level in &self.open[owner + 1..] {
            self.levels[*level].correlated = true;
        }
    }
}

impl Visitor for Walker<'_> {
    type Break = ();

    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        let mut level =
            Level { names: Vec::new(), has_from: false, opaque: false, sublink: false, correlated: false };
        from_names(&query.body, &mut level);
        let id = self.levels.len();
        if let Some(entry) = self.sublinks.get_mut(&(query as *const Query)) {
            level.sublink = true;
            *entry = Some(id);
        }
        self.levels.push(level);
        self.open.push(id);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _query: &Query) -> ControlFlow<()> {
        self.open.pop();
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::Function(function) if self.auth.includes(function) => {
                self.calls.push((expr.to_string(), self.open.clone()));
            }
            Expr::Identifier(_) => self.reference(None),
            Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                self.reference(Some(folded(&parts[parts.len() - 2])));
            }
            Expr::Subquery(query) => {
                let address = query.as_ref() as *const Query;
                let unwrappable = !self.row_sets.contains(&address)
                    && plain_projection(query).is_some_and(|value| only_auth_functions(value, self.auth));
                self.sublinks.insert(address, None);
                self.subqueries.push((address, unwrappable));
            }
            Expr::AnyOp { right, .. } | Expr::AllOp { right, .. } => {
                if let Expr::Subquery(query) = right.as_ref() {
                    self.row_sets.insert(query.as_ref() as *const Query);
                }
            }
            Expr::Exists { subquery, .. } | Expr::In { target: InTarget::Subquery(subquery), .. } => {
                self.sublinks.insert(subquery.as_ref() as *const Query, None);
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

/// Whether every function `expr` calls is an auth call, so moving it out of a one-row
/// `SELECT` cannot change what it means.
fn only_auth_functions(expr: &Expr, auth: &AuthFunctions) -> bool {
    visit_expressions(expr, |expr| match expr {
        Expr::Function(function) if !auth.includes(function) => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    })
    .is_continue()
}

/// Fills `level` with the names the `FROM` clauses of `body` bring into scope.
fn from_names(body: &SetExpr, level: &mut Level) {
    match body {
        SetExpr::Select(select) => {
            for table in &select.from {
                level.has_from = true;
                factor_names(&table.relation, level);
                for join in &table.joins {
                    factor_names(&join.relation, level);
                }
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            from_names(left, level);
            from_names(right, level);
        }
        // A parenthesised query is a level of its own; VALUES names nothing.
        SetExpr::Query(_) | SetExpr::Values(_) => {}
        _ => level.opaque = true,
    }
}

fn factor_names(factor: &TableFactor, level: &mut Level) {
    let (alias, name) = match factor {
        TableFactor::Table { name, alias, .. } | TableFactor::Function { name, alias, .. } => {
            let last = name.0.last().and_then(|part| part.as_ident()).map(folded);
            (alias, last)
        }
        TableFactor::Derived { alias, .. } | TableFactor::TableFunction { alias, .. } => (alias, None),
        TableFactor::UNNEST { alias, .. } => (alias, Some("unnest".to_string())),
        TableFactor::NestedJoin { table_with_joins, alias } => {
            factor_names(&table_with_joins.relation, level);
            for join in &table_with_joins.joins {
                factor_names(&join.relation, level);
            }
            (alias, None)
        }
        _ => {
            level.opaque = true;
            return;
        }
    };
    match (alias, name) {
        (Some(alias), _) => level.names.push(folded(&alias.name)),
        (None, Some(name)) => level.names.push(name),
        // A derived table without an alias (PostgreSQL 16) cannot be named.
        (None, None) => {}
    }
}

/// The second walk: meets the calls and scalar subqueries in the same order as `Walker`
/// and rewrites them on the way out, once everything inside them has been rewritten.
struct Hoister<'a> {
    auth: &'a AuthFunctions,
    analysis: &'a Analysis,
    n_calls: usize,
    n_subqueries: usize,
    /// For each open expression, what to do with it when the walk leaves it.
    pending: Vec<Rewrite>,
    failed: bool,
}

enum Rewrite {
    Nothing,
    Wrap,
    Unwrap,
}

impl VisitorMut for Hoister<'_> {
    type Break = ();

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        let rewrite = match expr {
            Expr::Function(function) if self.auth.includes(function) => {
                let call = &self.analysis.calls[self.n_calls];
                self.n_calls += 1;
                if call.per_row { Rewrite::Wrap } else { Rewrite::Nothing }
            }
            Expr::Subquery(_) => {
                let subquery = &self.analysis.subqueries[self.n_subqueries];
                self.n_subqueries += 1;
                if subquery.unwrap { Rewrite::Unwrap } else { Rewrite::Nothing }
            }
            _ => Rewrite::Nothing,
        };
        self.pending.push(rewrite);
        ControlFlow::Continue(())
    }

    fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match self.pending.pop() {
            Some(Rewrite::Wrap) => match parse(&format!("(SELECT {expr})")) {
                Some(wrapped) => *expr = wrapped,
                None => self.failed = true,
            },
            Some(Rewrite::Unwrap) => {
                let Expr::Subquery(query) = expr else {
                    self.failed = true;
                    return ControlFlow::Continue(());
                };
                match plain_projection(query) {
                    Some(inner) => *expr = Expr::Nested(Box::new(inner.clone())),
                    None => self.failed = true,
                }
            }
            Some(Rewrite::Nothing) | None => {}
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_requester_only_without_calls_or_role_words() {
        for expr in ["true", "published", "status = 'public'", "(published AND NOT archived)"] {
            assert!(ignores_requester(expr), "{expr}");
        }
        for expr in [
            "user_id = (select auth.user_id())",
            "owner = current_user",
            "owner = CURRENT_USER",
            "owner = session_user",
            "owner = user",
            "is_member(team_id)",
            "created_at > now() - interval '1 day'",
            "EXISTS (SELECT 1 FROM members m WHERE m.uid = auth.uid())",
            "not an expression (",
        ] {
            assert!(!ignores_requester(expr), "{expr}");
        }
        assert!(has_branch_ignoring_requester("(select auth.user_id()) = owner OR (published)"));
        assert!(has_branch_ignoring_requester("((a = current_user) OR (b OR c > 0))"));
        assert!(!has_branch_ignoring_requester("(select auth.user_id()) = owner OR is_admin()"));
        assert!(!has_branch_ignoring_requester("(select auth.user_id()) = owner AND published"));
    }

    #[test]
    fn always_true() {
        let yes = [
            "true",
            "(true)",
            "((TRUE))",
            "1 = 1",
            "(1 = 1)",
            "1 = 1.0",
            "'a' = 'a'",
            "('a'::text = 'a'::text)",
            "true OR x",
            "x OR true",
            "(auth.user_id() = user_id) OR true",
            "true AND true",
            "NOT false",
            "(NOT false)",
            "TRUE::boolean",
            "'t'::boolean",
            "CAST('yes' AS boolean)",
            "( SELECT true)",
            "(select true)",
            "NULL IS NULL",
            "1 < 2",
        ];
        for expr in yes {
            assert!(is_always_true(expr), "{expr} is true for every row");
        }
        let no = [
            "false",
            "x = x",
            "user_id = user_id",
            "auth.user_id() IS NOT NULL",
            "auth.user_id() = user_id",
            "true AND x",
            "NOT true",
            "NULL",
            "NULL = NULL",
            "1 = 2",
            "'a' = 'b'",
            "'a' < 'b'",
            "x",
            "(select true from t)",
            "(select true where x)",
            "",
            "true; DROP TABLE t",
            "((",
        ];
        for expr in no {
            assert!(!is_always_true(expr), "{expr} is not true for every row");
        }
    }

    /// Each case in the spelling of a migration and as `pg_get_expr` prints it back.
    const PER_ROW: &[(&str, &[&str])] = &[
        ("auth.user_id() = user_id", &["auth.user_id()"]),
        ("(auth.user_id() = user_id)", &["auth.user_id()"]),
        ("auth.uid() = owner_id", &["auth.uid()"]),
        ("AUTH.UID() = owner_id", &["AUTH.UID()"]),
        ("auth.\"user_id\"() = owner_id", &["auth.\"user_id\"()"]),
        ("(auth.jwt() ->> 'sub') = owner_id", &["auth.jwt()"]),
        ("auth.session() IS NOT NULL", &["auth.session()"]),
        (
            "current_setting('request.jwt.claims', true)::json ->> 'sub' = user_id",
            &["current_setting('request.jwt.claims', true)"],
        ),
        (
            "(((current_setting('request.jwt.claims'::text, true))::json ->> 'sub'::text) = user_id)",
            &["current_setting('request.jwt.claims'::TEXT, true)"],
        ),
        ("pg_catalog.current_setting('app.user') = owner", &["pg_catalog.current_setting('app.user')"]),
        // drizzle's spelling: the subquery reads the row, so it runs per row.
        ("(select auth.user_id() = user_id)", &["auth.user_id()"]),
        ("(select auth.user_id() = \"todos\".\"user_id\")", &["auth.user_id()"]),
        ("( SELECT (auth.user_id() = todos.user_id))", &["auth.user_id()"]),
        // Two calls, one hoisted and one not.
        ("(select auth.uid()) = owner_id OR auth.jwt() ->> 'role' = 'admin'", &["auth.jwt()"]),
        // A correlated EXISTS: the call sits in a sub-plan that is run again for each row.
        (
            "EXISTS (SELECT 1 FROM members m WHERE m.team_id = todos.team_id AND m.user_id = auth.user_id())",
            &["auth.user_id()"],
        ),
        // A derived table is pulled up into the query around it, so it is no shelter.
        ("(select u from (select auth.uid() as u) d where d.u = t.owner)", &["auth.uid()"]),
    ];

    const ONCE: &[&str] = &[
        "(select auth.user_id()) = user_id",
        "(( SELECT auth.user_id() AS user_id) = user_id)",
        "(SELECT auth.user_id() AS user_id) = user_id",
        "user_id = (select auth.jwt() ->> 'sub')",
        "(select auth.jwt()) ->> 'sub' = user_id",
        "(SELECT current_setting('request.jwt.claims', true))::json ->> 'sub' = user_id",
        "(select (select auth.user_id()) = user_id)",
        "user_id IN (select auth.user_id())",
        "(user_id IN ( SELECT auth.user_id() AS user_id))",
        "EXISTS (SELECT 1 FROM members m WHERE m.user_id = auth.user_id())",
        // Unqualified columns in a subquery with FROM are taken to be its own: when unsure,
        // do not flag.
        "EXISTS (SELECT 1 FROM members WHERE user_id = auth.user_id())",
        "(EXISTS ( SELECT 1 FROM members m WHERE ((m.team_id = todos.team_id) AND \
         (m.user_id = ( SELECT auth.user_id() AS user_id)))))",
        "true",
        "owner_id = current_user",
        "lower(user_id) = 'x'",
        "auth.other() = user_id",
        "not sql at all (",
        "",
    ];

    #[test]
    fn per_row_calls() {
        for (expr, calls) in PER_ROW {
            assert_eq!(
                per_row_auth_calls(expr, &AuthFunctions::default()),
                *calls,
                "per-row calls in {expr}"
            );
        }
        for expr in ONCE {
            assert_eq!(
                per_row_auth_calls(expr, &AuthFunctions::default()),
                Vec::<String>::new(),
                "{expr} has no per-row call"
            );
        }
    }

    #[test]
    fn hoisted() {
        let cases = [
            ("auth.user_id() = user_id", "(SELECT auth.user_id()) = user_id"),
            ("(auth.user_id() = user_id)", "((SELECT auth.user_id()) = user_id)"),
            ("(select auth.user_id() = user_id)", "((SELECT auth.user_id()) = user_id)"),
            (
                "(select auth.user_id() = \"todos\".\"user_id\")",
                "((SELECT auth.user_id()) = \"todos\".\"user_id\")",
            ),
            ("( SELECT (auth.user_id() = todos.user_id))", "(((SELECT auth.user_id()) = todos.user_id))"),
            (
                "current_setting('request.jwt.claims', true)::json ->> 'sub' = user_id",
                "(SELECT current_setting('request.jwt.claims', true))::JSON ->> 'sub' = user_id",
            ),
            (
                "(((current_setting('request.jwt.claims'::text, true))::json ->> 'sub'::text) = user_id)",
                "((((SELECT current_setting('request.jwt.claims'::TEXT, true)))::JSON ->> 'sub'::TEXT) = user_id)",
            ),
            (
                "(select auth.uid()) = owner_id OR auth.jwt() ->> 'role' = 'admin'",
                "(SELECT auth.uid()) = owner_id OR (SELECT auth.jwt()) ->> 'role' = 'admin'",
            ),
            // A subquery that is not a plain `SELECT <expr>` keeps its shape.
            ("(select auth.uid() = owner where true)", "(SELECT (SELECT auth.uid()) = owner WHERE true)"),
            ("(select auth.uid() = lower(owner))", "(SELECT (SELECT auth.uid()) = lower(owner))"),
            // The subquery of `= ANY` is a set of rows: unwrapped it would be an array.
            (
                "owner = ANY (select auth.uid() || t.suffix)",
                "owner = ANY(SELECT (SELECT auth.uid()) || t.suffix)",
            ),
            (
                "EXISTS (SELECT 1 FROM members m WHERE m.team_id = todos.team_id AND m.user_id = auth.user_id())",
                "EXISTS (SELECT 1 FROM members m WHERE m.team_id = todos.team_id AND m.user_id = (SELECT auth.user_id()))",
            ),
        ];
        for (expr, expected) in cases {
            let hoisted = hoist_auth_calls(expr, &AuthFunctions::default());
            assert_eq!(hoisted.as_deref(), Some(expected), "hoisting {expr}");
            assert_eq!(
                per_row_auth_calls(expected, &AuthFunctions::default()),
                Vec::<String>::new(),
                "{expected} still has per-row calls"
            );
            assert_eq!(
                hoist_auth_calls(expected, &AuthFunctions::default()),
                None,
                "{expected} is already hoisted"
            );
        }
        for expr in ONCE {
            assert_eq!(hoist_auth_calls(expr, &AuthFunctions::default()), None, "{expr} needs no rewrite");
        }
        // A call that reads the row cannot move out of it: no rewrite is offered.
        assert_eq!(
            hoist_auth_calls("current_setting('app.' || tenant) = owner", &AuthFunctions::default()),
            None
        );
    }

    #[test]
    fn compared_columns() {
        let cases: &[(&str, &[&str])] = &[
            ("(select auth.user_id()) = user_id", &["user_id"]),
            ("(( SELECT auth.user_id() AS user_id) = user_id)", &["user_id"]),
            ("auth.uid() = \"todos\".\"Owner\"", &["Owner"]),
            ("(auth.uid() = todos.\"Owner\")", &["Owner"]),
            ("Owner_ID = auth.uid()", &["owner_id"]),
            ("(select auth.user_id() = \"todos\".\"user_id\")", &["user_id"]),
            ("( SELECT (auth.user_id() = todos.user_id))", &["user_id"]),
            ("(auth.jwt() ->> 'sub') = owner", &["owner"]),
            ("user_id::text = (select auth.user_id())", &["user_id"]),
            ("user_id IN (select auth.user_id())", &["user_id"]),
            ("(user_id IN ( SELECT auth.user_id() AS user_id))", &["user_id"]),
            (
                "author = auth.uid() OR editor = (select auth.uid()) OR author = auth.uid()",
                &["author", "editor"],
            ),
            ("current_setting('app.tenant') = tenant_id AND auth.uid() = owner", &["tenant_id", "owner"]),
            // Issue 9 (second re-judge): a branch of an OR that no key narrows makes the
            // scan read the whole table whatever is indexed; a comparison inside EXISTS is
            // about another table.
            ("is_service_role() OR user_id = auth.uid() OR can_manage(gym_id, auth.uid())", &[]),
            ("(user_id = auth.uid() AND active) OR (editor = auth.uid())", &["user_id", "editor"]),
            ("EXISTS (SELECT 1 FROM lists l WHERE l.id = list_id AND l.user_id = (select auth.uid()))", &[]),
            ("team_id = 3 AND (select auth.uid()) = user_id", &["user_id"]),
            ("user_id <> auth.uid()", &[]),
            ("user_id NOT IN (select auth.uid())", &[]),
            ("user_id = lower(auth.uid())", &[]),
            ("user_id IN (select auth.uid() from t)", &[]),
            ("user_id = owner", &[]),
            ("true", &[]),
            ("not sql (", &[]),
        ];
        for (expr, columns) in cases {
            assert_eq!(
                auth_compared_columns(expr, &AuthFunctions::default()),
                *columns,
                "columns compared with the user in {expr}"
            );
        }
    }
}
