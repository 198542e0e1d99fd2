//! A fixed-time signal plan: a cycle of so many seconds, an offset, and for each group the
//! states it shows from given seconds into the cycle.

use super::SignalSource;
use crate::domain::signal::{GroupState, SignalColour};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanStep {
    /// Seconds into the cycle.
    pub at_s: f64,
    pub state: SignalColour,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedTimePlan {
    pub cycle_s: f64,
    /// The cycle starts at `offset_s` on the recording's clock (and every `cycle_s` from there).
    #[serde(default)]
    pub offset_s: f64,
    pub groups: BTreeMap<String, Vec<PlanStep>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    #[error("signal plan is not valid JSON: {0}")]
    Parse(String),
    #[error("signal plan: {0}")]
    Invalid(String),
}

impl FixedTimePlan {
    pub fn from_json(text: &str) -> Result<Self, PlanError> {
        let plan: Self = serde_json::from_str(text).map_err(|e| PlanError::Parse(e.to_string()))?;
        if plan.cycle_s.is_nan() || plan.cycle_s <= 0.0 {
            return Err(PlanError::Invalid(
                "the cycle must last more than 0 s".into(),
            ));
        }
        for (group, steps) in &plan.groups {
            let ordered = steps.windows(2).all(|w| w[0].at_s < w[1].at_s);
            let in_cycle = steps.iter().all(|s| (0.0..plan.cycle_s).contains(&s.at_s));
            if steps.is_empty() || steps[0].at_s != 0.0 || !ordered || !in_cycle {
                return Err(PlanError::Invalid(format!(
                    "group {group}: steps must start at 0 s and rise within the cycle"
                )));
            }
        }
        Ok(plan)
    }
}

impl SignalSource for FixedTimePlan {
    fn state_at(&self, group: &str, t_ms: i64) -> GroupState {
        let Some(steps) = self.groups.get(group).filter(|s| !s.is_empty()) else {
            return GroupState::UNKNOWN;
        };
        let cycle_ms = (self.cycle_s * 1000.0).round() as i64;
        let offset_ms = (self.offset_s * 1000.0).round() as i64;
        // Saturating: no time, however far off, overflows (the feed and the files are input).
        let into = t_ms.saturating_sub(offset_ms).rem_euclid(cycle_ms.max(1));
        let cycle_start = t_ms.saturating_sub(into);
        let at = steps.partition_point(|s| ((s.at_s * 1000.0).round() as i64) <= into);
        let index = at.saturating_sub(1);
        let colour = steps[index].state;
        // The state may have begun in the previous cycle (it wraps from the last step).
        let mut start = cycle_start.saturating_add((steps[index].at_s * 1000.0).round() as i64);
        if index == 0 && steps[steps.len() - 1].state == colour && steps.len() > 1 {
            start = cycle_start
                .saturating_sub(cycle_ms)
                .saturating_add((steps[steps.len() - 1].at_s * 1000.0).round() as i64);
        }
        GroupState {
            colour,
            since_ms: Some(start),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = r#"{"cycle_s": 60, "offset_s": 5, "groups": {
        "A": [{"at_s": 0, "state": "green"}, {"at_s": 27, "state": "amber"}, {"at_s": 30, "state": "red"}],
        "B": [{"at_s": 0, "state": "red"}, {"at_s": 30, "state": "green"}, {"at_s": 57, "state": "amber"}]}}"#;

    #[test]
    fn states_repeat_every_cycle_from_the_offset() {
        let plan = FixedTimePlan::from_json(PLAN).unwrap();
        let a = |t_s: i64| plan.state_at("A", t_s * 1000);
        assert_eq!(a(5).colour, SignalColour::Green);
        // Times at the ends of the range answer without overflowing.
        for t in [i64::MIN, i64::MAX] {
            let _ = plan.state_at("A", t);
        }
        assert_eq!(a(33).colour, SignalColour::Amber);
        let red = a(40);
        assert_eq!(
            (red.colour, red.time_in_state_ms(40_000)),
            (SignalColour::Red, Some(5_000))
        );
        assert_eq!(
            a(40 + 60),
            GroupState {
                since_ms: Some(95_000),
                ..red
            }
        );
        assert_eq!(
            a(2).colour,
            SignalColour::Red,
            "before the offset: the previous cycle"
        );
        assert_eq!(plan.state_at("C", 0), GroupState::UNKNOWN);
    }

    #[test]
    fn a_bad_plan_is_refused() {
        let unordered = PLAN.replace(
            r#"{"at_s": 27, "state": "amber"}"#,
            r#"{"at_s": 31, "state": "amber"}"#,
        );
        assert!(
            matches!(FixedTimePlan::from_json(&unordered), Err(PlanError::Invalid(m)) if m.contains("group A"))
        );
        let no_cycle = PLAN.replace(r#""cycle_s": 60"#, r#""cycle_s": 0"#);
        assert!(FixedTimePlan::from_json(&no_cycle).is_err());
    }
}
