//! Letters to download: a case's letters from its workspace (the response,
//! a draft until it is sent, and the acknowledgement, clarification, fees
//! notice, extension and internal review outcome), each as HTML, DOCX or
//! Markdown, for whoever the policy lets read the case; and the published
//! copy of a sent answer as DOCX, for anyone.
//!
//! This module owns the download addresses and their headers: the content
//! type, a `Content-Disposition: attachment` with a file name made of the
//! reference and the letter, and `Cache-Control: no-store` for a case's
//! letters (they name the requester). The letters themselves come from
//! `lantern_app::casework::correspondence`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use lantern_app::casework::correspondence::{self, Document, LetterFile};
use lantern_app::policy::Action;
use lantern_core::correspondence::Kind;

use crate::staff::allow_case;
use crate::{Failure, Site, act, read};

/// Which letter an address names: the response or another kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    Response,
    Other(Kind),
}

/// Every letter a case's workspace offers, with its formats, for the
/// download links (`code`, `label`, `files` of `ext` and `label`).
pub(crate) fn offered() -> Vec<minijinja::Value> {
    let files: Vec<minijinja::Value> = LetterFile::ALL
        .iter()
        .map(|f| minijinja::context! { ext => f.extension(), label => f.label() })
        .collect();
    let mut letters = vec![("response", "Response")];
    letters.extend(Kind::ALL.iter().map(|k| {
        (
            k.code(),
            match k {
                Kind::Acknowledgement => "Acknowledgement",
                Kind::Clarification => "Clarification (section 1(3))",
                Kind::FeesNotice => "Fees notice (section 9)",
                Kind::Extension => "Extension (section 10(3))",
                Kind::ReviewOutcome => "Internal review outcome",
            },
        )
    }));
    letters
        .into_iter()
        .map(|(code, label)| minijinja::context! { code => code, label => label, files => files.clone() })
        .collect()
}

/// "response.docx" → the response as DOCX.
fn parse(letter: &str) -> Result<(Which, LetterFile), Failure> {
    let unknown = || {
        Failure::NotFound(format!(
            "there is no letter called {letter}: the workspace lists the letters and formats there are"
        ))
    };
    let (name, ext) = letter.rsplit_once('.').ok_or_else(unknown)?;
    let file = LetterFile::parse(ext).ok_or_else(unknown)?;
    let which = match name {
        "response" => Which::Response,
        other => Which::Other(Kind::parse(other).ok_or_else(unknown)?),
    };
    Ok((which, file))
}

fn download(document: Document, private: bool) -> Response {
    let disposition = format!("attachment; filename=\"{}\"", document.file_name);
    let mut response = (
        [(header::CONTENT_TYPE, document.content_type)],
        document.bytes,
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    if private {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// `GET /cases/{reference}/letters/{letter}`: one of a case's letters as a
/// file (`response.docx`, `acknowledgement.md`, …).
pub(crate) async fn case_letter(
    State(site): State<Arc<Site>>,
    headers: HeaderMap,
    Path((reference, letter)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let visitor = allow_case(&site, &headers, Action::ViewCase, &reference).await?;
    let (which, file) = parse(&letter)?;
    let ctx = site.context(&visitor.actor.username);
    let document = act(move || match which {
        Which::Response => correspondence::response(&ctx, &reference, file, false),
        Which::Other(kind) => correspondence::letter(&ctx, &reference, kind, file),
    })
    .await?;
    Ok(download(document, true))
}

/// `GET /letters/{reference}/response.docx`: the published copy of a sent
/// answer as DOCX (without the requester's name); "not found" for anything
/// not sent.
pub(crate) async fn published_docx(
    State(site): State<Arc<Site>>,
    Path(reference): Path<String>,
) -> Result<Response, Failure> {
    let inner = Arc::clone(&site);
    let asked = reference.clone();
    let bytes = read(&site, move |store| {
        lantern_app::casework::published_docx(store, inner.letters.as_deref(), &asked)
    })
    .await?;
    Ok(download(
        Document {
            file_name: format!("{}-response.docx", correspondence::file_stem(&reference)),
            content_type: LetterFile::Docx.content_type(),
            bytes,
        },
        false,
    ))
}
