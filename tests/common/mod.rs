//! Helpers shared by the integration tests: databases to run against (SQLite always,
//! PostgreSQL when `DATABASE_URL` names a test server), and registry files.

#![allow(dead_code)] // each test binary uses a different part of this module

pub mod cli_env;
pub mod console;

use dienbien_dispatch::store::DatabaseLocation;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A database for one test, removed when dropped.
pub struct TestDatabase {
    pub location: DatabaseLocation,
    pub name: &'static str,
    _dir: Option<tempfile::TempDir>,
    postgres_drop: Option<(String, String)>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, db_name)) = &self.postgres_drop
            && let Ok(mut conn) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}

impl TestDatabase {
    /// Another handle on the same database (for a second console); the first one removes it.
    pub fn shared(&self) -> TestDatabase {
        TestDatabase {
            location: self.location.clone(),
            name: self.name,
            _dir: None,
            postgres_drop: None,
        }
    }
}

pub fn sqlite() -> TestDatabase {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nested").join("dispatch.db");
    TestDatabase {
        location: DatabaseLocation::Sqlite(path),
        name: "sqlite",
        _dir: Some(dir),
        postgres_drop: None,
    }
}

/// The PostgreSQL test server's URL, when `DATABASE_URL` names one. Where PostgreSQL is
/// required (`DISPATCH_REQUIRE_POSTGRES=1`, as `.ci/run` sets), its absence fails the test
/// instead of leaving it to SQLite alone.
pub fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres://") || u.starts_with("postgresql://"));
    let required = std::env::var("DISPATCH_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    assert!(
        url.is_some() || !required,
        "DISPATCH_REQUIRE_POSTGRES=1 but DATABASE_URL does not name a PostgreSQL server"
    );
    url
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh PostgreSQL database on the test server, or `None` when no server is configured.
pub fn postgres() -> Option<TestDatabase> {
    let admin_url = postgres_admin_url()?;
    let db_name = format!(
        "dispatch_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let mut conn = PgConnection::establish(&admin_url)
        .unwrap_or_else(|e| panic!("DATABASE_URL is set but the server cannot be reached: {e}"));
    diesel::sql_query(format!("CREATE DATABASE {db_name}"))
        .execute(&mut conn)
        .expect("create test database");
    let (base, _) = admin_url
        .rsplit_once('/')
        .expect("DATABASE_URL has a database name");
    Some(TestDatabase {
        location: DatabaseLocation::Postgres(format!("{base}/{db_name}")),
        name: "postgres",
        _dir: None,
        postgres_drop: Some((admin_url, db_name)),
    })
}

/// Every backend available to this run: SQLite, and PostgreSQL when configured.
pub fn every_backend() -> Vec<TestDatabase> {
    let mut backends = vec![sqlite()];
    match postgres() {
        Some(pg) => backends.push(pg),
        None => eprintln!("note: DATABASE_URL not set to a PostgreSQL server; SQLite only"),
    }
    backends
}

/// The campus clip's junction geometry (`tests/fixtures/rules/campus.geometry.json`, camera
/// DBP-GT-A1-N: a no-parking bay where a car is parked, a walkway where people gather).
pub fn campus_geometry() -> dienbien_dispatch::domain::geometry::JunctionGeometry {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules/campus.geometry.json");
    dienbien_dispatch::domain::geometry::JunctionGeometry::from_json(
        &std::fs::read_to_string(path).unwrap(),
    )
    .unwrap()
}

/// A camera CSV header with every column.
pub const CSV_HEADER: &str = "code,name,kind,lat_deg,lon_deg,position_surveyed,heading_deg,fov_deg,junction_code,main_url,sub_url,enabled,credentials_ref,notes";

/// Runs raw SQL on a separate connection, as someone bypassing the console would.
pub fn execute_raw(location: &DatabaseLocation, sql: &str) -> Result<(), String> {
    match location {
        DatabaseLocation::Sqlite(path) => {
            let mut conn =
                SqliteConnection::establish(&path.to_string_lossy()).map_err(|e| e.to_string())?;
            conn.batch_execute(sql).map_err(|e| e.to_string())
        }
        DatabaseLocation::Postgres(url) => {
            let mut conn = PgConnection::establish(url).map_err(|e| e.to_string())?;
            conn.batch_execute(sql).map_err(|e| e.to_string())
        }
    }
}

/// The text column `value` of the first row `sql` returns, read on a separate connection.
pub fn query_one(location: &DatabaseLocation, sql: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Value {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    match location {
        DatabaseLocation::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
            diesel::sql_query(sql)
                .get_result::<Value>(&mut conn)
                .unwrap()
                .value
        }
        DatabaseLocation::Postgres(url) => {
            let mut conn = PgConnection::establish(url).unwrap();
            diesel::sql_query(sql)
                .get_result::<Value>(&mut conn)
                .unwrap()
                .value
        }
    }
}

/// Writes a minimal PMTiles v3 file holding one raster tile (z0) with the given PNG bytes:
/// an offline map as a command centre would have, only smaller.
pub fn write_single_tile_pmtiles(path: &std::path::Path, png: &[u8]) {
    fn varint(mut value: u64, out: &mut Vec<u8>) {
        while value >= 0x80 {
            out.push((value as u8 & 0x7f) | 0x80);
            value >>= 7;
        }
        out.push(value as u8);
    }
    // Root directory: one entry (tile id 0, run length 1, length, offset + 1).
    let mut directory = Vec::new();
    for v in [1, 0, 1, png.len() as u64, 1] {
        varint(v, &mut directory);
    }
    let metadata = b"{}";
    let header_len = 127u64;
    let directory_offset = header_len;
    let metadata_offset = directory_offset + directory.len() as u64;
    let data_offset = metadata_offset + metadata.len() as u64;
    let mut header = Vec::with_capacity(127);
    header.extend_from_slice(b"PMTiles");
    header.push(3);
    for v in [
        directory_offset,
        directory.len() as u64,
        metadata_offset,
        metadata.len() as u64,
        data_offset, // leaf directories: none
        0,
        data_offset,
        png.len() as u64,
        1, // addressed tiles
        1, // tile entries
        1, // tile contents
    ] {
        header.extend_from_slice(&v.to_le_bytes());
    }
    // clustered, internal compression none, tile compression none, tile type PNG, zooms 0..0
    header.extend_from_slice(&[1, 1, 1, 2, 0, 0]);
    let e7 = |deg: f64| ((deg * 1e7) as i32).to_le_bytes();
    for deg in [-180.0, -85.0, 180.0, 85.0] {
        header.extend_from_slice(&e7(deg));
    }
    header.push(0);
    header.extend_from_slice(&e7(103.0));
    header.extend_from_slice(&e7(21.38));
    assert_eq!(header.len(), 127);
    let mut file = header;
    file.extend_from_slice(&directory);
    file.extend_from_slice(metadata);
    file.extend_from_slice(png);
    std::fs::write(path, file).unwrap();
}
