//! The store against real databases: migrations, seeding, import, export round trip, the
//! append-only audit log and concurrent writers. Runs on SQLite always and on PostgreSQL when
//! `DATABASE_URL` names a test server (`.ci/run` starts one).

mod common;

use common::{CSV_HEADER, every_backend};
use dienbien_dispatch::domain::{AuditAction, CameraKind, EventState};
use dienbien_dispatch::registry::{self, parse_csv};
use dienbien_dispatch::store::{NewAuditEntry, Store, StoreError};

fn count_kind(store: &mut Store, kind: CameraKind) -> usize {
    store
        .cameras()
        .unwrap()
        .iter()
        .filter(|c| c.kind == kind)
        .count()
}

#[test]
fn a_new_database_is_migrated_and_seeded_once() {
    for db in every_backend() {
        let (mut store, seeded) = Store::open_seeded(&db.location).unwrap();
        assert!(seeded, "{}", db.name);
        assert_eq!(
            count_kind(&mut store, CameraKind::Enforcement),
            19,
            "{}",
            db.name
        );
        assert_eq!(
            count_kind(&mut store, CameraKind::FlowCount),
            6,
            "{}",
            db.name
        );
        assert_eq!(
            count_kind(&mut store, CameraKind::Overview),
            11,
            "{}",
            db.name
        );
        assert!(count_kind(&mut store, CameraKind::Crowd) > 0);
        assert!(count_kind(&mut store, CameraKind::Neighbourhood) > 0);
        let junctions = store.junctions().unwrap();
        assert_eq!(junctions.iter().filter(|j| j.signalised).count(), 5);
        assert!(junctions.iter().any(|j| j.name.contains("Đồi A1")));
        // Every sample position carries the "to be surveyed" flag.
        assert!(
            store
                .cameras()
                .unwrap()
                .iter()
                .all(|c| !c.position_surveyed)
        );
        let audit = store.recent_audit(10).unwrap();
        assert_eq!(audit.len(), 1);
        assert_eq!(audit[0].action, "store.seed");
        drop(store);

        let (mut store, seeded) = Store::open_seeded(&db.location).unwrap();
        assert!(!seeded, "{}: seeded twice", db.name);
        assert_eq!(store.recent_audit(10).unwrap().len(), 1);
    }
}

#[test]
fn import_adds_and_updates_in_one_transaction() {
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        let before = store.cameras().unwrap().len();
        let text = format!(
            "{CSV_HEADER}\n\
             DBP-GT-A1-N,Ngã tư Đồi A1 – làn vào hướng Bắc,enforcement,21.38531,103.02049,true,180,55,DBP-J-A1,rtsp://a1n.cam.invalid/main,,true,camera-default,khảo sát 2026\n\
             DBP-NEW-1,Camera mới,crowd,21.39,103.02,true,,,,file:///srv/clips/new.mp4,,false,,\n"
        );
        let registry = parse_csv(&text).unwrap();
        let who = store.first_run_principal().expect("a principal");
        let summary = store.import_registry(&who, &registry, "good.csv").unwrap();
        assert_eq!((summary.cameras_added, summary.cameras_updated), (1, 1));
        let cameras = store.cameras().unwrap();
        assert_eq!(cameras.len(), before + 1);
        let a1n = cameras.iter().find(|c| c.code == "DBP-GT-A1-N").unwrap();
        assert!(a1n.position_surveyed);
        assert_eq!(a1n.fov_deg, Some(55.0));
        assert_eq!(a1n.notes, "khảo sát 2026");
        let new = cameras.iter().find(|c| c.code == "DBP-NEW-1").unwrap();
        assert!(!new.enabled);
        assert_eq!(new.junction_code, None);
        let audit = store.recent_audit(1).unwrap();
        assert_eq!(audit[0].action, "cameras.import");
        assert_eq!(audit[0].subject, "good.csv");
        assert!(
            audit[0].detail.contains("\"cameras_added\":1"),
            "{}",
            audit[0].detail
        );
    }
}

#[test]
fn an_import_naming_an_unknown_junction_writes_nothing() {
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        let before = store.cameras().unwrap();
        let text = format!(
            "{CSV_HEADER}\n\
             DBP-X-1,Một,crowd,21.39,103.02,true,,,,rtsp://x1.invalid/,,true,,\n\
             DBP-X-2,Hai,crowd,21.39,103.02,true,,,DBP-J-NOWHERE,rtsp://x2.invalid/,,true,,\n"
        );
        let registry = parse_csv(&text).unwrap();
        let who = store.first_run_principal().expect("a principal");
        let err = store
            .import_registry(&who, &registry, "bad.csv")
            .unwrap_err();
        match &err {
            StoreError::Import(problems) => {
                assert_eq!(problems.len(), 1);
                assert_eq!(
                    problems[0].to_string(),
                    "line 3, field 'junction_code': unknown junction 'DBP-J-NOWHERE'"
                );
            }
            other => panic!("{}: unexpected error {other}", db.name),
        }
        assert_eq!(store.cameras().unwrap(), before, "{}", db.name);
        assert_eq!(
            store.recent_audit(10).unwrap().len(),
            1,
            "only the seed entry"
        );
    }
}

#[test]
fn export_then_import_into_a_new_database_gives_the_same_registry() {
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        let junctions = store.junctions().unwrap();
        let cameras = store.cameras().unwrap();
        let geojson = registry::write_geojson(&junctions, &cameras);
        let csv = registry::write_csv(&cameras).unwrap();
        assert!(
            !geojson.contains('@') && !csv.contains('@'),
            "no credentials in exports"
        );

        let target = common::sqlite();
        let mut other = Store::open(&target.location).unwrap();
        let parsed = registry::parse_geojson(&geojson).unwrap();
        let who = other.first_run_principal().expect("a principal");
        other
            .import_registry(&who, &parsed, "export.geojson")
            .unwrap();
        assert_eq!(other.junctions().unwrap(), junctions, "{}", db.name);
        assert_eq!(other.cameras().unwrap(), cameras, "{}", db.name);

        // The CSV export re-imports as updates of every camera and changes nothing.
        let parsed = parse_csv(&csv).unwrap();
        let who = other.first_run_principal().expect("a principal");
        let summary = other.import_registry(&who, &parsed, "export.csv").unwrap();
        assert_eq!(summary.cameras_updated, cameras.len());
        assert_eq!(summary.cameras_added, 0);
        assert_eq!(other.cameras().unwrap(), cameras, "{}", db.name);
    }
}

#[test]
fn the_audit_log_refuses_changes() {
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        let id = store.recent_audit(1).unwrap()[0].id;
        let update = common::execute_raw(
            &db.location,
            &format!("UPDATE audit_log SET detail = '{{}}' WHERE id = {id}"),
        );
        let err = update.expect_err("an UPDATE of the audit log must fail");
        assert!(err.contains("append-only"), "{}: {err}", db.name);
        let delete = common::execute_raw(&db.location, "DELETE FROM audit_log");
        assert!(
            delete.is_err(),
            "{}: a DELETE of the audit log must fail",
            db.name
        );
        assert!(
            store.recent_audit(1).unwrap()[0]
                .detail
                .contains("cameras_added")
        );
    }
}

#[test]
fn concurrent_writers_lose_nothing() {
    const WRITERS: usize = 4;
    const ENTRIES: usize = 25;
    for db in every_backend() {
        Store::open_seeded(&db.location).unwrap();
        let threads: Vec<_> = (0..WRITERS)
            .map(|w| {
                let location = db.location.clone();
                std::thread::Builder::new()
                    .name(format!("writer-{w}"))
                    .spawn(move || {
                        let mut store = Store::open(&location).unwrap();
                        for i in 0..ENTRIES {
                            store
                                .append_audit(&NewAuditEntry {
                                    actor: format!("writer-{w}"),
                                    action: AuditAction::EvidenceView,
                                    subject: format!("{i}"),
                                    detail: serde_json::json!({ "i": i }),
                                })
                                .unwrap();
                        }
                        let text = format!(
                            "{CSV_HEADER}\nDBP-W-{w},Writer {w},crowd,21.39,103.02,true,,,,rtsp://w{w}.invalid/,,true,,\n"
                        );
                        let who = store.first_run_principal().expect("a principal");
                        store
                            .import_registry(&who, &parse_csv(&text).unwrap(), "w.csv")
                            .unwrap();
                    })
                    .unwrap()
            })
            .collect();
        for t in threads {
            t.join().expect("writer panicked");
        }
        let mut store = Store::open(&db.location).unwrap();
        let audit = store.recent_audit(1000).unwrap();
        let writes = audit
            .iter()
            .filter(|e| e.action == "evidence.view" && e.actor.starts_with("writer-"))
            .count();
        assert_eq!(writes, WRITERS * ENTRIES, "{}", db.name);
        let imports = audit
            .iter()
            .filter(|e| e.action == "cameras.import")
            .count();
        assert_eq!(imports, WRITERS);
        // Appends from four writers at once still make one unbroken chain.
        let report = store.verify_audit().unwrap();
        assert_eq!(report.broken, None, "{}", db.name);
        let written = store
            .cameras()
            .unwrap()
            .iter()
            .filter(|c| c.code.starts_with("DBP-W-"))
            .count();
        assert_eq!(written, WRITERS, "{}", db.name);
    }
}

#[test]
fn a_wrong_database_gives_a_clear_error() {
    let err = dienbien_dispatch::store::DatabaseLocation::parse("mysql://root:pw@localhost/x")
        .unwrap_err()
        .to_string();
    assert!(err.contains("not understood"), "{err}");
    let location = dienbien_dispatch::store::DatabaseLocation::Postgres(
        "postgres://nobody:secret@127.0.0.1:1/none".into(),
    );
    let err = Store::open(&location)
        .err()
        .expect("no server on port 1")
        .to_string();
    assert!(
        err.starts_with("cannot open database PostgreSQL postgres://nobody:***@127.0.0.1:1/none"),
        "{err}"
    );
    assert!(!err.contains("secret"), "{err}");
}

#[test]
fn events_are_stored_and_every_decision_on_them_is_audited() {
    use dienbien_dispatch::store::NewEvent;
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        let event = |track: i64| NewEvent {
            camera_code: "DBP-GT-A1-N".into(),
            kind: dienbien_dispatch::domain::ViolationKind::RedLight,
            track,
            class: dienbien_dispatch::domain::ObjectClass::Car,
            place: Some("N".into()),
            stream_at_ms: 15_000,
            time_into_red_ms: Some(2_000),
            clause: Some("6.9.b".into()),
            detail: dienbien_dispatch::domain::EventDetail {
                evidence_ms: vec![14_800, 15_000, 15_200],
                ..Default::default()
            },
        };
        let engine = store.local_engine_principal().expect("a principal");
        let first = store.record_event(&engine, &event(1)).unwrap();
        let engine = store.local_engine_principal().expect("a principal");
        let second = store.record_event(&engine, &event(2)).unwrap();
        assert!(second > first, "{}", db.name);
        let who = store.first_run_principal().expect("a principal");
        store
            .set_event_state(&who, first, EventState::Acknowledged)
            .unwrap();
        let stored = store.recent_events(10).unwrap();
        assert_eq!(stored.len(), 2, "{}", db.name);
        assert_eq!((stored[0].id, stored[0].state), (second, EventState::New));
        assert_eq!(
            (stored[1].id, stored[1].state),
            (first, EventState::Acknowledged)
        );
        assert_eq!(stored[1].time_into_red_ms, Some(2_000));
        assert_eq!(stored[1].detail.evidence_ms, [14_800, 15_000, 15_200]);
        let audit = &store.recent_audit(1).unwrap()[0];
        assert_eq!(
            (
                audit.action.as_str(),
                audit.subject.as_str(),
                audit.actor.as_str()
            ),
            ("events.state", first.to_string().as_str(), who.name())
        );
        // An event that does not exist changes nothing.
        let err = store
            .set_event_state(&who, 999_999, EventState::Closed)
            .unwrap_err()
            .to_string();
        assert!(err.contains("event 999999 is not in the database"), "{err}");
        assert_eq!(
            store.recent_events(10).unwrap()[1].state,
            EventState::Acknowledged
        );
        // A state written around the store is named when read, not taken for another.
        common::execute_raw(
            &db.location,
            &format!("UPDATE events SET state = 'forgotten' WHERE id = {second}"),
        )
        .unwrap();
        let err = store.recent_events(10).unwrap_err().to_string();
        assert!(
            err.contains("'forgotten' is not a code this version knows"),
            "{err}"
        );
        // So is a detail that is not the detail's JSON.
        common::execute_raw(
            &db.location,
            &format!("UPDATE events SET detail = '{{' WHERE id = {first}"),
        )
        .unwrap();
        let err = store.event(first).unwrap_err().to_string();
        assert!(
            err.contains(&format!("event {first}: its detail is not readable")),
            "{err}"
        );
    }
}

#[test]
fn geometries_are_versioned_audited_and_never_changed() {
    use dienbien_dispatch::domain::geometry::JunctionGeometry;
    let fixture = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/rules/campus.geometry.json"),
    )
    .unwrap();
    let first = JunctionGeometry::from_json(&fixture).unwrap();
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        assert!(store.latest_geometries().unwrap().is_empty(), "{}", db.name);
        let who = store.first_run_principal().expect("a principal");
        assert_eq!(store.save_geometry(&who, &first).unwrap(), 1);
        // The same geometry again adds no version.
        let who = store.first_run_principal().expect("a principal");
        assert_eq!(store.save_geometry(&who, &first).unwrap(), 1);
        let mut second = first.clone();
        second.zones[0].dwell_limit_s += 5.0;
        let who = store.first_run_principal().expect("a principal");
        assert_eq!(store.save_geometry(&who, &second).unwrap(), 2);
        let versions = store.geometry_versions(&first.camera).unwrap();
        assert_eq!(versions.len(), 2, "{}", db.name);
        assert_eq!(versions[0].geometry, first, "version 1 kept as it was");
        let latest = store.latest_geometries().unwrap();
        assert_eq!(latest.len(), 1);
        assert_eq!((latest[0].version, &latest[0].geometry), (2, &second));
        let audit = &store.recent_audit(1).unwrap()[0];
        assert_eq!(
            (audit.action.as_str(), audit.subject.as_str()),
            ("geometry.save", first.camera.as_str())
        );
        // An invalid geometry is refused with its problem, and nothing is written.
        let mut broken = second.clone();
        broken.approaches.clear();
        broken.zones[0].polygon.truncate(2);
        let who = store.first_run_principal().expect("a principal");
        let err = store.save_geometry(&who, &broken).unwrap_err().to_string();
        assert!(err.contains("not a closed polygon"), "{err}");
        assert_eq!(store.geometry_versions(&first.camera).unwrap().len(), 2);
        // The database itself refuses to change a stored version.
        for sql in [
            "UPDATE junction_geometries SET body = '{}'",
            "DELETE FROM junction_geometries",
        ] {
            assert!(
                common::execute_raw(&db.location, sql).is_err(),
                "{}: {sql}",
                db.name
            );
        }
    }
}

#[test]
fn the_audit_chain_holds_and_names_the_entry_someone_altered_behind_the_triggers() {
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        for n in 0..4 {
            store
                .append_audit(&NewAuditEntry {
                    actor: "reviewer:lan".into(),
                    action: AuditAction::EvidenceView,
                    subject: format!("event-{n}"),
                    detail: serde_json::json!({ "n": n }),
                })
                .unwrap();
        }
        let report = store.verify_audit().unwrap();
        assert_eq!(report.broken, None, "{}", db.name);
        assert_eq!(
            report.unchained, 0,
            "a new database is chained from its first entry"
        );
        assert!(report.entries >= 5, "{report:?}");
        let target = store.recent_audit(3).unwrap()[2].id;
        // Someone with database rights drops the guard and edits one entry.
        let drop_guard = match db.location {
            dienbien_dispatch::store::DatabaseLocation::Sqlite(_) => {
                "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"
            }
            dienbien_dispatch::store::DatabaseLocation::Postgres(_) => {
                "DROP TRIGGER audit_log_no_change ON audit_log;"
            }
        };
        common::execute_raw(&db.location, drop_guard).unwrap();
        common::execute_raw(
            &db.location,
            &format!("UPDATE audit_log SET detail = '{{\"n\":7}}' WHERE id = {target}"),
        )
        .unwrap();
        let broken = store
            .verify_audit()
            .unwrap()
            .broken
            .expect("the edit is found");
        assert_eq!(broken.id, target, "{}", db.name);
        assert!(broken.reason.contains("edited"), "{}", broken.reason);
        // Removing it instead breaks the chain at the entry after it.
        common::execute_raw(
            &db.location,
            &format!("DELETE FROM audit_log WHERE id = {target}"),
        )
        .unwrap();
        let broken = store
            .verify_audit()
            .unwrap()
            .broken
            .expect("the gap is found");
        assert!(broken.id > target, "{}: {broken:?}", db.name);
        assert!(broken.reason.contains("removed"), "{}", broken.reason);
    }
}

#[test]
fn users_sign_in_with_argon2_hashes_and_every_attempt_is_audited() {
    use dienbien_dispatch::domain::Role;
    use dienbien_dispatch::store::SignInError;
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        let admin = first_administrator(&mut store);
        store
            .create_user(
                &admin,
                "lan",
                "Nguyễn Thị Lan",
                Role::Reviewer,
                "mật khẩu dài",
            )
            .unwrap();
        let err = store
            .create_user(&admin, "lan", "again", Role::Dispatcher, "12345678")
            .unwrap_err();
        assert!(err.to_string().contains("exists already"), "{err}");
        assert!(
            store
                .create_user(&admin, "x y", "", Role::Trainer, "12345678")
                .is_err()
        );
        assert!(
            store
                .create_user(&admin, "short", "", Role::Trainer, "1234")
                .is_err()
        );
        let signed = store.sign_in("lan", "mật khẩu dài").unwrap().unwrap();
        assert_eq!(
            (signed.user.role, signed.user.display_name.as_str()),
            (Role::Reviewer, "Nguyễn Thị Lan")
        );
        assert_eq!(signed.principal.name(), "lan");
        assert!(matches!(
            store.sign_in("lan", "wrong").unwrap(),
            Err(SignInError::Wrong)
        ));
        assert!(matches!(
            store.sign_in("nobody", "wrong").unwrap(),
            Err(SignInError::Wrong)
        ));
        store.update_user(&admin, "lan", None, Some(true)).unwrap();
        assert!(matches!(
            store.sign_in("lan", "mật khẩu dài").unwrap(),
            Err(SignInError::Disabled)
        ));
        // Only the Argon2id hash is stored.
        let hash = common::query_one(
            &db.location,
            "SELECT password_hash AS value FROM users WHERE username = 'lan'",
        );
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("mật"));
        let actions: Vec<String> = store
            .recent_audit(10)
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        for action in [
            "user.create",
            "user.sign_in",
            "user.sign_in_failed",
            "user.update",
        ] {
            assert!(actions.iter().any(|a| a == action), "{}: {action}", db.name);
        }
    }
}

#[test]
fn once_a_user_exists_every_caller_signs_in_and_the_store_checks_each_role() {
    use dienbien_dispatch::domain::Role;
    use dienbien_dispatch::store::{ReviewFilter, StoreError};
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        // First run: anyone, as the workstation; never managing users.
        let first = store.first_run_principal().unwrap();
        assert!(first.name().starts_with("first-run@"));
        assert!(
            store
                .create_user(&first, "x1", "", Role::Administrator, "12345678")
                .is_err(),
            "{}: users are managed by administrators only",
            db.name
        );
        store
            .create_first_administrator("admin", "Quản trị", "quản trị viên 1")
            .unwrap();
        // A second first administrator is refused, and so is every caller without sign-in.
        let again = store
            .create_first_administrator("chief", "Chief", "12345678")
            .unwrap_err();
        assert!(again.to_string().contains("has (or had) users"), "{again}");
        assert!(matches!(
            store.first_run_principal(),
            Err(StoreError::SignInNeeded)
        ));
        let admin = store
            .sign_in("admin", "quản trị viên 1")
            .unwrap()
            .unwrap()
            .principal;
        store
            .create_user(&admin, "tuan", "Tuấn", Role::Dispatcher, "điều phối 24/7")
            .unwrap();
        store
            .create_user(
                &admin,
                "engine-1",
                "Engine 1",
                Role::Engine,
                "máy phân tích 1",
            )
            .unwrap();
        let tuan = store
            .sign_in("tuan", "điều phối 24/7")
            .unwrap()
            .unwrap()
            .principal;
        let engine = store
            .sign_in("engine-1", "máy phân tích 1")
            .unwrap()
            .unwrap()
            .principal;
        // An engine writes events; a dispatcher does not; neither reviews.
        let event = red_light_event();
        let id = store.record_event(&engine, &event).unwrap();
        let refused = store.record_event(&tuan, &event).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("tuan (dispatcher) may not write detections"),
            "{refused}"
        );
        let confirmation = dienbien_dispatch::store::Confirmation {
            plate: dienbien_dispatch::domain::Plate::parse("27A-123.45").unwrap(),
            colour: dienbien_dispatch::domain::PlateColour::White,
            class: None,
            clause: None,
            read_by_machine: None,
        };
        for who in [&tuan, &engine] {
            assert!(matches!(
                store.confirm_violation(who, id, &confirmation),
                Err(StoreError::Forbidden { .. })
            ));
            assert!(matches!(
                store.review_queue(who, &ReviewFilter::default()),
                Err(StoreError::Forbidden { .. })
            ));
        }
        assert!(matches!(
            store.create_user(&tuan, "me", "Me", Role::Administrator, "12345678"),
            Err(StoreError::Forbidden { .. })
        ));
        // The dispatcher handles the alarm; the audit log names the signed-in user.
        store
            .set_event_state(
                &tuan,
                id,
                dienbien_dispatch::domain::EventState::Acknowledged,
            )
            .unwrap();
        let last = store.recent_audit(1).unwrap().remove(0);
        assert_eq!(
            (last.actor.as_str(), last.action.as_str()),
            ("tuan", "events.state")
        );
        // The last active administrator can be neither disabled nor demoted.
        for (role, disabled) in [(Some(Role::Supervisor), None), (None, Some(true))] {
            let err = store
                .update_user(&admin, "admin", role, disabled)
                .unwrap_err();
            assert!(
                err.to_string().contains("last active administrator"),
                "{err}"
            );
        }
        store
            .create_user(
                &admin,
                "admin2",
                "Quản trị 2",
                Role::Administrator,
                "quản trị viên 2",
            )
            .unwrap();
        store
            .update_user(&admin, "admin", None, Some(true))
            .unwrap();
    }
}

#[test]
fn an_engine_needs_a_service_account_on_a_shared_database_with_users() {
    use dienbien_dispatch::domain::{Permission, Role};
    use dienbien_dispatch::store::StoreError;
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        // A first run: this machine's engine needs no account on either backend.
        let engine = store.local_engine_principal().unwrap();
        assert!(engine.name().starts_with("engine@"));
        let admin = first_administrator(&mut store);
        let local = store.local_engine_principal();
        if db.name == "postgres" {
            assert!(
                matches!(local, Err(StoreError::ServiceAccountNeeded)),
                "{local:?}"
            );
            store
                .create_user(
                    &admin,
                    "engine-1",
                    "Engine 1",
                    Role::Engine,
                    "máy phân tích 1",
                )
                .unwrap();
            let signed = store
                .sign_in("engine-1", "máy phân tích 1")
                .unwrap()
                .unwrap();
            assert!(signed.principal.may(Permission::RecordDetections));
            assert!(!signed.principal.may(Permission::Review));
        } else {
            // The embedded file: whoever can open it is this machine.
            assert!(local.is_ok());
        }
    }
}

#[test]
fn repeated_failures_lock_a_user_out_and_the_lockout_is_audited() {
    use dienbien_dispatch::store::SignInError;
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        store
            .create_first_administrator("admin", "Quản trị", "quản trị viên 1")
            .unwrap();
        for attempt in 1..=4 {
            assert!(
                matches!(
                    store.sign_in("admin", "sai").unwrap(),
                    Err(SignInError::Wrong)
                ),
                "attempt {attempt}"
            );
        }
        // The fifth failure locks the account: even the right password is refused until then.
        assert!(matches!(
            store.sign_in("admin", "sai").unwrap(),
            Err(SignInError::Wrong)
        ));
        match store.sign_in("admin", "quản trị viên 1").unwrap() {
            Err(SignInError::Locked { until_ms }) => {
                let now = dienbien_dispatch::clock::now_utc_ms();
                assert!(until_ms > now && until_ms <= now + 30_000, "{until_ms}");
            }
            other => panic!("{}: not locked: {:?}", db.name, other.map(|s| s.user)),
        }
        let actions: Vec<String> = store
            .recent_audit(5)
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert!(actions.iter().any(|a| a == "user.locked"), "{actions:?}");
        // Once the lockout has passed (moved back here), the right password works again.
        common::execute_raw(
            &db.location,
            "UPDATE users SET locked_until_ms = 1 WHERE username = 'admin'",
        )
        .unwrap();
        assert!(store.sign_in("admin", "quản trị viên 1").unwrap().is_ok());
    }
}

#[test]
fn a_sign_in_token_stands_for_its_user_until_revoked_or_the_user_is_disabled() {
    use dienbien_dispatch::domain::Role;
    use dienbien_dispatch::store::SignInError;
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        let admin = first_administrator(&mut store);
        store
            .create_user(&admin, "lan", "Lan", Role::Reviewer, "xét duyệt 2026")
            .unwrap();
        let lan = store
            .sign_in("lan", "xét duyệt 2026")
            .unwrap()
            .unwrap()
            .principal;
        let token = store.issue_token(&lan).unwrap();
        assert_eq!(token.len(), 64);
        let stored = common::query_one(
            &db.location,
            "SELECT token_hash AS value FROM sign_in_tokens",
        );
        assert_ne!(stored, token, "only the token's hash is stored");
        let redeemed = store.redeem_token(&token).unwrap().unwrap();
        assert_eq!(redeemed.principal, lan);
        assert!(matches!(
            store.redeem_token("0000").unwrap(),
            Err(SignInError::TokenExpired)
        ));
        assert!(store.revoke_token(&token).unwrap());
        assert!(store.redeem_token(&token).unwrap().is_err());
        // A disabled user's tokens end with the account.
        let token = store.issue_token(&lan).unwrap();
        store.update_user(&admin, "lan", None, Some(true)).unwrap();
        assert!(store.redeem_token(&token).unwrap().is_err());
    }
}

#[test]
fn of_two_workstations_creating_the_first_administrator_at_once_exactly_one_wins() {
    for db in every_backend() {
        drop(Store::open_seeded(&db.location).unwrap());
        let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
        let racers: Vec<_> = ["chief-a", "chief-b"]
            .into_iter()
            .map(|name| {
                let (location, barrier) = (db.location.clone(), barrier.clone());
                std::thread::spawn(move || {
                    let mut store = Store::open(&location).unwrap();
                    barrier.wait();
                    store
                        .create_first_administrator(name, name, "12345678")
                        .is_ok()
                })
            })
            .collect();
        let wins: usize = racers
            .into_iter()
            .map(|r| usize::from(r.join().unwrap()))
            .sum();
        assert_eq!(wins, 1, "{}", db.name);
        let mut store = Store::open(&db.location).unwrap();
        assert_eq!(store.users().unwrap().len(), 1, "{}", db.name);
    }
}

#[test]
fn overlays_are_recorded_in_batches_and_read_back_by_camera_and_time() {
    use dienbien_dispatch::domain::ObjectClass;
    use dienbien_dispatch::domain::overlay::{OverlayBox, RecordedOverlay};
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        let overlay = |camera: &str, at_ms: i64| RecordedOverlay {
            camera: camera.into(),
            at_ms,
            width: 768,
            height: 576,
            boxes: vec![OverlayBox {
                bbox: [10.0, 20.0, 110.0, 220.0],
                class: ObjectClass::Car,
                score: 0.9,
                track: Some(4),
                flagged: at_ms >= 2_000,
            }],
            signals: Vec::new(),
        };
        let batch: Vec<RecordedOverlay> = (0..30)
            .map(|i| overlay(if i % 2 == 0 { "A" } else { "B" }, i * 200))
            .collect();
        let engine = store.local_engine_principal().expect("a principal");
        store.record_overlays(&engine, &batch).unwrap();
        let read = store
            .overlays_between(&["A".to_owned()], 1_000, 3_000)
            .unwrap();
        assert_eq!(read.len(), 5, "{}", db.name);
        assert!(read.windows(2).all(|w| w[0].at_ms < w[1].at_ms));
        assert_eq!(read[0], overlay("A", 1_200));
        assert!(read.last().unwrap().boxes[0].flagged);
    }
}

#[test]
fn the_review_queue_filters_by_cameras_kind_class_and_time() {
    use dienbien_dispatch::store::{NewEvent, ReviewFilter};
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        let event = |camera: &str, kind: &str, class: &str| NewEvent {
            camera_code: camera.into(),
            kind: dienbien_dispatch::domain::ViolationKind::from_code(kind).unwrap(),
            track: 1,
            class: dienbien_dispatch::domain::ObjectClass::from_code(class).unwrap(),
            place: None,
            stream_at_ms: 0,
            time_into_red_ms: None,
            clause: None,
            detail: dienbien_dispatch::domain::EventDetail::default(),
        };
        let engine = store.local_engine_principal().expect("a principal");
        let a = store
            .record_event(&engine, &event("DBP-GT-A1-N", "red-light", "car"))
            .unwrap();
        let engine = store.local_engine_principal().expect("a principal");
        let b = store
            .record_event(&engine, &event("DBP-GT-A1-S", "red-light", "motorbike"))
            .unwrap();
        let engine = store.local_engine_principal().expect("a principal");
        let c = store
            .record_event(&engine, &event("DBP-GT-QT75-S", "wrong-way", "car"))
            .unwrap();
        let ids = |store: &mut Store, filter: ReviewFilter| -> Vec<i64> {
            let who = store.first_run_principal().expect("a principal");
            store
                .review_queue(&who, &filter)
                .unwrap()
                .iter()
                .map(|e| e.id)
                .collect()
        };
        assert_eq!(
            ids(&mut store, ReviewFilter::default()),
            vec![c, b, a],
            "newest first"
        );
        let junction = ReviewFilter {
            cameras: Some(vec!["DBP-GT-A1-N".into(), "DBP-GT-A1-S".into()]),
            ..Default::default()
        };
        assert_eq!(ids(&mut store, junction), vec![b, a], "{}", db.name);
        let cars = ReviewFilter {
            class: Some("car".into()),
            kind: Some("red-light".into()),
            ..Default::default()
        };
        assert_eq!(ids(&mut store, cars), vec![a]);
        let future = ReviewFilter {
            from_ms: Some(dienbien_dispatch::clock::now_utc_ms() + 60_000),
            ..Default::default()
        };
        assert!(ids(&mut store, future).is_empty());
    }
}

#[test]
fn traffic_counts_add_up_per_minute_and_compare_with_the_usual_hour() {
    use dienbien_dispatch::domain::ObjectClass;
    use dienbien_dispatch::domain::traffic_count::{Direction, MinuteCount};
    for db in every_backend() {
        let mut store = Store::open(&db.location).unwrap();
        let count = |minute_ms: i64, class, direction, vehicles| MinuteCount {
            camera: "DBP-LL-01".into(),
            minute_ms,
            line: "L1".into(),
            class,
            direction,
            vehicles,
        };
        let now = 30 * 86_400_000;
        // Two engines' batches for the same minute add up; another minute is its own row.
        let engine = store.local_engine_principal().expect("a principal");
        store
            .add_counts(
                &engine,
                &[count(now - 120_000, ObjectClass::Car, Direction::In, 3)],
            )
            .unwrap();
        let engine = store.local_engine_principal().expect("a principal");
        store
            .add_counts(
                &engine,
                &[
                    count(now - 120_000, ObjectClass::Car, Direction::In, 2),
                    count(now - 120_000, ObjectClass::Motorbike, Direction::Out, 7),
                    count(now - 60_000, ObjectClass::Car, Direction::In, 1),
                ],
            )
            .unwrap();
        let rows = store
            .counts_between("DBP-LL-01", now - 3_600_000, now)
            .unwrap();
        let flat: Vec<(i64, ObjectClass, Direction, u32)> = rows
            .iter()
            .map(|c| (c.minute_ms, c.class, c.direction, c.vehicles))
            .collect();
        assert_eq!(
            flat,
            vec![
                (now - 120_000, ObjectClass::Car, Direction::In, 5),
                (now - 120_000, ObjectClass::Motorbike, Direction::Out, 7),
                (now - 60_000, ObjectClass::Car, Direction::In, 1),
            ],
            "{}",
            db.name
        );
        assert!(
            store
                .counts_between("DBP-LL-01", now, now + 60_000)
                .unwrap()
                .is_empty()
        );
        // The usual level for this hour: the same hour yesterday (26) and two days ago (10).
        let engine = store.local_engine_principal().expect("a principal");
        assert_eq!(
            store.flow_against_usual("DBP-LL-01", now).unwrap(),
            (13, None)
        );
        for (day, vehicles) in [(1, 26), (2, 10)] {
            store
                .add_counts(
                    &engine,
                    &[count(
                        now - day * 86_400_000 - 600_000,
                        ObjectClass::Car,
                        Direction::In,
                        vehicles,
                    )],
                )
                .unwrap();
        }
        assert_eq!(
            store.flow_against_usual("DBP-LL-01", now).unwrap(),
            (13, Some(18.0)),
            "{}",
            db.name
        );
    }
}

#[test]
fn stored_codes_that_would_leave_their_folders_are_reported_not_renamed() {
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        assert!(store.codes_not_allowed().unwrap().is_empty(), "{}", db.name);
        // A row from before codes were checked at import, written past the import.
        common::execute_raw(
            &db.location,
            "UPDATE cameras SET code = '../../x' WHERE code = 'DBP-GT-A1-N'",
        )
        .unwrap();
        let problems = store.codes_not_allowed().unwrap();
        assert_eq!(
            problems,
            [
                "camera '../../x' may hold only capital letters A–Z, digits and '-' (it names folders and files)"
            ],
            "{}",
            db.name
        );
        assert!(
            store.cameras().unwrap().iter().any(|c| c.code == "../../x"),
            "reported, never renamed"
        );
    }
}

#[test]
fn the_audit_log_cannot_be_cut_or_rewritten_without_a_signed_checkpoint_saying_so() {
    use dienbien_dispatch::domain::AuditAction;
    use dienbien_dispatch::store::{CheckpointSigner, NewAuditEntry, check_against, entry_hash};
    for db in every_backend() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let file = dir.path().join("audit-checkpoints.jsonl");
        store.set_checkpoint_signer(CheckpointSigner {
            signer: "ws-test".into(),
            key: key.clone(),
            file: file.clone(),
        });
        for n in 0..230 {
            store
                .append_audit(&NewAuditEntry {
                    actor: "test".into(),
                    action: AuditAction::CameraOpenFeed,
                    subject: format!("DBP-{n}"),
                    detail: serde_json::json!({ "n": n }),
                })
                .unwrap();
        }
        // Checkpoints at the first write and every 100 entries, in the database and the file.
        let stored = store.audit_checkpoints().unwrap();
        let ids: Vec<i64> = stored.iter().map(|c| c.entry_id).collect();
        assert!(ids.len() >= 3, "{}: {ids:?}", db.name);
        assert!(ids.windows(2).all(|w| w[1] - w[0] <= 100), "{ids:?}");
        assert_eq!(
            dienbien_dispatch::store::read_checkpoint_file(&file).unwrap(),
            stored
        );
        let trusted = [key.verifying_key()];
        let heads = store.audit_heads().unwrap();
        assert_eq!(check_against(&heads, &stored, &trusted).0, []);
        let newest = *ids.last().unwrap();

        // Rewritten from entry 50 on, every hash recomputed: the chain holds, the checkpoints
        // do not.
        let disable = match db.name {
            "postgres" => "ALTER TABLE audit_log DISABLE TRIGGER USER;",
            _ => "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;",
        };
        common::execute_raw(&db.location, disable).unwrap();
        common::execute_raw(
            &db.location,
            "UPDATE audit_log SET actor = 'someone else' WHERE id = 50",
        )
        .unwrap();
        let entries = {
            let mut probe = Store::open(&db.location).unwrap();
            probe.recent_audit(10_000).unwrap()
        };
        let mut prev = String::new();
        for e in entries.iter().rev() {
            let hash = entry_hash(&prev, e.at_ms, &e.actor, &e.action, &e.subject, &e.detail);
            common::execute_raw(
                &db.location,
                &format!(
                    "UPDATE audit_log SET prev_hash = '{prev}', hash = '{hash}' WHERE id = {}",
                    e.id
                ),
            )
            .unwrap();
            prev = hash;
        }
        let mut store = Store::open(&db.location).unwrap();
        assert_eq!(store.verify_audit().unwrap().broken, None, "{}", db.name);
        let heads = store.audit_heads().unwrap();
        let (problems, _) = check_against(&heads, &stored, &trusted);
        assert!(
            problems
                .iter()
                .any(|p| p.reason.contains("the chain was rewritten")),
            "{}: {problems:?}",
            db.name
        );
        // Cut at the end.
        common::execute_raw(
            &db.location,
            &format!("DELETE FROM audit_log WHERE id > {}", newest - 10),
        )
        .unwrap();
        let heads = store.audit_heads().unwrap();
        let (problems, _) = check_against(&heads, &stored, &trusted);
        assert!(
            problems
                .iter()
                .any(|p| p.reason.contains("removed at the end")),
            "{}: {problems:?}",
            db.name
        );
        // Emptied.
        common::execute_raw(&db.location, "DELETE FROM audit_log").unwrap();
        let (problems, _) = check_against(&store.audit_heads().unwrap(), &stored, &trusted);
        assert!(
            problems.iter().any(|p| p.reason.contains("was emptied")),
            "{}: {problems:?}",
            db.name
        );
    }
}

#[test]
fn truncating_the_audit_log_or_deleting_an_event_is_refused_by_the_database() {
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        let engine = store.local_engine_principal().unwrap();
        let id = store.record_event(&engine, &red_light_event()).unwrap();
        let err = common::execute_raw(&db.location, &format!("DELETE FROM events WHERE id = {id}"))
            .unwrap_err();
        assert!(
            err.contains("events are never deleted"),
            "{}: {err}",
            db.name
        );
        if db.name == "postgres" {
            for table in [
                "audit_log",
                "audit_checkpoints",
                "events",
                "junction_geometries",
            ] {
                let err =
                    common::execute_raw(&db.location, &format!("TRUNCATE {table}")).unwrap_err();
                assert!(
                    err.contains("append-only")
                        || err.contains("never")
                        || err.contains("immutable")
                        || err.contains("cannot be"),
                    "TRUNCATE {table}: {err}"
                );
            }
        }
        assert_eq!(store.verify_audit().unwrap().entries, 1, "{}", db.name);
    }
}

#[test]
fn on_postgresql_the_consoles_role_appends_to_the_audit_log_but_cannot_cut_it() {
    let Some(db) = common::postgres() else {
        eprintln!("note: DATABASE_URL not set to a PostgreSQL server; nothing to check");
        return;
    };
    // The owner (the test server's user) migrates; the application role gets docs/postgres-roles.sql.
    drop(Store::open_seeded(&db.location).unwrap());
    let role = format!("dispatch_app_{}", std::process::id());
    let grants = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/postgres-roles.sql"),
    )
    .unwrap()
    .replace("dispatch_app", &role);
    common::execute_raw(
        &db.location,
        &format!("DROP ROLE IF EXISTS {role}; CREATE ROLE {role} LOGIN;"),
    )
    .unwrap();
    common::execute_raw(&db.location, &grants).unwrap();
    let dienbien_dispatch::store::DatabaseLocation::Postgres(url) = &db.location else {
        unreachable!()
    };
    let (scheme_user, rest) = url.split_once('@').unwrap();
    let (scheme, _) = scheme_user.split_once("://").unwrap();
    let app =
        dienbien_dispatch::store::DatabaseLocation::Postgres(format!("{scheme}://{role}@{rest}"));
    {
        let mut store = Store::open(&app).expect("the application role opens a migrated database");
        let engine = store.local_engine_principal().unwrap();
        store
            .append_audit(&dienbien_dispatch::store::NewAuditEntry {
                actor: engine.name().into(),
                action: dienbien_dispatch::domain::AuditAction::CameraOpenFeed,
                subject: "DBP-GT-A1-N".into(),
                detail: serde_json::json!({}),
            })
            .unwrap();
        for sql in [
            "TRUNCATE audit_log",
            "DELETE FROM audit_log",
            "UPDATE audit_log SET actor = 'x'",
            "TRUNCATE audit_checkpoints",
        ] {
            let err = common::execute_raw(&app, sql).unwrap_err();
            assert!(err.contains("permission denied"), "{sql}: {err}");
        }
        assert_eq!(store.verify_audit().unwrap().entries, 2);
    }
    drop(db);
    let admin = common::postgres_admin_url().unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    let _ = common::execute_raw(
        &dienbien_dispatch::store::DatabaseLocation::Postgres(format!("{base}/postgres")),
        &format!("DROP ROLE IF EXISTS {role}"),
    );
}

#[test]
fn an_event_changed_behind_the_audit_logs_back_is_named_by_its_trail() {
    use dienbien_dispatch::domain::EventState;
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        let engine = store.local_engine_principal().unwrap();
        let who = store.first_run_principal().unwrap();
        let event = red_light_event();
        let (a, b) = (
            store.record_event(&engine, &event).unwrap(),
            store.record_event(&engine, &event).unwrap(),
        );
        store
            .set_event_state(&who, a, EventState::Acknowledged)
            .unwrap();
        assert_eq!(store.check_event_trails().unwrap(), []);
        common::execute_raw(
            &db.location,
            &format!(
                "UPDATE events SET state = 'closed' WHERE id = {a}; \
                 UPDATE events SET decision = 'rejected' WHERE id = {b};"
            ),
        )
        .unwrap();
        let found = store.check_event_trails().unwrap();
        assert_eq!(found.len(), 2, "{}: {found:?}", db.name);
        assert!(
            found[0]
                .reason
                .contains("'closed' but its audit trail last records 'acknowledged'")
        );
        assert!(
            found[1]
                .reason
                .contains("decision is rejected but its audit trail records none")
        );
    }
}

/// The first administrator of a new database ("admin"), signed in.
/// The first administrator, then `users` (login, role) created by them and signed in.
fn signed_in_users<const N: usize>(
    store: &mut Store,
    users: [(&str, dienbien_dispatch::domain::Role); N],
) -> [dienbien_dispatch::store::Principal; N] {
    let admin = first_administrator(store);
    for (login, role) in users {
        store
            .create_user(&admin, login, login, role, "mật khẩu dài 123")
            .unwrap();
    }
    users.map(|(login, _)| {
        store
            .sign_in(login, "mật khẩu dài 123")
            .unwrap()
            .unwrap()
            .principal
    })
}

fn first_administrator(store: &mut Store) -> dienbien_dispatch::store::Principal {
    store
        .create_first_administrator("admin", "Quản trị", "quản trị viên 1")
        .unwrap();
    store
        .sign_in("admin", "quản trị viên 1")
        .unwrap()
        .unwrap()
        .principal
}

/// A car's red-light event at camera DBP-GT-A1-N.
fn red_light_event() -> dienbien_dispatch::store::NewEvent {
    dienbien_dispatch::store::NewEvent {
        camera_code: "DBP-GT-A1-N".into(),
        kind: dienbien_dispatch::domain::ViolationKind::RedLight,
        track: 1,
        class: dienbien_dispatch::domain::ObjectClass::Car,
        place: None,
        stream_at_ms: 0,
        time_into_red_ms: None,
        clause: None,
        detail: Default::default(),
    }
}

/// A reading of `text` (every character at `confidence`, the one at `doubtful` at 0.4).
fn plate_reading(text: &str, doubtful: Option<usize>) -> dienbien_dispatch::domain::PlateReading {
    use dienbien_dispatch::domain::{CharReading, Plate, PlateColour, PlateReading};
    let chars: Vec<CharReading> = text
        .chars()
        .enumerate()
        .map(|(i, char)| CharReading {
            char,
            confidence: if Some(i) == doubtful { 0.4 } else { 0.97 },
        })
        .collect();
    PlateReading {
        text: text.into(),
        formatted: Plate::parse(text).unwrap().to_string(),
        rows: 1,
        colour: PlateColour::White,
        confidence: chars.iter().map(|c| c.confidence).product(),
        chars,
        corners: [[0.0, 0.0], [100.0, 0.0], [100.0, 22.0], [0.0, 22.0]],
    }
}

#[test]
fn plate_sightings_go_with_their_events_hit_the_watch_list_and_are_searched_under_audit() {
    use dienbien_dispatch::domain::{ObjectClass, Plate, Role, ViolationKind};
    use dienbien_dispatch::store::NewPlateSighting;
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        let [sup, disp, engine] = signed_in_users(
            &mut store,
            [
                ("sup", Role::Supervisor),
                ("disp", Role::Dispatcher),
                ("engine-1", Role::Engine),
            ],
        );
        let wanted = Plate::parse("27A-123.45").unwrap();

        // Only supervisors change the list; a reason is needed, a listed plate is refused.
        assert!(matches!(
            store.watchlist_add(&disp, &wanted, "truy tìm", None),
            Err(StoreError::Forbidden { .. })
        ));
        assert!(matches!(
            store.watchlist_add(&sup, &wanted, "  ", None),
            Err(StoreError::Rejected { .. })
        ));
        let entry = store
            .watchlist_add(&sup, &wanted, "Xe bị truy tìm (công văn 12/CAT)", None)
            .unwrap();
        assert!(matches!(
            store.watchlist_add(&sup, &wanted, "lần nữa", None),
            Err(StoreError::Rejected { .. })
        ));

        // The engine holds the camera; the vehicle's violation is stored before its plate.
        let fence = store
            .take_leases("engine-1", 100, 60_000)
            .unwrap()
            .into_iter()
            .find(|f| f.camera == "DBP-GT-A1-N")
            .expect("the camera's lease");
        let mut violation = red_light_event();
        violation.track = 5;
        let violation = store
            .record_event_fenced(&engine, &violation, &fence)
            .unwrap();
        let sighting = |text: &str, doubtful: Option<usize>, track: i64| NewPlateSighting {
            camera_code: "DBP-GT-A1-N".into(),
            track,
            class: ObjectClass::Car,
            seen_at_ms: dienbien_dispatch::clock::now_utc_ms(),
            stream_at_ms: 12_000,
            reading: plate_reading(text, doubtful),
            sightings: 3,
            close_up: vec![0xFF, 0xD8, 0xFF, track as u8],
        };
        let stored = store
            .record_plate_sighting_fenced(&engine, &sighting("27A12345", None, 5), &fence)
            .unwrap();
        assert_eq!(stored.linked_events, 1, "{}", db.name);
        assert_eq!(
            store.event(violation).unwrap().unwrap().plate_sighting_id,
            Some(stored.id)
        );
        // The listed plate raised a watch-list event naming the entry and the sighting.
        assert_eq!(stored.hits.len(), 1, "{}", db.name);
        let (hit_event, hit) = &stored.hits[0];
        assert_eq!((hit.entry_id, hit.sighting_id), (entry, stored.id));
        let hit_event = store.event(*hit_event).unwrap().unwrap();
        assert_eq!(hit_event.kind, ViolationKind::WatchList);
        assert_eq!(hit_event.plate_sighting_id, Some(stored.id));
        assert_eq!(hit_event.lease_epoch, Some(fence.epoch));
        assert_eq!(
            hit_event.detail.watch.as_ref().map(|w| w.reason.as_str()),
            Some("Xe bị truy tìm (công văn 12/CAT)")
        );
        // An event raised after its vehicle's plate was read gets the reading too.
        let mut later = red_light_event();
        later.track = 5;
        let later = store.record_event_fenced(&engine, &later, &fence).unwrap();
        assert_eq!(
            store.event(later).unwrap().unwrap().plate_sighting_id,
            Some(stored.id)
        );

        // One character off hits only where the reader doubted that character.
        let doubtful = store
            .record_plate_sighting_fenced(&engine, &sighting("27A12346", Some(7), 6), &fence)
            .unwrap();
        assert_eq!(doubtful.hits.len(), 1, "{}", db.name);
        let sure = store
            .record_plate_sighting_fenced(&engine, &sighting("27A12346", None, 7), &fence)
            .unwrap();
        assert!(sure.hits.is_empty(), "{}", db.name);
        let other = store
            .record_plate_sighting_fenced(&engine, &sighting("29B67890", None, 8), &fence)
            .unwrap();

        // A search allows one character off, newest first, and finds the events.
        assert!(matches!(
            store.search_plates(&engine, "27A12345", 10),
            Err(StoreError::Forbidden { .. })
        ));
        let found = store.search_plates(&disp, "27a-123.45", 10).unwrap();
        let ids: Vec<i64> = found.sightings.iter().map(|s| s.id).collect();
        assert_eq!(ids, [sure.id, doubtful.id, stored.id], "{}", db.name);
        assert!(!ids.contains(&other.id));
        let event_ids: Vec<i64> = found.events.iter().map(|e| e.id).collect();
        assert!(event_ids.contains(&violation) && event_ids.contains(&later));
        let (seen, close_up) = store.plate_sighting(&disp, stored.id).unwrap().unwrap();
        assert_eq!(seen.reading.formatted, "27A-123.45");
        assert_eq!(close_up, vec![0xFF, 0xD8, 0xFF, 5]);

        // Taken off: kept and marked, no more hits.
        store.watchlist_remove(&sup, entry).unwrap();
        assert!(store.watchlist(&sup, false).unwrap().is_empty());
        let all = store.watchlist(&sup, true).unwrap();
        assert_eq!(all[0].removed_by.as_deref(), Some("sup"));
        let after = store
            .record_plate_sighting_fenced(&engine, &sighting("27A12345", None, 9), &fence)
            .unwrap();
        assert!(after.hits.is_empty(), "{}", db.name);

        // Reviewers keep one machine reading and correct the other: counted for the field.
        for (event, typed) in [(violation, "27A-123.45"), (later, "27A-123.46")] {
            store.attach_evidence(&sup, event, "bundle").unwrap();
            let confirmation = dienbien_dispatch::store::Confirmation {
                plate: Plate::parse(typed).unwrap(),
                colour: dienbien_dispatch::domain::PlateColour::White,
                class: None,
                clause: None,
                read_by_machine: Some("27A-123.45".into()),
            };
            store.confirm_violation(&sup, event, &confirmation).unwrap();
        }
        let accuracy = store.plate_accuracy(&sup, None).unwrap();
        assert_eq!(
            (
                accuracy.with_reading,
                accuracy.corrected,
                accuracy.without_reading
            ),
            (2, 1, 0),
            "{}",
            db.name
        );
        assert_eq!(accuracy.kept_rate(), Some(0.5));

        // Retention: the sightings no event refers to go, those of the violation and of the
        // watch-list hits stay; only the engine purges, and says so once in the audit log.
        let soon = dienbien_dispatch::clock::now_utc_ms() + 1_000;
        assert!(matches!(
            store.purge_plate_sightings(&disp, soon),
            Err(StoreError::Forbidden { .. })
        ));
        assert_eq!(
            store.purge_plate_sightings(&engine, soon).unwrap(),
            3,
            "{}",
            db.name
        );
        for (id, kept) in [
            (stored.id, true),
            (doubtful.id, true),
            (sure.id, false),
            (other.id, false),
            (after.id, false),
        ] {
            assert_eq!(
                store.plate_sighting(&disp, id).unwrap().is_some(),
                kept,
                "sighting {id} ({})",
                db.name
            );
        }
        assert_eq!(store.purge_plate_sightings(&engine, soon).unwrap(), 0);
        // The database itself keeps a sighting an event refers to.
        let refused = common::execute_raw(
            &db.location,
            &format!("DELETE FROM plate_sightings WHERE id = {}", stored.id),
        )
        .unwrap_err();
        assert!(
            refused.contains("kept with the event"),
            "{}: {refused}",
            db.name
        );

        // Every change, hit and search is in the audit log, with who did it.
        let audit = store.recent_audit(200).unwrap();
        let count = |action: AuditAction, actor: &str| {
            audit
                .iter()
                .filter(|e| e.action == action.code() && e.actor == actor)
                .count()
        };
        assert_eq!(count(AuditAction::WatchlistAdd, "sup"), 1, "{}", db.name);
        assert_eq!(count(AuditAction::WatchlistRemove, "sup"), 1);
        assert_eq!(count(AuditAction::WatchlistHit, "engine-1"), 2);
        assert_eq!(count(AuditAction::PlateSearch, "disp"), 1);
        assert_eq!(count(AuditAction::PlatePurge, "engine-1"), 1, "{}", db.name);
        let search = audit
            .iter()
            .find(|e| e.action == AuditAction::PlateSearch.code())
            .unwrap();
        assert_eq!(search.subject, "27A12345");
    }
}

#[test]
fn one_operator_at_a_time_steers_a_camera_and_a_higher_role_takes_it_over_under_audit() {
    use dienbien_dispatch::domain::Role;
    use dienbien_dispatch::store::LeaseTaken;
    for db in every_backend() {
        let (mut store, _) = Store::open_seeded(&db.location).unwrap();
        let [an, binh, sup, rev] = signed_in_users(
            &mut store,
            [
                ("an", Role::Dispatcher),
                ("binh", Role::Dispatcher),
                ("sup", Role::Supervisor),
                ("rev", Role::Reviewer),
            ],
        );
        let camera = "DBP-TQ-DOIA1";
        assert!(
            store.cameras().unwrap().iter().any(|c| c.code == camera),
            "the sample inventory has the overview camera"
        );
        // A reviewer may not steer; an unknown camera is refused.
        assert!(matches!(
            store.ptz_take(&rev, camera),
            Err(StoreError::Forbidden { .. })
        ));
        assert!(matches!(
            store.ptz_take(&an, "NO-SUCH"),
            Err(StoreError::Rejected { .. })
        ));

        let (lease, taken) = store.ptz_take(&an, camera).unwrap();
        assert_eq!(
            (lease.holder.as_str(), taken),
            ("an", LeaseTaken::New),
            "{}",
            db.name
        );
        assert_eq!(store.ptz_take(&an, camera).unwrap().1, LeaseTaken::Kept);
        // A second dispatcher sees who holds it and is refused.
        assert_eq!(
            store.ptz_holder(&binh, camera).unwrap().map(|l| l.holder),
            Some("an".into())
        );
        let refusal = store.ptz_take(&binh, camera).unwrap_err().to_string();
        assert!(
            refusal.contains("an (") && refusal.contains("15 s"),
            "{refusal}"
        );
        // A supervisor takes it over; the dispatcher's giving back is then a no-op.
        let (_, taken) = store.ptz_take(&sup, camera).unwrap();
        assert_eq!(taken, LeaseTaken::TakenOver { from: "an".into() });
        assert!(!store.ptz_release(&an, camera).unwrap());
        assert!(store.ptz_release(&sup, camera).unwrap());
        assert_eq!(store.ptz_holder(&binh, camera).unwrap(), None);
        assert_eq!(store.ptz_take(&binh, camera).unwrap().1, LeaseTaken::New);
        store
            .ptz_preset_audit(&binh, camera, "saved", "preset_1")
            .unwrap();

        let audit = store.recent_audit(10).unwrap();
        let actions: Vec<(String, &str)> = audit
            .iter()
            .rev()
            .filter(|e| e.subject == camera)
            .map(|e| (e.actor.clone(), e.action.as_str()))
            .collect();
        assert_eq!(
            actions,
            [
                ("an".to_owned(), AuditAction::PtzSession.code()),
                ("sup".to_owned(), AuditAction::PtzTakeover.code()),
                ("sup".to_owned(), AuditAction::PtzRelease.code()),
                ("binh".to_owned(), AuditAction::PtzSession.code()),
                ("binh".to_owned(), AuditAction::PtzPreset.code()),
            ],
            "{}",
            db.name
        );
    }
}
