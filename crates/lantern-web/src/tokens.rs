//! The API token pages: an administrator's (`/admin/tokens`: every
//! provider's tokens, creating one for a provider, revoking, and allowing
//! a provider user to manage their own provider's) and a provider user's
//! (`/provider/tokens`: their provider's, when an administrator allowed
//! them). A new token's secret is shown once, on the page that answers
//! the form, never again. Each asks the policy, checks the form's secret
//! and calls `lantern_app::tokens`, which checks whose tokens they are.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lantern_app::policy::Action;
use lantern_app::tokens::{self, Scope};
use minijinja::context;
use serde::Deserialize;

use crate::auth::{Visitor, allow_here, check_csrf, see_other};
use crate::{Failure, Site, act, private_page, render};

/// Which of the two pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Admin,
    Provider,
}

impl Which {
    fn action(self) -> Action {
        match self {
            Which::Admin => Action::ManageTokens,
            Which::Provider => Action::ManageProviderTokens,
        }
    }

    fn path(self) -> &'static str {
        match self {
            Which::Admin => "/admin/tokens",
            Which::Provider => "/provider/tokens",
        }
    }
}

async fn scope(site: &Arc<Site>, visitor: &Visitor) -> Result<Scope, Failure> {
    let ctx = site.context(&visitor.actor.username);
    let actor = visitor.actor.clone();
    act(move || tokens::scope_of(&ctx, &actor)).await
}

async fn tokens_page(
    site: &Arc<Site>,
    visitor: &Visitor,
    which: Which,
    status: StatusCode,
    error: Option<(&str, String)>,
    created: Option<(String, String)>,
) -> Result<Response, Failure> {
    let scope = scope(site, visitor).await?;
    let ctx = site.context(&visitor.actor.username);
    let held = act(move || tokens::list(&ctx, &scope)).await?;
    let provider = match which {
        Which::Provider => lantern_app::providers::provider_of(&visitor.actor).ok(),
        Which::Admin => None,
    };
    let html = render(
        site,
        "tokens.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            admin => which == Which::Admin,
            base => which.path(),
            provider => provider,
            tokens => crate::serialized(&held),
            error => error.map(|(field, message)| context! { field => field, message => message }),
            created => created.map(|(name, secret)| context! { name => name, secret => secret }),
        },
    )?;
    let mut response = private_page(html);
    *response.status_mut() = status;
    Ok(response)
}

async fn show(site: Arc<Site>, headers: HeaderMap, which: Which) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, which.action()).await?;
    tokens_page(&site, &visitor, which, StatusCode::OK, None, None).await
}

/// `GET /admin/tokens`.
pub(crate) async fn admin_tokens(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    show(site, headers, Which::Admin).await
}

/// `GET /provider/tokens`.
pub(crate) async fn provider_tokens(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    show(site, headers, Which::Provider).await
}

/// What the create form sends.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CreateForm {
    csrf: Option<String>,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    name: String,
}

async fn create(
    site: Arc<Site>,
    headers: HeaderMap,
    form: CreateForm,
    which: Which,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, which.action()).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let scope = scope(&site, &visitor).await?;
    let ctx = site.context(&visitor.actor.username);
    let provider = form.provider.clone();
    let name = form.name.clone();
    let made = crate::blocking(move || {
        let provider = Some(provider.as_str()).filter(|p| !p.trim().is_empty());
        tokens::create(&ctx, &scope, provider, &name)
    })
    .await?;
    match made {
        Ok(made) => {
            tokens_page(
                &site,
                &visitor,
                which,
                StatusCode::CREATED,
                None,
                Some((made.token.name, made.secret)),
            )
            .await
        }
        Err(e) if e.kind() == lantern_app::Kind::Invalid => {
            let field = if e.message().starts_with("token name") {
                "name"
            } else {
                "provider"
            };
            tokens_page(
                &site,
                &visitor,
                which,
                StatusCode::BAD_REQUEST,
                Some((field, crate::intake::capitalised(e.message()))),
                None,
            )
            .await
        }
        Err(e) => Err(crate::failure(e)),
    }
}

/// `POST /admin/tokens`: create a token for a provider.
pub(crate) async fn admin_create(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> Result<Response, Failure> {
    create(site, headers, form, Which::Admin).await
}

/// `POST /provider/tokens`: create a token for the provider's own.
pub(crate) async fn provider_create(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Form(form): Form<CreateForm>,
) -> Result<Response, Failure> {
    create(site, headers, form, Which::Provider).await
}

/// What a form with only the secret sends.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CsrfOnly {
    csrf: Option<String>,
}

async fn revoke(
    site: Arc<Site>,
    headers: HeaderMap,
    id: String,
    csrf: Option<String>,
    which: Which,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, which.action()).await?;
    check_csrf(&visitor, csrf.as_deref())?;
    let scope = scope(&site, &visitor).await?;
    let Some(id) = id.parse::<i64>().ok().filter(|n| *n > 0) else {
        return Err(Failure::Page(
            StatusCode::NOT_FOUND,
            crate::problem_html(
                "Not found",
                &format!("There is no API token {id}; the tokens page lists them."),
            ),
        ));
    };
    let ctx = site.context(&visitor.actor.username);
    act(move || tokens::revoke(&ctx, &scope, id)).await?;
    Ok(see_other(which.path()))
}

/// `POST /admin/tokens/{id}/revoke`.
pub(crate) async fn admin_revoke(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, Failure> {
    revoke(site, headers, id, form.csrf, Which::Admin).await
}

/// `POST /provider/tokens/{id}/revoke`.
pub(crate) async fn provider_revoke(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, Failure> {
    revoke(site, headers, id, form.csrf, Which::Provider).await
}

/// What the managers form sends.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ManagerForm {
    csrf: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    allowed: String,
}

/// `POST /admin/tokens/managers`: allow a provider user to manage their
/// provider's tokens, or no longer.
pub(crate) async fn managers(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Form(form): Form<ManagerForm>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ManageTokens).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let allowed = match form.allowed.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            return tokens_page(
                &site,
                &visitor,
                Which::Admin,
                StatusCode::BAD_REQUEST,
                Some((
                    "allowed-yes",
                    "Choose whether they may manage their provider's tokens".into(),
                )),
                None,
            )
            .await;
        }
    };
    let ctx = site.context(&visitor.actor.username);
    let username = form.username.trim().to_string();
    let done = crate::blocking(move || tokens::allow_managing(&ctx, &username, allowed)).await?;
    match done {
        Ok(()) => Ok(see_other("/admin/tokens")),
        Err(e) if e.kind() == lantern_app::Kind::NotFound => {
            tokens_page(
                &site,
                &visitor,
                Which::Admin,
                StatusCode::BAD_REQUEST,
                Some(("username", crate::intake::capitalised(e.message()))),
                None,
            )
            .await
        }
        Err(e) => Err(crate::failure(e)),
    }
}
