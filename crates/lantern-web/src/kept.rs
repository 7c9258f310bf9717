//! Public pages kept once rendered, each with the version of what it was
//! read from: the disclosure log's (`public`, `LogVersion`) or the
//! published figures' (`published`, `PublishedVersion`). A handler reads
//! the version now (one small read, no rows), and gives the kept page
//! only when its version is the same; otherwise it renders the page again
//! and keeps that. Sound only for pages that are a function of the
//! request's path and query, of what the version covers, and of what the
//! server fixed when it started (the council's name in the header, the
//! templates): whoever makes those records changeable, or a page depend on
//! anything else (the date, the visitor), must change the version or stop
//! keeping the page. Only successful pages are kept; refusals are
//! rendered each time.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

/// The most pages one [`Kept`] holds; when full, it starts again empty
/// (a page is some tens of kilobytes).
const KEPT_PAGES: usize = 128;

/// Which rendering a kept page is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Rendering {
    /// `/log`: HTML.
    Log,
    /// `/api/log`: JSON.
    ApiLog,
    /// `/figures`: HTML.
    Figures,
    /// `/figures/{indicator}`: HTML (the key holds the indicator).
    Figure,
    /// `/api/figures`: JSON.
    ApiFigures,
}

/// A kept page's key: its rendering and the request's query string (or,
/// for `/figures/{indicator}`, the indicator as the path gave it).
pub(crate) type PageKey = (Rendering, String);

/// Rendered pages, each with the version `V` it was read at.
#[derive(Debug)]
pub(crate) struct Kept<V> {
    held: Mutex<HashMap<PageKey, (V, Bytes)>>,
}

impl<V> Default for Kept<V> {
    fn default() -> Self {
        Kept {
            held: Mutex::new(HashMap::new()),
        }
    }
}

impl<V: Copy + PartialEq> Kept<V> {
    /// The page kept for `key` if it was read at `version`.
    pub(crate) fn get(&self, key: &PageKey, version: V) -> Option<Bytes> {
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.get(key)
            .filter(|(at, _)| *at == version)
            .map(|(_, body)| body.clone())
    }

    /// Keep `body`, read at `version`, for `key`.
    pub(crate) fn put(&self, key: PageKey, version: V, body: Bytes) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if held.len() >= KEPT_PAGES && !held.contains_key(&key) {
            held.clear();
        }
        held.insert(key, (version, body));
    }
}

#[cfg(test)]
mod tests {
    use super::{Kept, Rendering};
    use axum::body::Bytes;

    #[test]
    fn a_kept_page_is_given_only_at_the_version_it_was_read_at() {
        let kept: Kept<u8> = Kept::default();
        let key = (Rendering::Figure, "people_in_treatment".to_string());
        assert_eq!(kept.get(&key, 1), None);
        kept.put(key.clone(), 1, Bytes::from_static(b"page"));
        assert_eq!(kept.get(&key, 1), Some(Bytes::from_static(b"page")));
        assert_eq!(kept.get(&key, 2), None, "another version: read again");
        let other = (Rendering::ApiFigures, "people_in_treatment".to_string());
        assert_eq!(kept.get(&other, 1), None, "another rendering");
    }

    #[test]
    fn a_full_store_starts_again_empty() {
        let kept: Kept<u8> = Kept::default();
        for n in 0..super::KEPT_PAGES {
            kept.put((Rendering::Log, n.to_string()), 1, Bytes::new());
        }
        let first = (Rendering::Log, "0".to_string());
        assert!(kept.get(&first, 1).is_some());
        kept.put((Rendering::Log, "new".to_string()), 1, Bytes::new());
        assert!(kept.get(&first, 1).is_none());
        assert!(kept.get(&(Rendering::Log, "new".to_string()), 1).is_some());
    }
}
