//! Which findings belong to the statements that touched an object: the rule that lets a
//! suppression comment cover a finding about the table its statement creates, and lets
//! changed-files mode report findings about objects the chosen files create or alter.
//!
//! `touches_object` says it for one pair; `TouchIndex` answers it for a whole set of
//! touches in constant time per finding, so a filter over tens of thousands of findings
//! and hundreds of thousands of touches stays linear. Both read the same keys, so they
//! cannot disagree.

use std::collections::HashMap;

use crate::replay::{Touch, Touched};
use crate::rules::{Object, ObjectKind};

/// Whether a statement's `touched` object is the finding's object.
pub fn touches_object(touched: &Touched, object: &Object) -> bool {
    let touched = Key::of(touched);
    finding_keys(object).any(|key| key == touched)
}

/// The objects a set of touches reached, for lookups by finding.
#[derive(Default)]
pub struct TouchIndex<'a> {
    /// Each object reached, with the touches that reached it.
    by_key: HashMap<Key<'a>, Vec<&'a Touch>>,
}

impl<'a> TouchIndex<'a> {
    pub fn new(touches: impl IntoIterator<Item = &'a Touch>) -> TouchIndex<'a> {
        let mut by_key: HashMap<Key<'a>, Vec<&'a Touch>> = HashMap::new();
        for touch in touches {
            by_key.entry(Key::of(&touch.object)).or_default().push(touch);
        }
        TouchIndex { by_key }
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Whether one of the touches is the finding's object (`touches_object` for any).
    pub fn covers(&self, object: &Object) -> bool {
        !self.by_key.is_empty() && finding_keys(object).any(|key| self.by_key.contains_key(&key))
    }

    /// The touches that reached the finding's object (`touches_object` for each).
    pub fn touching<'s>(&'s self, object: &'s Object) -> impl Iterator<Item = &'a Touch> + 's {
        finding_keys(object).flat_map(|key| self.by_key.get(&key).into_iter().flatten().copied())
    }
}

/// What a touch reached, as a finding's object is matched against it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Key<'a> {
    /// A table, view or materialized view; policy findings match their table.
    Relation {
        schema: &'a str,
        name: &'a str,
    },
    /// `None`: every schema (`ALTER DEFAULT PRIVILEGES` without `IN SCHEMA`).
    Schema(Option<&'a str>),
    Database(&'a str),
    Function {
        schema: &'a str,
        name: &'a str,
        args: &'a str,
    },
    Sequence {
        schema: &'a str,
        name: &'a str,
    },
}

impl<'a> Key<'a> {
    fn of(touched: &'a Touched) -> Key<'a> {
        match touched {
            Touched::Table { schema, name } => Key::Relation { schema, name },
            Touched::Schema(schema) => Key::Schema(schema.as_deref()),
            Touched::Database(name) => Key::Database(name),
            Touched::Function { schema, name, args } => Key::Function { schema, name, args },
            Touched::Sequence { schema, name } => Key::Sequence { schema, name },
        }
    }
}

/// The keys a touch must have for the finding to belong to its statement (at most two).
fn finding_keys(object: &Object) -> impl Iterator<Item = Key<'_>> {
    let schema = object.schema.as_deref();
    let name = object.name.as_str();
    let (first, second) = match object.kind {
        ObjectKind::Table | ObjectKind::View | ObjectKind::MaterializedView => {
            (schema.map(|schema| Key::Relation { schema, name }), None)
        }
        ObjectKind::Policy => {
            (schema.zip(object.table.as_deref()).map(|(schema, name)| Key::Relation { schema, name }), None)
        }
        ObjectKind::Schema => (Some(Key::Schema(Some(name))), Some(Key::Schema(None))),
        ObjectKind::Database => (Some(Key::Database(name)), None),
        ObjectKind::Function => (
            schema.zip(object.args.as_deref()).map(|(schema, args)| Key::Function { schema, name, args }),
            None,
        ),
        ObjectKind::Sequence => (schema.map(|schema| Key::Sequence { schema, name }), None),
        _ => (None, None),
    };
    first.into_iter().chain(second)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::FileId;

    fn object(kind: ObjectKind, schema: Option<&str>, name: &str) -> Object {
        Object { kind, schema: schema.map(str::to_string), name: name.to_string(), table: None, args: None }
    }

    fn table(schema: &str, name: &str) -> Touched {
        Touched::Table { schema: schema.into(), name: name.into() }
    }

    #[test]
    fn sequence_touches_match_sequence_findings_only() {
        let touched = Touched::Sequence { schema: "public".into(), name: "t_id_seq".into() };
        assert!(touches_object(&touched, &object(ObjectKind::Sequence, Some("public"), "t_id_seq")));
        assert!(!touches_object(&touched, &object(ObjectKind::Sequence, Some("public"), "other_seq")));
        assert!(!touches_object(&touched, &object(ObjectKind::Table, Some("public"), "t_id_seq")));
    }

    #[test]
    fn function_touches_match_by_schema_name_and_arguments() {
        let touched = Touched::Function { schema: "public".into(), name: "f".into(), args: "integer".into() };
        let function = |args: &str| Object {
            args: Some(args.to_string()),
            ..object(ObjectKind::Function, Some("public"), "f")
        };
        assert!(touches_object(&touched, &function("integer")));
        assert!(!touches_object(&touched, &function("integer, text")), "an overload is another function");
        assert!(!touches_object(&touched, &Object::schema("public")));
    }

    #[test]
    fn policy_findings_belong_to_their_table() {
        let policy =
            Object { table: Some("todos".into()), ..object(ObjectKind::Policy, Some("public"), "own") };
        assert!(touches_object(&table("public", "todos"), &policy));
        assert!(!touches_object(&table("public", "own"), &policy));
        assert!(!touches_object(&table("api", "todos"), &policy));
    }

    #[test]
    fn default_privileges_without_a_schema_touch_every_schema() {
        assert!(touches_object(&Touched::Schema(None), &Object::schema("api")));
        assert!(touches_object(&Touched::Schema(Some("api".into())), &Object::schema("api")));
        assert!(!touches_object(&Touched::Schema(Some("public".into())), &Object::schema("api")));
    }

    /// The index must answer exactly as `touches_object` over every touch does.
    #[test]
    fn the_index_agrees_with_the_pairwise_test() {
        let touched = [
            table("public", "todos"),
            Touched::Schema(Some("api".into())),
            Touched::Database("app".into()),
            Touched::Function { schema: "public".into(), name: "f".into(), args: "".into() },
            Touched::Sequence { schema: "public".into(), name: "s".into() },
        ];
        let touches: Vec<Touch> = touched
            .iter()
            .map(|object| Touch { file: FileId(0), statement_start: 0, object: object.clone() })
            .collect();
        let mut objects = Vec::new();
        for kind in [
            ObjectKind::Table,
            ObjectKind::View,
            ObjectKind::MaterializedView,
            ObjectKind::Policy,
            ObjectKind::Schema,
            ObjectKind::Database,
            ObjectKind::Function,
            ObjectKind::Sequence,
            ObjectKind::Statement,
        ] {
            for schema in [None, Some("public"), Some("api")] {
                for name in ["todos", "api", "public", "app", "f", "s", ""] {
                    let base = object(kind, schema, name);
                    objects.push(base.clone());
                    objects.push(Object { table: Some("todos".into()), ..base.clone() });
                    objects.push(Object { args: Some(String::new()), ..base });
                }
            }
        }
        for subset in 0..(1 << touches.len()) {
            let chosen: Vec<&Touch> =
                touches.iter().enumerate().filter(|(i, _)| subset & (1 << i) != 0).map(|(_, t)| t).collect();
            let index = TouchIndex::new(chosen.iter().copied());
            let mut matched = 0;
            for object in &objects {
                let expected = chosen.iter().any(|touch| touches_object(&touch.object, object));
                assert_eq!(index.covers(object), expected, "{object:?} with touches {subset:#b}");
                matched += usize::from(expected);
            }
            if subset != 0 {
                assert!(matched > 0, "every touch kind matches some finding object");
            }
        }
    }
}
