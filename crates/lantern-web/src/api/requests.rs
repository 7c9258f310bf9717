//! `POST /api/requests`: the public's request form as JSON (no account;
//! throttled like the form, per client and overall: 429 past it). The
//! same use case as `/make-a-request` (`lantern_app::casework::web_form`):
//! the case opened, its acknowledgement queued; the same request again is
//! the case it opened (200, `already_made`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use lantern_app::casework::web_form::{self, AnswerBy, Outcome, PublicRequest};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, body, from_app, reply};
use crate::Site;

/// A request, as the form takes it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    /// The requester's name (FOI Act s8).
    pub name: String,
    /// The e-mail address for the reply.
    pub email: String,
    /// The request, in their words (at most 20,000 characters).
    pub request: String,
    /// `email` (default) or `post`.
    #[serde(default)]
    pub answer_by: Option<String>,
}

/// A request made.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestMade {
    /// Its reference.
    pub reference: String,
    /// The day it counts as received (YYYY-MM-DD).
    pub received: String,
    /// When the answer is due (YYYY-MM-DD).
    pub due: String,
    /// The same request was made before: no second case was opened.
    pub already_made: bool,
}

/// `POST /api/requests`: make a Freedom of Information request.
#[utoipa::path(post, path = "/api/requests", tag = "public", operation_id = "make_request", request_body = RequestBody,
    responses(
        (status = 201, description = "The request was made: a case opened, its acknowledgement queued", body = RequestMade),
        (status = 200, description = "The same request was made before: the case it opened", body = RequestMade),
        (status = 400, description = "A field is missing or wrong (`field` names it)", body = ApiError),
        (status = 413, description = "Too large", body = ApiError),
        (status = 415, description = "Not JSON", body = ApiError),
        (status = 422, description = "Not the fields this takes", body = ApiError),
        (status = 429, description = "Too many requests lately from this client or everyone", body = ApiError),
    ),
    security(()))]
pub(crate) async fn make(
    State(site): State<Arc<Site>>,
    request: Request,
) -> Result<Response, ApiError> {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let headers = request.headers().clone();
    let bytes: Bytes = axum::body::to_bytes(request.into_body(), crate::FORM_BODY_LIMIT)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "What was sent is too large or arrived incomplete; nothing was changed.",
            )
        })?;
    let asked: RequestBody = body(&headers, &bytes, None)?;
    let Some(answer_by) = AnswerBy::parse(asked.answer_by.as_deref().unwrap_or("").trim()) else {
        return Err(ApiError::field(
            "answer_by",
            "answer_by is 'email' or 'post'.",
        ));
    };
    let public = PublicRequest {
        name: asked.name,
        email: asked.email,
        text: asked.request,
        answer_by,
    };
    let client = crate::requests::client_address(&headers, peer)
        .map(|a| web_form::client_digest(site.throttle_key.as_deref(), a));
    let ctx = site.context(web_form::PUBLIC_ACTOR);
    let made =
        crate::blocking(move || web_form::make_request(&ctx, &public, client.as_deref())).await?;
    let made = match made {
        Ok(Outcome::Made(made)) => made,
        Ok(Outcome::Throttled { minutes }) => {
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "Too many requests from this client, or to the council, in the last {minutes} minutes; nothing was made: try again in an hour."
                ),
            ));
        }
        Err(e) if e.kind() == lantern_app::Kind::Invalid => {
            let message = e.message().to_string();
            let field = if message.contains("name") {
                "name"
            } else if message.contains("email") {
                "email"
            } else {
                "request"
            };
            return Err(ApiError::field(field, message));
        }
        Err(e) => return Err(from_app(e)),
    };
    let status = if made.already_made {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok(reply(
        status,
        &RequestMade {
            reference: made.reference,
            received: made.received.to_string(),
            due: made.due.to_string(),
            already_made: made.already_made,
        },
    ))
}
