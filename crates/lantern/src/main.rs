//! `lantern`: the one binary. Parses the command line, runs the command and
//! turns any error into a message on standard error and an exit code:
//! 0 success, 1 failure (bad input, missing database, …), 2 usage error,
//! 3 a reading command ran while the figures from providers' records were
//! being brought up to date (what it printed may be out of date).

use clap::Parser;
use std::process::ExitCode;

// mimalloc rather than the system's malloc: the use cases build and drop
// many small rows, strings and vectors, and with glibc's allocator about a
// fifth of a draft's instructions were malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = lantern::app::Cli::parse();
    let code = match lantern::app::run(cli) {
        Ok(()) if lantern::records::figures_were_owed() => {
            ExitCode::from(lantern::records::FIGURES_OWED_EXIT)
        }
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if lantern::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    };
    // Warnings come after the outcome: a failure's message is said first.
    for warning in lantern::app::warnings() {
        eprintln!("warning: {warning}");
    }
    code
}
