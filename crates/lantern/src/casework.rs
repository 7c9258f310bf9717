//! `lantern request …`: FOI requests as cases — opened from a request file,
//! moved through their lifecycle (`lantern_core::casework`), with the
//! statutory deadline counted on the UK bank-holiday calendar
//! (`lantern_core::deadline`) and every action in the case's history.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Subcommand;
use jiff::civil::Date;
use lantern_core::casework::{Action, Case, CaseEvent, LogEntry, ReviewOutcome, Status};
use lantern_core::deadline::{self, Calendar, ClockEvent, Deadline};
use lantern_core::{request, understand};
use lantern_store::{Store, Who};

use crate::app::{self, Ctx};
use crate::out;
use crate::render::{Format, Templates};

/// How long a requester's name and contact are kept after receipt, by default.
const RETAIN_YEARS: i16 = 2;

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
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show a case: its deadline (and the holidays counted) and its history.
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
    /// Correct what a case asks: replace its structured request with FILE
    /// (docs/formats/request.md), before it is drafted. Tip: start from
    /// `request understand` and the file `request new` made.
    Correct {
        /// The reference.
        reference: String,
        /// The corrected structured request (.toml).
        file: PathBuf,
        /// A note for the history.
        #[arg(long)]
        note: Option<String>,
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
    },
    /// Start work on a case (or go back to work on a draft or approval).
    Start(Act),
    /// Record that an answer has been drafted.
    Draft(Act),
    /// Approve the drafted answer.
    Approve(Act),
    /// Record that the approved answer was sent.
    Send(Act),
    /// Ask the requester to clarify (stops the clock).
    SeekClarification(Act),
    /// The clarification arrived (the 20 working days start again).
    Clarified(Act),
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
}

/// The case an action applies to.
#[derive(Debug, clap::Args)]
pub struct Act {
    /// The reference.
    pub reference: String,
    /// A note for the history.
    #[arg(long)]
    pub note: Option<String>,
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
        RequestCommand::List { json } => list(ctx, json),
        RequestCommand::Correct {
            reference,
            file,
            note,
        } => correct(ctx, &reference, &file, note.as_deref()),
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
        RequestCommand::Letter { reference, format } => {
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
        RequestCommand::Start(a) => act(ctx, a, Action::Start),
        RequestCommand::Draft(a) => draft(ctx, a),
        RequestCommand::Approve(a) => act(ctx, a, Action::Approve),
        RequestCommand::Send(a) => send(ctx, a),
        RequestCommand::SeekClarification(a) => act(ctx, a, Action::SeekClarification),
        RequestCommand::Clarified(a) => act(ctx, a, Action::Clarified),
        RequestCommand::Withdraw(a) => act(ctx, a, Action::Withdraw),
        RequestCommand::Review { act: a, outcome } => {
            let action = match outcome {
                None => Action::RequestReview,
                Some(Outcome::Upheld) => Action::DecideReview(ReviewOutcome::Upheld),
                Some(Outcome::PartlyUpheld) => Action::DecideReview(ReviewOutcome::PartlyUpheld),
                Some(Outcome::Overturned) => Action::DecideReview(ReviewOutcome::Overturned),
            };
            act(ctx, a, action)
        }
    }
}

/// Today's date in UTC, plus one day so that a request received just after
/// midnight in the UK summer is never called "in the future".
fn today() -> Date {
    let now = jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::now())
        .date();
    now.tomorrow().unwrap_or(now)
}

fn find(store: &dyn Store, reference: &str) -> Result<Case> {
    store
        .case(reference)?
        .ok_or_else(|| lantern_store::StoreError::NoSuchCase(reference.to_string()).into())
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

/// The next reference in the pattern FOI-YYYY-NNNN for the received year.
fn next_reference(store: &dyn Store, received: Date) -> Result<String> {
    let prefix = format!("FOI-{}-", received.year());
    let next = store
        .cases()?
        .iter()
        .filter_map(|c| c.reference.strip_prefix(&prefix)?.parse::<u32>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    Ok(format!("{prefix}{next:04}"))
}

fn intake(
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
    let bytes = std::fs::read(file).map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
    let email = understand::parse_email(&bytes).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    let received = match (received, email.date) {
        (Some(r), _) => parse_date_flag("received", r)?,
        (None, Some(d)) => d,
        (None, None) => bail!(
            "{name} has no Date header; give the date the request arrived with --received YYYY-MM-DD"
        ),
    };
    let reference = match reference {
        Some(r) => r.to_string(),
        None => next_reference(store, received)?,
    };
    let drafted = understand::draft(&email, received, &catalogue, &[], reference.clone())
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
        store.as_ref(),
        file,
        received.as_deref(),
        reference.as_deref(),
    )?;
    let received = taken.received;
    if received > today() {
        bail!("the received date {received} is in the future; give the date the request arrived");
    }
    let case = Case {
        reference: taken.reference.clone(),
        received,
        status: Status::Received,
        requester_name: requester.or(taken.requester_name),
        requester_contact: contact.or(taken.requester_contact),
        retain_until: received
            .checked_add(jiff::Span::new().years(RETAIN_YEARS))
            .ok(),
        original: taken.original,
        structured: taken.structured,
        opened_at: app::now(),
        opened_by: ctx.actor.clone(),
    };
    // The deadline must be countable before the case is opened.
    let due = deadline::deadline(&Calendar::shipped(), received, &[])?;
    store.open_case(&case)?;
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
    }
    Ok(())
}

/// The clock events in a case's history.
fn clock_events(history: &[CaseEvent]) -> Vec<ClockEvent> {
    history
        .iter()
        .filter_map(|e| {
            let day: Date = e.at.get(..10)?.parse().ok()?;
            match e.action.as_str() {
                "seek_clarification" => Some(ClockEvent::ClarificationSought(day)),
                "clarified" => Some(ClockEvent::Clarified(day)),
                _ => None,
            }
        })
        .collect()
}

fn case_deadline(store: &dyn Store, case: &Case) -> Result<Deadline> {
    let history = store.case_history(&case.reference)?;
    Ok(deadline::deadline(
        &Calendar::shipped(),
        case.received,
        &clock_events(&history),
    )?)
}

fn list(ctx: &Ctx, json: bool) -> Result<()> {
    let store = ctx.open()?;
    let cases = store.cases()?;
    let mut rows = Vec::new();
    for case in &cases {
        let due = case_deadline(store.as_ref(), case)?;
        rows.push((case, due));
    }
    if json {
        let v: Vec<serde_json::Value> = rows
            .iter()
            .map(|(c, d)| {
                serde_json::json!({
                    "reference": c.reference, "received": c.received.to_string(),
                    "status": c.status.code(), "due": d.due.to_string(), "on_hold": d.on_hold(),
                })
            })
            .collect();
        out!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if rows.is_empty() {
        out!("No requests yet: open one with `lantern request new FILE`.");
    }
    for (c, d) in rows {
        let due = if c.status.is_answered() || c.status == Status::Withdrawn {
            String::from("-")
        } else if d.on_hold() {
            format!("{} (on hold)", d.due)
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
    Ok(())
}

fn show(ctx: &Ctx, reference: &str, json: bool) -> Result<()> {
    let store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let history = store.case_history(reference)?;
    let due = case_deadline(store.as_ref(), &case)?;
    if json {
        let events: Vec<serde_json::Value> = history
            .iter()
            .map(|e| {
                serde_json::json!({
                    "at": e.at, "actor": e.actor, "action": e.action,
                    "from": e.from.map(|s| s.code()), "to": e.to.code(), "note": e.note,
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
                "holidays": due.holidays.iter().map(|(d, t)| serde_json::json!({"date": d.to_string(), "title": t})).collect::<Vec<_>>(),
                "calendar": due.calendar_version,
            },
            "history": events,
        });
        out!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    out!("{}  ({})", case.reference, case.status);
    out!(
        "Received {}; answer due {}{}.",
        case.received,
        due.due,
        if due.on_hold() {
            " at the earliest (on hold)"
        } else {
            ""
        }
    );
    if !due.holidays.is_empty() {
        let days: Vec<String> = due
            .holidays
            .iter()
            .map(|(d, t)| format!("{d} {t}"))
            .collect();
        out!("Bank holidays not counted: {}.", days.join("; "));
    }
    out!("Calendar: {}", due.calendar_version);
    out!("History:");
    for e in history {
        let from = e.from.map(|s| format!("{s} → ")).unwrap_or_default();
        let note = e.note.map(|n| format!(" — {n}")).unwrap_or_default();
        out!(
            "  {}  {:<12} {:<20} {from}{}{note}",
            e.at,
            e.actor,
            e.action,
            e.to
        );
    }
    Ok(())
}

fn act(ctx: &Ctx, a: Act, action: Action) -> Result<()> {
    let mut store = ctx.open()?;
    let case = find(store.as_ref(), &a.reference)?;
    let who = Who {
        actor: ctx.actor.clone(),
        at: app::now(),
    };
    let to = store.act(&a.reference, case.status, action, &who, a.note.as_deref())?;
    out!("{} is now {}.", a.reference, to);
    Ok(())
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
    let view = app::decide(ctx, store.as_ref(), &a.reference, structured, None)?;
    let json = serde_json::to_string(&view)?;
    let to = store.save_draft(
        &a.reference,
        case.status,
        &who(ctx),
        &json,
        view.made_with.data_version,
    )?;
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
    let view: serde_json::Value = serde_json::from_str(&draft)?;
    let now = who(ctx);
    let entries = log_entries(&a.reference, &now.at, &view);
    let to = store.send(&a.reference, case.status, &now, &entries)?;
    out!(
        "{} is now {}; {} entries added to the disclosure log.",
        a.reference,
        to,
        entries.len()
    );
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
        &[],
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
