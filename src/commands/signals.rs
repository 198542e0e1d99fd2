//! `signals simulate`: a controller feed from a fixed-time plan, for tests, training and a
//! junction whose gateway is not installed yet.

use crate::cli::SignalsCommand;
use crate::signals::{FixedTimePlan, serve_plan};
use anyhow::Context as _;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

pub fn run(command: &SignalsCommand) -> anyhow::Result<()> {
    match command {
        SignalsCommand::Simulate { plan, listen } => {
            let text = std::fs::read_to_string(plan)
                .with_context(|| format!("cannot read {}", plan.display()))?;
            let plan = FixedTimePlan::from_json(&text)
                .with_context(|| format!("plan {}", plan.display()))?;
            let listener = std::net::TcpListener::bind(listen)
                .with_context(|| format!("cannot listen on {listen}"))?;
            println!(
                "serving the plan ({} groups, {} s cycle) on {}",
                plan.groups.len(),
                plan.cycle_s,
                listener.local_addr()?
            );
            serve_plan(listener, plan, Arc::new(AtomicBool::new(false)))?;
            Ok(())
        }
    }
}
