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
        self.index_partitions(id, first_column, first_cast, "idx");
    }

    /// An index on a partitioned table is built on each of its partitions too, named as
    /// PostgreSQL names an unnamed index of the partition.
    fn index_partitions(
        &mut self,
        id: TableId,
        first_column: Option<&str>,
        first_cast: Option<&ColumnCast>,
        suffix: &str,
    ) {
        for child in self.with_partitions(id).into_iter().skip(1) {
            self.inherit_index(child, first_column, first_cast, suffix);
        }
    }

    /// A partition's copy of an index of its parent; none when it has one leading with the
    /// same column already (`ATTACH PARTITION` takes a matching index as it is).
    pub(super) fn inherit_index(
        &mut self,
        child: TableId,
        first_column: Option<&str>,
        first_cast: Option<&ColumnCast>,
        suffix: &str,
    ) {
        let Some(table) = self.catalog.table(child) else { return };
        if first_column.is_some()
            && table.indexes.iter().any(|index| index.first_column.as_deref() == first_column)
        {
            return;
        }
        let name = self.choose_relation_name(
            &table.schema,
            &table.name,
            Some(first_column.unwrap_or("expr")),
            suffix,
        );
        self.add_index(child, name, first_column.map(str::to_string), first_cast.cloned());
    }

    /// The indexes of `parent`, given to a partition created or attached later.
    pub(super) fn inherit_indexes(&mut self, parent: TableId, child: TableId) {
        let Some(parent) = self.catalog.table(parent) else { return };
        let indexes: Vec<(Option<String>, Option<ColumnCast>)> = parent
            .indexes
            .iter()
            .map(|index| (index.first_column.clone(), index.first_cast.clone()))
            .collect();
        for (first_column, first_cast) in indexes {
            for grandchild in self.with_partitions(child) {
                self.inherit_index(grandchild, first_column.as_deref(), first_cast.as_ref(), "idx");
            }
        }
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
        self.index_partitions(id, Some(first_column), None, "key");
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
