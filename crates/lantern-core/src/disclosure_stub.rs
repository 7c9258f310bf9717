//! Temporary stand-in while disclosure.rs is written.
#![allow(missing_docs)]
use std::collections::BTreeSet;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub threshold: u64,
}
impl Default for Policy {
    fn default() -> Self {
        Policy { threshold: 5 }
    }
}
impl Policy {
    pub fn new(threshold: u64) -> Result<Policy, PolicyError> {
        if threshold < 2 {
            Err(PolicyError)
        } else {
            Ok(Policy { threshold })
        }
    }
    pub fn is_small(&self, v: u64) -> bool {
        v >= 1 && v < self.threshold
    }
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad threshold")]
pub struct PolicyError;
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub inner: BTreeSet<usize>,
    pub value: u64,
}
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Protection {
    Released,
    Primary,
    Secondary,
}
pub fn protect(cells: &[Cell], policy: &Policy) -> Vec<Protection> {
    cells
        .iter()
        .map(|c| {
            if policy.is_small(c.value) {
                Protection::Primary
            } else {
                Protection::Released
            }
        })
        .collect()
}
pub fn audit(_: &[Cell], _: &[Protection], _: &Policy) -> Vec<usize> {
    vec![]
}
