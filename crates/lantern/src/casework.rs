//! `lantern request …`: the command line of FOI casework. The clap
//! subcommands, reading the files named, printing what the use cases in
//! `lantern_app::casework` return (text or JSON), and their errors. The use
//! cases own the rules, the store and the history.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Subcommand;
use jiff::civil::Date;
use lantern_app::casework::{self, Action, Form, Links, ReviewOutcome, intake};

use crate::app::{self, Ctx};
use crate::out;
use crate::render::{Format, long_date};

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
    /// List the files kept with a case: its e-mail's attachments (and the
    /// e-mail's own bytes, when they were not UTF-8).
    Attachments {
        /// The reference.
        reference: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write one file kept with a case (numbered as `request attachments`
    /// lists them) to a file.
    Attachment {
        /// The reference.
        reference: String,
        /// Its number.
        number: i64,
        /// The file to write it to.
        #[arg(long, short)]
        output: std::path::PathBuf,
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
    /// Stop using a phrase officers taught (requests taken in or read again
    /// from now on are read without it; cases already corrected keep their
    /// readings).
    ForgetPhrase {
        /// The phrase, as `request synonyms` lists it.
        phrase: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Give a request the title the disclosure log shows it by (its e-mail's
    /// subject until then); only before its answer is sent.
    Title {
        /// The request's reference.
        reference: String,
        /// The title.
        title: String,
    },
    /// Take a question (or part, "3b") out of the request as not a question
    /// (a signature, a footer): its words stay with the case, with why.
    #[command(alias = "drop")]
    SetAside {
        /// The case.
        #[command(flatten)]
        edit: Edit,
        /// The question ("3") or part ("3b").
        question: String,
        /// Why it is not a question.
        #[arg(long)]
        reason: String,
    },
    /// Split a question into parts, each starting at words of the question
    /// (--at, in order); without --at, make a question's parts questions of
    /// their own. The new parts are read again.
    Split {
        /// The case.
        #[command(flatten)]
        edit: Edit,
        /// The question.
        question: String,
        /// Words at which a new part starts (repeat for more parts).
        #[arg(long, value_name = "WORDS")]
        at: Vec<String>,
    },
    /// Merge the second question into the first (two questions, or two
    /// parts of one question); the merged question is read again.
    Merge {
        /// The case.
        #[command(flatten)]
        edit: Edit,
        /// The question that stays.
        first: String,
        /// The question joined to it.
        second: String,
    },
    /// Set what a question (or part) asks: its indicator or topic, periods,
    /// filters and breakdowns, by the catalogue's codes.
    Set {
        /// The case.
        #[command(flatten)]
        edit: Edit,
        /// The question ("2") or part ("3b"); a question with parts is set
        /// in each part.
        question: String,
        /// Figures of this indicator.
        #[arg(long, conflicts_with = "topic")]
        indicator: Option<String>,
        /// A statement on this topic.
        #[arg(long)]
        topic: Option<String>,
        /// The periods asked about, in order (2019/20, 2021, 2020-Q1, …).
        #[arg(long, num_args = 1.., value_name = "PERIOD")]
        periods: Vec<String>,
        /// Narrow the figures to dimension=value (repeat; a|b for either).
        #[arg(long, value_name = "DIMENSION=VALUE", conflicts_with = "no_filter")]
        filter: Vec<String>,
        /// Remove every filter.
        #[arg(long)]
        no_filter: bool,
        /// Break the figures down by this dimension (repeat).
        #[arg(long, value_name = "DIMENSION", conflicts_with = "no_breakdown")]
        breakdown: Vec<String>,
        /// Remove every breakdown.
        #[arg(long)]
        no_breakdown: bool,
    },
    /// Read a case's e-mail again with the phrases taught so far, replacing
    /// its working copy and the corrections made to it.
    Reread {
        /// The case.
        #[command(flatten)]
        edit: Edit,
    },
    /// Erase the requester's name and contact from every case past its
    /// retention date (recorded in each case's history).
    EraseExpired {
        /// Count as if today were this day (YYYY-MM-DD), to see what is
        /// due: an alias of --as-of, kept for scripts (default: the --as-of
        /// day, else today in the council's time zone).
        #[arg(long, value_name = "YYYY-MM-DD")]
        today: Option<String>,
        /// Only list what would be erased.
        #[arg(long)]
        dry_run: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the structured request a case holds (to correct it); for a
    /// request not fully understood, its working copy with the questions
    /// still to decide shown as such.
    Structured {
        /// The reference.
        reference: String,
        /// Print the working copy question by question as JSON (with its
        /// revision, for --seen).
        #[arg(long)]
        json: bool,
    },
    /// Write a case's letter: the answer (the kept draft, or from the data
    /// held now), or with --kind another letter made from what the case
    /// records (refused with what to record when a fact it needs is not).
    Letter {
        /// The reference.
        reference: String,
        /// Which letter: response, acknowledgement, clarification,
        /// fees-notice, extension or review-outcome.
        #[arg(long, default_value = "response", value_name = "KIND")]
        kind: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = app::LetterFormat::Md)]
        format: app::LetterFormat,
        /// The letter's JSON form (the same as --format json).
        #[arg(long, conflicts_with = "format")]
        json: bool,
        /// The copy to publish (disclosure log, pages): the same decisions
        /// without the requester's name, contact details or reference.
        #[arg(long)]
        published: bool,
        /// Write to this file instead of standard output (needed for xlsx
        /// and docx).
        #[arg(long, short, alias = "out", value_name = "FILE")]
        output: Option<std::path::PathBuf>,
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
    /// decision to the disclosure log; with --letter, keep the final letter
    /// as sent (DOCX or PDF) with the case, a DOCX's figures compared with
    /// the approved ones (as the workspace's "record as sent" form does).
    Send {
        /// The case.
        #[command(flatten)]
        act: Act,
        /// The final letter as sent: a DOCX or PDF file (at most 10 MB).
        #[arg(long, value_name = "FILE")]
        letter: Option<std::path::PathBuf>,
        /// How it was sent (said in the history).
        #[arg(long, value_enum)]
        channel: Option<Channel>,
    },
    /// Ask the requester to clarify (stops the clock).
    SeekClarification(Act),
    /// The clarification arrived (the 20 working days start again from that day).
    Clarified(Act),
    /// A fees notice was issued (s9): the clock pauses until the fee arrives.
    FeeNotice {
        /// The case.
        #[command(flatten)]
        act: Act,
        /// The fee asked for ("25.00", "£1,250"): the fees notice letter
        /// says it, and is refused while no fee is recorded.
        #[arg(long, value_name = "AMOUNT")]
        fee: Option<String>,
    },
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
    /// The Information Commissioner decided the complaint (record the
    /// complaint first; --note says what was decided).
    IcoDecision(Act),
    /// Resolve a blocking finding of the case's draft (a figure or
    /// statement with nothing recorded): record that the council does not
    /// hold it, with the reason the letter gives (--not-held); accept the
    /// draft's section 21 offer of the publication that published it
    /// (--refer); refuse it under section 12 on your estimate of the hours
    /// finding it would take (--cost-estimate); or ask the requester to
    /// clarify (--clarify: the case goes on hold for clarification). Then
    /// draft again.
    Resolve {
        /// The reference.
        reference: String,
        /// The finding's number, as the draft lists it.
        #[arg(long)]
        finding: usize,
        /// Record that the council does not hold it (section 1(1)).
        #[arg(long, required_unless_present_any = ["refer", "cost_estimate", "clarify"], conflicts_with_all = ["refer", "cost_estimate", "clarify"])]
        not_held: bool,
        /// Accept the s21 offer as it stands: refer the requester to the
        /// publication instead of loading the figure (give --note: why).
        #[arg(long, conflicts_with_all = ["reason", "held_by", "council_wide", "cost_estimate", "clarify"], requires = "note")]
        refer: bool,
        /// Section 12: finding it would take this many hours, more than the
        /// cost limit of 18 (give --note: how the estimate was made).
        #[arg(long, value_name = "HOURS", conflicts_with_all = ["reason", "held_by", "council_wide", "clarify"], requires = "note")]
        cost_estimate: Option<f64>,
        /// Ask the requester to clarify (give --note: what you ask): the
        /// case goes on hold for clarification (section 1(3)) as of the
        /// --as-of day; the finding stays open until the reply.
        #[arg(long, conflicts_with_all = ["reason", "held_by", "council_wide"], requires = "note")]
        clarify: bool,
        /// Why it is not held, as the letter should say it.
        #[arg(long, required_unless_present_any = ["refer", "cost_estimate", "clarify"])]
        reason: Option<String>,
        /// Who holds it instead (advice under section 16).
        #[arg(long)]
        held_by: Option<String>,
        /// Not held for any request, not only this case.
        #[arg(long)]
        council_wide: bool,
        /// Why you resolve it so, for the history (default for --not-held:
        /// the reason; required with --refer).
        #[arg(long)]
        note: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The not-held declarations: the council's and those made on cases,
    /// each with its number, who made it, the data version it is in force
    /// from, and its withdrawal if withdrawn.
    Declarations {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Withdraw a not-held declaration (it was wrong, or the information
    /// has been found): from the new data version on it no longer answers
    /// any request, so the next draft carries the blocking finding again;
    /// a letter made at an earlier data version still uses it. A draft or
    /// approved letter that relied on it cannot be approved or sent
    /// unchanged.
    WithdrawDeclaration {
        /// The declaration's number (lantern request declarations).
        id: i64,
        /// Why it is withdrawn (kept in the audit log and the case's history).
        #[arg(long)]
        reason: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// The case a correction applies to.
#[derive(Debug, clap::Args)]
pub struct Edit {
    /// The reference.
    pub reference: String,
    /// The revision of the working copy you corrected (as `request
    /// structured --json` shows it): refused if the case changed since.
    #[arg(long)]
    pub seen: Option<String>,
    /// A note for the history.
    #[arg(long)]
    pub note: Option<String>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
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

/// How an answer was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Channel {
    /// By e-mail.
    Email,
    /// By post.
    Post,
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
                &casework::ListFilter {
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
            (Some(file), ..) => {
                let text = app::read_text(&file)?;
                casework::correct(
                    ctx,
                    &reference,
                    &file.display().to_string(),
                    text.as_bytes(),
                    note.as_deref(),
                )?;
                out!("{reference}: what it asks is corrected; draft it when ready.");
                Ok(())
            }
            (None, Some(question), Some(phrase), Some(means)) => {
                teach(ctx, &reference, &question, &phrase, &means)
            }
            _ => {
                bail!("give the corrected request FILE, or --question N --phrase TEXT --means CODE")
            }
        },
        RequestCommand::Synonyms { json } => synonyms(ctx, json),
        RequestCommand::ForgetPhrase { phrase, json } => {
            let forgotten = casework::forget_phrase(ctx, &phrase)?;
            if json {
                out!("{}", serde_json::to_string_pretty(&forgotten)?);
            } else {
                out!(
                    "“{}” is no longer used: requests taken in or read again from now on are read without it.",
                    forgotten.phrase
                );
            }
            Ok(())
        }
        RequestCommand::Title { reference, title } => {
            let title = casework::cases::retitle(ctx, &reference, &title)?;
            out!(
                "{reference} is titled “{title}” (the disclosure log shows it when the answer is sent)."
            );
            Ok(())
        }
        RequestCommand::SetAside {
            edit,
            question,
            reason,
        } => corrections(
            ctx,
            edit,
            vec![casework::Correction::SetAside { question, reason }],
        ),
        RequestCommand::Split { edit, question, at } => corrections(
            ctx,
            edit,
            vec![casework::Correction::Split { question, at }],
        ),
        RequestCommand::Merge {
            edit,
            first,
            second,
        } => corrections(
            ctx,
            edit,
            vec![casework::Correction::Merge { first, second }],
        ),
        RequestCommand::Set {
            edit,
            question,
            indicator,
            topic,
            periods,
            filter,
            no_filter,
            breakdown,
            no_breakdown,
        } => {
            let mut list = Vec::new();
            if let Some(indicator) = indicator {
                list.push(casework::Correction::SetIndicator {
                    question: question.clone(),
                    indicator,
                });
            }
            if let Some(topic) = topic {
                list.push(casework::Correction::SetTopic {
                    question: question.clone(),
                    topic,
                });
            }
            if !periods.is_empty() {
                list.push(casework::Correction::SetPeriods {
                    question: question.clone(),
                    periods,
                });
            }
            if !filter.is_empty() || no_filter {
                list.push(casework::Correction::SetFilter {
                    question: question.clone(),
                    filter,
                });
            }
            if !breakdown.is_empty() || no_breakdown {
                list.push(casework::Correction::SetBreakdown {
                    question: question.clone(),
                    breakdown,
                });
            }
            if list.is_empty() {
                bail!(
                    "say what to set: --indicator, --topic, --periods, --filter, --no-filter, --breakdown or --no-breakdown"
                );
            }
            corrections(ctx, edit, list)
        }
        RequestCommand::Reread { edit } => {
            let done = casework::reread(
                ctx,
                &edit.reference,
                edit.seen.as_deref(),
                edit.note.as_deref(),
            )?;
            print_corrected(&done, edit.json)
        }
        RequestCommand::EraseExpired {
            today: day,
            dry_run,
            json,
        } => {
            let day = day.map(|d| parse_date_flag("today", &d)).transpose()?;
            if let (Some(t), Some(a)) = (day, ctx.clock.fixed_day())
                && t != a
            {
                bail!(
                    "--today {t} and --as-of {a} name different days; give one (--today is an alias of --as-of)"
                );
            }
            erase_expired(ctx, day, dry_run, json)
        }
        RequestCommand::Structured { reference, json } => {
            if json {
                let sheet = casework::worksheet(ctx, &reference)?;
                out!("{}", serde_json::to_string_pretty(&sheet)?);
                return Ok(());
            }
            let structured = casework::structured(ctx, &reference)?;
            use std::io::Write;
            std::io::stdout().lock().write_all(structured.as_bytes())?;
            Ok(())
        }
        RequestCommand::Understand { reference, json } => show_understanding(ctx, &reference, json),
        RequestCommand::Attachments { reference, json } => show_attachments(ctx, &reference, json),
        RequestCommand::Attachment {
            reference,
            number,
            output,
        } => {
            let (_, bytes) = casework::attachment(ctx, &reference, number)?;
            app::write_out(Some(&output), &bytes, true)
        }
        RequestCommand::Show { reference, json } => show(ctx, &reference, json),
        RequestCommand::Letter {
            reference,
            kind,
            format,
            json,
            published,
            output,
        } => {
            if kind != "response" {
                return other_letter(ctx, &reference, &kind, format, json, published, output);
            }
            let wanted = if json {
                app::Wanted::Letter(Format::Json)
            } else {
                format.wanted()
            };
            match wanted {
                app::Wanted::Letter(format) => {
                    let answer = casework::letter(ctx, &reference, format, published)?;
                    warn(&answer.warnings);
                    for f in &answer.findings {
                        eprintln!("{f}");
                    }
                    app::write_out(output.as_deref(), answer.letter.as_bytes(), false)
                }
                app::Wanted::Sheet(sheet) => {
                    // The tables hold no personal data: one copy serves both.
                    let bytes = casework::spreadsheet(ctx, &reference, sheet)?;
                    let binary = sheet == lantern_app::sheets::Sheet::Xlsx;
                    app::write_out(output.as_deref(), &bytes, binary)
                }
                app::Wanted::Docx => {
                    let document = casework::correspondence::response(
                        ctx,
                        &reference,
                        casework::correspondence::LetterFile::Docx,
                        published,
                    )?;
                    app::write_out(output.as_deref(), &document.bytes, true)
                }
            }
        }
        RequestCommand::Start(a) => act(ctx, a, Action::Start, None),
        RequestCommand::Draft(a) => draft(ctx, a),
        RequestCommand::Approve(a) => act(ctx, a, Action::Approve, None),
        RequestCommand::Send {
            act,
            letter,
            channel,
        } => send(ctx, act, letter.as_deref(), channel),
        RequestCommand::SeekClarification(a) => act(ctx, a, Action::SeekClarification, None),
        RequestCommand::Clarified(a) => act(ctx, a, Action::Clarified, None),
        RequestCommand::FeeNotice { act: a, fee } => {
            let fee = fee
                .as_deref()
                .map(|f| {
                    lantern_core::figure::Pence::parse(f)
                        .ok()
                        .filter(|p| p.0 > 0)
                        .map(|p| p.0)
                        .ok_or_else(|| {
                            anyhow::anyhow!("--fee {f}: write the fee in pounds, such as 25.00")
                        })
                })
                .transpose()?;
            act_with_fee(ctx, a, Action::IssueFeeNotice, None, fee)
        }
        RequestCommand::FeeReceived(a) => act(ctx, a, Action::FeeReceived, None),
        RequestCommand::Extend { act: a, to } => {
            let to = parse_date_flag("to", &to)?;
            act(ctx, a, Action::Extend, Some(to))
        }
        RequestCommand::Withdraw(a) => act(ctx, a, Action::Withdraw, None),
        RequestCommand::Ico(a) => act(ctx, a, Action::ComplainToIco, None),
        RequestCommand::IcoDecision(a) => act(ctx, a, Action::IcoDecided, None),
        RequestCommand::Resolve {
            reference,
            finding,
            not_held: _,
            refer,
            cost_estimate,
            clarify,
            reason,
            held_by,
            council_wide,
            note,
            json,
        } => {
            let way = if refer {
                casework::Way::Refer
            } else if let Some(hours) = cost_estimate {
                casework::Way::CostEstimate { hours }
            } else if clarify {
                casework::Way::Clarify
            } else {
                casework::Way::NotHeld {
                    reason: reason.unwrap_or_default(),
                    other_holder: held_by,
                    council_wide,
                }
            };
            let done = match &way {
                casework::Way::Refer => {
                    "the requester is referred to the publication under section 21".to_string()
                }
                casework::Way::CostEstimate { hours }
                    if *hours > f64::from(lantern_core::foi::COUNCIL_COST_LIMIT_HOURS) =>
                {
                    format!("refused under section 12 on an estimate of {hours} hours")
                }
                casework::Way::CostEstimate { hours } => format!(
                    "an estimate of {hours} hours recorded: section 12 applies only if the estimates on this request together exceed the cost limit of {} hours (the next draft adds them up)",
                    lantern_core::foi::COUNCIL_COST_LIMIT_HOURS
                ),
                casework::Way::Clarify => {
                    "on hold for clarification (section 1(3)); the finding stays open until the reply"
                        .to_string()
                }
                casework::Way::NotHeld { .. } => "recorded as not held".to_string(),
            };
            let resolved = casework::resolve(
                ctx,
                &casework::Resolving {
                    reference,
                    finding,
                    way,
                    why: note,
                },
            )?;
            if json {
                out!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "reference": resolved.reference,
                        "resolved": resolved.what,
                        "still_open": resolved.still_open.iter().map(|f| serde_json::json!({"number": f.number, "what": f.what})).collect::<Vec<_>>(),
                    }))?
                );
                return Ok(());
            }
            if clarify {
                out!(
                    "{}: {done} ({}). When the reply arrives: lantern request clarified {r}, correct what it asks if need be, then lantern request draft {r}.",
                    resolved.reference,
                    resolved.what,
                    r = resolved.reference
                );
            } else {
                out!(
                    "{}: {done} ({}). Draft it again to use it (lantern request draft {}).",
                    resolved.reference,
                    resolved.what,
                    resolved.reference
                );
            }
            if !resolved.still_open.is_empty() {
                out!(
                    "Still open in the current draft: {}.",
                    resolved
                        .still_open
                        .iter()
                        .map(|f| format!("finding {}", f.number))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            Ok(())
        }
        RequestCommand::Declarations { json } => declarations(ctx, json),
        RequestCommand::WithdrawDeclaration { id, reason, json } => {
            let receipt = casework::withdraw_declaration(ctx, id, &reason)?;
            if json {
                out!(
                    "{}",
                    serde_json::to_string_pretty(&serde_json::json!({
                        "declaration": id,
                        "withdrawn": true,
                        "data_version": receipt.data_version,
                    }))?
                );
            } else {
                out!(
                    "Not-held declaration {id} withdrawn: from data version {} it no longer answers any request; drafts that relied on it must be drafted again.",
                    receipt.data_version
                );
            }
            Ok(())
        }
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

/// Points for the officer, on standard error.
fn warn(warnings: &[String]) {
    for w in warnings {
        eprintln!("warning: {w}");
    }
}

fn parse_date_flag(flag: &str, value: &str) -> Result<Date> {
    value
        .parse::<Date>()
        .map_err(|_| anyhow::anyhow!("--{flag} {value}: write the date as YYYY-MM-DD"))
}

/// A request file's bytes: a structured request is read as text; an e-mail
/// too large to be a request is refused before it is read.
fn read_request(file: &Path, name: &str, form: Form) -> Result<Vec<u8>> {
    if form == Form::Structured {
        return Ok(app::read_text(file)?.into_bytes());
    }
    let size = std::fs::metadata(file)
        .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?
        .len();
    intake::check_email_size(name, size)?;
    let mut bytes = Vec::new();
    use std::io::Read as _;
    std::fs::File::open(file)
        .and_then(|f| f.take(intake::MAX_EMAIL_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| anyhow::anyhow!("cannot read {name}: {e}"))?;
    Ok(bytes)
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
    let name = file.display().to_string();
    let form = Form::of_name(&name);
    let bytes = read_request(file, &name, form)?;
    let received = received
        .map(|r| parse_date_flag("received", &r))
        .transpose()?;
    let opened = casework::take_in(
        ctx,
        &casework::NewRequest {
            name: &name,
            bytes: &bytes,
            form,
            received,
            reference,
            requester,
            contact,
        },
    )?;
    let case = &opened.case;
    let due = &opened.due;
    let links = &opened.links;
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "reference": case.reference,
                "received": case.received.to_string(),
                "status": case.status.code(),
                "due": due.due.to_string(),
                "understood": case.structured.is_some(),
                "for_the_officer": opened.unplaced,
                "calendar": due.calendar_version,
                "related": related_json(links),
                "covered_by": covered_json(links),
                "cost_limit_aggregation": links.aggregation_warning(),
                "already_taken_in": opened.already_taken_in,
                "questions_to_enter": opened.questions_to_enter,
                "transferred": opened.transferred,
                "notes": opened.notes,
                "not_taken_as_a_question": opened
                    .set_aside
                    .iter()
                    .map(|a| serde_json::json!({"kind": a.kind.code(), "text": a.text}))
                    .collect::<Vec<_>>(),
                "attachments": attachments_json(&opened.attachments),
            }))?
        );
    } else if opened.already_taken_in {
        out!(
            "This e-mail was already taken in as {} (received {}; {}; answer due {}): no new case was opened.",
            case.reference,
            long_date(case.received),
            case.status,
            long_date(due.due)
        );
    } else {
        out!(
            "Opened {} (received {}); answer due {}.",
            case.reference,
            long_date(case.received),
            long_date(due.due)
        );
        if !opened.unplaced.is_empty() {
            out!(
                "Lantern could not place question(s) {}; they need the officer before a draft.",
                opened.unplaced.join(", ")
            );
        }
        if let Some(why) = &opened.questions_to_enter {
            out!(
                "Questions to enter: {}.",
                why.trim_start_matches("questions to enter: ")
            );
        }
        if opened.transferred {
            out!("Transferred from another body: the clock runs from the council's own receipt.");
        }
        for note in &opened.notes {
            out!("Note: {note}.");
        }
        for a in &opened.set_aside {
            out!("Not taken as a question ({}):", a.kind.describe());
            for line in a.text.lines() {
                out!("  | {line}");
            }
        }
        for a in opened
            .attachments
            .iter()
            .filter(|a| a.content_type != casework::AS_RECEIVED)
        {
            out!(
                "Attachment {} kept: {} ({}, {} bytes); `lantern request attachment {} {}` writes it out.",
                a.position,
                a.name.as_deref().unwrap_or("unnamed"),
                a.content_type,
                a.size,
                case.reference,
                a.position
            );
        }
        print_links(links)?;
    }
    Ok(())
}

fn attachments_json(kept: &[casework::StoredAttachment]) -> serde_json::Value {
    kept.iter()
        .map(|a| {
            serde_json::json!({
                "number": a.position,
                "name": a.name,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
                "kept_at": a.kept_at,
                "kept_by": a.kept_by,
                "erased_at": a.erased_at,
                "as_received": a.content_type == casework::AS_RECEIVED,
            })
        })
        .collect()
}

fn show_attachments(ctx: &Ctx, reference: &str, json: bool) -> Result<()> {
    let kept = casework::attachments(ctx, reference)?;
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&attachments_json(&kept))?
        );
        return Ok(());
    }
    if kept.is_empty() {
        out!("Request {reference} has no files kept with it.");
    }
    for a in &kept {
        let what = if a.content_type == casework::AS_RECEIVED {
            "the e-mail as received".to_string()
        } else {
            format!(
                "{} ({})",
                a.name.as_deref().unwrap_or("unnamed"),
                a.content_type
            )
        };
        match &a.erased_at {
            Some(at) => out!("{}. {what}: {} bytes, erased {at}", a.position, a.size),
            None => out!(
                "{}. {what}: {} bytes, kept {} by {}",
                a.position,
                a.size,
                a.kept_at,
                a.kept_by
            ),
        }
    }
    Ok(())
}

fn related_json(links: &Links) -> serde_json::Value {
    links
        .related
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

fn covered_json(links: &Links) -> serde_json::Value {
    links
        .covered
        .iter()
        .map(|c| {
            serde_json::json!({
                "reference": c.reference,
                "sent_at": c.sent_at,
                "covers": c.covered.len(),
                "of": links.cells,
            })
        })
        .collect()
}

fn print_links(links: &Links) -> Result<()> {
    for l in &links.related {
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
    for c in &links.covered {
        let sent = c.sent_at.get(..10).unwrap_or(&c.sent_at);
        let (how, offer) = if c.covered.len() == links.cells {
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
            links.cells,
            c.reference
        );
    }
    if let Some(w) = links.aggregation_warning() {
        out!("Cost limit: {w}.");
    }
    Ok(())
}

fn list(ctx: &Ctx, filter: &casework::ListFilter, json: bool) -> Result<()> {
    let listed = casework::list(ctx, filter)?;
    if json {
        let v: Vec<serde_json::Value> = listed
            .rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "reference": r.case.reference, "received": r.case.received.to_string(),
                    "status": r.case.status.code(), "due": r.due.due.to_string(), "on_hold": r.due.on_hold(),
                    "overdue": r.overdue, "release_changed": r.release_changed,
                    "declaration_withdrawn": r.declaration_withdrawn,
                    "questions_to_enter": r.questions_to_enter,
                })
            })
            .collect();
        out!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if listed.held == 0 {
        out!("No requests yet: open one with `lantern request new FILE`.");
    } else if listed.rows.is_empty() {
        out!("No requests match.");
    }
    for r in &listed.rows {
        let d = &r.due;
        let due = if !r.case.status.is_open() {
            String::from("-")
        } else if d.on_hold() {
            format!("{} (on hold)", d.due)
        } else if r.overdue {
            format!("{} (OVERDUE)", d.due)
        } else {
            d.due.to_string()
        };
        out!(
            "{:<16} received {}  {:<22} due {}{}{}{}",
            r.case.reference,
            r.case.received,
            r.case.status.to_string(),
            due,
            if r.release_changed {
                "  [release changed: re-draft]"
            } else {
                ""
            },
            if r.declaration_withdrawn {
                "  [declaration withdrawn: re-draft]"
            } else {
                ""
            },
            if r.questions_to_enter {
                "  [questions to enter: `lantern request correct`]"
            } else {
                ""
            }
        );
    }
    if listed.expired > 0 {
        out!(
            "{} case(s) hold requester details past their retention date: `lantern request erase-expired` erases them.",
            listed.expired
        );
    }
    Ok(())
}

fn show(ctx: &Ctx, reference: &str, json: bool) -> Result<()> {
    let casework::CaseView {
        case,
        history,
        due,
        first_calendar,
        review,
        links,
        findings,
        resolutions,
        release_changes,
        set_aside,
        declaration_changes,
    } = casework::show(ctx, reference)?;
    if json {
        let events: Vec<serde_json::Value> = history
            .iter()
            .map(|e| {
                serde_json::json!({
                    "at": e.at, "actor": e.actor, "action": e.action,
                    "from": e.from.map(|s| s.code()), "to": e.to.code(), "note": e.note,
                    "on": e.on.map(|d| d.to_string()),
                    "extended_to": e.extended_to.map(|d| d.to_string()),
                    "fee_pence": e.fee_pence,
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
            "related": related_json(&links),
            "covered_by": covered_json(&links),
            "cost_limit_aggregation": links.aggregation_warning(),
            "findings": findings.iter().map(|f| serde_json::json!({"number": f.number, "what": f.what})).collect::<Vec<_>>(),
            "resolutions": resolutions.iter().map(|r| serde_json::json!({"finding": r.finding, "resolution": r.kind, "why": r.why, "hours": r.hours, "at": r.at, "by": r.by})).collect::<Vec<_>>(),
            "release_changes": release_changes,
            "not_taken_as_questions": set_aside,
            "declaration_changes": declaration_changes,
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
    for s in &set_aside {
        out!(
            "Not taken as a question{}: “{}” ({}).",
            s.number
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            s.text,
            s.reason
        );
    }
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
    print_links(&links)?;
    if !release_changes.is_empty() {
        out!(
            "Release changed: re-draft. The draft cannot be approved or sent unchanged (lantern request start {r}, then lantern request draft {r}):",
            r = case.reference
        );
        for c in &release_changes {
            out!("  {c}");
        }
    }
    if !declaration_changes.is_empty() {
        out!(
            "Declaration withdrawn: re-draft. The draft cannot be approved or sent unchanged (lantern request start {r}, then lantern request draft {r}):",
            r = case.reference
        );
        for c in &declaration_changes {
            out!("  {c}");
        }
    }
    if !findings.is_empty() {
        out!(
            "Blocking findings in the draft ({}): it cannot be approved or sent until each is resolved.",
            findings.len()
        );
        for f in &findings {
            out!("  finding {}: {}", f.number, f.what);
        }
    }
    for r in &resolutions {
        out!(
            "Resolved {} by {}: {} ({}) — {}",
            r.at,
            r.by,
            r.finding,
            r.kind,
            r.why
        );
    }
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

/// Take a lifecycle action and say what it did to the deadline.
fn act(ctx: &Ctx, a: Act, action: Action, extended_to: Option<Date>) -> Result<()> {
    act_with_fee(ctx, a, action, extended_to, None)
}

/// [`act`], for a fees notice with the fee asked for (in pence).
fn act_with_fee(
    ctx: &Ctx,
    a: Act,
    action: Action,
    extended_to: Option<Date>,
    fee_pence: Option<i64>,
) -> Result<()> {
    let on =
        a.on.as_deref()
            .map(|d| parse_date_flag("on", d))
            .transpose()?;
    let acted = casework::act(
        ctx,
        &casework::Acting {
            reference: a.reference.clone(),
            action,
            note: a.note.clone(),
            on,
            extended_to,
            fee_pence,
        },
    )?;
    warn(&acted.warnings);
    let (before, after) = (&acted.before, &acted.after);
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "reference": a.reference,
                "status": acted.status.code(),
                "on": acted.on.to_string(),
                "due": after.due.to_string(),
                "s17_due": after.s17_due.to_string(),
                "on_hold": after.on_hold(),
                "review_due": acted.review.as_ref().map(|r| r.due.to_string()),
                "warnings": acted.warnings,
            }))?
        );
        return Ok(());
    }
    out!("{} is now {}.", a.reference, acted.status);
    if acted.moves_clock {
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
    if let Some(r) = &acted.review {
        out!(
            "The internal review is due {} (exceptionally {}).",
            r.due,
            r.exceptional_due
        );
    }
    Ok(())
}

/// Draft the answer and keep it with the case; its points to review go to
/// standard error.
fn draft(ctx: &Ctx, a: Act) -> Result<()> {
    let drafted = casework::draft(ctx, &a.reference)?;
    warn(&drafted.warnings);
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "reference": a.reference,
                "status": drafted.status.code(),
                "data_version": drafted.data_version,
                "warnings": drafted.warnings,
                "findings": drafted.findings,
                "withheld": drafted.withheld,
            }))?
        );
        return Ok(());
    }
    print_findings(&a.reference, &drafted.findings)?;
    if !drafted.withheld.is_empty() {
        out!("Withheld under section 40(2), and why:");
        for w in &drafted.withheld {
            out!("  {w}");
        }
    }
    out!(
        "{} is now {} (from data version {}{}).",
        a.reference,
        drafted.status,
        drafted.data_version,
        if drafted.warnings.is_empty() {
            String::new()
        } else {
            format!(
                "; {} point(s) to review, printed above",
                drafted.warnings.len()
            )
        }
    );
    Ok(())
}

/// A draft's blocking findings, each with its ways forward, on standard
/// output (they are the officer's next step, not a side note).
/// `lantern request letter REF --kind KIND`: a letter other than the answer.
fn other_letter(
    ctx: &Ctx,
    reference: &str,
    kind: &str,
    format: app::LetterFormat,
    json: bool,
    published: bool,
    output: Option<std::path::PathBuf>,
) -> Result<()> {
    use casework::correspondence::LetterFile;
    let Some(kind) = lantern_core::correspondence::Kind::parse(kind) else {
        let kinds: Vec<&str> = lantern_core::correspondence::Kind::ALL
            .iter()
            .map(|k| k.code())
            .collect();
        anyhow::bail!(
            "--kind {kind}: write response or one of {}",
            kinds.join(", ")
        );
    };
    if published {
        anyhow::bail!(
            "--published: only the answer is published; the {} letter goes to the requester alone",
            kind.code()
        );
    }
    let file = match (json, format) {
        (false, app::LetterFormat::Md) => LetterFile::Md,
        (false, app::LetterFormat::Html) => LetterFile::Html,
        (false, app::LetterFormat::Docx) => LetterFile::Docx,
        _ => anyhow::bail!(
            "--kind {}: this letter is written as md, html or docx (json, csv and xlsx are the answer's)",
            kind.code()
        ),
    };
    let document = casework::correspondence::letter(ctx, reference, kind, file)?;
    app::write_out(output.as_deref(), &document.bytes, file == LetterFile::Docx)
}

fn print_findings(reference: &str, findings: &[lantern_app::letters::FindingView]) -> Result<()> {
    if findings.is_empty() {
        return Ok(());
    }
    out!(
        "{} blocking finding(s): the draft cannot be approved or sent until each is resolved.",
        findings.len()
    );
    for f in findings {
        out!("  finding {}: {}", f.number, f.what);
        for w in &f.ways_forward {
            let how = match w.code {
                "load" => {
                    " (lantern import figures FILE, then lantern request draft REF)".to_string()
                }
                "record_not_held" => format!(
                    " (lantern request resolve {reference} --finding {} --not-held --reason TEXT [--held-by BODY])",
                    f.number
                ),
                "seek_clarification" => format!(
                    " (lantern request resolve {reference} --finding {} --clarify --note WHAT)",
                    f.number
                ),
                _ => format!(
                    " (over 18 hours: lantern request resolve {reference} --finding {} --cost-estimate HOURS --note HOW)",
                    f.number
                ),
            };
            out!("    - {}{}", w.text, how.replace("REF", reference));
        }
    }
    Ok(())
}

/// Send the approved draft and say how many log entries it added.
fn send(
    ctx: &Ctx,
    a: Act,
    letter: Option<&std::path::Path>,
    channel: Option<Channel>,
) -> Result<()> {
    use lantern_app::casework::final_letter;
    let on =
        a.on.as_deref()
            .map(|d| parse_date_flag("on", d))
            .transpose()?;
    let upload = match letter {
        Some(path) => Some(final_letter::Upload {
            name: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            bytes: lantern_app::files::read_bounded(path, final_letter::MAX_FINAL_LETTER_BYTES)?,
        }),
        None => None,
    };
    // Said in the history as the workspace's form says it.
    let note = match (channel, a.note.clone()) {
        (None, note) => note,
        (Some(c), note) => {
            let by = match c {
                Channel::Email => "sent by e-mail",
                Channel::Post => "sent by post",
            };
            Some(match note {
                Some(n) => format!("{by}: {n}"),
                None => by.to_string(),
            })
        }
    };
    let sent = casework::send_with(ctx, &a.reference, note, on, upload.as_ref())?;
    warn(&sent.warnings);
    if let Some(kept) = sent.final_letter.as_ref().filter(|_| upload.is_some()) {
        if !kept.compared {
            eprintln!(
                "warning: the final letter was kept; its figures were not compared with the approved ones (a PDF is not read)"
            );
        }
        for d in &kept.differences {
            eprintln!("warning: the final letter differs from the approved answer: {d}");
        }
    }
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "reference": a.reference,
                "status": sent.status.code(),
                "sent_on": sent.sent_on.to_string(),
                "due": sent.due.to_string(),
                "late": sent.late,
                "log_entries": sent.log_entries,
            }))?
        );
        return Ok(());
    }
    out!(
        "{} is now {}; {} entries added to the disclosure log.",
        a.reference,
        sent.status,
        sent.log_entries
    );
    Ok(())
}

fn show_understanding(ctx: &Ctx, reference: &str, json: bool) -> Result<()> {
    let readings = casework::understanding(ctx, reference)?;
    let rows: Vec<serde_json::Value> = readings
        .iter()
        .map(|r| {
            serde_json::json!({
                "question": r.question,
                "text": r.text,
                "reading": r.reading,
                "confidence": r.confidence,
                "needs_officer": r.needs_officer,
                "alternatives": r.alternatives.iter().map(|a| serde_json::json!({"reading": a.reading, "confidence": a.confidence})).collect::<Vec<_>>(),
                "notes": r.notes,
            })
        })
        .collect();
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
    for a in casework::not_taken(ctx, reference)? {
        out!("Not taken as a question ({}):", a.kind.describe());
        for line in a.text.lines() {
            out!("  | {line}");
        }
    }
    Ok(())
}

/// Teach what a phrase of one question means, and say what the case reads as now.
fn teach(ctx: &Ctx, reference: &str, number: &str, phrase: &str, means: &str) -> Result<()> {
    let taught = casework::teach(ctx, reference, number, phrase, means)?;
    out!(
        "Learned: “{}” means {}, for this and every later request.",
        taught.phrase,
        taught.means
    );
    out!(
        "{reference} question {number} now reads: {}.",
        taught.reading
    );
    if taught.still_for_the_officer.is_empty() {
        out!("{reference}: every question is understood; draft it when ready.");
    } else {
        out!(
            "{reference}: question(s) {} still need the officer.",
            taught.still_for_the_officer.join(", ")
        );
    }
    Ok(())
}

/// Apply corrections to a case's working copy and say what is left.
fn corrections(ctx: &Ctx, edit: Edit, list: Vec<casework::Correction>) -> Result<()> {
    let done = casework::correct_questions(
        ctx,
        &casework::Correcting {
            reference: edit.reference,
            corrections: list,
            seen: edit.seen,
            note: edit.note,
        },
    )?;
    print_corrected(&done, edit.json)
}

fn print_corrected(done: &casework::Corrected, json: bool) -> Result<()> {
    if json {
        out!("{}", serde_json::to_string_pretty(done)?);
        return Ok(());
    }
    let sheet = &done.worksheet;
    for line in &done.done {
        out!("{}: {line}.", sheet.reference);
    }
    for q in &sheet.questions {
        let reading = match (&q.reading, &q.to_decide) {
            (_, Some(what)) => format!(
                "{} ← to decide: {what}",
                q.reading.as_deref().unwrap_or("?")
            ),
            (Some(r), None) => r.clone(),
            (None, None) => "(its parts ask)".to_string(),
        };
        out!("  {}) {}", q.question, reading);
    }
    for s in &sheet.set_aside {
        out!(
            "  not taken as a question{}: {} ({})",
            s.number
                .as_deref()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default(),
            s.text,
            s.reason
        );
    }
    if sheet.complete {
        out!(
            "{}: every question is understood; draft it when ready.",
            sheet.reference
        );
    }
    Ok(())
}

fn synonyms(ctx: &Ctx, json: bool) -> Result<()> {
    let held = casework::synonyms(ctx)?;
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

/// Erase requester details past their retention date, and say which.
fn erase_expired(ctx: &Ctx, day: Option<Date>, dry_run: bool, json: bool) -> Result<()> {
    let done = casework::erase_expired(ctx, day, dry_run)?;
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "today": done.today.to_string(),
                "dry_run": done.dry_run,
                "erased": done.erased,
                "kept_open": done.kept_open,
            }))?
        );
        return Ok(());
    }
    let verb = if dry_run { "Would erase" } else { "Erased" };
    if done.erased.is_empty() {
        out!("No requester details are past their retention date.");
    } else {
        out!(
            "{verb} the requester details of {} case(s): {}.",
            done.erased.len(),
            done.erased.join(", ")
        );
    }
    if !done.kept_open.is_empty() {
        out!(
            "Kept until answered or withdrawn (still open): {}.",
            done.kept_open.join(", ")
        );
    }
    Ok(())
}

/// Print the not-held declarations, newest last.
fn declarations(ctx: &Ctx, json: bool) -> Result<()> {
    let all = casework::declarations(ctx)?;
    if json {
        let v: Vec<serde_json::Value> = all
            .iter()
            .map(|d| {
                let decl = &d.declaration;
                serde_json::json!({
                    "id": decl.id,
                    "case": match &decl.by {
                        lantern_core::finding::DeclaredBy::Case(r) => Some(r.as_str()),
                        lantern_core::finding::DeclaredBy::Council => None,
                    },
                    "subject": decl.subject,
                    "area": decl.area,
                    "period": decl.period.map(|p| p.to_string()),
                    "breakdown": decl.breakdown.key(),
                    "reason": decl.reason,
                    "held_by": decl.other_holder,
                    "declared_at": d.declared_at,
                    "declared_by": d.declared_by,
                    "in_force_from": d.added_in,
                    "withdrawn": d.withdrawn.as_ref().map(|w| serde_json::json!({
                        "data_version": w.retired_in, "at": w.at, "by": w.by, "reason": w.reason,
                    })),
                })
            })
            .collect();
        out!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(());
    }
    if all.is_empty() {
        out!(
            "No not-held declarations: an officer records one with lantern request resolve REF --finding N --not-held --reason TEXT."
        );
    }
    for d in &all {
        let decl = &d.declaration;
        let whose = match &decl.by {
            lantern_core::finding::DeclaredBy::Case(r) => format!("request {r}"),
            lantern_core::finding::DeclaredBy::Council => "council-wide".to_string(),
        };
        let mut about = vec![decl.subject.clone()];
        about.extend(decl.area.clone());
        about.extend(decl.period.map(|p| p.to_string()));
        if !decl.breakdown.0.is_empty() {
            about.push(decl.breakdown.key());
        }
        out!(
            "{:>4}  {} ({whose}): {}",
            decl.id.unwrap_or_default(),
            about.join(", "),
            decl.reason
        );
        out!(
            "      by {} at {}{}",
            d.declared_by,
            d.declared_at,
            d.added_in
                .map(|v| format!(", in force from data version {v}"))
                .unwrap_or_default()
        );
        if let Some(w) = &d.withdrawn {
            out!(
                "      WITHDRAWN by {} at {} (from data version {}): {}",
                w.by,
                w.at,
                w.retired_in,
                w.reason
            );
        }
    }
    Ok(())
}
