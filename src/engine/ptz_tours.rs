//! Preset tours: on its own thread the engine takes each tour's camera to its presets in turn,
//! holding each for its dwell. The tour steers through the same control lease as dispatchers,
//! at the lowest priority: when someone takes the camera (any steering role outranks the
//! engine), the tour pauses and resumes, at the step it was on, once their lease is given back
//! or lapses. Its lease is refreshed during a dwell, so one tour run is one audited session.

use crate::config::{CameraCredentials, TourConfig};
use crate::domain::ptz::{LEASE_IDLE_MS, PtzLease};
use crate::ptz::{OnvifCamera, OnvifTarget, PtzBackend};
use crate::store::{DatabaseLocation, Principal, Store};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the runner looks at its tours.
const TICK: Duration = Duration::from_millis(100);
/// The tour's lease is refreshed this often while it dwells (well inside the 15 s lapse).
const REFRESH_EVERY: Duration = Duration::from_millis(LEASE_IDLE_MS as u64 / 3);
/// A camera that failed is tried again after this.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// What a tour is doing, for logs and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TourState {
    /// Not begun yet.
    Starting,
    /// At step `step` (0-based).
    At { step: usize },
    /// Someone else steers the camera.
    Paused { by: String },
    /// The camera or the database failed; tried again later.
    Failing { reason: String },
}

/// What a tour should do now, given who holds the camera.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decision {
    Pause { by: String },
    Goto { step: usize },
    Refresh,
    Wait,
}

/// The pure part of a tour: its step and the times of its last move and lease refresh.
#[derive(Debug, Clone)]
pub(crate) struct TourClock {
    steps: Vec<Duration>,
    step: usize,
    arrived: Option<Instant>,
    refreshed: Option<Instant>,
}

impl TourClock {
    pub fn new(steps: Vec<Duration>) -> Self {
        Self {
            steps,
            step: 0,
            arrived: None,
            refreshed: None,
        }
    }

    /// What to do at `now` when the camera's live lease is `held` and the tour is `me`.
    pub fn decide(&mut self, now: Instant, held: Option<&PtzLease>, me: &str) -> Decision {
        if let Some(lease) = held.filter(|l| l.holder != me) {
            // Resume where it was: the step is sent again when the camera is free.
            self.arrived = None;
            return Decision::Pause {
                by: lease.holder.clone(),
            };
        }
        match self.arrived {
            None => Decision::Goto { step: self.step },
            Some(at) if now.duration_since(at) >= self.steps[self.step] => {
                self.step = (self.step + 1) % self.steps.len();
                Decision::Goto { step: self.step }
            }
            Some(_)
                if self
                    .refreshed
                    .is_none_or(|r| now.duration_since(r) >= REFRESH_EVERY) =>
            {
                Decision::Refresh
            }
            Some(_) => Decision::Wait,
        }
    }

    pub fn arrived(&mut self, now: Instant) {
        self.arrived = Some(now);
        self.refreshed = Some(now);
    }

    pub fn refreshed(&mut self, now: Instant) {
        self.refreshed = Some(now);
    }
}

struct RunningTour {
    config: TourConfig,
    clock: TourClock,
    camera: Option<OnvifCamera>,
    retry_at: Option<Instant>,
    state: Arc<Mutex<TourState>>,
}

/// The tours of an engine, on their thread; dropping it stops them.
pub struct PtzTours {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    states: Vec<(String, Arc<Mutex<TourState>>)>,
    ticks: Arc<std::sync::atomic::AtomicU64>,
}

impl PtzTours {
    /// Starts `tours` (those without steps are left out, with a warning) on a thread of
    /// their own with a connection to `location`, steering as `who`.
    pub fn start(
        tours: &[TourConfig],
        location: &DatabaseLocation,
        who: Principal,
        credentials: CameraCredentials,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let ticks = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut running = Vec::new();
        let mut states = Vec::new();
        for tour in tours {
            if tour.steps.is_empty() {
                tracing::warn!(camera = %tour.camera, "a PTZ tour without steps is left out");
                continue;
            }
            let state = Arc::new(Mutex::new(TourState::Starting));
            states.push((tour.camera.clone(), Arc::clone(&state)));
            let dwells = tour
                .steps
                .iter()
                .map(|s| Duration::from_secs_f64(s.dwell_s.max(1.0)))
                .collect();
            running.push(RunningTour {
                config: tour.clone(),
                clock: TourClock::new(dwells),
                camera: None,
                retry_at: None,
                state,
            });
        }
        let thread = if running.is_empty() {
            None
        } else {
            let (stop, ticks, location) = (Arc::clone(&stop), Arc::clone(&ticks), location.clone());
            Some(
                std::thread::Builder::new()
                    .name("ptz-tours".into())
                    .spawn(move || run(running, &location, &who, &credentials, &stop, &ticks))?,
            )
        };
        Ok(Self {
            stop,
            thread,
            states,
            ticks,
        })
    }

    /// What the tour of `camera` is doing.
    pub fn state(&self, camera: &str) -> Option<TourState> {
        let (_, state) = self.states.iter().find(|(c, _)| c == camera)?;
        state.lock().ok().map(|s| s.clone())
    }

    /// How many times the runner has looked at its tours.
    pub fn ticks(&self) -> u64 {
        self.ticks.load(Ordering::Relaxed)
    }
}

impl Drop for PtzTours {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn set(state: &Mutex<TourState>, new: TourState, camera: &str) {
    if let Ok(mut s) = state.lock()
        && *s != new
    {
        match &new {
            TourState::Paused { by } => {
                tracing::info!(%camera, %by, "PTZ tour paused: someone steers")
            }
            TourState::Failing { reason } => tracing::warn!(%camera, %reason, "PTZ tour failing"),
            TourState::At { step } if matches!(*s, TourState::Paused { .. }) => {
                tracing::info!(%camera, step, "PTZ tour resumed")
            }
            _ => {}
        }
        *s = new;
    }
}

fn run(
    mut tours: Vec<RunningTour>,
    location: &DatabaseLocation,
    who: &Principal,
    credentials: &CameraCredentials,
    stop: &AtomicBool,
    ticks: &std::sync::atomic::AtomicU64,
) {
    let mut store: Option<Store> = None;
    while !stop.load(Ordering::Relaxed) {
        if store.is_none() {
            match Store::open(location) {
                Ok(s) => store = Some(s),
                Err(e) => {
                    for tour in &tours {
                        set(
                            &tour.state,
                            TourState::Failing {
                                reason: e.to_string(),
                            },
                            &tour.config.camera,
                        );
                    }
                }
            }
        }
        if let Some(db) = store.as_mut() {
            for tour in &mut tours {
                step(tour, db, who, credentials);
            }
        }
        ticks.fetch_add(1, Ordering::Relaxed);
        std::thread::sleep(TICK);
    }
}

/// One look at `tour`.
fn step(
    tour: &mut RunningTour,
    store: &mut Store,
    who: &Principal,
    credentials: &CameraCredentials,
) {
    let now = Instant::now();
    let code = tour.config.camera.clone();
    if tour.retry_at.is_some_and(|at| now < at) {
        return;
    }
    let failed = |tour: &mut RunningTour, reason: String| {
        tour.camera = None;
        tour.retry_at = Some(Instant::now() + RETRY_AFTER);
        set(
            &tour.state,
            TourState::Failing { reason },
            &tour.config.camera,
        );
    };
    let held = match store.ptz_holder(who, &code) {
        Ok(held) => held,
        Err(e) => return failed(tour, e.to_string()),
    };
    match tour.clock.decide(now, held.as_ref(), who.name()) {
        Decision::Wait => {}
        Decision::Pause { by } => set(&tour.state, TourState::Paused { by }, &code),
        Decision::Refresh => match store.ptz_take(who, &code) {
            Ok(_) => tour.clock.refreshed(now),
            Err(e) => failed(tour, e.to_string()),
        },
        Decision::Goto { step } => {
            if let Err(e) = store.ptz_take(who, &code) {
                return failed(tour, e.to_string());
            }
            let wanted = tour.config.steps[step].preset.clone();
            match goto(tour, store, credentials, &wanted) {
                Ok(()) => {
                    tour.clock.arrived(Instant::now());
                    set(&tour.state, TourState::At { step }, &code);
                }
                Err(reason) => failed(tour, reason),
            }
        }
    }
}

/// Sends `tour`'s camera to the preset named or tokened `wanted`, connecting first if needed.
fn goto(
    tour: &mut RunningTour,
    store: &mut Store,
    credentials: &CameraCredentials,
    wanted: &str,
) -> Result<(), String> {
    let code = &tour.config.camera;
    if tour.camera.is_none() {
        let camera = store
            .cameras()
            .map_err(|e| e.to_string())?
            .into_iter()
            .find(|c| &c.code == code)
            .ok_or_else(|| format!("there is no camera {code} in the registry"))?;
        let target = OnvifTarget::of(&camera, |reference| credentials.get(reference))
            .map_err(|e| e.to_string())?;
        tour.camera = Some(target.connect().map_err(|e| e.to_string())?);
    }
    let camera = tour.camera.as_mut().ok_or("not connected")?;
    let presets = camera.presets().map_err(|e| e.to_string())?;
    let preset = presets
        .iter()
        .find(|p| p.token == wanted)
        .or_else(|| presets.iter().find(|p| p.name == wanted))
        .ok_or_else(|| format!("camera {code} has no preset '{wanted}'"))?;
    camera.goto_preset(&preset.token).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Role;

    fn lease(holder: &str) -> PtzLease {
        PtzLease {
            camera_code: "C".into(),
            holder: holder.into(),
            role: Role::Dispatcher,
            acquired_at_ms: 0,
            last_movement_ms: 0,
        }
    }

    #[test]
    fn a_tour_steps_through_its_presets_and_pauses_for_whoever_steers() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let mut clock = TourClock::new(vec![s(30), s(20)]);
        assert_eq!(clock.decide(t0, None, "engine"), Decision::Goto { step: 0 });
        clock.arrived(t0);
        assert_eq!(clock.decide(t0 + s(1), None, "engine"), Decision::Wait);
        assert_eq!(clock.decide(t0 + s(6), None, "engine"), Decision::Refresh);
        clock.refreshed(t0 + s(6));
        // Its own lease does not pause it.
        assert_eq!(
            clock.decide(t0 + s(7), Some(&lease("engine")), "engine"),
            Decision::Wait
        );
        assert_eq!(
            clock.decide(t0 + s(30), None, "engine"),
            Decision::Goto { step: 1 }
        );
        clock.arrived(t0 + s(30));
        // A dispatcher takes the camera: paused; when free again, step 1 is sent again.
        assert_eq!(
            clock.decide(t0 + s(35), Some(&lease("an")), "engine"),
            Decision::Pause { by: "an".into() }
        );
        assert_eq!(
            clock.decide(t0 + s(90), None, "engine"),
            Decision::Goto { step: 1 }
        );
        clock.arrived(t0 + s(90));
        assert_eq!(
            clock.decide(t0 + s(110), None, "engine"),
            Decision::Goto { step: 0 }
        );
    }
}
