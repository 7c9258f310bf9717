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
    let Err(e) = created else {
        return Ok(see_other("/admin/users"));
    };
    let error = crate::field_error(
        e,
        &[lantern_app::Kind::Invalid, lantern_app::Kind::Conflict],
        &[
            ("password", "password"),
            ("full name", "name"),
            ("roles", "roles"),
        ],
        "username",
    )?;
    users_page(&site, &visitor, StatusCode::BAD_REQUEST, &form, Some(error)).await
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

/// The council settings form's fields, in page order: the form's name,
/// its label, its hint, and whether it takes several lines.
const COUNCIL_FIELDS: [(&str, &str, &str, bool); 10] = [
    (
        "name",
        "Name",
        "The council's full name, as letters and pages show it.",
        false,
    ),
    (
        "areas",
        "Areas",
        "The ONS codes of the areas it answers for, one a line, its own first.",
        true,
    ),
    (
        "team",
        "Review team",
        "The team that handles internal reviews.",
        false,
    ),
    (
        "email",
        "Review e-mail",
        "Where requesters write to ask for a review; leave empty for none.",
        false,
    ),
    (
        "address",
        "Review address",
        "The postal address for reviews, one line a line.",
        true,
    ),
    (
        "signature",
        "Signature",
        "The lines closing every letter.",
        true,
    ),
    (
        "threshold",
        "Disclosure threshold",
        "Counts of people from 1 to one less than this are given as \"fewer than\" it.",
        false,
    ),
    (
        "reference",
        "Reference pattern",
        "How references are numbered: {year} and {seq}, or {seq:N} for N digits.",
        false,
    ),
    (
        "retain_years",
        "Retention (years)",
        "How many years after receipt requesters' names and contact details are kept (1 to 50).",
        false,
    ),
    (
        "time_zone",
        "Time zone",
        "The IANA time zone the council works in, such as Europe/London.",
        false,
    ),
];

/// What the council settings form sends (every field as text).
#[derive(Debug, Default, Deserialize)]
pub(crate) struct CouncilForm {
    csrf: Option<String>,
    name: Option<String>,
    areas: Option<String>,
    team: Option<String>,
    email: Option<String>,
    address: Option<String>,
    signature: Option<String>,
    threshold: Option<String>,
    reference: Option<String>,
    retain_years: Option<String>,
    time_zone: Option<String>,
}

impl CouncilForm {
    /// The form filled in with the settings held.
    fn held(s: &lantern_core::council::Settings) -> CouncilForm {
        CouncilForm {
            csrf: None,
            name: Some(s.name.clone()),
            areas: Some(s.areas.join("\n")),
            team: Some(s.team.clone()),
            email: Some(s.email.clone().unwrap_or_default()),
            address: Some(s.address.join("\n")),
            signature: Some(s.signature.join("\n")),
            threshold: Some(s.threshold.to_string()),
            reference: Some(s.reference.clone()),
            retain_years: Some(s.retain_years.to_string()),
            time_zone: Some(s.time_zone.clone()),
        }
    }

    fn value(&self, field: &str) -> String {
        match field {
            "name" => &self.name,
            "areas" => &self.areas,
            "team" => &self.team,
            "email" => &self.email,
            "address" => &self.address,
            "signature" => &self.signature,
            "threshold" => &self.threshold,
            "reference" => &self.reference,
            "retain_years" => &self.retain_years,
            "time_zone" => &self.time_zone,
            _ => &None,
        }
        .clone()
        .unwrap_or_default()
    }

    /// The change the form asks for: a field left out of the form keeps
    /// its value; a number that is not one is an error on its field.
    fn change(&self) -> Result<lantern_app::council::Change, (&'static str, String)> {
        let lines = |v: &Option<String>| {
            v.as_ref().map(|t| {
                t.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
        };
        let text = |v: &Option<String>| v.as_ref().map(|t| t.trim().to_string());
        let threshold = match text(&self.threshold) {
            None => None,
            Some(t) => Some(t.parse::<u64>().map_err(|_| {
                (
                    "threshold",
                    "Disclosure threshold must be a whole number, such as 5".to_string(),
                )
            })?),
        };
        let retain_years = match text(&self.retain_years) {
            None => None,
            Some(t) => Some(t.parse::<u8>().map_err(|_| {
                (
                    "retain_years",
                    "Retention must be a whole number of years from 1 to 50".to_string(),
                )
            })?),
        };
        Ok(lantern_app::council::Change {
            name: text(&self.name),
            areas: lines(&self.areas),
            team: text(&self.team),
            email: text(&self.email).map(|e| Some(e).filter(|e| !e.is_empty())),
            address: lines(&self.address),
            signature: lines(&self.signature),
            threshold,
            reference: text(&self.reference),
            retain_years,
            time_zone: text(&self.time_zone),
        })
    }
}

/// `GET /admin/council`: the council's settings, to view and change.
pub(crate) async fn council(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewCouncil).await?;
    let saved = q.saved.is_some();
    council_page(&site, &visitor, StatusCode::OK, None, None, saved).await
}

/// `?saved=1` after a change: say it was saved.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SavedQuery {
    pub(crate) saved: Option<String>,
    /// `?removed=1` after a bank holiday was taken out.
    pub(crate) removed: Option<String>,
}

async fn council_page(
    site: &Arc<Site>,
    visitor: &Visitor,
    status: StatusCode,
    form: Option<&CouncilForm>,
    error: Option<(&str, String)>,
    saved: bool,
) -> Result<Response, Failure> {
    let ctx = site.context(&visitor.actor.username);
    let history = act(move || lantern_app::council::history(&ctx, None)).await?;
    let Some(now) = history.iter().find(|c| c.retired_in.is_none()) else {
        return Err(Failure::NotFound(
            "this database holds no council yet".into(),
        ));
    };
    let held = CouncilForm::held(now.council.settings());
    let form = form.unwrap_or(&held);
    let fields: Vec<_> = COUNCIL_FIELDS
        .iter()
        .map(|&(id, label, hint, many)| {
            context! { id => id, label => label, hint => hint, many => many, value => form.value(id) }
        })
        .collect();
    let versions: Vec<_> = history
        .iter()
        .rev()
        .map(|c| {
            context! {
                version => c.data_version,
                actor => c.actor.clone(),
                at => c.at.clone(),
                current => c.retired_in.is_none(),
            }
        })
        .collect();
    let html = render(
        site,
        "council.html.j2",
        context! {
            council => site.council.clone(),
            code => now.council.code().to_string(),
            user => visitor.page(),
            fields => fields,
            versions => versions,
            saved => saved,
            error => error.map(|(field, message)| context! { field => field, message => message }),
        },
    )?;
    let mut response = private_page(html);
    *response.status_mut() = status;
    Ok(response)
}

/// `POST /admin/council`: change the council's settings (a new data
/// version, audited with who; nothing is written when nothing changed).
pub(crate) async fn set_council(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Form(form): Form<CouncilForm>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::SetCouncil).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let change = match form.change() {
        Ok(change) => change,
        Err((field, message)) => {
            return council_page(
                &site,
                &visitor,
                StatusCode::BAD_REQUEST,
                Some(&form),
                Some((field, message)),
                false,
            )
            .await;
        }
    };
    let ctx = site.context(&visitor.actor.username);
    let code = site.council_code.clone();
    let Err(e) = blocking(move || lantern_app::council::set(&ctx, &code, &change)).await? else {
        return Ok(see_other("/admin/council?saved=1"));
    };
    // The core names the setting first ("threshold: …").
    let prefixes: Vec<(String, &'static str)> = COUNCIL_FIELDS
        .iter()
        .map(|(id, ..)| (format!("{id}:"), *id))
        .collect();
    let prefixes: Vec<(&str, &'static str)> =
        prefixes.iter().map(|(p, id)| (p.as_str(), *id)).collect();
    let error = crate::field_error(e, &[lantern_app::Kind::Invalid], &prefixes, "name")?;
    council_page(
        &site,
        &visitor,
        StatusCode::BAD_REQUEST,
        Some(&form),
        Some(error),
        false,
    )
    .await
}

/// The audit log page's query: who, what, which record, a date range and
/// the page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct AuditQuery {
    who: Option<String>,
    what: Option<String>,
    record: Option<String>,
    from: Option<String>,
    to: Option<String>,
    page: Option<String>,
}

/// `GET /admin/audit`: the council's audit trail, searched and paged.
pub(crate) async fn audit(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<AuditQuery>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewAudit).await?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default().trim().to_string();
    let mut error = None;
    let mut day = |field: &'static str, v: &Option<String>| -> Option<jiff::civil::Date> {
        let t = text(v);
        if t.is_empty() {
            return None;
        }
        match t.parse() {
            Ok(d) => Some(d),
            Err(_) => {
                error.get_or_insert((
                    field,
                    format!("Write the date as YYYY-MM-DD, such as 2026-12-04 (not {t})"),
                ));
                None
            }
        }
    };
    let from = day("from", &q.from);
    let to = day("to", &q.to);
    let page = match text(&q.page) {
        t if t.is_empty() => 1,
        t => t
            .parse::<usize>()
            .ok()
            .filter(|p| (1..=100_000).contains(p))
            .unwrap_or_else(|| {
                error.get_or_insert(("page", "The page must be a whole number from 1".to_string()));
                1
            }),
    };
    let search = lantern_app::audit::Search {
        actor: text(&q.who),
        action: text(&q.what),
        record: text(&q.record),
        from,
        to,
        page,
    };
    let found = if error.is_none() {
        let ctx = site.context(&visitor.actor.username);
        let asked = search.clone();
        match blocking(move || lantern_app::audit::search(&ctx, &asked)).await? {
            Ok(found) => Some(found),
            Err(e) => {
                error = Some(crate::field_error(
                    e,
                    &[lantern_app::Kind::Invalid],
                    &[
                        ("who:", "who"),
                        ("what:", "what"),
                        ("record:", "record"),
                        ("to:", "to"),
                    ],
                    "who",
                )?);
                None
            }
        }
    } else {
        None
    };
    // The query for another page: the same search.
    let link = |page: usize| {
        let mut pairs = Vec::new();
        for (name, value) in [
            ("who", text(&q.who)),
            ("what", text(&q.what)),
            ("record", text(&q.record)),
            ("from", text(&q.from)),
            ("to", text(&q.to)),
        ] {
            if !value.is_empty() {
                pairs.push(format!("{name}={}", crate::query_value(&value)));
            }
        }
        pairs.push(format!("page={page}"));
        format!("/admin/audit?{}", pairs.join("&"))
    };
    let status = if error.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let html = render(
        &site,
        "audit.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            form => context! {
                who => text(&q.who), what => text(&q.what), record => text(&q.record),
                from => text(&q.from), to => text(&q.to),
            },
            lines => found.as_ref().map(|f| f.lines.iter().map(|l| context! {
                at => l.at.clone(), actor => l.actor.clone(), source => l.source.clone(),
                action => l.action.clone(), record => l.record.clone(),
            }).collect::<Vec<_>>()),
            page => found.as_ref().map(|f| f.page),
            previous => found.as_ref().filter(|f| f.page > 1).map(|f| link(f.page - 1)),
            next => found.as_ref().filter(|f| f.more).map(|f| link(f.page + 1)),
            error => error.map(|(field, message)| context! { field => field, message => message }),
        },
    )?;
    let mut response = private_page(html);
    *response.status_mut() = status;
    Ok(response)
}

/// What the add-a-bank-holiday form sends.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct HolidayForm {
    csrf: Option<String>,
    date: Option<String>,
    title: Option<String>,
    division: Option<String>,
}

/// `GET /admin/bank-holidays`: the days the clock skips, this year and next.
pub(crate) async fn bank_holidays(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<SavedQuery>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewCouncil).await?;
    holidays_page(
        &site,
        &visitor,
        StatusCode::OK,
        &HolidayForm::default(),
        None,
        if q.removed.is_some() {
            Done::Removed
        } else if q.saved.is_some() {
            Done::Added
        } else {
            Done::Nothing
        },
    )
    .await
}

/// What the bank-holiday page says was just done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    Nothing,
    Added,
    Removed,
}

async fn holidays_page(
    site: &Arc<Site>,
    visitor: &Visitor,
    status: StatusCode,
    form: &HolidayForm,
    error: Option<(&str, String)>,
    done: Done,
) -> Result<Response, Failure> {
    let today = site.clock.today_in(&site.zone);
    let from = jiff::civil::date(today.year(), 1, 1);
    let to = jiff::civil::date(today.year().saturating_add(1), 12, 31);
    let ctx = site.context(&visitor.actor.username);
    let (version, days) = act(move || lantern_app::data::bank_holidays(&ctx, from, to)).await?;
    let days: Vec<_> = days
        .into_iter()
        .map(|(day, what)| {
            context! {
                date => day.to_string(),
                weekday => format!("{:?}", day.weekday()),
                what => what,
            }
        })
        .collect();
    let html = render(
        site,
        "bank_holidays.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            from => from.to_string(),
            to => to.to_string(),
            version => version,
            days => days,
            saved => done == Done::Added,
            removed => done == Done::Removed,
            form => context! {
                date => form.date.clone().unwrap_or_default(),
                title => form.title.clone().unwrap_or_default(),
                division => form.division.clone().unwrap_or_else(|| "all".into()),
            },
            error => error.map(|(field, message)| context! { field => field, message => message }),
        },
    )?;
    let mut response = private_page(html);
    *response.status_mut() = status;
    Ok(response)
}

/// `POST /admin/bank-holidays`: add one day (audited; the clock skips it
/// from then on).
pub(crate) async fn add_bank_holiday(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Form(form): Form<HolidayForm>,
) -> Result<Response, Failure> {
    use lantern_core::deadline::Division;
    let visitor = allow_here(&site, &headers, Action::SetCouncil).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let date = form.date.clone().unwrap_or_default();
    let Ok(day) = date.trim().parse::<jiff::civil::Date>() else {
        let message = "Write the date as YYYY-MM-DD, such as 2027-05-08".to_string();
        return holidays_page(
            &site,
            &visitor,
            StatusCode::BAD_REQUEST,
            &form,
            Some(("date", message)),
            Done::Nothing,
        )
        .await;
    };
    let divisions: Vec<Division> = match form.division.as_deref() {
        Some("all") => Division::ALL.to_vec(),
        Some(key) => Division::from_key(key).into_iter().collect(),
        None => Vec::new(),
    };
    let title = form.title.clone().unwrap_or_default();
    let ctx = site.context(&visitor.actor.username);
    let Err(e) =
        blocking(move || lantern_app::data::add_bank_holiday(&ctx, day, &title, &divisions))
            .await?
    else {
        return Ok(see_other("/admin/bank-holidays?saved=1"));
    };
    let error = crate::field_error(
        e,
        &[lantern_app::Kind::Invalid],
        &[("division", "division-all")],
        "title",
    )?;
    holidays_page(
        &site,
        &visitor,
        StatusCode::BAD_REQUEST,
        &form,
        Some(error),
        Done::Nothing,
    )
    .await
}

/// What the remove-a-bank-holiday buttons and the confirmation send.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RemoveHolidayForm {
    csrf: Option<String>,
    date: Option<String>,
    /// `yes` from the confirmation page; without it, the page asks.
    confirm: Option<String>,
}

/// `POST /admin/bank-holidays/remove`: from a row's button, the page that
/// asks to confirm; confirmed, take the day out (a new calendar version,
/// audited with who; counts from then on treat it as a working day).
pub(crate) async fn remove_bank_holiday(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Form(form): Form<RemoveHolidayForm>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::SetCouncil).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let date = form.date.clone().unwrap_or_default();
    let Ok(day) = date.trim().parse::<jiff::civil::Date>() else {
        return Err(crate::failure(lantern_app::Error::invalid(
            "date: the day to remove is not a date as YYYY-MM-DD; go back to the bank holidays and \
             choose one from the table",
        )));
    };
    let ctx = site.context(&visitor.actor.username);
    if form.confirm.as_deref() == Some("yes") {
        act(move || lantern_app::data::remove_bank_holiday(&ctx, day)).await?;
        return Ok(see_other("/admin/bank-holidays?removed=1"));
    }
    // Ask first, saying which holiday it is (and refuse a day the
    // calendar does not skip before asking).
    let before = day.yesterday().unwrap_or(day);
    let (_, listed) = act(move || lantern_app::data::bank_holidays(&ctx, before, day)).await?;
    let Some((_, what)) = listed.into_iter().find(|(d, _)| *d == day) else {
        return Err(crate::failure(lantern_app::Error::invalid(format!(
            "date: {day} is not a bank holiday on a weekday in the calendar, so there is nothing \
             to remove; go back to the bank holidays and choose one from the table"
        ))));
    };
    let html = render(
        &site,
        "bank_holiday_remove.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            date => day.to_string(),
            weekday => format!("{:?}", day.weekday()),
            what => what,
        },
    )?;
    Ok(private_page(html))
}
