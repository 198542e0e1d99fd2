//! The console's back end, seen from the UI: a named worker thread that owns the database
//! and answers commands with events over bounded channels. The UI only calls the non-blocking
//! methods of [`ServiceHandle`] and drains events once a frame; it never touches the store or a
//! thread itself. Dropping the handle stops the worker.

mod plate_commands;
mod ptz_commands;
mod ptz_driver;
mod shared_streams;
mod site_watch;
mod store_worker;
mod video_streams;

pub use shared_streams::{LentStream, SharedStreams};
pub use video_streams::{
    ApproachSignal, LiveEvent, RulesSetup, StreamKey, StreamKind, StreamUse, VideoStreams,
};

use crate::domain::RejectReason;
use crate::domain::geometry::JunctionGeometry;
use crate::domain::{Camera, Junction};
use crate::evidence::EvidenceSetup;
use crate::store::{
    Confirmation, DatabaseLocation, NewAuditEntry, NewEvent, ReviewFilter, StoredEvent,
    StoredGeometry, User,
};
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError, TrySendError};

/// Why a sign-in (or the first administrator's creation) did not sign anyone in: the refusals
/// the interface words in its language, or a problem of the database in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInFailure {
    Refused(crate::store::SignInError),
    Problem(String),
}

/// What the UI asks of the back end. No command says who asks: the back end acts for whoever
/// signed in through it ([`Command::SignIn`]), or, on a database that never had a user, for
/// the first-run principal; it checks that one's role for every command.
#[derive(Clone)]
pub enum Command {
    /// Read junctions and cameras again and send an [`Reply::Inventory`].
    ReloadInventory,
    /// Append to the audit log (its actor is replaced by whoever is signed in).
    Audit(NewAuditEntry),
    /// Save a camera's junction geometry as its next version (audited); answered by
    /// [`Reply::GeometrySaved`] and [`Reply::Geometries`].
    SaveGeometry { geometry: Box<JunctionGeometry> },
    /// Check a sign-in; answered by [`Reply::SignedIn`] or [`Reply::SignInFailed`].
    SignIn { username: String, password: String },
    /// End the sign-in (audited); later commands are refused until the next one.
    SignOut,
    /// Create the first administrator of a database without users, and sign them in.
    CreateFirstAdministrator {
        username: String,
        display_name: String,
        password: String,
    },
    /// Store what was drawn over the pictures (for replays).
    RecordOverlays(Vec<crate::domain::overlay::RecordedOverlay>),
    /// Send what engines elsewhere draw over these cameras as they store it
    /// ([`Reply::LiveOverlays`]); an empty list stops it.
    FollowOverlays(Vec<String>),
    /// The trainers' library; answered by [`Reply::Library`].
    LoadLibrary,
    /// Save an incident to the library (audited); answered by [`Reply::Library`].
    SaveToLibrary { entry: crate::store::LibraryEntry },
    /// Open a library entry for replay (audited); answered by [`Reply::IncidentRecordings`].
    OpenLibraryEntry { id: i64 },
    /// Incidents that can be replayed; answered by [`Reply::Incidents`].
    LoadIncidents,
    /// The recordings of every camera of event `id`'s junction around it (the opening is
    /// audited); answered by [`Reply::IncidentRecordings`].
    OpenIncident { id: i64 },
    /// The review queue; answered by [`Reply::ReviewQueue`].
    LoadReview(ReviewFilter),
    /// Open event `id`'s evidence (the view is audited); answered by [`Reply::EvidenceOpened`].
    OpenEvidence { id: i64 },
    /// Build event `id`'s evidence bundle from the recordings (on a thread of its own);
    /// answered by [`Reply::EvidenceBuilt`] or [`Reply::Failed`].
    BuildEvidence { id: i64 },
    /// Confirmed violations with their deadlines; answered by [`Reply::Confirmed`].
    LoadConfirmed,
    /// Write the notice PDF of confirmed event `id` (audited); answered by
    /// [`Reply::NoticeProduced`].
    ProduceNotice { id: i64 },
    /// Confirm event `id`; answered by [`Reply::Reviewed`].
    Confirm { id: i64, confirmation: Confirmation },
    /// Reject event `id`; answered by [`Reply::Reviewed`].
    Reject {
        id: i64,
        reason: RejectReason,
        note: String,
    },
    /// Each camera's vehicles in the last hour against its usual level for that hour, and the
    /// per-minute counts of the last hour of `detail`; answered by [`Reply::Flows`].
    LoadFlows {
        cameras: Vec<String>,
        detail: Option<String>,
    },
    /// Store an event the rules raised; answered by [`Reply::EventRecorded`].
    RecordEvent { alarm: u64, event: NewEvent },
    /// Move a stored event on in the dispatcher's workflow (audited).
    SetEventState {
        id: i64,
        state: crate::domain::EventState,
    },
    /// A plate sighting and its close-up; answered by [`Reply::PlateSighting`].
    OpenPlateSighting { id: i64 },
    /// Every sighting and event of a plate (audited); answered by [`Reply::PlateSearch`].
    SearchPlates { text: String },
    /// The watch list in force; answered by [`Reply::Watchlist`].
    LoadWatchlist,
    /// Put a plate on the watch list (audited); answered by [`Reply::Watchlist`].
    AddToWatchlist {
        plate: String,
        reason: String,
        /// Through this date (`YYYY-MM-DD`, Vietnam time); empty: until taken off.
        until: String,
    },
    /// Take entry `id` off the watch list (audited); answered by [`Reply::Watchlist`].
    RemoveFromWatchlist { id: i64 },
    /// The camera log-ins of this workstation (`credentials.toml`), for steering cameras.
    UseCameraCredentials(crate::config::CameraCredentials),
    /// Steer PTZ camera `camera`: the store takes the control lease for whoever is signed in
    /// (or refuses, naming the holder), then the PTZ driver calls the camera; answered by
    /// [`Reply::Ptz`].
    Ptz { camera: String, op: PtzOp },
}

/// What a dispatcher asks of a PTZ camera.
#[derive(Debug, Clone, PartialEq)]
pub enum PtzOp {
    /// Move at `speed` for at most `timeout_ms` (the camera stops itself then).
    Move {
        speed: crate::domain::ptz::PtzVector,
        timeout_ms: u64,
    },
    /// Stop every motor (a zero-speed move and Stop).
    Stop,
    /// Go to the preset with this token.
    GotoPreset(String),
    /// Turn so that the point `x`, `y` of the picture (each −1…1 from its centre, up
    /// positive) comes to the centre: a relative move in the field-of-view space.
    Centre { x: f32, y: f32 },
    /// The camera's presets, answered in [`PtzNews::presets`].
    LoadPresets,
    /// Give the control back.
    Release,
    /// Who holds the control now (no call to the camera).
    Holder,
}

/// News of a PTZ camera for its tile: who steers it, its presets, what went wrong.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PtzNews {
    pub camera: String,
    /// The holder's name and role, when the store said (`Some(None)`: no one holds it).
    pub holder: Option<Option<(String, crate::domain::Role)>>,
    pub presets: Option<Vec<crate::domain::ptz::PtzPreset>>,
    /// A refusal of the lease or a camera's failure, in words.
    pub error: Option<String>,
}

/// What the back end answers or tells the UI (a reply to a command, or news from the site).
#[derive(Debug, Clone)]
pub enum Reply {
    /// The database is open (and was seeded with the sample inventory when new).
    Opened {
        /// Where the database is, password hidden.
        location: String,
        /// A short form for the status bar.
        short_name: String,
        seeded: bool,
    },
    /// The current registry.
    Inventory(Inventory),
    /// Alarm `alarm` of the UI is stored as event `id`.
    EventRecorded {
        alarm: u64,
        id: i64,
    },
    /// The newest geometry version of every camera that has one.
    Geometries(Vec<StoredGeometry>),
    /// A camera's geometry is stored as `version`.
    GeometrySaved {
        camera: String,
        version: i32,
    },
    /// Whether the database has any user yet (sent when it opens).
    UsersExist(bool),
    SignedIn(User),
    SignInFailed(SignInFailure),
    /// Events stored by anyone (engines, other consoles) that this console has not shown,
    /// oldest first; at start, the open ones of the last hours.
    SiteEvents(Vec<StoredEvent>),
    /// Events whose state another console (or this one) changed: (id, state).
    EventStates(Vec<(i64, crate::domain::EventState)>),
    /// What engines drew over the followed cameras, oldest first.
    LiveOverlays(Vec<crate::domain::overlay::RecordedOverlay>),
    /// The engines of the site and the enabled cameras no engine holds (every 2 s).
    Engines {
        engines: Vec<crate::store::EngineListing>,
        unheld: Vec<String>,
    },
    /// Events with a wall-clock time, newest first (at most 500).
    Incidents(Vec<StoredEvent>),
    /// The trainers' library, newest first.
    Library(Vec<crate::store::LibraryEntry>),
    /// What replaying incident `id` needs: its moment, the cameras of its junction and their
    /// recordings.
    IncidentRecordings {
        id: i64,
        at_ms: i64,
        /// The span to replay, UTC ms.
        from_ms: i64,
        to_ms: i64,
        cameras: Vec<String>,
        recordings: Vec<crate::store::RecordingRow>,
        /// What was drawn over those cameras' pictures then.
        overlays: Vec<crate::domain::overlay::RecordedOverlay>,
        /// Each camera's junction geometry in force then (the version saved last before).
        geometries: Vec<(String, JunctionGeometry)>,
    },
    /// Events for review, newest first.
    ReviewQueue(Vec<StoredEvent>),
    /// The stills of event `id`'s evidence (RGBA pictures with their names), and the plate
    /// as the machine read it when the bundle was built (a suggestion for the reviewer).
    EvidenceOpened {
        id: i64,
        stills: Vec<Still>,
        plate: Option<crate::domain::PlateReading>,
    },
    /// Event `id`'s evidence bundle is at `path`.
    EvidenceBuilt {
        id: i64,
        path: String,
    },
    /// Event `id` is decided.
    Reviewed {
        id: i64,
        decision: crate::domain::Decision,
    },
    /// Confirmed violations, oldest first.
    Confirmed(Vec<StoredEvent>),
    /// The notice of event `id` is at `path`.
    NoticeProduced {
        id: i64,
        path: String,
    },
    /// Traffic flow: (camera, vehicles in the last hour, usual level for the hour), and the
    /// last hour's per-minute counts of the camera asked for in detail.
    Flows {
        flows: Vec<(String, u64, Option<f64>)>,
        detail: Option<(String, Vec<crate::domain::traffic_count::MinuteCount>)>,
    },
    /// A plate sighting with its close-up.
    PlateSighting(Box<PlateCloseUp>),
    /// What a plate search found: the sightings (each with its close-up) and events, newest
    /// first.
    PlateSearch {
        query: String,
        sightings: Vec<PlateCloseUp>,
        events: Vec<StoredEvent>,
    },
    /// The watch list in force, newest first.
    Watchlist(Vec<crate::store::WatchEntry>),
    /// Something failed; the message says what and where. The worker keeps serving.
    Failed {
        message: String,
    },
    /// News of a PTZ camera (its holder, presets, a failure).
    Ptz(PtzNews),
}

/// A plate sighting and its close-up decoded for display (`None` when it cannot be read).
#[derive(Clone, PartialEq)]
pub struct PlateCloseUp {
    pub sighting: crate::store::PlateSighting,
    pub close_up: Option<Still>,
}

impl std::fmt::Debug for PlateCloseUp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PlateCloseUp({})", self.sighting.id)
    }
}

/// Junctions and cameras as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    pub junctions: Vec<Junction>,
    pub cameras: Vec<Camera>,
}

/// An evidence still, decoded for display.
#[derive(Clone, PartialEq)]
pub struct Still {
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
    /// When its picture was taken (from the manifest), UTC ms.
    pub at_ms: Option<i64>,
    /// What the console drew over that picture, if recorded.
    pub overlay: Option<crate::domain::overlay::RecordedOverlay>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Passwords never reach a log.
        match self {
            Command::SignIn { username, .. } => write!(f, "SignIn({username}, ***)"),
            Command::CreateFirstAdministrator { username, .. } => {
                write!(f, "CreateFirstAdministrator({username}, ***)")
            }
            other => write!(f, "{}", command_name(other)),
        }
    }
}

fn command_name(command: &Command) -> &'static str {
    match command {
        Command::ReloadInventory => "ReloadInventory",
        Command::Audit(_) => "Audit",
        Command::RecordEvent { .. } => "RecordEvent",
        Command::SetEventState { .. } => "SetEventState",
        Command::SaveGeometry { .. } => "SaveGeometry",
        Command::SignIn { .. } => "SignIn",
        Command::SignOut => "SignOut",
        Command::CreateFirstAdministrator { .. } => "CreateFirstAdministrator",
        Command::LoadReview(_) => "LoadReview",
        Command::LoadIncidents => "LoadIncidents",
        Command::LoadConfirmed => "LoadConfirmed",
        Command::LoadFlows { .. } => "LoadFlows",
        Command::ProduceNotice { .. } => "ProduceNotice",
        Command::LoadLibrary => "LoadLibrary",
        Command::SaveToLibrary { .. } => "SaveToLibrary",
        Command::OpenLibraryEntry { .. } => "OpenLibraryEntry",
        Command::RecordOverlays(_) => "RecordOverlays",
        Command::FollowOverlays(_) => "FollowOverlays",
        Command::OpenIncident { .. } => "OpenIncident",
        Command::OpenEvidence { .. } => "OpenEvidence",
        Command::BuildEvidence { .. } => "BuildEvidence",
        Command::OpenPlateSighting { .. } => "OpenPlateSighting",
        Command::SearchPlates { .. } => "SearchPlates",
        Command::LoadWatchlist => "LoadWatchlist",
        Command::AddToWatchlist { .. } => "AddToWatchlist",
        Command::RemoveFromWatchlist { .. } => "RemoveFromWatchlist",
        Command::UseCameraCredentials(_) => "UseCameraCredentials",
        Command::Ptz { .. } => "Ptz",
        Command::Confirm { .. } => "Confirm",
        Command::Reject { .. } => "Reject",
    }
}

impl Still {
    /// `picture` decoded for display, named `name`, taken at `at_ms`.
    pub fn from_picture(
        name: String,
        picture: &image::DynamicImage,
        at_ms: Option<i64>,
        overlay: Option<crate::domain::overlay::RecordedOverlay>,
    ) -> Self {
        let rgba = picture.to_rgba8();
        Self {
            name,
            width: rgba.width(),
            height: rgba.height(),
            rgba: rgba.into_raw(),
            at_ms,
            overlay,
        }
    }
}

impl std::fmt::Debug for Still {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Still({} {}×{})", self.name, self.width, self.height)
    }
}

/// Capacity of each channel; commands beyond it are refused, events wait.
const CHANNEL_CAPACITY: usize = 64;

/// The UI's end of the back end.
pub struct ServiceHandle {
    commands: SyncSender<Command>,
    events: Receiver<Reply>,
    waker: Waker,
    session: Session,
}

/// Whom the back end acts for now, as the store worker last established it (signed in, signed
/// out, or the first-run principal); the video streams of a console ask it before they play
/// live video for anyone.
#[derive(Clone, Default)]
pub struct Session(std::sync::Arc<std::sync::Mutex<SessionState>>);

#[derive(Default)]
enum SessionState {
    /// The database has not been opened yet.
    #[default]
    Unknown,
    Nobody,
    Acting(crate::store::Principal),
}

impl Session {
    pub(crate) fn set(&self, who: Option<crate::store::Principal>) {
        if let Ok(mut state) = self.0.lock() {
            *state = who.map_or(SessionState::Nobody, SessionState::Acting);
        }
    }

    /// `None` while not known yet; else whether whoever acts may, with a refusal to show.
    /// (Asked for every tile every frame: it reads under the lock, copying nothing.)
    pub fn allows(&self, permission: crate::domain::Permission) -> Option<Result<(), String>> {
        let state = self.0.lock().ok()?;
        match &*state {
            SessionState::Unknown => None,
            SessionState::Nobody => Some(Err(format!(
                "refused: nobody is signed in, and only a signed-in user may {}",
                permission.describe()
            ))),
            SessionState::Acting(who) => Some(
                who.require(permission)
                    .map(|_| ())
                    .map_err(|e| e.to_string()),
            ),
        }
    }
}

/// How the back end wakes an idle UI when something arrives that nobody asked for (an
/// engine's alarm, another console's decision).
pub(crate) type Waker = std::sync::Arc<std::sync::Mutex<Option<Box<dyn Fn() + Send + Sync>>>>;

/// Why a command did not reach the back end.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SendError {
    #[error("the back end is busy; try again")]
    Busy,
    #[error("the back end has stopped")]
    Stopped,
}

impl ServiceHandle {
    /// Starts the store worker on `location`. Opening happens on the worker; its outcome
    /// arrives as the first event.
    pub fn start(location: DatabaseLocation) -> std::io::Result<Self> {
        Self::start_with(location, None)
    }

    /// As [`Self::start`], building evidence bundles with `evidence`.
    pub fn start_with(
        location: DatabaseLocation,
        evidence: Option<EvidenceSetup>,
    ) -> std::io::Result<Self> {
        let (command_tx, command_rx) = std::sync::mpsc::sync_channel(CHANNEL_CAPACITY);
        let (event_tx, event_rx) = std::sync::mpsc::sync_channel(CHANNEL_CAPACITY);
        let waker = Waker::default();
        let worker_waker = std::sync::Arc::clone(&waker);
        let session = Session::default();
        let worker_session = session.clone();
        std::thread::Builder::new()
            .name("store-worker".into())
            .spawn(move || {
                store_worker::run(
                    &location,
                    evidence.as_ref(),
                    &command_rx,
                    &event_tx,
                    worker_waker,
                    &worker_session,
                )
            })?;
        Ok(Self {
            commands: command_tx,
            events: event_rx,
            waker,
            session,
        })
    }

    /// Whom the back end acts for now (for the video streams' live-video check).
    pub fn session(&self) -> Session {
        self.session.clone()
    }

    /// Has the back end call `wake` after it sends an event the UI did not ask for (the UI
    /// asks egui for a repaint there, so an idle console shows a new alarm at once).
    pub fn set_waker(&self, wake: impl Fn() + Send + Sync + 'static) {
        if let Ok(mut waker) = self.waker.lock() {
            *waker = Some(Box::new(wake));
        }
    }

    /// Queues a command without blocking.
    pub fn send(&self, command: Command) -> Result<(), SendError> {
        self.commands.try_send(command).map_err(|e| match e {
            TrySendError::Full(_) => SendError::Busy,
            TrySendError::Disconnected(_) => SendError::Stopped,
        })
    }

    /// The next event, if one is waiting.
    pub fn try_next(&self) -> Option<Reply> {
        match self.events.try_recv() {
            Ok(event) => Some(event),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => None,
        }
    }
}
