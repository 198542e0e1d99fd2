//! The evidence manifest: what happened (the event with its clause and fine), what the rules
//! ran on (geometry version, model), and every file of the bundle with its SHA-256; signed
//! with the workstation's Ed25519 key (`manifest.sig`, hex, over the exact bytes of
//! `manifest.json`). `verify` checks the signature, the signer and every file, and names the
//! first thing that was altered.

use super::EvidenceError;
use super::keys::{fingerprint, from_hex, public_key, to_hex};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use std::path::Path;

pub const FORMAT: &str = "dienbien-dispatch-evidence/1";
pub const MANIFEST: &str = "manifest.json";
pub const SIGNATURE: &str = "manifest.sig";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceEvent {
    /// The event's id in the database, when stored.
    pub id: Option<i64>,
    pub kind: crate::domain::ViolationKind,
    /// The specific act (absent in bundles made before acts were recorded).
    #[serde(default)]
    pub act: Option<crate::domain::Act>,
    pub camera: String,
    pub junction: Option<String>,
    /// Approach or zone.
    pub place: Option<String>,
    pub track: u64,
    pub class: crate::domain::ObjectClass,
    /// When it happened, UTC ms.
    pub at_utc_ms: i64,
    pub time_into_red_ms: Option<i64>,
    pub speed_kmh: Option<f64>,
    /// ND 168 clause for the vehicle's class, fine range and licence points.
    pub clause: Option<String>,
    pub fine_min_vnd: Option<u64>,
    pub fine_max_vnd: Option<u64>,
    pub points: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelInfo {
    pub name: String,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceFile {
    pub name: String,
    /// before, at, after, plate, clip.
    pub role: String,
    pub sha256: String,
    pub bytes: u64,
    /// When the picture of a still was taken, UTC ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_utc_ms: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub format: String,
    pub event: EvidenceEvent,
    /// The junction geometry version the rules ran on, when stored.
    pub geometry_version: Option<i32>,
    pub model: Option<ModelInfo>,
    pub created_utc_ms: i64,
    pub workstation: String,
    /// Ed25519 public key of the signer, hex.
    pub public_key: String,
    pub files: Vec<EvidenceFile>,
    /// The plate as the reader read it on the plate close-up's still (a suggestion for the
    /// reviewer, who confirms or corrects it); absent when no plate was read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plate: Option<crate::domain::PlateReading>,
}

/// SHA-256 of a file, hex.
pub fn file_sha256(path: &Path) -> std::io::Result<(String, u64)> {
    let bytes = std::fs::read(path)?;
    Ok((to_hex(&Sha256::digest(&bytes)), bytes.len() as u64))
}

/// The manifest's bytes and their signature, as written.
pub fn sign(manifest: &Manifest, key: &SigningKey) -> (Vec<u8>, String) {
    let mut bytes = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    bytes.push(b'\n');
    let signature = key.sign(&bytes);
    (bytes, to_hex(&signature.to_bytes()))
}

/// What a successful check found.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub manifest: Manifest,
    pub signer: String,
}

/// Checks the bundle in `dir` against the keys trusted here.
/// The bundle at `dir` checked before it is used (review, notice): `verify`, and made for
/// event `id` (the manifest binds it).
pub fn verify_for_event(
    dir: &Path,
    id: i64,
    trusted: &[VerifyingKey],
) -> Result<Verified, EvidenceError> {
    let verified = verify(dir, trusted)?;
    if verified.manifest.event.id != Some(id) {
        return Err(EvidenceError::Altered {
            bundle: dir.to_owned(),
            file: MANIFEST.to_owned(),
            reason: format!(
                "is for event {}, not event {id}",
                verified
                    .manifest
                    .event
                    .id
                    .map_or_else(|| "none".to_owned(), |i| i.to_string())
            ),
        });
    }
    Ok(verified)
}

/// A stored event's evidence checked before a decision or an export relies on it: nothing to
/// check without a bundle (the store refuses a confirmation without one); otherwise
/// `verify_for_event`, giving the verified manifest.
pub fn check_event_evidence(
    event: &crate::store::StoredEvent,
    trusted: &[VerifyingKey],
) -> Result<Option<Manifest>, EvidenceError> {
    match &event.evidence_path {
        Some(path) => {
            verify_for_event(Path::new(path), event.id, trusted).map(|v| Some(v.manifest))
        }
        None => Ok(None),
    }
}

/// The keys a bundle may be signed with: the workstation's own (at `own_key`, when it has
/// one) and `configured` (hex; an unreadable one is skipped with a warning).
pub fn trusted_keys(own_key: &Path, configured: &[String]) -> Vec<VerifyingKey> {
    let mut keys = Vec::new();
    if own_key.exists() {
        match super::load_or_create(own_key) {
            Ok(key) => keys.push(key.verifying_key()),
            Err(e) => tracing::warn!(error = %e, "the workstation's evidence key is unreadable"),
        }
    }
    for hex in configured {
        match super::public_key(hex) {
            Some(key) => keys.push(key),
            None => tracing::warn!(key = %hex, "a trusted key is not an Ed25519 public key"),
        }
    }
    keys
}

pub fn verify(dir: &Path, trusted: &[VerifyingKey]) -> Result<Verified, EvidenceError> {
    let altered = |file: &str, reason: &str| EvidenceError::Altered {
        bundle: dir.to_owned(),
        file: file.to_owned(),
        reason: reason.to_owned(),
    };
    let bytes = std::fs::read(dir.join(MANIFEST)).map_err(|_| altered(MANIFEST, "is missing"))?;
    let signature_text = std::fs::read_to_string(dir.join(SIGNATURE))
        .map_err(|_| altered(SIGNATURE, "is missing"))?;
    let signature = from_hex(signature_text.trim())
        .and_then(|b| <[u8; 64]>::try_from(b).ok())
        .map(|b| Signature::from_bytes(&b))
        .ok_or_else(|| altered(SIGNATURE, "is not a signature"))?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|_| altered(MANIFEST, "was altered (it is no longer a manifest)"))?;
    let key = public_key(&manifest.public_key)
        .ok_or_else(|| altered(MANIFEST, "was altered (its public key is unreadable)"))?;
    key.verify(&bytes, &signature).map_err(|_| {
        altered(
            MANIFEST,
            "or its signature manifest.sig was altered after signing (they no longer match)",
        )
    })?;
    let signer = fingerprint(&key);
    if !trusted.contains(&key) {
        return Err(EvidenceError::UntrustedSigner {
            bundle: dir.to_owned(),
            fingerprint: signer,
        });
    }
    for file in &manifest.files {
        let (sha256, bytes) =
            file_sha256(&dir.join(&file.name)).map_err(|_| altered(&file.name, "is missing"))?;
        if sha256 != file.sha256 || bytes != file.bytes {
            return Err(altered(
                &file.name,
                "was altered (its SHA-256 differs from the manifest)",
            ));
        }
    }
    let listed: Vec<&str> = manifest.files.iter().map(|f| f.name.as_str()).collect();
    if let Ok(entries) = std::fs::read_dir(dir) {
        let mut names: Vec<String> = entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in names {
            if name != MANIFEST && name != SIGNATURE && !listed.contains(&name.as_str()) {
                return Err(altered(&name, "is not part of the signed evidence"));
            }
        }
    }
    Ok(Verified { manifest, signer })
}
