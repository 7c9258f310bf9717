//! Taking in a new request from the new-request page, besides a pasted
//! e-mail (`staff`): an uploaded `.eml` file (a multipart form, the file
//! bounded by the e-mail size limit and checked to be an e-mail by its
//! content) and a request typed in (requester, day received, subject,
//! questions). Either calls `lantern_app::casework`; an e-mail already
//! taken in opens no second case: the officer is told which case it is,
//! with a link to it. A refused upload or form is shown again with a
//! GOV.UK error summary, nothing stored.
//!
//! [`Parts`] reads a multipart form under limits for this module and
//! `actions` (the final letter as sent), after the policy has been asked:
//! nothing of the body is read for someone who may not post it.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::multipart::Multipart;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use lantern_app::casework::{self, Form as RequestForm, NewRequest, Opened, TypedRequest};
use lantern_app::policy::Action;
use minijinja::context;
use serde::Deserialize;

use crate::auth::{Visitor, allow_here, check_csrf, see_other};
use crate::staff::segment;
use crate::{Failure, Site, private_page, render};

/// The largest `.eml` taken in (the e-mail size limit, attachments included).
pub const MAX_EML_BYTES: u64 = casework::intake::MAX_EMAIL_BYTES;

/// What the multipart body of an upload form may hold besides its file.
const MULTIPART_SLACK: usize = 64 * 1024;

/// The request body limit of the upload route (checked again per file).
pub const UPLOAD_BODY_LIMIT: usize = MAX_EML_BYTES as usize + MULTIPART_SLACK;

/// The longest text field of an upload form, in bytes.
const MAX_FIELD: usize = 8 * 1024;

/// A multipart form as read: its text fields and its one file.
pub(crate) struct Parts {
    /// Text fields by name (the last of a name wins).
    pub fields: BTreeMap<String, String>,
    /// The file field's name as given by the browser and its bytes, when a
    /// file was chosen.
    pub file: Option<(Option<String>, Vec<u8>)>,
    /// The file was larger than allowed (its bytes were not kept).
    pub too_large: bool,
}

impl Parts {
    /// A text field, trimmed; `None` when empty.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// Read a multipart form whose file field is `file_field`, keeping at
    /// most `max_file` bytes of the file: a form that is damaged is a
    /// GOV.UK problem page. A plain (URL-encoded) form is read as one
    /// without a file, so the same route serves a form with no file to
    /// send and a script posting fields only.
    pub async fn read(
        site: &Arc<Site>,
        request: Request,
        file_field: &str,
        max_file: u64,
    ) -> Result<Parts, Failure> {
        let bad = |what: &str| {
            Failure::Page(
                StatusCode::BAD_REQUEST,
                crate::problem_html(
                    "There is a problem",
                    &format!("{what}: go back to the form, choose the file again and send it."),
                ),
            )
        };
        let plain = request
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
        if plain {
            let Form(fields) = Form::<BTreeMap<String, String>>::from_request(request, site)
                .await
                .map_err(|_| bad("The form arrived damaged or incomplete"))?;
            if fields.values().any(|v| v.len() > MAX_FIELD) {
                return Err(bad("A field of the form is too long"));
            }
            return Ok(Parts {
                fields,
                file: None,
                too_large: false,
            });
        }
        let mut multipart = Multipart::from_request(request, site)
            .await
            .map_err(|_| bad("The form was not sent as a file upload"))?;
        let mut parts = Parts {
            fields: BTreeMap::new(),
            file: None,
            too_large: false,
        };
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(field)) => field,
                Ok(None) => break,
                // The body went over the route's limit.
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    parts.too_large = true;
                    break;
                }
                Err(_) => return Err(bad("The upload arrived damaged or incomplete")),
            };
            let name = field.name().unwrap_or_default().to_string();
            if name == file_field {
                let file_name = field
                    .file_name()
                    .map(|n| n.chars().take(200).collect::<String>());
                let mut field = field;
                let mut bytes = Vec::new();
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            if (bytes.len() + chunk.len()) as u64 > max_file {
                                parts.too_large = true;
                                bytes.clear();
                                break;
                            }
                            bytes.extend_from_slice(&chunk);
                        }
                        Ok(None) => break,
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                            parts.too_large = true;
                            break;
                        }
                        Err(_) => return Err(bad("The upload arrived damaged or incomplete")),
                    }
                }
                if parts.too_large {
                    break;
                }
                // No file chosen: browsers send an empty part without a name.
                if !bytes.is_empty() || file_name.as_deref().is_some_and(|n| !n.is_empty()) {
                    parts.file = Some((file_name, bytes));
                }
            } else {
                let text = field
                    .text()
                    .await
                    .map_err(|_| bad("The upload arrived damaged or incomplete"))?;
                if text.len() > MAX_FIELD {
                    return Err(bad("A field of the form is too long"));
                }
                parts.fields.insert(name, text);
            }
        }
        Ok(parts)
    }
}

/// What the new-request page shows again after a refused upload or form.
#[derive(Debug, Default)]
struct Shown<'a> {
    upload_error: Option<&'a str>,
    typed_error: Option<&'a str>,
    typed: Option<&'a TypedForm>,
}

/// The new-request page with an error, its status given.
fn new_request_page(
    site: &Site,
    visitor: &Visitor,
    status: StatusCode,
    shown: &Shown<'_>,
) -> Result<Response, Failure> {
    let typed = shown.typed.map(|t| {
        context! {
            requester => t.requester.clone(),
            contact => t.contact.clone(),
            received => t.received.clone(),
            subject => t.subject.clone(),
            questions => t.questions.clone(),
        }
    });
    let html = render(
        site,
        "new_case.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            email => "",
            upload_error => shown.upload_error,
            typed_error => shown.typed_error,
            typed => typed,
        },
    )?;
    let mut response = private_page(html);
    *response.status_mut() = status;
    Ok(response)
}

/// The page after taking in: the new case, or the one the e-mail was
/// already taken in as (told so, with a link).
fn opened_page(site: &Site, visitor: &Visitor, opened: &Opened) -> Result<Response, Failure> {
    let link = format!("/cases/{}", segment(&opened.case.reference));
    if !opened.already_taken_in {
        return Ok(see_other(&link));
    }
    let html = render(
        site,
        "already_taken_in.html.j2",
        context! {
            council => site.council.clone(),
            user => visitor.page(),
            reference => opened.case.reference.clone(),
            received => opened.case.received.to_string(),
            status => opened.case.status.code().replace('_', " "),
        },
    )?;
    Ok(private_page(html))
}

/// `POST /cases/upload`: take in an uploaded `.eml` file.
pub(crate) async fn upload(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    request: Request,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::TakeIn).await?;
    let parts = Parts::read(&site, request, "eml", MAX_EML_BYTES).await?;
    check_csrf(&visitor, parts.field("csrf"))?;
    let refuse = |status: StatusCode, message: &str| {
        new_request_page(
            &site,
            &visitor,
            status,
            &Shown {
                upload_error: Some(message),
                ..Shown::default()
            },
        )
    };
    if parts.too_large {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!(
                "The file must be smaller than {} MB, attachments included; save the e-mail without its attachments",
                MAX_EML_BYTES >> 20
            ),
        );
    }
    let received = match parts.field("received") {
        None => None,
        Some(day) => match day.parse::<jiff::civil::Date>() {
            Ok(day) => Some(day),
            Err(_) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    "The day the request arrived must be a date written as YYYY-MM-DD, such as 2019-06-10",
                );
            }
        },
    };
    let Some((name, bytes)) = parts.file else {
        return refuse(StatusCode::BAD_REQUEST, "Choose the request's .eml file");
    };
    if !casework::intake::looks_like_email(&bytes) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "The file must be an e-mail saved as .eml (its content starts with headers such as From: and Subject:); the file chosen is not one",
        );
    }
    let ctx = site.context(&visitor.actor.username);
    let shown_name = name.unwrap_or_else(|| "the uploaded file".to_string());
    let opened = crate::blocking(move || {
        casework::take_in(
            &ctx,
            &NewRequest {
                name: &shown_name,
                bytes: &bytes,
                form: RequestForm::Email,
                received,
                reference: None,
                requester: None,
                contact: None,
            },
        )
    })
    .await?;
    match opened {
        Ok(opened) => opened_page(&site, &visitor, &opened),
        Err(e) if e.kind() == lantern_app::Kind::Invalid => {
            refuse(StatusCode::BAD_REQUEST, e.message())
        }
        Err(e) => Err(crate::failure(e)),
    }
}

/// What the typed-request form sends.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TypedForm {
    csrf: Option<String>,
    #[serde(default)]
    requester: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    received: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    questions: String,
}

/// `POST /cases/typed`: take in a request typed in by the officer.
pub(crate) async fn typed(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Form(form): Form<TypedForm>,
) -> Result<Response, Failure> {
    let visitor = allow_here(&site, &headers, Action::TakeIn).await?;
    check_csrf(&visitor, form.csrf.as_deref())?;
    let refuse = |message: &str| {
        new_request_page(
            &site,
            &visitor,
            StatusCode::BAD_REQUEST,
            &Shown {
                typed_error: Some(message),
                typed: Some(&form),
                ..Shown::default()
            },
        )
    };
    let received = match form.received.trim() {
        "" => return refuse("Enter the day the request arrived"),
        day => match day.parse::<jiff::civil::Date>() {
            Ok(day) => day,
            Err(_) => {
                return refuse(
                    "The day the request arrived must be a date written as YYYY-MM-DD, such as 2019-06-10",
                );
            }
        },
    };
    let typed = TypedRequest {
        requester: form.requester.clone(),
        contact: Some(form.contact.clone()),
        received,
        subject: form.subject.clone(),
        questions: form.questions.clone(),
    };
    let ctx = site.context(&visitor.actor.username);
    let opened = crate::blocking(move || casework::take_in_typed(&ctx, &typed)).await?;
    match opened {
        Ok(opened) => opened_page(&site, &visitor, &opened),
        Err(e) if e.kind() == lantern_app::Kind::Invalid => refuse(&capitalised(e.message())),
        Err(e) => Err(crate::failure(e)),
    }
}

/// A message as a sentence for an error summary.
pub(crate) fn capitalised(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
