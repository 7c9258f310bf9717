//! The `lantern` binary's library: the command line, importers, letter
//! rendering and the demo. These are adapters around `lantern-core` (the
//! rules) and `lantern-store` (the database); see ARCHITECTURE.md.

pub mod app;
pub mod config;
pub mod demo;
pub mod import;
pub mod progress;
pub mod render;
