//! `lantern report timeliness|outcomes`: the casework figures councils
//! publish, printed as a text table, CSV or JSON. The use cases
//! (`lantern_app::reports`) gather each case's facts and count them; this
//! module holds the command's options and the printing.

use anyhow::Result;
use clap::ValueEnum;
use jiff::civil::Date;
use lantern_app::reports::{
    self, Grouping, Outcome, OutcomeRow, REVIEW_OUTCOMES, ReportAsked, Timeliness, TimelinessRow,
    exemption_codes,
};

use crate::app::Ctx;
use crate::out;

/// Kept for `lantern serve`, which reads the reports through these.
use lantern_app::reports::{outcomes_json, timeliness_json};

/// Which report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportKind {
    /// Requests received, answered within 20 working days, within an extension, late.
    Timeliness,
    /// Outcomes of sent answers, exemptions used, internal reviews.
    Outcomes,
}

/// How to group requests by the day they were received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum By {
    /// Calendar months (2019-06).
    Month,
    /// Financial-year quarters (Q1 2019/20).
    Quarter,
}

/// Options of `lantern report`.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Grouping.
    pub by: By,
    /// Only requests received on or after this day.
    pub from: Option<Date>,
    /// Only requests received on or before this day.
    pub to: Option<Date>,
    /// Count "overdue" as of this day (`--today`, an alias of `--as-of`;
    /// default: the `--as-of` day, else today in the council's time zone).
    pub today: Option<Date>,
    /// Print CSV.
    pub csv: bool,
    /// Print JSON.
    pub json: bool,
}

/// Run `lantern report`.
pub fn run(ctx: &Ctx, kind: ReportKind, options: &ReportOptions) -> Result<()> {
    let asked = ReportAsked {
        grouping: match options.by {
            By::Month => Grouping::Month,
            By::Quarter => Grouping::Quarter,
        },
        from: options.from,
        to: options.to,
    };
    match kind {
        ReportKind::Timeliness => {
            let report = reports::timeliness(ctx, &asked, options.today)?;
            print_timeliness(&report.rows, report.as_of, options)
        }
        ReportKind::Outcomes => {
            let rows = reports::outcomes(ctx, &asked)?;
            print_outcomes(&rows, options)
        }
    }
}

fn percent(share: Option<(usize, usize)>) -> String {
    share.map_or_else(String::new, |(n, d)| {
        format!("{:.1}", 100.0 * n as f64 / d as f64)
    })
}

fn print_timeliness(rows: &[TimelinessRow], as_of: Date, options: &ReportOptions) -> Result<()> {
    if options.json {
        out!("{}", serde_json::to_string_pretty(&timeliness_json(rows))?);
        return Ok(());
    }
    if options.csv {
        let mut header = vec!["group", "received"];
        header.extend(Timeliness::ALL.iter().map(|k| k.code()));
        header.push("timely_percent");
        out!("{}", header.join(","));
        for r in rows {
            let mut cells = vec![r.group.clone(), r.received.to_string()];
            cells.extend(Timeliness::ALL.iter().map(|k| r.count(*k).to_string()));
            cells.push(percent(r.timely_share()));
            out!("{}", cells.join(","));
        }
        return Ok(());
    }
    out!(
        "FOI timeliness by the {} requests were received (as of {}).",
        match options.by {
            By::Month => "month",
            By::Quarter => "financial-year quarter",
        },
        as_of
    );
    let mut header = format!("{:<12} {:>8}", "", "received");
    for k in Timeliness::ALL {
        header.push_str(&format!(" {:>11}", k.heading()));
    }
    header.push_str(&format!(" {:>9}", "% timely"));
    out!("{header}");
    for r in rows {
        let mut line = format!("{:<12} {:>8}", r.group, r.received);
        for k in Timeliness::ALL {
            line.push_str(&format!(" {:>11}", r.count(k)));
        }
        line.push_str(&format!(" {:>9}", percent(r.timely_share())));
        out!("{line}");
    }
    out!(
        "% timely: answered within 20 working days or a public interest extension, of those answered or overdue."
    );
    Ok(())
}

fn print_outcomes(rows: &[OutcomeRow], options: &ReportOptions) -> Result<()> {
    let codes = exemption_codes(rows);
    if options.json {
        out!("{}", serde_json::to_string_pretty(&outcomes_json(rows))?);
        return Ok(());
    }
    if options.csv {
        let mut header: Vec<String> = vec!["group".into(), "answered".into()];
        header.extend(Outcome::ALL.iter().map(|k| k.code().to_string()));
        header.extend(codes.iter().map(|c| format!("exemption_{c}")));
        header.push("reviews".into());
        header.extend(REVIEW_OUTCOMES.iter().map(|s| s.to_string()));
        header.push("reviews_pending".into());
        out!("{}", header.join(","));
        for r in rows {
            let mut cells = vec![r.group.clone(), r.answered.to_string()];
            cells.extend(Outcome::ALL.iter().map(|k| r.count(*k).to_string()));
            cells.extend(
                codes
                    .iter()
                    .map(|c| r.exemptions.get(c).copied().unwrap_or(0).to_string()),
            );
            cells.push(r.reviews.to_string());
            cells.extend(r.review_outcomes.iter().map(|n| n.to_string()));
            cells.push(r.reviews_pending().to_string());
            out!("{}", cells.join(","));
        }
        return Ok(());
    }
    out!(
        "Outcomes of FOI answers sent, by the {} requests were received.",
        match options.by {
            By::Month => "month",
            By::Quarter => "financial-year quarter",
        }
    );
    let mut header = format!("{:<12} {:>8}", "", "answered");
    for k in Outcome::ALL {
        header.push_str(&format!(" {:>12}", k.heading()));
    }
    for c in &codes {
        header.push_str(&format!(" {c:>6}"));
    }
    header.push_str(&format!(
        " {:>7} {:>7} {:>7} {:>10} {:>7}",
        "reviews", "upheld", "partly", "overturned", "pending"
    ));
    out!("{header}");
    for r in rows {
        let mut line = format!("{:<12} {:>8}", r.group, r.answered);
        for k in Outcome::ALL {
            line.push_str(&format!(" {:>12}", r.count(k)));
        }
        for c in &codes {
            line.push_str(&format!(
                " {:>6}",
                r.exemptions.get(c).copied().unwrap_or(0)
            ));
        }
        line.push_str(&format!(
            " {:>7} {:>7} {:>7} {:>10} {:>7}",
            r.reviews,
            r.review_outcomes[0],
            r.review_outcomes[1],
            r.review_outcomes[2],
            r.reviews_pending()
        ));
        out!("{line}");
    }
    if !codes.is_empty() {
        out!(
            "Exemption columns count the answers that cited each (s40_2: small numbers withheld)."
        );
    }
    Ok(())
}
