//! Replay of recordings for trainers and reviewers: one camera's recordings as a picture at
//! any moment (`camera.rs`), a clock with speed and frame steps (`clock.rs`), and several
//! cameras in lock-step (`session.rs`), all on the wall clock the recordings were indexed by.

mod camera;
mod clock;
mod session;

pub use camera::{RecordedCamera, RecordedFrame};
pub use clock::{ReplayClock, SPEEDS};
pub use session::{ReplaySession, Shown};

#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    #[error("recording {path}: {message}")]
    Read { path: String, message: String },
    #[error("nothing of these cameras was recorded in that time")]
    NothingRecorded,
    #[error("cannot start a replay thread: {0}")]
    Thread(String),
}
