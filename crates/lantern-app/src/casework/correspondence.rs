//! A case's letters as files to download or write: the response (the
//! draft until it is sent, then the letter as sent) and the other letters
//! a case sends (acknowledgement, clarification, fees notice, extension,
//! internal review outcome), each in Markdown, HTML or DOCX.
//!
//! This module owns which facts each letter is made from and the file it
//! becomes (name, content type, bytes). The response comes from the kept
//! draft (or what the data gives now) exactly as `lantern request letter`
//! prints it; the other letters from `lantern_core::correspondence`, fed
//! with the case's history, its clock, today's date by the context's clock
//! and the council's settings as they stood at the draft's data version
//! (the latest when nothing is drafted). A letter whose facts are not
//! recorded is refused with what to record. Reading a letter changes
//! nothing, so nothing here is audited.

use lantern_core::casework::{Case, Status};
use lantern_core::correspondence::{self, Exemption, Facts, Kind, Sender};
use lantern_core::foi::Basis;

use super::cases::letter_view;
use super::{calendar, find};
use crate::letters::{self, Format};
use crate::{Context, Result};

/// The file formats a letter is downloaded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LetterFile {
    /// Markdown.
    Md,
    /// A standalone HTML page.
    Html,
    /// A Word document.
    Docx,
}

impl LetterFile {
    /// Every format.
    pub const ALL: [LetterFile; 3] = [LetterFile::Html, LetterFile::Docx, LetterFile::Md];

    /// The file name's extension, which is also its code.
    pub fn extension(self) -> &'static str {
        match self {
            LetterFile::Md => "md",
            LetterFile::Html => "html",
            LetterFile::Docx => "docx",
        }
    }

    /// The format an extension names.
    pub fn parse(code: &str) -> Option<LetterFile> {
        LetterFile::ALL.into_iter().find(|f| f.extension() == code)
    }

    /// Its MIME type.
    pub fn content_type(self) -> &'static str {
        match self {
            LetterFile::Md => "text/markdown; charset=utf-8",
            LetterFile::Html => "text/html; charset=utf-8",
            LetterFile::Docx => crate::docx::CONTENT_TYPE,
        }
    }

    /// What a person calls it.
    pub fn label(self) -> &'static str {
        match self {
            LetterFile::Md => "Markdown",
            LetterFile::Html => "HTML",
            LetterFile::Docx => "Word (DOCX)",
        }
    }
}

/// A letter as a file.
#[derive(Debug, Clone)]
pub struct Document {
    /// A file name to save it as (`FOI-2019-0412-response-draft.docx`).
    pub file_name: String,
    /// Its MIME type.
    pub content_type: &'static str,
    /// The file.
    pub bytes: Vec<u8>,
}

/// A reference made safe for a file name: letters, digits, `-` and `_`.
pub fn file_stem(reference: &str) -> String {
    reference
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Where the response letter stands, for its file name: `draft` until it
/// is approved, `approved` until it is sent, then `sent`.
fn stage(case: &Case, sent: bool) -> &'static str {
    match case.status {
        _ if sent => "sent",
        Status::Approved => "approved",
        _ => "draft",
    }
}

/// The response letter as the requester receives it ("Dear NAME"), as a
/// file: dated once sent, otherwise marked as a draft in its date line and
/// its file name.
///
/// With `published`, the copy the disclosure log publishes instead
/// (without the requester's name or contact details).
pub fn response(
    ctx: &Context,
    reference: &str,
    file: LetterFile,
    published: bool,
) -> Result<Document> {
    let store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let sent = lantern_core::casework::sent_on(&store.case_history(reference)?);
    let name = format!(
        "{}-response-{}{}.{}",
        file_stem(reference),
        stage(&case, sent.is_some()),
        if published { "-published" } else { "" },
        file.extension()
    );
    let bytes = match file {
        LetterFile::Md => super::letter(ctx, reference, Format::Md, published)?
            .letter
            .into_bytes(),
        LetterFile::Html => super::letter(ctx, reference, Format::Html, published)?
            .letter
            .into_bytes(),
        LetterFile::Docx => {
            let (mut view, _) = letter_view(ctx, store.as_ref(), &case)?;
            let copy = if published {
                letters::Copy::Published {
                    requester: super::cases::requester(&case),
                }
            } else {
                letters::Copy::Requester {
                    name: case.requester_name.as_deref(),
                }
            };
            letters::address(&mut view, copy, sent)?;
            let council = view["council"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            crate::letter_templates::in_force(
                ctx,
                store.as_ref(),
                crate::letter_templates::made_at(&view),
            )?
            .docx(
                &view,
                &format!("Freedom of Information response {reference}"),
                &council,
            )?
        }
    };
    Ok(Document {
        file_name: name,
        content_type: file.content_type(),
        bytes,
    })
}

/// One of the other letters of a case as a file, made from what the case
/// records; refused (a conflict) with what to record when a fact it needs
/// is not recorded.
pub fn letter(ctx: &Context, reference: &str, kind: Kind, file: LetterFile) -> Result<Document> {
    let store = ctx.open()?;
    let case = find(store.as_ref(), reference)?;
    let history = store.case_history(reference)?;
    let calendar = calendar(store.as_ref())?;
    let deadline = lantern_core::casework::case_deadline(&calendar, &case, &history)?;
    let today = ctx.today(store.as_ref())?;
    let draft: Option<serde_json::Value> = match store.draft(reference)? {
        Some((text, _)) => Some(serde_json::from_str(&text)?),
        None => None,
    };
    let data_version = draft
        .as_ref()
        .and_then(|d| d["made_with"]["data_version"].as_i64());
    let council = crate::council::in_force(ctx, store.as_ref(), data_version)?;
    let details = council.settings();
    // Only the extension names exemptions: the answer as kept (or decided
    // now) says which qualified ones apply.
    let exemptions = if kind == Kind::Extension {
        let view = match draft {
            Some(d) => d,
            None => letter_view(ctx, store.as_ref(), &case)?.0,
        };
        qualified(&view)
    } else {
        vec![]
    };
    let facts = Facts {
        reference,
        received: case.received,
        addressee: case
            .requester_name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty()),
        sender: Sender {
            name: &details.name,
            team: &details.team,
            address: &details.address,
            email: details.email.as_deref(),
            signature: &details.signature,
        },
        today,
        deadline: &deadline,
        history: &history,
        // The fee recorded with the latest fees notice, if any.
        fee: history
            .iter()
            .rfind(|e| e.action == "fee_notice")
            .and_then(|e| e.fee_pence)
            .map(|pence| correspondence::Fee { pence }),
        exemptions: &exemptions,
    };
    let md =
        correspondence::write(kind, &facts).map_err(|m| crate::Error::conflict(m.to_string()))?;
    let title = format!("{} ({reference})", kind.title());
    let bytes = match file {
        LetterFile::Md => md.into_bytes(),
        LetterFile::Html => crate::letter_templates::in_force(ctx, store.as_ref(), data_version)?
            .page(&title, &md)?
            .into_bytes(),
        LetterFile::Docx => crate::docx::from_markdown(
            &md,
            &crate::docx::About {
                title: &title,
                creator: &details.name,
            },
        )?,
    };
    Ok(Document {
        file_name: format!(
            "{}-{}.{}",
            file_stem(reference),
            kind.code(),
            file.extension()
        ),
        content_type: file.content_type(),
        bytes,
    })
}

/// The qualified exemptions a letter's JSON form gives notice of, each with
/// what it covers.
fn qualified(view: &serde_json::Value) -> Vec<Exemption> {
    const BASES: [Basis; 5] = [
        Basis::NotHeld,
        Basis::CostLimit,
        Basis::AccessibleElsewhere,
        Basis::FuturePublication,
        Basis::PersonalData,
    ];
    view["notices"]
        .as_array()
        .map(|notices| {
            notices
                .iter()
                .filter_map(|n| {
                    let code = n["basis"].as_str()?;
                    let basis = BASES.into_iter().find(|b| b.code() == code)?;
                    basis.is_qualified().then(|| Exemption {
                        basis,
                        covers: n["covers_text"].as_str().unwrap_or_default().to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}
