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
const REQUESTS: [(&str, &str); 3] = [
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
