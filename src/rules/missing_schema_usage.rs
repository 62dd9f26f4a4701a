//! NL007 missing-schema-usage: an API role lacks USAGE on an exposed schema, so every
//! request into it fails with "permission denied for schema". `public` gives USAGE to
//! `PUBLIC` by default; a schema the migrations create gives it to nobody. Schemas the
//! migrations only name (made outside them) are skipped: their grants are unknown.

use super::{Applicability, Finding, Fix, Object, Phase, Settings};
use crate::model::{Catalog, Privileges};
use crate::sql::quote_ident;

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let mut findings = Vec::new();
    for name in &settings.exposed_schemas {
        let Some(schema) = catalog.schemas.get(name).filter(|schema| !schema.assumed) else { continue };
        for role in settings.api_roles.iter().filter(|role| catalog.role_exists(role)) {
            if catalog.schema_privileges(schema, role).contains(Privileges::USAGE) {
                continue;
            }
            let message = format!(
                "`{role}` lacks USAGE on exposed schema `{name}`: every Data API request into it fails with \
                 \"permission denied for schema {name}\""
            );
            let help = format!("grant USAGE on schema `{name}` to `{role}`");
            let sql = format!("GRANT USAGE ON SCHEMA {} TO {};", quote_ident(name), quote_ident(role));
            let label = format!("`{role}` never gets USAGE on this schema");
            findings.push(
                Finding::new("NL007", Object::schema(name), message, help, schema.origin)
                    .with_label(label)
                    .with_fix(Fix::new(sql, Applicability::Safe, Phase::Grant)),
            );
        }
    }
    findings
}
