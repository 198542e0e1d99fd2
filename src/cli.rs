//! Command-line interface: with no subcommand the console window opens; subcommands manage the
//! camera registry and render screenshots.

use crate::registry::RegistryFormat;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "dienbien-dispatch",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("DISPATCH_GIT_REVISION"), ")"),
    about = "Dispatch console of the Điện Biên traffic-police camera system"
)]
pub struct Cli {
    /// Database: a SQLite file path, or postgres://user@host/db. Default: dispatch.db in the
    /// user's data folder.
    #[arg(
        long = "db",
        env = "DATABASE_URL",
        global = true,
        hide_env_values = true
    )]
    pub database: Option<String>,

    /// Configuration file (TOML). Default: config.toml in the user's config folder, if present.
    #[arg(long, env = "DISPATCH_CONFIG", global = true)]
    pub config: Option<PathBuf>,

    /// Base map: "none", a tile URL template (https://…/{z}/{x}/{y}.png) or a .pmtiles file.
    #[arg(long, env = "DISPATCH_TILES", global = true)]
    pub tiles: Option<String>,

    /// Folder holding the detection models (yolox-nano/yolox_nano.onnx). Default: models/ in
    /// the user's data folder.
    #[arg(long, env = "DISPATCH_MODELS_DIR", global = true)]
    pub models_dir: Option<PathBuf>,

    /// Do not play the built-in sample clips on the sample inventory's cameras (they play
    /// until a real registry is imported). Also `[samples] play = false`.
    #[arg(long, global = true)]
    pub no_samples: bool,

    /// Sign in as this user (or service account) for this command; the password comes from
    /// DISPATCH_PASSWORD or a prompt. Without it, the token `login` saved is used.
    #[arg(long, env = "DISPATCH_USER", global = true)]
    pub user: Option<String>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage the camera registry.
    #[command(subcommand)]
    Cameras(CamerasCommand),
    /// Render the dispatch view offscreen and write a PNG.
    Screenshot(ScreenshotArgs),
    /// Detect vehicles, people and traffic lights in pictures (JPEG or PNG) and print the boxes
    /// in picture pixels.
    Detect(DetectArgs),
    /// Run ingest → decode → detect without a window and print the detections of each analysed
    /// frame as JSON lines, then a summary.
    Analyze(AnalyzeArgs),
    /// Connect to a camera or file and report codec, size, frame rate and time to the first
    /// picture (exit status 1 when no picture can be decoded).
    Probe(ProbeArgs),
    /// Run the violation rules on recorded tracks and signal states (see docs/rules-replay.md).
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Signal controllers: a simulator of the controller feed (see docs/signal-feed.md).
    #[command(subcommand)]
    Signals(SignalsCommand),
    /// Junction geometries in the database (versioned; the console's editor saves there too).
    #[command(subcommand)]
    Geometry(GeometryCommand),
    /// The audit log: its newest entries, and a check of its hash chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Record a camera's main stream without re-encoding into MP4 segments indexed in the
    /// database, until --duration-secs or until stopped (a stop by any means loses at most
    /// the open segment's last second; the next start recovers it).
    Record(RecordArgs),
    /// Recording segments: list them, or bring the index and the files into agreement.
    #[command(subcommand)]
    Recordings(RecordingsCommand),
    /// Evidence bundles: build one for a stored event from the recordings, or verify one.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Review of violations: the queue, confirm or reject, the notice, the portal export.
    #[command(subcommand)]
    Review(ReviewCommand),
    /// The console's users and their roles.
    #[command(subcommand)]
    Users(UsersCommand),
    /// The trainers' library of saved incidents, and exercises made from them.
    #[command(subcommand)]
    Library(LibraryCommand),
    /// Traffic counts of the flow cameras (vehicles over count lines, per minute).
    #[command(subcommand)]
    Counts(CountsCommand),
    /// The enforcement engine, headless: takes its share of the enabled cameras by lease in
    /// the database, records each one's main stream and searches it (detection, tracking,
    /// signals, rules), storing events, overlays, health and segments, until SIGTERM.
    Serve(ServeArgs),
    /// Sign in for the commands that follow (one shift, 8 hours): needs --user; the token is
    /// kept in a file only this account can read.
    Login,
    /// End the sign-in `login` made (the token is revoked in the database and deleted).
    Logout,
    /// Licence plates: read them in pictures, generate a labelled test set, measure the reader.
    #[command(subcommand)]
    Plates(PlatesCommand),
    /// The watch list: plates wanted; a listed plate read on any camera raises an alarm on
    /// every console (supervisors; every change and every hit audited).
    #[command(subcommand)]
    Watchlist(WatchlistCommand),
    /// Steer a PTZ camera over ONVIF (its `onvif_url` in the registry, its log-in in
    /// credentials.toml), through the same control lease and audit as the console.
    #[command(subcommand)]
    Ptz(PtzCommand),
    /// The engines of this database, the cameras each holds and their health.
    Engines {
        /// One JSON array of objects (name, host, state, last_heartbeat_ms, capacity, load,
        /// cameras, health, status).
        #[arg(long)]
        json: bool,
    },
}

/// Where recordings go and how long their segments are (`record`, `serve`).
#[derive(Debug, Clone, clap::Args)]
pub struct SegmentArgs {
    /// Recordings folder. Default: [recording] dir, or recordings/ in the data folder.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Seconds of video a segment holds (it ends at the next keyframe after).
    #[arg(long, default_value_t = 60.0)]
    pub segment_secs: f64,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// This engine's name, unique on the database. Default: the host name.
    #[arg(long)]
    pub name: Option<String>,
    /// Cameras it may hold. Default: [engine] capacity (16).
    #[arg(long)]
    pub capacity: Option<i64>,
    /// Seconds a camera lease lasts without renewal. Default: [engine] lease_s (10).
    #[arg(long)]
    pub lease_secs: Option<f64>,
    #[command(flatten)]
    pub segments: SegmentArgs,
    /// Stop cleanly after this many seconds (as SIGTERM would).
    #[arg(long)]
    pub duration_secs: Option<f64>,
}

#[derive(Debug, clap::Subcommand)]
pub enum LibraryCommand {
    List,
    /// Save event ID's incident: every camera of its junction, SECONDS either side.
    Save {
        #[arg(long)]
        event: i64,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        notes: String,
        #[arg(long, default_value_t = 20)]
        seconds: i64,
    },
    /// Make an exercise of library entry ID: each camera's recording of its span copied into
    /// DIR (no re-encoding) and registered as a simulated camera (TRAIN<ID>-<CAMERA>, same
    /// junction and place) that plays on the wall with detection and rules like a live one.
    Exercise {
        id: i64,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum CountsCommand {
    /// The per-minute counts of camera CODE from FROM to TO (Vietnam time, "YYYY-MM-DD HH:MM"):
    /// minute, count line, direction, class and vehicles.
    Export {
        #[arg(long)]
        camera: String,
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// `csv` (with a byte-order mark, for spreadsheets) or `json` (one array).
        #[arg(long, default_value = "csv", value_parser = ["csv", "json"])]
        format: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum UsersCommand {
    /// Add a user; the password is read from DISPATCH_NEW_PASSWORD, or else from the first
    /// line of standard input.
    Add {
        username: String,
        /// dispatcher, reviewer, supervisor, trainer, administrator, or engine (a service
        /// account for `serve`). On a database that never had a user, only the first
        /// administrator can be added, without signing in.
        #[arg(long)]
        role: String,
        #[arg(long)]
        name: Option<String>,
    },
    List,
    /// Change a user's role.
    SetRole {
        username: String,
        #[arg(long)]
        role: String,
    },
    /// Disable a user (users are never deleted: the audit log names them).
    Disable {
        username: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ReviewCommand {
    /// Violations waiting for review, newest first.
    List {
        /// Decided ones too.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        kind: Option<String>,
        #[arg(long)]
        class: Option<String>,
        #[arg(long)]
        camera: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Confirm event ID as a violation, with the plate read from the evidence.
    Confirm {
        id: i64,
        /// The plate as written on it, e.g. 27A-123.45 or 27-B1 123.45.
        #[arg(long)]
        plate: String,
        /// white, yellow, blue or red.
        #[arg(long)]
        colour: String,
        /// The vehicle's class when the detector's was wrong (car, motorbike, bus, truck).
        #[arg(long)]
        class: Option<String>,
    },
    /// Reject event ID: plate-unreadable, no-violation, priority-vehicle, officer-directed,
    /// duplicate, equipment-fault or other.
    Reject {
        id: i64,
        #[arg(long)]
        reason: String,
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Write the notice of confirmed event ID (A4 PDF, Vietnamese).
    Notice {
        id: i64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Export the confirmed violations as portal rows (columns in the portal's order).
    Export {
        #[arg(long, value_enum, default_value = "csv")]
        format: ExportFormat,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Debug, clap::Subcommand)]
pub enum EvidenceCommand {
    /// Build the signed bundle of stored event ID (stills with the data bar, a ±6 s clip, the
    /// manifest) from the recordings of its camera.
    Build {
        #[arg(long)]
        event: i64,
        /// Folder of bundles. Default: [evidence] dir, or evidence/ in the data folder.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Release (delete) the evidence of rejected event ID, with the reason (audited). A
    /// confirmed violation's evidence is kept for its legal period.
    Release {
        id: i64,
        #[arg(long)]
        reason: String,
    },
    /// Delete the bundles of events older than the legal period (ND 168 Art. 4: one year),
    /// each audited.
    Expire {
        #[arg(long)]
        dry_run: bool,
    },
    /// Check a bundle's signature and every file's SHA-256; exit status 1 naming the first
    /// file that was altered.
    Verify {
        path: PathBuf,
        /// Also trust this public key (hex), besides this workstation's and the configured ones.
        #[arg(long)]
        trust: Vec<String>,
    },
}

#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// Camera code (its main stream is recorded unless --source is given).
    #[arg(long, required_unless_present = "all")]
    pub camera: Option<String>,
    /// Every enabled camera of the registry: the engine (`serve`) with room for all of them,
    /// recording each (and analysing those configured), until stopped.
    #[arg(long, conflicts_with_all = ["camera", "source"])]
    pub all: bool,
    /// A URL or file to record instead of the camera's main stream.
    #[arg(long)]
    pub source: Option<String>,
    #[command(flatten)]
    pub segments: SegmentArgs,
    /// Stop after this many seconds of video (with --all: of wall-clock time).
    #[arg(long)]
    pub duration_secs: Option<f64>,
}

#[derive(Debug, clap::Subcommand)]
pub enum RecordingsCommand {
    /// List the indexed segments, oldest first.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Close segments left open by a stop, index files without rows, report rows without
    /// files (the console and `record` do this at start).
    Recover {
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Delete footage past its retention ([recording] continuous_days, event_days) and, when
    /// the disk is short of space, the oldest continuous footage; every deletion audited.
    Prune {
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Say what would be deleted, delete nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum AuditCommand {
    /// Check the hash chain of the whole log; exit status 1 and the first broken entry if it
    /// was altered.
    Verify {
        #[arg(long)]
        json: bool,
    },
    /// Print the newest entries, newest first.
    List {
        #[arg(long, default_value_t = 20)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum GeometryCommand {
    /// Store geometry files (JSON, docs/rules-replay.md) as the next version of their camera's.
    Import {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print a camera's geometry (the newest version, or `--version N`) as JSON.
    Export {
        camera: String,
        #[arg(long)]
        version: Option<i32>,
    },
    /// List the versions of a camera's geometry: when and by whom each was saved.
    History { camera: String },
}

#[derive(Debug, clap::Subcommand)]
pub enum SignalsCommand {
    /// Serve a fixed-time plan as a controller feed on the wall clock, until stopped.
    Simulate {
        /// The plan (JSON: cycle_s, offset_s, groups).
        #[arg(long)]
        plan: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7070")]
        listen: String,
        /// The junction whose feed this stands for: its lines are signed with the junction's
        /// key from credentials.toml ([signal_keys]).
        #[arg(long)]
        junction: String,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum RulesCommand {
    /// Re-run the rules on recorded tracks and print the events they raise.
    Replay(ReplayArgs),
}

#[derive(Debug, clap::Args)]
pub struct ReplayArgs {
    /// Junction geometry of the camera (JSON).
    #[arg(long)]
    pub geometry: PathBuf,
    /// Ground points of tracks (JSON lines: t_ms, track, class, x, y).
    #[arg(long)]
    pub tracks: PathBuf,
    /// Signal changes (JSON lines: t_ms, group, state).
    #[arg(long, conflicts_with = "plan")]
    pub signals: Option<PathBuf>,
    /// A fixed-time signal plan (JSON: cycle_s, offset_s, groups).
    #[arg(long)]
    pub plan: Option<PathBuf>,
    /// Milliseconds into red during which crossing the stop line is tolerated.
    #[arg(long, default_value_t = 500)]
    pub grace_ms: i64,
    /// Crossing on amber: `ignore` (default) or `review` (raised for a reviewer to judge).
    #[arg(long, default_value = "ignore", value_parser = ["ignore", "review"])]
    pub amber: String,
    /// Print JSON lines instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct DetectArgs {
    #[command(subcommand)]
    pub command: Option<DetectCommand>,
    /// Picture files.
    #[arg(required = true)]
    pub images: Vec<PathBuf>,
    /// Print one JSON object per picture instead of text.
    #[arg(long)]
    pub json: bool,
    /// How each picture is searched: SIZE (the picture fitted into SIZE × SIZE) or
    /// SIZE:COLUMNSxROWS (cut into overlapping tiles, each fitted into SIZE × SIZE).
    #[arg(long, default_value = "416")]
    pub scale: String,
    /// The detector's weights: vietnam (tuned) or coco. Default: `[detect] weights`, else
    /// vietnam.
    #[arg(long)]
    pub weights: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum PlatesCommand {
    /// Read the plates in pictures: one JSON line per picture (image, plates: text, formatted,
    /// rows, colour, confidence, chars, corners).
    Read {
        /// Picture files (JPEG or PNG).
        #[arg(required = true)]
        images: Vec<PathBuf>,
        /// Each picture is a plate itself (no detection).
        #[arg(long)]
        crop: bool,
        /// Print the JSON lines (the default prints one line of text per plate).
        #[arg(long)]
        json: bool,
    },
    /// Write rendered plates (every layout and colour, at an angle, small, blurred, noisy,
    /// with glare) and their labels.tsv into a folder.
    Generate {
        folder: PathBuf,
        #[arg(long, default_value_t = 400)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Paint the rendered plates over the plates the detector finds in this photograph
        /// (one picture per plate layout and colour, each named in labels.tsv) instead of
        /// rendering plates alone.
        #[arg(long)]
        onto: Option<PathBuf>,
    },
    /// Every event and sighting of a plate (one character off allowed), newest first, across
    /// cameras and time; the search is audited.
    Search {
        /// The plate, any spacing (27A-123.45, 27a12345).
        text: String,
        /// Sightings and events shown at most (each).
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Write each sighting's plate close-up into this folder (SIGHTING.jpg).
        #[arg(long)]
        close_ups: Option<PathBuf>,
        /// One JSON object (query, sightings, events).
        #[arg(long)]
        json: bool,
    },
    /// How the machine's plate readings fared in review: violations confirmed with a reading,
    /// how many the reviewers corrected, how many were typed by hand.
    Accuracy {
        /// Count confirmations from this date (YYYY-MM-DD, Vietnam time).
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Delete the plate sightings past their retention period that no event refers to (the
    /// engine does it every 10 minutes); audited.
    Purge {
        /// Keep this many days (default: `[engine] plate_days`, 30).
        #[arg(long)]
        days: Option<f64>,
    },
    /// Measure the reader on a folder of pictures with a labels.tsv (file, text[, layout]):
    /// exact-plate and character accuracy, by layout, and the time per plate.
    Eval {
        folder: PathBuf,
        /// The pictures are plates themselves (no detection).
        #[arg(long)]
        crop: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum PtzCommand {
    /// Where the camera points (when it says), whether it moves, who holds its control.
    Status { code: String },
    /// Move at a speed (pan, tilt, zoom each −1…1) for some seconds, then stop; the camera is
    /// told the duration too, so it stops by itself if this command is cut off.
    Move {
        code: String,
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
        pan: f32,
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
        tilt: f32,
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
        zoom: f32,
        /// How long, in seconds (0.1–60).
        #[arg(long, default_value_t = 1.0)]
        secs: f32,
    },
    /// Stop every motor.
    Stop { code: String },
    /// The presets saved on the camera (token and name).
    Presets { code: String },
    /// Go to a preset, by token or name.
    Goto { code: String, preset: String },
    /// Save where the camera points as a preset (over the preset with --token).
    SavePreset {
        code: String,
        name: String,
        #[arg(long)]
        token: Option<String>,
    },
    /// Remove a preset, by token or name.
    RemovePreset { code: String, preset: String },
    /// Go to the camera's home position (with --set: make where it points its home).
    Home {
        code: String,
        #[arg(long)]
        set: bool,
    },
    /// Give the camera's control back before its 15 s lapse.
    Release { code: String },
}

#[derive(Debug, Subcommand)]
pub enum WatchlistCommand {
    /// Put a plate on the watch list.
    Add {
        /// The plate, any spacing (27A-123.45).
        plate: String,
        /// Why it is wanted (shown with every alarm).
        #[arg(long)]
        reason: String,
        /// Listed through this date (YYYY-MM-DD, Vietnam time); without it, until removed.
        #[arg(long)]
        until: Option<String>,
    },
    /// The plates listed now (with --all, every entry ever made).
    List {
        #[arg(long)]
        all: bool,
        /// One JSON line per entry.
        #[arg(long)]
        json: bool,
    },
    /// Take an entry off the watch list (it is kept, marked removed).
    Remove { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum DetectCommand {
    /// Measure the detector on pictures with boxes: recall and precision per class at IoU 0.5
    /// and 0.3, recall by object size, and the time per picture, for each search scale given.
    Eval(DetectEvalArgs),
    /// Tune the detector's prediction layers to labelled pictures (the rest of the network
    /// frozen), write the tuned model and measure it against the one it started from.
    Train(DetectTrainArgs),
}

#[derive(Debug, clap::Args)]
pub struct DetectTrainArgs {
    /// The training split: images/ and labels/ (YOLO).
    pub train: PathBuf,
    /// The split the result is measured on (not trained on).
    #[arg(long)]
    pub valid: PathBuf,
    /// Where the tuned model (ONNX) is written.
    #[arg(long)]
    pub out: PathBuf,
    /// The dataset's class indices in order, as console classes.
    #[arg(long, default_value = "car,motorbike,truck,bus")]
    pub classes: String,
    /// Stretch each picture to this aspect ratio first (16:9 for vn-vehicles).
    #[arg(long)]
    pub aspect: Option<String>,
    /// Views of each picture (cycling: whole at 640, a part enlarged at 640, whole at 416).
    #[arg(long, default_value_t = 3)]
    pub views: usize,
    /// Passes over the samples.
    #[arg(long, default_value_t = 30)]
    pub epochs: usize,
    /// AdamW's learning rate.
    #[arg(long, default_value_t = 0.002)]
    pub learning_rate: f64,
    /// Share of background cells kept.
    #[arg(long, default_value_t = 0.05)]
    pub background_share: f64,
    /// Seed of the views, the background kept and the order of the samples.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Use only the first N training pictures.
    #[arg(long)]
    pub limit: Option<usize>,
    /// Tune only the prediction layers; by default the head branches' last 1×1 convolutions
    /// are tuned too (a hidden layer per branch).
    #[arg(long)]
    pub linear_only: bool,
    /// Keep the scores of the 73 COCO classes the console does not use (by default they are
    /// set to none, so that none of them takes a cell from the seven).
    #[arg(long)]
    pub keep_other_classes: bool,
    /// Scales the two models are measured at on the valid split (repeat the option).
    #[arg(long = "scale", default_value = "416")]
    pub scales: Vec<String>,
    /// Video clips on which the tuned model's people and bicycles are compared with the COCO
    /// model's (its boxes scoring 0.5 or more taken as the truth); repeat the option.
    #[arg(long = "clip")]
    pub clips: Vec<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct DetectEvalArgs {
    /// A folder with images/ and labels/ (one YOLO label file per picture, `class cx cy w h`
    /// a line), e.g. the valid/ split of a Roboflow YOLO export.
    pub dir: PathBuf,
    /// The dataset's class indices in order, as console classes.
    #[arg(long, default_value = "car,motorbike,truck,bus")]
    pub classes: String,
    /// Search scales to compare in one run (SIZE or SIZE:COLUMNSxROWS); repeat the option.
    #[arg(long = "scale", default_value = "416")]
    pub scales: Vec<String>,
    /// Stretch each picture to this aspect ratio before searching, e.g. 16:9 for exports that
    /// squeezed 16:9 camera pictures into squares (the labels are fractions, so they follow).
    #[arg(long)]
    pub aspect: Option<String>,
    /// Use only the first N pictures (in name order).
    #[arg(long)]
    pub limit: Option<usize>,
    /// Weights to measure (vietnam, coco); repeat the option to compare them in one run.
    /// Default: `[detect] weights`, else vietnam.
    #[arg(long = "weights")]
    pub weights: Vec<String>,
    /// Print the report as one JSON object.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct AnalyzeArgs {
    /// rtsp:// or file:/// URL, or a plain path to a recording.
    #[arg(long)]
    pub source: String,
    /// Frames analysed per second of stream time (the rest are counted as skipped).
    #[arg(long, default_value_t = 5.0)]
    pub detect_fps: f64,
    /// Stop after this many decoded frames (a live camera never ends by itself).
    #[arg(long)]
    pub max_frames: Option<u64>,
    /// Search every frame due at the rate, moving or not (the console searches only frames,
    /// and regions, with motion, and still pictures every few seconds).
    #[arg(long)]
    pub no_motion_gate: bool,
    /// Junction geometry of the camera (JSON): run the violation rules on the tracks.
    #[arg(long)]
    pub geometry: Option<PathBuf>,
    /// Signal changes for the rules (JSON lines: t_ms, group, state), on the stream's clock.
    #[arg(long, requires = "geometry", conflicts_with = "plan")]
    pub signals: Option<PathBuf>,
    /// A fixed-time signal plan for the rules (JSON). Without `--signals` or `--plan`, the
    /// signal heads drawn in the geometry are read from the video.
    #[arg(long, requires = "geometry")]
    pub plan: Option<PathBuf>,
    /// User name for the camera; the password is read from DISPATCH_RTSP_PASSWORD.
    #[arg(long)]
    pub user: Option<String>,
    /// Print JSON lines (the default prints the same as text).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ProbeArgs {
    /// rtsp:// or file:/// URL (no credentials inside: see --user).
    pub url: String,
    /// User name for the camera; the password is read from DISPATCH_RTSP_PASSWORD.
    #[arg(long)]
    pub user: Option<String>,
    /// Ask the camera for RTP over UDP instead of TCP.
    #[arg(long)]
    pub udp: bool,
    /// Seconds to wait for the camera and for the first picture.
    #[arg(long, default_value_t = 10)]
    pub timeout_secs: u64,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum CamerasCommand {
    /// List the cameras.
    List {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Import cameras (CSV) or junctions and cameras (GeoJSON). All or nothing.
    Import {
        file: PathBuf,
        /// File format; guessed from the extension when absent.
        #[arg(long, value_enum)]
        format: Option<RegistryFormat>,
    },
    /// Point the sample enforcement and flow-count cameras at video clips in DIR (the sample
    /// clips: vtest-h264-high.mp4, vtest-h265.mp4, vtest-h264-baseline.mp4, car-detection.mp4),
    /// so the wall plays them like live cameras. Recorded in the audit log.
    DemoClips { dir: PathBuf },
    /// Find ONVIF cameras on this network segment (WS-Discovery, bounded in time) and write
    /// them as a registry CSV to edit and import: each one's ONVIF address and, with
    /// --credentials, its stream address and whether it turns (PTZ: kind overview). Positions
    /// are placeholders to survey; the cameras come disabled until checked.
    Discover {
        /// How long to listen for answers, in seconds (0.1–30).
        #[arg(long, default_value_t = 3.0)]
        wait: f32,
        /// The credentials.toml entry to log in with.
        #[arg(long)]
        credentials: Option<String>,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Probe this address instead of the multicast group (one device's IP:3702).
        #[arg(long, default_value = "239.255.255.250:3702")]
        target: String,
    },
    /// Export the registry. CSV holds cameras; GeoJSON holds junctions and cameras.
    Export {
        #[arg(long, value_enum, default_value = "geojson")]
        format: RegistryFormat,
        /// Write here instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
pub struct ScreenshotArgs {
    /// PNG file to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Image size in pixels, WIDTHxHEIGHT.
    #[arg(long, default_value = "1920x1080", value_parser = parse_size)]
    pub size: (u32, u32),
    /// What to render: the dispatch map or the video wall.
    #[arg(long, value_enum, default_value = "map")]
    pub view: ScreenshotView,
    /// Cameras to put on the wall, in tile order (repeat the flag).
    #[arg(long = "camera")]
    pub cameras: Vec<String>,
    /// Wall layout: tiles per side (1–5).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u8).range(1..=5))]
    pub layout: u8,
    /// Seconds of video to let play before capturing (for alarms and tracks to build up).
    #[arg(long, default_value_t = 0.0)]
    pub wait_secs: f64,
    /// Interface language.
    #[arg(long, value_enum, default_value = "vi")]
    pub language: LanguageArg,
    /// Camera code to select (opens its panel).
    #[arg(long)]
    pub select: Option<String>,
    /// Map centre "LAT,LON" and zoom, e.g. 21.389,103.016,16.
    #[arg(long, value_parser = parse_view)]
    pub map_view: Option<(f64, f64, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScreenshotView {
    Map,
    Wall,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LanguageArg {
    Vi,
    En,
}

fn parse_size(text: &str) -> Result<(u32, u32), String> {
    let (w, h) = text
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("'{text}' is not WIDTHxHEIGHT"))?;
    let parse = |s: &str| {
        s.trim()
            .parse::<u32>()
            .ok()
            .filter(|v| (64..=8192).contains(v))
            .ok_or_else(|| format!("'{s}' is not a size between 64 and 8192"))
    };
    Ok((parse(w)?, parse(h)?))
}

fn parse_view(text: &str) -> Result<(f64, f64, f64), String> {
    let parts: Vec<f64> = text
        .split(',')
        .map(|p| {
            p.trim()
                .parse::<f64>()
                .map_err(|_| format!("'{p}' is not a number"))
        })
        .collect::<Result<_, _>>()?;
    match parts.as_slice() {
        [lat, lon, zoom] => Ok((*lat, *lon, *zoom)),
        _ => Err("expected LAT,LON,ZOOM".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sizes_and_views() {
        assert_eq!(parse_size("1920x1080"), Ok((1920, 1080)));
        assert!(parse_size("1920").is_err());
        assert!(parse_size("10x10").is_err());
        assert_eq!(parse_view("21.3,103.0,16"), Ok((21.3, 103.0, 16.0)));
        assert!(parse_view("21.3,103.0").is_err());
    }

    #[test]
    fn the_command_line_is_consistent() {
        use clap::CommandFactory as _;
        Cli::command().debug_assert();
    }
}
