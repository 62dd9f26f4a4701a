//! The SARIF 2.1.0 report (being written).

use super::{Sources, Summary};
use crate::rules::Finding;

pub fn render_sarif(findings: &[Finding], sources: &dyn Sources, summary: Summary) -> String {
    let _ = (findings, sources, summary);
    String::new()
}
