//! Replays functions and procedures: creation with the owner and the privileges
//! PostgreSQL gives a new routine (`PUBLIC` may execute it unless default privileges say
//! otherwise), `CREATE OR REPLACE`, `ALTER`, `DROP`, and grants on them.
//!
//! A routine is found by schema, name and argument types, with the argument types
//! finished here: the parser leaves types named without a schema for the search path
//! to place. Statements that would fail on a real server (naming a procedure as a
//! function, a name without arguments that is not unique) change nothing.

use super::{Pending, Replay, Touched, apply, object_privileges};
use crate::model::{
    Acl, DefaultAcl, DefaultAclKey, DefaultObjectType, Function, FunctionKey, Grantee, Privileges, RoleName,
    Span,
};
use crate::sql::{
    AlterFunctionAction, ArgType, CreateFunction, FunctionRef, GrantTarget, ObjectRef, PrivilegeChange,
    RoutineKind, StatementKind, arg_types, normalise_type, quote_ident,
};

/// What a default-privileges entry starts from the first time a statement changes it:
/// PostgreSQL copies the built-in default into a new global entry, so revoking from it
/// takes away what every new function would have had. Only `PUBLIC`'s EXECUTE on
/// functions is built in beyond the owner's privileges (the model leaves the owner out).
/// A per-schema entry starts empty and can only add: a revoke there changes nothing.
pub(super) fn new_default_acl(key: &DefaultAclKey) -> DefaultAcl {
    let mut entry = DefaultAcl::default();
    if key.schema.is_none() && key.object_type == DefaultObjectType::Functions {
        entry.acl = built_in_function_acl();
    }
    entry
}

/// A routine's ACL when no default privileges apply: `PUBLIC` may execute it.
fn built_in_function_acl() -> Acl {
    let mut acl = Acl::default();
    acl.grant(Grantee::Public, Privileges::EXECUTE);
    acl
}

/// Follows the renames made after a touch was recorded, to the routine's final key.
pub(super) fn final_key(
    moves: &[(FunctionKey, FunctionKey)],
    mut key: FunctionKey,
    from: usize,
) -> FunctionKey {
    for (old, new) in moves.iter().skip(from) {
        if *old == key {
            key = new.clone();
        }
    }
    key
}

impl Replay {
    pub(super) fn create_function(&mut self, create: &CreateFunction, span: Span) {
        let Some(schema) = self.target_schema(&create.name) else { return };
        let key =
            FunctionKey { schema, name: create.name.name.clone(), args: self.function_args(&create.args) };
        if let Some(existing) = self.catalog.functions.get_mut(&key) {
            // `CREATE OR REPLACE` keeps the owner and the grants and takes every
            // attribute from the new statement; it cannot turn a function into a
            // procedure. A plain `CREATE` of an existing routine fails.
            if create.or_replace && existing.procedure == create.procedure {
                existing.security_definer = create.security_definer;
                existing.sets_search_path = create.sets_search_path;
                existing.body = create.body.clone();
            }
            return;
        }
        let owner = self.current_role.clone();
        let acl = self.new_function_acl(&owner, &key.schema);
        let function = Function {
            key: key.clone(),
            procedure: create.procedure,
            owner,
            acl,
            security_definer: create.security_definer,
            sets_search_path: create.sets_search_path,
            trigger: create.returns_trigger,
            body: create.body.clone(),
            origin: Some(span),
        };
        self.catalog.functions.insert(key, function);
    }

    /// The privileges a new routine of `owner` in `schema` gets: the owner's global
    /// default-privileges entry (or the built-in default without one), plus the
    /// schema's entry. Procedures follow the same entries as functions.
    fn new_function_acl(&self, owner: &RoleName, schema: &str) -> Acl {
        let key = |schema: Option<&str>| DefaultAclKey {
            role: owner.clone(),
            schema: schema.map(str::to_string),
            object_type: DefaultObjectType::Functions,
        };
        let mut acl = match self.catalog.default_acls.get(&key(None)) {
            Some(entry) => entry.acl.clone(),
            None => built_in_function_acl(),
        };
        if let Some(entry) = self.catalog.default_acls.get(&key(Some(schema))) {
            for (grantee, privileges) in entry.acl.iter() {
                acl.grant(grantee.clone(), privileges);
            }
        }
        acl
    }

    pub(super) fn alter_function(&mut self, reference: &FunctionRef, actions: &[AlterFunctionAction]) {
        let Some(mut key) = self.resolve_function(reference) else { return };
        for action in actions {
            match action {
                AlterFunctionAction::RenameTo(name) => {
                    let new_key = FunctionKey { name: name.clone(), ..key.clone() };
                    if self.move_function(&key, new_key.clone()) {
                        key = new_key;
                    }
                }
                AlterFunctionAction::SetSchema(schema) => {
                    if self
                        .target_schema(&ObjectRef { schema: Some(schema.clone()), name: key.name.clone() })
                        .is_none()
                    {
                        return;
                    }
                    let new_key = FunctionKey { schema: schema.clone(), ..key.clone() };
                    if self.move_function(&key, new_key.clone()) {
                        key = new_key;
                    }
                }
                AlterFunctionAction::OwnerTo(owner) => {
                    let owner = self.role(owner);
                    if let Some(function) = self.catalog.functions.get_mut(&key) {
                        function.owner = owner;
                    }
                }
                AlterFunctionAction::SecurityDefiner(definer) => {
                    if let Some(function) = self.catalog.functions.get_mut(&key) {
                        function.security_definer = *definer;
                    }
                }
                AlterFunctionAction::SearchPath(sets) => {
                    if let Some(function) = self.catalog.functions.get_mut(&key) {
                        function.sets_search_path = *sets;
                    }
                }
            }
        }
    }

    /// Drops the routines named. A name that matches nothing is skipped (as with `IF
    /// EXISTS`); one that is not unique or names the wrong kind fails the whole statement.
    pub(super) fn drop_functions(&mut self, references: &[FunctionRef]) {
        let Ok(keys) =
            references.iter().map(|reference| self.lookup_function(reference)).collect::<Result<Vec<_>, _>>()
        else {
            return;
        };
        for key in keys.into_iter().flatten() {
            self.catalog.functions.remove(&key);
        }
    }

    /// `GRANT`/`REVOKE` on routines; `false` when the target is not routines.
    pub(super) fn function_privileges_change(
        &mut self,
        change: &PrivilegeChange,
        grantees: &[Grantee],
    ) -> bool {
        let keys: Vec<FunctionKey> = match &change.target {
            GrantTarget::Functions(references) => {
                references.iter().filter_map(|reference| self.resolve_function(reference)).collect()
            }
            GrantTarget::AllFunctionsInSchemas(kind, schemas) => self.functions_in(*kind, schemas),
            _ => return false,
        };
        let privileges = object_privileges(change.privileges, Privileges::EXECUTE);
        for key in keys {
            if let Some(function) = self.catalog.functions.get_mut(&key) {
                apply(&mut function.acl, &function.owner, change.grant, grantees, privileges);
            }
        }
        true
    }

    /// The routines `ON ALL FUNCTIONS | PROCEDURES | ROUTINES IN SCHEMA` reaches: those
    /// that exist now. `ALL FUNCTIONS` leaves procedures out.
    fn functions_in(&self, kind: RoutineKind, schemas: &[String]) -> Vec<FunctionKey> {
        self.catalog
            .functions
            .values()
            .filter(|function| schemas.contains(&function.key.schema) && kind.accepts(function.procedure))
            .map(|function| function.key.clone())
            .collect()
    }

    /// `DROP SCHEMA … CASCADE` drops the routines in it.
    pub(super) fn drop_schema_functions(&mut self, schema: &str) {
        self.catalog.functions.retain(|key, _| key.schema != schema);
    }

    /// A renamed schema keeps its routines.
    pub(super) fn rename_schema_functions(&mut self, from: &str, to: &str) {
        let keys: Vec<FunctionKey> =
            self.catalog.functions.keys().filter(|key| key.schema == from).cloned().collect();
        for key in keys {
            let new_key = FunctionKey { schema: to.to_string(), ..key.clone() };
            self.move_function(&key, new_key);
        }
    }

    /// Re-keys a routine; `false` (and nothing changes) when the new key is taken.
    fn move_function(&mut self, from: &FunctionKey, to: FunctionKey) -> bool {
        if self.catalog.functions.contains_key(&to) {
            return false;
        }
        let Some(mut function) = self.catalog.functions.remove(from) else { return false };
        function.key = to.clone();
        self.catalog.functions.insert(to.clone(), function);
        self.function_moves.push((from.clone(), to));
        true
    }

    /// The routines a statement names, for changed-files mode and suppressions:
    /// resolved now (after the statement for `CREATE`, before it otherwise).
    pub(super) fn function_touches(&self, kind: &StatementKind) -> Vec<Pending> {
        let from = self.function_moves.len();
        let touch = |key: FunctionKey| Pending::Function(key, from);
        match kind {
            StatementKind::CreateFunction(create) => {
                let reference = FunctionRef {
                    name: create.name.clone(),
                    kind: RoutineKind::Routine,
                    args: Some(create.args.clone()),
                };
                self.resolve_function(&reference).map(touch).into_iter().collect()
            }
            StatementKind::AlterFunction { function, .. } => {
                self.resolve_function(function).map(touch).into_iter().collect()
            }
            StatementKind::Privileges(change) => match &change.target {
                GrantTarget::Functions(references) => references
                    .iter()
                    .filter_map(|reference| self.resolve_function(reference))
                    .map(touch)
                    .collect(),
                GrantTarget::AllFunctionsInSchemas(kind, schemas) => schemas
                    .iter()
                    .map(|schema| Pending::Other(Touched::Schema(Some(schema.clone()))))
                    .chain(self.functions_in(*kind, schemas).into_iter().map(touch))
                    .collect(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    /// The routine a statement names, when there is exactly one of the right kind.
    pub(super) fn resolve_function(&self, reference: &FunctionRef) -> Option<FunctionKey> {
        self.lookup_function(reference).ok().flatten()
    }

    /// The routine a statement names: by name and argument types, or by name alone,
    /// which must then be unique. Unqualified names are looked up along the path.
    /// `Ok(None)` when nothing matches, `Err` when PostgreSQL would refuse the name
    /// (not unique, or a procedure named as a function or the reverse).
    fn lookup_function(&self, reference: &FunctionRef) -> Result<Option<FunctionKey>, ()> {
        let args = reference.args.as_deref().map(|args| self.function_args(args));
        let schemas = match &reference.name.schema {
            Some(schema) => vec![schema.clone()],
            None => self.path(),
        };
        let mut found: Vec<&Function> = Vec::new();
        for schema in &schemas {
            let start = FunctionKey {
                schema: schema.clone(),
                name: reference.name.name.clone(),
                args: String::new(),
            };
            let same_name =
                self.catalog.functions.range(start..).map(|(_, function)| function).take_while(|function| {
                    function.key.schema == *schema && function.key.name == reference.name.name
                });
            for function in same_name {
                let matches = args.as_ref().is_none_or(|args| function.key.args == *args);
                // An earlier schema of the path hides the same signature in a later one.
                if matches && !found.iter().any(|seen| seen.key.args == function.key.args) {
                    found.push(function);
                }
            }
        }
        match found.as_slice() {
            [] => Ok(None),
            [function] if reference.kind.accepts(function.procedure) => Ok(Some(function.key.clone())),
            _ => Err(()),
        }
    }

    /// A parsed argument list finished: types named without a schema get the one the
    /// search path finds first (types are not modelled, so the first schema that
    /// exists), `%TYPE` becomes the column's type.
    fn function_args(&self, args: &str) -> String {
        let types: Vec<String> = arg_types(args).into_iter().map(|arg| self.arg_type(arg, true)).collect();
        types.join(", ")
    }

    fn arg_type(&self, arg: ArgType<'_>, follow_columns: bool) -> String {
        match arg {
            ArgType::Done(text) => text.to_string(),
            ArgType::Unqualified(text) => match self.creation_schema() {
                Some(schema) => format!("{}.{text}", quote_ident(&schema)),
                None => text.to_string(),
            },
            ArgType::ColumnType { text, table, column } => {
                let column_type = self
                    .resolve_table(&table)
                    .and_then(|id| self.catalog.table(id))
                    .and_then(|table| table.column(&column))
                    .and_then(|column| normalise_type(&column.type_name));
                match column_type {
                    Some(column_type) if follow_columns => {
                        let types: Vec<String> = arg_types(&column_type)
                            .into_iter()
                            .map(|arg| self.arg_type(arg, false))
                            .collect();
                        types.join(", ")
                    }
                    _ => text.to_string(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    //! Each test was checked against PostgreSQL 15 by running the same SQL and reading
    //! `pg_proc` (`proacl`, `prosecdef`, `proconfig`, `format_type` of `proargtypes`)
    //! and `pg_default_acl`.

    use super::super::Options;
    use super::*;
    use crate::model::{Catalog, FileId};
    use crate::replay::Touch;
    use crate::sql::parse_file;

    fn replay_touches(files: &[&str]) -> (Catalog, Vec<Touch>) {
        let mut replay = Replay::new(&Options::default());
        for (index, source) in files.iter().enumerate() {
            replay.file(FileId(index as u32), &parse_file(source).statements);
        }
        replay.finish_with_touches()
    }

    fn replay(files: &[&str]) -> Catalog {
        replay_touches(files).0
    }

    fn key(schema: &str, name: &str, args: &str) -> FunctionKey {
        FunctionKey { schema: schema.into(), name: name.into(), args: args.into() }
    }

    fn function<'a>(catalog: &'a Catalog, schema: &str, name: &str, args: &str) -> &'a Function {
        catalog.functions.get(&key(schema, name, args)).unwrap_or_else(|| {
            panic!(
                "no function {schema}.{name}({args}); functions: {:?}",
                catalog.functions.keys().collect::<Vec<_>>()
            )
        })
    }

    fn role(name: &str) -> Grantee {
        Grantee::Role(name.into())
    }

    #[test]
    fn keys_use_the_creation_schema_and_format_type_spellings() {
        let catalog = replay(&[
            "CREATE SCHEMA app; CREATE TABLE app.t (id bigint);
             SET search_path TO app, public;
             CREATE FUNCTION f(a int, b varchar(40), mood, OUT c text, d t.id%TYPE) LANGUAGE sql AS 'select 1::text';
             CREATE PROCEDURE public.p(IN a int, OUT b text, INOUT c int8) LANGUAGE sql AS 'select 1';",
        ]);
        let f = function(&catalog, "app", "f", "integer, character varying, app.mood, bigint");
        assert!(!f.procedure && f.owner.is_none());
        assert!(function(&catalog, "public", "p", "integer, bigint").procedure, "OUT is not in proargtypes");
    }

    #[test]
    fn public_may_execute_a_new_function_unless_a_global_default_revokes_it() {
        let catalog = replay(&[
            // A per-schema entry can only add: this revoke changes nothing.
            "CREATE SCHEMA d; ALTER DEFAULT PRIVILEGES IN SCHEMA d REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
             CREATE FUNCTION d.before() RETURNS int LANGUAGE sql AS 'select 1';",
            // The global entry starts from the built-in default, so the revoke holds.
            "ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
             ALTER DEFAULT PRIVILEGES IN SCHEMA d GRANT EXECUTE ON ROUTINES TO authenticated;
             CREATE FUNCTION d.after() RETURNS int LANGUAGE sql AS 'select 1';
             CREATE PROCEDURE d.proc() LANGUAGE sql AS 'select 1';
             CREATE FUNCTION public.elsewhere() RETURNS int LANGUAGE sql AS 'select 1';
             SET ROLE app; CREATE FUNCTION public.other_owner() RETURNS int LANGUAGE sql AS 'select 1';",
        ]);
        assert_eq!(function(&catalog, "d", "before", "").acl.get(&Grantee::Public), Privileges::EXECUTE);
        let after = &function(&catalog, "d", "after", "").acl;
        assert_eq!(after.get(&Grantee::Public), Privileges::NONE);
        assert_eq!(after.get(&role("authenticated")), Privileges::EXECUTE);
        assert_eq!(function(&catalog, "d", "proc", "").acl.get(&role("authenticated")), Privileges::EXECUTE);
        assert!(function(&catalog, "public", "elsewhere", "").acl.is_empty());
        let other = function(&catalog, "public", "other_owner", "");
        assert_eq!(other.owner.as_deref(), Some("app"));
        assert_eq!(other.acl.get(&Grantee::Public), Privileges::EXECUTE, "defaults are per creating role");
    }

    #[test]
    fn a_global_grant_keeps_the_built_in_public_execute() {
        let catalog = replay(&["ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO authenticated;
             CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1';"]);
        let acl = &function(&catalog, "public", "f", "").acl;
        assert_eq!(acl.get(&Grantee::Public), Privileges::EXECUTE);
        assert_eq!(acl.get(&role("authenticated")), Privileges::EXECUTE);
    }

    #[test]
    fn create_or_replace_keeps_owner_and_grants_and_takes_the_new_attributes() {
        let catalog = replay(&[
            "CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = '' AS 'select 1';
             ALTER FUNCTION f OWNER TO app; REVOKE EXECUTE ON FUNCTION f(int) FROM PUBLIC; GRANT EXECUTE ON FUNCTION f TO web;",
            "CREATE OR REPLACE FUNCTION f(a integer) RETURNS int LANGUAGE sql AS 'select 2';
             CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql SECURITY DEFINER AS 'select 3';
             CREATE OR REPLACE PROCEDURE f(a int) LANGUAGE sql SECURITY DEFINER AS 'select 3';",
        ]);
        let f = function(&catalog, "public", "f", "integer");
        assert_eq!(f.owner.as_deref(), Some("app"));
        assert_eq!(f.acl.get(&Grantee::Public), Privileges::NONE);
        assert_eq!(f.acl.get(&role("web")), Privileges::EXECUTE);
        assert!(!f.security_definer && !f.sets_search_path, "plain CREATE and a change of kind fail");
        assert!(!f.procedure);
        let catalog = replay(&[
            "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1';
             CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS 'select 1';",
        ]);
        let f = function(&catalog, "public", "f", "");
        assert!(f.security_definer && f.sets_search_path);
    }

    #[test]
    fn alter_function_attributes_and_lookup_by_name_alone_only_when_unique() {
        let catalog = replay(&["CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1';
             ALTER FUNCTION f SECURITY DEFINER SET search_path TO public;
             CREATE FUNCTION g() RETURNS int LANGUAGE sql SET search_path = '' AS 'select 1';
             CREATE FUNCTION g(int) RETURNS int LANGUAGE sql AS 'select 1';
             ALTER FUNCTION g SECURITY DEFINER;
             ALTER FUNCTION g() RESET ALL;
             CREATE PROCEDURE p() LANGUAGE sql AS 'select 1';
             ALTER FUNCTION p() SECURITY DEFINER;
             ALTER PROCEDURE p EXTERNAL SECURITY DEFINER;
             CREATE FUNCTION h() RETURNS int LANGUAGE sql SECURITY DEFINER SET search_path = '' AS 'select 1';
             ALTER ROUTINE h SECURITY INVOKER RESET search_path;"]);
        let f = function(&catalog, "public", "f", "");
        assert!(f.security_definer && f.sets_search_path);
        assert!(!function(&catalog, "public", "g", "").security_definer, "`g` is not unique");
        assert!(!function(&catalog, "public", "g", "").sets_search_path);
        assert!(!function(&catalog, "public", "g", "integer").security_definer);
        assert!(function(&catalog, "public", "p", "").security_definer, "only ALTER PROCEDURE reaches it");
        let h = function(&catalog, "public", "h", "");
        assert!(!h.security_definer && !h.sets_search_path);
    }

    #[test]
    fn rename_set_schema_and_schema_changes_move_functions() {
        let catalog = replay(&[
            "CREATE SCHEMA g; CREATE SCHEMA gone;
             CREATE FUNCTION f(a int) RETURNS int LANGUAGE sql AS 'select 1';
             GRANT EXECUTE ON FUNCTION f(int) TO web;
             ALTER FUNCTION f(a int) RENAME TO f2; ALTER FUNCTION f2 SET SCHEMA g; ALTER SCHEMA g RENAME TO g2;
             CREATE FUNCTION gone.x() RETURNS int LANGUAGE sql AS 'select 1'; DROP SCHEMA gone CASCADE;",
        ]);
        let keys: Vec<&FunctionKey> = catalog.functions.keys().collect();
        assert_eq!(keys, vec![&key("g2", "f2", "integer")]);
        assert_eq!(function(&catalog, "g2", "f2", "integer").acl.get(&role("web")), Privileges::EXECUTE);
    }

    #[test]
    fn drop_function_needs_the_right_kind_and_a_unique_name() {
        let catalog = replay(&[
            "CREATE FUNCTION a() RETURNS int LANGUAGE sql AS 'select 1';
             CREATE FUNCTION b(int) RETURNS int LANGUAGE sql AS 'select 1';
             CREATE FUNCTION b(text) RETURNS int LANGUAGE sql AS 'select 1';
             CREATE PROCEDURE p() LANGUAGE sql AS 'select 1';
             CREATE PROCEDURE q() LANGUAGE sql AS 'select 1';
             DROP FUNCTION IF EXISTS a, b, missing(int) CASCADE; DROP FUNCTION p(); DROP ROUTINE q; DROP FUNCTION b(text);
             DROP FUNCTION IF EXISTS a, missing(int);",
        ]);
        let keys: Vec<&FunctionKey> = catalog.functions.keys().collect();
        assert_eq!(keys, vec![&key("public", "b", "integer"), &key("public", "p", "")]);
    }

    #[test]
    fn grant_on_all_functions_reaches_existing_functions_but_not_procedures() {
        let catalog = replay(&["CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'select 1';
             CREATE PROCEDURE p() LANGUAGE sql AS 'select 1';
             REVOKE EXECUTE ON ALL FUNCTIONS IN SCHEMA public FROM PUBLIC;
             GRANT ALL ON ALL PROCEDURES IN SCHEMA public TO web;
             GRANT EXECUTE ON ALL ROUTINES IN SCHEMA public TO api;
             CREATE FUNCTION later() RETURNS int LANGUAGE sql AS 'select 1';"]);
        let f = &function(&catalog, "public", "f", "").acl;
        assert_eq!(
            (f.get(&Grantee::Public), f.get(&role("web")), f.get(&role("api"))),
            (Privileges::NONE, Privileges::NONE, Privileges::EXECUTE)
        );
        let p = &function(&catalog, "public", "p", "").acl;
        assert_eq!(
            (p.get(&Grantee::Public), p.get(&role("web")), p.get(&role("api"))),
            (Privileges::EXECUTE, Privileges::EXECUTE, Privileges::EXECUTE)
        );
        let later = &function(&catalog, "public", "later", "").acl;
        assert_eq!(later.get(&role("api")), Privileges::NONE);
        assert_eq!(later.get(&Grantee::Public), Privileges::EXECUTE);
    }

    #[test]
    fn touches_name_functions_by_their_final_keys() {
        let (_, touches) = replay_touches(&[
            "CREATE FUNCTION f(int) RETURNS int LANGUAGE sql AS 'select 1'; CREATE FUNCTION gone() RETURNS int LANGUAGE sql AS 'select 1';",
            "GRANT EXECUTE ON FUNCTION f(integer) TO web; ALTER FUNCTION f RENAME TO g; DROP FUNCTION gone;",
        ]);
        let g = Touched::Function { schema: "public".into(), name: "g".into(), args: "integer".into() };
        let summary: Vec<(u32, Touched)> =
            touches.into_iter().map(|touch| (touch.file.0, touch.object)).collect();
        assert_eq!(summary, vec![(0, g.clone()), (1, g.clone()), (1, g)]);
    }
}
