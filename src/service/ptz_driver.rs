//! The PTZ driver: a thread of its own that calls the cameras (a camera that does not answer
//! blocks for its 3 s timeout here, never the store worker or the UI). The store worker hands
//! it a job once the control lease allowed it; moves queued behind a slow camera are merged
//! (only the newest speed of a camera is sent), stops and preset recalls never are. A failed
//! call drops the connection (the next job connects again) and is told to the UI.

use super::{PtzNews, PtzOp, Reply};
use crate::domain::ptz::PtzVector;
use crate::ptz::{OnvifCamera, OnvifTarget, PtzBackend, PtzError};
use std::collections::HashMap;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::Duration;

/// Jobs waiting at most (a console steers one camera at a time; more is a stuck camera).
const QUEUE: usize = 64;

/// One call to a camera, allowed by the store.
pub(super) struct Job {
    pub camera: String,
    pub target: OnvifTarget,
    pub op: PtzOp,
}

/// The driver's queue; dropping it ends the thread.
pub(super) struct PtzDriver {
    jobs: SyncSender<Job>,
}

impl PtzDriver {
    pub fn start(events: SyncSender<Reply>, waker: super::Waker) -> std::io::Result<Self> {
        let (jobs, queue) = std::sync::mpsc::sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("ptz-driver".into())
            .spawn(move || run(&queue, &events, &waker))?;
        Ok(Self { jobs })
    }

    /// Queues `job`; a full queue refuses it (the camera is not keeping up).
    pub fn send(&self, job: Job) -> Result<(), String> {
        self.jobs.try_send(job).map_err(|e| match e {
            TrySendError::Full(job) => format!(
                "camera {} is not keeping up with the commands; try again",
                job.camera
            ),
            TrySendError::Disconnected(job) => {
                format!(
                    "the PTZ driver has stopped; camera {} not moved",
                    job.camera
                )
            }
        })
    }
}

/// Whether `job` can be dropped because a later job of `later` replaces it: a move followed
/// by another move (or a stop) of the same camera.
fn superseded(job: &Job, later: &[Job]) -> bool {
    matches!(job.op, PtzOp::Move { .. })
        && later
            .iter()
            .any(|l| l.camera == job.camera && matches!(l.op, PtzOp::Move { .. } | PtzOp::Stop))
}

/// The jobs of `batch` worth sending, in order: each move a later job supersedes is dropped.
fn merged(batch: Vec<Job>) -> Vec<Job> {
    let keep: Vec<bool> = (0..batch.len())
        .map(|i| !superseded(&batch[i], &batch[i + 1..]))
        .collect();
    batch
        .into_iter()
        .zip(keep)
        .filter_map(|(job, keep)| keep.then_some(job))
        .collect()
}

fn run(queue: &Receiver<Job>, events: &SyncSender<Reply>, waker: &super::Waker) {
    let mut cameras: HashMap<String, OnvifCamera> = HashMap::new();
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter());
        for job in merged(batch) {
            let news = execute(&mut cameras, &job);
            if let Some(news) = news {
                if events.send(Reply::Ptz(news)).is_err() {
                    return;
                }
                if let Ok(waker) = waker.lock()
                    && let Some(wake) = waker.as_ref()
                {
                    wake();
                }
            }
        }
    }
}

/// Runs `job`; what the UI is told (presets, or what went wrong), if anything.
fn execute(cameras: &mut HashMap<String, OnvifCamera>, job: &Job) -> Option<PtzNews> {
    let result = call(cameras, job);
    match result {
        Ok(presets) => presets.map(|presets| PtzNews {
            camera: job.camera.clone(),
            presets: Some(presets),
            ..PtzNews::default()
        }),
        Err(e) => {
            tracing::warn!(camera = %job.camera, error = %e, "PTZ command failed");
            cameras.remove(&job.camera);
            Some(PtzNews {
                camera: job.camera.clone(),
                error: Some(e.to_string()),
                ..PtzNews::default()
            })
        }
    }
}

fn call(
    cameras: &mut HashMap<String, OnvifCamera>,
    job: &Job,
) -> Result<Option<Vec<crate::domain::ptz::PtzPreset>>, PtzError> {
    if !cameras.contains_key(&job.camera) {
        let camera = job.target.connect()?;
        cameras.insert(job.camera.clone(), camera);
    }
    let Some(camera) = cameras.get_mut(&job.camera) else {
        return Ok(None);
    };
    match &job.op {
        PtzOp::Move { speed, timeout_ms } => camera
            .continuous_move(*speed, Duration::from_millis(*timeout_ms))
            .map(|()| None),
        PtzOp::Stop => camera.stop().map(|()| None),
        PtzOp::GotoPreset(token) => camera.goto_preset(token).map(|()| None),
        PtzOp::Centre { x, y } => camera
            .relative_move(PtzVector::new(*x, *y, 0.0), true)
            .map(|()| None),
        PtzOp::LoadPresets => camera.presets().map(Some),
        PtzOp::Release | PtzOp::Holder => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(camera: &str, op: PtzOp) -> Job {
        Job {
            camera: camera.into(),
            target: OnvifTarget {
                url: String::new(),
                credentials: None,
            },
            op,
        }
    }

    #[test]
    fn only_the_newest_move_of_a_camera_is_sent_and_stops_are_never_merged() {
        let moving = |pan| PtzOp::Move {
            speed: PtzVector::new(pan, 0.0, 0.0),
            timeout_ms: 1000,
        };
        let later = [job("A", moving(0.5)), job("B", PtzOp::Stop)];
        assert!(superseded(&job("A", moving(0.1)), &later));
        assert!(!superseded(&job("B", moving(0.1)), &later[..1]));
        assert!(superseded(&job("B", moving(0.1)), &later));
        assert!(
            !superseded(&job("A", PtzOp::Stop), &later),
            "a stop is always sent"
        );
        assert!(!superseded(
            &job("A", PtzOp::GotoPreset("1".into())),
            &later
        ));
        let batch = vec![
            job("A", moving(0.1)),
            job("A", PtzOp::GotoPreset("1".into())),
            job("A", moving(0.2)),
            job("B", moving(0.3)),
            job("A", PtzOp::Stop),
        ];
        let sent: Vec<(String, PtzOp)> = merged(batch)
            .into_iter()
            .map(|j| (j.camera, j.op))
            .collect();
        assert_eq!(
            sent,
            vec![
                ("A".into(), PtzOp::GotoPreset("1".into())),
                ("B".into(), moving(0.3)),
                ("A".into(), PtzOp::Stop),
            ]
        );
    }
}
