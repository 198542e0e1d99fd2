//! The workstation's configuration: a TOML file with documented defaults and
//! `deny_unknown_fields`, plus the standard folders (data, cache, config) of the console.
//! Precedence for each setting: command line, then environment, then this file, then default.

use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Default raster tiles: the OpenStreetMap standard layer (see its tile usage policy).
pub const DEFAULT_TILE_URL: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
pub const DEFAULT_TILE_ATTRIBUTION: &str = "© OpenStreetMap contributors";

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub database: DatabaseConfig,
    pub map: MapConfig,
    pub detect: DetectConfig,
    pub rules: RulesConfig,
    pub signals: SignalsConfig,
    pub recording: RecordingConfig,
    pub evidence: EvidenceConfig,
    pub engine: EngineConfig,
    /// Who detects and who resolves violations, as notices and the portal name them.
    pub agency: crate::domain::Agency,
    pub samples: SamplesConfig,
    /// Preset tours the engine runs on PTZ cameras (`[[ptz.tours]]`).
    pub ptz: PtzConfig,
}

/// `[ptz]`: the preset tours this engine runs.
///
/// ```toml
/// [[ptz.tours]]
/// camera = "DBP-TQ-DOIA1"
/// steps = [{ preset = "Cầu Mường Thanh", dwell_s = 30 }, { preset = "Chợ", dwell_s = 20 }]
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PtzConfig {
    pub tours: Vec<TourConfig>,
}

/// One camera's tour: its presets (by name or token) in turn, each held `dwell_s` seconds.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TourConfig {
    pub camera: String,
    pub steps: Vec<TourStepConfig>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TourStepConfig {
    pub preset: String,
    /// Seconds at the preset (at least 1).
    pub dwell_s: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SamplesConfig {
    /// Play the built-in sample clips on the cameras whose address is `sample://NAME` (the
    /// sample inventory's four cameras of Ngã tư Đồi A1 and one of Quảng trường 7/5). Default:
    /// true.
    pub play: bool,
}

impl Default for SamplesConfig {
    fn default() -> Self {
        Self { play: true }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvidenceConfig {
    /// Where evidence bundles go. Default: `evidence/` in the data folder.
    pub dir: Option<PathBuf>,
    /// Public keys (hex) of other workstations whose evidence this one accepts.
    pub trusted_keys: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecordingConfig {
    /// Where recording segments go. Default: `recordings/` in the data folder.
    pub dir: Option<PathBuf>,
    /// Days continuous footage is kept. Default: 30.
    pub continuous_days: f64,
    /// Days footage within 6 s of an event is kept. Default: 90.
    pub event_days: f64,
    /// Free share of the disk to keep, in percent; below it the oldest continuous footage is
    /// deleted first, never event footage. Default: 10.
    pub min_free_percent: f64,
}

impl Default for RecordingConfig {
    fn default() -> Self {
        Self {
            dir: None,
            continuous_days: 30.0,
            event_days: 90.0,
            min_free_percent: 10.0,
        }
    }
}

impl RecordingConfig {
    pub fn policy(&self) -> crate::recording::RetentionPolicy {
        crate::recording::RetentionPolicy {
            continuous_days: self.continuous_days.max(0.0),
            event_days: self.event_days.max(self.continuous_days).max(0.0),
            min_free: (self.min_free_percent / 100.0).clamp(0.0, 0.9),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SignalsConfig {
    /// Controller feeds (docs/signal-feed.md) by junction code, e.g.
    /// `{ "DBP-GT-A1" = "10.20.0.5:7070" }`.
    pub feeds: std::collections::BTreeMap<String, String>,
    /// Read the signal heads drawn in a camera's geometry from its video. Default: true.
    pub vision: bool,
}

impl Default for SignalsConfig {
    fn default() -> Self {
        Self {
            feeds: std::collections::BTreeMap::new(),
            vision: true,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RulesConfig {
    /// Folder of junction geometries, `CAMERA-CODE.json` (and optionally a fixed-time signal
    /// plan `CAMERA-CODE.plan.json`). Default: `geometry/` in the data folder.
    pub geometry_dir: Option<PathBuf>,
    /// Crossing the stop line on amber: `"ignore"` (default) or `"review"` (raised for a
    /// reviewer to judge whether the vehicle could have stopped).
    pub amber: AmberSetting,
}

/// `[rules] amber`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AmberSetting {
    #[default]
    Ignore,
    Review,
}

impl RulesConfig {
    /// The rules' tuning this section asks for.
    pub fn rule_config(&self) -> crate::rules::RuleConfig {
        let amber = match self.amber {
            AmberSetting::Ignore => crate::rules::AmberPolicy::Ignore,
            AmberSetting::Review => crate::rules::AmberPolicy::Review,
        };
        crate::rules::RuleConfig {
            red_light: crate::rules::RedLightConfig {
                amber,
                ..Default::default()
            },
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DetectConfig {
    /// Folder holding `yolox-nano/yolox_nano.onnx`. Default: `models/` in the data folder.
    pub models_dir: Option<PathBuf>,
    /// Search the video of the wall's cameras for vehicles and people. Default: true.
    pub enabled: bool,
    /// Frames searched per second of each camera. Default: 5.
    pub rate_fps: f64,
    /// Per-camera rates by camera code, e.g. `{ "DBP-J01-N" = 10.0 }`.
    pub camera_rates: std::collections::BTreeMap<String, f64>,
    /// Search only frames (and regions) with motion. Default: true.
    pub motion_gate: bool,
    /// Seconds after which a still picture is searched whole again. Default: 5.
    pub recheck_s: f64,
    /// Which weights the detector runs: "vietnam" (tuned to Vietnamese traffic, the default)
    /// or "coco" (YOLOX-nano as trained on COCO).
    pub weights: crate::detect::detector::Weights,
    /// Search the area a camera's junction geometry draws (approaches, lanes, zones) cropped
    /// and enlarged when something moves there. Default: true.
    pub junction_focus: bool,
    /// How that area is searched: SIZE or SIZE:COLUMNSxROWS. Default: "640" (the best motorbike
    /// recall per unit of compute measured on vn-vehicles; see docs/detector.md).
    pub focus_scale: crate::detect::search::SearchScale,
}

impl Default for DetectConfig {
    fn default() -> Self {
        Self {
            models_dir: None,
            enabled: true,
            rate_fps: 5.0,
            camera_rates: std::collections::BTreeMap::new(),
            motion_gate: true,
            recheck_s: 5.0,
            weights: crate::detect::detector::Weights::Vietnam,
            junction_focus: true,
            focus_scale: crate::detect::search::SearchScale::FOCUS,
        }
    }
}

impl DetectConfig {
    /// How the stream of camera `code` is scheduled.
    pub fn schedule_for(&self, code: &str) -> crate::analytics::ScheduleConfig {
        crate::analytics::ScheduleConfig {
            rate_fps: self
                .camera_rates
                .get(code)
                .copied()
                .unwrap_or(self.rate_fps)
                .clamp(0.1, 60.0),
            motion_gate: self.motion_gate,
            recheck_s: self.recheck_s.max(0.5),
            ..crate::analytics::ScheduleConfig::default()
        }
    }

    /// The area of `geometry` searched enlarged, unless switched off.
    pub fn focus_for(
        &self,
        geometry: &crate::domain::geometry::JunctionGeometry,
    ) -> Option<crate::analytics::Focus> {
        if !self.junction_focus {
            return None;
        }
        crate::analytics::Focus::of_geometry(geometry, self.focus_scale)
    }
}

/// Which of a camera's streams an engine searches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AnalysedStream {
    Main,
    Sub,
}

/// The engine (`serve`): what it holds and how it shares a site with other engines.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EngineConfig {
    /// Cameras this engine may hold. Default: 16.
    pub capacity: i64,
    /// Seconds a camera lease lasts without renewal; an engine that dies loses its cameras
    /// to the others after this. Default: 10.
    pub lease_s: f64,
    /// The stream searched, by camera code (`"main"` or `"sub"`). Default: the main stream of
    /// enforcement cameras (plates matter), the sub stream of the others when they have one.
    pub analyse: std::collections::BTreeMap<String, AnalysedStream>,
    /// Whether the console runs an engine of its own (holding every enabled camera it can).
    /// Default: yes on SQLite (one machine), no on PostgreSQL (engines run as services).
    pub in_console: Option<bool>,
    /// Whose plates are read along their tracks: `"enforcement"` (the default: the
    /// enforcement cameras), `"all"` or `"none"`.
    pub read_plates: PlateCameras,
    /// Days a plate sighting no event refers to is kept (a plate, a place and a time are
    /// personal data, Decree 13/2023/NĐ-CP); a violation's or a watch-list hit's sighting
    /// stays with its event. Default: 30.
    pub plate_days: f64,
}

/// Which cameras an engine reads plates on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlateCameras {
    #[default]
    Enforcement,
    All,
    None,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            capacity: 16,
            lease_s: 10.0,
            analyse: std::collections::BTreeMap::new(),
            in_console: None,
            read_plates: PlateCameras::default(),
            plate_days: DEFAULT_PLATE_DAYS,
        }
    }
}

/// `[engine] plate_days` when the file does not say.
pub const DEFAULT_PLATE_DAYS: f64 = 30.0;

impl EngineConfig {
    /// Sightings seen before this UTC instant and referred to by no event are deleted.
    pub fn plate_cutoff_ms(&self, now_ms: i64) -> i64 {
        now_ms - (self.plate_days.max(0.0) * 86_400_000.0) as i64
    }

    /// Whether the plates of `camera`'s vehicles are read.
    pub fn reads_plates(&self, camera: &crate::domain::Camera) -> bool {
        match self.read_plates {
            PlateCameras::Enforcement => camera.kind == crate::domain::CameraKind::Enforcement,
            PlateCameras::All => true,
            PlateCameras::None => false,
        }
    }

    /// The stream of `camera` to search.
    pub fn analysed_stream(&self, camera: &crate::domain::Camera) -> AnalysedStream {
        if let Some(choice) = self.analyse.get(&camera.code) {
            return *choice;
        }
        if camera.kind == crate::domain::CameraKind::Enforcement || camera.sub_url.is_none() {
            AnalysedStream::Main
        } else {
            AnalysedStream::Sub
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// SQLite file path or `postgres://…` URL. Default: `dispatch.db` in the data folder.
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MapConfig {
    /// Raster tile URL template with `{z}`, `{x}`, `{y}`; empty for no online tiles.
    pub tile_url: String,
    /// Attribution shown on the map for `tile_url`.
    pub attribution: String,
    /// Offline PMTiles file (raster PNG/JPEG/WebP or vector); used instead of `tile_url`.
    pub offline_file: Option<PathBuf>,
    /// Where downloaded tiles are cached. Default: `tiles/` in the cache folder.
    pub cache_dir: Option<PathBuf>,
}

impl Default for MapConfig {
    fn default() -> Self {
        Self {
            tile_url: DEFAULT_TILE_URL.to_owned(),
            attribution: DEFAULT_TILE_ATTRIBUTION.to_owned(),
            offline_file: None,
            cache_dir: None,
        }
    }
}

/// Camera log-ins of this workstation, by the `credentials_ref` the registry names, and the
/// signal controller feeds' keys, by junction. Read from `credentials.toml` in the config
/// folder (keep it readable by the console's user only):
///
/// ```toml
/// [camera-default]
/// user = "viewer"
/// password = "…"
///
/// [signal_keys]
/// DBP-GT-A1 = "64 hex digits"   # the key the junction's gateway signs its lines with
/// ```
///
/// A mistake in the file is reported by its line number and what is wrong, never with the
/// line itself (it may hold a password).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CameraCredentials {
    entries: std::collections::BTreeMap<String, CredentialEntry>,
    signal_keys: std::collections::BTreeMap<String, crate::signals::FeedKey>,
}

#[derive(Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialEntry {
    user: String,
    password: String,
}

impl std::fmt::Debug for CredentialEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{{ user: {:?}, password: *** }}", self.user)
    }
}

/// The table of `credentials.toml` holding the feeds' keys.
const SIGNAL_KEYS: &str = "signal_keys";

impl CameraCredentials {
    /// Reads `path`; a missing file means no credentials.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).map_err(|message| ConfigError::Parse {
                path: path.to_owned(),
                message,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(source) => Err(ConfigError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Parses the file's text; an error names the line and the kind of mistake only.
    pub fn parse(text: &str) -> Result<Self, String> {
        let line_of = |span: Option<std::ops::Range<usize>>| {
            span.map_or(0, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            })
        };
        let mut table: toml::Table = toml::from_str(text).map_err(|e: toml::de::Error| {
            format!("line {}: {}", line_of(e.span()), redact(e.message()))
        })?;
        let mut credentials = Self::default();
        if let Some(keys) = table.remove(SIGNAL_KEYS) {
            let Some(keys) = keys.as_table() else {
                return Err(format!(
                    "[{SIGNAL_KEYS}] must be a table of junction = \"key\""
                ));
            };
            for (junction, key) in keys {
                let key = key
                    .as_str()
                    .and_then(crate::signals::FeedKey::from_hex)
                    .ok_or_else(|| {
                        format!(
                            "{} of [{SIGNAL_KEYS}]: a key is 64 hex digits",
                            line_name(text, junction)
                        )
                    })?;
                credentials.signal_keys.insert(junction.clone(), key);
            }
        }
        for (reference, entry) in table {
            let entry: CredentialEntry = entry.try_into().map_err(|e: toml::de::Error| {
                format!(
                    "{} [{reference}]: {}",
                    line_name(text, &reference),
                    redact(e.message())
                )
            })?;
            credentials.entries.insert(reference, entry);
        }
        Ok(credentials)
    }

    /// User name and password for `reference`.
    pub fn get(&self, reference: &str) -> Option<(String, String)> {
        self.entries
            .get(reference)
            .map(|e| (e.user.clone(), e.password.clone()))
    }

    /// The key junction `junction`'s controller feed signs its lines with.
    pub fn signal_key(&self, junction: &str) -> Option<crate::signals::FeedKey> {
        self.signal_keys.get(junction).cloned()
    }
}

/// "line N" of the first line that mentions `name` (a table or key), or "the file".
fn line_name(text: &str, name: &str) -> String {
    text.lines()
        .position(|l| l.contains(name))
        .map_or_else(|| "the file".to_owned(), |n| format!("line {}", n + 1))
}

/// A parser's message with whatever it quotes (which may be a value: a password) left out.
fn redact(message: &str) -> String {
    let mut out = String::new();
    let mut quoted = None;
    for c in message.chars() {
        match quoted {
            Some(close) if c == close => {
                out.push('…');
                out.push(c);
                quoted = None;
            }
            Some(_) => {}
            None if matches!(c, '`' | '"' | '\'') => {
                out.push(c);
                quoted = Some(c);
            }
            None => out.push(c),
        }
    }
    out.trim().to_owned()
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("configuration {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
}

impl Config {
    /// Reads `path`. With `required = false` a missing file gives the defaults.
    pub fn load(path: &Path, required: bool) -> Result<Self, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Self::default());
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        toml::from_str(&text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string(),
        })
    }
}

/// The console's standard folders.
#[derive(Debug, Clone)]
pub struct Folders {
    pub data: PathBuf,
    pub cache: PathBuf,
    pub config: PathBuf,
}

impl Folders {
    /// The user's folders (XDG on Linux), or `./dienbien-dispatch-data` when no home is known.
    pub fn for_user() -> Self {
        match directories::ProjectDirs::from("vn", "Cong An Dien Bien", "dienbien-dispatch") {
            Some(dirs) => Self {
                data: dirs.data_dir().to_owned(),
                cache: dirs.cache_dir().to_owned(),
                config: dirs.config_dir().to_owned(),
            },
            None => {
                let base = PathBuf::from("dienbien-dispatch-data");
                Self {
                    data: base.join("data"),
                    cache: base.join("cache"),
                    config: base.join("config"),
                }
            }
        }
    }

    pub fn default_database(&self) -> PathBuf {
        self.data.join("dispatch.db")
    }

    pub fn default_config_file(&self) -> PathBuf {
        self.config.join("config.toml")
    }

    pub fn default_models_dir(&self) -> PathBuf {
        self.data.join("models")
    }

    pub fn default_credentials_file(&self) -> PathBuf {
        self.config.join("credentials.toml")
    }

    pub fn default_evidence_dir(&self) -> PathBuf {
        self.data.join("evidence")
    }

    /// The workstation's evidence signing key.
    pub fn evidence_key(&self) -> PathBuf {
        self.config.join("evidence-ed25519.key")
    }

    /// This workstation's append-only copy of the audit checkpoints it signed.
    pub fn audit_checkpoint_file(&self) -> PathBuf {
        self.data.join("audit-checkpoints.jsonl")
    }

    pub fn default_recordings_dir(&self) -> PathBuf {
        self.data.join("recordings")
    }

    pub fn default_geometry_dir(&self) -> PathBuf {
        self.data.join("geometry")
    }

    /// Where the built-in sample clips are written to be played.
    pub fn sample_clips(&self) -> PathBuf {
        self.cache.join("samples")
    }

    pub fn default_tile_cache(&self) -> PathBuf {
        self.cache.join("tiles")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_optional_file_gives_defaults() {
        let config = Config::load(Path::new("/nonexistent/config.toml"), false).unwrap();
        assert_eq!(config, Config::default());
        assert!(Config::load(Path::new("/nonexistent/config.toml"), true).is_err());
    }

    #[test]
    fn preset_tours_are_read_with_their_steps() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "[[ptz.tours]]\ncamera = \"DBP-TQ-DOIA1\"\nsteps = [{ preset = \"Cầu\", dwell_s = 30 }, { preset = \"2\", dwell_s = 20 }]\n",
        )
        .unwrap();
        let config = Config::load(&path, true).unwrap();
        let tour = &config.ptz.tours[0];
        assert_eq!(tour.camera, "DBP-TQ-DOIA1");
        assert_eq!(tour.steps.len(), 2);
        assert_eq!(
            (tour.steps[0].preset.as_str(), tour.steps[1].dwell_s),
            ("Cầu", 20.0)
        );
        std::fs::write(
            &path,
            "[[ptz.tours]]\ncamera = \"X\"\nsteps = [{ preset = \"a\", dwell = 3 }]\n",
        )
        .unwrap();
        let err = Config::load(&path, true).unwrap_err().to_string();
        assert!(err.contains("dwell"), "{err}");
    }

    #[test]
    fn unknown_keys_are_refused_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[map]\ntile_ur = \"x\"\n").unwrap();
        let err = Config::load(&path, true).unwrap_err().to_string();
        assert!(err.contains("config.toml"), "{err}");
        assert!(err.contains("tile_ur"), "{err}");
    }

    #[test]
    fn a_mistake_in_the_credentials_is_named_by_line_never_quoted() {
        let cases = [
            // An unterminated string holding a password.
            (
                "[cam]\nuser = \"viewer\"\npassword = \"hunter2-secret\n",
                "line 3",
            ),
            // A password that is a number.
            ("[cam]\nuser = \"viewer\"\npassword = 7777123\n", "line 1"),
            // A misspelt key.
            (
                "[cam]\nuser = \"v\"\npasword = \"hunter2-secret\"\n",
                "line 1",
            ),
            // A feed key that is not one.
            ("[signal_keys]\nDBP-GT-A1 = \"hunter2-secret\"\n", "line 2"),
        ];
        for (text, line) in cases {
            let err = CameraCredentials::parse(text).unwrap_err();
            assert!(err.contains(line), "{err}");
            for secret in ["hunter2", "7777123"] {
                assert!(!err.contains(secret), "{err}");
            }
        }
        let key = "ab".repeat(32);
        let good = CameraCredentials::parse(&format!(
            "[cam]\nuser = \"v\"\npassword = \"p\"\n[signal_keys]\nDBP-GT-A1 = \"{key}\"\n"
        ))
        .unwrap();
        assert_eq!(
            good.signal_key("DBP-GT-A1"),
            crate::signals::FeedKey::from_hex(&key)
        );
        assert_eq!(good.get("cam"), Some(("v".into(), "p".into())));
    }

    #[test]
    fn credentials_are_read_and_never_printed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.toml");
        std::fs::write(
            &path,
            "[camera-default]\nuser = \"viewer\"\npassword = \"s3cret\"\n",
        )
        .unwrap();
        let credentials = CameraCredentials::load(&path).unwrap();
        assert_eq!(
            credentials.get("camera-default"),
            Some(("viewer".into(), "s3cret".into()))
        );
        assert!(!format!("{credentials:?}").contains("s3cret"));
        assert_eq!(credentials.get("other"), None);
        let missing = CameraCredentials::load(&dir.path().join("none.toml")).unwrap();
        assert_eq!(missing, CameraCredentials::default());
    }

    #[test]
    fn reads_a_full_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "[database]\nurl = \"postgres://dispatch@db/dbp\"\n[map]\noffline_file = \"/srv/dbp.pmtiles\"\n",
        )
        .unwrap();
        let config = Config::load(&path, true).unwrap();
        assert_eq!(
            config.database.url.as_deref(),
            Some("postgres://dispatch@db/dbp")
        );
        assert_eq!(config.map.tile_url, DEFAULT_TILE_URL);
        assert_eq!(
            config.map.offline_file.as_deref(),
            Some(Path::new("/srv/dbp.pmtiles"))
        );
    }
}
