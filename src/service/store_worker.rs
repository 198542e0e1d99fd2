//! The store worker: opens the database (seeding a new one), retrying with a growing back-off
//! while it cannot, then serves commands until the UI hangs up. Every failure is reported as an
//! event and logged once; commands that arrive before the database opens are kept, not lost.

use super::site_watch::{POLL_EVERY, SiteWatch};
use super::{Command, Inventory, Reply, SignInFailure, Still};
use crate::evidence::EvidenceSetup;
use crate::store::{DatabaseLocation, Store};
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::time::Duration;

/// First wait before trying to open the database again, and the longest wait.
const FIRST_RETRY: Duration = Duration::from_secs(1);
const LONGEST_RETRY: Duration = Duration::from_secs(30);

pub(super) fn run(
    location: &DatabaseLocation,
    evidence: Option<&EvidenceSetup>,
    commands: &Receiver<Command>,
    events: &SyncSender<Reply>,
    waker: super::Waker,
) {
    let mut waiting_commands = Vec::new();
    // The same back-off (with jitter) as cameras and engines: consoles of a site whose
    // database went away do not all come back in the same instant.
    let mut backoff = crate::ingest::Backoff::new(FIRST_RETRY, LONGEST_RETRY);
    let (mut store, seeded) = loop {
        match Store::open_seeded(location) {
            Ok(opened) => break opened,
            Err(e) => {
                let retry_in = backoff.next_delay();
                let seconds = retry_in.as_secs_f64().round();
                tracing::error!(error = %e, retry_in_secs = seconds, "cannot open the database");
                let message = format!("{e} (retrying in {seconds} s)");
                if events.send(Reply::Failed { message }).is_err() {
                    return;
                }
                // Wait for the back-off, keeping whatever the UI asks meanwhile.
                let deadline = std::time::Instant::now() + retry_in;
                loop {
                    let left = deadline.saturating_duration_since(std::time::Instant::now());
                    match commands.recv_timeout(left) {
                        Ok(command) => waiting_commands.push(command),
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            }
        }
    };
    if events
        .send(Reply::Opened {
            location: store.location().to_string(),
            short_name: store.location().short_name(),
            seeded,
        })
        .is_err()
    {
        return;
    }
    send_inventory(&mut store, events);
    send_geometries(&mut store, events);
    let _ = events.send(Reply::UsersExist(
        store.users().map(|u| !u.is_empty()).unwrap_or(true),
    ));
    let mut site = SiteWatch::new(waker);
    let mut waiting = waiting_commands.into_iter();
    let mut last_look: Option<std::time::Instant> = None;
    loop {
        // Commands first; between them, and at least every POLL_EVERY, what others changed.
        if last_look.is_none_or(|t| t.elapsed() >= POLL_EVERY) {
            last_look = Some(std::time::Instant::now());
            site.poll(&mut store, events);
        }
        let command = match waiting.next() {
            Some(command) => command,
            None => match commands.recv_timeout(POLL_EVERY) {
                Ok(command) => command,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            },
        };
        match command {
            Command::ReloadInventory => send_inventory(&mut store, events),
            Command::FollowOverlays(cameras) => {
                site.follow_overlays(cameras);
                last_look = None;
            }
            Command::RecordEvent { alarm, event } => match store.record_event(&event) {
                Ok(id) => {
                    site.own(id, crate::domain::EventState::New);
                    let _ = events.send(Reply::EventRecorded { alarm, id });
                }
                Err(e) => {
                    tracing::error!(error = %e, camera = %event.camera_code, "event not stored");
                    let _ = events.send(Reply::Failed {
                        message: format!("event of {} not stored: {e}", event.camera_code),
                    });
                }
            },
            Command::SetEventState { id, state, actor } => {
                site.own(id, state);
                if let Err(e) = store.set_event_state(id, state, &actor) {
                    tracing::error!(error = %e, id, %state, "event state not stored");
                    let _ = events.send(Reply::Failed {
                        message: format!("event {id} not moved to {state}: {e}"),
                    });
                }
            }
            Command::SaveGeometry { geometry, saved_by } => {
                let camera = geometry.camera.clone();
                match store.save_geometry(&geometry, &saved_by) {
                    Ok(version) => {
                        tracing::info!(%camera, version, "geometry saved");
                        let _ = events.send(Reply::GeometrySaved { camera, version });
                        send_geometries(&mut store, events);
                    }
                    Err(e) => {
                        tracing::error!(error = %e, %camera, "geometry not saved");
                        let _ = events.send(Reply::Failed {
                            message: e.to_string(),
                        });
                    }
                }
            }
            Command::SignIn { username, password } => match store.sign_in(&username, &password) {
                Ok(Ok(user)) => {
                    let _ = events.send(Reply::SignedIn(user));
                }
                Ok(Err(e)) => {
                    let _ = events.send(Reply::SignInFailed(SignInFailure::Refused(e)));
                }
                Err(e) => fail(events, e.to_string()),
            },
            Command::CreateFirstAdministrator {
                username,
                display_name,
                password,
            } => {
                let created = match store.users() {
                    Ok(users) if users.is_empty() => store.create_user(
                        &username,
                        &display_name,
                        crate::domain::Role::Administrator,
                        &password,
                        "system:first-run",
                    ),
                    Ok(_) => Err(crate::store::StoreError::Rejected {
                        what: "the first administrator".into(),
                        reason: "there are users already: sign in".into(),
                    }),
                    Err(e) => Err(e),
                };
                match created.and_then(|()| store.sign_in(&username, &password)) {
                    Ok(Ok(user)) => {
                        let _ = events.send(Reply::UsersExist(true));
                        let _ = events.send(Reply::SignedIn(user));
                    }
                    Ok(Err(e)) => {
                        let _ = events.send(Reply::SignInFailed(SignInFailure::Refused(e)));
                    }
                    Err(e) => {
                        let _ =
                            events.send(Reply::SignInFailed(SignInFailure::Problem(e.to_string())));
                    }
                }
            }
            Command::RecordOverlays(batch) => {
                if let Err(e) = store.record_overlays(&batch) {
                    tracing::warn!(error = %e, rows = batch.len(), "overlays not recorded");
                }
            }
            Command::LoadLibrary => send_library(&mut store, events),
            Command::SaveToLibrary { entry, actor } => {
                match store.save_to_library(&entry, &actor) {
                    Ok(_) => send_library(&mut store, events),
                    Err(e) => fail(events, e.to_string()),
                }
            }
            Command::OpenLibraryEntry { id, actor } => {
                open_library_entry(&mut store, id, &actor, events);
            }
            Command::LoadFlows { cameras, detail } => reply_or_fail(
                events,
                load_flows(&mut store, &cameras, detail),
                "traffic flow",
                |(flows, detail)| Reply::Flows { flows, detail },
            ),
            Command::LoadConfirmed => reply_or_fail(
                events,
                store.confirmed_violations(),
                "confirmed violations",
                Reply::Confirmed,
            ),
            Command::ProduceNotice { id, actor } => match evidence {
                Some(setup) => produce_notice(&mut store, setup, id, &actor, events),
                None => fail(
                    events,
                    "notices cannot be written here: no evidence folder".into(),
                ),
            },
            Command::LoadIncidents => {
                let filter = crate::store::ReviewFilter {
                    decided: true,
                    ..Default::default()
                };
                reply_or_fail(events, store.review_queue(&filter), "incidents", |found| {
                    Reply::Incidents(
                        found
                            .into_iter()
                            .filter(|e| e.at_utc_ms().is_some())
                            .take(500)
                            .collect(),
                    )
                });
            }
            Command::OpenIncident { id, actor } => open_incident(&mut store, id, &actor, events),
            Command::LoadReview(filter) => reply_or_fail(
                events,
                store.review_queue(&filter),
                "review queue",
                Reply::ReviewQueue,
            ),
            Command::OpenEvidence { id, actor } => open_evidence(&mut store, id, &actor, events),
            Command::BuildEvidence { id, actor } => match evidence {
                Some(setup) => spawn_build(location, setup, id, actor, events),
                None => fail(
                    events,
                    "evidence cannot be built here: no evidence folder".into(),
                ),
            },
            Command::Confirm {
                id,
                confirmation,
                actor,
            } => reply_or_fail(
                events,
                confirm_checked(&mut store, evidence, id, &confirmation, &actor),
                "confirm",
                |()| Reply::Reviewed {
                    id,
                    decision: crate::domain::Decision::Confirmed,
                },
            ),
            Command::Reject {
                id,
                reason,
                note,
                actor,
            } => reply_or_fail(
                events,
                store.reject_violation(id, reason, &note, &actor),
                "reject",
                |()| Reply::Reviewed {
                    id,
                    decision: crate::domain::Decision::Rejected,
                },
            ),
            Command::Audit(entry) => {
                if let Err(e) = store.append_audit(&entry) {
                    tracing::error!(error = %e, action = %entry.action, "audit entry lost");
                    let _ = events.send(Reply::Failed {
                        message: e.to_string(),
                    });
                }
            }
        }
    }
    tracing::debug!("store worker stopped: the UI hung up");
}

fn send_inventory(store: &mut Store, events: &SyncSender<Reply>) {
    let inventory = store.junctions().and_then(|junctions| {
        Ok(Inventory {
            junctions,
            cameras: store.cameras()?,
        })
    });
    reply_or_fail(
        events,
        inventory,
        "cannot read the registry",
        Reply::Inventory,
    );
}

fn send_geometries(store: &mut Store, events: &SyncSender<Reply>) {
    reply_or_fail(
        events,
        store.latest_geometries(),
        "cannot read the junction geometries",
        Reply::Geometries,
    );
}

/// Sends what `make` makes of a result, or the failure (logged with what was being done).
/// Confirms event `id` once its evidence verifies (when this worker builds evidence and so
/// knows the trusted keys).
fn confirm_checked(
    store: &mut Store,
    evidence: Option<&EvidenceSetup>,
    id: i64,
    confirmation: &crate::store::Confirmation,
    actor: &str,
) -> Result<(), String> {
    if let (Some(setup), Some(event)) = (evidence, store.event(id).map_err(|e| e.to_string())?) {
        crate::evidence::check_event_evidence(&event, &setup.trusted())
            .map_err(|e| format!("event {id} cannot be confirmed: {e}"))?;
    }
    store
        .confirm_violation(id, confirmation, actor)
        .map_err(|e| e.to_string())
}

/// Each camera's last hour against its usual level, and `detail`'s last hour by minute.
#[allow(clippy::type_complexity)]
fn load_flows(
    store: &mut Store,
    cameras: &[String],
    detail: Option<String>,
) -> Result<
    (
        Vec<(String, u64, Option<f64>)>,
        Option<(String, Vec<crate::domain::traffic_count::MinuteCount>)>,
    ),
    crate::store::StoreError,
> {
    let now = crate::clock::now_utc_ms();
    let mut flows = Vec::new();
    for camera in cameras {
        let (last_hour, usual) = store.flow_against_usual(camera, now)?;
        flows.push((camera.clone(), last_hour, usual));
    }
    let detail = match detail {
        Some(camera) => {
            let minutes = store.counts_between(&camera, now - 3_600_000, now + 60_000)?;
            Some((camera, minutes))
        }
        None => None,
    };
    Ok((flows, detail))
}

fn reply_or_fail<T, E: std::fmt::Display>(
    events: &SyncSender<Reply>,
    result: Result<T, E>,
    doing: &str,
    make: impl FnOnce(T) -> Reply,
) {
    match result {
        Ok(value) => {
            let _ = events.send(make(value));
        }
        Err(e) => {
            tracing::error!(error = %e, doing, "command failed");
            let _ = events.send(Reply::Failed {
                message: e.to_string(),
            });
        }
    }
}

fn fail(events: &SyncSender<Reply>, message: String) {
    tracing::error!(%message, "command failed");
    let _ = events.send(Reply::Failed { message });
}

/// Reads the stills of event `id`'s bundle and audits the view.
fn open_evidence(store: &mut Store, id: i64, actor: &str, events: &SyncSender<Reply>) {
    let bundle = match store.event(id) {
        Ok(Some(event)) => event.evidence_path,
        Ok(None) => return fail(events, format!("event {id} is not in the database")),
        Err(e) => return fail(events, e.to_string()),
    };
    let Some(bundle) = bundle else {
        let _ = events.send(Reply::EvidenceOpened {
            id,
            stills: Vec::new(),
        });
        return;
    };
    if let Err(e) = store.record_evidence_view(id, actor) {
        return fail(events, e.to_string());
    }
    // Each still's moment (from the manifest) and the overlay drawn then, for the track.
    let manifest: Option<crate::evidence::Manifest> =
        std::fs::read(std::path::Path::new(&bundle).join(crate::evidence::MANIFEST))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
    let camera = manifest.as_ref().map(|m| m.event.camera.clone());
    let moment = |name: &str| {
        manifest
            .as_ref()?
            .files
            .iter()
            .find(|f| f.name == name)?
            .at_utc_ms
    };
    let mut stills = Vec::new();
    for (name, role) in crate::evidence::bundle_pictures(std::path::Path::new(&bundle)) {
        let name = name.as_str();
        let path = std::path::Path::new(&bundle).join(name);
        if !path.exists() {
            continue;
        }
        let at_ms = moment(name);
        // The scene's stills get the overlay drawn at their moment; a close-up does not.
        let overlay = match (&camera, at_ms) {
            (Some(camera), Some(at)) if !crate::evidence::is_close_up(&role) => store
                .overlays_between(std::slice::from_ref(camera), at - 500, at)
                .ok()
                .and_then(|mut o| o.pop()),
            _ => None,
        };
        match image::open(&path) {
            Ok(picture) => {
                let rgba = picture.to_rgba8();
                stills.push(Still {
                    name: name.to_owned(),
                    width: rgba.width(),
                    height: rgba.height(),
                    rgba: rgba.into_raw(),
                    at_ms,
                    overlay,
                });
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "evidence still unreadable")
            }
        }
    }
    let _ = events.send(Reply::EvidenceOpened { id, stills });
}

/// Builds event `id`'s evidence on a thread of its own (it decodes seconds of video), with a
/// connection of its own.
fn spawn_build(
    location: &DatabaseLocation,
    setup: &EvidenceSetup,
    id: i64,
    actor: String,
    events: &SyncSender<Reply>,
) {
    let (location, setup, sender) = (location.clone(), setup.clone(), events.clone());
    let spawned = std::thread::Builder::new()
        .name("evidence-build".into())
        .spawn(move || {
            let built = Store::open(&location)
                .map_err(crate::evidence::EvidenceError::from)
                .and_then(|mut store| {
                    crate::evidence::build_for_event(&mut store, id, &setup, &actor)
                });
            let event = match built {
                Ok(path) => Reply::EvidenceBuilt {
                    id,
                    path: path.to_string_lossy().into_owned(),
                },
                Err(e) => {
                    tracing::error!(error = %e, id, "evidence not built");
                    Reply::Failed {
                        message: e.to_string(),
                    }
                }
            };
            let _ = sender.send(event);
        });
    if let Err(e) = spawned {
        fail(events, format!("cannot start the evidence thread: {e}"));
    }
}

/// The cameras of event `id`'s junction and their recordings around it; audits the opening.
fn open_incident(store: &mut Store, id: i64, actor: &str, events: &SyncSender<Reply>) {
    let found = (|| -> Result<Option<Reply>, crate::store::StoreError> {
        let Some(event) = store.event(id)? else {
            return Ok(None);
        };
        let Some(at_ms) = event.at_utc_ms() else {
            return Ok(None);
        };
        let of_junction = store.junction_cameras(&event.camera_code)?;
        let mut recordings = Vec::new();
        for camera in &of_junction {
            recordings.extend(store.recordings_between(camera, at_ms - 60_000, at_ms + 60_000)?);
        }
        let overlays = store.overlays_between(&of_junction, at_ms - 60_000, at_ms + 60_000)?;
        let geometries = geometries_at(store, &of_junction, at_ms)?;
        store.append_audit(&crate::store::NewAuditEntry {
            actor: actor.to_owned(),
            action: crate::domain::AuditAction::ReplayOpen,
            subject: id.to_string(),
            detail: serde_json::json!({ "cameras": of_junction }),
        })?;
        Ok(Some(Reply::IncidentRecordings {
            id,
            at_ms,
            from_ms: at_ms - 20_000,
            to_ms: at_ms + 20_000,
            cameras: of_junction,
            recordings,
            overlays,
            geometries,
        }))
    })();
    match found {
        Ok(Some(event)) => {
            let _ = events.send(event);
        }
        Ok(None) => fail(
            events,
            format!("event {id} has no recorded moment to replay"),
        ),
        Err(e) => fail(events, e.to_string()),
    }
}

fn send_library(store: &mut Store, events: &SyncSender<Reply>) {
    reply_or_fail(events, store.library(), "library", Reply::Library);
}

/// The recordings (and overlays) of a library entry's cameras and span; audits the opening.
fn open_library_entry(store: &mut Store, id: i64, actor: &str, events: &SyncSender<Reply>) {
    let found = (|| -> Result<Option<Reply>, crate::store::StoreError> {
        let Some(entry) = store.library()?.into_iter().find(|e| e.id == id) else {
            return Ok(None);
        };
        let mut recordings = Vec::new();
        for camera in &entry.cameras {
            recordings.extend(store.recordings_between(camera, entry.from_ms, entry.to_ms)?);
        }
        let overlays = store.overlays_between(&entry.cameras, entry.from_ms, entry.to_ms)?;
        let geometries = geometries_at(store, &entry.cameras, entry.from_ms)?;
        store.append_audit(&crate::store::NewAuditEntry {
            actor: actor.to_owned(),
            action: crate::domain::AuditAction::LibraryOpen,
            subject: id.to_string(),
            detail: serde_json::json!({ "name": entry.name }),
        })?;
        Ok(Some(Reply::IncidentRecordings {
            id: entry.event_id.unwrap_or(-id),
            at_ms: (entry.from_ms + entry.to_ms) / 2,
            from_ms: entry.from_ms,
            to_ms: entry.to_ms,
            cameras: entry.cameras,
            recordings,
            overlays,
            geometries,
        }))
    })();
    match found {
        Ok(Some(event)) => {
            let _ = events.send(event);
        }
        Ok(None) => fail(events, format!("library entry {id} does not exist")),
        Err(e) => fail(events, e.to_string()),
    }
}

/// Writes the notice of confirmed event `id` under `root/notices/`.
fn produce_notice(
    store: &mut Store,
    setup: &EvidenceSetup,
    id: i64,
    actor: &str,
    events: &SyncSender<Reply>,
) {
    let written = (|| -> Result<String, String> {
        let event = store
            .event(id)
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("event {id} is not in the database"))?;
        if event.decision != Some(crate::domain::Decision::Confirmed) {
            return Err(format!("event {id} is not a confirmed violation"));
        }
        let input = crate::notice::notice_input(store, &event, &setup.agency, &setup.trusted())
            .map_err(|e| e.to_string())?;
        let bytes = crate::notice::notice_pdf(&input, &setup.agency).map_err(|e| e.to_string())?;
        let dir = setup.root.join("notices");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join(format!("thong-bao-{id}.pdf"));
        std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        let path = path.to_string_lossy().into_owned();
        store
            .notice_produced(id, &path, actor)
            .map_err(|e| e.to_string())?;
        Ok(path)
    })();
    match written {
        Ok(path) => {
            let _ = events.send(Reply::NoticeProduced { id, path });
        }
        Err(message) => fail(events, message),
    }
}

/// Each camera's geometry version in force at `at_ms` (saved last before it; the first one
/// when all were saved later).
fn geometries_at(
    store: &mut Store,
    cameras: &[String],
    at_ms: i64,
) -> Result<Vec<(String, crate::domain::geometry::JunctionGeometry)>, crate::store::StoreError> {
    let mut found = Vec::new();
    for camera in cameras {
        let versions = store.geometry_versions(camera)?;
        let chosen = versions
            .iter()
            .rev()
            .find(|g| g.saved_at_ms <= at_ms)
            .or(versions.first());
        if let Some(g) = chosen {
            found.push((camera.clone(), g.geometry.clone()));
        }
    }
    Ok(found)
}
