//! `evidence build | verify`.

use super::{Setup, principal};
use crate::cli::EvidenceCommand;
use crate::evidence::{self, EvidenceSetup};
use anyhow::{Context as _, bail};

/// Where this workstation keeps evidence and its key.
pub fn evidence_setup(setup: &Setup, out: Option<&std::path::PathBuf>) -> EvidenceSetup {
    EvidenceSetup {
        key_path: setup.folders.evidence_key(),
        root: out
            .cloned()
            .or_else(|| setup.config.evidence.dir.clone())
            .unwrap_or_else(|| setup.folders.default_evidence_dir()),
        models_dir: setup.models_dir.clone(),
        agency: setup.config.agency.clone(),
        trusted_keys: setup.config.evidence.trusted_keys.clone(),
        checkpoint_file: Some(setup.folders.audit_checkpoint_file()),
    }
}

/// Evidence is kept a year after the violation (ND 168 Art. 4: the limitation period).
const LEGAL_PERIOD_MS: i64 = 365 * 86_400_000;

/// Deletes a released or expired bundle (already detached and audited).
fn remove_bundle(path: &str) -> anyhow::Result<()> {
    match std::fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(anyhow::anyhow!("cannot delete {path}: {e}")),
    }
}

pub fn run(command: &EvidenceCommand, setup: &Setup) -> anyhow::Result<()> {
    match command {
        EvidenceCommand::Build { event, out } => {
            let mut store = setup.store()?;
            let who = principal(setup, &mut store)?;
            let target = evidence_setup(setup, out.as_ref());
            let path = evidence::build_for_event(&mut store, &who, *event, &target)
                .with_context(|| format!("evidence of event {event}"))?;
            let key = evidence::load_or_create(&target.key_path)?;
            println!(
                "evidence of event {event}: {} (signed by {})",
                path.display(),
                evidence::fingerprint(&key.verifying_key())
            );
            Ok(())
        }
        EvidenceCommand::Release { id, reason } => {
            let mut store = setup.store()?;
            let who = principal(setup, &mut store)?;
            let path = store.detach_evidence(
                &who,
                *id,
                crate::domain::AuditAction::EvidenceRelease,
                reason,
            )?;
            remove_bundle(&path)?;
            println!("evidence of event {id} released: {path}");
            Ok(())
        }
        EvidenceCommand::Expire { dry_run } => {
            let mut store = setup.store()?;
            let who = principal(setup, &mut store)?;
            let limit = crate::clock::now_utc_ms() - LEGAL_PERIOD_MS;
            let filter = crate::store::ReviewFilter {
                decided: true,
                ..Default::default()
            };
            let mut expired = 0;
            for event in store.review_queue(&who, &filter)? {
                // The index's own time (this machine's clock when the event was stored), never
                // the camera's: a camera whose clock is a year slow must not expire evidence.
                let at = event.raised_at_ms;
                if event.evidence_path.is_none() || at >= limit {
                    continue;
                }
                expired += 1;
                if *dry_run {
                    println!("would expire the evidence of event {}", event.id);
                    continue;
                }
                let path = store.detach_evidence(
                    &who,
                    event.id,
                    crate::domain::AuditAction::EvidenceExpire,
                    "the legal period ended",
                )?;
                remove_bundle(&path)?;
                println!("expired the evidence of event {}: {path}", event.id);
            }
            println!("{expired} bundles past the legal period");
            Ok(())
        }
        EvidenceCommand::Verify { path, trust } => {
            let mut trusted = Vec::new();
            let own = setup.folders.evidence_key();
            if own.exists() {
                trusted.push(evidence::load_or_create(&own)?.verifying_key());
            }
            for hex in setup.config.evidence.trusted_keys.iter().chain(trust) {
                match evidence::public_key(hex) {
                    Some(key) => trusted.push(key),
                    None => bail!("'{hex}' is not an Ed25519 public key (64 hex digits)"),
                }
            }
            let verified = evidence::verify(path, &trusted)?;
            println!(
                "evidence intact: {} files, signed by {} ({}), event {:?} of camera {}",
                verified.manifest.files.len(),
                verified.signer,
                verified.manifest.workstation,
                verified.manifest.event.kind,
                verified.manifest.event.camera
            );
            Ok(())
        }
    }
}
