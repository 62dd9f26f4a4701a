//! What a role other than the session's may do, for replays that know every object
//! (`Options::closed_world`): after `SET ROLE` to an ordinary role, PostgreSQL checks
//! ownership and privileges, and a statement the role may not run fails (42501) and
//! changes nothing. A `GRANT` or `REVOKE` by a role without the grant option only warns
//! ("no privileges were granted"), which changes nothing either.
//!
//! Real projects are not checked this way: their roles may hold privileges granted
//! outside the migrations (on the database, through the Console), which replay cannot see.

use super::Replay;
use crate::model::{Catalog, Grantee, Privileges, RoleName};
use crate::sql::{AlterTableAction, GrantTarget, ObjectRef, RoleSpec, StatementKind};

impl Replay {
    /// Whether the current role may run `kind`; always true for the session role.
    pub(super) fn permitted(&self, kind: &StatementKind) -> bool {
        let Some(role) = self.current_role.as_deref() else { return true };
        if !self.closed_world || self.current_role == self.session_role {
            return true;
        }
        let owns = |owner: &RoleName| self.catalog.acts_as(role, owner);
        let owns_table = |name: &ObjectRef| {
            self.resolve_table(name).and_then(|id| self.catalog.table(id)).is_none_or(|t| owns(&t.owner))
        };
        let can_create_in = |name: &ObjectRef| match self.schema_of_new(name) {
            Some(schema) => self.catalog.schemas.get(&schema).is_none_or(|s| {
                owns(&s.owner) || self.catalog.schema_privileges(s, role).contains(Privileges::CREATE)
            }),
            None => true,
        };
        let is_member = |spec: &RoleSpec| match spec {
            RoleSpec::Name(name) => {
                name == role || self.catalog.effective_grantees(role).contains(&Grantee::Role(name.clone()))
            }
            _ => true,
        };
        match kind {
            // The database, roles and memberships need attributes ordinary roles lack.
            StatementKind::CreateSchema { .. }
            | StatementKind::CreateRoles { .. }
            | StatementKind::DropRoles { .. }
            | StatementKind::RoleMembership { .. }
            | StatementKind::CreateDatabase { .. } => false,
            StatementKind::CreateTable(create) => {
                can_create_in(&create.name) && create.partition_of.as_ref().is_none_or(owns_table)
            }
            StatementKind::CreateView(view) => can_create_in(&view.name),
            StatementKind::CreateSequence { name, .. } => can_create_in(name),
            StatementKind::CreateFunction(create) => can_create_in(&create.name),
            StatementKind::AlterTable { name, actions, .. } => {
                owns_table(name)
                    && actions.iter().all(|action| match action {
                        AlterTableAction::OwnerTo(owner) => is_member(owner),
                        AlterTableAction::SetSchema(schema) => {
                            can_create_in(&ObjectRef { schema: Some(schema.clone()), name: String::new() })
                        }
                        _ => true,
                    })
            }
            StatementKind::DropRelations { names, .. } => names.iter().all(owns_table),
            StatementKind::CreatePolicy(policy) => owns_table(&policy.table),
            StatementKind::AlterPolicy(policy) => owns_table(&policy.table),
            StatementKind::DropPolicy { table, .. } => owns_table(table),
            StatementKind::CreateIndex { table, .. } => owns_table(table),
            StatementKind::AlterSchema { name, .. } => self.owns_schemas(role, std::slice::from_ref(name)),
            StatementKind::DropSchemas { names, .. } => self.owns_schemas(role, names),
            StatementKind::AlterDefaultPrivileges(change) => change.for_roles.iter().all(is_member),
            // Dropping a database takes its owner; renaming it or giving it away also takes
            // CREATEDB, which ordinary roles lack.
            StatementKind::DropDatabase { name } => {
                self.catalog.databases.get(name).is_none_or(|database| owns(&database.owner))
            }
            StatementKind::AlterDatabase { name, rename_to, owner } => {
                rename_to.is_none()
                    && owner.is_none()
                    && self.catalog.databases.get(name).is_none_or(|database| owns(&database.owner))
            }
            StatementKind::Privileges(change) => match &change.target {
                GrantTarget::Tables(names) => names.iter().all(owns_table),
                GrantTarget::Schemas(names) => self.owns_schemas(role, names),
                // Each relation of the schemas is granted on as by its own GRANT: a role that
                // owns them all may; one it holds nothing on fails the statement, and one
                // it holds some privilege on without grant option grants nothing (taken as
                // failing: replay cannot tell the two apart cheaply, and skipping is the
                // safe side).
                GrantTarget::AllTablesInSchemas(schemas) => schemas.iter().all(|schema| {
                    self.catalog
                        .tables()
                        .filter(|table| table.schema == *schema)
                        .all(|table| owns(&table.owner))
                }),
                GrantTarget::AllSequencesInSchemas(_) | GrantTarget::AllFunctionsInSchemas(..) => false,
                GrantTarget::Sequences(names) => names.iter().all(|name| {
                    self.resolve_sequence(name)
                        .and_then(|key| self.catalog.sequences.get(&key))
                        .is_none_or(|sequence| owns(&sequence.owner))
                }),
                GrantTarget::Functions(functions) => functions.iter().all(|function| {
                    self.resolve_function(function)
                        .and_then(|key| self.catalog.functions.get(&key))
                        .is_none_or(|function| owns(&function.owner))
                }),
                GrantTarget::Databases(names) => names.iter().all(|name| {
                    self.catalog.databases.get(name).is_none_or(|database| owns(&database.owner))
                }),
                GrantTarget::Other => true,
            },
            StatementKind::AlterFunction { function, .. } => self
                .resolve_function(function)
                .and_then(|key| self.catalog.functions.get(&key))
                .is_none_or(|function| owns(&function.owner)),
            StatementKind::DropFunctions { functions } => functions.iter().all(|function| {
                self.resolve_function(function)
                    .and_then(|key| self.catalog.functions.get(&key))
                    .is_none_or(|function| owns(&function.owner))
            }),
            StatementKind::DropSequences { names, .. } => names.iter().all(|name| {
                self.resolve_sequence(name)
                    .and_then(|key| self.catalog.sequences.get(&key))
                    .is_none_or(|sequence| owns(&sequence.owner))
            }),
            StatementKind::AlterSequence { name, .. } => self
                .resolve_sequence(name)
                .and_then(|key| self.catalog.sequences.get(&key))
                .is_none_or(|sequence| owns(&sequence.owner)),
            _ => true,
        }
    }

    /// The schema a new object named `name` would go to, without creating anything.
    fn schema_of_new(&self, name: &ObjectRef) -> Option<String> {
        name.schema.clone().or_else(|| self.creation_schema())
    }

    fn owns_schemas(&self, role: &str, names: &[String]) -> bool {
        names
            .iter()
            .all(|name| self.catalog.schemas.get(name).is_none_or(|s| owns(&self.catalog, role, &s.owner)))
    }
}

fn owns(catalog: &Catalog, role: &str, owner: &RoleName) -> bool {
    catalog.acts_as(role, owner)
}
