//! The layers ARCHITECTURE.md promises, checked from the crates' manifests
//! and `use` lines: the domain core does no I/O and depends on no other
//! Lantern crate; the store depends only on the core; the application layer
//! knows no front end; the front ends (this crate) go through the
//! application layer and touch the store only to open a database.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace folder")
}

/// The names in a manifest's `[dependencies]` table (not dev or build).
fn dependencies(krate: &str) -> Vec<String> {
    let path = workspace().join("crates").join(krate).join("Cargo.toml");
    let text = std::fs::read_to_string(&path).expect("a manifest");
    let manifest: toml::Table = text.parse().expect("a manifest that parses");
    manifest
        .get("dependencies")
        .and_then(|d| d.as_table())
        .map(|d| d.keys().cloned().collect())
        .unwrap_or_default()
}

/// Every `.rs` file under a crate's `src`, with its text.
fn sources(krate: &str) -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("a source folder")
            .map(|e| e.expect("a folder entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                out.push((path, text));
            }
        }
    }
    let mut out = vec![];
    walk(
        &workspace().join("crates").join(krate).join("src"),
        &mut out,
    );
    assert!(!out.is_empty(), "{krate} has no sources");
    out
}

/// Each place a crate's code names `prefix` (a path such as
/// `lantern_store::`), as `file:line: text`, leaving out comments.
fn mentions(krate: &str, prefix: &str) -> Vec<(String, String)> {
    let mut found = vec![];
    for (path, text) in sources(krate) {
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            let mut rest = code;
            while let Some(at) = rest.find(prefix) {
                let before = rest[..at].chars().last();
                let tail = &rest[at + prefix.len()..];
                rest = tail;
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let item: String = tail
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push((
                    format!("{}:{}: {}", path.display(), n + 1, line.trim()),
                    item,
                ));
            }
        }
    }
    found
}

#[test]
fn the_core_depends_on_no_other_lantern_crate_and_no_io() {
    let deps = dependencies("lantern-core");
    for banned in [
        "lantern-store",
        "lantern-app",
        "lantern",
        "rusqlite",
        "postgres",
        "axum",
        "tokio",
        "clap",
    ] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "lantern-core depends on {banned}: the domain core does no I/O"
        );
    }
}

#[test]
fn the_store_depends_on_the_core_only() {
    let deps = dependencies("lantern-store");
    assert!(deps.iter().any(|d| d == "lantern-core"));
    for banned in ["lantern-app", "lantern", "lantern-web", "clap", "axum"] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "lantern-store depends on {banned}"
        );
    }
}

#[test]
fn the_application_layer_knows_no_front_end() {
    let deps = dependencies("lantern-app");
    for needed in ["lantern-core", "lantern-store"] {
        assert!(
            deps.iter().any(|d| d == needed),
            "lantern-app needs {needed}"
        );
    }
    for banned in [
        "lantern",
        "lantern-web",
        "clap",
        "axum",
        "tokio",
        "hyper",
        "anyhow",
        "indicatif",
    ] {
        assert!(
            !deps.iter().any(|d| d == banned),
            "lantern-app depends on {banned}: front-end concerns belong to the adapters"
        );
    }
    let printing: Vec<String> = ["println!", "eprintln!", "print!(", "eprint!("]
        .iter()
        .flat_map(|m| mentions("lantern-app", m))
        .map(|(at, _)| at)
        .collect();
    assert!(
        printing.is_empty(),
        "use cases return what they found; the adapters print it:\n{}",
        printing.join("\n")
    );
}

/// What the front ends may take from the store directly: opening a
/// database and telling which engine a location names. Everything else
/// goes through `lantern_app`.
const OPENING: &[&str] = &["open", "open_with", "is_postgres"];

#[test]
fn the_front_ends_go_through_the_application_layer() {
    // The CLI (`lantern`) and the web application (`lantern-web`).
    for krate in ["lantern", "lantern-web"] {
        let deps = dependencies(krate);
        assert!(
            deps.iter().any(|d| d == "lantern-app"),
            "the {krate} crate must depend on lantern-app"
        );
        let beyond_opening: Vec<String> = mentions(krate, "lantern_store::")
            .into_iter()
            .filter(|(_, item)| !OPENING.contains(&item.as_str()))
            .map(|(at, _)| at)
            .collect();
        assert!(
            beyond_opening.is_empty(),
            "the CLI and the web application use the store only to open a database; call a use case in lantern-app instead:\n{}",
            beyond_opening.join("\n")
        );
    }
    // The web application holds no SQL and opens no engine itself.
    let web = dependencies("lantern-web");
    for banned in ["rusqlite", "postgres", "lantern-store", "clap"] {
        assert!(
            !web.iter().any(|d| d == banned),
            "lantern-web depends on {banned}: it goes through lantern-app"
        );
    }
    assert!(
        mentions("lantern-web", "policy::").len() >= 3,
        "the web application asks lantern_app::policy who may do what"
    );
}
