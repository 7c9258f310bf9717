//! Identifiers seen in a file ([`IdTable`]: episode and intervention ids,
//! numbered in order of first appearance, kept in one buffer) and the fast
//! hash seeded per read ([`Seeded`]) that the reader's tables use.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

/// A fast hash seeded per read, for the reader's tables: their keys come
/// from the file, and the random seed (drawn like the standard library's)
/// keeps a file from being made to collide.
#[derive(Debug, Clone, Copy)]
pub(super) struct Seeded(u64);

const MIX_A: u64 = 0x9E37_79B9_7F4A_7C15;

const MIX_B: u64 = 0xD6E8_FEB8_6659_FD93;

/// Multiply to 128 bits and fold: the mixing step.
fn mix(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

fn fold(state: u64, bytes: &[u8]) -> u64 {
    let mut h = mix(state ^ bytes.len() as u64, MIX_A);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = mix(h ^ u64::from_le_bytes(word), MIX_B);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        h = mix(h ^ u64::from_le_bytes(word), MIX_B);
    }
    mix(h ^ MIX_A, MIX_B ^ state)
}

impl Seeded {
    pub(super) fn new() -> Seeded {
        Seeded(std::hash::RandomState::new().hash_one(0x6c61_6e74_6572_6e00_u64) | 1)
    }

    pub(super) fn bytes(self, bytes: &[u8]) -> u64 {
        fold(self.0, bytes)
    }
}

impl BuildHasher for Seeded {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher(self.0)
    }
}

pub(super) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = fold(self.0, bytes);
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = mix(self.0 ^ n as u64, MIX_A);
    }
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct PreHashed(u64);

impl Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = fold(self.0, bytes);
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Identifiers seen in a file, numbered in order of first appearance, kept
/// in one buffer (no allocation per identifier).
pub(super) struct IdTable {
    hash: Seeded,
    text: String,
    spans: Vec<(usize, usize)>,
    index: HashMap<u64, usize, BuildHasherDefault<PreHashed>>,
    /// Identifiers whose hash is another identifier's (almost never).
    collided: HashMap<Box<str>, usize, Seeded>,
    /// The identifier last asked for (rows of an episode are usually
    /// together).
    last: usize,
}

impl IdTable {
    pub(super) fn new(hash: Seeded) -> IdTable {
        IdTable {
            hash,
            text: String::new(),
            spans: Vec::new(),
            index: HashMap::default(),
            collided: HashMap::with_hasher(hash),
            last: usize::MAX,
        }
    }

    /// The identifier with a number.
    fn get(&self, number: usize) -> &str {
        self.spans
            .get(number)
            .and_then(|&(start, len)| self.text.get(start..start + len))
            .unwrap_or("")
    }

    /// The number of an identifier, and whether it is new.
    pub(super) fn intern(&mut self, id: &str) -> (usize, bool) {
        if self.get(self.last) == id && self.last != usize::MAX {
            return (self.last, false);
        }
        let (number, new) = self.lookup(id);
        self.last = number;
        (number, new)
    }

    fn lookup(&mut self, id: &str) -> (usize, bool) {
        let hash = self.hash.bytes(id.as_bytes());
        let number = self.spans.len();
        match self.index.entry(hash) {
            Entry::Vacant(slot) => {
                slot.insert(number);
            }
            Entry::Occupied(slot) => {
                let seen = *slot.get();
                let text = self
                    .spans
                    .get(seen)
                    .and_then(|&(start, len)| self.text.get(start..start + len));
                if text == Some(id) {
                    return (seen, false);
                }
                match self.collided.get(id) {
                    Some(&seen) => return (seen, false),
                    None => {
                        self.collided.insert(id.into(), number);
                    }
                }
            }
        }
        self.spans.push((self.text.len(), id.len()));
        self.text.push_str(id);
        (number, true)
    }
}
