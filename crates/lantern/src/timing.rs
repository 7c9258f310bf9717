//! `lantern time-use-case` (hidden): runs the `answer` or `request draft`
//! use case several times in this one process and prints how long each run
//! took, for `bench/answer`'s in-process figures.
//!
//! Each run does what the command does once: it makes the reads the command
//! makes before it (whether a recomputation is owed) and calls the same
//! `lantern_app` use case, whose result is thrown away. As under `lantern
//! serve`, the store is a connection borrowed from a pool of the server's
//! kind (so a run finds the connection, SQLite's schema and its prepared
//! statements as a server's request finds them) rather than the database
//! opened anew. Nothing the use case decides is kept between runs; the only
//! other things a run can find ready are those a long-running server keeps
//! too (the catalogue parsed from the same stored text, the related
//! requests parsed from the same case text), so the figure is the use
//! case's cost as `lantern serve` pays it, without the process start.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, Result};
use clap::ValueEnum;
use lantern_app::casework;

use crate::app::Ctx;
use crate::render::Format;

/// Which use case to time.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum UseCase {
    /// `lantern answer REQUEST --format json`.
    Answer,
    /// `lantern request draft REFERENCE`.
    Draft,
}

/// Run `use_case` on `target` (a request file, or a case's reference)
/// `warm_up + runs` times and print one line of JSON: the wall time of each
/// measured run in milliseconds.
pub fn run(ctx: &Ctx, use_case: UseCase, target: &str, runs: usize, warm_up: usize) -> Result<()> {
    let request = match use_case {
        UseCase::Answer => {
            let path = PathBuf::from(target);
            Some(
                std::fs::read_to_string(&path)
                    .with_context(|| format!("reading the request {}", path.display()))?,
            )
        }
        UseCase::Draft => None,
    };
    // A pool as `lantern serve` keeps one (its own options), opened once,
    // holding an idle connection as a server's does once it has served a
    // request (`Context::open` borrows only an idle one).
    let pool = lantern_app::pool::StorePool::open(
        &ctx.database,
        ctx.config.migrate_on_open,
        &lantern_app::pool::PoolOptions::default(),
    )?;
    drop(pool.get()?);
    let ctx = &ctx.clone().with_pool(std::sync::Arc::new(pool));
    let mut times = Vec::with_capacity(runs);
    for i in 0..warm_up + runs {
        let start = Instant::now();
        match (&request, use_case) {
            (Some(text), UseCase::Answer) => {
                crate::records::warn_when_reading(ctx)?;
                let store = ctx.open()?;
                let answer = lantern_app::answering::answer(
                    ctx,
                    store.as_ref(),
                    target,
                    text,
                    Format::Json,
                    None,
                )?;
                std::hint::black_box(answer.letter);
            }
            _ => {
                crate::records::settle_before_writing(ctx)?;
                let drafted = casework::draft(ctx, target)?;
                std::hint::black_box(drafted.data_version);
            }
        }
        if i >= warm_up {
            times.push(start.elapsed().as_secs_f64() * 1000.0);
        }
    }
    crate::out!(
        "{}",
        serde_json::json!({ "use_case": format!("{use_case:?}").to_lowercase(), "times_ms": times })
    );
    Ok(())
}
