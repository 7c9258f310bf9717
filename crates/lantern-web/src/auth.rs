//! Signing in and out, the session cookie, and the checks every
//! signed-in page and form makes: who is signed in (the session the
//! cookie names, read from the database), what the policy allows them, and
//! that a form carries the session's CSRF secret.
//!
//! Cookies are `HttpOnly` (no script reads them), `Secure` (sent over
//! HTTPS only; browsers count `http://127.0.0.1` and `http://localhost` as
//! secure, so the loopback demo works), `SameSite=Lax` (not sent with
//! another site's form posts) and expire with the session. The sign-in
//! form has no session yet, so it carries a secret of its own, also kept in
//! a cookie, and the two must match (double submit).

use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lantern_app::accounts::{self, Actor, LiveSession, SignIn};
use lantern_app::policy::{self, Action, Decision, Resource};
use minijinja::context;
use serde::Deserialize;

use crate::{Failure, Site, read, render};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "lantern_session";
/// The sign-in form's cookie.
pub const SIGN_IN_COOKIE: &str = "lantern_sign_in";

/// A cookie's value from the request's `Cookie` headers.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim().to_string())
}

/// A `Set-Cookie` value with Lantern's flags, living `max_age` seconds.
pub(crate) fn set_cookie(name: &str, value: &str, max_age: i64) -> String {
    format!("{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax")
}

/// The session cookie for `token`, living `max_age` seconds.
pub(crate) fn session_cookie(token: &str, max_age: i64) -> String {
    set_cookie(SESSION_COOKIE, token, max_age)
}

/// Who is signed in, and the session's secrets.
#[derive(Debug, Clone)]
pub(crate) struct Visitor {
    /// The person and their roles in the council served.
    pub actor: Actor,
    /// The session's CSRF secret (every form carries it).
    pub csrf: String,
    /// The session's token (to sign out).
    pub token: String,
}

impl Visitor {
    /// What the layout shows of them: name, roles, and the secret for the
    /// sign-out form.
    pub fn page(&self) -> minijinja::Value {
        let has = |a: Action| {
            policy::may(
                Some(&self.actor),
                a,
                &Resource::council(&self.actor.council),
            )
            .allowed()
        };
        context! {
            name => self.actor.display_name.clone(),
            username => self.actor.username.clone(),
            roles => self.actor.grants.iter().map(|g| g.role.label()).collect::<Vec<_>>(),
            csrf => self.csrf.clone(),
            inbox => has(Action::ViewInbox),
            take_in => has(Action::TakeIn),
            users => has(Action::ViewUsers),
            provider => has(Action::ViewSubmissions),
            tokens => has(Action::ManageTokens),
            figures => has(Action::ViewFigures),
            publish => has(Action::Publish),
            outbox => has(Action::ViewOutbox),
        }
    }
}

/// The signed-in visitor, if the cookie names a live session.
pub(crate) async fn visitor(
    site: &Arc<Site>,
    headers: &HeaderMap,
) -> Result<Option<Visitor>, Failure> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let held = token.clone();
    let live: Option<LiveSession> =
        read(site, move |store| accounts::session(store, &held)).await?;
    Ok(live.map(|s| Visitor {
        actor: s.actor,
        csrf: s.csrf,
        token,
    }))
}

/// The visitor, if the policy lets them do `action` to `resource`;
/// otherwise to the sign-in page, or 403 with why.
pub(crate) fn allow(
    visitor: Option<Visitor>,
    action: Action,
    resource: &Resource,
) -> Result<Visitor, Failure> {
    match policy::may(visitor.as_ref().map(|v| &v.actor), action, resource) {
        Decision::Allow => visitor.ok_or(Failure::SignIn),
        Decision::SignIn => Err(Failure::SignIn),
        Decision::Deny(why) => Err(Failure::Forbidden(why)),
    }
}

/// The visitor, if the policy lets them do `action` to the council served.
pub(crate) async fn allow_here(
    site: &Arc<Site>,
    headers: &HeaderMap,
    action: Action,
) -> Result<Visitor, Failure> {
    let visitor = visitor(site, headers).await?;
    allow(visitor, action, &Resource::council(&site.council_code))
}

/// Refuse a form without the session's secret: nothing is changed.
pub(crate) fn check_csrf(visitor: &Visitor, given: Option<&str>) -> Result<(), Failure> {
    match given {
        Some(given) if accounts::same_secret(given, &visitor.csrf) => Ok(()),
        _ => Err(stale_form()),
    }
}

/// The page for a form whose secret is missing or wrong.
pub(crate) fn stale_form() -> Failure {
    Failure::Page(
        StatusCode::BAD_REQUEST,
        crate::problem_html(
            "This form cannot be used",
            "The form had no security token, or one from an earlier session, so nothing was changed. Go back, reload the page and try again.",
        ),
    )
}

/// `GET /sign-in`: the form, with a fresh secret in a cookie.
pub(crate) async fn sign_in_page(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    if visitor(&site, &headers).await?.is_some() {
        return Ok(see_other("/staff"));
    }
    sign_in_form(&site, StatusCode::OK, "", None)
}

fn sign_in_form(
    site: &Site,
    status: StatusCode,
    username: &str,
    error: Option<(&str, &str)>,
) -> Result<Response, Failure> {
    let secret = accounts::new_secret().map_err(|e| Failure::Internal(e.into()))?;
    let html = render(
        site,
        "sign_in.html.j2",
        context! {
            council => site.council.clone(),
            csrf => secret.clone(),
            username => username,
            error => error.map(|(field, message)| context! { field => field, message => message }),
        },
    )?;
    Ok((
        status,
        [
            (
                header::SET_COOKIE,
                set_cookie(SIGN_IN_COOKIE, &secret, 3600),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (header::CONTENT_TYPE, "text/html; charset=utf-8".to_string()),
        ],
        html,
    )
        .into_response())
}

/// What the sign-in form sends.
#[derive(Debug, Deserialize)]
pub(crate) struct SignInForm {
    username: Option<String>,
    password: Option<String>,
    csrf: Option<String>,
}

/// `POST /sign-in`.
pub(crate) async fn sign_in(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Result<Response, Failure> {
    let expected = cookie(&headers, SIGN_IN_COOKIE);
    let fresh = match (&expected, form.csrf.as_deref()) {
        (Some(expected), Some(given)) => accounts::same_secret(expected, given),
        _ => false,
    };
    if !fresh {
        return Err(stale_form());
    }
    let username = form.username.unwrap_or_default();
    let password = form.password.unwrap_or_default();
    if username.trim().is_empty() {
        return sign_in_form(
            &site,
            StatusCode::BAD_REQUEST,
            "",
            Some(("username", "Enter your user name")),
        );
    }
    if password.is_empty() {
        return sign_in_form(
            &site,
            StatusCode::BAD_REQUEST,
            &username,
            Some(("password", "Enter your password")),
        );
    }
    let ctx = site.context(&username);
    let name = username.clone();
    let outcome = crate::act(move || accounts::sign_in(&ctx, &name, &password)).await?;
    match outcome {
        SignIn::SignedIn(session) => {
            let max_age = session
                .expires_at
                .duration_since(jiff::Timestamp::now())
                .as_secs()
                .max(0);
            Ok((
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, "/staff".to_string()),
                    (
                        header::SET_COOKIE,
                        set_cookie(SESSION_COOKIE, &session.token, max_age),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_string()),
                ],
            )
                .into_response())
        }
        SignIn::Refused => sign_in_form(
            &site,
            StatusCode::UNAUTHORIZED,
            &username,
            Some((
                "password",
                "The user name or password is not right, or the account cannot be used here",
            )),
        ),
        SignIn::Throttled { until } => {
            let zone = jiff::tz::TimeZone::get("Europe/London").unwrap_or(jiff::tz::TimeZone::UTC);
            let at = zone.to_datetime(until).time();
            let message = format!(
                "There have been too many failed attempts to sign in as this user. Try again after {:02}:{:02}, or ask an administrator to reset the password.",
                at.hour(),
                at.minute()
            );
            Err(Failure::Page(
                StatusCode::TOO_MANY_REQUESTS,
                crate::problem_html("Too many attempts to sign in", &message),
            ))
        }
    }
}

/// What a form with only the secret sends.
#[derive(Debug, Deserialize)]
pub(crate) struct CsrfOnly {
    csrf: Option<String>,
}

/// `POST /sign-out`: the session ends and the cookie is cleared.
pub(crate) async fn sign_out(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::Home).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let ctx = site.context(&visitor.actor.username);
    let token = visitor.token.clone();
    crate::act(move || accounts::sign_out(&ctx, &token)).await?;
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/".to_string()),
            (header::SET_COOKIE, set_cookie(SESSION_COOKIE, "", 0)),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
    )
        .into_response())
}

/// A redirect after a form (303: the browser fetches it with GET).
pub(crate) fn see_other(to: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, to.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
    )
        .into_response()
}

/// Who calls an API route: a person signed in with the session cookie, or
/// an API token (`Authorization: Bearer …`). Forms never take a token.
pub(crate) use crate::api::Caller;

/// The caller of an API route, if the policy lets them do `action` to the
/// council served: a bearer token is tried first (a bad one is refused,
/// never taken for nobody), else the session cookie. Refusals are JSON:
/// 401 with nobody (or a bad token), 403 with why. A session's write
/// must carry its CSRF secret in [`crate::api::CSRF_HEADER`].
pub(crate) async fn api_caller(
    site: &Arc<Site>,
    headers: &HeaderMap,
    action: Action,
    write: bool,
) -> Result<Caller, Response> {
    // One way for every API route (`api`): the same codes and statuses.
    crate::api::allow_here(site, headers, action, write)
        .await
        .map_err(IntoResponse::into_response)
}
