//! Privilege sets and access control lists, as PostgreSQL's `aclitem` would hold them
//! (without grant options and grantors, which no rule reads).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::{BitAnd, BitOr, BitOrAssign, Not};

/// A set of privileges on one object.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Privileges(u16);

impl Privileges {
    pub const NONE: Privileges = Privileges(0);
    pub const SELECT: Privileges = Privileges(1);
    pub const INSERT: Privileges = Privileges(1 << 1);
    pub const UPDATE: Privileges = Privileges(1 << 2);
    pub const DELETE: Privileges = Privileges(1 << 3);
    pub const TRUNCATE: Privileges = Privileges(1 << 4);
    pub const REFERENCES: Privileges = Privileges(1 << 5);
    pub const TRIGGER: Privileges = Privileges(1 << 6);
    pub const MAINTAIN: Privileges = Privileges(1 << 7);
    pub const USAGE: Privileges = Privileges(1 << 8);
    pub const CREATE: Privileges = Privileges(1 << 9);
    pub const CONNECT: Privileges = Privileges(1 << 10);
    pub const TEMPORARY: Privileges = Privileges(1 << 11);
    pub const EXECUTE: Privileges = Privileges(1 << 12);

    /// What the Data API needs for reads and writes.
    pub const DML: Privileges = Privileges(0b1111);
    /// `ALL` on a table. MAINTAIN (PostgreSQL 17) is included: granting it is harmless
    /// and the model never asks for it.
    pub const ALL_TABLE: Privileges = Privileges(0b1111_1111);
    /// `ALL` on a database.
    pub const ALL_DATABASE: Privileges = Privileges((1 << 9) | (1 << 10) | (1 << 11));
    /// `ALL` on a sequence.
    pub const ALL_SEQUENCE: Privileges = Privileges((1 << 8) | 1 | (1 << 2));
    /// `ALL` on a schema.
    pub const ALL_SCHEMA: Privileges = Privileges((1 << 8) | (1 << 9));

    const NAMES: [(Privileges, &'static str); 13] = [
        (Privileges::SELECT, "SELECT"),
        (Privileges::INSERT, "INSERT"),
        (Privileges::UPDATE, "UPDATE"),
        (Privileges::DELETE, "DELETE"),
        (Privileges::TRUNCATE, "TRUNCATE"),
        (Privileges::REFERENCES, "REFERENCES"),
        (Privileges::TRIGGER, "TRIGGER"),
        (Privileges::MAINTAIN, "MAINTAIN"),
        (Privileges::USAGE, "USAGE"),
        (Privileges::CREATE, "CREATE"),
        (Privileges::CONNECT, "CONNECT"),
        (Privileges::TEMPORARY, "TEMPORARY"),
        (Privileges::EXECUTE, "EXECUTE"),
    ];

    pub fn contains(self, other: Privileges) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn without(self, other: Privileges) -> Privileges {
        Privileges(self.0 & !other.0)
    }

    /// The privilege named by a SQL keyword (`TEMP` and `TEMPORARY` are one).
    pub fn from_keyword(word: &str) -> Option<Privileges> {
        let upper = word.to_ascii_uppercase();
        if upper == "TEMP" {
            return Some(Privileges::TEMPORARY);
        }
        Privileges::NAMES.iter().find(|(_, name)| *name == upper).map(|(p, _)| *p)
    }

    /// Keywords in a fixed order, for messages and SQL.
    pub fn names(self) -> Vec<&'static str> {
        Privileges::NAMES.iter().filter(|(p, _)| self.contains(*p)).map(|(_, name)| *name).collect()
    }
}

impl BitOr for Privileges {
    type Output = Privileges;
    fn bitor(self, rhs: Privileges) -> Privileges {
        Privileges(self.0 | rhs.0)
    }
}

impl BitOrAssign for Privileges {
    fn bitor_assign(&mut self, rhs: Privileges) {
        self.0 |= rhs.0;
    }
}

impl BitAnd for Privileges {
    type Output = Privileges;
    fn bitand(self, rhs: Privileges) -> Privileges {
        Privileges(self.0 & rhs.0)
    }
}

impl Not for Privileges {
    type Output = Privileges;
    fn not(self) -> Privileges {
        Privileges(!self.0)
    }
}

impl fmt::Display for Privileges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(", "))
    }
}

/// Who a privilege or policy is for.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum Grantee {
    /// Every role, present and future.
    Public,
    Role(String),
}

impl fmt::Display for Grantee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grantee::Public => f.write_str("PUBLIC"),
            Grantee::Role(name) => f.write_str(name),
        }
    }
}

/// Privileges per grantee on one object.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Acl(BTreeMap<Grantee, Privileges>);

impl Acl {
    pub fn grant(&mut self, grantee: Grantee, privileges: Privileges) {
        *self.0.entry(grantee).or_default() |= privileges;
    }

    pub fn revoke(&mut self, grantee: &Grantee, privileges: Privileges) {
        if let Some(held) = self.0.get_mut(grantee) {
            *held = held.without(privileges);
            if held.is_empty() {
                self.0.remove(grantee);
            }
        }
    }

    pub fn get(&self, grantee: &Grantee) -> Privileges {
        self.0.get(grantee).copied().unwrap_or_default()
    }

    /// The union of what any of `grantees` holds.
    pub fn union_for(&self, grantees: &BTreeSet<Grantee>) -> Privileges {
        self.0
            .iter()
            .filter(|(grantee, _)| grantees.contains(*grantee))
            .fold(Privileges::NONE, |acc, (_, privileges)| acc | *privileges)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Grantee, Privileges)> {
        self.0.iter().map(|(grantee, privileges)| (grantee, *privileges))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoke_removes_only_what_is_named() {
        let mut acl = Acl::default();
        acl.grant(Grantee::Role("authenticated".into()), Privileges::DML);
        acl.revoke(&Grantee::Role("authenticated".into()), Privileges::DELETE);
        assert_eq!(
            acl.get(&Grantee::Role("authenticated".into())),
            Privileges::SELECT | Privileges::INSERT | Privileges::UPDATE
        );
        acl.revoke(&Grantee::Role("authenticated".into()), Privileges::ALL_TABLE);
        assert!(acl.is_empty());
    }

    #[test]
    fn keywords_round_trip() {
        assert_eq!(Privileges::from_keyword("temp"), Some(Privileges::TEMPORARY));
        assert_eq!(Privileges::from_keyword("Select"), Some(Privileges::SELECT));
        assert_eq!(Privileges::from_keyword("nope"), None);
        assert_eq!((Privileges::DELETE | Privileges::SELECT).to_string(), "SELECT, DELETE");
    }
}
