//! Runs the labelled corpus of real requests through intake and scores the
//! understanding against the labels. `bench/understanding` runs this; see
//! `tests/corpus/README.md` and `docs/understanding.md`.
//!
//! ```text
//! understanding [--heldout] [--heldout-lines] [DIR]
//! ```
//!
//! Prints one line per scored question of the tuning part, then the summary
//! of the tuning part. With `--heldout`, also the summary of the quarter kept
//! aside (seen) and, last, of the fresh held-out set not yet seen (`heldout
//! = "fresh6"`; the earlier fresh sets, `"fresh, seen"` to `"fresh5, seen"`,
//! are tuning data); with
//! `--heldout-lines`, the lines
//! of both too.

#[path = "../tests/understanding/score.rs"]
mod score;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut heldout = false;
    let mut heldout_lines = false;
    let mut dir: Option<PathBuf> = None;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--heldout" => heldout = true,
            "--heldout-lines" => {
                heldout = true;
                heldout_lines = true;
            }
            "-h" | "--help" => {
                println!("usage: understanding [--heldout] [--heldout-lines] [DIR]");
                return ExitCode::SUCCESS;
            }
            other if other.starts_with('-') => {
                eprintln!("understanding: unknown option {other}; try --help");
                return ExitCode::from(2);
            }
            other => dir = Some(PathBuf::from(other)),
        }
    }
    let dir = dir.unwrap_or_else(score::corpus_dir);
    let scored = match score::score_corpus(&dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("understanding: {e}");
            return ExitCode::FAILURE;
        }
    };
    let (fresh, rest): (Vec<_>, Vec<_>) = scored.iter().partition(|s| s.fresh);
    let (held, tuning): (Vec<_>, Vec<_>) = rest.into_iter().partition(|s| s.heldout);
    for s in &tuning {
        println!("{}", s.line());
    }
    if heldout_lines {
        for s in held.iter().chain(&fresh) {
            println!("{}", s.line());
        }
    }
    println!(
        "{}",
        score::Summary::of(tuning.iter().copied()).line("tuning")
    );
    if heldout {
        println!(
            "{}",
            score::Summary::of(held.iter().copied()).line("held out")
        );
        // No fresh set yet: say so rather than print percentages of nothing.
        if fresh.is_empty() {
            println!(
                "understanding (held out, {}): no requests in this set yet",
                score::FRESH
            );
        } else {
            println!(
                "{}",
                score::Summary::of(fresh.iter().copied())
                    .line(&format!("held out, {}", score::FRESH))
            );
        }
    }
    ExitCode::SUCCESS
}
