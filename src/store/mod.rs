//! The console's database (diesel): SQLite by default, PostgreSQL when several workstations
//! share a site, with one code path for every query. It owns the connection, the migrations,
//! the seeding of the sample inventory and the append-only audit log; callers only see domain
//! types. It knows nothing of the UI, and is driven from one thread at a time (the store
//! worker of `service`, or a CLI command).

mod audit;
mod checkpoints;
mod connection;
mod counts;
mod events;
mod geometries;
mod leases;
mod library;
mod location;
mod overlays;
mod plates;
mod principal;
mod ptz;
mod recordings;
mod registry_tables;
mod review;
mod rows;
mod schema;
mod users;
mod watchlist;

pub use audit::{
    AuditBreak, AuditEntry, AuditReport, NewAuditEntry, TrailMismatch, check_chain,
    check_event_trails, entry_hash,
};
pub use checkpoints::{
    CHECKPOINT_EVERY_ENTRIES, CHECKPOINT_EVERY_MS, Checkpoint, CheckpointProblem, CheckpointSigner,
    check_against, read_checkpoint_file,
};
pub use connection::AnyConnection;
pub use events::{NewEvent, StoredEvent};
pub use geometries::StoredGeometry;
pub use leases::{EngineInfo, EngineListing, LeaseFence, Renewal, SiteLoad};
pub use library::LibraryEntry;
pub use location::DatabaseLocation;
pub use plates::{
    NewPlateSighting, PlateAccuracy, PlateSearchResult, PlateSighting, SightingStored,
};
pub use principal::{Principal, PrincipalKind, first_run_name};
pub use ptz::LeaseTaken;
pub use recordings::{RecordingRow, SegmentEnd};
pub use registry_tables::ImportSummary;
pub use review::{Confirmation, ReviewFilter};
pub use users::{SignInError, SignedIn, TOKEN_LIFETIME_MS, User};
pub use watchlist::WatchEntry;

use crate::registry::ImportProblem;

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "database URL '{0}' is not understood: use a SQLite file path or postgres://user@host/db"
    )]
    BadUrl(String),
    #[error("cannot open database {location}: {source}")]
    Connect {
        location: String,
        #[source]
        source: diesel::ConnectionError,
    },
    #[error("cannot create the folder for database {location}: {source}")]
    CreateDir {
        location: String,
        #[source]
        source: std::io::Error,
    },
    #[error("migrating database {location} failed: {message}")]
    Migrate { location: String, message: String },
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("row '{key}' of table {table} holds bad data: {reason}")]
    Corrupt {
        table: &'static str,
        key: String,
        reason: String,
    },
    #[error(
        "write for camera {camera} refused: engine {engine} no longer holds its lease (epoch {epoch}); another engine took it over"
    )]
    StaleLease {
        camera: String,
        engine: String,
        epoch: i64,
    },
    #[error("{what} refused, nothing was written: {reason}")]
    Rejected { what: String, reason: String },
    #[error("import refused, nothing was written:\n{}", format_problems(.0))]
    Import(Vec<ImportProblem>),
    #[error("refused: {who} may not {needs}")]
    Forbidden { who: String, needs: &'static str },
    #[error(
        "sign-in needed: this database has users, so every caller signs in (command line: --user NAME, or `dienbien-dispatch login`)"
    )]
    SignInNeeded,
    #[error(
        "this engine needs a service account: on a shared PostgreSQL database an engine signs in as a user of role 'engine' (serve --user NAME, password in DISPATCH_PASSWORD)"
    )]
    ServiceAccountNeeded,
}

fn format_problems(problems: &[ImportProblem]) -> String {
    problems
        .iter()
        .map(|p| format!("  {p}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// An open database with its schema migrated.
pub struct Store {
    conn: AnyConnection,
    location: DatabaseLocation,
    /// Who signs the audit log's checkpoints from this connection, if anyone.
    checkpoints: Option<checkpoints::Checkpointing>,
}

impl Store {
    /// Opens (creating a SQLite file and its folder if needed) and migrates the database.
    pub fn open(location: &DatabaseLocation) -> Result<Self, StoreError> {
        let conn = connection::connect_and_migrate(location)?;
        Ok(Self {
            conn,
            location: location.clone(),
            checkpoints: None,
        })
    }

    /// Opens the store and seeds the sample inventory into a new database; returns whether it
    /// seeded. Every entry point (console, CLI) opens the database this way.
    pub fn open_seeded(location: &DatabaseLocation) -> Result<(Self, bool), StoreError> {
        let mut store = Self::open(location)?;
        let sample = crate::registry::sample_inventory().map_err(StoreError::Import)?;
        let seeded = store.seed_if_new(&sample)?;
        if seeded {
            tracing::info!(location = %location, "new database seeded with the sample inventory");
        }
        for problem in store.codes_not_allowed()? {
            tracing::warn!(%problem, "a stored code cannot name folders and files; rename it by importing the registry again");
        }
        Ok((store, seeded))
    }

    /// Stored camera and junction codes that cannot name folders and files (from before codes
    /// were checked at import), each with its problem. Reported, never renamed.
    pub fn codes_not_allowed(&mut self) -> Result<Vec<String>, StoreError> {
        let mut problems = Vec::new();
        for junction in self.junctions()? {
            if let Some(p) = crate::domain::safe_path::code_problem(&junction.code) {
                problems.push(format!("junction {p}"));
            }
        }
        for camera in self.cameras()? {
            if let Some(p) = crate::domain::safe_path::code_problem(&camera.code) {
                problems.push(format!("camera {p}"));
            }
        }
        Ok(problems)
    }

    /// Opens a new connection to the same database (after it went away), keeping who signs
    /// the audit checkpoints.
    pub fn reconnect(&mut self) -> Result<(), StoreError> {
        self.conn = connection::connect_and_migrate(&self.location)?;
        Ok(())
    }

    /// Where this store lives, with any password hidden.
    pub fn location(&self) -> &DatabaseLocation {
        &self.location
    }
}

/// Milliseconds since the Unix epoch, now.
pub(crate) fn now_ms() -> i64 {
    crate::clock::now_utc_ms()
}
