//! The administrators' pages: the council's users, creating one,
//! disabling, enabling and resetting a password. Each asks the policy,
//! checks the form's secret and calls `lantern_app::accounts`.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lantern_app::accounts::{self, Grant, NewAccount, Role};
use lantern_app::policy::Action;
use minijinja::context;
use serde::Deserialize;

use crate::auth::{Visitor, allow_here, check_csrf, see_other};
use crate::{Failure, Site, act, blocking, private_page, render};

/// `GET /admin/users`.
pub(crate) async fn users(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewUsers).await?;
    users_page(
        &site,
        &visitor,
        StatusCode::OK,
        &NewUserForm::default(),
        None,
    )
    .await
}

async fn users_page(
    site: &Arc<Site>,
    visitor: &Visitor,
    status: StatusCode,
    form: &NewUserForm,
    error: Option<(&str, String)>,
) -> Result<Response, Failure> {
    let ctx = site.context(&visitor.actor.username);
    let (users, self_approval) = act(move || {
        Ok((
            accounts::list_users(&ctx)?,
            lantern_app::policy::self_approval_allowed(&ctx)?,
        ))
    })
    .await?;
    let users: Vec<_> = users
        .iter()
        .map(|u| {
            context! {
                username => u.username.clone(),
                name => u.display_name.clone(),
                disabled => u.disabled,
                roles => u.grants.iter().map(|g| match &g.provider {
                    Some(p) => format!("{} ({p})", g.role.label()),
                    None => g.role.label().to_string(),
                }).collect::<Vec<_>>(),
                me => u.username == visitor.actor.username,
            }
        })
        .collect();
    let roles: Vec<_> = Role::ALL
        .iter()
        .filter(|r| **r != Role::Provider)
        .map(|r| context! { code => r.code(), label => r.label(), checked => form.roles().contains(&r.code().to_string()) })
        .collect();
    let html = render(
        site,
        "users.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            users => users,
            roles => roles,
            self_approval => self_approval,
            form => context! {
                username => form.username.clone().unwrap_or_default(),
                name => form.name.clone().unwrap_or_default(),
                provider => form.provider.clone().unwrap_or_default(),
            },
            error => error.map(|(field, message)| context! { field => field, message => message }),
        },
    )?;
    let mut response = private_page(html);
    *response.status_mut() = status;
    Ok(response)
}

/// What the new-user form sends (roles as repeated `role` fields).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct NewUserForm {
    csrf: Option<String>,
    username: Option<String>,
    name: Option<String>,
    password: Option<String>,
    /// Roles, comma-joined by the form reader (`role=a&role=b`).
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    approver: Option<String>,
    #[serde(default)]
    foi_officer: Option<String>,
    #[serde(default)]
    analyst: Option<String>,
    #[serde(default)]
    admin: Option<String>,
    provider: Option<String>,
}

impl NewUserForm {
    /// The roles ticked.
    fn roles(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (code, ticked) in [
            ("foi_officer", &self.foi_officer),
            ("approver", &self.approver),
            ("analyst", &self.analyst),
            ("admin", &self.admin),
        ] {
            if ticked.is_some() {
                out.push(code.to_string());
            }
        }
        if let Some(r) = &self.role {
            out.push(r.clone());
        }
        out
    }
}

/// `POST /admin/users`: create a user.
pub(crate) async fn create(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Form(form): Form<NewUserForm>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ManageUsers).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let username = form.username.clone().unwrap_or_default().trim().to_string();
    let name = form.name.clone().unwrap_or_default();
    let password = form.password.clone().unwrap_or_default();
    let mut grants = Vec::new();
    for code in form.roles() {
        match Grant::parse(&code) {
            Ok(g) => grants.push(g),
            Err(e) => {
                return users_page(
                    &site,
                    &visitor,
                    StatusCode::BAD_REQUEST,
                    &form,
                    Some(("roles", e.message().to_string())),
                )
                .await;
            }
        }
    }
    if let Some(p) = form
        .provider
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        match Grant::parse(&format!("provider:{p}")) {
            Ok(g) => grants.push(g),
            Err(e) => {
                return users_page(
                    &site,
                    &visitor,
                    StatusCode::BAD_REQUEST,
                    &form,
                    Some(("provider", e.message().to_string())),
                )
                .await;
            }
        }
    }
    let ctx = site.context(&visitor.actor.username);
    let created = blocking(move || {
        accounts::create_user(
            &ctx,
            &NewAccount {
                username,
                display_name: name,
                password,
                grants,
            },
        )
    })
    .await?;
    match created {
        Ok(_) => Ok(see_other("/admin/users")),
        Err(e)
            if matches!(
                e.kind(),
                lantern_app::Kind::Invalid | lantern_app::Kind::Conflict
            ) =>
        {
            let message = e.message().to_string();
            let field = if message.starts_with("password") {
                "password"
            } else if message.starts_with("full name") {
                "name"
            } else if message.starts_with("roles") {
                "roles"
            } else {
                "username"
            };
            users_page(
                &site,
                &visitor,
                StatusCode::BAD_REQUEST,
                &form,
                Some((field, message)),
            )
            .await
        }
        Err(e) => Err(crate::failure(e)),
    }
}

/// What the policy form sends.
#[derive(Debug, Deserialize)]
pub(crate) struct PolicyForm {
    csrf: Option<String>,
    self_approval: Option<String>,
}

/// `POST /admin/policy`: whether whoever drafted an answer may approve it
/// too (off unless set; recorded with before and after).
pub(crate) async fn policy(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Form(form): Form<PolicyForm>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::SetPolicy).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let allowed = match form.self_approval.as_deref() {
        Some("allowed") => true,
        Some("refused") => false,
        _ => {
            return Err(Failure::Page(
                StatusCode::BAD_REQUEST,
                crate::problem_html(
                    "There is a problem",
                    "Choose whether the person who drafted an answer may approve it.",
                ),
            ));
        }
    };
    let ctx = site.context(&visitor.actor.username);
    let actor = visitor.actor.clone();
    act(move || lantern_app::policy::set_self_approval(&ctx, &actor, allowed)).await?;
    Ok(see_other("/admin/users"))
}

/// What a user's action form sends.
#[derive(Debug, Deserialize)]
pub(crate) struct UserActionForm {
    csrf: Option<String>,
    password: Option<String>,
}

/// `POST /admin/users/{username}/disable`.
pub(crate) async fn disable(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(username): Path<String>,
    Form(form): Form<UserActionForm>,
) -> Result<Response, Failure> {
    set_disabled(site, headers, username, form, true).await
}

/// `POST /admin/users/{username}/enable`.
pub(crate) async fn enable(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(username): Path<String>,
    Form(form): Form<UserActionForm>,
) -> Result<Response, Failure> {
    set_disabled(site, headers, username, form, false).await
}

async fn set_disabled(
    site: Arc<Site>,
    headers: HeaderMap,
    username: String,
    form: UserActionForm,
    disabled: bool,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ManageUsers).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let ctx = site.context(&visitor.actor.username);
    act(move || accounts::set_disabled(&ctx, &username, disabled)).await?;
    Ok(see_other("/admin/users"))
}

/// `POST /admin/users/{username}/password`.
pub(crate) async fn reset(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(username): Path<String>,
    Form(form): Form<UserActionForm>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ManageUsers).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let password = form.password.unwrap_or_default();
    let ctx = site.context(&visitor.actor.username);
    act(move || accounts::reset_password(&ctx, &username, &password)).await?;
    Ok(see_other("/admin/users"))
}
