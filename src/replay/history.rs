//! Facts about the order of the migrations rather than the database they build: tables
//! whose row-level security was enabled only in a later file than the one that created
//! them (`Table::rls_enabled_late`), and the files that change what the Data API serves
//! and whether they end by reloading its schema cache (`Catalog::api_changes`).
//!
//! Only tables, views and functions in exposed schemas count; grants, policies and RLS
//! do not change the API's schema cache.

use std::collections::{BTreeMap, BTreeSet};

use super::{Options, Replay};
use crate::model::{ApiChange, FunctionKey, LateRls, Span, TableId};
use crate::sql::{AlterFunctionAction, AlterTableAction, ObjectRef, StatementKind};

/// What replay remembers between statements and files for the history facts.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct History {
    exposed_schemas: Vec<String>,
    /// The API roles and the anonymous role.
    request_roles: Vec<String>,
    /// Tables in exposed schemas whose creating file ended with RLS off, until a later
    /// file enables it.
    rls_off_after_creation: BTreeSet<TableId>,
    /// Of those, the ones a request role held a privilege on at the end of a file while
    /// RLS was off, with those roles: their rows were open in between.
    open_before_rls: BTreeMap<TableId, Vec<String>>,
    /// This file's entry in `Catalog::api_changes`.
    file_change: Option<usize>,
    /// The tables this file created, so that the end of a file does not scan them all.
    created_in_file: Vec<TableId>,
    /// Replaying SQL that is not a migration (a fix checked after the last one): it has
    /// no place in the history.
    paused: bool,
}

impl History {
    pub(super) fn new(options: &Options) -> Self {
        let mut request_roles = options.api_roles.clone();
        if !options.anonymous_role.is_empty() && !request_roles.contains(&options.anonymous_role) {
            request_roles.push(options.anonymous_role.clone());
        }
        History { exposed_schemas: options.exposed_schemas.clone(), request_roles, ..History::default() }
    }
}

impl Replay {
    fn exposed(&self, schema: &str) -> bool {
        self.history.exposed_schemas.iter().any(|exposed| exposed == schema)
    }

    /// Applies `statements` as one more file that is not a migration: the catalog
    /// changes, the history (late RLS, schema-cache changes) does not.
    pub fn outside_history(&mut self, file: crate::model::FileId, statements: &[crate::sql::Statement]) {
        self.history.paused = true;
        self.file(file, statements);
        self.history.paused = false;
    }

    pub(super) fn history_start_file(&mut self) {
        self.history.file_change = None;
        self.history.created_in_file.clear();
    }

    pub(super) fn history_table_created(&mut self, id: TableId) {
        self.history.created_in_file.push(id);
    }

    /// Remembers the tables this file created in exposed schemas and left without RLS.
    pub(super) fn history_end_file(&mut self) {
        let off: Vec<TableId> = self
            .history
            .created_in_file
            .iter()
            .filter_map(|id| self.catalog.table(*id))
            .filter(|table| table.kind.has_rows() && !table.rls_enabled && self.exposed(&table.schema))
            .map(|table| table.id)
            .collect();
        self.history.rls_off_after_creation.extend(off);
        // Which of the tables still without RLS a request could use at this point. Tables
        // nobody was granted anything on are skipped cheaply (no ACL entry at all).
        let mut opened = Vec::new();
        for id in &self.history.rls_off_after_creation {
            if self.history.open_before_rls.contains_key(id) {
                continue;
            }
            let Some(table) = self.catalog.table(*id) else { continue };
            if table.rls_enabled
                || (table.acl.is_empty() && table.column_acl.is_empty() && table.owner.is_none())
            {
                continue;
            }
            let roles: Vec<String> = self
                .history
                .request_roles
                .iter()
                .filter(|role| {
                    let (table_level, column_level) = self.catalog.table_privileges(table, role);
                    !(table_level | column_level).is_empty()
                })
                .cloned()
                .collect();
            if !roles.is_empty() {
                opened.push((*id, roles));
            }
        }
        self.history.open_before_rls.extend(opened);
    }

    /// `ENABLE ROW LEVEL SECURITY` on table `id`: late when an earlier file created the
    /// table and left it off, and a request role could use it meanwhile.
    pub(super) fn rls_enabled(&mut self, id: TableId, span: Span) {
        if !self.history.paused
            && self.history.rls_off_after_creation.remove(&id)
            && let Some(roles) = self.history.open_before_rls.remove(&id)
            && let Some(table) = self.catalog.table_mut(id)
        {
            table.rls_enabled_late = Some(LateRls { enabled: span, roles });
        }
    }

    /// Whether `statement`, about to run, drops, renames or reshapes something the Data
    /// API serves.
    pub(super) fn changes_api_before(&self, kind: &StatementKind) -> bool {
        match kind {
            StatementKind::DropRelations { names, .. } => {
                names.iter().any(|name| self.exposed_relation(name))
            }
            StatementKind::AlterTable { name, actions, .. } => {
                let Some(schema) =
                    self.resolve_table(name).and_then(|id| self.catalog.table(id)).map(|t| &t.schema)
                else {
                    return false;
                };
                actions.iter().any(|action| match action {
                    AlterTableAction::SetSchema(to) => self.exposed(schema) || self.exposed(to),
                    AlterTableAction::RenameTo(_)
                    | AlterTableAction::AddForeignKey
                    | AlterTableAction::AddColumn(_)
                    | AlterTableAction::DropColumns(_)
                    | AlterTableAction::RenameColumn { .. } => self.exposed(schema),
                    _ => false,
                })
            }
            StatementKind::AlterFunction { function, actions } => actions.iter().any(|action| match action {
                AlterFunctionAction::SetSchema(to) => {
                    self.exposed_function(&function.name) || self.exposed(to)
                }
                AlterFunctionAction::RenameTo(_) => self.exposed_function(&function.name),
                _ => false,
            }),
            StatementKind::DropFunctions { functions } => {
                functions.iter().any(|function| self.exposed_function(&function.name))
            }
            _ => false,
        }
    }

    /// Whether `statement`, which just ran at `span`, created or replaced something the
    /// Data API serves.
    pub(super) fn changes_api_after(&self, kind: &StatementKind, span: Span) -> bool {
        match kind {
            StatementKind::CreateTable(create) => self.created_here(&create.name, span),
            StatementKind::CreateView(view) => {
                self.created_here(&view.name, span) || (view.or_replace && self.exposed_relation(&view.name))
            }
            StatementKind::CreateFunction(create) => self.exposed_function(&create.name),
            _ => false,
        }
    }

    /// Adds the statement at `span` to this file's API change.
    pub(super) fn record_api_change(&mut self, span: Span) {
        if self.history.paused {
            return;
        }
        match self.history.file_change {
            Some(index) => self.catalog.api_changes[index].reloads = false,
            None => {
                self.history.file_change = Some(self.catalog.api_changes.len());
                self.catalog.api_changes.push(ApiChange { file: self.file, first: span, reloads: false });
            }
        }
    }

    /// `NOTIFY pgrst`: the file's changes so far are served after it.
    pub(super) fn schema_cache_reloaded(&mut self) {
        if let Some(index) = self.history.file_change {
            self.catalog.api_changes[index].reloads = true;
        }
    }

    fn exposed_relation(&self, name: &ObjectRef) -> bool {
        self.resolve_table(name)
            .and_then(|id| self.catalog.table(id))
            .is_some_and(|t| self.exposed(&t.schema))
    }

    fn created_here(&self, name: &ObjectRef, span: Span) -> bool {
        self.resolve_table(name)
            .and_then(|id| self.catalog.table(id))
            .is_some_and(|table| table.origin == Some(span) && self.exposed(&table.schema))
    }

    /// Whether a function name is in an exposed schema: its own schema, else the first
    /// schema of the path with a function of that name, else where it would be created.
    fn exposed_function(&self, name: &ObjectRef) -> bool {
        let schema = name.schema.clone().or_else(|| {
            self.path()
                .into_iter()
                .find(|schema| {
                    // Keys sort by schema, then name: the first key from here tells.
                    let start =
                        FunctionKey { schema: schema.clone(), name: name.name.clone(), args: String::new() };
                    self.catalog
                        .functions
                        .range(start..)
                        .next()
                        .is_some_and(|(key, _)| key.schema == *schema && key.name == name.name)
                })
                .or_else(|| self.creation_schema())
        });
        schema.is_some_and(|schema| self.exposed(&schema))
    }
}
