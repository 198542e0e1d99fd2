//! The controller feed end to end on 127.0.0.1: the simulator serves a fixed-time plan, the
//! feed reads it into the same states; a line that is not a signal change is skipped and
//! counted; a controller that goes away is reported and read again when it comes back; an
//! unsigned or wrongly signed line is refused, a flood is cut to the rate limit, and an endless
//! line drops the connection.

use dienbien_dispatch::domain::signal::SignalChange;
use dienbien_dispatch::domain::signal::SignalColour;
use dienbien_dispatch::signals::line_auth::{FeedKey, LINE_BURST, signed_line};
use dienbien_dispatch::signals::{ControllerFeed, FixedTimePlan, SignalSource, serve_plan};
use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn key() -> FeedKey {
    FeedKey::from_hex(&"5a".repeat(32)).unwrap()
}

/// A change's line, signed with the test key.
fn line(t_ms: i64, state: SignalColour) -> String {
    let change = SignalChange {
        t_ms,
        group: "A".into(),
        state,
    };
    format!("{}\n", signed_line(&change, &key()))
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[test]
fn the_feed_reads_the_states_the_simulated_controller_serves() {
    // A quick cycle: green 0–1 s, amber 1–1.5 s, red 1.5–3 s.
    let plan = FixedTimePlan::from_json(
        r#"{"cycle_s": 3, "groups": {"A": [{"at_s": 0, "state": "green"}, {"at_s": 1, "state": "amber"}, {"at_s": 1.5, "state": "red"}]}}"#,
    )
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let server = {
        let (plan, stop) = (plan.clone(), Arc::clone(&stop));
        std::thread::spawn(move || serve_plan(listener, plan, key(), stop))
    };
    let feed = ControllerFeed::connect(&address, key()).unwrap();
    // The current state on connect, then three changes of a cycle.
    wait_for("a cycle of changes", || feed.status().changes >= 4);
    assert!(feed.status().connected);
    assert_eq!(feed.status().bad_lines, 0);
    let now = now_ms();
    for back_ms in [0, 400, 900, 1700] {
        let t = now - back_ms;
        let (ours, theirs) = (feed.state_at("A", t), plan.state_at("A", t));
        // Around a change the feed may be a few milliseconds behind the plan.
        let near_change = theirs.since_ms.is_some_and(|s| (t - s).abs() < 60);
        if !near_change {
            assert_eq!(ours.colour, theirs.colour, "{back_ms} ms ago");
            assert_eq!(ours.since_ms, theirs.since_ms, "{back_ms} ms ago");
        }
    }
    assert_eq!(feed.state_at("B", now).colour, SignalColour::Unknown);
    stop.store(true, Ordering::Relaxed);
    server.join().unwrap().unwrap();
}

#[test]
fn bad_lines_are_skipped_and_a_lost_controller_is_read_again() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let feed = ControllerFeed::connect(&address.to_string(), key()).unwrap();
    {
        let (mut client, _) = listener.accept().unwrap();
        client.write_all(b"hello\n").unwrap();
        client
            .write_all(line(1000, SignalColour::Red).as_bytes())
            .unwrap();
        wait_for("the change", || feed.status().changes == 1);
        assert_eq!(feed.status().bad_lines, 1);
        assert_eq!(feed.state_at("A", 2_000).colour, SignalColour::Red);
    } // the controller hangs up
    wait_for("the loss reported", || !feed.status().connected);
    assert_eq!(
        feed.status().last_error.as_deref(),
        Some("the controller closed the connection")
    );
    let (mut client, _) = listener.accept().unwrap();
    client
        .write_all(line(5000, SignalColour::Green).as_bytes())
        .unwrap();
    wait_for("the feed back", || feed.status().changes == 2);
    assert!(feed.status().connected);
    assert_eq!(feed.state_at("A", 6_000).colour, SignalColour::Green);
    assert_eq!(
        feed.state_at("A", 3_000).colour,
        SignalColour::Red,
        "history kept"
    );
}

#[test]
fn unsigned_forged_flooding_and_endless_lines_are_refused_and_counted() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let feed = ControllerFeed::connect(&address.to_string(), key()).unwrap();
    let (mut client, _) = listener.accept().unwrap();
    // Unsigned, signed with another key, altered after signing: all refused.
    let other = FeedKey::from_hex(&"11".repeat(32)).unwrap();
    let change = SignalChange {
        t_ms: 1000,
        group: "A".into(),
        state: SignalColour::Green,
    };
    let forged = format!("{}\n", signed_line(&change, &other));
    let altered = line(1000, SignalColour::Red).replace("red", "green");
    client
        .write_all(b"{\"t_ms\": 1000, \"group\": \"A\", \"state\": \"green\"}\n")
        .unwrap();
    client.write_all(forged.as_bytes()).unwrap();
    client.write_all(altered.as_bytes()).unwrap();
    client
        .write_all(line(1000, SignalColour::Red).as_bytes())
        .unwrap();
    wait_for("the signed change", || feed.status().changes == 1);
    assert_eq!(feed.status().refused_lines, 3);
    assert_eq!(feed.state_at("A", 2_000).colour, SignalColour::Red);
    // A flood: far more lines at once than the burst allows; the rest are dropped and counted.
    let flood: String = (0..2_000)
        .map(|i| line(2_000 + i, SignalColour::Red))
        .collect();
    client.write_all(flood.as_bytes()).unwrap();
    wait_for("the flood read", || {
        let s = feed.status();
        s.changes + s.over_rate_lines >= 2_001
    });
    let status = feed.status();
    assert!(
        status.over_rate_lines > 1_000 && status.changes < 1 + LINE_BURST as u64 + 200,
        "{status:?}"
    );
    // A line that never ends: the connection is dropped, not the memory.
    let endless = vec![b'x'; 64 * 1024];
    let _ = client.write_all(&endless);
    wait_for("the drop", || !feed.status().connected);
    assert!(
        feed.status()
            .last_error
            .unwrap_or_default()
            .contains("a line longer than 1024 bytes"),
        "{:?}",
        feed.status()
    );
}
