//! The workspace's actions after the answer (`templates/web/case_actions.html.j2`):
//! internal review asked for and decided, complaint to the ICO and its
//! decision, each with
//! the day it happened; and recording the answer as sent with the day, the
//! channel and, if the officer uploads it, the final letter as sent (a
//! DOCX or PDF kept with the case; a DOCX's figures compared with the
//! approved ones, any difference shown and recorded). Each form is checked
//! as `staff`'s are (policy, CSRF secret, the status the form was made
//! from) and calls a use case of `lantern_app::casework`, which checks the
//! lifecycle and audits who did it.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lantern_app::casework::{self, ReviewOutcome, final_letter};
use lantern_app::policy::Action;
use minijinja::context;
use serde::Deserialize;

use crate::auth::see_other;
use crate::intake::Parts;
use crate::staff::{allow_case, allow_case_form, form_date, form_problem, segment};
use crate::{Failure, Site, act, private_page, render};

/// The request body limit of the sent-with-letter route.
pub const SENT_BODY_LIMIT: usize = final_letter::MAX_FINAL_LETTER_BYTES as usize + 64 * 1024;

/// The actions after the answer, with their words: (code, action, label).
const AFTER_ANSWER: [(casework::Action, &str); 6] = [
    (casework::Action::RequestReview, "Internal review asked for"),
    (
        casework::Action::DecideReview(ReviewOutcome::Upheld),
        "Internal review decided: the answer upheld",
    ),
    (
        casework::Action::DecideReview(ReviewOutcome::PartlyUpheld),
        "Internal review decided: the answer partly upheld",
    ),
    (
        casework::Action::DecideReview(ReviewOutcome::Overturned),
        "Internal review decided: the answer overturned",
    ),
    (
        casework::Action::ComplainToIco,
        "Complaint to the Information Commissioner",
    ),
    (
        casework::Action::IcoDecided,
        "The Information Commissioner's decision (its outcome in the note)",
    ),
];

/// The actions after the answer for the workspace's form.
pub(crate) fn after_answer() -> Vec<minijinja::Value> {
    AFTER_ANSWER
        .iter()
        .map(|(a, label)| context! { code => a.code(), label => *label })
        .collect()
}

/// A note for the history: trimmed, at most 2,000 characters.
fn note(note: Option<&str>) -> Result<Option<String>, Failure> {
    let note = note
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(str::to_string);
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(form_problem("The note must be 2,000 characters or fewer."));
    }
    Ok(note)
}

/// What the review form sends.
#[derive(Debug, Deserialize)]
pub(crate) struct ReviewForm {
    csrf: Option<String>,
    seen: Option<String>,
    action: Option<String>,
    on: Option<String>,
    note: Option<String>,
}

/// `POST /cases/{reference}/review`: an internal review asked for or
/// decided, or a complaint to the ICO, on the day given (else today).
pub(crate) async fn review(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    Form(form): Form<ReviewForm>,
) -> Result<Response, Failure> {
    let visitor = allow_case_form(
        &site,
        &headers,
        Action::ClockAction,
        &reference,
        form.csrf.as_deref(),
        form.seen.as_deref(),
    )
    .await?;
    let action = AFTER_ANSWER
        .iter()
        .find(|(a, _)| Some(a.code()) == form.action.as_deref())
        .map(|(a, _)| *a)
        .ok_or_else(|| form_problem("Choose what happened."))?;
    let on = form_date(form.on.as_deref(), "The day it happened")?;
    let acting = casework::Acting {
        reference: reference.clone(),
        action,
        note: note(form.note.as_deref())?,
        on,
        extended_to: None,
        fee_pence: None,
    };
    let ctx = site.context(&visitor.actor.username);
    act(move || casework::act(&ctx, &acting)).await?;
    Ok(see_other(&format!("/cases/{}", segment(&reference))))
}

/// `POST /cases/{reference}/sent`: the approved answer recorded as sent on
/// the day given (else today) by the channel given, with the final letter
/// as sent if one is uploaded. With a letter the officer sees what was
/// kept: a DOCX's differences from the approved figures, or that a PDF's
/// figures were not compared.
pub(crate) async fn sent(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
    request: Request,
) -> Result<Response, Failure> {
    let visitor = allow_case(&site, &headers, Action::Send, &reference).await?;
    let parts = Parts::read(
        &site,
        request,
        "letter",
        final_letter::MAX_FINAL_LETTER_BYTES,
    )
    .await?;
    crate::auth::check_csrf(&visitor, parts.field("csrf"))?;
    crate::staff::check_seen(&site, &reference, parts.field("seen")).await?;
    if parts.too_large {
        return Err(Failure::Page(
            StatusCode::PAYLOAD_TOO_LARGE,
            crate::problem_html(
                "There is a problem",
                &format!(
                    "The final letter must be smaller than {} MB. Nothing was recorded: save the letter without images, or as a smaller PDF, and send the form again.",
                    final_letter::MAX_FINAL_LETTER_BYTES >> 20
                ),
            ),
        ));
    }
    let channel = match parts.field("channel") {
        Some("email") => "e-mail",
        Some("post") => "post",
        _ => {
            return Err(form_problem(
                "Choose how the answer was sent: by e-mail or by post.",
            ));
        }
    };
    let on = form_date(parts.field("on"), "The day it was sent")?;
    let note = note(parts.field("note"))?;
    let note = Some(match note {
        Some(n) => format!("sent by {channel}: {n}"),
        None => format!("sent by {channel}"),
    });
    let upload = parts
        .file
        .map(|(name, bytes)| final_letter::Upload { name, bytes });
    let ctx = site.context(&visitor.actor.username);
    let asked = reference.clone();
    let with_letter = upload.is_some();
    let sent = act(move || casework::send_with(&ctx, &asked, note, on, upload.as_ref())).await?;
    let case = format!("/cases/{}", segment(&reference));
    let Some(kept) = sent.final_letter.filter(|_| with_letter) else {
        return Ok(see_other(&case));
    };
    let html = render(
        &site,
        "letter_sent.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            reference => reference,
            sent_on => sent.sent_on.to_string(),
            channel => channel,
            pdf => !kept.compared,
            differences => kept.differences,
            warnings => sent.warnings,
        },
    )?;
    Ok(private_page(html))
}

/// The final letters kept with a case, for the workspace (name, type,
/// who kept them and when, what differed; a link while their bytes are held).
pub(crate) async fn kept_letters(
    site: &Arc<Site>,
    visitor: &crate::auth::Visitor,
    reference: &str,
) -> Result<Vec<minijinja::Value>, Failure> {
    let ctx = site.context(&visitor.actor.username);
    let asked = reference.to_string();
    let kept = act(move || final_letter::kept(&ctx, &asked)).await?;
    Ok(kept
        .iter()
        .map(|l| {
            context! {
                position => l.position,
                name => l.name.clone(),
                pdf => l.content_type == final_letter::PDF,
                kept_at => l.kept_at.clone(),
                kept_by => l.kept_by.clone(),
                compared => l.compared,
                differences => l.differences.clone(),
                erased => l.erased_at.is_some(),
            }
        })
        .collect())
}

/// `GET /cases/{reference}/final-letters/{position}`: a final letter kept
/// with the case, as a download named after the case (never after the
/// uploaded file's name).
pub(crate) async fn download(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path((reference, position)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let visitor = allow_case(&site, &headers, Action::ViewCase, &reference).await?;
    let position: i64 = position.parse().map_err(|_| {
        Failure::BadRequest(format!(
            "{position}: a final letter is named by its number, such as 1"
        ))
    })?;
    let ctx = site.context(&visitor.actor.username);
    let asked = reference.clone();
    let (letter, bytes) = act(move || final_letter::kept_bytes(&ctx, &asked, position)).await?;
    let extension = if letter.content_type == final_letter::PDF {
        "pdf"
    } else {
        "docx"
    };
    let file = format!(
        "{}-final-letter-{position}.{extension}",
        segment(&reference)
    );
    Ok((
        [
            (header::CONTENT_TYPE, letter.content_type),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
