//! Letter templates as a council edits them (the administration page and
//! `lantern council template`): list the templates with the one in force,
//! show one, preview a new text against the three seed requests, set it as
//! a new version, and revert to the default. Also the rule every letter
//! follows ([`in_force`]): a letter made at data version N uses the
//! templates in force at N, so a letter made before a change is made again
//! identically.
//!
//! The templates a council edits are the Markdown response letter
//! (`letter.md.j2`) and the HTML page every letter is placed in
//! (`letter.html.j2`: the response, and the acknowledgement, clarification,
//! fees notice, extension and review letters, whose wording is Lantern's own,
//! `lantern_core::correspondence`). The default is the deployment's
//! templates folder (`[letters] templates` in `lantern.toml`), else the
//! shipped text. A council's own text is held in the store, versioned
//! (migration 19); every change is a data version, audited with who, when,
//! before and after, and a summary in lines.
//!
//! A text that does not parse or does not render (an undefined variable, a
//! syntax error) against every seed request is refused with its line and
//! column, and nothing is saved. The HTML page keeps autoescaping, and the
//! letter's HTML is made from its Markdown by
//! [`crate::letters::markdown_to_html`], so an edited template cannot put
//! markup from data into a letter either.

use lantern_store::{ImportKind, Store, StoredTemplate};

use crate::letters::{Format, TEMPLATE_NAMES, TemplateFault, Templates};
use crate::{Context, Error, Result};

/// The longest template text taken, in bytes.
pub const SOURCE_LIMIT: usize = 64 * 1024;

/// The seed requests a preview is rendered against: name and text (as in
/// `examples/leicester/requests/`).
pub const SEEDS: [(&str, &str); 3] = [
    (
        "seed-000",
        include_str!("../../../examples/leicester/requests/seed-000.toml"),
    ),
    (
        "seed-002",
        include_str!("../../../examples/leicester/requests/seed-002.toml"),
    ),
    (
        "seed-003",
        include_str!("../../../examples/leicester/requests/seed-003.toml"),
    ),
];

/// What a template is for, in words.
pub fn describe(name: &str) -> &'static str {
    match name {
        "letter.md.j2" => {
            "The response letter, in Markdown: the HTML and Word letters are made from it."
        }
        "letter.html.j2" => {
            "The HTML page every letter is placed in: the response, and the acknowledgement, clarification, fees notice, extension and review letters."
        }
        _ => "",
    }
}

/// The templates a letter made at data version `version` (now when
/// `None`) uses: the council's own in force then, else the defaults.
pub fn in_force(ctx: &Context, store: &dyn Store, version: Option<i64>) -> Result<Templates> {
    at(store, ctx.config.template_dir().as_deref(), version)
}

/// [`in_force`], the defaults being those in folder `dir` (else the
/// shipped ones): for a caller holding a store but no context.
pub fn at(
    store: &dyn Store,
    dir: Option<&std::path::Path>,
    version: Option<i64>,
) -> Result<Templates> {
    let held = store.letter_templates_at(version)?;
    let own: Vec<(&str, &str)> = held
        .iter()
        .filter_map(|t| t.source.as_deref().map(|s| (t.name.as_str(), s)))
        .collect();
    Templates::with_own(dir, &own)
}

/// The data version a letter's JSON form was made at, if it says.
pub fn made_at(view: &serde_json::Value) -> Option<i64> {
    view["made_with"]["data_version"].as_i64()
}

/// One template as it stands now.
#[derive(Debug, Clone)]
pub struct Template {
    /// Its file name.
    pub name: &'static str,
    /// What it is for.
    pub about: &'static str,
    /// The text in force.
    pub source: String,
    /// Whether it is the council's own (else the default).
    pub own: bool,
    /// Every version the council set, newest first.
    pub versions: Vec<StoredTemplate>,
}

fn checked_name(name: &str) -> Result<&'static str> {
    TEMPLATE_NAMES
        .into_iter()
        .find(|n| *n == name)
        .ok_or_else(|| {
            Error::not_found(format!(
                "there is no letter template {name}; the templates are {}",
                TEMPLATE_NAMES.join(" and ")
            ))
        })
}

/// Every template, as in force now.
pub fn list(ctx: &Context) -> Result<Vec<Template>> {
    TEMPLATE_NAMES.into_iter().map(|n| show(ctx, n)).collect()
}

/// One template as in force now, with its versions.
pub fn show(ctx: &Context, name: &str) -> Result<Template> {
    let name = checked_name(name)?;
    let store = ctx.open()?;
    let mut versions = store.letter_template_history(name)?;
    versions.reverse();
    let own = versions
        .iter()
        .find(|v| v.retired_in.is_none())
        .and_then(|v| v.source.clone());
    let source = match &own {
        Some(s) => s.clone(),
        None => Templates::default_source(ctx.config.template_dir().as_deref(), name)?,
    };
    Ok(Template {
        name,
        about: describe(name),
        source,
        own: own.is_some(),
        versions,
    })
}

/// A seed request's letter made with a template being tried.
#[derive(Debug, Clone)]
pub struct Preview {
    /// The seed request (`seed-000`).
    pub request: &'static str,
    /// Its letter as a standalone HTML page.
    pub html: String,
    /// Its letter in Markdown.
    pub markdown: String,
}

/// The letters of the seed requests, decided over the data held now, as
/// JSON forms (a seed the data cannot decide is left out).
fn seed_views(ctx: &Context, store: &dyn Store) -> Vec<(&'static str, serde_json::Value)> {
    SEEDS
        .iter()
        .filter_map(|(name, text)| {
            let view = crate::answering::decide(ctx, store, name, text, None, None).ok()?;
            Some((*name, serde_json::to_value(&view).ok()?))
        })
        .collect()
}

/// Try `source` as template `name`: refused, with the line and column,
/// when it does not parse or does not render every seed request's letter.
fn trial(
    ctx: &Context,
    store: &dyn Store,
    name: &str,
    source: &str,
) -> Result<(Templates, Vec<(&'static str, serde_json::Value)>)> {
    let name = checked_name(name)?;
    if source.len() > SOURCE_LIMIT {
        crate::fail!(
            Invalid,
            "template {name} is {} bytes; a template may be at most {SOURCE_LIMIT} bytes",
            source.len()
        );
    }
    if source.trim().is_empty() {
        crate::fail!(
            Invalid,
            "template {name} is empty; write the template, or revert to the default"
        );
    }
    let now = in_force(ctx, store, None)?;
    let views = seed_views(ctx, store);
    let values: Vec<serde_json::Value> = views.iter().map(|(_, v)| v.clone()).collect();
    let tried = now
        .trial(name, source, &values)
        .map_err(|f: TemplateFault| Error::from(f))?;
    Ok((tried, views))
}

/// The seed requests' letters made with `source` as template `name`,
/// nothing saved; refused as [`set`] would refuse it.
pub fn preview(ctx: &Context, name: &str, source: &str) -> Result<Vec<Preview>> {
    let store = ctx.open()?;
    let (templates, views) = trial(ctx, store.as_ref(), name, source)?;
    views
        .into_iter()
        .map(|(request, view)| {
            Ok(Preview {
                request,
                html: templates.render(&view, Format::Html)?,
                markdown: templates.render(&view, Format::Md)?,
            })
        })
        .collect()
}

/// What [`set`] or [`revert`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    /// The change in lines ("2 lines added, 1 removed"); "unchanged" when
    /// nothing was written.
    pub summary: String,
    /// The data version from which letters use it (the newest when
    /// nothing changed).
    pub data_version: i64,
    /// Whether anything was written.
    pub written: bool,
}

/// Set template `name` to `source`, checked first ([`preview`]): a new
/// data version, audited with who and a summary of the change.
pub fn set(ctx: &Context, name: &str, source: &str) -> Result<Changed> {
    let mut store = ctx.open()?;
    let name = checked_name(name)?;
    trial(ctx, store.as_ref(), name, source)?;
    let before = in_force(ctx, store.as_ref(), None)?
        .source(name)
        .unwrap_or_default()
        .to_string();
    store_change(ctx, store.as_mut(), name, Some(source), &before, source)
}

/// Return template `name` to the default (the deployment's templates
/// folder, else the shipped text): a new data version, audited.
pub fn revert(ctx: &Context, name: &str) -> Result<Changed> {
    let mut store = ctx.open()?;
    let name = checked_name(name)?;
    let before = in_force(ctx, store.as_ref(), None)?
        .source(name)
        .unwrap_or_default()
        .to_string();
    let default = Templates::default_source(ctx.config.template_dir().as_deref(), name)?;
    store_change(ctx, store.as_mut(), name, None, &before, &default)
}

fn store_change(
    ctx: &Context,
    store: &mut dyn Store,
    name: &str,
    source: Option<&str>,
    before: &str,
    after: &str,
) -> Result<Changed> {
    let summary = match source {
        Some(_) => summary(before, after),
        None => format!("reverted to the default; {}", summary(before, after)),
    };
    let meta = ctx.meta(
        ImportKind::LetterTemplate,
        &format!("letter template {name}"),
        source.unwrap_or_default().as_bytes(),
    );
    let receipt = store.set_letter_template(&meta, name, source, &summary)?;
    let written = receipt.added + receipt.replaced > 0;
    Ok(Changed {
        summary: if written {
            summary
        } else {
            "unchanged".to_string()
        },
        data_version: receipt.data_version,
        written,
    })
}

/// The largest number of differing lines compared one by one.
const DIFF_LIMIT: usize = 2000;

/// A change in lines: "2 lines added, 1 removed", from the longest
/// common run of lines.
pub fn summary(before: &str, after: &str) -> String {
    let a: Vec<&str> = before.lines().collect();
    let b: Vec<&str> = after.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (a, b) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let common = if a.len() > DIFF_LIMIT || b.len() > DIFF_LIMIT {
        0
    } else {
        // Longest common subsequence, one row at a time.
        let mut row = vec![0usize; b.len() + 1];
        for x in a {
            let mut diagonal = 0;
            for (j, y) in b.iter().enumerate() {
                let up = row[j + 1];
                row[j + 1] = if x == y { diagonal + 1 } else { up.max(row[j]) };
                diagonal = up;
            }
        }
        row[b.len()]
    };
    let added = b.len() - common;
    let removed = a.len() - common;
    let lines = |n: usize| if n == 1 { "line" } else { "lines" };
    match (added, removed) {
        (0, 0) => "no lines changed".to_string(),
        (a, 0) => format!("{a} {} added", lines(a)),
        (0, r) => format!("{r} {} removed", lines(r)),
        (a, r) => format!("{a} {} added, {r} removed", lines(a)),
    }
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn a_summary_counts_lines_added_and_removed() {
        assert_eq!(summary("a\nb\nc\n", "a\nb\nc\n"), "no lines changed");
        assert_eq!(summary("a\nb\nc\n", "a\nx\nb\nc\n"), "1 line added");
        assert_eq!(summary("a\nb\nc\n", "a\nc\n"), "1 line removed");
        assert_eq!(
            summary("a\nb\nc\n", "a\nB\nc\nd\n"),
            "2 lines added, 1 removed"
        );
    }
}
