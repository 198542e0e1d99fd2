//! Review as a reviewer does it from the command line: the queue, a confirmation (plate and
//! colour; the clause follows the corrected class), a rejection with a reason, the notice as a
//! PDF whose text (read back by poppler's pdftotext) keeps its Vietnamese diacritics, the
//! portal export in the portal's column order, and every step in the audit chain. The
//! reviewer signs in (`login`); the shell's user name counts for nothing.

mod common;
mod support;

use common::cli_env::CliEnv;
use dienbien_dispatch::domain::Decision;
use dienbien_dispatch::notice::PORTAL_COLUMNS;
use dienbien_dispatch::store::{DatabaseLocation, NewEvent, Store};
use std::path::Path;
use std::process::Command;
use support::media;

/// The binary in a folder of its own, in a shell whose user calls itself "chief".
fn new_env() -> CliEnv {
    CliEnv::new().with_env("USER", "chief")
}

/// Creates the first administrator, who adds reviewer "lan"; signs lan in with `login`.
fn sign_in_reviewer(env: &CliEnv) {
    let run = |args: &[&str], vars: &[(&str, &str)]| {
        let mut command = env.command(args);
        command.envs(vars.iter().copied());
        let out = command.output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let out = run(
        &["users", "add", "admin", "--role", "administrator"],
        &[("DISPATCH_NEW_PASSWORD", "quản trị viên 1")],
    );
    assert!(out.contains("first administrator"), "{out}");
    // Now every command signs in; a second "first" administrator is refused.
    let mut command = env.command(&["users", "add", "me", "--role", "administrator"]);
    command.env("DISPATCH_NEW_PASSWORD", "12345678");
    let out = command.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("sign-in needed"),
        "{err}"
    );
    run(
        &[
            "--user", "admin", "users", "add", "lan", "--role", "reviewer",
        ],
        &[
            ("DISPATCH_PASSWORD", "quản trị viên 1"),
            ("DISPATCH_NEW_PASSWORD", "xét duyệt 2026"),
        ],
    );
    let out = run(
        &["--user", "lan", "login"],
        &[("DISPATCH_PASSWORD", "xét duyệt 2026")],
    );
    assert!(out.contains("signed in as lan until"), "{out}");
}

fn event(at_utc_ms: i64, class: &str) -> NewEvent {
    NewEvent {
        camera_code: "DBP-GT-A1-S".into(),
        kind: dienbien_dispatch::domain::ViolationKind::RedLight,
        track: 3,
        class: dienbien_dispatch::domain::ObjectClass::from_code(class).unwrap(),
        place: Some("S".into()),
        stream_at_ms: 50_000,
        time_into_red_ms: Some(2_400),
        clause: None,
        detail: dienbien_dispatch::domain::EventDetail {
            at_utc_ms: Some(at_utc_ms),
            evidence_ms: vec![49_600, 50_000, 50_400],
            speed_kmh: Some(31.0),
            ..Default::default()
        },
    }
}

#[test]
fn a_violation_is_confirmed_noticed_and_exported_and_every_step_is_audited() {
    let env = new_env();
    env.record(
        "DBP-GT-A1-S",
        media("car-detection.mp4").to_str().unwrap(),
        10,
        6,
    );
    let location = DatabaseLocation::Sqlite(env.path("dispatch.db"));
    let mut store = Store::open(&location).unwrap();
    let start = store.recordings().unwrap()[0].started_ms;
    // The detector took a car for a motorbike; a second event is not a violation.
    let engine = store.local_engine_principal().expect("a principal");
    let first = store
        .record_event(&engine, &event(start + 3_000, "motorbike"))
        .unwrap();
    let engine = store.local_engine_principal().expect("a principal");
    let second = store
        .record_event(&engine, &event(start + 4_000, "car"))
        .unwrap();
    drop(store);

    sign_in_reviewer(&env);
    let queue = env.ok(&["review", "list"]);
    assert_eq!(queue.lines().count(), 2, "{queue}");
    assert!(queue.contains("(no evidence yet)"));
    let err = env.fails(&[
        "review",
        "confirm",
        &first.to_string(),
        "--plate",
        "27A-123.45",
        "--colour",
        "white",
    ]);
    assert!(err.contains("it has no evidence bundle yet"), "{err}");
    env.ok(&[
        "evidence",
        "build",
        "--event",
        &first.to_string(),
        "--out",
        env.path("evidence").to_str().unwrap(),
    ]);
    let err = env.fails(&[
        "review",
        "confirm",
        &first.to_string(),
        "--plate",
        "2A-12",
        "--colour",
        "white",
    ]);
    assert!(err.contains("is not a Vietnamese plate"), "{err}");
    let out = env.ok(&[
        "review",
        "confirm",
        &first.to_string(),
        "--plate",
        "27a 12345",
        "--colour",
        "white",
        "--class",
        "car",
    ]);
    // The clause follows the corrected class: the car's, not the motorbike's 7.7.c.
    assert!(out.contains("27A-123.45, clause 6.9.b"), "{out}");
    let err = env.fails(&[
        "review",
        "reject",
        &first.to_string(),
        "--reason",
        "duplicate",
    ]);
    assert!(err.contains("it was confirmed already by lan"), "{err}");
    let err = env.fails(&["review", "reject", &second.to_string(), "--reason", "tired"]);
    assert!(err.contains("use one of plate-unreadable"), "{err}");
    env.ok(&[
        "review",
        "reject",
        &second.to_string(),
        "--reason",
        "no-violation",
        "--note",
        "đèn vàng",
    ]);
    assert_eq!(
        env.ok(&["review", "list"]).trim(),
        "",
        "nothing left to review"
    );

    // A still altered after signing: no notice, and the message names the file.
    let bundle = Store::open(&location)
        .unwrap()
        .event(first)
        .unwrap()
        .unwrap()
        .evidence_path
        .unwrap();
    let still = Path::new(&bundle).join("2-tai-vach.jpg");
    let original = std::fs::read(&still).unwrap();
    let mut altered = original.clone();
    let middle = altered.len() / 2;
    altered[middle] ^= 0x40;
    std::fs::write(&still, &altered).unwrap();
    let refused = env.fails(&[
        "review",
        "notice",
        &first.to_string(),
        "--out",
        env.path("refused.pdf").to_str().unwrap(),
    ]);
    assert!(
        refused.contains("fails its check") && refused.contains("2-tai-vach.jpg"),
        "{refused}"
    );
    assert!(!env.path("refused.pdf").exists());
    let refused = env.fails(&["review", "export", "--format", "json"]);
    assert!(
        refused.contains(&format!("export refused: event {first}'s evidence"))
            && refused.contains("2-tai-vach.jpg"),
        "{refused}"
    );
    std::fs::write(&still, &original).unwrap();
    // The notice: an A4 PDF whose text reads back with its diacritics.
    let notice = env.path("notice.pdf");
    env.ok(&[
        "review",
        "notice",
        &first.to_string(),
        "--out",
        notice.to_str().unwrap(),
    ]);
    let text = Command::new("pdftotext")
        .args(["-layout", notice.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed by .ci/run");
    let text = String::from_utf8(text.stdout).unwrap();
    for expected in [
        "THÔNG BÁO",
        "27A-123.45",
        "Nền mầu trắng, chữ và số màu đen",
        "Vượt đèn đỏ (không chấp hành hiệu lệnh của đèn tín hiệu giao thông)",
        "điểm b khoản 9 Điều 6 Nghị định số 168/2024/NĐ-CP",
        "Từ 18.000.000 đồng đến 20.000.000 đồng",
        "Ngã tư Đồi A1",
        "đèn đỏ đã bật 2,4 giây",
        "lan",
        "Xác minh chủ phương tiện trước",
    ] {
        assert!(
            text.contains(expected),
            "'{expected}' not in the notice:\n{text}"
        );
    }
    let info = Command::new("pdfinfo").arg(&notice).output().unwrap();
    let info = String::from_utf8(info.stdout).unwrap();
    assert!(info.contains("595.28 x 841.89 pts (A4)"), "{info}");
    let images = Command::new("pdfimages")
        .args(["-list", notice.to_str().unwrap()])
        .output()
        .unwrap();
    let images = String::from_utf8(images.stdout).unwrap();
    assert_eq!(
        images.lines().filter(|l| l.contains("jpeg")).count(),
        3,
        "{images}"
    );

    // The portal export: the confirmed violation only, columns in the portal's order.
    let csv_path = env.path("export.csv");
    env.ok(&["review", "export", "--out", csv_path.to_str().unwrap()]);
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let mut reader = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, PORTAL_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], "27A-123.45");
    assert_eq!(&rows[0][2], "Ô tô");
    assert_eq!(
        &rows[0][5],
        "Vượt đèn đỏ (không chấp hành hiệu lệnh của đèn tín hiệu giao thông) (điểm b khoản 9 Điều 6 Nghị định số 168/2024/NĐ-CP)"
    );
    let json = env.ok(&["review", "export", "--format", "json"]);
    let value: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
    assert_eq!(value["Biển kiểm soát"], "27A-123.45");
    // Signed out, the shell's user is nobody: the queue is refused.
    assert!(env.ok(&["logout"]).contains("signed out"));
    let refused = env.fails(&["review", "list"]);
    assert!(refused.contains("sign-in needed"), "{refused}");

    // Every step is in the audit chain under the reviewer's name, and the chain holds.
    let mut store = Store::open(&location).unwrap();
    let confirm = store
        .recent_audit(60)
        .unwrap()
        .into_iter()
        .find(|e| e.action == "review.confirm")
        .unwrap();
    assert_eq!(confirm.actor, "lan");
    let actions: Vec<String> = store
        .recent_audit(30)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "evidence.attach",
        "review.confirm",
        "review.reject",
        "notice.produce",
        "review.export",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} missing: {actions:?}"
        );
    }
    assert_eq!(store.verify_audit().unwrap().broken, None);
    let confirmed = store.event(first).unwrap().unwrap();
    assert_eq!(
        (
            confirmed.class.code(),
            confirmed.clause.as_deref(),
            confirmed.plate_colour.as_deref()
        ),
        ("car", Some("6.9.b"), Some("white"))
    );
    assert!(confirmed.notice_at_ms.is_some());
    assert!(Path::new(confirmed.evidence_path.as_deref().unwrap()).is_dir());
}

#[test]
fn the_reviewer_works_through_the_queue_in_the_console_with_the_keyboard() {
    use common::console::{app, console_with_evidence, wait};
    use dienbien_dispatch::clock::Clock;
    use dienbien_dispatch::config::CameraCredentials;
    use dienbien_dispatch::evidence::EvidenceSetup;
    use dienbien_dispatch::ingest::IngestOptions;
    use dienbien_dispatch::service::VideoStreams;
    use dienbien_dispatch::ui::UiSettings;
    use egui_kittest::kittest::Queryable as _;

    let db = common::sqlite();
    let DatabaseLocation::Sqlite(db_path) = db.location.clone() else {
        unreachable!()
    };
    let env = CliEnv::new().with_database(db_path.clone());
    env.record(
        "DBP-GT-A1-S",
        media("car-detection.mp4").to_str().unwrap(),
        10,
        6,
    );
    let mut store = Store::open(&db.location).unwrap();
    let start = store.recordings().unwrap()[0].started_ms;
    let engine = store.local_engine_principal().expect("a principal");
    let older = store
        .record_event(&engine, &event(start + 3_000, "car"))
        .unwrap();
    let engine = store.local_engine_principal().expect("a principal");
    let newer = store
        .record_event(&engine, &event(start + 4_000, "car"))
        .unwrap();
    // What the console drew over the camera then: the car, track 3, flagged.
    let overlays: Vec<dienbien_dispatch::domain::overlay::RecordedOverlay> = (0..60)
        .map(|i| dienbien_dispatch::domain::overlay::RecordedOverlay {
            camera: "DBP-GT-A1-S".into(),
            at_ms: start + i * 100,
            width: 1280,
            height: 720,
            boxes: vec![dienbien_dispatch::domain::overlay::OverlayBox {
                bbox: [400.0, 300.0, 700.0, 600.0],
                class: dienbien_dispatch::domain::ObjectClass::Car,
                score: 0.9,
                track: Some(3),
                flagged: true,
            }],
            signals: Vec::new(),
        })
        .collect();
    let engine = store.local_engine_principal().expect("a principal");
    store.record_overlays(&engine, &overlays).unwrap();
    drop(store);
    let setup = EvidenceSetup {
        key_path: env.path("key"),
        root: env.path("evidence"),
        models_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("resources/models"),
        agency: dienbien_dispatch::domain::Agency::default(),
        trusted_keys: Vec::new(),
        checkpoint_file: Some(env.path("audit-checkpoints.jsonl")),
    };
    let location = db.location.clone();
    let mut harness = console_with_evidence(
        db,
        UiSettings {
            language: dienbien_dispatch::ui::Language::English,
            show_camera_list: false,
            ..UiSettings::default()
        },
        (1400.0, 900.0),
        1.0 / 30.0,
        VideoStreams::new(IngestOptions::default(), CameraCredentials::default()),
        Clock::System,
        Some(setup),
        false,
    );
    wait(&mut harness, "the inventory", |h| app(h).inventory_loaded());
    harness.key_press(egui::Key::F4);
    wait(&mut harness, "the queue", |h| {
        app(h).review_state().queue.len() == 2
    });
    // Newest first, and it has no evidence yet: build it from the console.
    assert_eq!(app(&harness).review_state().selected, Some(newer));
    harness.get_by_label("Build the evidence").click();
    wait(&mut harness, "the evidence stills", |h| {
        app(h)
            .review_state()
            .stills
            .as_ref()
            .is_some_and(|(id, s)| *id == newer && s.len() == 4)
    });
    harness.run_steps(2);
    // The track is drawn on each still, from what the console drew at its moment; the
    // vehicle's close-up comes last, without an overlay.
    let (_, stills) = app(&harness).review_state().stills.clone().unwrap();
    assert!(
        stills[..3].iter().all(|(_, overlay)| overlay
            .as_ref()
            .is_some_and(|o| o.boxes[0].track == Some(3))),
        "every still has its overlay"
    );
    assert!(stills[3].1.is_none(), "the close-up has none");
    // The clip, frame by frame, opens in the replay view; then back to the case.
    harness.get_by_label("Watch the clip (F5)").click();
    wait(&mut harness, "the replay of the case", |h| {
        app(h)
            .replay_state()
            .session
            .as_ref()
            .is_some_and(|s| s.cameras().contains(&"DBP-GT-A1-S".to_owned()))
    });
    harness.key_press(egui::Key::F4);
    harness.run_steps(3);
    assert_eq!(app(&harness).review_state().selected, Some(newer));
    // The plate as read, then Ctrl+Enter.
    let plate = harness.get_by_role(egui::accesskit::Role::TextInput);
    plate.focus();
    plate.type_text("27a 123 45");
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    wait(&mut harness, "the next case", |h| {
        app(h).review_state().selected == Some(older) && app(h).review_state().queue.len() == 1
    });
    // The older case has no evidence: it cannot be confirmed, but it can be rejected.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Delete);
    wait(&mut harness, "an empty queue", |h| {
        app(h).review_state().queue.is_empty()
    });
    harness.run_steps(3);
    harness.get_by_label("Nothing left to review.");
    // The confirmed one, with the owner's deadline counting down, gets its notice.
    harness
        .get_by_label_contains("Confirmed · deadlines (1)")
        .click();
    harness.run_steps(3);
    harness.get_by_label_contains("identify the owner: còn 9 ngày");
    harness.get_by_label("Write the notice").click();
    wait(&mut harness, "the notice", |h| {
        h.query_by_label_contains("Notice written").is_some()
    });
    let notice = env
        .path("evidence/notices")
        .join(format!("thong-bao-{newer}.pdf"));
    assert!(std::fs::read(&notice).unwrap().starts_with(b"%PDF-1.7"));
    harness.run_steps(3);
    harness.get_by_label_contains("escalate: còn 19 ngày");
    let mut store = Store::open(&location).unwrap();
    let confirmed = store.event(newer).unwrap().unwrap();
    assert_eq!(confirmed.decision, Some(Decision::Confirmed));
    assert_eq!(confirmed.plate_text.as_deref(), Some("27A-123.45"));
    assert!(
        confirmed
            .reviewer
            .as_deref()
            .unwrap_or("")
            .starts_with("first-run@")
    );
    let rejected = store.event(older).unwrap().unwrap();
    assert_eq!(
        (rejected.decision, rejected.reject_reason.as_deref()),
        (Some(Decision::Rejected), Some("plate-unreadable"))
    );
    let actions: Vec<String> = store
        .recent_audit(20)
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "evidence.view",
        "evidence.build",
        "review.confirm",
        "review.reject",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
    assert_eq!(store.verify_audit().unwrap().broken, None);
}
