//! `evidence build | verify`.

use super::{Setup, cli_actor};
use crate::cli::EvidenceCommand;
use crate::evidence::{self, EvidenceSetup};
use crate::store::Store;
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
    }
}

pub fn run(command: &EvidenceCommand, setup: &Setup) -> anyhow::Result<()> {
    match command {
        EvidenceCommand::Build { event, out } => {
            let mut store = Store::open(&setup.database)?;
            let target = evidence_setup(setup, out.as_ref());
            let path = evidence::build_for_event(&mut store, *event, &target, &cli_actor())
                .with_context(|| format!("evidence of event {event}"))?;
            let key = evidence::load_or_create(&target.key_path)?;
            println!(
                "evidence of event {event}: {} (signed by {})",
                path.display(),
                evidence::fingerprint(&key.verifying_key())
            );
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
