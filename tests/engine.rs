//! The engine (`serve`) and its leases, against real databases (SQLite always, PostgreSQL when
//! `DATABASE_URL` names a server): leases taken once, renewed, fenced and taken over; two
//! engines racing for the same cameras; `serve` recording and judging a camera with no
//! console open; an engine killed with SIGKILL losing its cameras to the other; events raised
//! while the database is down stored once it is back.

mod common;
mod support;

use common::cli_env::CliEnv;
use common::{TestDatabase, every_backend, execute_raw};
use dienbien_dispatch::registry::parse_csv;
use dienbien_dispatch::store::{DatabaseLocation, LeaseFence, NewEvent, Store, StoreError};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, SqliteConnection};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use support::{RtspServer, free_port, media};

/// A database holding only the test's cameras as enabled (the sample inventory is seeded,
/// then disabled, so engines lease only what the test serves).
fn site(db: &TestDatabase, cameras: &[(&str, String)]) -> Store {
    let (mut store, _) = Store::open_seeded(&db.location).unwrap();
    execute_raw(&db.location, "UPDATE cameras SET enabled = FALSE").unwrap();
    let mut csv = String::from("code,name,kind,lat_deg,lon_deg,junction_code,main_url\n");
    for (code, url) in cameras {
        csv.push_str(&format!(
            "{code},Camera {code},enforcement,21.3858,103.0205,DBP-J-A1,{url}\n"
        ));
    }
    let who = store.first_run_principal().expect("a principal");
    store
        .import_registry(&who, &parse_csv(&csv).unwrap(), "cameras.csv")
        .unwrap();
    store
}

fn event(camera: &str) -> NewEvent {
    NewEvent {
        camera_code: camera.into(),
        kind: dienbien_dispatch::domain::ViolationKind::RedLight,
        track: 1,
        class: dienbien_dispatch::domain::ObjectClass::Car,
        place: None,
        stream_at_ms: 0,
        time_into_red_ms: None,
        clause: None,
        detail: dienbien_dispatch::domain::EventDetail::default(),
    }
}

/// Polls `probe` until it gives a value, failing after `limit`.
fn poll<T>(what: &str, limit: Duration, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn leases_are_taken_once_renewed_fenced_and_taken_over_after_expiry() {
    for db in every_backend() {
        let cameras = [
            ("LEASE-A", "rtsp://camera-a.invalid/main".to_owned()),
            ("LEASE-B", "rtsp://camera-b.invalid/main".to_owned()),
        ];
        let mut one = site(&db, &cameras);
        let mut two = Store::open(&db.location).unwrap();
        let taken = one.take_leases("one", 10, 60_000).unwrap();
        let codes: Vec<&str> = taken.iter().map(|f| f.camera.as_str()).collect();
        assert_eq!(codes, ["LEASE-A", "LEASE-B"], "{}", db.name);
        assert!(taken.iter().all(|f| f.epoch == 1), "{}", db.name);
        // Held leases are not taken by another engine.
        assert!(two.take_leases("two", 10, 60_000).unwrap().is_empty());
        // A write under a held lease carries its epoch.
        let engine = one.local_engine_principal().expect("a principal");
        let id = one
            .record_event_fenced(&engine, &event("LEASE-A"), &taken[0])
            .unwrap();
        assert_eq!(one.event(id).unwrap().unwrap().lease_epoch, Some(1));

        // LEASE-A is given back; the other engine takes it with the next epoch, and the first
        // engine's writes for it are refused from then on.
        one.release_leases(&taken[..1]).unwrap();
        let second = two.take_leases("two", 10, 60_000).unwrap();
        assert_eq!(
            second,
            vec![LeaseFence {
                engine: "two".into(),
                camera: "LEASE-A".into(),
                epoch: 2
            }],
            "{}",
            db.name
        );
        let engine = one.local_engine_principal().expect("a principal");
        let refused = one.record_event_fenced(&engine, &event("LEASE-A"), &taken[0]);
        assert!(
            matches!(refused, Err(StoreError::StaleLease { ref camera, epoch: 1, .. }) if camera == "LEASE-A"),
            "{}: {refused:?}",
            db.name
        );
        assert!(
            refused
                .unwrap_err()
                .to_string()
                .contains("no longer holds its lease")
        );
        let engine = one.local_engine_principal().expect("a principal");
        let refused = one.recording_opened_fenced(&engine, &taken[0], "/nowhere/a.mp4", 0);
        assert!(matches!(refused, Err(StoreError::StaleLease { .. })));
        // Renewal tells the first engine what it lost.
        let renewals: Vec<_> = taken
            .iter()
            .map(|f| dienbien_dispatch::store::Renewal {
                fence: f.clone(),
                health: serde_json::json!({"state": "playing"}),
            })
            .collect();
        let lost = one.renew_leases(&renewals, 60_000).unwrap();
        assert_eq!(lost, vec![taken[0].clone()], "{}", db.name);

        // A lease not renewed expires on the database's clock and is taken over.
        let short = two.take_leases("two", 10, 60_000).unwrap();
        assert!(short.is_empty());
        one.renew_leases(&renewals[1..], 300).unwrap();
        let over = poll("LEASE-B to expire", Duration::from_secs(10), || {
            let got = two.take_leases("two", 10, 60_000).unwrap();
            (!got.is_empty()).then_some(got)
        });
        assert_eq!(over[0].camera, "LEASE-B");
        assert_eq!(over[0].epoch, 2);
        let engine = one.local_engine_principal().expect("a principal");
        assert!(
            one.record_event_fenced(&engine, &event("LEASE-B"), &taken[1])
                .is_err()
        );
        let engine = two.local_engine_principal().expect("a principal");
        assert!(
            two.record_event_fenced(&engine, &event("LEASE-B"), &over[0])
                .is_ok()
        );
    }
}

#[test]
fn engines_racing_for_the_same_cameras_take_each_exactly_once() {
    for db in every_backend() {
        let cameras: Vec<(String, String)> = (0..12)
            .map(|i| {
                (
                    format!("RACE-{i:02}"),
                    format!("rtsp://race-{i}.invalid/main"),
                )
            })
            .collect();
        let refs: Vec<(&str, String)> = cameras
            .iter()
            .map(|(c, u)| (c.as_str(), u.clone()))
            .collect();
        drop(site(&db, &refs));
        let location = db.location.clone();
        let taken: Vec<Vec<LeaseFence>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|n| {
                    let location = location.clone();
                    scope.spawn(move || {
                        let mut store = Store::open(&location).unwrap();
                        let mut mine = Vec::new();
                        // Each engine asks for a few at a time, as heartbeats would.
                        for _ in 0..6 {
                            mine.extend(store.take_leases(&format!("e{n}"), 2, 60_000).unwrap());
                        }
                        mine
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let mut all: Vec<String> = taken.iter().flatten().map(|f| f.camera.clone()).collect();
        all.sort();
        let expected: Vec<String> = cameras.iter().map(|(c, _)| c.clone()).collect();
        assert_eq!(all, expected, "{}: every camera exactly once", db.name);
        assert!(taken.iter().flatten().all(|f| f.epoch == 1));
    }
}

/// `serve` with the environment of `env`, as a service would run it.
fn serve(env: &CliEnv, args: &[&str]) -> Child {
    let mut all = vec!["serve"];
    all.extend_from_slice(args);
    env.command(&all)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

fn engines(env: &CliEnv) -> Vec<serde_json::Value> {
    let out = env.ok(&["engines", "--json"]);
    serde_json::from_str::<serde_json::Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn listed<'a>(listing: &'a [serde_json::Value], name: &str) -> Option<&'a serde_json::Value> {
    listing.iter().find(|e| e["name"] == name)
}

fn cameras_of(listing: &[serde_json::Value], name: &str) -> Vec<String> {
    listed(listing, name)
        .and_then(|e| e["cameras"].as_array())
        .map(|a| {
            a.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn terminate(child: &mut Child) {
    // SAFETY: kill(2) on our own child's pid.
    let sent = unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    assert_eq!(sent, 0);
}

/// The environment of a CLI run against `db` (a PostgreSQL URL goes through DATABASE_URL's
/// flag, a SQLite file through the folder's own database).
fn env_for(db: &TestDatabase) -> CliEnv {
    let env = match &db.location {
        DatabaseLocation::Sqlite(path) => CliEnv::new().with_database(path.clone()),
        DatabaseLocation::Postgres(url) => CliEnv::new().with_database(PathBuf::from(url)),
    };
    env.with_models()
}

#[test]
fn serve_records_and_judges_a_camera_with_no_console_open() {
    let db = common::sqlite();
    let env = env_for(&db);
    let clip = format!("file://{}", media("vtest-h264-high.mp4").display());
    let road = format!("file://{}", media("car-detection.mp4").display());
    let mut store = site(&db, &[("DBP-GT-A1-N", clip), ("DBP-FLOW-TEST", road)]);
    let who = store.first_run_principal().expect("a principal");
    store
        .save_geometry(&who, &common::campus_geometry())
        .unwrap();
    // The road clip with a count line across it (tests/fixtures/counts).
    let mut count_line = dienbien_dispatch::domain::geometry::JunctionGeometry::from_json(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/counts/car-detection.geometry.json"),
        )
        .unwrap(),
    )
    .unwrap();
    count_line.camera = "DBP-FLOW-TEST".into();
    let who = store.first_run_principal().expect("a principal");
    store.save_geometry(&who, &count_line).unwrap();
    let recordings = env.path("recordings");
    let mut serving = serve(
        &env,
        &[
            "--name",
            "engine-1",
            "--dir",
            recordings.to_str().unwrap(),
            "--segment-secs",
            "5",
        ],
    );
    // The parked car is a violation after its 20 s: raised and stored by the engine alone.
    let parked = poll("the parking violation", Duration::from_secs(120), || {
        assert!(serving.try_wait().unwrap().is_none(), "serve exited early");
        store
            .recent_events(50)
            .unwrap()
            .into_iter()
            .find(|e| e.kind == dienbien_dispatch::domain::ViolationKind::IllegalParking)
    });
    assert_eq!(parked.camera_code, "DBP-GT-A1-N");
    assert_eq!(parked.clause.as_deref(), Some("6.3.e"));
    assert_eq!(parked.lease_epoch, Some(1), "written under the lease");
    assert_eq!(parked.detail.geometry_version, Some(1));
    // The engine lists itself with the camera it holds and its health.
    let listing = engines(&env);
    let me = listed(&listing, "engine-1").expect("the engine is listed");
    assert_eq!(me["state"], "alive");
    assert_eq!(me["load"], 2);
    assert_eq!(
        cameras_of(&listing, "engine-1"),
        ["DBP-FLOW-TEST", "DBP-GT-A1-N"]
    );
    assert_eq!(me["health"]["DBP-GT-A1-N"]["state"], "playing");
    assert!(me["last_heartbeat_ms"].as_i64().unwrap() > 0);
    // Its overlays are stored for replays.
    let at = parked.at_utc_ms().unwrap();
    let overlays = store
        .overlays_between(&["DBP-GT-A1-N".to_owned()], at - 60_000, at + 60_000)
        .unwrap();
    assert!(!overlays.is_empty(), "overlays recorded");
    // The road camera's vehicles over its count line are stored per minute.
    let counts = poll("traffic counts stored", Duration::from_secs(60), || {
        let now = dienbien_dispatch::clock::now_utc_ms();
        let rows = store
            .counts_between("DBP-FLOW-TEST", now - 600_000, now + 60_000)
            .unwrap();
        (!rows.is_empty()).then_some(rows)
    });
    assert!(
        counts.iter().all(|c| c.line == "mid" && c.vehicles >= 1),
        "{counts:?}"
    );
    // A second engine with the same name is refused with a clear message.
    let refused = env.fails(&["serve", "--name", "engine-1"]);
    assert!(
        refused.contains("another engine named 'engine-1'"),
        "{refused}"
    );

    // SIGTERM: segments closed and indexed, the camera given back.
    terminate(&mut serving);
    let status = serving.wait().unwrap();
    assert!(status.success(), "serve exit status {status:?}");
    let rows = store.recordings().unwrap();
    assert!(rows.len() >= 2, "segments recorded: {rows:?}");
    assert!(
        rows.iter()
            .all(|r| r.state == "closed" && r.lease_epoch == Some(1)),
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| Path::new(&r.path).exists()));
    let listing = engines(&env);
    assert_eq!(listed(&listing, "engine-1").unwrap()["state"], "stopped");
    assert_eq!(listed(&listing, "engine-1").unwrap()["load"], 0);
}

#[test]
fn an_engine_killed_loses_its_cameras_to_the_other_within_the_lease() {
    for db in every_backend() {
        let servers = [
            RtspServer::start("vtest-h264-baseline.mp4", free_port(), None),
            RtspServer::start("vtest-h264-baseline.mp4", free_port(), None),
        ];
        let cameras = [("FAIL-A", servers[0].url()), ("FAIL-B", servers[1].url())];
        let mut store = site(&db, &cameras);
        // Detection off: this test is about leases and recording.
        let env = env_for(&db);
        let config = env.file(
            "config.toml",
            "[detect]\nenabled = false\n[recording]\nmin_free_percent = 0.0\n",
        );
        let env = env.with_env("DISPATCH_CONFIG", config.to_str().unwrap());
        let recordings = env.path("recordings");
        let dir = recordings.to_str().unwrap();
        let common_args = ["--lease-secs", "3", "--dir", dir, "--segment-secs", "2"];
        let mut first = serve(
            &env,
            &[&["--name", "first", "--capacity", "1"], &common_args[..]].concat(),
        );
        poll("the first engine's camera", Duration::from_secs(30), || {
            (cameras_of(&engines(&env), "first").len() == 1).then_some(())
        });
        let mut second = serve(
            &env,
            &[&["--name", "second", "--capacity", "2"], &common_args[..]].concat(),
        );
        // Every camera leased exactly once.
        let (held_first, held_second) = poll("both cameras held", Duration::from_secs(30), || {
            let listing = engines(&env);
            let (a, b) = (
                cameras_of(&listing, "first"),
                cameras_of(&listing, "second"),
            );
            (a.len() + b.len() == 2).then_some((a, b))
        });
        assert_eq!(held_first.len(), 1, "{}: {held_first:?}", db.name);
        assert!(
            held_second.iter().all(|c| !held_first.contains(c)),
            "{}",
            db.name
        );
        let moved = held_first[0].clone();
        // Let the first engine record its camera for a while.
        poll(
            "a segment of the first engine",
            Duration::from_secs(30),
            || {
                store
                    .recordings()
                    .unwrap()
                    .iter()
                    .any(|r| r.camera_code == moved && r.state == "closed")
                    .then_some(())
            },
        );
        // Power cut: SIGKILL. Its camera goes to the other engine once the lease runs out.
        first.kill().unwrap();
        first.wait().unwrap();
        let killed_at = Instant::now();
        poll("the takeover", Duration::from_secs(30), || {
            (cameras_of(&engines(&env), "second").len() == 2).then_some(())
        });
        eprintln!(
            "{}: camera {moved} taken over {:.1} s after SIGKILL (lease 3 s)",
            db.name,
            killed_at.elapsed().as_secs_f64()
        );
        let listing = engines(&env);
        assert_eq!(listed(&listing, "first").unwrap()["state"], "expired");
        // The second engine records the camera under the next epoch.
        poll(
            "a segment under the new epoch",
            Duration::from_secs(30),
            || {
                store
                    .recordings()
                    .unwrap()
                    .iter()
                    .any(|r| {
                        r.camera_code == moved && r.lease_epoch == Some(2) && r.state == "closed"
                    })
                    .then_some(())
            },
        );
        terminate(&mut second);
        assert!(second.wait().unwrap().success());
        // No segment written twice: the first engine's segments all began before the
        // second's, its open one recovered by the second, and nothing is left open.
        let rows: Vec<_> = store
            .recordings()
            .unwrap()
            .into_iter()
            .filter(|r| r.camera_code == moved)
            .collect();
        let starts = |epoch: i64| {
            rows.iter()
                .filter(move |r| r.lease_epoch == Some(epoch))
                .map(|r| r.started_ms)
        };
        let last_first = starts(1).max().unwrap();
        let first_second = starts(2).min().unwrap();
        assert!(last_first < first_second, "{}: {rows:?}", db.name);
        // (The segment open at the kill is recovered, or lost when its first fragment had
        // not reached the disk yet.)
        assert!(
            rows.iter().all(|r| r.state != "open"),
            "{}: {rows:?}",
            db.name
        );
        // A row without an epoch can only be one the recovery indexed from a file.
        assert!(
            rows.iter()
                .all(|r| r.lease_epoch.is_some() || r.state == "recovered" || r.state == "lost"),
            "{rows:?}"
        );
    }
}

/// An outage of the database as the engine meets it: SQLite locked by another writer
/// (`BEGIN EXCLUSIVE`), PostgreSQL refusing connections to the site's database with the
/// engine's connections cut. Dropped: the outage ends.
enum Outage {
    SqliteLocked(SqliteConnection),
    PostgresClosed {
        admin: PgConnection,
        db_name: String,
    },
}

impl Outage {
    fn begin(db: &TestDatabase) -> Self {
        match &db.location {
            DatabaseLocation::Sqlite(path) => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy()).unwrap();
                conn.batch_execute("BEGIN EXCLUSIVE").unwrap();
                Outage::SqliteLocked(conn)
            }
            DatabaseLocation::Postgres(url) => {
                let admin_url = common::postgres_admin_url().expect("the server's URL");
                let db_name = url.rsplit_once('/').unwrap().1.to_owned();
                let mut admin = PgConnection::establish(&admin_url).unwrap();
                admin
                    .batch_execute(&format!(
                        "ALTER DATABASE {db_name} ALLOW_CONNECTIONS false; \
                         SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE datname = '{db_name}' AND pid <> pg_backend_pid()"
                    ))
                    .unwrap();
                Outage::PostgresClosed { admin, db_name }
            }
        }
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        let ended = match self {
            Outage::SqliteLocked(conn) => conn.batch_execute("ROLLBACK"),
            Outage::PostgresClosed { admin, db_name } => {
                admin.batch_execute(&format!("ALTER DATABASE {db_name} ALLOW_CONNECTIONS true"))
            }
        };
        if let Err(e) = ended {
            eprintln!("could not end the outage: {e}");
        }
    }
}

/// `serve` whose log lines are echoed and sent to the returned channel.
fn serve_logged(env: &CliEnv, args: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let mut all = vec!["serve"];
    all.extend_from_slice(args);
    let mut child = env
        .command(&all)
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("{line}");
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    (child, received)
}

/// Waits for a log line containing `text`, failing after `limit`; the lines before it.
fn wait_for_line(lines: &mpsc::Receiver<String>, text: &str, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    let mut before = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(text) => return before,
            Ok(line) => before.push(line),
            Err(e) => panic!("no log line with {text:?}: {e}"),
        }
    }
}

#[test]
fn events_raised_while_the_database_is_down_are_stored_once_it_is_back() {
    for db in every_backend() {
        let env = env_for(&db);
        let clip = format!("file://{}", media("vtest-h264-high.mp4").display());
        let mut store = site(&db, &[("DBP-GT-A1-N", clip)]);
        let who = store.first_run_principal().expect("a principal");
        store
            .save_geometry(&who, &common::campus_geometry())
            .unwrap();
        let recordings = env.path("recordings");
        // The lease outlasts the outage, so the engine keeps its camera and goes on judging.
        let (mut serving, lines) = serve_logged(
            &env,
            &[
                "--name",
                "engine-outage",
                "--lease-secs",
                "150",
                "--dir",
                recordings.to_str().unwrap(),
            ],
        );
        poll("the camera leased", Duration::from_secs(60), || {
            (cameras_of(&engines(&env), "engine-outage").len() == 1).then_some(())
        });
        // The database goes away before the parked car's violation (20 s into the clip).
        let outage = Outage::begin(&db);
        let during = wait_for_line(
            &lines,
            "cannot store an event; kept until the database is back",
            Duration::from_secs(180),
        );
        // Overlays lost in the outage are logged once, not once a second.
        let overlay_errors = during
            .iter()
            .filter(|l| l.contains("cannot store overlays"))
            .count();
        assert!(overlay_errors <= 1, "{}: {overlay_errors} lines", db.name);
        assert!(serving.try_wait().unwrap().is_none(), "serve exited");
        drop(outage);
        let stored = poll("the waiting event stored", Duration::from_secs(60), || {
            // (The outage cut this test's own connection to PostgreSQL too.)
            let events = match store.recent_events(50) {
                Ok(events) => events,
                Err(_) => {
                    let _ = store.reconnect();
                    return None;
                }
            };
            let parked: Vec<_> = events
                .into_iter()
                .filter(|e| e.kind == dienbien_dispatch::domain::ViolationKind::IllegalParking)
                .collect();
            (!parked.is_empty()).then_some(parked)
        });
        // Stored once: no two rows for the same moment of the same track (the clip loops, so
        // the parked car may be raised again later, at another moment).
        let moments: std::collections::HashSet<_> =
            stored.iter().map(|e| (e.track, e.stream_at_ms)).collect();
        assert_eq!(moments.len(), stored.len(), "{}: {stored:?}", db.name);
        assert!(
            stored.iter().all(|e| e.lease_epoch == Some(1)),
            "{}",
            db.name
        );
        // (Counts reach the listing with the next heartbeat: a fifth of the lease.)
        let status = poll("the engine's counts", Duration::from_secs(90), || {
            let listing = engines(&env);
            let me = listed(&listing, "engine-outage")?.clone();
            (me["status"]["events_written"].as_i64()? >= 1).then_some(me["status"].clone())
        });
        assert_eq!(status["events_dropped"], 0, "{}: {status}", db.name);
        assert_eq!(status["events_waiting"], 0, "{}: {status}", db.name);
        terminate(&mut serving);
        assert!(serving.wait().unwrap().success(), "{}", db.name);
    }
}

#[test]
fn a_watch_listed_plate_read_by_the_engine_raises_a_watch_list_event() {
    use dienbien_dispatch::domain::ViolationKind;
    let db = common::sqlite();
    let env = env_for(&db);
    // The street photo with a rendered plate, 27A-967.97, painted over the car's (a still
    // clip; resources/samples/README.md says how it was made).
    let clip = format!("file://{}", media("street-watchlist-plate.mp4").display());
    let mut store = site(&db, &[("DBP-GT-A1-N", clip)]);
    let added = env.ok(&[
        "watchlist",
        "add",
        "27a 967.97",
        "--reason",
        "Xe bị truy tìm",
    ]);
    assert!(added.contains("27A-967.97 is on the watch list"), "{added}");
    let recordings = env.path("recordings");
    let mut serving = serve(
        &env,
        &["--name", "engine-1", "--dir", recordings.to_str().unwrap()],
    );
    let hit = poll("the watch-list event", Duration::from_secs(180), || {
        assert!(serving.try_wait().unwrap().is_none(), "serve exited early");
        store
            .recent_events(50)
            .unwrap()
            .into_iter()
            .find(|e| e.kind == ViolationKind::WatchList)
    });
    assert_eq!(hit.camera_code, "DBP-GT-A1-N");
    assert_eq!(hit.lease_epoch, Some(1), "written under the lease");
    let watch = hit.detail.watch.clone().expect("the entry and the reading");
    assert_eq!(watch.listed, "27A-967.97");
    assert_eq!(watch.reason, "Xe bị truy tìm");
    assert_eq!(Some(watch.sighting_id), hit.plate_sighting_id);

    // The sighting is found by a search one character off, with its close-up.
    let close_ups = env.path("close-ups");
    let found: serde_json::Value = serde_json::from_str(&env.ok(&[
        "plates",
        "search",
        "27A-967.98",
        "--json",
        "--close-ups",
        close_ups.to_str().unwrap(),
    ]))
    .unwrap();
    let sighting = &found["sightings"][0];
    assert_eq!(sighting["id"], watch.sighting_id);
    assert_eq!(sighting["reading"]["text"], "27A96797");
    assert_eq!(sighting["camera_code"], "DBP-GT-A1-N");
    let jpeg = std::fs::read(close_ups.join(format!("{}.jpg", watch.sighting_id))).unwrap();
    let picture = image::load_from_memory(&jpeg).expect("a readable close-up");
    assert!(
        picture.width() > picture.height(),
        "a plate, wider than high"
    );

    // The list's change, the hit and the search are audited, each with who did it.
    let audit = store.recent_audit(500).unwrap();
    let by = |action: &str| {
        audit
            .iter()
            .filter(|e| e.action == action)
            .map(|e| e.actor.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(by("watchlist.add").len(), 1);
    assert!(by("watchlist.hit").iter().all(|a| a.starts_with("engine@")));
    assert!(!by("watchlist.hit").is_empty());
    assert_eq!(by("plates.search").len(), 1);
    terminate(&mut serving);
    assert!(serving.wait().unwrap().success());

    // The event's evidence bundle carries the reading along the track and its close-up.
    let evidence = env.path("evidence");
    env.ok(&[
        "evidence",
        "build",
        "--event",
        &hit.id.to_string(),
        "--out",
        evidence.to_str().unwrap(),
    ]);
    let bundle = std::fs::read_dir(&evidence)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.join("manifest.json").exists())
        .expect("a bundle");
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bundle.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["plate"]["text"], "27A96797", "{manifest}");
    assert!(
        manifest["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["role"] == "plate"),
        "{manifest}"
    );
}
