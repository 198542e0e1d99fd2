//! Evidence for a violation: stills named by what they show, the violating vehicle marked on a
//! copy of each (the untouched frame kept), close-ups of the vehicle and its plate, a data bar,
//! a clip of about ±6 s cut from the
//! recordings without re-encoding, and a manifest with every file's SHA-256 signed with the
//! workstation's Ed25519 key. A bundle is written under a `.partial-` name, forced to disk and
//! then renamed, so a crash never leaves a half bundle under its real name; `verify` names the
//! first file that was altered.

mod bundle;
mod close_up;
mod data_bar;
mod keys;
mod manifest;
mod marking;
mod request;
mod stills;

pub use bundle::{EvidenceRequest, build, remove_partial};
pub use close_up::plate_close_up;
pub use data_bar::with_data_bar;
pub use keys::{fingerprint, load_or_create, public_key, to_hex};
pub use manifest::{
    EvidenceEvent, EvidenceFile, MANIFEST, Manifest, ModelInfo, SIGNATURE, Verified,
    check_event_evidence, file_sha256, trusted_keys, verify, verify_for_event,
};
pub use marking::{VehicleMark, mark_vehicle, vehicle_close_up};
pub use request::{EvidenceSetup, build_for_event, class_vi, workstation};
pub use stills::{
    ORIGINAL_PREFIX, PLATE_FILE, StillRole, VEHICLE_FILE, bundle_pictures, is_close_up, main_still,
    still_roles,
};

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum EvidenceError {
    #[error("evidence key {path}: {message}")]
    Key { path: PathBuf, message: String },
    #[error("evidence {bundle}: {file} {reason}")]
    Altered {
        bundle: PathBuf,
        file: String,
        reason: String,
    },
    #[error(
        "evidence {bundle}: signed by key {fingerprint}, which this workstation does not trust"
    )]
    UntrustedSigner {
        bundle: PathBuf,
        fingerprint: String,
    },
    #[error("no recording of camera {camera} covers {at}")]
    NoRecording { camera: String, at: String },
    #[error("evidence {path}: {message}")]
    Write { path: PathBuf, message: String },
    #[error("event {id} {reason}")]
    Event { id: i64, reason: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}
