//! The store worker's PTZ commands: the control lease is taken (or refused, naming its holder)
//! in the store for whoever is signed in, then the camera is called on the PTZ driver's thread
//! with its log-in from this workstation's `credentials.toml`.

use super::ptz_driver::{Job, PtzDriver};
use super::{PtzNews, PtzOp, Reply};
use crate::config::CameraCredentials;
use crate::domain::Camera;
use crate::ptz::OnvifTarget;
use crate::store::{LeaseTaken, Principal, Store};
use std::collections::HashMap;
use std::sync::mpsc::SyncSender;

/// The worker's PTZ state: the log-ins, the registry's cameras, the driver (started at
/// the first PTZ command).
#[derive(Default)]
pub(super) struct PtzDesk {
    credentials: CameraCredentials,
    /// The registry's cameras by code.
    cameras: HashMap<String, Camera>,
    driver: Option<PtzDriver>,
}

impl PtzDesk {
    pub fn use_credentials(&mut self, credentials: CameraCredentials) {
        self.credentials = credentials;
    }

    /// Runs `op` on `camera` for `who`; sends what the UI should know.
    pub fn run(
        &mut self,
        store: &mut Store,
        who: &Principal,
        camera: &str,
        op: PtzOp,
        events: &SyncSender<Reply>,
        waker: &super::Waker,
    ) {
        let news = |holder, error| {
            Reply::Ptz(PtzNews {
                camera: camera.to_owned(),
                holder,
                presets: None,
                error,
            })
        };
        let holder_now = |store: &mut Store| {
            store
                .ptz_holder(who, camera)
                .ok()
                .map(|l| l.map(|l| (l.holder, l.role)))
        };
        match &op {
            PtzOp::Holder => {
                let reply = match store.ptz_holder(who, camera) {
                    Ok(lease) => news(Some(lease.map(|l| (l.holder, l.role))), None),
                    Err(e) => news(None, Some(e.to_string())),
                };
                let _ = events.send(reply);
                return;
            }
            PtzOp::Release => {
                let reply = match store.ptz_release(who, camera) {
                    Ok(_) => news(holder_now(store), None),
                    Err(e) => news(None, Some(e.to_string())),
                };
                let _ = events.send(reply);
                return;
            }
            PtzOp::LoadPresets => {
                if let Err(e) = store.ptz_holder(who, camera) {
                    let _ = events.send(news(None, Some(e.to_string())));
                    return;
                }
            }
            PtzOp::Move { .. } | PtzOp::Stop | PtzOp::GotoPreset(_) | PtzOp::Centre { .. } => {
                match store.ptz_take(who, camera) {
                    Err(e) => {
                        let _ = events.send(news(holder_now(store), Some(e.to_string())));
                        return;
                    }
                    Ok((lease, taken)) => {
                        if taken != LeaseTaken::Kept {
                            let _ = events.send(news(Some(Some((lease.holder, lease.role))), None));
                        }
                    }
                }
                if let PtzOp::GotoPreset(token) = &op
                    && let Err(e) = store.ptz_preset_audit(who, camera, "recalled", token)
                {
                    let _ = events.send(news(None, Some(e.to_string())));
                    return;
                }
            }
        }
        let job = match self.job(store, camera, op) {
            Ok(job) => job,
            Err(message) => {
                let _ = events.send(news(None, Some(message)));
                return;
            }
        };
        if self.driver.is_none() {
            match PtzDriver::start(events.clone(), std::sync::Arc::clone(waker)) {
                Ok(driver) => self.driver = Some(driver),
                Err(e) => {
                    let _ = events.send(news(
                        None,
                        Some(format!("cannot start the PTZ driver: {e}")),
                    ));
                    return;
                }
            }
        }
        if let Some(driver) = &self.driver
            && let Err(message) = driver.send(job)
        {
            let _ = events.send(news(None, Some(message)));
        }
    }

    /// The driver's job for `camera`: its ONVIF address and log-in (the registry read again
    /// when the camera is not known yet or the op is not a move).
    fn job(&mut self, store: &mut Store, camera: &str, op: PtzOp) -> Result<Job, String> {
        let is_move = matches!(op, PtzOp::Move { .. });
        if !is_move || !self.cameras.contains_key(camera) {
            let cameras = store.cameras().map_err(|e| e.to_string())?;
            self.cameras = cameras.into_iter().map(|c| (c.code.clone(), c)).collect();
        }
        let Some(registered) = self.cameras.get(camera) else {
            return Err(format!("there is no camera {camera} in the registry"));
        };
        let target = OnvifTarget::of(registered, |reference| self.credentials.get(reference))
            .map_err(|e| e.to_string())?;
        Ok(Job {
            camera: camera.to_owned(),
            target,
            op,
        })
    }
}
