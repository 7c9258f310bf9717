//! Requesters' details past their retention date (`lantern request
//! erase-expired`): the name and contact are erased from every case whose
//! retention ended (`lantern_core::casework::retention`), each erasure
//! recorded in the case's history (who and when, never what); a case still
//! open keeps them until it is answered or withdrawn, since the council must
//! still reply.
//!
//! In the same transaction, every other text the case keeps loses them too,
//! since once the name is gone nothing could find it there any more:
//! - the original message is replaced by [`ORIGINAL_ERASED`] (its headers,
//!   signature and address are the requester's; the questions survive in the
//!   structured request and the draft);
//! - the structured request's question texts and the kept draft's question
//!   and narrative texts are cleaned as the published copy cleans them
//!   ([`crate::personal_data`]), so the published copy after erasure is the
//!   one published before; the requester's own reference is dropped;
//! - notes in the case's history, its disclosure log questions, the
//!   officers' words on how its findings were resolved, the phrases taught
//!   on it, and the reasons (and other holders) of not-held declarations
//!   made on it or while resolving its findings, with the reasons they were
//!   withdrawn (also where the audit log quotes them), are cleaned the same
//!   way: a declaration's reason loses names and contact details, not why
//!   the information is not held.
//!
//! Once every case is erased, the database's files are rewritten so that
//! the old texts' bytes are not left in them.

use jiff::civil::Date;
use lantern_core::casework::{self, Case, Retention};
use lantern_store::{CaseText, HeldDetails, StoreError};

use crate::personal_data::{self, Requester};
use crate::{Context, Result};

/// What a case keeps of its original message once the requester's details
/// are erased.
pub const ORIGINAL_ERASED: &str =
    "[original message erased when the requester's details were erased]";

/// What replaces `text` (of kind `kind`) when the requester's details `held`
/// are erased.
fn rewrite(held: HeldDetails<'_>, kind: CaseText, text: &str) -> Result<String, StoreError> {
    let requester = Requester {
        name: held.name,
        contact: held.contact,
        message: None,
    };
    match kind {
        CaseText::Original => Ok(ORIGINAL_ERASED.to_string()),
        CaseText::Note
        | CaseText::LogQuestion
        | CaseText::Declaration
        | CaseText::Resolution
        | CaseText::Phrase => Ok(personal_data::remove(text, requester)),
        CaseText::Structured => {
            let mut request: toml::Table = text.parse().map_err(|e| {
                StoreError::Damaged(format!("a case's structured request does not parse: {e}"))
            })?;
            request.remove("requester_reference");
            clean_texts(&mut request, requester);
            toml::to_string(&request).map_err(|e| {
                StoreError::Damaged(format!(
                    "a case's structured request cannot be written: {e}"
                ))
            })
        }
        CaseText::Draft => {
            let mut view: serde_json::Value = serde_json::from_str(text).map_err(|e| {
                StoreError::Damaged(format!("a case's draft letter does not parse: {e}"))
            })?;
            if let Some(r) = view.get_mut("request").and_then(|r| r.as_object_mut()) {
                r.insert("requester_reference".into(), serde_json::Value::Null);
            }
            personal_data::remove_from_letter(&mut view, requester);
            serde_json::to_string(&view).map_err(|e| {
                StoreError::Damaged(format!("a case's draft letter cannot be written: {e}"))
            })
        }
    }
}

/// Clean every `text` of a structured request's questions (and their
/// parts, at any depth), and the words set aside as not a question with
/// the officer's `reason`.
fn clean_texts(table: &mut toml::Table, requester: Requester<'_>) {
    for (key, value) in table.iter_mut() {
        match value {
            toml::Value::String(s) if key == "text" || key == "reason" => {
                *s = personal_data::remove(s, requester)
            }
            toml::Value::Table(t) => clean_texts(t, requester),
            toml::Value::Array(items) => {
                for item in items {
                    if let toml::Value::Table(t) = item {
                        clean_texts(t, requester);
                    }
                }
            }
            _ => {}
        }
    }
}

/// Cases holding requester details after their retention date.
pub(super) fn expired(cases: &[Case], today: Date) -> Vec<&Case> {
    cases
        .iter()
        .filter(|c| casework::retention(c, today) != Retention::Keep)
        .collect()
}

/// What an erasure did (or, on a dry run, would do).
#[derive(Debug, Clone)]
pub struct Erased {
    /// The day counted as today.
    pub today: Date,
    /// Only listed, nothing erased.
    pub dry_run: bool,
    /// The cases whose requester details were (or would be) erased.
    pub erased: Vec<String>,
    /// Cases past their retention date kept because they are still open.
    pub kept_open: Vec<String>,
}

/// Erase requester details past their retention date, counting as if today
/// were `today` (default: the clock's day); with `dry_run`, only list them.
pub fn erase_expired(ctx: &Context, today: Option<Date>, dry_run: bool) -> Result<Erased> {
    let mut store = ctx.open()?;
    let today = match today {
        Some(day) => day,
        None => ctx.today(store.as_ref())?,
    };
    let cases = store.cases()?;
    let mut erased = Vec::new();
    let mut kept = Vec::new();
    for case in expired(&cases, today) {
        if casework::retention(case, today) == Retention::KeepWhileOpen {
            kept.push(case.reference.clone());
            continue;
        }
        let note = format!(
            "requester details erased: retention ended {}",
            case.retain_until.map(|d| d.to_string()).unwrap_or_default()
        );
        if dry_run || store.erase_requester(&case.reference, &ctx.who(), &note, &rewrite)? {
            erased.push(case.reference.clone());
        }
    }
    if !dry_run && !erased.is_empty() {
        store.reclaim_erased()?;
    }
    Ok(Erased {
        today,
        dry_run,
        erased,
        kept_open: kept,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HELD: HeldDetails<'static> = HeldDetails {
        name: Some("Sam Smith"),
        contact: Some("sam@example.org"),
    };

    #[test]
    fn a_structured_requests_question_and_part_texts_lose_the_requester() {
        let toml = r#"
reference = "FOI-1"
received = "2019-06-10"
requester_reference = "Sam's ref 12"

[[question]]
number = "1"
text = "I am Sam Smith (sam@example.org). How many?"
indicator = "adults_in_treatment"

[[question.part]]
number = "a"
text = "And for Smith's area?"
"#;
        let out = rewrite(HELD, CaseText::Structured, toml).unwrap();
        assert!(!out.contains("Sam"), "{out}");
        assert!(!out.contains("Smith"), "{out}");
        assert!(!out.contains("example.org"), "{out}");
        assert!(
            out.contains("I am [name removed] ([contact details removed]). How many?"),
            "{out}"
        );
        assert!(out.contains("adults_in_treatment"), "{out}");
        assert!(out.contains("FOI-1"), "{out}");
    }

    #[test]
    fn words_set_aside_and_why_lose_the_requester() {
        let toml = r#"
reference = "FOI-1"
received = "2019-06-10"

[[set_aside]]
number = "5"
text = "Sam Smith, 1 High Street, sam@example.org"
reason = "Sam Smith's signature"
"#;
        let out = rewrite(HELD, CaseText::Structured, toml).unwrap();
        assert!(!out.contains("Sam"), "{out}");
        assert!(!out.contains("example.org"), "{out}");
        assert!(out.contains("[name removed]'s signature"), "{out}");
    }

    #[test]
    fn a_draft_loses_the_requester_as_its_published_copy_does() {
        let draft = serde_json::json!({
            "request": {"reference": "FOI-1", "requester_reference": "Sam-1"},
            "questions": [{"text": "Thanks, Sam Smith", "rows": [{"value": 5}]}],
        });
        let out = rewrite(HELD, CaseText::Draft, &draft.to_string()).unwrap();
        let out: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(out["questions"][0]["text"], "Thanks, [name removed]");
        assert_eq!(out["questions"][0]["rows"], draft["questions"][0]["rows"]);
        assert_eq!(
            out["request"]["requester_reference"],
            serde_json::Value::Null
        );
    }

    #[test]
    fn the_original_is_replaced_and_a_damaged_draft_is_refused() {
        let original = "From: Sam Smith <sam@example.org>\n\nHow many?";
        assert_eq!(
            rewrite(HELD, CaseText::Original, original).unwrap(),
            ORIGINAL_ERASED
        );
        assert!(rewrite(HELD, CaseText::Draft, "{not json").is_err());
        assert_eq!(
            rewrite(HELD, CaseText::Note, "rang Sam back").unwrap(),
            "rang [name removed] back"
        );
    }

    #[test]
    fn a_declarations_reason_and_a_resolution_note_lose_only_names_and_contacts() {
        let reason = "No figures were collected for 2017/18; Sam Smith was told by Dr Jones.";
        assert_eq!(
            rewrite(HELD, CaseText::Declaration, reason).unwrap(),
            "No figures were collected for 2017/18; [name removed] was told by [name removed]."
        );
        assert_eq!(
            rewrite(
                HELD,
                CaseText::Resolution,
                "three archives on paper; call 07700 900123"
            )
            .unwrap(),
            "three archives on paper; call [contact details removed]"
        );
        assert_eq!(
            rewrite(HELD, CaseText::Phrase, "Smith's service users").unwrap(),
            "[name removed]'s service users"
        );
    }
}
