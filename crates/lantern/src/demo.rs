//! `lantern demo`: load the Leicester example (shipped inside the binary, so
//! it works from any directory) and write its three answer letters.

use std::path::Path;

use anyhow::Result;

use crate::app::{self, Ctx, ImportWhat};
use crate::config::Config;
use crate::render::Format;

/// The example's files, as shipped in `examples/leicester/`.
pub const CONFIG: &str = include_str!("../../../examples/leicester/lantern.toml");
const FIGURES: &str = include_str!("../../../examples/leicester/figures.csv");
const STATEMENTS: &str = include_str!("../../../examples/leicester/statements.csv");
const RELEASES: &str = include_str!("../../../examples/leicester/releases.csv");
/// The seed requests (`examples/leicester/requests/`), as the letter
/// templates page previews them.
const REQUESTS: [(&str, &str); 3] = lantern_app::letter_templates::SEEDS;

/// The seed requests as e-mailed (their questions verbatim), with the day
/// each was received: the demo's cases for the web application.
const EMAILS: [(&str, &str, &str); 2] = [
    (
        "seed-000.txt",
        "2019-06-10",
        include_str!("../../lantern-core/tests-data/requests/seed-000.txt"),
    ),
    (
        "seed-003.txt",
        "2017-04-18",
        include_str!("../../lantern-core/tests-data/requests/seed-003.txt"),
    ),
];

/// The demo's accounts, one per role: user name, full name, role.
pub const ACCOUNTS: [(&str, &str, &str); 5] = [
    ("officer", "Olu Officer", "foi_officer"),
    ("approver", "Ama Approver", "approver"),
    ("analyst", "Ari Analyst", "analyst"),
    ("provider", "Pat Provider", "provider:DEMO-PROVIDER"),
    ("admin", "Ade Admin", "admin"),
];

/// `lantern demo --serve`: the example loaded as [`run`] does, the seed
/// e-mails taken in as requests, one account per role with a fresh
/// password (printed; valid for this database only), then the web
/// application on `listen`.
pub fn serve(ctx: &Ctx, letters: &Path, listen: &str) -> Result<()> {
    run(ctx, letters)?;
    let config = Config::parse(Path::new("examples/leicester/lantern.toml"), CONFIG)?;
    let mut demo = Ctx::new(ctx.database.clone(), config, ctx.actor.clone());
    demo.clock = ctx.clock;
    let leicester = lantern_app::council::ensure(&demo)?;
    let demo = demo.for_council(Some(leicester));
    // Each from a made-up requester, so that running the demo again on the
    // same database recognises the e-mails as taken in already.
    for (n, (name, received, text)) in EMAILS.into_iter().enumerate() {
        let email = format!(
            "From: Demo Requester {n} <requester-{n}@example.invalid>\n\
             Subject: Freedom of Information request: drug treatment\n\n{text}"
        );
        lantern_app::casework::take_in(
            &demo,
            &lantern_app::casework::NewRequest {
                name,
                bytes: email.as_bytes(),
                form: lantern_app::casework::Form::Email,
                received: Some(received.parse()?),
                reference: None,
                requester: None,
                contact: None,
            },
        )?;
    }
    let mut announce =
        vec!["Demo accounts (passwords valid for this demo database only):".to_string()];
    // Run again on the same database, the accounts are there: each gets a
    // fresh password, so the printed ones are always the ones that work.
    let existing: Vec<String> = lantern_app::accounts::list_users(&demo)?
        .into_iter()
        .map(|u| u.username)
        .collect();
    for (username, name, role) in ACCOUNTS {
        let password = lantern_app::accounts::new_secret()?[..20].to_string();
        if existing.iter().any(|u| u == username) {
            lantern_app::accounts::reset_password(&demo, username, &password)?;
            lantern_app::accounts::set_disabled(&demo, username, false)?;
            announce.push(format!("  {username:<9} {role:<22} password {password}"));
            continue;
        }
        lantern_app::accounts::create_user(
            &demo,
            &lantern_app::accounts::NewAccount {
                username: username.to_string(),
                display_name: name.to_string(),
                password: password.clone(),
                grants: vec![lantern_app::accounts::Grant::parse(role)?],
            },
        )?;
        announce.push(format!("  {username:<9} {role:<22} password {password}"));
    }
    lantern_web::run(&demo, listen, &lantern_web::Options { announce })
}

/// Load the example into the database and write the letters into `letters`.
pub fn run(ctx: &Ctx, letters: &Path) -> Result<()> {
    let config = Config::parse(Path::new("examples/leicester/lantern.toml"), CONFIG)?;
    let mut demo = Ctx::new(ctx.database.clone(), config, ctx.actor.clone());
    demo.clock = ctx.clock;
    // Leicester City Council, from the example's lantern.toml: in a new
    // database part of its first data version.
    lantern_app::data::init(&demo)?;
    let leicester = lantern_app::council::ensure(&demo)?;
    let demo = demo.for_council(Some(leicester));
    let mut store = demo.open()?;
    for (kind, name, text) in [
        (
            ImportWhat::Releases,
            "examples/leicester/releases.csv",
            RELEASES,
        ),
        (
            ImportWhat::Figures,
            "examples/leicester/figures.csv",
            FIGURES,
        ),
        (
            ImportWhat::Statements,
            "examples/leicester/statements.csv",
            STATEMENTS,
        ),
    ] {
        app::import_bytes(&demo, store.as_mut(), kind, name, text.as_bytes())?;
    }
    let version = store.data_version()?;
    for (name, text) in REQUESTS {
        let file = format!("examples/leicester/requests/{name}.toml");
        let letter = app::answer_text(
            &demo,
            store.as_ref(),
            &file,
            text,
            Format::Md,
            Some(version),
        )?;
        let path = letters.join(format!("{name}.md"));
        app::write_atomically(&path, letter.as_bytes())?;
        crate::out!("{}", path.display());
    }
    Ok(())
}
