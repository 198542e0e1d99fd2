//! The signal states of one camera's junction from every source it has: the controller feed
//! (on the wall clock), the fixed-time plan and the reading of the signal heads in the video
//! (both on the stream's clock). The rules take the first that knows: feed, then plan, then
//! vision. Where two sources both know and have disagreed for longer than a change takes to
//! show, the disagreement is reported (the map and the wall say so).

use super::{ControllerFeed, FixedTimePlan, SignalSource, VisionSignals};
use crate::domain::signal::{GroupState, SignalColour};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Where a state came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalOrigin {
    Feed,
    Plan,
    Vision,
}

impl SignalOrigin {
    pub fn name(self) -> &'static str {
        match self {
            Self::Feed => "feed",
            Self::Plan => "plan",
            Self::Vision => "vision",
        }
    }
}

/// What a group shows, from which source, and a source that says otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignalReading {
    pub state: GroupState,
    pub origin: Option<SignalOrigin>,
    pub disagreement: Option<(SignalOrigin, SignalColour)>,
}

/// Two sources reporting different colours are in disagreement only once both have shown
/// their colour this long (a change reaches the feed, the plan and the camera a little apart).
pub const DISAGREEMENT_AFTER_MS: i64 = 1_500;

/// Unknown wall-clock offset.
const NO_OFFSET: i64 = i64::MIN;

/// A camera's signal sources.
pub struct CameraSignals {
    feed: Option<Arc<ControllerFeed>>,
    plan: Option<FixedTimePlan>,
    vision: Option<Arc<VisionSignals>>,
    /// Wall-clock milliseconds minus stream milliseconds, from the newest frame.
    wall_offset_ms: AtomicI64,
}

impl std::fmt::Debug for CameraSignals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraSignals")
            .field("feed", &self.feed.is_some())
            .field("plan", &self.plan.is_some())
            .field("vision", &self.vision.is_some())
            .finish()
    }
}

impl CameraSignals {
    pub fn new(
        feed: Option<Arc<ControllerFeed>>,
        plan: Option<FixedTimePlan>,
        vision: Option<Arc<VisionSignals>>,
    ) -> Self {
        Self {
            feed,
            plan,
            vision,
            wall_offset_ms: AtomicI64::new(NO_OFFSET),
        }
    }

    /// No source at all.
    pub fn none() -> Self {
        Self::new(None, None, None)
    }

    pub fn is_empty(&self) -> bool {
        self.feed.is_none() && self.plan.is_none() && self.vision.is_none()
    }

    pub fn vision(&self) -> Option<&Arc<VisionSignals>> {
        self.vision.as_ref()
    }

    /// The frame at `stream_ms` was captured at `wall_ms` (UTC): how the feed's clock maps.
    pub fn set_wall_clock(&self, stream_ms: i64, wall_ms: i64) {
        self.wall_offset_ms
            .store(wall_ms - stream_ms, Ordering::Relaxed);
    }

    /// Every source's state of `group` at `t_ms` of the stream's clock, in order of trust.
    fn states(&self, group: &str, t_ms: i64) -> Vec<(SignalOrigin, GroupState)> {
        let mut states = Vec::with_capacity(3);
        let offset = self.wall_offset_ms.load(Ordering::Relaxed);
        if let Some(feed) = &self.feed
            && offset != NO_OFFSET
        {
            let mut state = feed.state_at(group, t_ms + offset);
            state.since_ms = state.since_ms.map(|s| s - offset);
            states.push((SignalOrigin::Feed, state));
        }
        if let Some(plan) = &self.plan {
            states.push((SignalOrigin::Plan, plan.state_at(group, t_ms)));
        }
        if let Some(vision) = &self.vision {
            states.push((SignalOrigin::Vision, vision.state_at(group, t_ms)));
        }
        states.retain(|(_, s)| s.colour != SignalColour::Unknown);
        states
    }

    /// What `group` shows at `t_ms` (stream clock), where from, and any disagreement.
    pub fn reading(&self, group: &str, t_ms: i64) -> SignalReading {
        let states = self.states(group, t_ms);
        let Some(&(origin, state)) = states.first() else {
            return SignalReading {
                state: GroupState::UNKNOWN,
                origin: None,
                disagreement: None,
            };
        };
        let settled = |s: &GroupState| {
            s.time_in_state_ms(t_ms)
                .is_some_and(|d| d >= DISAGREEMENT_AFTER_MS)
        };
        let disagreement = states[1..]
            .iter()
            .find(|(_, other)| other.colour != state.colour && settled(other) && settled(&state))
            .map(|(o, other)| (*o, other.colour));
        SignalReading {
            state,
            origin: Some(origin),
            disagreement,
        }
    }
}

impl SignalSource for CameraSignals {
    fn state_at(&self, group: &str, t_ms: i64) -> GroupState {
        self.states(group, t_ms)
            .first()
            .map_or(GroupState::UNKNOWN, |(_, s)| *s)
    }
}

impl<T: SignalSource + ?Sized> SignalSource for Arc<T> {
    fn state_at(&self, group: &str, t_ms: i64) -> GroupState {
        (**self).state_at(group, t_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::PlanStep;
    use std::collections::BTreeMap;

    fn plan(red_at_s: f64) -> FixedTimePlan {
        let steps = vec![
            PlanStep {
                at_s: 0.0,
                state: SignalColour::Green,
            },
            PlanStep {
                at_s: red_at_s,
                state: SignalColour::Red,
            },
        ];
        FixedTimePlan {
            cycle_s: 60.0,
            offset_s: 0.0,
            groups: BTreeMap::from([("A".to_owned(), steps)]),
        }
    }

    #[test]
    fn the_first_source_that_knows_is_used() {
        let signals = CameraSignals::new(None, Some(plan(30.0)), None);
        let reading = signals.reading("A", 40_000);
        assert_eq!(reading.state.colour, SignalColour::Red);
        assert_eq!(reading.origin, Some(SignalOrigin::Plan));
        assert_eq!(reading.disagreement, None);
        assert_eq!(signals.state_at("B", 40_000), GroupState::UNKNOWN);
        assert!(CameraSignals::none().is_empty());
        assert_eq!(CameraSignals::none().reading("A", 0).origin, None);
    }

    #[test]
    fn the_feed_is_read_on_the_wall_clock_of_the_frames() {
        // A controller that turned A red at 10:00:30 UTC (in ms), a stream whose clock started
        // at 0 when the wall read 10:00:00.
        let (listener, address) = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            let a = l.local_addr().expect("address").to_string();
            (l, a)
        };
        let wall0 = 1_796_000_000_000_i64;
        let key = super::super::line_auth::FeedKey::from_hex(&"3c".repeat(32)).expect("key");
        let feed_key = key.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            if let Ok((mut s, _)) = listener.accept() {
                let change = crate::domain::signal::SignalChange {
                    t_ms: wall0 + 30_000,
                    group: "A".into(),
                    state: SignalColour::Red,
                };
                let line = format!("{}\n", super::super::line_auth::signed_line(&change, &key));
                let _ = s.write_all(line.as_bytes());
                std::thread::sleep(std::time::Duration::from_secs(5));
            }
        });
        let feed = Arc::new(ControllerFeed::connect(&address, feed_key).expect("feed"));
        let signals = CameraSignals::new(Some(feed), Some(plan(50.0)), None);
        // Before any frame told the wall clock, the feed cannot be placed: the plan answers.
        assert_eq!(
            signals.reading("A", 40_000).origin,
            Some(SignalOrigin::Plan)
        );
        signals.set_wall_clock(0, wall0);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while signals.reading("A", 40_000).origin != Some(SignalOrigin::Feed) {
            assert!(
                std::time::Instant::now() < deadline,
                "the feed never arrived"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let reading = signals.reading("A", 40_000);
        assert_eq!(reading.state.colour, SignalColour::Red);
        assert_eq!(reading.state.time_in_state_ms(40_000), Some(10_000));
        // The plan still shows green at 40 s: the two disagree, and it is said.
        assert_eq!(
            reading.disagreement,
            Some((SignalOrigin::Plan, SignalColour::Green))
        );
        // Just after the feed's change, not yet a disagreement.
        assert_eq!(signals.reading("A", 30_500).disagreement, None);
    }
}
