//! The store worker: opens the database (seeding a new one), retrying with a growing back-off
//! while it cannot, then serves commands until the UI hangs up. Every failure is reported as an
//! event and logged once; commands that arrive before the database opens are kept, not lost.

use super::site_watch::{POLL_EVERY, SiteWatch};
use super::{Command, Inventory, Reply, SignInFailure, Still};
use crate::evidence::EvidenceSetup;
use crate::store::{DatabaseLocation, Principal, Store, StoreError};
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
    published: &super::Session,
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
    if let Some(signer) = evidence.and_then(|e| e.checkpoint_signer(&crate::host::workstation())) {
        store.set_checkpoint_signer(signer);
    }
    let ptz_waker = std::sync::Arc::clone(&waker);
    let mut ptz = super::ptz_commands::PtzDesk::default();
    let mut site = SiteWatch::new(waker);
    let mut session = WorkerSession::default();
    published.set(who(&mut session, &mut store).ok());
    let mut waiting = waiting_commands.into_iter();
    let mut last_look: Option<std::time::Instant> = None;
    loop {
        // Commands first; between them, and at least every POLL_EVERY, what others changed.
        // Live events (with their plates), overlays and engines go only to whom may watch live.
        if last_look.is_none_or(|t| t.elapsed() >= POLL_EVERY) {
            last_look = Some(std::time::Instant::now());
            if published.allows(crate::domain::Permission::ViewLive) == Some(Ok(())) {
                site.poll(&mut store, events);
            }
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
            Command::RecordEvent { alarm, event } => match session
                .engine(&mut store)
                .and_then(|engine| store.record_event(&engine, &event))
            {
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
            Command::SetEventState { id, state } => {
                site.own(id, state);
                if let Err(e) = who(&mut session, &mut store)
                    .and_then(|who| store.set_event_state(&who, id, state))
                {
                    tracing::error!(error = %e, id, %state, "event state not stored");
                    let _ = events.send(Reply::Failed {
                        message: format!("event {id} not moved to {state}: {e}"),
                    });
                }
            }
            Command::SaveGeometry { geometry } => {
                let camera = geometry.camera.clone();
                match who(&mut session, &mut store)
                    .and_then(|who| store.save_geometry(&who, &geometry))
                {
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
                Ok(Ok(signed)) if signed.user.role.is_service() => {
                    session.signed_in = None;
                    let _ = events.send(Reply::SignInFailed(SignInFailure::Problem(
                        "a service account (role engine) cannot sign in at a console".into(),
                    )));
                }
                Ok(Ok(signed)) => {
                    published.set(Some(signed.principal.clone()));
                    session.signed_in = Some(signed.principal);
                    let _ = events.send(Reply::SignedIn(signed.user));
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
                let created = store.create_first_administrator(&username, &display_name, &password);
                match created.and_then(|()| store.sign_in(&username, &password)) {
                    Ok(Ok(signed)) => {
                        published.set(Some(signed.principal.clone()));
                        session.signed_in = Some(signed.principal);
                        let _ = events.send(Reply::UsersExist(true));
                        let _ = events.send(Reply::SignedIn(signed.user));
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
            Command::SignOut => {
                published.set(None);
                if let Some(who) = session.signed_in.take() {
                    let entry = crate::store::NewAuditEntry {
                        actor: who.name().to_owned(),
                        action: crate::domain::AuditAction::UserSignOut,
                        subject: who.name().to_owned(),
                        detail: serde_json::json!({}),
                    };
                    if let Err(e) = store.append_audit(&entry) {
                        fail(events, e.to_string());
                    }
                }
            }
            Command::RecordOverlays(batch) => {
                if let Err(e) = session
                    .engine(&mut store)
                    .and_then(|engine| store.record_overlays(&engine, &batch))
                {
                    tracing::warn!(error = %e, rows = batch.len(), "overlays not recorded");
                }
            }
            Command::LoadLibrary => send_library(&mut store, events),
            Command::SaveToLibrary { entry } => {
                match who(&mut session, &mut store)
                    .and_then(|who| store.save_to_library(&who, &entry))
                {
                    Ok(_) => send_library(&mut store, events),
                    Err(e) => fail(events, e.to_string()),
                }
            }
            Command::OpenLibraryEntry { id } => match who(&mut session, &mut store) {
                Ok(who) => open_library_entry(&mut store, id, &who, events),
                Err(e) => fail(events, e.to_string()),
            },
            Command::LoadFlows { cameras, detail } => reply_or_fail(
                events,
                load_flows(&mut store, &cameras, detail),
                "traffic flow",
                |(flows, detail)| Reply::Flows { flows, detail },
            ),
            Command::LoadConfirmed => reply_or_fail(
                events,
                who(&mut session, &mut store).and_then(|who| store.confirmed_violations(&who)),
                "confirmed violations",
                Reply::Confirmed,
            ),
            Command::ProduceNotice { id } => match (evidence, who(&mut session, &mut store)) {
                (_, Err(e)) => fail(events, e.to_string()),
                (Some(setup), Ok(who)) => produce_notice(&mut store, setup, id, &who, events),
                (None, Ok(_)) => fail(
                    events,
                    "notices cannot be written here: no evidence folder".into(),
                ),
            },
            Command::LoadIncidents => {
                let found = who(&mut session, &mut store).and_then(|who| store.incidents(&who));
                reply_or_fail(events, found, "incidents", |found| {
                    Reply::Incidents(
                        found
                            .into_iter()
                            .filter(|e| e.at_utc_ms().is_some())
                            .take(500)
                            .collect(),
                    )
                });
            }
            Command::OpenIncident { id } => match who(&mut session, &mut store) {
                Ok(who) => open_incident(&mut store, id, &who, events),
                Err(e) => fail(events, e.to_string()),
            },
            Command::LoadReview(filter) => reply_or_fail(
                events,
                who(&mut session, &mut store).and_then(|who| store.review_queue(&who, &filter)),
                "review queue",
                Reply::ReviewQueue,
            ),
            Command::OpenEvidence { id } => match who(&mut session, &mut store) {
                Ok(who) => open_evidence(&mut store, evidence, id, &who, events),
                Err(e) => fail(events, e.to_string()),
            },
            command @ (Command::OpenPlateSighting { .. }
            | Command::SearchPlates { .. }
            | Command::LoadWatchlist
            | Command::AddToWatchlist { .. }
            | Command::RemoveFromWatchlist { .. }) => match who(&mut session, &mut store) {
                Ok(who) => {
                    let _ = events.send(super::plate_commands::run(&mut store, &who, command));
                }
                Err(e) => fail(events, e.to_string()),
            },
            Command::UseCameraCredentials(credentials) => ptz.use_credentials(credentials),
            Command::Ptz { camera, op } => match who(&mut session, &mut store) {
                Ok(who) => ptz.run(&mut store, &who, &camera, op, events, &ptz_waker),
                Err(e) => fail(events, e.to_string()),
            },
            Command::BuildEvidence { id } => match (evidence, who(&mut session, &mut store)) {
                (_, Err(e)) => fail(events, e.to_string()),
                (Some(setup), Ok(who)) => spawn_build(location, setup, id, who, events),
                (None, Ok(_)) => fail(
                    events,
                    "evidence cannot be built here: no evidence folder".into(),
                ),
            },
            Command::Confirm { id, confirmation } => reply_or_fail(
                events,
                who(&mut session, &mut store)
                    .map_err(|e| e.to_string())
                    .and_then(|who| confirm_checked(&mut store, evidence, id, &confirmation, &who)),
                "confirm",
                |()| Reply::Reviewed {
                    id,
                    decision: crate::domain::Decision::Confirmed,
                },
            ),
            Command::Reject { id, reason, note } => reply_or_fail(
                events,
                who(&mut session, &mut store)
                    .and_then(|who| store.reject_violation(&who, id, reason, &note)),
                "reject",
                |()| Reply::Reviewed {
                    id,
                    decision: crate::domain::Decision::Rejected,
                },
            ),
            Command::Audit(entry) => {
                // The log names whoever is signed in here, whatever the UI wrote.
                let entry = crate::store::NewAuditEntry {
                    actor: session.actor(),
                    ..entry
                };
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

/// Whom this worker acts for: the user signed in through it, and this machine's engine for
/// what the console's own detection stores.
#[derive(Default)]
struct WorkerSession {
    signed_in: Option<Principal>,
    engine: Option<Principal>,
}

impl WorkerSession {
    /// The engine principal, made on first use (refused on a shared database with users).
    fn engine(&mut self, store: &mut Store) -> Result<Principal, StoreError> {
        if let Some(engine) = &self.engine {
            return Ok(engine.clone());
        }
        let engine = store.local_engine_principal()?;
        self.engine = Some(engine.clone());
        Ok(engine)
    }

    /// The audit log's name for what this console does.
    fn actor(&self) -> String {
        self.signed_in
            .as_ref()
            .map_or_else(crate::store::first_run_name, |who| who.name().to_owned())
    }
}

/// Whom a UI command acts for: the signed-in user, else (a database that never had a user) the
/// first-run principal, else the refusal.
fn who(session: &mut WorkerSession, store: &mut Store) -> Result<Principal, StoreError> {
    match &session.signed_in {
        Some(who) => Ok(who.clone()),
        None => store.first_run_principal(),
    }
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
    who: &crate::store::Principal,
) -> Result<(), String> {
    let mut confirmation = confirmation.clone();
    if let (Some(setup), Some(event)) = (evidence, store.event(id).map_err(|e| e.to_string())?) {
        let manifest = crate::evidence::check_event_evidence(&event, &setup.trusted())
            .map_err(|e| format!("event {id} cannot be confirmed: {e}"))?;
        // What the machine read comes from the verified bundle, not from the form.
        confirmation.read_by_machine = manifest.and_then(|m| m.plate).map(|p| p.formatted);
    }
    store
        .confirm_violation(who, id, &confirmation)
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
fn open_evidence(
    store: &mut Store,
    evidence: Option<&EvidenceSetup>,
    id: i64,
    who: &Principal,
    events: &SyncSender<Reply>,
) {
    if let Err(e) = who.require(crate::domain::Permission::Review) {
        return fail(events, e.to_string());
    }
    let stored = match store.event(id) {
        Ok(Some(event)) => event,
        Ok(None) => return fail(events, format!("event {id} is not in the database")),
        Err(e) => return fail(events, e.to_string()),
    };
    // A bundle is shown only once it verifies (trusted signer, every file intact, made for
    // this event); an altered one is refused naming the file.
    if let (Some(setup), Some(_)) = (evidence, &stored.evidence_path)
        && let Err(e) = crate::evidence::check_event_evidence(&stored, &setup.trusted())
    {
        return fail(
            events,
            format!("the evidence of event {id} is refused: {e}"),
        );
    }
    let bundle = stored.evidence_path;
    let Some(bundle) = bundle else {
        let _ = events.send(Reply::EvidenceOpened {
            id,
            stills: Vec::new(),
            plate: None,
        });
        return;
    };
    if let Err(e) = store.record_evidence_view(who, id) {
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
            Ok(picture) => stills.push(Still::from_picture(
                name.to_owned(),
                &picture,
                at_ms,
                overlay,
            )),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "evidence still unreadable")
            }
        }
    }
    let plate = manifest.and_then(|m| m.plate);
    let _ = events.send(Reply::EvidenceOpened { id, stills, plate });
}

/// Builds event `id`'s evidence on a thread of its own (it decodes seconds of video), with a
/// connection of its own.
fn spawn_build(
    location: &DatabaseLocation,
    setup: &EvidenceSetup,
    id: i64,
    who: Principal,
    events: &SyncSender<Reply>,
) {
    let (location, setup, sender) = (location.clone(), setup.clone(), events.clone());
    let spawned = std::thread::Builder::new()
        .name("evidence-build".into())
        .spawn(move || {
            let built = Store::open(&location)
                .map_err(crate::evidence::EvidenceError::from)
                .and_then(|mut store| {
                    if let Some(signer) = setup.checkpoint_signer(&crate::host::workstation()) {
                        store.set_checkpoint_signer(signer);
                    }
                    crate::evidence::build_for_event(&mut store, &who, id, &setup)
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
fn open_incident(store: &mut Store, id: i64, who: &Principal, events: &SyncSender<Reply>) {
    let found = (|| -> Result<Option<Reply>, crate::store::StoreError> {
        let actor = who.require(crate::domain::Permission::Replay)?;
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
fn open_library_entry(store: &mut Store, id: i64, who: &Principal, events: &SyncSender<Reply>) {
    let found = (|| -> Result<Option<Reply>, crate::store::StoreError> {
        let actor = who.require(crate::domain::Permission::Replay)?;
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
    who: &Principal,
    events: &SyncSender<Reply>,
) {
    let written = (|| -> Result<String, String> {
        who.require(crate::domain::Permission::ProduceNotices)
            .map_err(|e| e.to_string())?;
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
            .notice_produced(who, id, &path)
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
