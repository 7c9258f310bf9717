//! Progress bars for long work, drawn on standard error only when it is a
//! terminal (scripts and tests see nothing).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Files smaller than this finish too fast for a bar to help.
const WORTH_A_BAR: u64 = 1 << 20;

/// A bar over `len` bytes of `name`, hidden for small files and non-terminals.
pub fn bar(len: u64, name: &str) -> ProgressBar {
    if len < WORTH_A_BAR {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} ({eta})")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(format!("reading {name}"));
    bar
}
