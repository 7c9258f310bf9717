//! The letter templates page (administrators): each template the council
//! edits with the one in force, editing one, a preview of the three seed
//! requests' letters made with the edited text before it is saved, saving
//! it as a new version and reverting to the default. Each asks the policy,
//! checks the form's secret and calls `lantern_app::letter_templates`,
//! which refuses a template that does not parse or render (with its line
//! and column) and saves nothing then.

use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lantern_app::letter_templates::{self as templates, Preview, Template};
use lantern_app::policy::Action;
use minijinja::context;
use serde::Deserialize;

use crate::admin::SavedQuery;
use crate::auth::{Visitor, allow_here, check_csrf, see_other};
use crate::{Failure, Site, act, blocking, private_page, render};

/// `GET /admin/templates`: every template, own or default.
pub(crate) async fn list(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewCouncil).await?;
    let ctx = site.context(&visitor.actor.username);
    let all = act(move || templates::list(&ctx)).await?;
    let rows: Vec<_> = all
        .iter()
        .map(|t| {
            let last = t.versions.first();
            context! {
                name => t.name,
                about => t.about,
                own => t.own,
                changed => last.map(|v| context! {
                    actor => v.actor.clone(), at => v.at.clone(), summary => v.summary.clone(),
                    version => v.data_version,
                }),
            }
        })
        .collect();
    let html = render(
        &site,
        "templates.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            templates => rows,
        },
    )?;
    Ok(private_page(html))
}

/// `GET /admin/templates/{template}`: one template, to edit.
pub(crate) async fn edit(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::ViewCouncil).await?;
    let saved = q.saved.is_some();
    let ctx = site.context(&visitor.actor.username);
    let held = act(move || templates::show(&ctx, &name)).await?;
    let source = held.source.clone();
    template_page(
        &site,
        &visitor,
        StatusCode::OK,
        &held,
        &source,
        &[],
        None,
        saved,
    )
}

#[allow(clippy::too_many_arguments)]
fn template_page(
    site: &Arc<Site>,
    visitor: &Visitor,
    status: StatusCode,
    held: &Template,
    source: &str,
    previews: &[Preview],
    error: Option<String>,
    saved: bool,
) -> Result<Response, Failure> {
    let versions: Vec<_> = held
        .versions
        .iter()
        .map(|v| {
            context! {
                version => v.data_version, actor => v.actor.clone(), at => v.at.clone(),
                summary => v.summary.clone(), default => v.source.is_none(),
                current => v.retired_in.is_none(),
            }
        })
        .collect();
    let previewed = !previews.is_empty();
    let previews: Vec<_> = previews
        .iter()
        .map(|p| {
            context! {
                request => p.request,
                // Made from the Markdown, which prints any HTML in it as text.
                body => minijinja::Value::from_safe_string(
                    lantern_app::letters::markdown_to_html(&p.markdown)),
                html => p.html.clone(),
            }
        })
        .collect();
    let html = render(
        site,
        "template.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            name => held.name,
            about => held.about,
            own => held.own,
            source => source,
            versions => versions,
            previews => previews,
            previewed => previewed,
            saved => saved,
            error => error.map(|message| context! { field => "source", message => message }),
        },
    )?;
    let mut response = private_page(html);
    *response.status_mut() = status;
    Ok(response)
}

/// What the template form sends.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TemplateForm {
    csrf: Option<String>,
    source: Option<String>,
}

/// Run `use_case` with the form's text; a refusal (the template does not
/// parse or render) shows the page again with the text and the message.
async fn with_form<T: Send + 'static>(
    site: Arc<Site>,
    headers: HeaderMap,
    name: String,
    form: TemplateForm,
    use_case: fn(&lantern_app::Context, &str, &str) -> lantern_app::Result<T>,
    done: impl FnOnce(&Site, &Visitor, &Template, &str, T) -> Result<Response, Failure>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::SetCouncil).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let source = form.source.unwrap_or_default().replace("\r\n", "\n");
    let ctx = site.context(&visitor.actor.username);
    let asked = name.clone();
    let text = source.clone();
    let (held, outcome) = act(move || {
        let held = templates::show(&ctx, &asked)?;
        Ok((held, use_case(&ctx, &asked, &text)))
    })
    .await?;
    let e = match outcome {
        Ok(value) => return done(&site, &visitor, &held, &source, value),
        Err(e) => e,
    };
    let (_, message) = crate::field_error(e, &[lantern_app::Kind::Invalid], &[], "source")?;
    template_page(
        &site,
        &visitor,
        StatusCode::BAD_REQUEST,
        &held,
        &source,
        &[],
        Some(message),
        false,
    )
}

/// `POST /admin/templates/{template}/preview`: the seed requests' letters
/// made with the edited text; nothing is saved.
pub(crate) async fn preview(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(form): Form<TemplateForm>,
) -> Result<Response, Failure> {
    let page = Arc::clone(&site);
    with_form(
        site,
        headers,
        name,
        form,
        templates::preview,
        move |_, visitor, held, source, previews| {
            template_page(
                &page,
                visitor,
                StatusCode::OK,
                held,
                source,
                &previews,
                None,
                false,
            )
        },
    )
    .await
}

/// `POST /admin/templates/{template}`: save the edited text as a new
/// version (checked again first).
pub(crate) async fn save(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(form): Form<TemplateForm>,
) -> Result<Response, Failure> {
    with_form(
        site,
        headers,
        name,
        form,
        templates::set,
        |_, _, held, _, _| {
            Ok(see_other(&format!(
                "/admin/templates/{}?saved=1",
                crate::query_value(held.name)
            )))
        },
    )
    .await
}

/// What the revert form sends.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RevertForm {
    csrf: Option<String>,
}

/// `POST /admin/templates/{template}/revert`: back to the default.
pub(crate) async fn revert(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path(name): Path<String>,
    Form(form): Form<RevertForm>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::SetCouncil).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let ctx = site.context(&visitor.actor.username);
    let asked = name.clone();
    match blocking(move || templates::revert(&ctx, &asked)).await? {
        Ok(_) => Ok(see_other(&format!(
            "/admin/templates/{}?saved=1",
            crate::query_value(&name)
        ))),
        Err(e) => Err(crate::failure(e)),
    }
}
