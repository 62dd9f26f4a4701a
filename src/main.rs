//! The `neonlint` binary: parse arguments, run, print a tool error once, exit.

use std::process::ExitCode;

// mimalloc rather than the system allocator: a changed-files run restores a replay state of
// tens of thousands of small allocations, and takes about half as long with it (issue 17).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    match neonlint::cli::run() {
        Ok(code) => code,
        Err(error) => {
            eprintln!("neonlint: {error}");
            ExitCode::from(2)
        }
    }
}
