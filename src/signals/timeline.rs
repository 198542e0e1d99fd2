//! A timeline of signal changes per group (from a controller feed or a recording).

use super::SignalSource;
use crate::domain::signal::{GroupState, SignalChange, SignalColour};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SignalTimeline {
    groups: BTreeMap<String, Vec<(i64, SignalColour)>>,
}

impl SignalTimeline {
    /// From changes in any order.
    pub fn from_changes(changes: impl IntoIterator<Item = SignalChange>) -> Self {
        let mut timeline = Self::default();
        for change in changes {
            timeline.push(change);
        }
        timeline
    }

    /// Adds a change, keeping each group's changes in time order.
    pub fn push(&mut self, change: SignalChange) {
        let list = self.groups.entry(change.group).or_default();
        let at = list.partition_point(|(t, _)| *t <= change.t_ms);
        list.insert(at, (change.t_ms, change.state));
    }

    /// Forgets changes older than `t_ms`, keeping the one in force then (a live feed or a
    /// reading of the video would otherwise grow without end).
    pub fn forget_before(&mut self, t_ms: i64) {
        for list in self.groups.values_mut() {
            let at = list.partition_point(|(t, _)| *t <= t_ms);
            // Keep the state in force at `t_ms` and the run of equal reports that began it.
            let mut keep_from = at.saturating_sub(1);
            while keep_from > 0 && list[keep_from - 1].1 == list[keep_from].1 {
                keep_from -= 1;
            }
            list.drain(..keep_from);
        }
    }
}

impl SignalSource for SignalTimeline {
    fn state_at(&self, group: &str, t_ms: i64) -> GroupState {
        let Some(list) = self.groups.get(group) else {
            return GroupState::UNKNOWN;
        };
        let at = list.partition_point(|(t, _)| *t <= t_ms);
        if at == 0 {
            return GroupState::UNKNOWN;
        }
        let (mut since, colour) = list[at - 1];
        // Repeated reports of one state do not restart it.
        let mut i = at - 1;
        while i > 0 && list[i - 1].1 == colour {
            i -= 1;
            since = list[i].0;
        }
        // A change's time is when its state began (for the first line of a recording, or the
        // state a controller reports on connect, too).
        GroupState {
            colour,
            since_ms: Some(since),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(t_ms: i64, state: SignalColour) -> SignalChange {
        SignalChange {
            t_ms,
            group: "A".into(),
            state,
        }
    }

    #[test]
    fn the_state_at_a_moment_and_how_long_it_has_lasted() {
        let timeline = SignalTimeline::from_changes([
            change(10_000, SignalColour::Red),
            change(0, SignalColour::Green),
            change(7_000, SignalColour::Amber),
            change(12_000, SignalColour::Red), // a repeated report
        ]);
        assert_eq!(timeline.state_at("A", -5), GroupState::UNKNOWN);
        assert_eq!(timeline.state_at("B", 5_000), GroupState::UNKNOWN);
        let green = timeline.state_at("A", 3_000);
        assert_eq!(
            (green.colour, green.since_ms),
            (SignalColour::Green, Some(0))
        );
        let red = timeline.state_at("A", 13_500);
        assert_eq!(
            (red.colour, red.since_ms),
            (SignalColour::Red, Some(10_000))
        );
        assert_eq!(red.time_in_state_ms(13_500), Some(3_500));
    }

    #[test]
    fn forgetting_the_past_keeps_the_state_in_force() {
        let mut timeline = SignalTimeline::from_changes([
            change(0, SignalColour::Green),
            change(7_000, SignalColour::Amber),
            change(10_000, SignalColour::Red),
            change(12_000, SignalColour::Red),
        ]);
        timeline.forget_before(13_000);
        assert_eq!(timeline.state_at("A", 13_500).since_ms, Some(10_000));
        assert_eq!(timeline.state_at("A", 5_000), GroupState::UNKNOWN);
    }
}
