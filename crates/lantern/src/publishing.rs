//! `lantern publish` and `lantern publication`: publishing an indicator's
//! figures for the public (a release, under disclosure control against
//! everything released before) and the publication calendar. The rules are
//! `lantern_app::publishing`'s; this prints what it did.

use anyhow::Result;
use clap::Subcommand;
use lantern_app::Context as Ctx;
use lantern_app::publishing::{self, Plan, Publish};

use crate::out;

/// What `lantern publication` does.
#[derive(Debug, Subcommand)]
pub enum PublicationCommand {
    /// Add a planned publication to the calendar the public sees
    /// (`/publications`): a planned day that passes unpublished shows as late.
    Plan {
        /// The indicator's code, e.g. people_in_treatment.
        indicator: String,
        /// The financial year it will publish (e.g. 2024/25).
        #[arg(long, value_name = "FY")]
        period: String,
        /// The day it is planned for.
        #[arg(long, value_name = "YYYY-MM-DD")]
        on: String,
    },
    /// The publication calendar: planned, published and late.
    Calendar {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `lantern publish`.
pub fn publish(ctx: &Ctx, asked: &Publish, json: bool) -> Result<()> {
    let published = publishing::publish(ctx, asked)?;
    if json {
        out!("{}", serde_json::to_string_pretty(&published)?);
        return Ok(());
    }
    out!(
        "Published {} ({}): {} figures, {} shown, {} as \"fewer than\", {} withheld so that small numbers cannot be worked out. They are in the disclosure log; later answers are checked against them.",
        published.reference,
        published.title,
        published.cells,
        published.given,
        published.fewer_than,
        published.withheld
    );
    for w in &published.warnings {
        out!("warning: {w}");
    }
    Ok(())
}

/// `lantern publication …`.
pub fn run(ctx: &Ctx, command: PublicationCommand) -> Result<()> {
    match command {
        PublicationCommand::Plan {
            indicator,
            period,
            on,
        } => {
            publishing::plan(
                ctx,
                &Plan {
                    indicator: indicator.clone(),
                    period: period.clone(),
                    on: on.clone(),
                },
            )?;
            out!(
                "Planned: {indicator} for {period} on {on} (by {}).",
                ctx.actor
            );
        }
        PublicationCommand::Calendar { json } => {
            let store = ctx.open()?;
            let today = ctx.today(store.as_ref())?;
            let calendar = publishing::calendar(store.as_ref(), today)?;
            if json {
                out!("{}", serde_json::to_string_pretty(&calendar)?);
            } else if calendar.is_empty() {
                out!("No publications are planned.");
            } else {
                for p in &calendar {
                    let published = p
                        .published_on
                        .as_ref()
                        .map(|d| format!(" on {d}"))
                        .unwrap_or_default();
                    out!(
                        "{}  {}, {}: {}{published}",
                        p.planned_on,
                        p.indicator_name,
                        p.period,
                        p.status
                    );
                }
            }
        }
    }
    Ok(())
}
