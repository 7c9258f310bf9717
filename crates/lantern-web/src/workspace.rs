//! A request's workspace (`/cases/{reference}`) and the forms that correct
//! it in place: each question verbatim beside its reading (how sure, the
//! alternatives considered) with forms to set its indicator or topic,
//! periods, filters and breakdowns, to split, merge or set it aside, or to
//! read the e-mail again; the draft's blocking findings, each with its ways
//! forward as forms; discrepancies with earlier answers; why each withheld
//! count is withheld; related requests; the clock with its working; the
//! history. Every form calls the same use cases as the CLI (`lantern
//! request set|split|merge|set-aside|reread|resolve`), which hold the rules;
//! this module only parses, calls and renders. A form with something wrong
//! in a field shows the workspace again with a GOV.UK error summary linked
//! to the field and the error beside it, nothing changed; a form made
//! before someone else changed the case is refused, nothing changed.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lantern_app::Kind;
use lantern_app::casework::workspace;
use lantern_app::casework::{self, Correction};
use lantern_app::letters::{Format, markdown_to_html};
use lantern_app::policy::{self, Action, Resource};
use minijinja::context;
use serde::Deserialize;

use crate::auth::{Visitor, see_other};
use crate::staff::{allow_case, allow_case_form, clock_actions, segment};
use crate::{Failure, Site, act, private_page, render};

/// The longest a short text field may be (codes, periods, words to split at).
const SHORT: usize = 200;
/// The longest a note or reason may be.
const LONG: usize = 2000;

/// Where on the workspace a form's problem is: a question's row (by its
/// number) or a finding (by its number), and the field.
#[derive(Debug, Clone)]
pub(crate) enum Place {
    Question(String),
    Finding(usize),
}

/// What was wrong with a posted form, tied to one field.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    place: Place,
    field: &'static str,
    message: String,
    /// What was typed in the form's fields (by name), shown again.
    typed: Vec<(&'static str, String)>,
}

impl Problem {
    fn at(place: Place, field: &'static str, message: impl Into<String>) -> Problem {
        Problem {
            place,
            field,
            message: message.into(),
            typed: Vec::new(),
        }
    }

    /// The problem, with what was typed in the form's fields.
    fn typed(mut self, fields: &[(&'static str, &Option<String>)]) -> Problem {
        self.typed = fields
            .iter()
            .filter_map(|(name, value)| value.as_ref().map(|v| (*name, v.clone())))
            .collect();
        self
    }
}

/// A question form's text fields, by name.
fn typed_question(form: &QuestionForm) -> [(&'static str, &Option<String>); 8] {
    [
        ("indicator", &form.indicator),
        ("topic", &form.topic),
        ("periods", &form.periods),
        ("filter", &form.filter),
        ("breakdown", &form.breakdown),
        ("at", &form.at),
        ("second", &form.second),
        ("reason", &form.reason),
    ]
}

/// `GET /cases/{reference}`: the workspace.
pub(crate) async fn case(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Result<Response, Failure> {
    let visitor = allow_case(&site, &headers, Action::ViewCase, &reference).await?;
    page(&site, &visitor, &reference, None).await
}

/// The workspace, with a form's problem shown (status 400) when given.
async fn page(
    site: &Arc<Site>,
    visitor: &Visitor,
    reference: &str,
    problem: Option<Problem>,
) -> Result<Response, Failure> {
    let ctx = site.context(&visitor.actor.username);
    let asked = reference.to_string();
    let (view, sheet, readings, not_taken, letter, withheld, findings, self_approval, today) =
        // The parts of the page each read the case's draft: parsed once.
        act(move || casework::reading_drafts_once(|| {
            let view = casework::show(&ctx, &asked)?;
            // A request whose questions cannot be read says why on the page,
            // the rest of the workspace still shown.
            let sheet = match casework::worksheet(&ctx, &asked) {
                Ok(sheet) => Ok(sheet),
                Err(e) if e.kind() == Kind::Invalid => Err(e.message().to_string()),
                Err(e) => return Err(e),
            };
            // A case opened from a structured request file (or whose e-mail
            // was erased) has no e-mail to read: the page says so.
            let readings = match casework::understanding(&ctx, &asked) {
                Ok(readings) => Ok(readings),
                Err(e) if matches!(e.kind(), Kind::Invalid | Kind::Conflict) => {
                    Err(e.message().to_string())
                }
                Err(e) => return Err(e),
            };
            let not_taken = casework::not_taken(&ctx, &asked)?;
            let letter = match view.case.status {
                casework::Status::Drafted | casework::Status::Approved | casework::Status::Sent => {
                    Some(casework::letter(&ctx, &asked, Format::Md, false)?.letter)
                }
                _ => None,
            };
            let withheld = workspace::withheld_in_draft(&ctx, &asked)?;
            let findings = workspace::findings_in_draft(&ctx, &asked)?;
            let self_approval = policy::self_approval_allowed(&ctx)?;
            let today = if view.case.status.is_open() {
                Some(workspace::clock_today(&ctx, &view.due)?)
            } else {
                None
            };
            Ok((
                view,
                sheet,
                readings,
                not_taken,
                letter,
                withheld,
                findings,
                self_approval,
                today,
            ))
        }))
        .await?;
    let email = lantern_core::understand::parse_email(view.case.original.as_bytes()).ok();
    let resource = Resource {
        council: site.council_code.clone(),
        drafted_by: policy::authors(&view.history),
        self_approval,
    };
    let may = |a: Action| policy::may(Some(&visitor.actor), a, &resource).allowed();
    let status = view.case.status;
    let (sheet, unreadable) = match sheet {
        Ok(sheet) => (Some(sheet), None),
        Err(why) => (None, Some(why)),
    };
    let questions = sheet
        .as_ref()
        .map(|s| s.questions.as_slice())
        .unwrap_or_default();
    let rows: Vec<_> = questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            // Lantern's reading of the e-mail, where the question is still
            // the one it read (same number, same words).
            let lantern = readings
                .as_deref()
                .unwrap_or_default()
                .iter()
                .find(|r| r.question == q.question && r.text == q.text)
                .map(|r| {
                    context! {
                        reading => r.reading.clone(),
                        confidence => format!("{:.0}%", r.confidence * 100.0),
                        needs_officer => r.needs_officer,
                        alternatives => r.alternatives.iter().map(|a| format!("{} ({:.0}%)", a.reading, a.confidence * 100.0)).collect::<Vec<_>>(),
                        notes => r.notes.clone(),
                    }
                });
            context! {
                row => i + 1,
                question => q.question.clone(),
                text => q.text.clone(),
                reading => q.reading.clone(),
                to_decide => q.to_decide.clone(),
                lantern => lantern,
            }
        })
        .collect();
    let set_aside: Vec<_> = sheet
        .iter()
        .flat_map(|s| &s.set_aside)
        .map(|s| context! { number => s.number.clone(), text => s.text.clone(), reason => s.reason.clone() })
        .collect();
    // The element ids of a problem's form start so.
    let prefix = problem.as_ref().and_then(|p| match &p.place {
        Place::Question(q) => questions
            .iter()
            .position(|w| &w.question == q)
            .map(|i| format!("q{}-", i + 1)),
        Place::Finding(n) => findings
            .iter()
            .any(|f| f.number == *n)
            .then(|| format!("f{n}-")),
    });
    let typed: std::collections::BTreeMap<String, String> = match (&problem, &prefix) {
        (Some(p), Some(prefix)) => p
            .typed
            .iter()
            .map(|(name, value)| (format!("{prefix}{name}"), value.clone()))
            .collect(),
        _ => Default::default(),
    };
    let error = problem.as_ref().map(|p| {
        let anchor = match &p.place {
            Place::Question(q) => questions
                .iter()
                .position(|w| &w.question == q)
                .map(|i| format!("q{}-{}", i + 1, p.field))
                .unwrap_or_else(|| "readings".to_string()),
            Place::Finding(n) if findings.iter().any(|f| f.number == *n) => {
                format!("f{n}-{}", p.field)
            }
            Place::Finding(_) => "answer".to_string(),
        };
        context! { anchor => anchor, message => p.message.clone() }
    });
    let history: Vec<_> = view
        .history
        .iter()
        .map(|e| {
            context! {
                at => e.at.clone(),
                actor => e.actor.clone(),
                action => e.action.replace('_', " "),
                to => e.to.code().replace('_', " "),
                note => e.note.clone(),
            }
        })
        .collect();
    let due = &view.due;
    let clock = context! {
        received => due.received.to_string(),
        effective_receipt => due.effective_receipt.to_string(),
        due => due.due.to_string(),
        s17_due => due.s17_due.to_string(),
        hold => due.hold.as_ref().map(|h| match h {
            lantern_core::deadline::Hold::Clarification { sought } => format!("waiting for the requester's clarification, asked for on {sought}: the count starts again from the day it arrives"),
            lantern_core::deadline::Hold::Fee { notice_issued } => format!("waiting for the fee asked for by the notice of {notice_issued}: the working days until it is paid are not counted"),
        }),
        paused => due.paused_working_days(),
        fee_pauses => due.fee_pauses.iter().map(|p| format!("from {} (notice) to {} (paid): {} working days not counted", p.issued, p.paid, p.working_days)).collect::<Vec<_>>(),
        extension => due.extension.as_ref().map(|x| format!(
            "to {}: {} working days after the 20th working day{}",
            x.to,
            x.working_days,
            if x.beyond_normal { "; more than the 20 extra working days the ICO normally accepts, so it should be justified" } else { "" }
        )),
        holidays => due.holidays.iter().map(|(d, name)| format!("{d} ({name})")).collect::<Vec<_>>(),
        calendar => due.calendar_version.clone(),
        today => today.map(|t| context! {
            day => t.today.to_string(),
            left => t.working_days_left,
            late => t.working_days_late,
        }),
    };
    let findings: Vec<_> = findings
        .iter()
        .map(|f| {
            context! {
                number => f.number,
                question => f.question.clone(),
                what => f.what.clone(),
                ways => f.ways_forward.iter().map(|w| context! { code => w.code.clone(), text => w.text.clone() }).collect::<Vec<_>>(),
                publication => f.publication.as_ref().map(|(title, url)| context! { title => title.clone(), url => url.clone() }),
            }
        })
        .collect();
    let related: Vec<_> = view
        .links
        .related
        .iter()
        .map(|l| {
            context! {
                reference => l.reference.clone(),
                received => l.received.to_string(),
                days_apart => l.working_days_apart,
                same_requester => l.same_requester,
                repeat => l.repeat,
            }
        })
        .collect();
    let covered: Vec<_> = view
        .links
        .covered
        .iter()
        .map(|c| {
            context! {
                reference => c.reference.clone(),
                sent_at => c.sent_at.clone(),
                figures => c.covered.len(),
            }
        })
        .collect();
    let draft_html = letter.map(|md| minijinja::Value::from_safe_string(markdown_to_html(&md)));
    let final_letters = crate::actions::kept_letters(site, visitor, reference).await?;
    let before_draft = matches!(
        status,
        casework::Status::Received | casework::Status::InProgress
    );
    let html = render(
        site,
        "case.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            error => error,
            typed => typed,
            reference => view.case.reference.clone(),
            status => status.code(),
            status_words => status.code().replace('_', " "),
            revision => sheet.as_ref().map(|s| s.revision.clone()),
            complete => sheet.as_ref().is_some_and(|s| s.complete),
            unreadable => unreadable,
            no_reading => readings.as_ref().err().cloned(),
            not_taken => not_taken.iter().map(|a| context! { kind => a.kind.describe(), text => a.text.clone() }).collect::<Vec<_>>(),
            requester => view.case.requester_name.clone(),
            subject => email.as_ref().and_then(|e| e.subject.clone()),
            from => email.as_ref().and_then(|e| e.from_name.clone()),
            original => view.case.original.clone(),
            rows => rows,
            set_aside => set_aside,
            draft => draft_html,
            findings => findings,
            withheld => withheld,
            release_changes => view.release_changes.clone(),
            declaration_changes => view.declaration_changes.clone(),
            clock => clock,
            history => history,
            related => related,
            covered => covered,
            cells => view.links.cells,
            aggregation => view.links.aggregation_warning(),
            may_draft => may(Action::Draft) && matches!(status, casework::Status::Received | casework::Status::InProgress | casework::Status::Drafted),
            may_resolve => may(Action::Draft) && status == casework::Status::Drafted,
            may_approve => may(Action::Approve) && status == casework::Status::Drafted,
            approve_refused => (visitor.actor.has(lantern_app::accounts::Role::Approver) && !may(Action::Approve) && status == casework::Status::Drafted),
            may_send => may(Action::Send) && status == casework::Status::Approved,
            may_clock => may(Action::ClockAction) && status.is_open(),
            may_after_answer => may(Action::ClockAction) && status.is_answered(),
            after_answer => crate::actions::after_answer(),
            final_letters => final_letters,
            clock_actions => clock_actions(),
            letters => crate::letters::offered(),
            may_correct => may(Action::Correct) && before_draft,
            title => lantern_core::casework::title_of(&view.history).map(str::to_string).unwrap_or_else(|| workspace::subject(&view.case)),
            may_retitle => may(Action::Correct) && lantern_core::casework::retitlable(status),
            correct_after_reopening => may(Action::Correct) && status == casework::Status::Drafted,
        },
    )?;
    let mut response = private_page(html);
    if problem.is_some() {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

/// A text field's value, trimmed; `None` when empty; a problem when longer
/// than `max` characters.
fn field(
    value: &Option<String>,
    max: usize,
    place: &Place,
    name: &'static str,
    what: &str,
) -> Result<Option<String>, Problem> {
    match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > max => Err(Problem::at(
            place.clone(),
            name,
            format!("{what} must be {max} characters or fewer"),
        )),
        Some(v) => Ok(Some(v.to_string())),
    }
}

/// A list typed in one field, separated by commas or new lines.
fn list(value: &Option<String>) -> Vec<String> {
    value
        .as_deref()
        .unwrap_or_default()
        .split([',', '\n'])
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

/// What every correction form sends: the secret, the status and the
/// working copy's revision the form was made from, and the question.
#[derive(Debug, Deserialize)]
pub(crate) struct QuestionForm {
    csrf: Option<String>,
    seen: Option<String>,
    revision: Option<String>,
    question: Option<String>,
    indicator: Option<String>,
    topic: Option<String>,
    periods: Option<String>,
    filter: Option<String>,
    no_filter: Option<String>,
    breakdown: Option<String>,
    no_breakdown: Option<String>,
    at: Option<String>,
    second: Option<String>,
    reason: Option<String>,
}

/// Which correction a form asks for.
#[derive(Debug, Clone, Copy)]
enum Step {
    Set,
    Split,
    Merge,
    SetAside,
}

/// The corrections a form asks for, or what is wrong with it (tied to a
/// field), and the field an error of the use case belongs to.
fn corrections(
    step: Step,
    form: &QuestionForm,
) -> Result<(Vec<Correction>, &'static str), Problem> {
    let question = form
        .question
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    let place = Place::Question(question.clone());
    if question.is_empty() || question.chars().count() > 20 {
        return Err(Problem::at(
            place,
            "question",
            "Choose the question to correct from the list of questions",
        ));
    }
    match step {
        Step::Set => {
            let mut list_of = Vec::new();
            let mut first = None;
            let mut at = |name: &'static str| {
                first.get_or_insert(name);
            };
            if let Some(indicator) =
                field(&form.indicator, SHORT, &place, "indicator", "The indicator")?
            {
                at("indicator");
                list_of.push(Correction::SetIndicator {
                    question: question.clone(),
                    indicator,
                });
            }
            if let Some(topic) = field(&form.topic, SHORT, &place, "topic", "The topic")? {
                at("topic");
                list_of.push(Correction::SetTopic {
                    question: question.clone(),
                    topic,
                });
            }
            field(&form.periods, SHORT, &place, "periods", "The periods")?;
            let periods = list(&form.periods);
            if !periods.is_empty() {
                at("periods");
                list_of.push(Correction::SetPeriods {
                    question: question.clone(),
                    periods,
                });
            }
            field(&form.filter, SHORT, &place, "filter", "The filter")?;
            let filter = list(&form.filter);
            let no_filter = form.no_filter.is_some();
            if !filter.is_empty() && no_filter {
                return Err(Problem::at(
                    place,
                    "filter",
                    "Either give the values to narrow the figures to, or tick “No filter”, not both",
                ));
            }
            if !filter.is_empty() || no_filter {
                at("filter");
                list_of.push(Correction::SetFilter {
                    question: question.clone(),
                    filter,
                });
            }
            field(&form.breakdown, SHORT, &place, "breakdown", "The breakdown")?;
            let breakdown = list(&form.breakdown);
            let no_breakdown = form.no_breakdown.is_some();
            if !breakdown.is_empty() && no_breakdown {
                return Err(Problem::at(
                    place,
                    "breakdown",
                    "Either give the dimensions to break the figures down by, or tick “No breakdown”, not both",
                ));
            }
            if !breakdown.is_empty() || no_breakdown {
                at("breakdown");
                list_of.push(Correction::SetBreakdown {
                    question: question.clone(),
                    breakdown,
                });
            }
            match first {
                Some(name) => Ok((list_of, name)),
                None => Err(Problem::at(
                    place,
                    "indicator",
                    format!(
                        "Enter what to change in question {question}: an indicator or topic, periods, a filter or a breakdown"
                    ),
                )),
            }
        }
        Step::Split => {
            field(&form.at, LONG, &place, "at", "The words to split at")?;
            let at: Vec<String> = form
                .at
                .as_deref()
                .unwrap_or_default()
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            Ok((vec![Correction::Split { question, at }], "at"))
        }
        Step::Merge => {
            let second = field(&form.second, 20, &place, "second", "The question to join")?
                .ok_or_else(|| {
                    Problem::at(
                        place.clone(),
                        "second",
                        format!("Enter the number of the question to join to question {question}"),
                    )
                })?;
            Ok((
                vec![Correction::Merge {
                    first: question,
                    second,
                }],
                "second",
            ))
        }
        Step::SetAside => {
            let reason =
                field(&form.reason, LONG, &place, "reason", "The reason")?.ok_or_else(|| {
                    Problem::at(
                        place.clone(),
                        "reason",
                        format!("Enter why question {question} is not a question to answer"),
                    )
                })?;
            Ok((vec![Correction::SetAside { question, reason }], "reason"))
        }
    }
}

/// Make the corrections a question's form asks for, with the use case.
async fn correct_question(
    site: Arc<Site>,
    headers: HeaderMap,
    reference: String,
    form: QuestionForm,
    step: Step,
) -> Result<Response, Failure> {
    let visitor = allow_case_form(
        &site,
        &headers,
        Action::Correct,
        &reference,
        form.csrf.as_deref(),
        form.seen.as_deref(),
    )
    .await?;
    let (list_of, main) = match corrections(step, &form) {
        Ok(made) => made,
        Err(problem) => {
            let problem = problem.typed(&typed_question(&form));
            return page(&site, &visitor, &reference, Some(problem)).await;
        }
    };
    let place = Place::Question(form.question.clone().unwrap_or_default().trim().to_string());
    let ctx = site.context(&visitor.actor.username);
    let correcting = casework::Correcting {
        reference: reference.clone(),
        corrections: list_of,
        seen: Some(form.revision.clone().unwrap_or_default()),
        note: None,
    };
    let done = crate::blocking(move || casework::correct_questions(&ctx, &correcting)).await?;
    match done {
        Ok(_) => Ok(see_other(&format!(
            "/cases/{}#readings",
            segment(&reference)
        ))),
        Err(e) if matches!(e.kind(), Kind::Invalid | Kind::NotFound) => {
            let problem =
                Problem::at(place, main, e.message().to_string()).typed(&typed_question(&form));
            page(&site, &visitor, &reference, Some(problem)).await
        }
        Err(e) => Err(crate::failure(e)),
    }
}

/// `POST /cases/{reference}/questions/set`: set a question's indicator or
/// topic, periods, filter or breakdown.
pub(crate) async fn set(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<QuestionForm>,
) -> Result<Response, Failure> {
    correct_question(site, headers, reference, form, Step::Set).await
}

/// `POST /cases/{reference}/questions/split`: split a question into parts.
pub(crate) async fn split(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<QuestionForm>,
) -> Result<Response, Failure> {
    correct_question(site, headers, reference, form, Step::Split).await
}

/// `POST /cases/{reference}/questions/merge`: join another question to one.
pub(crate) async fn merge(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<QuestionForm>,
) -> Result<Response, Failure> {
    correct_question(site, headers, reference, form, Step::Merge).await
}

/// `POST /cases/{reference}/questions/set-aside`: drop a question from the
/// request as not a question, with why (its words stay with the case).
pub(crate) async fn set_aside(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<QuestionForm>,
) -> Result<Response, Failure> {
    correct_question(site, headers, reference, form, Step::SetAside).await
}

/// What the re-read form sends.
#[derive(Debug, Deserialize)]
pub(crate) struct RereadForm {
    csrf: Option<String>,
    seen: Option<String>,
    revision: Option<String>,
}

/// `POST /cases/{reference}/questions/reread`: read the e-mail again with
/// the phrases taught so far (the corrections made are replaced).
pub(crate) async fn reread(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<RereadForm>,
) -> Result<Response, Failure> {
    let visitor = allow_case_form(
        &site,
        &headers,
        Action::Correct,
        &reference,
        form.csrf.as_deref(),
        form.seen.as_deref(),
    )
    .await?;
    let ctx = site.context(&visitor.actor.username);
    let asked = reference.clone();
    let seen = form.revision.unwrap_or_default();
    act(move || casework::reread(&ctx, &asked, Some(&seen), None)).await?;
    Ok(see_other(&format!(
        "/cases/{}#readings",
        segment(&reference)
    )))
}

/// What the correction-by-phrase form sends: which question, the phrase in
/// it and what the phrase means.
#[derive(Debug, Deserialize)]
pub(crate) struct TeachForm {
    csrf: Option<String>,
    seen: Option<String>,
    question: Option<String>,
    phrase: Option<String>,
    means: Option<String>,
}

/// `POST /cases/{reference}/correct`: teach what a phrase of one question
/// means (remembered for later requests); the case is read again with it.
pub(crate) async fn teach(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<TeachForm>,
) -> Result<Response, Failure> {
    let visitor = allow_case_form(
        &site,
        &headers,
        Action::Correct,
        &reference,
        form.csrf.as_deref(),
        form.seen.as_deref(),
    )
    .await?;
    let question = form
        .question
        .as_deref()
        .map(str::trim)
        .unwrap_or_default()
        .to_string();
    let place = Place::Question(question.clone());
    let checked = (|| {
        if question.is_empty() || question.chars().count() > 20 {
            return Err(Problem::at(
                place.clone(),
                "phrase",
                "Choose the question to correct from the list of questions",
            ));
        }
        let phrase =
            field(&form.phrase, SHORT, &place, "phrase", "The words")?.ok_or_else(|| {
                Problem::at(
                    place.clone(),
                    "phrase",
                    format!("Enter the words from question {question} to teach"),
                )
            })?;
        let means = field(&form.means, SHORT, &place, "means", "What the words mean")?.ok_or_else(
            || {
                Problem::at(
                    place.clone(),
                    "means",
                    "Enter what the words mean: an indicator or topic code, or dimension=value",
                )
            },
        )?;
        Ok((phrase, means))
    })();
    let typed = [("phrase", &form.phrase), ("means", &form.means)];
    let (phrase, means) = match checked {
        Ok(v) => v,
        Err(problem) => {
            let problem = problem.typed(&typed);
            return page(&site, &visitor, &reference, Some(problem)).await;
        }
    };
    let ctx = site.context(&visitor.actor.username);
    let asked = reference.clone();
    let number = question.clone();
    let done =
        crate::blocking(move || casework::teach(&ctx, &asked, &number, &phrase, &means)).await?;
    match done {
        Ok(_) => Ok(see_other(&format!(
            "/cases/{}#readings",
            segment(&reference)
        ))),
        Err(e) if matches!(e.kind(), Kind::Invalid | Kind::NotFound) => {
            let problem = Problem::at(place, "means", e.message().to_string()).typed(&typed);
            page(&site, &visitor, &reference, Some(problem)).await
        }
        Err(e) => Err(crate::failure(e)),
    }
}

/// What a finding's form sends: which finding, which way forward, and its
/// details.
#[derive(Debug, Deserialize)]
pub(crate) struct ResolveForm {
    csrf: Option<String>,
    seen: Option<String>,
    finding: Option<String>,
    way: Option<String>,
    reason: Option<String>,
    held_by: Option<String>,
    council_wide: Option<String>,
    hours: Option<String>,
    note: Option<String>,
}

/// The name of the note's field on each way's form.
fn note_field(form: &ResolveForm) -> &'static str {
    match form.way.as_deref() {
        Some("seek_clarification") => "clarify",
        Some("refer") => "refer",
        _ => "note",
    }
}

/// The resolution a finding's form asks for, and the field a use case's
/// error belongs to.
fn resolving(
    reference: &str,
    form: &ResolveForm,
) -> Result<(casework::Resolving, &'static str), Problem> {
    let number: usize = form
        .finding
        .as_deref()
        .and_then(|n| n.trim().parse().ok())
        .ok_or_else(|| {
            Problem::at(
                Place::Finding(0),
                "way",
                "Choose a finding from the list of blocking findings",
            )
        })?;
    let place = Place::Finding(number);
    let note = field(&form.note, LONG, &place, note_field(form), "The note")?;
    let (way, main) = match form.way.as_deref() {
        Some("record_not_held") => {
            let reason =
                field(&form.reason, LONG, &place, "reason", "The reason")?.ok_or_else(|| {
                    Problem::at(
                        place.clone(),
                        "reason",
                        "Enter why the council does not hold this information",
                    )
                })?;
            let other_holder = field(&form.held_by, SHORT, &place, "held_by", "Who holds it")?;
            (
                casework::Way::NotHeld {
                    reason,
                    other_holder,
                    council_wide: form.council_wide.is_some(),
                },
                "reason",
            )
        }
        Some("cost_estimate") => {
            let hours = field(&form.hours, 20, &place, "hours", "The hours")?.ok_or_else(|| {
                Problem::at(
                    place.clone(),
                    "hours",
                    "Enter your estimate of the hours it would take, such as 24",
                )
            })?;
            let hours: f64 = hours
                .parse()
                .ok()
                .filter(|h: &f64| h.is_finite())
                .ok_or_else(|| {
                    Problem::at(
                        place.clone(),
                        "hours",
                        "The hours must be a number, such as 24 or 19.5",
                    )
                })?;
            (casework::Way::CostEstimate { hours }, "hours")
        }
        Some("seek_clarification") => (casework::Way::Clarify, "clarify"),
        Some("refer") => (casework::Way::Refer, "refer"),
        _ => {
            return Err(Problem::at(
                place,
                "way",
                "Choose a way forward for the finding",
            ));
        }
    };
    Ok((
        casework::Resolving {
            reference: reference.to_string(),
            finding: number,
            way,
            why: note,
        },
        main,
    ))
}

/// `POST /cases/{reference}/findings/resolve`: resolve a blocking finding
/// of the draft (not held, a section 12 estimate, clarification, or the
/// section 21 referral the draft offers); the answer is then drafted again.
pub(crate) async fn resolve(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<ResolveForm>,
) -> Result<Response, Failure> {
    let visitor = allow_case_form(
        &site,
        &headers,
        Action::Draft,
        &reference,
        form.csrf.as_deref(),
        form.seen.as_deref(),
    )
    .await?;
    let typed = [
        ("reason", &form.reason),
        ("held_by", &form.held_by),
        ("hours", &form.hours),
        (note_field(&form), &form.note),
    ];
    let (resolving, main) = match resolving(&reference, &form) {
        Ok(r) => r,
        Err(problem) => {
            let problem = problem.typed(&typed);
            return page(&site, &visitor, &reference, Some(problem)).await;
        }
    };
    let place = Place::Finding(resolving.finding);
    let ctx = site.context(&visitor.actor.username);
    let done = crate::blocking(move || casework::resolve(&ctx, &resolving)).await?;
    match done {
        Ok(_) => Ok(see_other(&format!("/cases/{}#answer", segment(&reference)))),
        Err(e) if matches!(e.kind(), Kind::Invalid | Kind::NotFound) => {
            let problem = Problem::at(place, main, e.message().to_string()).typed(&typed);
            page(&site, &visitor, &reference, Some(problem)).await
        }
        Err(e) => Err(crate::failure(e)),
    }
}
