//! `GET /api/outbox`: the messages sent to requesters, as `/outbox` shows
//! them (recipients and texts are personal data: FOI officers, approvers
//! and administrators of the council only), paged like every list.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lantern_app::outbox::{self, MessageStatus};
use lantern_app::policy::Action;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, Paging, allow_here, reply, run};
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
        .map(|m| MessageOut {
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
        })
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
