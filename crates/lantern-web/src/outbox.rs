//! The outbox for officers: `/outbox` lists the messages Lantern sends
//! requesters (the acknowledgement of a request made through the web
//! form), newest first, each with its case, recipient, subject, status,
//! tries and last error, and its text to copy into a mail client; `POST
//! /outbox/{id}/sent` records one as sent by hand (audited as a case
//! event). When `[smtp]` is configured the sender sends them and the page
//! says so; without it, this page is how they leave. The page is personal
//! data: FOI officers, approvers and administrators of the council only
//! (`Action::ViewOutbox`), never cached.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use lantern_app::outbox;
use lantern_app::policy::Action;
use minijinja::context;
use serde::Deserialize;

use crate::auth::{allow_here, check_csrf, see_other};
use crate::{Failure, Site, act, private_page, render};

/// `GET /outbox`.
pub(crate) async fn list(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewOutbox).await?;
    let ctx = site.context(&visitor.actor.username);
    let smtp = ctx.config.smtp.is_some();
    let messages = act(move || outbox::messages(&ctx)).await?;
    let may_send = lantern_app::policy::may(
        Some(&visitor.actor),
        Action::SendOutbox,
        &lantern_app::policy::Resource::council(&site.council_code),
    )
    .allowed();
    let rows: Vec<minijinja::Value> = messages
        .iter()
        .map(|m| {
            context! {
                id => m.id,
                reference => m.reference.clone(),
                kind => m.kind.clone(),
                recipient => m.recipient.clone(),
                subject => m.subject.clone(),
                body => m.body.clone(),
                status => m.status.code(),
                attempts => m.attempts,
                last_error => m.last_error.clone(),
                created_at => m.created_at.clone(),
                sent_at => m.sent_at.clone(),
                sent_how => m.sent_how.as_deref().map(|h| if h == "by_hand" { "by hand" } else { "by SMTP" }),
                erased => m.erased_at.is_some(),
            }
        })
        .collect();
    let html = render(
        &site,
        "outbox.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            smtp => smtp,
            may_send => may_send,
            messages => rows,
        },
    )?;
    Ok(private_page(html))
}

/// What the "sent by hand" form sends.
#[derive(Debug, Deserialize)]
pub(crate) struct SentForm {
    csrf: Option<String>,
}

/// `POST /outbox/{id}/sent`: record a message as sent by hand.
pub(crate) async fn sent(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<SentForm>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::SendOutbox).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let Ok(id) = id.parse::<i64>() else {
        return Err(Failure::NotFound(format!(
            "there is no message {id} in the outbox; /outbox lists them"
        )));
    };
    let ctx = site.context(&visitor.actor.username);
    act(move || outbox::sent_by_hand(&ctx, id)).await?;
    Ok(see_other("/outbox"))
}
