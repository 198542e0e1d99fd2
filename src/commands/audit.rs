//! `audit verify | list`: the audit log checked (its hash chain, against every signed
//! checkpoint in the database and in this workstation's file, and each event's state against
//! its audit trail), and its newest entries.

use super::Setup;
use crate::cli::AuditCommand;
use anyhow::bail;

pub fn run(command: &AuditCommand, setup: &Setup) -> anyhow::Result<()> {
    let mut store = setup.store()?;
    match command {
        AuditCommand::Verify { json } => verify(&mut store, setup, *json),
        AuditCommand::List { limit, json } => {
            for entry in store.recent_audit(*limit)? {
                if *json {
                    println!("{}", serde_json::to_string(&entry)?);
                } else {
                    println!(
                        "{:>6}  {}  {:<22} {:<20} {:<16} {}",
                        entry.id,
                        crate::clock::vietnam_datetime(entry.at_ms),
                        entry.actor,
                        entry.action,
                        entry.subject,
                        entry.detail
                    );
                }
            }
            Ok(())
        }
    }
}

/// Checks the chain, the checkpoints and the events' trails; every problem is printed, and any
/// makes the command fail.
fn verify(store: &mut crate::store::Store, setup: &Setup, json: bool) -> anyhow::Result<()> {
    let report = store.verify_audit()?;
    let mut checkpoints = store.audit_checkpoints()?;
    let file = setup.folders.audit_checkpoint_file();
    for local in crate::store::read_checkpoint_file(&file)? {
        if !checkpoints.contains(&local) {
            checkpoints.push(local);
        }
    }
    let trusted = crate::evidence::trusted_keys(
        &setup.folders.evidence_key(),
        &setup.config.evidence.trusted_keys,
    );
    let heads = store.audit_heads()?;
    let (held, untrusted) = crate::store::check_against(&heads, &checkpoints, &trusted);
    let trails = store.check_event_trails()?;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "chain": report,
                "checkpoints": checkpoints.len(),
                "untrusted_checkpoints": untrusted,
                "checkpoint_problems": held,
                "event_trail_problems": trails,
            })
        );
    }
    let mut problems = Vec::new();
    if let Some(b) = &report.broken {
        problems.push(format!("audit log altered at entry {}: {}", b.id, b.reason));
    }
    for p in &held {
        problems.push(format!("audit log altered: {}", p.reason));
    }
    for t in &trails {
        problems.push(format!("event {}: {}", t.event, t.reason));
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    if !json {
        println!(
            "audit log intact: {} entries, {} chained{}; {} signed checkpoints hold{}; every event agrees with its audit trail",
            report.entries,
            report.entries - report.unchained,
            if report.unchained > 0 {
                format!(
                    ", {} from before the chain (not checkable)",
                    report.unchained
                )
            } else {
                String::new()
            },
            checkpoints.len() - untrusted,
            if untrusted > 0 {
                format!(" ({untrusted} by keys this workstation does not trust, not used)")
            } else {
                String::new()
            }
        );
    }
    Ok(())
}
