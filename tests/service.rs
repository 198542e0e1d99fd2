//! The back-end worker as the UI uses it: it reports a database it cannot open, keeps retrying,
//! opens it once the problem is gone, and applies commands sent in the meantime.

mod common;

use dienbien_dispatch::service::{Command, Reply, ServiceHandle};
use dienbien_dispatch::store::{DatabaseLocation, NewAuditEntry, Store};
use std::time::{Duration, Instant};

fn next_event(service: &ServiceHandle, timeout: Duration) -> Reply {
    let started = Instant::now();
    loop {
        if let Some(event) = service.try_next() {
            return event;
        }
        assert!(started.elapsed() < timeout, "no event within {timeout:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_worker_retries_until_the_database_can_be_opened() {
    let dir = tempfile::tempdir().unwrap();
    // A file where the database folder should be: the folder cannot be created.
    let blocker = dir.path().join("data");
    std::fs::write(&blocker, b"not a folder").unwrap();
    let location = DatabaseLocation::Sqlite(blocker.join("dispatch.db"));
    let service = ServiceHandle::start(location.clone()).unwrap();

    match next_event(&service, Duration::from_secs(10)) {
        Reply::Failed { message } => {
            assert!(message.contains("cannot create the folder"), "{message}");
            assert!(message.ends_with("(retrying in 1 s)"), "{message}");
        }
        other => panic!("expected a failure first, got {other:?}"),
    }
    // The dispatcher acts while the database is down: the entry must not be lost.
    service
        .send(Command::Audit(NewAuditEntry {
            actor: "dispatcher".into(),
            action: dienbien_dispatch::domain::AuditAction::CameraOpenFeed,
            subject: "DBP-GT-A1-N".into(),
            detail: serde_json::Value::Null,
        }))
        .unwrap();
    std::fs::remove_file(&blocker).unwrap();

    let opened = loop {
        match next_event(&service, Duration::from_secs(20)) {
            Reply::Opened { seeded, .. } => break seeded,
            Reply::Failed { .. } => continue,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(opened, "a new database is seeded");
    match next_event(&service, Duration::from_secs(10)) {
        Reply::Inventory(inventory) => assert_eq!(inventory.cameras.len(), 50),
        other => panic!("expected the inventory, got {other:?}"),
    }
    drop(service);
    // The worker applied the audit command once it could.
    let started = Instant::now();
    loop {
        let mut store = Store::open(&location).unwrap();
        let audit = store.recent_audit(10).unwrap();
        if audit.iter().any(|e| e.action == "camera.open_feed") {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "audit entry lost"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
