//! Lantern CLI.
fn main() {}
