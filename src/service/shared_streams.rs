//! Streams one [`super::VideoStreams`] lends to another in the same process: the console's
//! own engine reads and searches a camera once, and the console's wall shows that reading (its
//! frames, the engine's boxes for the very frame drawn, its geometry) instead of opening a
//! second connection and running a second detector.

use super::video_streams::{DrawnJunction, StreamKey};
use crate::analytics::Registered;
use crate::ingest::{FrameSlot, StreamHealth};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A stream as lent: what a display needs, nothing that controls it.
#[derive(Clone)]
pub struct LentStream {
    /// Grows with every new lending (a stream started again, a geometry changed), so a
    /// borrower knows its copy is stale.
    pub generation: u64,
    pub slot: FrameSlot,
    pub health: Arc<Mutex<StreamHealth>>,
    pub detection: Option<Registered>,
    pub geometry: Option<DrawnJunction>,
}

impl LentStream {
    pub fn health(&self) -> StreamHealth {
        self.health.lock().map(|h| h.clone()).unwrap_or_default()
    }
}

/// The register of lent streams, shared by the lender and its borrowers.
#[derive(Clone, Default)]
pub struct SharedStreams {
    lent: Arc<Mutex<HashMap<StreamKey, LentStream>>>,
    generations: Arc<AtomicU64>,
}

impl SharedStreams {
    /// Lends `stream` as `key` (replacing what was lent as `key`).
    pub(super) fn lend(&self, key: &StreamKey, mut stream: LentStream) {
        stream.generation = self.generations.fetch_add(1, Ordering::Relaxed) + 1;
        if let Ok(mut lent) = self.lent.lock() {
            lent.insert(key.clone(), stream);
        }
    }

    /// Takes `key` back (the lender stopped reading it).
    pub(super) fn withdraw(&self, key: &StreamKey) {
        if let Ok(mut lent) = self.lent.lock() {
            lent.remove(key);
        }
    }

    /// The generation of what is lent as `key` now (cheap: nothing is copied).
    pub fn generation(&self, key: &StreamKey) -> Option<u64> {
        self.lent.lock().ok()?.get(key).map(|l| l.generation)
    }

    /// What is lent as `key` now.
    pub fn get(&self, key: &StreamKey) -> Option<LentStream> {
        self.lent.lock().ok()?.get(key).cloned()
    }

    /// Every stream lent now.
    pub fn all(&self) -> Vec<(StreamKey, LentStream)> {
        self.lent.lock().map_or_else(
            |_| Vec::new(),
            |lent| lent.iter().map(|(k, s)| (k.clone(), s.clone())).collect(),
        )
    }

    /// How many streams are lent.
    pub fn len(&self) -> usize {
        self.lent.lock().map_or(0, |l| l.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
