//! `audit verify | list`: the audit log's hash chain and its newest entries.

use super::Setup;
use crate::cli::AuditCommand;
use crate::store::Store;
use anyhow::bail;

pub fn run(command: &AuditCommand, setup: &Setup) -> anyhow::Result<()> {
    let mut store = Store::open(&setup.database)?;
    match command {
        AuditCommand::Verify { json } => {
            let report = store.verify_audit()?;
            if *json {
                println!("{}", serde_json::to_string(&report)?);
            }
            match &report.broken {
                None => {
                    if !*json {
                        println!(
                            "audit log intact: {} entries, {} chained{}",
                            report.entries,
                            report.entries - report.unchained,
                            if report.unchained > 0 {
                                format!(
                                    ", {} from before the chain (not checkable)",
                                    report.unchained
                                )
                            } else {
                                String::new()
                            }
                        );
                    }
                    Ok(())
                }
                Some(b) => bail!("audit log altered at entry {}: {}", b.id, b.reason),
            }
        }
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
