//! Reading and writing whole files for the front ends, under limits: every
//! file Lantern reads is read bounded, and every file it writes is written
//! whole or not at all.

use std::path::Path;

use crate::{Error, Result, ResultExt};

/// The largest text file Lantern reads whole (requests, e-mails).
pub const MAX_TEXT: u64 = 4 << 20;

/// The largest figures, statements, releases or agencies file (and
/// providers' episode files): far above any real one.
pub const MAX_IMPORT_FILE: u64 = 1 << 30;

/// The largest catalogue, bank-holiday or configuration file.
pub const MAX_SMALL_FILE: u64 = 16 << 20;

/// Read a whole file of at most `limit` bytes, refusing a larger one (by its
/// size, and by what is read, for a file that grows or is not a regular
/// file) with a message naming the limit.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let too_large = |size: u64| {
        Error::invalid(format!(
            "{} is {size} bytes or more, over the limit of {limit} bytes Lantern reads for this kind of file; is it the right file?",
            path.display()
        ))
    };
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > limit {
        return Err(too_large(size));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// Write a file so that it is either all there or not changed at all.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}
/// Read a text file, refusing binary, non-UTF-8 and oversized files with a
/// message that says which.
pub fn read_text(path: &Path) -> Result<String> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .len();
    if size > MAX_TEXT {
        return Err(Error::invalid(format!(
            "{} is {} bytes, too large for a request (the limit is {MAX_TEXT}); is it the right file?",
            path.display(),
            size
        )));
    }
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    String::from_utf8(bytes).map_err(|e| {
        Error::invalid(format!(
            "{} is not UTF-8 text (invalid byte at offset {}); save it as UTF-8",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
    })
}
