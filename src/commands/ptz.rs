//! `ptz status | move | stop | presets | goto | save-preset | remove-preset | home | release`: a PTZ
//! camera steered from the command line over ONVIF. The store checks who asks and holds the
//! control lease (the same one the console takes), and audits sessions and preset changes.

use super::{Setup, principal};
use crate::cli::PtzCommand;
use crate::domain::ptz::{PtzPreset, PtzVector};
use crate::ptz::{OnvifCamera, OnvifTarget, PtzBackend};
use crate::store::{LeaseTaken, Principal, Store};
use anyhow::{Context as _, bail};
use std::time::Duration;

fn code_of(command: &PtzCommand) -> &str {
    match command {
        PtzCommand::Status { code }
        | PtzCommand::Move { code, .. }
        | PtzCommand::Stop { code }
        | PtzCommand::Presets { code }
        | PtzCommand::Goto { code, .. }
        | PtzCommand::SavePreset { code, .. }
        | PtzCommand::RemovePreset { code, .. }
        | PtzCommand::Home { code, .. }
        | PtzCommand::Release { code } => code,
    }
}

/// Connects to `code`'s ONVIF device service with its log-in from credentials.toml.
fn connect(setup: &Setup, store: &mut Store, code: &str) -> anyhow::Result<OnvifCamera> {
    let camera = store
        .cameras()?
        .into_iter()
        .find(|c| c.code == code)
        .with_context(|| format!("there is no camera {code} in the registry"))?;
    let file = setup.folders.default_credentials_file();
    let log_ins = match camera.credentials_ref {
        Some(_) => crate::config::CameraCredentials::load(&file)?,
        None => crate::config::CameraCredentials::default(),
    };
    let target = OnvifTarget::of(&camera, |reference| log_ins.get(reference))
        .map_err(|e| anyhow::anyhow!("{e} ({})", file.display()))?;
    Ok(target.connect()?)
}

/// Takes the camera's control for `who`, saying so when it was taken from someone.
fn take(store: &mut Store, who: &Principal, code: &str) -> anyhow::Result<()> {
    let (_, taken) = store.ptz_take(who, code)?;
    if let LeaseTaken::TakenOver { from } = taken {
        println!("control of {code} taken over from {from}");
    }
    Ok(())
}

/// The preset named or tokened `wanted`.
fn find_preset(presets: &[PtzPreset], wanted: &str, code: &str) -> anyhow::Result<PtzPreset> {
    presets
        .iter()
        .find(|p| p.token == wanted)
        .or_else(|| {
            presets
                .iter()
                .find(|p| p.name.to_lowercase() == wanted.to_lowercase())
        })
        .cloned()
        .with_context(|| {
            let known: Vec<String> = presets
                .iter()
                .map(|p| format!("{} ({})", p.token, p.name))
                .collect();
            format!(
                "camera {code} has no preset '{wanted}'; it has: {}",
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            )
        })
}

pub fn run(command: &PtzCommand, setup: &Setup) -> anyhow::Result<()> {
    let mut store = setup.store()?;
    let who = principal(setup, &mut store)?;
    let code = code_of(command);
    if let PtzCommand::Release { .. } = command {
        let released = store.ptz_release(&who, code)?;
        println!(
            "{}",
            if released {
                format!("control of {code} given back")
            } else {
                format!("{} did not hold {code}", who.name())
            }
        );
        return Ok(());
    }
    // Who holds it is checked (and the caller's right to see) before the camera is called.
    let holder = store.ptz_holder(&who, code)?;
    let mut camera = connect(setup, &mut store, code)?;
    match command {
        PtzCommand::Status { .. } => {
            let status = camera.status()?;
            let position = status.position.map_or_else(
                || "position not reported".to_owned(),
                |p| format!("pan {:.3}, tilt {:.3}, zoom {:.3}", p.pan, p.tilt, p.zoom),
            );
            let moving = if status.is_moving() {
                "moving"
            } else {
                "still"
            };
            let control = holder.map_or_else(
                || "no one steers it".to_owned(),
                |l| format!("steered by {} ({})", l.holder, l.role.name_vi()),
            );
            println!("{code}: {position}; {moving}; {control}");
            if let Some(error) = status.error {
                println!("the camera reports: {error}");
            }
        }
        PtzCommand::Move {
            pan,
            tilt,
            zoom,
            secs,
            ..
        } => {
            if !(0.1..=60.0).contains(secs) {
                bail!("--secs {secs}: a move lasts 0.1 to 60 seconds");
            }
            let speed = PtzVector::new(*pan, *tilt, *zoom).clamped();
            take(&mut store, &who, code)?;
            let duration = Duration::from_secs_f32(*secs);
            camera.continuous_move(speed, duration)?;
            std::thread::sleep(duration);
            camera.stop()?;
            store.ptz_take(&who, code)?;
            println!(
                "{code} moved at pan {:.2}, tilt {:.2}, zoom {:.2} for {secs} s, then stopped",
                speed.pan, speed.tilt, speed.zoom
            );
        }
        PtzCommand::Stop { .. } => {
            take(&mut store, &who, code)?;
            camera.stop()?;
            println!("{code} stopped");
        }
        PtzCommand::Presets { .. } => {
            for preset in camera.presets()? {
                println!("{}\t{}", preset.token, preset.name);
            }
        }
        PtzCommand::Goto { preset, .. } => {
            let found = find_preset(&camera.presets()?, preset, code)?;
            take(&mut store, &who, code)?;
            camera.goto_preset(&found.token)?;
            store.ptz_preset_audit(&who, code, "recalled", &found.token)?;
            println!("{code} going to preset {} ({})", found.token, found.name);
        }
        PtzCommand::SavePreset { name, token, .. } => {
            take(&mut store, &who, code)?;
            let saved = camera.set_preset(name, token.as_deref())?;
            store.ptz_preset_audit(&who, code, "saved", &saved)?;
            println!("{code}: preset {saved} ({name}) saved");
        }
        PtzCommand::RemovePreset { preset, .. } => {
            let found = find_preset(&camera.presets()?, preset, code)?;
            take(&mut store, &who, code)?;
            camera.remove_preset(&found.token)?;
            store.ptz_preset_audit(&who, code, "removed", &found.token)?;
            println!("{code}: preset {} ({}) removed", found.token, found.name);
        }
        PtzCommand::Home { set, .. } => {
            take(&mut store, &who, code)?;
            if *set {
                camera.set_home()?;
                store.ptz_preset_audit(&who, code, "saved", "home")?;
                println!("{code}: home position set where it points");
            } else {
                camera.goto_home()?;
                store.ptz_preset_audit(&who, code, "recalled", "home")?;
                println!("{code} going home");
            }
        }
        PtzCommand::Release { .. } => {}
    }
    Ok(())
}
