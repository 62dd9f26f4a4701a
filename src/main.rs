//! The `neonlint` binary: parse arguments, run, print a tool error once, exit.

use std::process::ExitCode;

fn main() -> ExitCode {
    match neonlint::cli::run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("neonlint: {error}");
            ExitCode::from(2)
        }
    }
}
