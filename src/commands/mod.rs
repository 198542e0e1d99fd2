//! What each command-line entry point does: open the console window, manage the registry,
//! render a screenshot. This is the top of the program: `anyhow` errors, readable messages.

mod analyze;
mod audit;
mod cameras;
mod console;
mod counts;
mod detect;
mod detect_eval;
mod detect_train;
mod discover;
mod error_text;
pub(crate) mod evidence;
mod geometry;
mod library;
mod plates;
mod probe;
mod ptz;
mod record;
mod review;
mod rules;
mod screenshot;
mod serve;
mod sign_in;
mod signals;
mod users;
mod watchlist;

pub use analyze::run as analyze;
pub use audit::run as audit;
pub use cameras::run as cameras;
pub use console::run as console;
pub use counts::run as counts;
pub use detect::run as detect;
pub use error_text::error_text;
pub use evidence::run as evidence;
pub use geometry::run as geometry;
pub use library::run as library;
pub use plates::{evaluate as evaluate_plates, run as plates};
pub use probe::run as probe;
pub use ptz::run as ptz;
pub use record::{recordings, run as record};
pub use review::run as review;
pub use rules::run as rules;
pub use screenshot::run as screenshot;
pub(crate) use serve::engine_settings;
pub use serve::{engines, run as serve};
pub use sign_in::{login, logout};
pub use signals::run as signals;
pub use users::run as users;
pub use watchlist::run as watchlist;

/// The detector with `weights` (`vietnam` or `coco`), or the configured weights.
pub(crate) fn load_detector(
    setup: &Setup,
    weights: Option<&str>,
) -> anyhow::Result<crate::detect::detector::Detector> {
    use crate::detect::detector::{Detector, Weights, preferred_device};
    let weights = match weights {
        Some(text) => Weights::parse(text)
            .ok_or_else(|| anyhow::anyhow!("weights {text:?} are not \"vietnam\" or \"coco\""))?,
        None => setup.config.detect.weights,
    };
    Ok(Detector::load_weights(
        &setup.models_dir,
        weights,
        &preferred_device(),
    )?)
}

use crate::basemap::BaseMapChoice;
use crate::cli::Cli;
use crate::config::{Config, Folders};
use crate::store::DatabaseLocation;
use anyhow::Context as _;

/// Settings every command needs, resolved from the command line, environment and config file.
pub struct Setup {
    pub config: Config,
    pub folders: Folders,
    pub database: DatabaseLocation,
    pub base_map: BaseMapChoice,
    /// Where the detection models are.
    pub models_dir: std::path::PathBuf,
    /// Whether (and from where) `sample://` cameras play the built-in clips.
    pub samples: crate::samples::SamplePlayback,
    /// Problems that did not stop the start (shown in the console's status bar).
    pub warnings: Vec<String>,
    /// Who signs in for a command-line command (`--user`), if given.
    pub user: Option<String>,
}

impl Setup {
    /// Resolves the settings. A bad configuration file is an error when `strict`, and a warning
    /// (with defaults) otherwise, so the console still opens and says what is wrong.
    pub fn resolve(cli: &Cli, strict: bool) -> anyhow::Result<Self> {
        let folders = Folders::for_user();
        let mut warnings = Vec::new();
        let (config_path, required) = match &cli.config {
            Some(path) => (path.clone(), true),
            None => (folders.default_config_file(), false),
        };
        let config = match Config::load(&config_path, required) {
            Ok(config) => config,
            Err(e) if !strict => {
                tracing::warn!(error = %e, "configuration ignored; using defaults");
                warnings.push(e.to_string());
                Config::default()
            }
            Err(e) => return Err(e.into()),
        };
        let database_text = cli
            .database
            .clone()
            .or_else(|| config.database.url.clone())
            .unwrap_or_else(|| folders.default_database().to_string_lossy().into_owned());
        let database = DatabaseLocation::parse(&database_text)
            .context("the database setting (--db, DATABASE_URL or [database] url) is wrong")?;
        let base_map = BaseMapChoice::resolve(
            cli.tiles.as_deref(),
            &config.map,
            &folders.default_tile_cache(),
        );
        let models_dir = cli
            .models_dir
            .clone()
            .or_else(|| config.detect.models_dir.clone())
            .unwrap_or_else(|| folders.default_models_dir());
        let samples = crate::samples::SamplePlayback {
            folder: (config.samples.play && !cli.no_samples).then(|| folders.sample_clips()),
        };
        Ok(Self {
            models_dir,
            samples,
            config,
            folders,
            database,
            base_map,
            warnings,
            user: cli.user.clone(),
        })
    }
}

impl Setup {
    /// The database (migrated), signing audit checkpoints as this workstation.
    pub(crate) fn store(&self) -> Result<crate::store::Store, crate::store::StoreError> {
        let mut store = crate::store::Store::open(&self.database)?;
        self.sign_checkpoints(&mut store, &crate::host::workstation());
        Ok(store)
    }

    /// As [`Setup::store`], seeding a new database with the sample inventory.
    pub(crate) fn seeded_store(
        &self,
    ) -> Result<(crate::store::Store, bool), crate::store::StoreError> {
        let (mut store, seeded) = crate::store::Store::open_seeded(&self.database)?;
        self.sign_checkpoints(&mut store, &crate::host::workstation());
        Ok((store, seeded))
    }

    /// Makes `store` sign the audit log's checkpoints as `signer` with this workstation's key.
    pub(crate) fn sign_checkpoints(&self, store: &mut crate::store::Store, signer: &str) {
        if let Some(checkpoints) = evidence::evidence_setup(self, None).checkpoint_signer(signer) {
            store.set_checkpoint_signer(checkpoints);
        }
    }
}

/// The console's streams: ingest workers started as tiles need them, and the shared detector
/// when `[detect] enabled` (it loads the model on its own thread and reports when it cannot).
pub(crate) fn video_streams(
    setup: &Setup,
    credentials: crate::config::CameraCredentials,
) -> crate::service::VideoStreams {
    let ingest = crate::ingest::IngestOptions {
        samples: setup.samples.clone(),
        ..Default::default()
    };
    let streams = crate::service::VideoStreams::new(ingest, credentials);
    if !setup.config.detect.enabled {
        return streams;
    }
    let options = crate::analytics::DetectorOptions {
        models_dir: setup.models_dir.clone(),
        max_batch: None,
        weights: setup.config.detect.weights,
    };
    match crate::analytics::DetectorService::start(options) {
        Ok(service) => {
            let geometry_dir = setup
                .config
                .rules
                .geometry_dir
                .clone()
                .unwrap_or_else(|| setup.folders.default_geometry_dir());
            let rules = crate::service::RulesSetup {
                geometry_dir: Some(geometry_dir),
                signals: setup.config.signals.clone(),
                config: setup.config.rules.rule_config(),
            };
            streams.with_detector(service, setup.config.detect.clone(), rules)
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot start the detector thread");
            streams
        }
    }
}

pub(crate) use sign_in::principal;
