//! Ingest: one named worker thread per stream that connects to its source (RTSP camera or
//! file), decodes, and publishes frames, reconnecting with exponential back-off and jitter
//! after any failure. Frames flow through bounded hand-offs: a latest-frame slot for display
//! and a small queue for analytics; every drop is counted. Health is published for the UI and
//! the map. Nothing here knows about the UI or the database.

mod backoff;
mod doorbell;
mod health;
mod slot;
mod worker;

pub use backoff::Backoff;
pub use doorbell::Doorbell;
pub use health::{StreamHealth, StreamState};
pub use slot::{FrameSlot, SlotFrame};
pub use worker::{IngestOptions, StreamWorker, TappedUnit};
