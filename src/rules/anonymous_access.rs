//! NL015 anonymous-access: the anonymous role (requests without a token) can INSERT,
//! UPDATE or DELETE on an exposed table or view, or SELECT from a table whose row-level
//! security is off, directly or through `PUBLIC` or a role it inherits from. A SELECT
//! grant on a table with RLS on is how a deliberate public read works (its policies
//! decide the rows), so it is not reported; nor is a write on such a table that no policy
//! lets through, or one a policy names the anonymous role for (a sign-up or contact
//! form); reads through views are NL011's. Writes
//! through a simple view without `security_invoker` reach its table with the view
//! owner's rights.

use super::corrective;
use super::{Applicability, Finding, Fix, Object, Phase, Settings};
use crate::model::{Catalog, Grantee, Privileges, Table, TableKind};
use crate::sql::quote_ident;

pub fn check(catalog: &Catalog, settings: &Settings) -> Vec<Finding> {
    let role = settings.anonymous_role.as_str();
    if !catalog.role_exists(role) {
        return Vec::new();
    }
    settings
        .relations(catalog)
        // A `security_invoker` view writes with the caller's rights: the table's own
        // grants decide, and they are checked here as a table.
        .filter(|table| table.kind.has_rows() || (table.kind == TableKind::View && !table.security_invoker))
        .filter(|table| settings.is_exposed(&table.schema))
        .filter_map(|table| finding(catalog, settings, table, role))
        .collect()
}

/// The privileges `role` (the anonymous role) holds on `table` that NL015 reports: writes,
/// and reads where row-level security is off; with it on, not the writes that no policy
/// lets through or that a policy names the role for.
pub fn risky_privileges(catalog: &Catalog, table: &Table, role: &str) -> Privileges {
    let (table_level, column_level) = catalog.table_privileges(table, role);
    let held = table_level | column_level;
    let mut risky = held & (Privileges::INSERT | Privileges::UPDATE | Privileges::DELETE);
    if table.kind.has_rows() && !table.rls_enabled {
        risky |= held & Privileges::SELECT;
    }
    if table.kind.has_rows() && table.rls_enabled {
        risky = risky.without(deliberate_or_blocked_writes(catalog, table, role));
    }
    risky
}

fn finding(catalog: &Catalog, settings: &Settings, table: &Table, role: &str) -> Option<Finding> {
    let risky = risky_privileges(catalog, table, role);
    if risky.is_empty() {
        return None;
    }
    let name = table.qualified_name();
    let reads = risky.contains(Privileges::SELECT);
    let writes = risky.without(Privileges::SELECT);
    let what = match (reads, writes.is_empty()) {
        (true, true) => format!("read every row of `{name}` (row-level security is off)"),
        (true, false) => {
            format!("read every row of `{name}` (row-level security is off) and use {writes} on it")
        }
        (false, _) if table.kind == TableKind::View => format!(
            "use {writes} on view `{name}`, which writes to the table under it with the view owner's rights"
        ),
        (false, _) => format!("use {writes} on `{name}`"),
    };
    let message = format!(
        "`{role}`, the role of requests without a token, can {what}: anyone who finds the API can use it"
    );
    let help = format!(
        "revoke {risky} on `{name}` from `{role}` (and from PUBLIC or the role it gets them through); grant \
         anonymous requests SELECT only, on tables with row-level security and a `TO {role}` policy"
    );
    let mut finding = Finding::new("NL015", Object::table(table), message, help, table.origin)
        .with_label(format!("`{role}` gets {risky} here"));
    // A revoke cannot take away what the role holds as (a member of) the owner.
    if let Some(from) =
        super::revoke_from(catalog, &table.owner, &[&table.acl, &table.column_acl], &[role], risky)
    {
        let mut sql = format!(
            "REVOKE {risky} ON TABLE {} FROM {};",
            corrective::table_name(table),
            corrective::grantees(&from)
        );
        for (api_role, privileges) in regrants(catalog, settings, table, &from, risky) {
            sql.push_str(&format!(
                "\n{}\nGRANT {privileges} ON TABLE {} TO {};",
                corrective::comment(&format!(
                    "`{api_role}` held {privileges} through the same grant and its policies need it."
                )),
                corrective::table_name(table),
                quote_ident(api_role)
            ));
        }
        finding = finding.with_fix(Fix::new(sql, Applicability::Review, Phase::Revoke));
    }
    Some(finding)
}

/// With row-level security on, the write privileges of `role` that are no risk: those
/// whose command no policy lets through for it (the write fails), and those a permissive
/// policy names the role for by name (`FOR INSERT TO anonymous WITH CHECK (…)`: a sign-up
/// or contact form, open to requests without a token on purpose; NL010 reports such a
/// policy when it lets them change or delete every row).
fn deliberate_or_blocked_writes(catalog: &Catalog, table: &Table, role: &str) -> Privileges {
    let (usable, _) = super::usable::usable(catalog, table, role);
    let deliberate = super::usable::named_commands(table, role);
    (!usable | deliberate) & (Privileges::INSERT | Privileges::UPDATE | Privileges::DELETE)
}

/// What each API role loses by revoking `risky` from `from` (`PUBLIC`, a group role)
/// and still needs for its policies: the fix grants it back to the role itself.
fn regrants<'a>(
    catalog: &Catalog,
    settings: &'a Settings,
    table: &Table,
    from: &[Grantee],
    risky: Privileges,
) -> Vec<(&'a str, Privileges)> {
    let mut regrants = Vec::new();
    for api_role in
        settings.api_roles.iter().filter(|r| **r != settings.anonymous_role && catalog.role_exists(r))
    {
        if catalog.acts_as(api_role, &table.owner) {
            continue;
        }
        let grantees = catalog.effective_grantees(api_role);
        let (lost, kept) = table.acl.iter().filter(|(grantee, _)| grantees.contains(grantee)).fold(
            (Privileges::NONE, Privileges::NONE),
            |(lost, kept), (grantee, held)| {
                if from.contains(grantee) {
                    (lost | (held & risky), kept | held.without(risky))
                } else {
                    (lost, kept | held)
                }
            },
        );
        let (needed, _) = super::needed_privileges(catalog, table, api_role);
        let back = (lost & needed).without(kept);
        if !back.is_empty() {
            regrants.push((api_role.as_str(), back));
        }
    }
    regrants
}
