//! Indexes in replay: `CREATE INDEX`, the indexes of primary key and unique
//! constraints, and `DROP INDEX`.
//!
//! An index lives in its table's schema (and moves with it), and its name shares the
//! relation namespace with tables and sequences. Only the column an index leads with is
//! kept, so an unnamed index over several columns is named after its first one, and a
//! dropped column takes only the indexes that lead with it.

use super::Replay;
use crate::model::{ColumnCast, Index, TableId, TableKind};
use crate::sql::ObjectRef;

impl Replay {
    /// `CREATE INDEX`: on tables and materialized views only; a name already used by a
    /// relation of the schema fails the statement.
    pub(super) fn create_index(
        &mut self,
        name: Option<&str>,
        table: &ObjectRef,
        first_column: Option<&str>,
        first_cast: Option<&ColumnCast>,
    ) {
        let Some(id) = self.resolve_table(table) else { return };
        let Some(table) = self.catalog.table(id) else { return };
        if !(table.kind.has_rows() || table.kind == TableKind::MaterializedView) {
            return;
        }
        let name = match name {
            Some(name) if self.relation_taken(&table.schema, name) => return,
            Some(name) => name.to_string(),
            None => self.choose_relation_name(
                &table.schema,
                &table.name,
                Some(first_column.unwrap_or("expr")),
                "idx",
            ),
        };
        self.add_index(id, name, first_column.map(str::to_string), first_cast.cloned());
    }

    /// A primary key or unique constraint's index, named after the constraint or, when it
    /// has none, as PostgreSQL names a unique constraint (`<table>_<column>_key`).
    pub(super) fn add_key_index(&mut self, id: TableId, constraint: Option<&str>, first_column: &str) {
        let Some(table) = self.catalog.table(id) else { return };
        if table.column(first_column).is_none() {
            return;
        }
        let name = match constraint {
            Some(name) if self.relation_taken(&table.schema, name) => return,
            Some(name) => name.to_string(),
            None => self.choose_relation_name(&table.schema, &table.name, Some(first_column), "key"),
        };
        self.add_index(id, name, Some(first_column.to_string()), None);
    }

    fn add_index(
        &mut self,
        id: TableId,
        name: String,
        first_column: Option<String>,
        first_cast: Option<ColumnCast>,
    ) {
        if let Some(table) = self.catalog.table_mut(id) {
            self.index_tables.entry(name.clone()).or_default().push(id);
            // Most tables have one or two indexes: grow by one, not to a `Vec`'s first four.
            table.indexes.reserve_exact(1);
            table.indexes.push(Index { name, first_column, first_cast });
        }
    }

    /// The table that has an index called `name` in `schema`.
    pub(super) fn index_table(&self, schema: &str, name: &str) -> Option<TableId> {
        self.index_tables.get(name)?.iter().copied().find(|id| {
            self.catalog.table(*id).is_some_and(|table| {
                table.schema == schema && table.indexes.iter().any(|index| index.name == name)
            })
        })
    }

    /// `DROP INDEX`: each name is found in its schema, or the first schema of the path
    /// holding a relation of that name.
    pub(super) fn drop_indexes(&mut self, names: &[ObjectRef]) {
        for name in names {
            let schemas = match &name.schema {
                Some(schema) => vec![schema.clone()],
                None => self.path(),
            };
            let Some(schema) = schemas.into_iter().find(|schema| self.relation_taken(schema, &name.name))
            else {
                continue;
            };
            let Some(id) = self.index_table(&schema, &name.name) else { continue };
            if let Some(table) = self.catalog.table_mut(id) {
                table.indexes.retain(|index| index.name != name.name);
            }
        }
    }
}
