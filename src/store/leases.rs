//! Engines and their camera leases: registration and heartbeat, leases taken when expired
//! (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so two engines never take the same row; SQLite: its
//! single writer), renewed, released, and the fence every engine write passes (the epoch it
//! holds must still be the lease's). Times are the database's clock, never an engine's.

use super::connection::AnyConnection;
use super::schema::{camera_leases, engines};
use super::{Store, StoreError};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;

/// What an engine says of itself at each heartbeat.
#[derive(Debug, Clone, PartialEq)]
pub struct EngineInfo {
    pub name: String,
    pub host: String,
    pub pid: i64,
    /// Cameras it may hold.
    pub capacity: i64,
    /// Its lease time: an engine silent for longer is expired.
    pub lease_ms: i64,
    /// Detector, searches asked and done, overload (JSON).
    pub status: serde_json::Value,
}

/// A camera lease an engine holds: what its writes for the camera carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LeaseFence {
    pub engine: String,
    pub camera: String,
    pub epoch: i64,
}

/// A lease renewed with the camera's health (JSON).
#[derive(Debug, Clone)]
pub struct Renewal {
    pub fence: LeaseFence,
    pub health: serde_json::Value,
}

/// An engine as `engines` lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngineListing {
    pub name: String,
    pub host: String,
    pub pid: i64,
    /// alive, stopped or expired.
    pub state: &'static str,
    pub last_heartbeat_ms: i64,
    pub started_at_ms: i64,
    pub capacity: i64,
    pub lease_ms: i64,
    /// Cameras held now.
    pub load: i64,
    pub cameras: Vec<String>,
    /// Each held camera's health, by code.
    pub health: serde_json::Map<String, serde_json::Value>,
    pub status: serde_json::Value,
}

impl EngineListing {
    /// The state of `camera`'s stream as the engine last wrote it ("playing", "retrying: …").
    pub fn camera_state(&self, camera: &str) -> Option<&str> {
        self.health.get(camera)?.get("state")?.as_str()
    }

    /// How far the camera's clock is from its engine's (ms), as its health last said.
    pub fn camera_clock_offset_ms(&self, camera: &str) -> Option<i64> {
        self.health.get(camera)?.get("clock_offset_ms")?.as_i64()
    }
}

/// The site as an engine sees it when it decides how many cameras to hold.
#[derive(Debug, Clone, PartialEq)]
pub struct SiteLoad {
    /// Enabled cameras.
    pub cameras: i64,
    /// Capacities of the engines alive now (this one included once it has beaten).
    pub capacities: Vec<(String, i64)>,
    /// Cameras each of them holds now.
    pub loads: Vec<(String, i64)>,
}

impl SiteLoad {
    /// How many cameras `engine` should hold: its share of the cameras in proportion to its
    /// capacity, rounded up, never above its capacity.
    pub fn target(&self, engine: &str, capacity: i64) -> i64 {
        let mut total: i64 = self
            .capacities
            .iter()
            .filter(|(name, _)| name != engine)
            .map(|(_, c)| (*c).max(0))
            .sum();
        total += capacity.max(0);
        if total == 0 {
            return 0;
        }
        let share = (self.cameras * capacity.max(0) + total - 1) / total;
        share.min(capacity.max(0))
    }

    /// How many more cameras the alive engines other than `engine` want than they hold.
    pub fn wanted_besides(&self, engine: &str) -> i64 {
        self.capacities
            .iter()
            .filter(|(name, _)| name != engine)
            .map(|(name, capacity)| {
                let load = self
                    .loads
                    .iter()
                    .find(|(n, _)| n == name)
                    .map_or(0, |(_, l)| *l);
                (self.target(name, *capacity) - load).max(0)
            })
            .sum()
    }
}

#[derive(QueryableByName)]
struct Now {
    #[diesel(sql_type = BigInt)]
    ms: i64,
}

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = Text)]
    camera_code: String,
    #[diesel(sql_type = BigInt)]
    epoch: i64,
}

/// Runs the same statement code on whichever backend the connection is.
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            AnyConnection::Postgresql($c) => $body,
            AnyConnection::Sqlite($c) => $body,
        }
    };
}

fn is_postgres(conn: &AnyConnection) -> bool {
    matches!(conn, AnyConnection::Postgresql(_))
}

/// The statement for the backend: PostgreSQL's `$n` placeholders become SQLite's `?n`, and
/// `{now}` becomes the database's clock in UTC milliseconds.
fn statement(conn: &AnyConnection, postgres: &str) -> String {
    if is_postgres(conn) {
        postgres.replace(
            "{now}",
            "(extract(epoch from clock_timestamp()) * 1000)::bigint",
        )
    } else {
        postgres
            .replace("$", "?")
            .replace(
                "{now}",
                "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
            )
            .replace(" FOR UPDATE OF c SKIP LOCKED", "")
            .replace(" FOR SHARE", "")
    }
}

/// The database's clock, UTC ms.
fn database_now(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    let sql = statement(conn, "SELECT {now} AS ms");
    let now: Now = on_backend!(conn, c => diesel::sql_query(&sql).get_result(c)?);
    Ok(now.ms)
}

/// Refuses the write unless `fence` is still the camera's lease (PostgreSQL: the lease row is
/// share-locked until the transaction ends, so no takeover can slip in between).
pub(super) fn check_fence(conn: &mut AnyConnection, fence: &LeaseFence) -> Result<(), StoreError> {
    let sql = statement(
        conn,
        "SELECT camera_code, epoch FROM camera_leases \
         WHERE camera_code = $1 AND engine_name = $2 FOR SHARE",
    );
    let rows: Vec<Taken> = on_backend!(conn, c => diesel::sql_query(&sql)
        .bind::<Text, _>(&fence.camera)
        .bind::<Text, _>(&fence.engine)
        .load(c)?);
    match rows.first() {
        Some(row) if row.epoch == fence.epoch => Ok(()),
        _ => Err(StoreError::StaleLease {
            camera: fence.camera.clone(),
            engine: fence.engine.clone(),
            epoch: fence.epoch,
        }),
    }
}

impl Store {
    /// The database's clock, UTC ms (leases and heartbeats are on it).
    pub fn database_now_ms(&mut self) -> Result<i64, StoreError> {
        database_now(&mut self.conn)
    }

    /// Registers `info` or refreshes its row (`starting`: a new run of the engine); returns
    /// the database's clock.
    pub fn engine_heartbeat(
        &mut self,
        info: &EngineInfo,
        starting: bool,
    ) -> Result<i64, StoreError> {
        let status = info.status.to_string();
        self.write_transaction(|conn| {
            let now = database_now(conn)?;
            let updated = diesel::update(engines::table.find(&info.name))
                .set((
                    engines::host.eq(&info.host),
                    engines::pid.eq(info.pid),
                    engines::capacity.eq(info.capacity),
                    engines::lease_ms.eq(info.lease_ms),
                    engines::last_heartbeat_ms.eq(now),
                    engines::stopped_at_ms.eq(None::<i64>),
                    engines::status.eq(&status),
                ))
                .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(engines::table)
                    .values((
                        engines::name.eq(&info.name),
                        engines::host.eq(&info.host),
                        engines::pid.eq(info.pid),
                        engines::capacity.eq(info.capacity),
                        engines::lease_ms.eq(info.lease_ms),
                        engines::started_at_ms.eq(now),
                        engines::last_heartbeat_ms.eq(now),
                        engines::status.eq(&status),
                    ))
                    .execute(conn)?;
            } else if starting {
                diesel::update(engines::table.find(&info.name))
                    .set(engines::started_at_ms.eq(now))
                    .execute(conn)?;
            }
            Ok(now)
        })
    }

    /// Whether another engine named `name` is alive now (a second engine must not take the
    /// same name: its leases would be the first one's).
    pub fn engine_alive(&mut self, name: &str) -> Result<bool, StoreError> {
        Ok(self
            .engines()?
            .iter()
            .any(|e| e.name == name && e.state == "alive"))
    }

    /// Enabled cameras and the capacities of the engines alive now.
    pub fn site_load(&mut self) -> Result<SiteLoad, StoreError> {
        use super::schema::cameras;
        let count: i64 = cameras::table
            .filter(cameras::enabled.eq(true))
            .count()
            .get_result(&mut self.conn)?;
        let alive: Vec<EngineListing> = self
            .engines()?
            .into_iter()
            .filter(|e| e.state == "alive")
            .collect();
        Ok(SiteLoad {
            cameras: count,
            capacities: alive.iter().map(|e| (e.name.clone(), e.capacity)).collect(),
            loads: alive.iter().map(|e| (e.name.clone(), e.load)).collect(),
        })
    }

    /// Renews the leases `engine` holds (and writes each camera's health); returns the
    /// cameras whose lease it no longer holds (taken over after it expired).
    pub fn renew_leases(
        &mut self,
        renewals: &[Renewal],
        ttl_ms: i64,
    ) -> Result<Vec<LeaseFence>, StoreError> {
        let bodies: Vec<String> = renewals.iter().map(|r| r.health.to_string()).collect();
        self.write_transaction(|conn| {
            let now = database_now(conn)?;
            let mut lost = Vec::new();
            for (renewal, health) in renewals.iter().zip(&bodies) {
                let fence = &renewal.fence;
                let updated = diesel::update(
                    camera_leases::table
                        .find(&fence.camera)
                        .filter(camera_leases::engine_name.eq(&fence.engine))
                        .filter(camera_leases::epoch.eq(fence.epoch)),
                )
                .set((
                    camera_leases::expires_at_ms.eq(now + ttl_ms),
                    camera_leases::health.eq(health),
                ))
                .execute(conn)?;
                if updated == 0 {
                    lost.push(fence.clone());
                }
            }
            Ok(lost)
        })
    }

    /// Takes up to `max` enabled cameras whose lease has expired (or that never had one),
    /// raising each one's epoch; returns the leases taken. Cameras are taken in code order.
    pub fn take_leases(
        &mut self,
        engine: &str,
        max: i64,
        ttl_ms: i64,
    ) -> Result<Vec<LeaseFence>, StoreError> {
        if max <= 0 {
            return Ok(Vec::new());
        }
        self.write_transaction(|conn| {
            let insert = statement(
                conn,
                "INSERT INTO camera_leases \
                 (camera_code, engine_name, epoch, expires_at_ms, acquired_at_ms, health) \
                 SELECT code, NULL, 0, 0, 0, '{}' FROM cameras \
                 WHERE enabled AND code NOT IN (SELECT camera_code FROM camera_leases) \
                 ON CONFLICT (camera_code) DO NOTHING",
            );
            on_backend!(conn, c => diesel::sql_query(&insert).execute(c)?);
            let now = database_now(conn)?;
            let take = statement(
                conn,
                "UPDATE camera_leases SET engine_name = $1, epoch = epoch + 1, \
                 expires_at_ms = $2, acquired_at_ms = $3, health = '{}' \
                 WHERE camera_code IN (\
                   SELECT c.camera_code FROM camera_leases c JOIN cameras k ON k.code = c.camera_code \
                   WHERE k.enabled AND c.expires_at_ms < $3 \
                   ORDER BY c.camera_code LIMIT $4 FOR UPDATE OF c SKIP LOCKED) \
                 RETURNING camera_code, epoch",
            );
            let taken: Vec<Taken> = on_backend!(conn, c => diesel::sql_query(&take)
                .bind::<Text, _>(engine)
                .bind::<BigInt, _>(now + ttl_ms)
                .bind::<BigInt, _>(now)
                .bind::<BigInt, _>(max)
                .load(c)?);
            let mut taken: Vec<LeaseFence> = taken
                .into_iter()
                .map(|t| LeaseFence {
                    engine: engine.to_owned(),
                    camera: t.camera_code,
                    epoch: t.epoch,
                })
                .collect();
            taken.sort_by(|a, b| a.camera.cmp(&b.camera));
            Ok(taken)
        })
    }

    /// Gives leases back at once (a clean stop, or a camera handed to a less loaded engine):
    /// another engine may take them at its next look.
    pub fn release_leases(&mut self, leases: &[LeaseFence]) -> Result<(), StoreError> {
        self.write_transaction(|conn| {
            for fence in leases {
                diesel::update(
                    camera_leases::table
                        .find(&fence.camera)
                        .filter(camera_leases::engine_name.eq(&fence.engine))
                        .filter(camera_leases::epoch.eq(fence.epoch)),
                )
                .set(camera_leases::expires_at_ms.eq(0))
                .execute(conn)?;
            }
            Ok(())
        })
    }

    /// Marks `engine` stopped and gives back every lease it still holds.
    pub fn engine_stopped(&mut self, engine: &str) -> Result<(), StoreError> {
        self.write_transaction(|conn| {
            let now = database_now(conn)?;
            diesel::update(engines::table.find(engine))
                .set(engines::stopped_at_ms.eq(now))
                .execute(conn)?;
            diesel::update(camera_leases::table.filter(camera_leases::engine_name.eq(engine)))
                .set(camera_leases::expires_at_ms.eq(0))
                .execute(conn)?;
            Ok(())
        })
    }

    /// Every engine that has run on this database, with the cameras it holds now (an engine
    /// silent for longer than its lease time is expired).
    pub fn engines(&mut self) -> Result<Vec<EngineListing>, StoreError> {
        type EngineRow = (String, String, i64, i64, i64, i64, i64, Option<i64>, String);
        let now = self.database_now_ms()?;
        let rows: Vec<EngineRow> = engines::table
            .order(engines::name.asc())
            .load(&mut self.conn)?;
        let leases: Vec<(String, Option<String>, i64, String)> = camera_leases::table
            .filter(camera_leases::expires_at_ms.gt(now))
            .order(camera_leases::camera_code.asc())
            .select((
                camera_leases::camera_code,
                camera_leases::engine_name,
                camera_leases::expires_at_ms,
                camera_leases::health,
            ))
            .load(&mut self.conn)?;
        Ok(rows
            .into_iter()
            .map(
                |(
                    name,
                    host,
                    pid,
                    capacity,
                    lease_ms,
                    started_at_ms,
                    last_heartbeat_ms,
                    stopped,
                    status,
                )| {
                    let held: Vec<&(String, Option<String>, i64, String)> = leases
                        .iter()
                        .filter(|l| l.1.as_deref() == Some(name.as_str()))
                        .collect();
                    let state = if stopped.is_some() {
                        "stopped"
                    } else if last_heartbeat_ms >= now - lease_ms {
                        "alive"
                    } else {
                        "expired"
                    };
                    EngineListing {
                        state,
                        host,
                        pid,
                        last_heartbeat_ms,
                        started_at_ms,
                        capacity,
                        lease_ms,
                        load: held.len() as i64,
                        cameras: held.iter().map(|l| l.0.clone()).collect(),
                        health: held
                            .iter()
                            .map(|l| {
                                (
                                    l.0.clone(),
                                    serde_json::from_str(&l.3).unwrap_or(serde_json::Value::Null),
                                )
                            })
                            .collect(),
                        status: serde_json::from_str(&status).unwrap_or(serde_json::Value::Null),
                        name,
                    }
                },
            )
            .collect())
    }

    /// Enabled cameras that none of `engines` (a listing just read) holds: the console says
    /// so on their tiles.
    pub fn unheld_cameras(&mut self, engines: &[EngineListing]) -> Result<Vec<String>, StoreError> {
        use super::schema::cameras;
        let enabled: Vec<String> = cameras::table
            .filter(cameras::enabled.eq(true))
            .order(cameras::code.asc())
            .select(cameras::code)
            .load(&mut self.conn)?;
        Ok(enabled
            .into_iter()
            .filter(|c| !engines.iter().any(|e| e.cameras.contains(c)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(cameras: i64, capacities: &[(&str, i64)]) -> SiteLoad {
        SiteLoad {
            cameras,
            capacities: capacities
                .iter()
                .map(|(n, c)| ((*n).to_owned(), *c))
                .collect(),
            loads: Vec::new(),
        }
    }

    #[test]
    fn cameras_are_shared_in_proportion_to_capacity() {
        let s = site(19, &[("a", 16), ("b", 16)]);
        assert_eq!(s.target("a", 16), 10);
        assert_eq!(s.target("b", 16), 10);
        // A bigger machine takes more; nobody takes more than it can.
        let s = site(19, &[("a", 8), ("b", 24)]);
        assert_eq!(s.target("a", 8), 5);
        assert_eq!(s.target("b", 24), 15);
        let s = site(40, &[("a", 8), ("b", 8)]);
        assert_eq!(s.target("a", 8), 8);
    }

    #[test]
    fn cameras_are_handed_only_to_engines_that_want_more() {
        let mut s = site(4, &[("a", 4), ("b", 4)]);
        s.loads = vec![("a".into(), 4), ("b".into(), 0)];
        assert_eq!(s.wanted_besides("a"), 2);
        s.loads = vec![("a".into(), 2), ("b".into(), 2)];
        assert_eq!(s.wanted_besides("a"), 0);
    }

    #[test]
    fn an_engine_alone_takes_what_it_can_and_one_not_yet_listed_counts_itself() {
        assert_eq!(site(4, &[]).target("a", 16), 4);
        assert_eq!(site(4, &[("b", 4)]).target("a", 4), 2);
        assert_eq!(site(4, &[("a", 0)]).target("a", 0), 0);
        assert_eq!(site(0, &[("a", 4)]).target("a", 4), 0);
    }
}
