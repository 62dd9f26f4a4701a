//! NL021 unknown-role: a migration names one of Supabase's own roles (`anon`,
//! `service_role`, `supabase_admin`, …; `model::SUPABASE_ROLES`) in a grant, a revoke, a
//! policy's `TO`, `SET ROLE`, `ALTER DEFAULT PRIVILEGES`, an owner or a membership, before any
//! migration creates it. Neon has none of them, so the statement fails with
//! 'role "anon" does not exist', and the migration with it. One finding per role, at the first
//! statement; roles in `known_roles` (made outside the migrations) and configured API roles
//! are not reported. Other roles no migration creates are not reported either: they may be
//! made in the Console, which migration files cannot show.

use std::collections::BTreeMap;

use super::{Finding, Object, Settings};
use crate::model::{Catalog, Span};

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let provided = settings.request_roles();
    let mut uses: BTreeMap<&str, Vec<Span>> = BTreeMap::new();
    for (role, span) in &catalog.supabase_role_uses {
        if provided.contains(&role.as_str()) || settings.known_roles.contains(role) {
            continue;
        }
        uses.entry(role.as_str()).or_default().push(*span);
    }
    uses.into_iter().map(|(role, spans)| finding(role, &spans)).collect()
}

fn finding(role: &str, spans: &[Span]) -> Finding {
    let others = match spans.len() - 1 {
        0 => String::new(),
        1 => " (1 more statement names it)".to_string(),
        more => format!(" ({more} more statements name it)"),
    };
    let message = format!(
        "role `{role}` is Supabase's, and a Neon database does not have it: no migration creates it \
         before this statement, so it fails with `role \"{role}\" does not exist` and the migration \
         with it{others}"
    );
    let instead = match role {
        "anon" => "Neon's Data API runs requests without a token as `anonymous`: grant to it instead",
        "service_role" => {
            "Neon has no role that bypasses row-level security for the API: a backend connects as the \
             table owner (or a role you create) instead"
        }
        _ => "drop the statement if it only serves Supabase's own services",
    };
    let help = format!(
        "{instead}; or create the role in an earlier migration (`CREATE ROLE {role} NOLOGIN;`); if your \
         database has it already (made in the Console or by hand), list it in `known_roles` in neonlint.toml"
    );
    Finding::new("NL021", Object::role(role), message, help, Some(spans[0]))
        .with_label(format!("role `{role}` does not exist on Neon"))
}
