//! `lantern request …`: FOI requests as cases — opened from a request file,
//! moved through their lifecycle (`lantern_core::casework`), with the
//! statutory deadline counted on the UK bank-holiday calendar
//! (`lantern_core::deadline`) and every action in the case's history.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Subcommand;
use jiff::civil::Date;
use lantern_core::casework::{
    self, Action, ActionDetail, Case, CaseEvent, LogEntry, ReviewOutcome, Status,
};
use lantern_core::deadline::{self, Calendar, Deadline};
use lantern_core::related::{self, Asked};
use lantern_core::{request, understand};
use lantern_store::{Store, Who};

use crate::app::{self, Ctx};
use crate::out;
use crate::render::{Format, Templates};

/// `lantern request` subcommands.
#[derive(Debug, Subcommand)]
pub enum RequestCommand {
    /// Open a case for a request: an e-mail (.eml or plain text), read and
    /// understood, or a structured request file (.toml, docs/formats/request.md).
    New {
        /// The request file.
        file: PathBuf,
        /// The date it was received (default: the e-mail's Date, or `received` in a .toml).
        #[arg(long, value_name = "YYYY-MM-DD")]
        received: Option<String>,
        /// The reference (default: the .toml's, or the next FOI-YYYY-NNNN).
        #[arg(long)]
        reference: Option<String>,
        /// The requester's name (personal data: kept until the retention date).
        #[arg(long)]
        requester: Option<String>,
        /// Where to reply: e-mail or postal address (personal data).
        #[arg(long)]
        contact: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List cases with their status and deadline.
    List {
        /// Only cases still to be answered (not sent or withdrawn), soonest due first.
        #[arg(long)]
        open: bool,
        /// Only open cases past their due date.
        #[arg(long)]
        overdue: bool,
        /// Only open cases due on or before this day (YYYY-MM-DD).
        #[arg(long, value_name = "YYYY-MM-DD")]
        due_by: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a case: its deadline (holidays, pauses, extension), review dates,
    /// related requests and its history.
    Show {
        /// The reference.
        reference: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show how Lantern read an e-mailed request: each question, what it was
    /// taken to ask, how sure, and what else was considered.
    Understand {
        /// The reference.
        reference: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Correct what a case asks, before it is drafted: in one step, by
    /// teaching what a phrase of one question means (`--question 2 --phrase
    /// "service users" --means people_in_treatment`; remembered for later
    /// requests), or by replacing the whole structured request with FILE
    /// (docs/formats/request.md; start from `request structured`).
    Correct {
        /// The reference.
        reference: String,
        /// The corrected structured request (.toml).
        #[arg(conflicts_with_all = ["question", "phrase", "means"], required_unless_present = "means")]
        file: Option<PathBuf>,
        /// The question whose reading is wrong ("2", "3b").
        #[arg(long, requires = "means")]
        question: Option<String>,
        /// The requester's words in that question that say what is asked for.
        #[arg(long, requires = "means")]
        phrase: Option<String>,
        /// What they mean: an indicator code, a topic code, or dimension=value.
        #[arg(long, requires_all = ["question", "phrase"])]
        means: Option<String>,
        /// A note for the history.
        #[arg(long)]
        note: Option<String>,
    },
    /// The phrases officers have taught Lantern, and what they mean.
    Synonyms {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Erase the requester's name and contact from every case past its
    /// retention date (recorded in each case's history).
    EraseExpired {
        /// Count as if today were this day (YYYY-MM-DD), to see what is due.
        #[arg(long, value_name = "YYYY-MM-DD")]
        today: Option<String>,
        /// Only list what would be erased.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the structured request a case holds (to correct it).
    Structured {
        /// The reference.
        reference: String,
    },
    /// Write the answer letter for a case from the data held now.
    Letter {
        /// The reference.
        reference: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
        /// The letter's JSON form (the same as --format json).
        #[arg(long, conflicts_with = "format")]
        json: bool,
    },
    /// Start work on a case (or go back to work on a draft or approval).
    Start(Act),
    /// Draft the answer from the data held now, checked against the
    /// disclosure log, and keep it with the case.
    Draft(Act),
    /// Approve the drafted answer (with --note explaining any figure that
    /// differs from an earlier release).
    Approve(Act),
    /// The approved answer was sent: mark it sent and add every figure and
    /// decision to the disclosure log.
    Send(Act),
    /// Ask the requester to clarify (stops the clock).
    SeekClarification(Act),
    /// The clarification arrived (the 20 working days start again from that day).
    Clarified(Act),
    /// A fees notice was issued (s9): the clock pauses until the fee arrives.
    FeeNotice(Act),
    /// The fee arrived: the clock runs again, later by the working days it paused.
    FeeReceived(Act),
    /// The public interest test needs longer (s10(3)): the substantive answer
    /// is now due on --to. The s17 notice saying so is still due by day 20.
    Extend {
        /// The case.
        #[command(flatten)]
        act: Act,
        /// The new due date.
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: String,
    },
    /// The requester withdrew the request.
    Withdraw(Act),
    /// The requester asked for an internal review; or, with --outcome, the review was decided.
    Review {
        /// The case.
        #[command(flatten)]
        act: Act,
        /// The review's outcome.
        #[arg(long, value_enum)]
        outcome: Option<Outcome>,
    },
    /// The requester complained to the Information Commissioner.
    Ico(Act),
}

/// The case an action applies to.
#[derive(Debug, clap::Args)]
pub struct Act {
    /// The reference.
    pub reference: String,
    /// A note for the history.
    #[arg(long)]
    pub note: Option<String>,
    /// The day it happened, if not today (YYYY-MM-DD): the day the
    /// clarification or fee arrived, the letter went out, the review was asked for.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub on: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Review outcomes on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Outcome {
    /// The answer stands.
    Upheld,
    /// It stands in part.
    PartlyUpheld,
    /// It is replaced.
    Overturned,
}

/// Run a `lantern request` command.
pub fn run(ctx: &Ctx, command: RequestCommand) -> Result<()> {
    match command {
        RequestCommand::New {
            file,
            received,
            reference,
            requester,
            contact,
            json,
        } => open(ctx, &file, received, reference, requester, contact, json),
        RequestCommand::List {
            open,
            overdue,
            due_by,
            json,
        } => {
            let due_by = due_by.map(|d| parse_date_flag("due-by", &d)).transpose()?;
            list(
                ctx,
                &ListFilter {
                    open,
                    overdue,
                    due_by,
                },
                json,
            )
        }
        RequestCommand::Correct {
            reference,
            file,
            question,
            phrase,
            means,
            note,
        } => match (file, question, phrase, means) {
            (Some(file), ..) => correct(ctx, &reference, &file, note.as_deref()),
            (None, Some(question), Some(phrase), Some(means)) => {
                teach(ctx, &reference, &question, &phrase, &means)
            }
            _ => {
                bail!("give the corrected request FILE, or --question N --phrase TEXT --means CODE")
            }
        },
        RequestCommand::Synonyms { json } => synonyms(ctx, json),
        RequestCommand::EraseExpired {
            today: day,
            dry_run,
            json,
        } => erase_expired(ctx, day.as_deref(), dry_run, json),
        RequestCommand::Structured { reference } => {
            let store = ctx.open()?;
            let case = find(store.as_ref(), &reference)?;
            match case.structured {
                Some(s) => {
                    use std::io::Write;
                    std::io::stdout().lock().write_all(s.as_bytes())?;
                    Ok(())
                }
                None => bail!(
                    "request {reference} has no structured request yet: write one and use `lantern request correct {reference} FILE`"
                ),
            }
        }
        RequestCommand::Understand { reference, json } => show_understanding(ctx, &reference, json),
        RequestCommand::Show { reference, json } => show(ctx, &reference, json),
        RequestCommand::Letter {
            reference,
            format,
            json,
        } => {
            let format = if json { Format::Json } else { format };
            let store = ctx.open()?;
            let case = find(store.as_ref(), &reference)?;
            // The drafted (and approved) letter is the one that goes out;
            // before there is a draft, show what the data gives now.
            let letter = match store.draft(&reference)? {
                Some((draft, _)) => {
                    let view: serde_json::Value = serde_json::from_str(&draft)?;
                    Templates::load(ctx.config.template_dir().as_deref())?.render(&view, format)?
                }
                None => {
                    let Some(structured) = case.structured else {
                        bail!(
                            "request {reference} has not been understood yet: there is no structured request to answer"
                        );
                    };
                    app::answer_text(ctx, store.as_ref(), &reference, &structured, format, None)?
                }
            };
            use std::io::Write;
            std::io::stdout().lock().write_all(letter.as_bytes())?;
            Ok(())
        }
        RequestCommand::Start(a) => act(ctx, a, Action::Start, None),
        RequestCommand::Draft(a) => draft(ctx, a),
        RequestCommand::Approve(a) => act(ctx, a, Action::Approve, None),
        RequestCommand::Send(a) => send(ctx, a),
        RequestCommand::SeekClarification(a) => act(ctx, a, Action::SeekClarification, None),
        RequestCommand::Clarified(a) => act(ctx, a, Action::Clarified, None),
        RequestCommand::FeeNotice(a) => act(ctx, a, Action::IssueFeeNotice, None),
        RequestCommand::FeeReceived(a) => act(ctx, a, Action::FeeReceived, None),
        RequestCommand::Extend { act: a, to } => {
            let to = parse_date_flag("to", &to)?;
            act(ctx, a, Action::Extend, Some(to))
        }
        RequestCommand::Withdraw(a) => act(ctx, a, Action::Withdraw, None),
        RequestCommand::Ico(a) => act(ctx, a, Action::ComplainToIco, None),
        RequestCommand::Review { act: a, outcome } => {
            let action = match outcome {
                None => Action::RequestReview,
                Some(Outcome::Upheld) => Action::DecideReview(ReviewOutcome::Upheld),
                Some(Outcome::PartlyUpheld) => Action::DecideReview(ReviewOutcome::PartlyUpheld),
                Some(Outcome::Overturned) => Action::DecideReview(ReviewOutcome::Overturned),
            };
            act(ctx, a, action, None)
        }
    }
}

/// Today's date in UTC. Lantern reads no time zone database; in the UK
/// summer the date is an hour late after midnight, so checks for "in the
/// future" allow one day (see [`not_future`]).
fn today() -> Date {
    jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::now())
        .date()
}

/// Refuse a date after today (allowing for the UK being an hour ahead of
/// UTC in summer).
fn not_future(what: &str, day: Date) -> Result<()> {
    let latest = today().tomorrow().unwrap_or_else(|_| today());
    if day > latest {
        bail!("{what} {day} is in the future; give the day it happened");
    }
    Ok(())
}

fn find(store: &dyn Store, reference: &str) -> Result<Case> {
    store
        .case(reference)?
        .ok_or_else(|| lantern_store::StoreError::NoSuchCase(reference.to_string()).into())
}

/// The bank holidays deadlines are counted on: the shipped calendar with
/// every calendar an administrator imported (`lantern import bank-holidays`)
/// added in turn, so a proclaimed day counts from the moment it is imported.
pub fn calendar(store: &dyn Store) -> Result<Calendar> {
    let mut calendar = Calendar::shipped();
    for held in store.calendars()? {
        let extra = Calendar::from_govuk_json(&held.body)
            .map_err(|e| {
                anyhow::anyhow!(
                    "the bank holidays of import {} are unreadable: {e}",
                    held.import
                )
            })?
            .labelled(format!("import {}", held.import));
        calendar = calendar.merged(&extra);
    }
    Ok(calendar)
}

/// The phrases officers have taught, as the understanding model takes them.
/// A phrase whose target the catalogue no longer has is left out.
fn learned(store: &dyn Store) -> Result<Vec<understand::Synonym>> {
    let catalogue = store.catalogue()?;
    Ok(store
        .synonyms()?
        .into_iter()
        .filter_map(|s| {
            Some(understand::Synonym {
                target: understand::SynonymTarget::parse(&s.target, &catalogue).ok()?,
                phrase: s.phrase,
            })
        })
        .collect())
}

/// What `request new` made of a file: a structured request, or an e-mail
/// read by `lantern_core::understand`.
struct Intake {
    reference: String,
    received: Date,
    requester_name: Option<String>,
    requester_contact: Option<String>,
    original: String,
    structured: Option<String>,
    unplaced: Vec<String>,
}

fn parse_date_flag(flag: &str, value: &str) -> Result<Date> {
    value
        .parse::<Date>()
        .map_err(|_| anyhow::anyhow!("--{flag} {value}: write the date as YYYY-MM-DD"))
}

/// The next reference in the council's pattern for the received year.
fn next_reference(ctx: &Ctx, store: &dyn Store, received: Date) -> Result<String> {
    let pattern = ctx.config.reference_pattern()?;
    let cases = store.cases()?;
    Ok(pattern.next(received.year(), cases.iter().map(|c| c.reference.as_str())))
}

fn intake(
    ctx: &Ctx,
    store: &dyn Store,
    file: &Path,
    received: Option<&str>,
    reference: Option<&str>,
) -> Result<Intake> {
    let catalogue = store.catalogue()?;
    let name = file.display().to_string();
    let is_structured = file.extension().is_some_and(|e| e == "toml");
    if is_structured {
        let text = app::read_text(file)?;
        let parsed = request::parse_request(&name, &text, &catalogue)?;
        return Ok(Intake {
            reference: reference.map(str::to_string).unwrap_or(parsed.reference),
            received: match received {
                Some(r) => parse_date_flag("received", r)?,
                None => parsed.received,
            },
            requester_name: None,
            requester_contact: None,
            original: text.clone(),
            structured: Some(text),
            unplaced: vec![],
        });
    }
    // An enormous file is refused before it is read.
    let size = std::fs::metadata(file)
        .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?
        .len();
    if size > understand::MAX_INPUT_BYTES as u64 {
        bail!(
            "{name} is {size} bytes, more than the {} an e-mailed request may be; is it the right file? (save the request's text without attachments)",
            understand::MAX_INPUT_BYTES
        );
    }
    let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
    let email = understand::parse_email(&bytes).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let received = match (received, email.date) {
        (Some(r), _) => parse_date_flag("received", r)?,
        (None, Some(d)) => d,
        (None, None) => match &email.unreadable_date {
            Some(date) => bail!(
                "{name}: the Date header '{date}' cannot be read as a date; give the date the request arrived with --received YYYY-MM-DD"
            ),
            None => bail!(
                "{name} has no Date header; give the date the request arrived with --received YYYY-MM-DD"
            ),
        },
    };
    let reference = match reference {
        Some(r) => r.to_string(),
        None => next_reference(ctx, store, received)?,
    };
    let drafted = understand::draft(
        &email,
        received,
        &catalogue,
        &learned(store)?,
        reference.clone(),
    )
    .map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let unplaced = drafted
        .questions
        .iter()
        .filter(|q| !q.understanding.is_complete())
        .map(|q| q.question.number.clone())
        .collect();
    Ok(Intake {
        reference,
        received,
        requester_name: email.from_name.clone(),
        requester_contact: email.from_address.clone(),
        original: String::from_utf8_lossy(&bytes).into_owned(),
        structured: drafted.request.as_ref().map(request::to_toml),
        unplaced,
    })
}

fn open(
    ctx: &Ctx,
    file: &Path,
    received: Option<String>,
    reference: Option<String>,
    requester: Option<String>,
    contact: Option<String>,
    json: bool,
) -> Result<()> {
    let mut store = ctx.open()?;
    let taken = intake(
        ctx,
        store.as_ref(),
        file,
        received.as_deref(),
        reference.as_deref(),
    )?;
    let received = taken.received;
    not_future("the received date", received)?;
    let case = Case {
        reference: taken.reference.clone(),
        received,
        status: Status::Received,
        requester_name: requester.or(taken.requester_name),
        requester_contact: contact.or(taken.requester_contact),
        retain_until: received
            .checked_add(jiff::Span::new().years(i16::from(ctx.config.casework.retain_years)))
            .ok(),
        original: taken.original,
        structured: taken.structured,
        opened_at: app::now(),
        opened_by: ctx.actor.clone(),
    };
    // The deadline must be countable before the case is opened.
    let calendar = calendar(store.as_ref())?;
    let due = deadline::deadline(&calendar, received, &[])?;
    let opened = ActionDetail {
        calendar: Some(calendar.version().to_string()),
        ..ActionDetail::default()
    };
    store.open_case(&case, &opened)?;
    let links = Links::of(ctx, store.as_ref(), &case, &calendar)?;
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "reference": case.reference,
                "received": case.received.to_string(),
                "status": case.status.code(),
                "due": due.due.to_string(),
                "understood": case.structured.is_some(),
                "for_the_officer": taken.unplaced,
                "calendar": due.calendar_version,
                "related": links.related_json(),
                "covered_by": links.covered_json(),
                "cost_limit_aggregation": links.aggregation_warning(),
            }))?
        );
    } else {
        out!(
            "Opened {} (received {}); answer due {}.",
            case.reference,
            crate::render::long_date(case.received),
            crate::render::long_date(due.due)
        );
        if !taken.unplaced.is_empty() {
            out!(
                "Lantern could not place question(s) {}; they need the officer before a draft.",
                taken.unplaced.join(", ")
            );
        }
        links.print()?;
    }
    Ok(())
}

/// The requests related to a case and the earlier answers that cover it
/// (`lantern_core::related`), for the officer.
struct Links {
    related: Vec<related::Link>,
    covered: Vec<related::Covering>,
    cells: usize,
    aggregation: Option<related::Aggregation>,
}

impl Links {
    fn of(ctx: &Ctx, store: &dyn Store, case: &Case, calendar: &Calendar) -> Result<Links> {
        let catalogue = store.catalogue()?;
        let home = ctx.config.council.area.clone().unwrap_or_default();
        let asked = |c: &Case| -> Asked {
            let parsed = c
                .structured
                .as_deref()
                .and_then(|s| request::parse_request(&c.reference, s, &catalogue).ok());
            let (subjects, cells) = parsed
                .as_ref()
                .map(|r| Asked::of(r, &home))
                .unwrap_or_default();
            Asked {
                reference: c.reference.clone(),
                received: c.received,
                requester_name: c.requester_name.clone(),
                requester_contact: c.requester_contact.clone(),
                answered: c.status.is_answered(),
                subjects,
                cells,
                estimate_hours: parsed.as_ref().map_or(0.0, Asked::hours_of),
            }
        };
        let this = asked(case);
        let others: Vec<Asked> = store.cases()?.iter().map(asked).collect();
        // A case far outside the calendar's years is not linked rather than failing.
        let related = related::related(&this, &others, calendar).unwrap_or_default();
        // Only log entries about the cells' indicators and areas can cover them.
        let about = lantern_core::scope::Scope {
            areas: this.cells.iter().map(|c| c.area.clone()).collect(),
            indicators: this.cells.iter().map(|c| c.indicator.clone()).collect(),
            ..Default::default()
        };
        let covered = related::covered_by(
            &case.reference,
            &this.cells,
            &store.disclosure_log_about(&about)?,
        );
        let aggregation = related::aggregated_hours(&this, &others, &related);
        Ok(Links {
            related,
            covered,
            cells: this.cells.len(),
            aggregation,
        })
    }

    fn related_json(&self) -> serde_json::Value {
        self.related
            .iter()
            .map(|l| {
                serde_json::json!({
                    "reference": l.reference,
                    "received": l.received.to_string(),
                    "working_days_apart": l.working_days_apart,
                    "shared": l.shared.iter().map(|s| s.code()).collect::<Vec<_>>(),
                    "same_requester": l.same_requester,
                    "repeat": l.repeat,
                })
            })
            .collect()
    }

    fn covered_json(&self) -> serde_json::Value {
        self.covered
            .iter()
            .map(|c| {
                serde_json::json!({
                    "reference": c.reference,
                    "sent_at": c.sent_at,
                    "covers": c.covered.len(),
                    "of": self.cells,
                })
            })
            .collect()
    }

    /// The cost-limit warning when the same requester's related requests
    /// together go over it.
    fn aggregation_warning(&self) -> Option<String> {
        let a = self.aggregation.as_ref()?;
        Some(format!(
            "with {} from the same requester within 60 working days, the estimated hours come to {:.1}, over the {}-hour cost limit: section 12(4) lets the costs be aggregated",
            a.with.join(", "),
            a.hours,
            lantern_core::foi::COUNCIL_COST_LIMIT_HOURS
        ))
    }

    fn print(&self) -> Result<()> {
        for l in &self.related {
            let shared: Vec<&str> = l.shared.iter().map(|s| s.code()).collect();
            let how = if l.repeat {
                "same requester, asked for all of this and was answered: a possible repeat (s14(2))"
            } else if l.same_requester {
                "same requester: costs may be aggregated for the cost limit (s12(4))"
            } else {
                "another requester: keep the answers consistent"
            };
            out!(
                "Related: {} (received {}, {} working days apart; {}): {how}.",
                l.reference,
                l.received,
                l.working_days_apart,
                shared.join(", ")
            );
        }
        for c in &self.covered {
            let sent = c.sent_at.get(..10).unwrap_or(&c.sent_at);
            let (how, offer) = if c.covered.len() == self.cells {
                (
                    "all of the figures asked for",
                    "; its answer can be given again, or, as the disclosure log is published, section 21 may apply",
                )
            } else {
                ("some of the figures asked for", "")
            };
            out!(
                "Already answered: {} (sent {sent}) gave {how} ({} of {}); see `lantern log --search {}`{offer}.",
                c.reference,
                c.covered.len(),
                self.cells,
                c.reference
            );
        }
        if let Some(w) = self.aggregation_warning() {
            out!("Cost limit: {w}.");
        }
        Ok(())
    }
}

fn case_deadline(store: &dyn Store, calendar: &Calendar, case: &Case) -> Result<Deadline> {
    let history = store.case_history(&case.reference)?;
    Ok(casework::case_deadline(calendar, case, &history)?)
}

/// Which cases `request list` shows.
struct ListFilter {
    open: bool,
    overdue: bool,
    due_by: Option<Date>,
}

fn list(ctx: &Ctx, filter: &ListFilter, json: bool) -> Result<()> {
    let store = ctx.open()?;
    let calendar = calendar(store.as_ref())?;
    let cases = store.cases()?;
    let today = today();
    let is_open = |c: &Case| c.status.is_open();
    let mut rows = Vec::new();
    for case in &cases {
        let due = case_deadline(store.as_ref(), &calendar, case)?;
        let overdue = is_open(case) && !due.on_hold() && today > due.due;
        let wanted = (!filter.open || is_open(case))
            && (!filter.overdue || overdue)
            && filter.due_by.is_none_or(|d| is_open(case) && due.due <= d);
        if wanted {
            rows.push((case, due, overdue));
        }
    }
    if filter.open || filter.overdue || filter.due_by.is_some() {
        rows.sort_by_key(|(c, d, _)| (d.due, c.reference.clone()));
    }
    let expired = expired(&cases, today).len();
    if json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(c, d, overdue)| {
                serde_json::json!({
                    "reference": c.reference, "received": c.received.to_string(),
                    "status": c.status.code(), "due": d.due.to_string(), "on_hold": d.on_hold(),
                    "overdue": overdue,
                })
            })
            .collect();
        out!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if cases.is_empty() {
        out!("No requests yet: open one with `lantern request new FILE`.");
    } else if rows.is_empty() {
        out!("No requests match.");
    }
    for (c, d, overdue) in rows {
        let due = if !is_open(c) {
            String::from("-")
        } else if d.on_hold() {
            format!("{} (on hold)", d.due)
        } else if overdue {
            format!("{} (OVERDUE)", d.due)
        } else {
            d.due.to_string()
        };
        out!(
            "{:<16} received {}  {:<22} due {}",
            c.reference,
            c.received,
            c.status.to_string(),
            due
        );
    }
    if expired > 0 {
        out!(
            "{expired} case(s) hold requester details past their retention date: `lantern request erase-expired` erases them."
        );
    }
    Ok(())
}

fn show(ctx: &Ctx, reference: &str, json: bool) -> Result<()> {
    let store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let history = store.case_history(reference)?;
    let calendar = calendar(store.as_ref())?;
    let due = casework::case_deadline(&calendar, &case, &history)?;
    let review = review_dates(&calendar, &history)?;
    let links = Links::of(ctx, store.as_ref(), &case, &calendar)?;
    let first_calendar = history.first().and_then(|e| e.calendar.clone());
    if json {
        let events: Vec<serde_json::Value> = history
            .iter()
            .map(|e| {
                serde_json::json!({
                    "at": e.at, "actor": e.actor, "action": e.action,
                    "from": e.from.map(|s| s.code()), "to": e.to.code(), "note": e.note,
                    "on": e.on.map(|d| d.to_string()),
                    "extended_to": e.extended_to.map(|d| d.to_string()),
                    "calendar": e.calendar,
                })
            })
            .collect();
        let v = serde_json::json!({
            "reference": case.reference,
            "received": case.received.to_string(),
            "status": case.status.code(),
            "requester": case.requester_name,
            "retain_until": case.retain_until.map(|d| d.to_string()),
            "deadline": {
                "effective_receipt": due.effective_receipt.to_string(),
                "due": due.due.to_string(),
                "s17_due": due.s17_due.to_string(),
                "on_hold": due.on_hold(),
                "fee_pauses": due.fee_pauses.iter().map(|p| serde_json::json!({"issued": p.issued.to_string(), "paid": p.paid.to_string(), "working_days": p.working_days})).collect::<Vec<_>>(),
                "extension": due.extension.map(|x| serde_json::json!({"to": x.to.to_string(), "working_days": x.working_days, "beyond_normal": x.beyond_normal})),
                "holidays": due.holidays.iter().map(|(d, t)| serde_json::json!({"date": d.to_string(), "title": t})).collect::<Vec<_>>(),
                "calendar": due.calendar_version,
                "calendar_at_opening": first_calendar,
            },
            "review": review.as_ref().map(|r| serde_json::json!({
                "accept_until": r.accept_until.to_string(),
                "requested": r.requested.map(|d| d.to_string()),
                "due": r.due.map(|d| d.to_string()),
                "exceptional_due": r.exceptional_due.map(|d| d.to_string()),
                "late": r.late,
            })),
            "related": links.related_json(),
            "covered_by": links.covered_json(),
            "cost_limit_aggregation": links.aggregation_warning(),
            "history": events,
        });
        out!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    out!("{}  ({})", case.reference, case.status);
    if due.effective_receipt != case.received {
        out!(
            "Received {}; clarified {}, which the 20 working days count from.",
            case.received,
            due.effective_receipt
        );
    } else {
        out!("Received {}.", case.received);
    }
    match (&due.hold, &due.extension) {
        (Some(_), _) => out!(
            "On hold: the answer is due {} at the earliest, later by each working day the clock stays stopped.",
            due.due
        ),
        (None, Some(x)) => out!(
            "Answer due {} (public interest extension of {} working days{}); the s17 notice was due {}.",
            due.due,
            x.working_days,
            if x.beyond_normal {
                ", beyond the 20 the ICO normally accepts"
            } else {
                ""
            },
            due.s17_due
        ),
        (None, None) => out!("Answer due {}.", due.due),
    }
    for p in &due.fee_pauses {
        out!(
            "Fees notice {} paid {}: {} working day(s) not counted.",
            p.issued,
            p.paid,
            p.working_days
        );
    }
    if !due.holidays.is_empty() {
        let days: Vec<String> = due
            .holidays
            .iter()
            .map(|(d, t)| format!("{d} {t}"))
            .collect();
        out!("Bank holidays not counted: {}.", days.join("; "));
    }
    out!("Calendar: {}", due.calendar_version);
    if let Some(first) = first_calendar.filter(|f| f != &due.calendar_version) {
        out!("(When the case was opened the calendar was: {first})");
    }
    if let Some(r) = &review {
        match (r.requested, r.due) {
            (Some(requested), Some(review_due)) => out!(
                "Internal review asked for {requested}{}; due {review_due} (exceptionally {}).",
                if r.late {
                    format!(", after the {} limit", r.accept_until)
                } else {
                    String::new()
                },
                r.exceptional_due.map(|d| d.to_string()).unwrap_or_default()
            ),
            _ => out!(
                "An internal review may be asked for until {}.",
                r.accept_until
            ),
        }
    }
    links.print()?;
    out!("History:");
    for e in history {
        let from = e.from.map(|s| format!("{s} → ")).unwrap_or_default();
        let on = match (e.on, e.at.get(..10)) {
            (Some(on), Some(at)) if on.to_string() != at => format!(" (on {on})"),
            _ => String::new(),
        };
        let to_date = e
            .extended_to
            .map(|d| format!(" to {d}"))
            .unwrap_or_default();
        let note = e.note.map(|n| format!(" — {n}")).unwrap_or_default();
        out!(
            "  {}  {:<12} {:<20} {from}{}{to_date}{on}{note}",
            e.at,
            e.actor,
            e.action,
            e.to
        );
    }
    Ok(())
}

/// The internal review dates of a sent case: until when one may be asked
/// for, and once asked for, when it is due.
struct ReviewDates {
    accept_until: Date,
    requested: Option<Date>,
    due: Option<Date>,
    exceptional_due: Option<Date>,
    late: bool,
}

fn review_dates(calendar: &Calendar, history: &[CaseEvent]) -> Result<Option<ReviewDates>> {
    let Some(sent) = casework::sent_on(history) else {
        return Ok(None);
    };
    let window = deadline::review_window(calendar, sent)?;
    let mut dates = ReviewDates {
        accept_until: window.accept_until,
        requested: None,
        due: None,
        exceptional_due: None,
        late: false,
    };
    if let Some((requested, _)) = casework::review_of(history) {
        let review = window.review(calendar, requested)?;
        dates.requested = Some(requested);
        dates.due = Some(review.due);
        dates.exceptional_due = Some(review.exceptional_due);
        dates.late = review.late;
    }
    Ok(Some(dates))
}

/// The day an action happened: `--on`, else today; never in the future
/// and never before the request was received.
fn action_day(case: &Case, on: Option<&str>) -> Result<Date> {
    let day = match on {
        Some(text) => parse_date_flag("on", text)?,
        None => today(),
    };
    not_future("--on", day)?;
    if day < case.received {
        bail!(
            "--on {day} is before {} was received ({})",
            case.reference,
            case.received
        );
    }
    Ok(day)
}

/// Take a lifecycle action. Actions that move the clock are checked against
/// the deadline rules before anything is recorded.
fn act(ctx: &Ctx, a: Act, action: Action, extended_to: Option<Date>) -> Result<()> {
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), &a.reference)?;
    casework::transition(case.status, action).map_err(|error| {
        lantern_store::StoreError::Refused {
            reference: a.reference.clone(),
            error,
        }
    })?;
    if action == Action::Approve {
        explained(store.as_ref(), &a)?;
    }
    let calendar = calendar(store.as_ref())?;
    let day = action_day(&case, a.on.as_deref())?;
    let history = store.case_history(&a.reference)?;
    let detail = ActionDetail {
        note: a.note.clone(),
        on: Some(day),
        extended_to,
        calendar: Some(calendar.version().to_string()),
    };
    let moves_clock = action.moves_clock();
    let before = casework::case_deadline(&calendar, &case, &history)?;
    let after = if moves_clock {
        casework::deadline_after(&calendar, &case, &history, action, day, &detail)
            .map_err(|e| anyhow::anyhow!("request {}: {e}; nothing was recorded", a.reference))?
    } else {
        before.clone()
    };
    let mut warnings = Vec::new();
    if action == Action::Extend {
        if day > before.s17_due {
            warnings.push(format!(
                "the s17 notice saying the public interest test needs longer was due by {}; the extension was recorded on {day}",
                before.s17_due
            ));
        }
        if after.extension.is_some_and(|x| x.beyond_normal) {
            warnings.push(
                "the extension is more than 20 working days; the ICO expects that only in exceptional cases: record why in --note".to_string(),
            );
        }
    }
    let mut review = None;
    if action == Action::RequestReview {
        let sent = casework::sent_on(&history).unwrap_or(case.received);
        let r = deadline::review_window(&calendar, sent)?.review(&calendar, day)?;
        if r.late {
            warnings.push(format!(
                "the review was asked for after {} (40 working days after the response): the council may decline it",
                deadline::review_window(&calendar, sent)?.accept_until
            ));
        }
        review = Some(r);
    }
    let to = store.act(&a.reference, case.status, action, &who(ctx), &detail)?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "reference": a.reference,
                "status": to.code(),
                "on": day.to_string(),
                "due": after.due.to_string(),
                "s17_due": after.s17_due.to_string(),
                "on_hold": after.on_hold(),
                "review_due": review.as_ref().map(|r| r.due.to_string()),
                "warnings": warnings,
            }))?
        );
        return Ok(());
    }
    out!("{} is now {}.", a.reference, to);
    if moves_clock {
        if after.on_hold() {
            out!(
                "The clock is stopped; the answer is due {} at the earliest.",
                after.due
            );
        } else if after.due != before.due || action == Action::Clarified {
            out!("The answer is now due {} (was {}).", after.due, before.due);
        } else {
            out!("The answer is due {}.", after.due);
        }
    }
    if let Some(r) = review {
        out!(
            "The internal review is due {} (exceptionally {}).",
            r.due,
            r.exceptional_due
        );
    }
    Ok(())
}

/// A draft whose figures differ from ones released earlier is approved
/// only with the officer's explanation (`--note`), which the history keeps.
fn explained(store: &dyn Store, a: &Act) -> Result<()> {
    let Some((draft, _)) = store.draft(&a.reference)? else {
        return Ok(());
    };
    let view: serde_json::Value = serde_json::from_str(&draft)?;
    let differing: Vec<String> = view["discrepancies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let breakdown = d["breakdown"].as_str().filter(|b| !b.is_empty());
            format!(
                "{} {}{}: {} gave {}, this draft gives {}",
                d["indicator"].as_str().unwrap_or_default(),
                d["period"].as_str().unwrap_or_default(),
                breakdown.map(|b| format!(" [{b}]")).unwrap_or_default(),
                d["earlier_reference"].as_str().unwrap_or_default(),
                d["earlier_value"],
                d["value"]
            )
        })
        .collect();
    casework::check_approval(differing, a.note.as_deref())
        .map_err(|e| anyhow::anyhow!("request {}: {e} (--note)", a.reference))
}

fn who(ctx: &Ctx) -> Who {
    Who {
        actor: ctx.actor.clone(),
        at: app::now(),
    }
}

/// Draft the answer from the data held now, checked against the disclosure
/// log, and keep it with the case: it is what will be approved and sent.
fn draft(ctx: &Ctx, a: Act) -> Result<()> {
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), &a.reference)?;
    let Some(structured) = case.structured.as_deref() else {
        bail!(
            "request {} has not been understood yet: there is no structured request to draft from",
            a.reference
        );
    };
    let mut view = app::decide(ctx, store.as_ref(), &a.reference, structured, None)?;
    let calendar = calendar(store.as_ref())?;
    if let Some(w) = Links::of(ctx, store.as_ref(), &case, &calendar)?.aggregation_warning() {
        eprintln!("warning: {w}");
        view.warnings.push(w);
    }
    let json = serde_json::to_string(&view)?;
    let to = store.save_draft(
        &a.reference,
        case.status,
        &who(ctx),
        &json,
        view.made_with.data_version,
    )?;
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "reference": a.reference,
                "status": to.code(),
                "data_version": view.made_with.data_version,
                "warnings": view.warnings,
            }))?
        );
        return Ok(());
    }
    out!(
        "{} is now {} (from data version {}{}).",
        a.reference,
        to,
        view.made_with.data_version,
        if view.warnings.is_empty() {
            String::new()
        } else {
            format!(
                "; {} point(s) to review, printed above",
                view.warnings.len()
            )
        }
    );
    Ok(())
}

/// Send the approved draft: the case is marked sent and every figure and
/// decision in the letter goes into the disclosure log, in one transaction.
fn send(ctx: &Ctx, a: Act) -> Result<()> {
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), &a.reference)?;
    let Some((draft, _)) = store.draft(&a.reference)? else {
        bail!(
            "request {} has no drafted answer to send; draft and approve one first",
            a.reference
        );
    };
    let day = action_day(&case, a.on.as_deref())?;
    let calendar = calendar(store.as_ref())?;
    let due = case_deadline(store.as_ref(), &calendar, &case)?;
    let view: serde_json::Value = serde_json::from_str(&draft)?;
    let now = who(ctx);
    // The log says when the answer went out: now, or the day given (at midnight).
    let sent_at = match a.on {
        Some(_) if now.at.get(..10) != Some(day.to_string().as_str()) => format!("{day}T00:00:00Z"),
        _ => now.at.clone(),
    };
    let entries = log_entries(&a.reference, &sent_at, &view);
    check_still_protected(ctx, store.as_ref(), &case, &view, &entries)?;
    let detail = ActionDetail {
        note: a.note.clone(),
        on: Some(day),
        extended_to: None,
        calendar: Some(calendar.version().to_string()),
    };
    let to = store.send(&a.reference, case.status, &now, &entries, &detail)?;
    let late = day > due.due;
    if late {
        eprintln!(
            "warning: sent on {day}, after the deadline of {}: it counts as late",
            due.due
        );
    }
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "reference": a.reference,
                "status": to.code(),
                "sent_on": day.to_string(),
                "due": due.due.to_string(),
                "late": late,
                "log_entries": entries.len(),
            }))?
        );
        return Ok(());
    }
    out!(
        "{} is now {}; {} entries added to the disclosure log.",
        a.reference,
        to,
        entries.len()
    );
    Ok(())
}

/// Answers sent after this one was drafted may combine with it: decide the
/// request again, from the draft's data version and the disclosure log as it
/// is now, and refuse to send if disclosure control would now withhold
/// something the draft gives (or the other way round).
fn check_still_protected(
    ctx: &Ctx,
    store: &dyn Store,
    case: &Case,
    view: &serde_json::Value,
    entries: &[LogEntry],
) -> Result<()> {
    let Some(structured) = case.structured.as_deref() else {
        return Ok(());
    };
    let data_version = view["made_with"]["data_version"].as_i64();
    let again = app::decide_with(ctx, store, &case.reference, structured, data_version, false)?;
    let again = log_entries(&case.reference, "", &serde_json::to_value(&again)?);
    let decisions = |es: &[LogEntry]| -> Vec<(String, Option<String>, Option<String>, String)> {
        es.iter()
            .filter(|e| e.indicator.is_some())
            .map(|e| {
                (
                    e.question.clone(),
                    e.period.clone(),
                    e.breakdown.clone(),
                    e.decision.clone(),
                )
            })
            .collect()
    };
    if decisions(entries) != decisions(&again) {
        bail!(
            "request {}: answers sent since this one was drafted change what disclosure control lets it give (a figure would now let a withheld count be worked out); draft it again (lantern request start {r}, then lantern request draft {r}), review and approve the new draft, then send",
            case.reference,
            r = case.reference
        );
    }
    Ok(())
}

/// The disclosure-log lines for a letter's JSON form: one per figure row and
/// per narrative answer, with the requester left out.
pub fn log_entries(reference: &str, sent_at: &str, view: &serde_json::Value) -> Vec<LogEntry> {
    fn walk(
        q: &serde_json::Value,
        prefix: &str,
        area: &str,
        base: &LogEntry,
        out: &mut Vec<LogEntry>,
    ) {
        let number = format!("{prefix}{}", q["number"].as_str().unwrap_or_default());
        let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
        for r in q["rows"].as_array().into_iter().flatten() {
            let value = match r["value"]["kind"].as_str() {
                Some("exact") | Some("zero") => r["value"]["amount"].as_i64(),
                _ => None,
            };
            out.push(LogEntry {
                question: number.clone(),
                indicator: s(&q["indicator"]),
                area: Some(area.to_string()),
                period: s(&r["period"]),
                breakdown: s(&r["breakdown"]),
                decision: s(&r["decision"]).unwrap_or_default(),
                basis: s(&r["basis"]),
                value,
                released: s(&r["full_text"]).unwrap_or_default(),
                ..base.clone()
            });
        }
        if let Some(st) = q["statement"].as_object() {
            let text = st.get("text").and_then(|t| t.as_str());
            out.push(LogEntry {
                question: number.clone(),
                decision: if text.is_some() {
                    "statement"
                } else {
                    "not_held"
                }
                .into(),
                basis: text.is_none().then(|| "s1_1".to_string()),
                released: text.unwrap_or("not held").to_string(),
                ..base.clone()
            });
        }
        for p in q["parts"].as_array().into_iter().flatten() {
            walk(p, &number, area, base, out);
        }
    }
    let base = LogEntry {
        reference: reference.to_string(),
        sent_at: sent_at.to_string(),
        question: String::new(),
        indicator: None,
        area: None,
        period: None,
        breakdown: None,
        decision: String::new(),
        basis: None,
        value: None,
        released: String::new(),
    };
    let area = view["request"]["area"].as_str().unwrap_or_default();
    let mut out = Vec::new();
    for q in view["questions"].as_array().into_iter().flatten() {
        walk(q, "", area, &base, &mut out);
    }
    out
}

/// Words for an ask, for the officer.
fn describe_ask(ask: &request::Ask) -> String {
    match ask {
        request::Ask::Statement { topic } => format!("statement {topic}"),
        request::Ask::Figures(f) => {
            let periods: Vec<String> = f.periods.iter().map(|p| p.to_string()).collect();
            let mut text = format!("{} for {}", f.indicator, periods.join(", "));
            if !f.filter.0.is_empty() {
                text.push_str(&format!(" where {}", f.filter.key()));
            }
            if !f.breakdown.is_empty() {
                text.push_str(&format!(" by {}", f.breakdown.join(", ")));
            }
            if f.age_range {
                text.push_str(" (age range)");
            }
            text
        }
    }
}

fn show_understanding(ctx: &Ctx, reference: &str, json: bool) -> Result<()> {
    let store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let email = understand::parse_email(case.original.as_bytes())
        .map_err(|e| anyhow::anyhow!("{reference}: {e}"))?;
    let catalogue = store.catalogue()?;
    let drafted = understand::draft(
        &email,
        case.received,
        &catalogue,
        &learned(store.as_ref())?,
        case.reference.clone(),
    )
    .map_err(|e| anyhow::anyhow!("{reference}: {e}"))?;
    fn lines(
        number: &str,
        text: &str,
        u: &understand::Understanding,
        out: &mut Vec<serde_json::Value>,
    ) {
        out.push(serde_json::json!({
            "question": number,
            "text": text,
            "reading": u.ask.as_ref().map(describe_ask),
            "confidence": (f64::from(u.confidence) * 100.0).round() / 100.0,
            "needs_officer": u.needs_officer,
            "alternatives": u.alternatives.iter().map(|(a, c)| serde_json::json!({"reading": describe_ask(a), "confidence": (f64::from(*c) * 100.0).round() / 100.0})).collect::<Vec<_>>(),
            "notes": u.notes,
        }));
    }
    let mut rows = Vec::new();
    for q in &drafted.questions {
        lines(
            &q.question.number,
            &q.question.text,
            &q.understanding,
            &mut rows,
        );
        for (p, u) in q.question.parts.iter().zip(&q.understanding.parts) {
            lines(
                &format!("{}{}", q.question.number, p.number),
                &p.text,
                u,
                &mut rows,
            );
        }
    }
    if json {
        out!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    for r in rows {
        let reading = r["reading"].as_str().unwrap_or("(left for the officer)");
        let flag = if r["needs_officer"] == true {
            "  ← needs the officer"
        } else {
            ""
        };
        out!(
            "{}) {}",
            r["question"].as_str().unwrap_or_default(),
            r["text"].as_str().unwrap_or_default()
        );
        out!("    → {reading} [{}]{flag}", r["confidence"]);
        for a in r["alternatives"].as_array().into_iter().flatten().take(2) {
            out!(
                "      or {} [{}]",
                a["reading"].as_str().unwrap_or_default(),
                a["confidence"]
            );
        }
    }
    Ok(())
}

/// Replace a case's structured request with an officer's corrected file.
fn correct(ctx: &Ctx, reference: &str, file: &Path, note: Option<&str>) -> Result<()> {
    let text = app::read_text(file)?;
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let catalogue = store.catalogue()?;
    let parsed = request::parse_request(&file.display().to_string(), &text, &catalogue)?;
    if parsed.reference != reference {
        bail!(
            "{} is for request {}, not {reference}; correct the reference in the file",
            file.display(),
            parsed.reference
        );
    }
    if parsed.received != case.received {
        bail!(
            "{} says the request was received on {}, but {reference} was received on {}; the date of receipt is not corrected this way",
            file.display(),
            parsed.received,
            case.received
        );
    }
    store.correct_case(reference, case.status, &who(ctx), &text, note)?;
    out!("{reference}: what it asks is corrected; draft it when ready.");
    Ok(())
}

/// Words compared without regard to case or spacing.
fn words(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// What a target means, in the form the catalogue names it.
fn target_code(target: &understand::SynonymTarget) -> String {
    match target {
        understand::SynonymTarget::Indicator(c) | understand::SynonymTarget::Topic(c) => c.clone(),
        understand::SynonymTarget::Value { dimension, value } => format!("{dimension}={value}"),
    }
}

/// Whether an understanding reads the question as `target`.
fn reads_as(u: &understand::Understanding, target: &understand::SynonymTarget) -> bool {
    match (&u.ask, target) {
        (Some(request::Ask::Figures(f)), understand::SynonymTarget::Indicator(code)) => {
            &f.indicator == code
        }
        (Some(request::Ask::Statement { topic }), understand::SynonymTarget::Topic(code)) => {
            topic == code
        }
        (Some(request::Ask::Figures(f)), understand::SynonymTarget::Value { dimension, value }) => {
            f.filter.key().contains(&format!("{dimension}={value}"))
        }
        _ => false,
    }
}

/// Correct one question in one step: the officer says what a phrase of it
/// means; Lantern remembers the phrase for every later request, reads the
/// case again with it, and keeps the new structured request when every
/// question is then understood.
fn teach(ctx: &Ctx, reference: &str, number: &str, phrase: &str, means: &str) -> Result<()> {
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let catalogue = store.catalogue()?;
    if request::parse_request(reference, &case.original, &catalogue).is_ok() {
        bail!(
            "request {reference} was opened from a structured request file; correct it with `lantern request correct {reference} FILE`"
        );
    }
    let target = understand::SynonymTarget::parse(means, &catalogue)
        .map_err(|e| anyhow::anyhow!("--means {means}: {e}"))?;
    let phrase = phrase.split_whitespace().collect::<Vec<_>>().join(" ");
    if phrase.is_empty() {
        bail!("--phrase is empty; give the requester's words that say what is asked for");
    }
    let email = understand::parse_email(case.original.as_bytes())
        .map_err(|e| anyhow::anyhow!("{reference}: {e}"))?;
    // The question (or part, "3b") the officer names, and its words.
    let split = understand::split_questions(&email.body)
        .map_err(|e| anyhow::anyhow!("{reference}: {e}"))?;
    let mut numbers = Vec::new();
    let mut text = None;
    for q in &split {
        numbers.push(q.number.clone());
        if q.number == number {
            text = Some(q.text.clone());
        }
        for p in &q.parts {
            let n = format!("{}{}", q.number, p.number);
            if n == number {
                text = Some(format!("{} {}", q.text, p.text));
            }
            numbers.push(n);
        }
    }
    let Some(text) = text else {
        bail!(
            "request {reference} has no question {number}; its questions are {}",
            numbers.join(", ")
        );
    };
    if !words(&text).contains(&words(&phrase)) {
        bail!(
            "question {number} does not contain “{phrase}”; give words from it: “{}”",
            text.trim()
        );
    }
    let mut taught = learned(store.as_ref())?;
    let synonym = understand::Synonym {
        phrase: phrase.clone(),
        target: target.clone(),
    };
    taught.push(synonym);
    let drafted = understand::draft(
        &email,
        case.received,
        &catalogue,
        &taught,
        case.reference.clone(),
    )
    .map_err(|e| anyhow::anyhow!("{reference}: {e}"))?;
    let mut reading = None;
    for q in &drafted.questions {
        if q.question.number == number {
            reading = Some(&q.understanding);
        }
        for (p, u) in q.question.parts.iter().zip(&q.understanding.parts) {
            if format!("{}{}", q.question.number, p.number) == number {
                reading = Some(u);
            }
        }
    }
    let Some(reading) = reading.filter(|u| reads_as(u, &target)) else {
        bail!(
            "even taught “{phrase}”, Lantern does not read question {number} as {means}; correct the whole request with `lantern request structured {reference}` and `lantern request correct {reference} FILE`; nothing was recorded"
        );
    };
    let described = reading.ask.as_ref().map(describe_ask).unwrap_or_default();
    let structured = drafted.request.as_ref().map(request::to_toml);
    let still: Vec<String> = drafted
        .questions
        .iter()
        .filter(|q| !q.understanding.is_complete())
        .map(|q| q.question.number.clone())
        .collect();
    let code = target_code(&target);
    store.learn(
        reference,
        case.status,
        &who(ctx),
        &phrase,
        &code,
        structured.as_deref(),
    )?;
    out!("Learned: “{phrase}” means {code}, for this and every later request.");
    out!("{reference} question {number} now reads: {described}.");
    if still.is_empty() {
        out!("{reference}: every question is understood; draft it when ready.");
    } else {
        out!(
            "{reference}: question(s) {} still need the officer.",
            still.join(", ")
        );
    }
    Ok(())
}

fn synonyms(ctx: &Ctx, json: bool) -> Result<()> {
    let store = ctx.open()?;
    let held = store.synonyms()?;
    if json {
        let v: Vec<serde_json::Value> = held
            .iter()
            .map(|s| {
                serde_json::json!({
                    "phrase": s.phrase, "means": s.target, "reference": s.reference,
                    "added_at": s.added_at, "added_by": s.added_by,
                })
            })
            .collect();
        out!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if held.is_empty() {
        out!(
            "No phrases taught yet: `lantern request correct REF --question N --phrase TEXT --means CODE` teaches one."
        );
    }
    for s in held {
        out!(
            "“{}” means {}  (taught by {} on {}{})",
            s.phrase,
            s.target,
            s.added_by,
            s.added_at.get(..10).unwrap_or(&s.added_at),
            s.reference
                .map(|r| format!(", correcting {r}"))
                .unwrap_or_default()
        );
    }
    Ok(())
}

/// Cases holding requester details after their retention date.
fn expired(cases: &[Case], today: Date) -> Vec<&Case> {
    cases
        .iter()
        .filter(|c| casework::retention(c, today) != casework::Retention::Keep)
        .collect()
}

/// Erase requester details past their retention date. A case still open
/// keeps them until it is answered or withdrawn (the council must still
/// reply), and is listed.
fn erase_expired(ctx: &Ctx, day: Option<&str>, dry_run: bool, json: bool) -> Result<()> {
    let mut store = ctx.open()?;
    let today = match day {
        Some(d) => parse_date_flag("today", d)?,
        None => today(),
    };
    let cases = store.cases()?;
    let mut erased = Vec::new();
    let mut kept = Vec::new();
    for case in expired(&cases, today) {
        if casework::retention(case, today) == casework::Retention::KeepWhileOpen {
            kept.push(case.reference.clone());
            continue;
        }
        let note = format!(
            "requester details erased: retention ended {}",
            case.retain_until.map(|d| d.to_string()).unwrap_or_default()
        );
        if dry_run || store.erase_requester(&case.reference, &who(ctx), &note)? {
            erased.push(case.reference.clone());
        }
    }
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "today": today.to_string(),
                "dry_run": dry_run,
                "erased": erased,
                "kept_open": kept,
            }))?
        );
        return Ok(());
    }
    let verb = if dry_run { "Would erase" } else { "Erased" };
    if erased.is_empty() {
        out!("No requester details are past their retention date.");
    } else {
        out!(
            "{verb} the requester details of {} case(s): {}.",
            erased.len(),
            erased.join(", ")
        );
    }
    if !kept.is_empty() {
        out!(
            "Kept until answered or withdrawn (still open): {}.",
            kept.join(", ")
        );
    }
    Ok(())
}
