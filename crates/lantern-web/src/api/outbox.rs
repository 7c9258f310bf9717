//! `GET /api/outbox`: the messages sent to requesters, as `/outbox` shows
//! them (recipients and texts are personal data: FOI officers, approvers
//! and administrators of the council only), paged like every list; `POST
//! /api/outbox/{id}/sent`: record one as sent by hand, as the page's
//! button does (`Action::SendOutbox`; a session's POST needs its CSRF
//! header, as every API write).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lantern_app::outbox::{self, MessageStatus};
use lantern_app::policy::Action;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, Paging, allow_here, body, reply, run};
use crate::Site;

/// The outbox's filter and paging.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct OutboxQuery {
    /// Only messages with this status: `queued`, `sent` or `failed`.
    status: Option<String>,
    /// The page, from 1.
    page: Option<String>,
    /// Messages per page, 1 to 100 (default 20).
    per_page: Option<String>,
}

/// One message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessageOut {
    /// Its id.
    pub id: i64,
    /// The case it is for.
    pub reference: String,
    /// What it is (`acknowledgement`).
    pub kind: String,
    /// To whom; null once erased with the requester's details.
    pub recipient: Option<String>,
    /// Its subject.
    pub subject: String,
    /// Its text; null once erased.
    pub body: Option<String>,
    /// `queued`, `sent` or `failed`.
    pub status: String,
    /// How many times sending was tried.
    pub attempts: i64,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// When it was queued.
    pub created_at: String,
    /// When it was sent.
    pub sent_at: Option<String>,
    /// How: `smtp` or `by_hand`.
    pub sent_how: Option<String>,
}

impl From<outbox::StoredMessage> for MessageOut {
    fn from(m: outbox::StoredMessage) -> Self {
        MessageOut {
            id: m.id,
            reference: m.reference,
            kind: m.kind,
            recipient: m.recipient,
            subject: m.subject,
            body: m.body,
            status: m.status.code().to_string(),
            attempts: m.attempts,
            last_error: m.last_error,
            created_at: m.created_at,
            sent_at: m.sent_at,
            sent_how: m.sent_how,
        }
    }
}

/// A page of the outbox.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MessagePage {
    /// The messages on this page, newest first.
    pub items: Vec<MessageOut>,
    /// How many messages the filter finds.
    pub total: usize,
    /// This page, from 1.
    pub page: usize,
    /// Messages per page.
    pub per_page: usize,
    /// How many pages there are (at least 1).
    pub pages: usize,
    /// This page, the next and the one before.
    pub links: super::PageLinks,
}

/// `GET /api/outbox`: the council's messages to requesters.
#[utoipa::path(get, path = "/api/outbox", tag = "cases", operation_id = "list_outbox", params(OutboxQuery),
    responses(
        (status = 200, description = "A page of messages", body = MessagePage),
        (status = 400, description = "A status or page the list cannot take", body = ApiError),
        super::Reading,
    ),
    security(("session" = []), ("bearer" = [])))]
pub(crate) async fn list(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    q: Result<Query<OutboxQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let caller = allow_here(&site, &headers, Action::ViewOutbox, false).await?;
    let Query(q) =
        q.map_err(|e| super::query_refused(&e, "the outbox takes status, page and per_page"))?;
    let paging = Paging::read(q.page.as_deref(), q.per_page.as_deref())?;
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let only = match status {
        None => None,
        Some(code) => Some(MessageStatus::parse(code).ok_or_else(|| {
            ApiError::field(
                "status",
                format!("status '{code}' is not one; write queued, sent or failed"),
            )
        })?),
    };
    let ctx = site.context(&caller.actor.username);
    let held = run(move || outbox::messages(&ctx)).await?;
    let held: Vec<_> = held
        .into_iter()
        .filter(|m| only.is_none_or(|s| m.status == s))
        .collect();
    let total = held.len();
    let pages = paging.pages(total)?;
    let items = held
        .into_iter()
        .skip((paging.page - 1) * paging.per_page)
        .take(paging.per_page)
        .map(MessageOut::from)
        .collect();
    let links = paging.links(
        "/api/outbox",
        &[("status", status.unwrap_or_default().to_string())],
        pages,
    );
    Ok(reply(
        StatusCode::OK,
        &MessagePage {
            items,
            total,
            page: paging.page,
            per_page: paging.per_page,
            pages,
            links,
        },
    ))
}

/// What recording a message as sent may say (the body is optional).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SentBody {
    /// The status the caller last saw (`queued` or `failed`); if the
    /// message has another now, 409 and nothing changes.
    pub seen: Option<String>,
}

/// `POST /api/outbox/{id}/sent`: record the message as sent by hand (after
/// the caller sent its text from their own mail client); audited as a case
/// event. Already sent, or erased with the requester's details: 409 and
/// nothing changes.
#[utoipa::path(post, path = "/api/outbox/{id}/sent", tag = "cases", operation_id = "record_outbox_sent",
    params(("id" = i64, Path, description = "The message's id, as `GET /api/outbox` gives it")),
    request_body(content = Option<SentBody>, description = "Optional, empty"),
    responses(
        (status = 200, description = "Recorded as sent by hand: the message now", body = MessageOut),
        super::Writing,
        super::Missing,
        (status = 400, description = "A `seen` that is not a status", body = ApiError),
        super::Stepping,
    ),
    security(("session" = [], "csrf" = []), ("bearer" = [])))]
pub(crate) async fn sent(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let caller = allow_here(&site, &headers, Action::SendOutbox, true).await?;
    let asked: SentBody = body(&headers, &bytes, Some(SentBody::default()))?;
    let seen = match asked.seen.as_deref() {
        None => None,
        Some(code) => Some(MessageStatus::parse(code).ok_or_else(|| {
            ApiError::field(
                "seen",
                format!("seen '{code}' is not a status; write queued, sent or failed"),
            )
        })?),
    };
    let Ok(id) = id.parse::<i64>() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("there is no message {id} in the outbox; GET /api/outbox lists them"),
        ));
    };
    let ctx = site.context(&caller.actor.username);
    if let Some(seen) = seen {
        let look = ctx.clone();
        let now = run(move || outbox::messages(&look))
            .await?
            .into_iter()
            .find(|m| m.id == id);
        if let Some(now) = now
            && now.status != seen
        {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                format!(
                    "message {id} is {} now, not {}; nothing was changed: GET /api/outbox and look again",
                    now.status.code(),
                    seen.code()
                ),
            ));
        }
    }
    let message = run(move || outbox::sent_by_hand(&ctx, id)).await?;
    Ok(reply(StatusCode::OK, &MessageOut::from(message)))
}
