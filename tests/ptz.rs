//! Steering a camera over ONVIF against a real ONVIF server on 127.0.0.1 with a simulated PTZ
//! camera behind it (`common/onvif_camera.rs`): a move moves it and a stop stops it, presets
//! round-trip, a wrong password is a clear error, and a camera that stops answering in the
//! middle of a move is stopped by the move's timeout.

#[allow(dead_code)]
#[path = "common/cli_env.rs"]
mod cli_env;
#[path = "common/onvif_camera.rs"]
mod onvif_camera;

use dienbien_dispatch::domain::ptz::{MoveState, PtzVector};
use dienbien_dispatch::ptz::{Credentials, OnvifCamera, PtzBackend, PtzError};
use std::time::{Duration, Instant};

const USER: &str = "admin";
const PASSWORD: &str = "Mật-khẩu 27";

fn credentials(password: &str) -> Option<Credentials> {
    Some(Credentials {
        user: USER.into(),
        password: password.into(),
    })
}

/// Polls `done` until it holds or `deadline` passes; whether it held.
fn wait_for(deadline: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + deadline;
    while Instant::now() < until {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    done()
}

/// Writes the CLI's credentials.toml with the camera log-in `[cam-ptz]` and `password`.
fn write_credentials(cli: &cli_env::CliEnv, password: &str) {
    let config = cli.path("home/config/dienbien-dispatch");
    std::fs::create_dir_all(&config).expect("config folder");
    std::fs::write(
        config.join("credentials.toml"),
        format!("[cam-ptz]\nuser = \"{USER}\"\npassword = \"{password}\"\n"),
    )
    .expect("credentials");
}

fn connect(sim: &onvif_camera::SimulatedCamera) -> OnvifCamera {
    OnvifCamera::connect(
        &sim.device_url,
        credentials(PASSWORD),
        Duration::from_secs(2),
    )
    .expect("connects with the right password")
}

#[test]
fn the_camera_is_found_through_its_device_and_media_services() {
    let sim = onvif_camera::start(USER, PASSWORD);
    let camera = connect(&sim);
    assert!(
        camera
            .ptz_url
            .as_deref()
            .is_some_and(|u| u.ends_with("/onvif/ptz_service"))
    );
    assert_eq!(camera.profile.as_deref(), Some("profile_0"));
    assert!(
        camera.profiles.iter().any(|p| p.ptz),
        "{:?}",
        camera.profiles
    );
    assert!(
        camera.clock_offset_ms().abs() < 5_000,
        "the simulated camera's clock is ours: {} ms",
        camera.clock_offset_ms()
    );
    assert_eq!(
        camera.stream_uri().expect("stream"),
        "rtsp://127.0.0.1:8554/profile_0"
    );
    assert_eq!(
        camera.snapshot_uri().expect("snapshot"),
        "http://127.0.0.1:8080/profile_0.jpg"
    );
    assert!(camera.capabilities().relative && camera.capabilities().field_of_view_move);
    assert!(
        !camera.capabilities().home,
        "this server advertises no home position"
    );
}

#[test]
fn a_move_moves_the_camera_and_a_stop_stops_it() {
    let sim = onvif_camera::start(USER, PASSWORD);
    let mut camera = connect(&sim);
    let before = sim.position();
    camera
        .continuous_move(PtzVector::new(1.0, -0.5, 0.0), Duration::from_secs(1))
        .expect("move");
    let status = camera.status().expect("status");
    assert_eq!(status.pan_tilt, MoveState::Moving, "{status:?}");
    assert!(
        wait_for(Duration::from_secs(5), || sim.position().pan
            > before.pan + 0.05),
        "the camera did not pan: {:?}",
        sim.position()
    );
    assert!(
        sim.position().tilt < before.tilt,
        "tilted down: {:?}",
        sim.position()
    );
    camera.stop().expect("stop");
    assert!(!sim.is_moving(), "stopped at once");
    assert_eq!(sim.moves(), 2, "a zero-speed move as well as Stop");
    let stopped = sim.position();
    assert_eq!(camera.status().expect("status").pan_tilt, MoveState::Idle);
    assert_eq!(sim.position(), stopped);
}

#[test]
fn presets_are_saved_listed_recalled_and_removed() {
    let sim = onvif_camera::start(USER, PASSWORD);
    let mut camera = connect(&sim);
    camera
        .absolute_move(PtzVector::new(0.4, 0.2, 0.3))
        .expect("absolute move");
    let token = camera
        .set_preset("Cổng chợ Mường Thanh", None)
        .expect("saved");
    let presets = camera.presets().expect("listed");
    assert!(
        presets
            .iter()
            .any(|p| p.token == token && p.name == "Cổng chợ Mường Thanh"),
        "{presets:?}"
    );
    camera
        .absolute_move(PtzVector::new(-0.6, 0.0, 0.0))
        .expect("away");
    camera.goto_preset(&token).expect("recalled");
    let at = sim.position();
    assert!(
        (at.pan - 0.4).abs() < 1e-4 && (at.zoom - 0.3).abs() < 1e-4,
        "{at:?}"
    );
    camera.remove_preset(&token).expect("removed");
    assert!(
        camera
            .presets()
            .expect("listed")
            .iter()
            .all(|p| p.token != token)
    );
    let missing = camera.goto_preset(&token).expect_err("no such preset");
    assert!(
        matches!(
            missing,
            PtzError::Fault {
                operation: "GotoPreset",
                ..
            }
        ),
        "{missing}"
    );
}

#[test]
fn a_camera_that_holds_as_many_presets_as_it_can_refuses_another_and_names_why() {
    let sim = onvif_camera::start(USER, PASSWORD);
    let mut camera = connect(&sim);
    let most = camera
        .capabilities()
        .max_presets
        .expect("the server's node gives MaximumNumberOfPresets");
    let tokens: Vec<String> = (0..most)
        .map(|n| camera.set_preset(&format!("P{n}"), None).expect("saved"))
        .collect();
    let refused = camera.set_preset("one too many", None).expect_err("full");
    assert!(
        matches!(refused, PtzError::Unsupported { .. })
            && refused.to_string().contains("keep another preset"),
        "{refused}"
    );
    assert_eq!(camera.presets().expect("listed").len(), most as usize);
    // Overwriting one by its token is still allowed.
    let kept = camera
        .set_preset("Ngã tư Thanh Bình", Some(&tokens[0]))
        .expect("overwritten");
    assert_eq!(kept, tokens[0]);
}

#[test]
fn a_wrong_password_is_a_clear_error() {
    let sim = onvif_camera::start(USER, PASSWORD);
    let error = OnvifCamera::connect(
        &sim.device_url,
        credentials("sai mật khẩu"),
        Duration::from_secs(2),
    )
    .err()
    .expect("refused");
    assert!(matches!(error, PtzError::Unauthorised { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains(&sim.device_url) && message.contains(USER),
        "{message}"
    );
    assert!(
        !message.contains("sai mật khẩu"),
        "the password is never shown"
    );
    let anonymous = OnvifCamera::connect(&sim.device_url, None, Duration::from_secs(2))
        .err()
        .expect("refused without credentials");
    assert!(
        matches!(anonymous, PtzError::Unauthorised { .. }),
        "{anonymous:?}"
    );
}

#[test]
fn a_camera_that_stops_answering_mid_move_stops_by_its_timeout() {
    let sim = onvif_camera::start(USER, PASSWORD);
    let mut camera = connect(&sim);
    camera
        .continuous_move(PtzVector::new(0.5, 0.0, 0.0), Duration::from_secs(1))
        .expect("move");
    assert!(sim.is_moving());
    assert_eq!(sim.moves(), 1);
    sim.set_silent(true);
    // The next command finds no answer: a timeout, not a hang.
    let started = Instant::now();
    let error = camera.status().expect_err("no answer");
    assert!(matches!(error, PtzError::Timeout { .. }), "{error:?}");
    let host = sim.device_url.trim_end_matches("/onvif/device_service");
    assert!(error.to_string().contains(host), "{error}");
    assert!(started.elapsed() < Duration::from_secs(10));
    // The camera stopped by itself when the move's 1 s ran out.
    assert!(
        wait_for(Duration::from_secs(5), || !sim.is_moving()),
        "still moving"
    );
    let stopped = sim.position();
    assert!(
        stopped.pan > 0.0 && stopped.pan < 0.5 * 0.5 * 3.0,
        "{stopped:?}"
    );
}

#[test]
fn a_camera_that_is_not_there_is_named_in_the_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    let url = format!("http://127.0.0.1:{port}/onvif/device_service");
    let error = OnvifCamera::connect(&url, credentials(PASSWORD), Duration::from_secs(2))
        .err()
        .expect("nothing listens");
    assert!(matches!(error, PtzError::Unreachable { .. }), "{error:?}");
    assert!(error.to_string().contains(&url), "{error}");
}

#[test]
fn the_command_line_steers_the_camera_through_the_lease_and_the_audit() {
    let sim = onvif_camera::start(USER, PASSWORD);
    let cli = cli_env::CliEnv::new();
    let registry = cli.file(
        "ptz.csv",
        &format!(
            "code,name,kind,lat_deg,lon_deg,position_surveyed,heading_deg,fov_deg,junction_code,main_url,sub_url,enabled,credentials_ref,notes,onvif_url\n\
             DBP-TQ-TEST,Camera điểm cao thử,overview,21.39,103.02,true,,,,rtsp://ptz.cam.invalid/main,,false,cam-ptz,,{}\n",
            sim.device_url
        ),
    );
    cli.ok(&["cameras", "import", registry.to_str().expect("utf-8 path")]);
    write_credentials(&cli, PASSWORD);

    let moved = cli.ok(&[
        "ptz",
        "move",
        "DBP-TQ-TEST",
        "--pan",
        "-0.8",
        "--secs",
        "0.5",
    ]);
    assert!(moved.contains("then stopped"), "{moved}");
    assert!(sim.position().pan < -0.05, "{:?}", sim.position());
    assert!(!sim.is_moving());
    let status = cli.ok(&["ptz", "status", "DBP-TQ-TEST"]);
    assert!(
        status.contains("still") && status.contains("steered by"),
        "{status}"
    );
    cli.ok(&["ptz", "save-preset", "DBP-TQ-TEST", "Cầu Mường Thanh"]);
    let presets = cli.ok(&["ptz", "presets", "DBP-TQ-TEST"]);
    assert!(presets.contains("Cầu Mường Thanh"), "{presets}");
    cli.ok(&[
        "ptz",
        "move",
        "DBP-TQ-TEST",
        "--pan",
        "0.8",
        "--secs",
        "0.3",
    ]);
    let went = cli.ok(&["ptz", "goto", "DBP-TQ-TEST", "cầu mường thanh"]);
    assert!(went.contains("going to preset"), "{went}");
    let unknown = cli.fails(&["ptz", "goto", "DBP-TQ-TEST", "Chợ"]);
    assert!(
        unknown.contains("no preset 'Chợ'") && unknown.contains("Cầu Mường Thanh"),
        "{unknown}"
    );
    cli.ok(&["ptz", "release", "DBP-TQ-TEST"]);
    let audit = cli.ok(&["audit", "list", "--limit", "20"]);
    for action in ["ptz.session", "ptz.preset", "ptz.release"] {
        assert!(audit.contains(action), "{action} missing: {audit}");
    }
    // A camera without an ONVIF address, and a wrong password, are said plainly.
    let none = cli.fails(&["ptz", "status", "DBP-TQ-DOIA1"]);
    assert!(none.contains("has no ONVIF address"), "{none}");
    write_credentials(&cli, "sai");
    let refused = cli.fails(&["ptz", "status", "DBP-TQ-TEST"]);
    assert!(
        refused.contains("refused the user name or password"),
        "{refused}"
    );
}

/// A device's WS-Discovery responder on 127.0.0.1 built from the ONVIF server crate's own
/// probe check and ProbeMatch; its address.
fn discovery_responder(xaddr: String) -> std::net::SocketAddr {
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("a port");
    let address = socket.local_addr().expect("address");
    std::thread::spawn(move || {
        let mut buffer = vec![0u8; 65_536];
        while let Ok((len, from)) = socket.recv_from(&mut buffer) {
            let message = &buffer[..len];
            if !onvif_server::discovery::is_probe_message(message) {
                continue;
            }
            let text = String::from_utf8_lossy(message);
            let id = text
                .split("MessageID>")
                .nth(1)
                .and_then(|s| s.split('<').next())
                .unwrap_or_default()
                .to_owned();
            let reply = onvif_server::discovery::build_probe_match(&id, &xaddr, Default::default());
            let _ = socket.send_to(reply.as_bytes(), from);
        }
    });
    address
}

#[test]
fn cameras_discover_writes_the_devices_that_answer_as_registry_rows() {
    let sim = onvif_camera::start(USER, PASSWORD);
    let responder = discovery_responder(sim.device_url.clone());
    let cli = cli_env::CliEnv::new();
    write_credentials(&cli, PASSWORD);
    let out = cli.path("found.csv");
    let target = responder.to_string();
    let args = [
        "cameras",
        "discover",
        "--target",
        target.as_str(),
        "--wait",
        "1",
        "--credentials",
        "cam-ptz",
        "--out",
        out.to_str().expect("utf-8"),
    ];
    cli.ok(&args);
    let csv = std::fs::read_to_string(&out).expect("the CSV");
    let rows = dienbien_dispatch::registry::parse_csv(&csv).expect("a registry file");
    assert_eq!(rows.cameras.len(), 1, "{csv}");
    let camera = &rows.cameras[0].item;
    assert_eq!(camera.onvif_url.as_deref(), Some(sim.device_url.as_str()));
    assert_eq!(camera.main_url.as_str(), "rtsp://127.0.0.1:8554/profile_0");
    assert_eq!(camera.kind, dienbien_dispatch::domain::CameraKind::Overview);
    assert!(!camera.enabled && !camera.position_surveyed);
    // The file imports as it is.
    cli.ok(&["cameras", "import", out.to_str().expect("utf-8")]);
}

#[test]
fn a_preset_tour_runs_in_the_engine_and_pauses_while_a_dispatcher_steers() {
    use dienbien_dispatch::config::{CameraCredentials, TourConfig, TourStepConfig};
    use dienbien_dispatch::domain::Role;
    use dienbien_dispatch::engine::ptz_tours::{PtzTours, TourState};
    use dienbien_dispatch::store::{DatabaseLocation, LeaseTaken, Store};
    let sim = onvif_camera::start(USER, PASSWORD);
    let mut direct = connect(&sim);
    for (x, name) in [(0.5, "Cầu"), (-0.5, "Chợ")] {
        direct
            .absolute_move(PtzVector::new(x, 0.0, 0.0))
            .expect("move");
        direct.set_preset(name, None).expect("preset");
    }
    let dir = tempfile::tempdir().expect("a folder");
    let location = DatabaseLocation::Sqlite(dir.path().join("dispatch.db"));
    let (mut store, _) = Store::open_seeded(&location).expect("a database");
    const PW: &str = "mật khẩu dài 123";
    store
        .create_first_administrator("admin", "Quản trị", PW)
        .expect("administrator");
    let sign_in = |store: &mut Store, login: &str| {
        store
            .sign_in(login, PW)
            .expect("database")
            .expect("signed in")
            .principal
    };
    let admin = sign_in(&mut store, "admin");
    for (login, role) in [("engine-1", Role::Engine), ("an", Role::Dispatcher)] {
        store
            .create_user(&admin, login, login, role, PW)
            .expect("user");
    }
    let (engine, an) = (sign_in(&mut store, "engine-1"), sign_in(&mut store, "an"));
    let csv = format!(
        "code,name,kind,lat_deg,lon_deg,main_url,credentials_ref,onvif_url\nDBP-TQ-TOUR,Camera tuần tra,overview,21.39,103.02,rtsp://tour.cam.invalid/main,cam-ptz,{}\n",
        sim.device_url
    );
    let registry = dienbien_dispatch::registry::parse_csv(&csv).expect("registry");
    store
        .import_registry(&admin, &registry, "tour.csv")
        .expect("imported");
    let credentials = CameraCredentials::parse(&format!(
        "[cam-ptz]\nuser = \"{USER}\"\npassword = \"{PASSWORD}\"\n"
    ))
    .expect("credentials");
    let step = |preset: &str| TourStepConfig {
        preset: preset.into(),
        dwell_s: 1.0,
    };
    let tour = TourConfig {
        camera: "DBP-TQ-TOUR".into(),
        steps: vec![step("Cầu"), step("Chợ")],
    };
    let tours = PtzTours::start(&[tour], &location, engine, credentials).expect("tours");
    let near = |x: f32| (sim.position().pan - x).abs() < 1e-3;
    // Round the presets: Chợ (step 1), then Cầu again (step 0).
    assert!(
        wait_for(Duration::from_secs(10), || {
            tours.state("DBP-TQ-TOUR") == Some(TourState::At { step: 1 }) && near(-0.5)
        }),
        "{:?} at {:?}",
        tours.state("DBP-TQ-TOUR"),
        sim.position()
    );
    assert!(wait_for(Duration::from_secs(10), || {
        tours.state("DBP-TQ-TOUR") == Some(TourState::At { step: 0 }) && near(0.5)
    }));
    // A dispatcher takes the camera over from the tour and turns it: the tour waits.
    let (_, taken) = store.ptz_take(&an, "DBP-TQ-TOUR").expect("taken");
    assert_eq!(
        taken,
        LeaseTaken::TakenOver {
            from: "engine-1".into()
        }
    );
    direct
        .absolute_move(PtzVector::new(0.1, 0.2, 0.0))
        .expect("the dispatcher's move");
    assert!(wait_for(Duration::from_secs(10), || {
        tours.state("DBP-TQ-TOUR") == Some(TourState::Paused { by: "an".into() })
    }));
    // Longer than a dwell of looking, and the camera is where the dispatcher left it.
    let looked = tours.ticks();
    assert!(wait_for(Duration::from_secs(10), || tours.ticks() >= looked + 15));
    assert!(near(0.1), "the tour moved the camera: {:?}", sim.position());
    // Given back: the tour resumes.
    assert!(store.ptz_release(&an, "DBP-TQ-TOUR").expect("released"));
    assert!(
        wait_for(Duration::from_secs(10), || near(0.5) || near(-0.5)),
        "{:?}",
        tours.state("DBP-TQ-TOUR")
    );
    assert!(matches!(
        tours.state("DBP-TQ-TOUR"),
        Some(TourState::At { .. })
    ));
}
