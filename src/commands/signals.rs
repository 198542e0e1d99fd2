//! `signals simulate`: a controller feed from a fixed-time plan, for tests, training and a
//! junction whose gateway is not installed yet.

use crate::cli::SignalsCommand;
use crate::signals::{FixedTimePlan, serve_plan};
use anyhow::Context as _;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub fn run(command: &SignalsCommand, setup: &super::Setup) -> anyhow::Result<()> {
    match command {
        SignalsCommand::Simulate {
            plan,
            listen,
            junction,
        } => {
            let text = std::fs::read_to_string(plan)
                .with_context(|| format!("cannot read {}", plan.display()))?;
            let plan = FixedTimePlan::from_json(&text)
                .with_context(|| format!("plan {}", plan.display()))?;
            // The simulator signs with the junction's key from this workstation's secrets, as
            // the real gateway would.
            let credentials_file = setup.folders.default_credentials_file();
            let credentials = crate::config::CameraCredentials::load(&credentials_file)?;
            let Some(key) = credentials.signal_key(junction) else {
                anyhow::bail!(
                    "no key for junction {junction} in {} ([signal_keys] {junction} = \"64 hex digits\")",
                    credentials_file.display()
                );
            };
            let listener = std::net::TcpListener::bind(listen)
                .with_context(|| format!("cannot listen on {listen}"))?;
            println!(
                "serving the plan ({} groups, {} s cycle) on {}",
                plan.groups.len(),
                plan.cycle_s,
                listener.local_addr()?
            );
            serve_plan(listener, plan, key, Arc::new(AtomicBool::new(false)))?;
            Ok(())
        }
    }
}
