//! Sequences in replay: `CREATE | ALTER | DROP SEQUENCE`, the sequence a `serial` column
//! makes, `nextval('…')` defaults bound to the sequence they name, and grants on
//! sequences.
//!
//! Sequences share the relation namespace with tables and indexes. An owned sequence (a
//! `serial` column's, or one `OWNED BY` a column) follows its table: owner, schema and
//! drop. A default's `nextval('…')` is a `regclass` constant, bound to the sequence when
//! the default is set, so it follows renames. Identity columns have sequences too, but no
//! role needs a grant on them, so they are not tracked.

use super::{Replay, apply, object_privileges};
use crate::model::{
    Acl, DefaultObjectType, Grantee, Privileges, QualifiedName, RoleName, Sequence, SequenceName, Span,
    TableId,
};
use crate::sql::{AlterSequenceAction, AlterTableAction, ObjectRef, PrivilegeChange, is_serial};

/// PostgreSQL's longest identifier, in bytes (`NAMEDATALEN - 1`).
const MAX_IDENTIFIER_BYTES: usize = 63;

impl Replay {
    /// `CREATE SEQUENCE`: owned by the current role, with the default privileges for
    /// sequences. Temporary sequences live in `pg_temp` and are never exposed.
    pub(super) fn create_sequence(&mut self, name: &ObjectRef, temporary: bool, span: Span) {
        if temporary {
            return;
        }
        let Some(schema) = self.target_schema(name) else { return };
        if self.relation_taken(&schema, &name.name) {
            return;
        }
        let owner = self.current_role.clone();
        self.add_sequence(schema, name.name.clone(), owner, None, span);
    }

    fn add_sequence(
        &mut self,
        schema: String,
        name: String,
        owner: RoleName,
        owned_by: Option<(TableId, String)>,
        span: Span,
    ) -> QualifiedName {
        let mut acl = Acl::default();
        for entry in self.catalog.default_acls_for(&owner, &schema, DefaultObjectType::Sequences) {
            for (grantee, privileges) in entry.acl.iter() {
                acl.grant(grantee.clone(), privileges);
            }
        }
        let key = QualifiedName::new(&schema, &name);
        let sequence = Sequence { schema, name, owner, acl, owned_by, origin: Some(span) };
        self.catalog.sequences.insert(key.clone(), sequence);
        self.created_sequences.push(key.clone());
        key
    }

    /// Binds the sequences of new columns of table `id`: a `serial` column gets a
    /// sequence of its own, named as PostgreSQL names it and owned by the table's owner
    /// (whose default privileges apply); a `nextval('…')` default is bound to the
    /// sequence its name finds now.
    pub(super) fn bind_column_sequences(&mut self, id: TableId, columns: &[String], span: Span) {
        for column_name in columns {
            let Some(table) = self.catalog.table(id) else { return };
            let Some(column) = table.column(column_name) else { continue };
            let sequence = match &column.sequence {
                Some(_) if column.identity => continue,
                Some(written) => Some(self.bind_sequence_name(written)),
                // An identity column has a sequence of its own too, named like a serial
                // one; inserts need no grant on it, but grants on all sequences reach it.
                None if column.identity || (column.uses_sequence && is_serial(&column.type_name)) => {
                    let (schema, owner) = (table.schema.clone(), table.owner.clone());
                    let name = self.choose_relation_name(&schema, &table.name, Some(column_name), "seq");
                    let owned_by = Some((id, column_name.clone()));
                    let identity = column.identity;
                    let key = self.add_sequence(schema, name, owner, owned_by, span);
                    (!identity).then_some(SequenceName { schema: Some(key.schema), name: key.name })
                }
                None => None,
            };
            if let Some(column) =
                self.catalog.table_mut(id).and_then(|t| t.columns.iter_mut().find(|c| c.name == *column_name))
            {
                column.sequence = sequence;
            }
        }
    }

    /// `SET DEFAULT nextval('…')` on an existing column.
    pub(super) fn set_column_sequence(&mut self, id: TableId, column: &str, written: &SequenceName) {
        let bound = self.bind_sequence_name(written);
        if let Some(column) =
            self.catalog.table_mut(id).and_then(|t| t.columns.iter_mut().find(|c| c.name == column))
        {
            column.sequence = Some(bound);
        }
    }

    /// The sequence a `nextval('…')` names, with its schema. A name that finds no
    /// sequence is kept where an unqualified name would be created: the migration
    /// passed on a real server, so the sequence was made where replay cannot see (a
    /// `DO` block, an extension).
    /// Whether a `nextval('…')` default names a sequence that cannot exist: none by that
    /// name, in a replay that knows every object (`Options::closed_world`).
    pub(super) fn names_missing_sequence(&self, written: &SequenceName) -> bool {
        let reference = ObjectRef { schema: written.schema.clone(), name: written.name.clone() };
        self.closed_world && self.resolve_sequence(&reference).is_none()
    }

    fn bind_sequence_name(&self, written: &SequenceName) -> SequenceName {
        let reference = ObjectRef { schema: written.schema.clone(), name: written.name.clone() };
        match self.resolve_sequence(&reference) {
            Some(key) => SequenceName { schema: Some(key.schema), name: key.name },
            None => SequenceName {
                schema: written.schema.clone().or_else(|| self.creation_schema()),
                name: written.name.clone(),
            },
        }
    }

    /// The sequence a name finds: qualified, or the first relation of that name on the
    /// search path (a table there hides a sequence further on).
    pub(super) fn resolve_sequence(&self, name: &ObjectRef) -> Option<QualifiedName> {
        let schemas = match &name.schema {
            Some(schema) => vec![schema.clone()],
            None => self.path(),
        };
        for schema in schemas {
            let key = QualifiedName::new(&schema, &name.name);
            if self.catalog.sequences.contains_key(&key) {
                return Some(key);
            }
            if self.catalog.table_id(&schema, &name.name).is_some() {
                return None;
            }
        }
        None
    }

    /// Whether a table, view, sequence or index in `schema` is called `name`.
    pub(super) fn relation_taken(&self, schema: &str, name: &str) -> bool {
        self.catalog.table_id(schema, name).is_some()
            || self.catalog.sequences.contains_key(&QualifiedName::new(schema, name))
            || self.index_table(schema, name).is_some()
    }

    /// PostgreSQL's `ChooseRelationName`: `name1_name2_label`, shortened to fit, with a
    /// number after the label (`t_id_seq1`) until no relation in `schema` has the name.
    pub(super) fn choose_relation_name(
        &self,
        schema: &str,
        name1: &str,
        name2: Option<&str>,
        label: &str,
    ) -> String {
        let mut pass = 0;
        let mut numbered_label = label.to_string();
        loop {
            let name = object_name(name1, name2, &numbered_label);
            if !self.relation_taken(schema, &name) {
                return name;
            }
            pass += 1;
            numbered_label = format!("{label}{pass}");
        }
    }

    /// The sequences owned by a column of one of `tables`; only those of `columns`
    /// when given.
    fn owned_sequences(&self, tables: &[TableId], columns: Option<&[String]>) -> Vec<QualifiedName> {
        self.catalog
            .sequences
            .iter()
            .filter(|(_, sequence)| {
                sequence.owned_by.as_ref().is_some_and(|(table, column)| {
                    tables.contains(table) && columns.is_none_or(|columns| columns.contains(column))
                })
            })
            .map(|(key, _)| key.clone())
            .collect()
    }

    /// `ALTER TABLE … OWNER TO` gives the table's owned sequences to the new owner too.
    pub(super) fn owned_sequences_follow_owner(&mut self, id: TableId) {
        let Some(owner) = self.catalog.table(id).map(|table| table.owner.clone()) else { return };
        for key in self.owned_sequences(&[id], None) {
            if let Some(sequence) = self.catalog.sequences.get_mut(&key) {
                sequence.owner = owner.clone();
            }
        }
    }

    /// `ALTER TABLE … SET SCHEMA` moves the table's owned sequences with it.
    pub(super) fn owned_sequences_follow_schema(&mut self, id: TableId) {
        let Some(schema) = self.catalog.table(id).map(|table| table.schema.clone()) else { return };
        for key in self.owned_sequences(&[id], None) {
            self.move_sequence(&key, &schema, &key.name);
        }
    }

    /// Drops the sequences owned by `tables` (by `columns` of them, when given), as
    /// `DROP TABLE` and `DROP COLUMN` do.
    pub(super) fn drop_owned_sequences(&mut self, tables: &[TableId], columns: Option<&[String]>) {
        for key in self.owned_sequences(tables, columns) {
            self.remove_sequence(&key);
        }
    }

    /// A column rename carries the ownership of its sequences.
    pub(super) fn owned_sequences_follow_column(&mut self, id: TableId, from: &str, to: &str) {
        for sequence in self.catalog.sequences.values_mut() {
            if let Some((table, column)) = &mut sequence.owned_by
                && *table == id
                && column == from
            {
                *column = to.to_string();
            }
        }
    }

    /// Renames or moves a sequence, unless the new name is taken; column defaults keep
    /// drawing from it.
    fn move_sequence(&mut self, from: &QualifiedName, schema: &str, name: &str) {
        let to = QualifiedName::new(schema, name);
        if to == *from || self.relation_taken(schema, name) {
            return;
        }
        let Some(mut sequence) = self.catalog.sequences.remove(from) else { return };
        sequence.schema = schema.to_string();
        sequence.name = name.to_string();
        self.catalog.sequences.insert(to.clone(), sequence);
        self.retarget_defaults(from, Some(&to));
        self.sequence_renames.push((from.clone(), to));
    }

    /// Removes a sequence; defaults that drew from it are gone with it (`CASCADE`).
    fn remove_sequence(&mut self, key: &QualifiedName) {
        if self.catalog.sequences.remove(key).is_some() {
            self.retarget_defaults(key, None);
        }
    }

    /// Points the columns whose default draws from `from` at `to`, or drops their
    /// default when `to` is `None`.
    fn retarget_defaults(&mut self, from: &QualifiedName, to: Option<&QualifiedName>) {
        let from = SequenceName { schema: Some(from.schema.clone()), name: from.name.clone() };
        let ids: Vec<TableId> = self.catalog.tables().map(|table| table.id).collect();
        for id in ids {
            let Some(table) = self.catalog.table_mut(id) else { continue };
            for column in table.columns.iter_mut().filter(|column| column.sequence.as_ref() == Some(&from)) {
                match to {
                    Some(to) => {
                        column.sequence =
                            Some(SequenceName { schema: Some(to.schema.clone()), name: to.name.clone() })
                    }
                    None => {
                        column.sequence = None;
                        column.uses_sequence = false;
                    }
                }
            }
        }
    }

    /// Whether a column default draws from the sequence.
    /// Whether the sequence belongs to an identity column.
    fn identity_sequence(&self, key: &QualifiedName) -> bool {
        self.catalog
            .sequences
            .get(key)
            .and_then(|sequence| sequence.owned_by.as_ref())
            .and_then(|(table, column)| self.catalog.table(*table)?.column(column))
            .is_some_and(|column| column.identity)
    }

    fn sequence_in_use(&self, key: &QualifiedName) -> bool {
        let name = SequenceName { schema: Some(key.schema.clone()), name: key.name.clone() };
        self.catalog
            .tables()
            .any(|table| table.columns.iter().any(|column| column.sequence.as_ref() == Some(&name)))
    }

    /// The sequences of schema `from` move to `to` with a schema rename.
    pub(super) fn sequences_follow_schema_rename(&mut self, from: &str, to: &str) {
        let keys: Vec<QualifiedName> =
            self.catalog.sequences.keys().filter(|key| key.schema == from).cloned().collect();
        for key in keys {
            self.move_sequence(&key, to, &key.name);
        }
    }

    /// `DROP SCHEMA` drops its sequences.
    pub(super) fn drop_schema_sequences(&mut self, schema: &str) {
        let keys: Vec<QualifiedName> =
            self.catalog.sequences.keys().filter(|key| key.schema == schema).cloned().collect();
        for key in keys {
            self.remove_sequence(&key);
        }
    }

    pub(super) fn alter_sequence(&mut self, name: &ObjectRef, action: &AlterSequenceAction) {
        let Some(key) = self.resolve_sequence(name) else { return };
        let Some(sequence) = self.catalog.sequences.get(&key) else { return };
        let owned = sequence.owned_by.is_some();
        match action {
            // An owned sequence follows its table: PostgreSQL refuses to give it another
            // owner or schema on its own.
            AlterSequenceAction::OwnerTo(_) | AlterSequenceAction::SetSchema(_) if owned => {}
            AlterSequenceAction::OwnerTo(role) => {
                let owner = self.role(role);
                if let Some(sequence) = self.catalog.sequences.get_mut(&key) {
                    sequence.owner = owner;
                }
            }
            AlterSequenceAction::RenameTo(new_name) => self.move_sequence(&key, &key.schema, new_name),
            AlterSequenceAction::SetSchema(schema) => {
                if self
                    .target_schema(&ObjectRef { schema: Some(schema.clone()), name: key.name.clone() })
                    .is_some()
                {
                    self.move_sequence(&key, schema, &key.name);
                }
            }
            AlterSequenceAction::OwnedBy(None) => {
                if let Some(sequence) = self.catalog.sequences.get_mut(&key) {
                    sequence.owned_by = None;
                }
            }
            AlterSequenceAction::OwnedBy(Some((table, column))) => {
                // The table must have the column, the sequence's schema and its owner.
                let Some(id) = self.resolve_table(table) else { return };
                let Some(table) = self.catalog.table(id) else { return };
                let fits = table.column(column).is_some()
                    && table.schema == key.schema
                    && Some(&table.owner) == self.catalog.sequences.get(&key).map(|s| &s.owner);
                if fits && let Some(sequence) = self.catalog.sequences.get_mut(&key) {
                    sequence.owned_by = Some((id, column.clone()));
                }
            }
            AlterSequenceAction::Other => {}
        }
    }

    /// `ALTER TABLE` naming a sequence: PostgreSQL accepts `RENAME TO`, `OWNER TO` and
    /// `SET SCHEMA` there as on `ALTER SEQUENCE`.
    pub(super) fn alter_sequence_as_table(&mut self, name: &ObjectRef, action: &AlterTableAction) {
        let action = match action {
            AlterTableAction::RenameTo(new_name) => AlterSequenceAction::RenameTo(new_name.clone()),
            AlterTableAction::OwnerTo(role) => AlterSequenceAction::OwnerTo(role.clone()),
            AlterTableAction::SetSchema(schema) => AlterSequenceAction::SetSchema(schema.clone()),
            _ => return,
        };
        self.alter_sequence(name, &action);
    }

    /// `DROP SEQUENCE`: without `CASCADE`, a sequence a column default draws from cannot
    /// be dropped, and the statement fails.
    pub(super) fn drop_sequences(&mut self, names: &[ObjectRef], cascade: bool) {
        let keys: Vec<QualifiedName> = names.iter().filter_map(|name| self.resolve_sequence(name)).collect();
        if !cascade && keys.iter().any(|key| self.sequence_in_use(key)) {
            return;
        }
        // An identity column's sequence goes only with its column, CASCADE or not (2BP01).
        if keys.iter().any(|key| self.identity_sequence(key)) {
            return;
        }
        for key in keys {
            self.remove_sequence(&key);
        }
    }

    /// `GRANT | REVOKE … ON SEQUENCE`: PostgreSQL refuses the statement when a name is
    /// not a sequence or a privilege is not one a sequence has.
    pub(super) fn grant_on_sequences(
        &mut self,
        names: &[ObjectRef],
        change: &PrivilegeChange,
        grantees: &[Grantee],
    ) {
        if !self.sequence_privilege_list_valid(change) {
            return;
        }
        if names
            .iter()
            .any(|name| self.resolve_table(name).is_some() && self.resolve_sequence(name).is_none())
        {
            return;
        }
        let keys: Vec<QualifiedName> = names.iter().filter_map(|name| self.resolve_sequence(name)).collect();
        let privileges = object_privileges(change.privileges, Privileges::ALL_SEQUENCE);
        self.sequence_acl(&keys, change.grant, grantees, privileges);
    }

    /// `ON ALL SEQUENCES IN SCHEMA`: the sequences that exist now.
    pub(super) fn grant_on_all_sequences(
        &mut self,
        schemas: &[String],
        change: &PrivilegeChange,
        grantees: &[Grantee],
    ) {
        if !self.sequence_privilege_list_valid(change) {
            return;
        }
        let keys: Vec<QualifiedName> =
            self.catalog.sequences.keys().filter(|key| schemas.contains(&key.schema)).cloned().collect();
        let privileges = object_privileges(change.privileges, Privileges::ALL_SEQUENCE);
        self.sequence_acl(&keys, change.grant, grantees, privileges);
    }

    fn sequence_privilege_list_valid(&self, change: &PrivilegeChange) -> bool {
        let named = change.privileges.object_level | change.privileges.column_level;
        change.privileges.all || Privileges::ALL_SEQUENCE.contains(named)
    }

    /// `GRANT | REVOKE … ON [TABLE]` naming sequences: PostgreSQL keeps the privileges a
    /// sequence has (`ALL` is all of them) and drops the others with a warning.
    pub(super) fn grant_on_sequences_as_tables(
        &mut self,
        keys: &[QualifiedName],
        change: &PrivilegeChange,
        grantees: &[Grantee],
    ) {
        let privileges = object_privileges(change.privileges, Privileges::ALL_SEQUENCE);
        self.sequence_acl(keys, change.grant, grantees, privileges);
    }

    fn sequence_acl(
        &mut self,
        keys: &[QualifiedName],
        grant: bool,
        grantees: &[Grantee],
        privileges: Privileges,
    ) {
        for key in keys {
            if let Some(sequence) = self.catalog.sequences.get_mut(key) {
                apply(&mut sequence.acl, &sequence.owner, grant, grantees, privileges);
            }
        }
    }
}

/// PostgreSQL's `makeObjectName`: `name1_name2_label`, cutting the longer of the two
/// names first (never inside a character) so that the whole fits in 63 bytes.
fn object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let overhead = label.len() + 1 + usize::from(name2.is_some());
    let available = MAX_IDENTIFIER_BYTES.saturating_sub(overhead);
    let (mut length1, mut length2) = (name1.len(), name2.map_or(0, str::len));
    while length1 + length2 > available {
        if length1 > length2 {
            length1 -= 1;
        } else {
            length2 -= 1;
        }
    }
    let mut name = clip(name1, length1).to_string();
    if let Some(name2) = name2 {
        name.push('_');
        name.push_str(clip(name2, length2));
    }
    name.push('_');
    name.push_str(label);
    name
}

/// The longest prefix of `text` of at most `bytes` bytes that ends on a character.
fn clip(text: &str, bytes: usize) -> &str {
    let mut end = bytes.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}
