//! neonlint: finds what makes a PostgreSQL database unsafe or broken behind Neon's Data
//! API, in migration files and in live databases, and writes the SQL that fixes it.
//!
//! The pipeline (see ARCHITECTURE.md): `source` → `sql` → `replay` → `model::Catalog` →
//! `rules` → `report` / `fix`. `check` runs it for migration files; the binary in
//! `main.rs` only calls `cli::run`.

pub mod baseline;
pub mod cache;
pub mod calendar;
pub mod check;
pub mod cli;
pub mod config;
pub mod fix;
pub mod input;
pub mod introspect;
pub mod jwt;
pub mod model;
pub mod placeholders;
pub mod policy_expr;
pub mod replay;
pub mod report;
pub mod rules;
pub mod source;
pub mod sql;
pub mod suppress;
pub mod text;
pub mod touches;
