//! Opening a connection to either backend, tuning it, and running the embedded migrations.

use super::{DatabaseLocation, StoreError};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

/// One connection type for both backends, so that every query is written once.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("src/store/migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("src/store/migrations/postgres");

/// Tries at migrating (see `connect_and_migrate`).
const MIGRATION_ATTEMPTS: u32 = 3;

/// How long a SQLite writer waits for another writer before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

pub(super) fn connect_and_migrate(
    location: &DatabaseLocation,
) -> Result<AnyConnection, StoreError> {
    let shown = location.to_string();
    let mut conn = match location {
        DatabaseLocation::Sqlite(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
                    location: shown.clone(),
                    source,
                })?;
            }
            let mut conn =
                SqliteConnection::establish(&location.connection_string()).map_err(|source| {
                    StoreError::Connect {
                        location: shown.clone(),
                        source,
                    }
                })?;
            // WAL lets readers and one writer work together; foreign keys are off by default.
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
            ))
            .map_err(|e| StoreError::Migrate {
                location: shown.clone(),
                message: e.to_string(),
            })?;
            AnyConnection::Sqlite(conn)
        }
        DatabaseLocation::Postgres(url) => {
            let conn = PgConnection::establish(url).map_err(|source| StoreError::Connect {
                location: shown.clone(),
                source,
            })?;
            AnyConnection::Postgresql(conn)
        }
    };
    // Two processes opening a new database at once both find the migrations pending; the
    // one that loses fails on what the other created, and finds nothing pending next time.
    let mut attempt = 0;
    let migrated = loop {
        attempt += 1;
        let outcome = match &mut conn {
            AnyConnection::Sqlite(c) => {
                c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len())
            }
            // A console's role may not change the schema (docs/postgres-roles.sql): when the
            // owner has applied every migration there is nothing to run.
            AnyConnection::Postgresql(c) => {
                if postgres_up_to_date(c) {
                    Ok(0)
                } else {
                    c.run_pending_migrations(POSTGRES_MIGRATIONS)
                        .map(|v| v.len())
                }
            }
        };
        match outcome {
            Ok(count) => break count,
            Err(e) if attempt < MIGRATION_ATTEMPTS => {
                tracing::debug!(location = %shown, error = %e, attempt, "migration failed; another process may be migrating: trying again");
                std::thread::sleep(std::time::Duration::from_millis(200 * attempt as u64));
            }
            Err(e) => {
                let mut message = e.to_string();
                if message.contains("permission denied") {
                    message.push_str(
                        " (this role may not change the schema: run any command once with the owner role's URL to migrate; see docs/postgres-roles.sql)",
                    );
                }
                return Err(StoreError::Migrate {
                    location: shown.clone(),
                    message,
                });
            }
        }
    };
    if migrated > 0 {
        tracing::info!(location = %shown, migrations = migrated, "database migrated");
    }
    Ok(conn)
}

/// Whether every embedded migration is recorded as applied (read only: no `CREATE TABLE IF
/// NOT EXISTS`, which needs the right to create in the schema even when the table exists).
fn postgres_up_to_date(conn: &mut PgConnection) -> bool {
    use diesel::RunQueryDsl as _;
    #[derive(diesel::QueryableByName)]
    struct Applied {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    let applied: Vec<Applied> =
        match diesel::sql_query("SELECT version FROM __diesel_schema_migrations").load(conn) {
            Ok(rows) => rows,
            Err(_) => return false,
        };
    let Ok(embedded) =
        diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS)
    else {
        return false;
    };
    embedded.iter().all(|m| {
        let version = m.name().version().to_string();
        applied.iter().any(|a| a.version == version)
    })
}

/// True for the transient "another writer holds the lock" errors worth retrying.
pub(super) fn is_busy(error: &diesel::result::Error) -> bool {
    match error {
        diesel::result::Error::DatabaseError(_, info) => {
            let message = info.message();
            message.contains("database is locked")
                || message.contains("database table is locked")
                || message.contains("could not serialize access")
                || message.contains("deadlock detected")
        }
        _ => false,
    }
}
