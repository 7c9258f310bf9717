//! The public's side of making a request: `/make-a-request` (the form, no
//! account needed; `POST` takes the request in through
//! `lantern_app::casework::web_form`, which throttles, opens the case and
//! queues the acknowledgement) and `/privacy` (the privacy notice the form
//! links to: what is kept, why, for how long, who sees it).
//!
//! The form carries a secret of its own in a cookie and a hidden field (as
//! the sign-in form does: the public has no session), works without
//! JavaScript, shows a GOV.UK error summary with each error tied to its
//! field, and a panel with the reference when the request is made. A
//! client that made too many requests lately gets a 429 page saying when
//! to try again. The throttle knows a client by a keyed digest of its
//! address: the connection's, or (from a proxy on the same machine) the
//! last address of `X-Forwarded-For`.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::Form;
use axum::extract::{ConnectInfo, FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lantern_app::Kind;
use lantern_app::accounts;
use lantern_app::casework::web_form::{self, AnswerBy, Outcome, PublicRequest};
use minijinja::context;
use serde::Deserialize;

use crate::auth::{cookie, set_cookie};
use crate::{Failure, Site, field_error, render};

/// The request form's cookie (its CSRF secret).
pub const REQUEST_COOKIE: &str = "lantern_request";

/// What the form sends (every field optional: a missing one is an error
/// on the form, not a rejected body).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RequestForm {
    csrf: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    request: String,
    #[serde(default)]
    answer_by: String,
}

/// The form, with `error` (field, message) and what was typed, and a fresh
/// secret in its cookie.
fn form_page(
    site: &Site,
    status: StatusCode,
    form: &RequestForm,
    error: Option<(&str, &str)>,
) -> Result<Response, Failure> {
    let secret = accounts::new_secret().map_err(|e| Failure::Internal(e.into()))?;
    let html = render(
        site,
        "make_request.html.j2",
        context! {
            council => site.council.clone(),
            csrf => secret.clone(),
            name => form.name.clone(),
            email => form.email.clone(),
            request => form.request.clone(),
            answer_by => if form.answer_by == "post" { "post" } else { "email" },
            max_text => web_form::MAX_TEXT,
            error => error.map(|(field, message)| context! { field => field, message => message }),
        },
    )?;
    Ok((
        status,
        [
            (
                header::SET_COOKIE,
                set_cookie(REQUEST_COOKIE, &secret, 3600),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
        ],
        html,
    )
        .into_response())
}

/// `GET /make-a-request`.
pub(crate) async fn form(State(site): State<Arc<Site>>) -> Result<Response, Failure> {
    form_page(&site, StatusCode::OK, &RequestForm::default(), None)
}

/// The client's address: the connection's, or, when the connection is
/// from a proxy on this machine, the last address it put in
/// `X-Forwarded-For`.
pub(crate) fn client_address(
    request_headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Option<IpAddr> {
    let peer = peer?.ip();
    if !peer.is_loopback() {
        return Some(peer);
    }
    let forwarded = request_headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .next_back()
        .and_then(|a| a.trim().parse::<IpAddr>().ok());
    Some(forwarded.unwrap_or(peer))
}

/// `POST /make-a-request`.
pub(crate) async fn make(
    State(site): State<Arc<Site>>,
    request: Request,
) -> Result<Response, Failure> {
    let headers = request.headers().clone();
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let Ok(Form(form)) = Form::<RequestForm>::from_request(request, &site).await else {
        return Err(Failure::Page(
            StatusCode::BAD_REQUEST,
            crate::problem_html(
                "There is a problem",
                "The form arrived damaged or incomplete: go back to the form and send it again.",
            ),
        ));
    };
    let expected = cookie(&headers, REQUEST_COOKIE);
    let fresh = match (&expected, form.csrf.as_deref()) {
        (Some(expected), Some(given)) => accounts::same_secret(expected, given),
        _ => false,
    };
    if !fresh {
        return Err(crate::auth::stale_form());
    }
    let Some(answer_by) = AnswerBy::parse(form.answer_by.trim()) else {
        return form_page(
            &site,
            StatusCode::BAD_REQUEST,
            &form,
            Some(("answer_by", "Choose how you would like the answer")),
        );
    };
    let asked = PublicRequest {
        name: form.name.clone(),
        email: form.email.clone(),
        text: form.request.clone(),
        answer_by,
    };
    let client = client_address(&headers, peer)
        .map(|a| web_form::client_digest(site.throttle_key.as_deref(), a));
    let ctx = site.context(web_form::PUBLIC_ACTOR);
    let made =
        crate::blocking(move || web_form::make_request(&ctx, &asked, client.as_deref())).await?;
    let made = match made {
        Ok(Outcome::Made(made)) => made,
        Ok(Outcome::Throttled { minutes }) => {
            return Ok(crate::problem_page(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many requests",
                &format!(
                    "Too many requests have been made from your connection, or to the council, in the last {minutes} minutes. Nothing was sent: try again in an hour, or email your request to the council."
                ),
            ));
        }
        Err(e) => {
            let (field, message) = field_error(
                e,
                &[Kind::Invalid],
                &[
                    ("Enter your name", "name"),
                    ("Your name", "name"),
                    ("Enter your email", "email"),
                    ("Enter an email", "email"),
                    ("Your email", "email"),
                ],
                "request",
            )?;
            return form_page(
                &site,
                StatusCode::BAD_REQUEST,
                &form,
                Some((field, &message)),
            );
        }
    };
    let html = render(
        &site,
        "request_made.html.j2",
        context! {
            council => site.council.clone(),
            reference => made.reference,
            received => made.received.strftime("%-d %B %Y").to_string(),
            due => made.due.strftime("%-d %B %Y").to_string(),
            already => made.already_made,
        },
    )?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response())
}

/// `GET /privacy`: the privacy notice.
pub(crate) async fn privacy(State(site): State<Arc<Site>>) -> Result<Response, Failure> {
    let ctx = site.context(web_form::PUBLIC_ACTOR);
    let retain_years = crate::act(move || {
        let store = ctx.open()?;
        let council = lantern_app::council::in_force(&ctx, store.as_ref(), None)?;
        Ok(council.settings().retain_years)
    })
    .await?;
    crate::page(
        &site,
        "privacy.html.j2",
        context! {
            council => site.council.clone(),
            retain_years => retain_years,
            window => web_form::THROTTLE_WINDOW_MINUTES,
        },
    )
}
