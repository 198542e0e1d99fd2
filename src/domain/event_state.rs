//! Where a stored event stands: the dispatcher's workflow (new → acknowledged → assigned →
//! closed) and the reviewer's decision. The database keeps their codes; the store converts.

use serde::Serialize;
use std::fmt;

/// An event in the dispatcher's hands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum EventState {
    New,
    Acknowledged,
    Assigned,
    Closed,
}

impl EventState {
    pub const ALL: [Self; 4] = [Self::New, Self::Acknowledged, Self::Assigned, Self::Closed];

    /// The next step of the workflow, if any.
    pub fn next(self) -> Option<Self> {
        match self {
            Self::New => Some(Self::Acknowledged),
            Self::Acknowledged => Some(Self::Assigned),
            Self::Assigned => Some(Self::Closed),
            Self::Closed => None,
        }
    }

    /// The code the database keeps.
    pub fn code(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Acknowledged => "acknowledged",
            Self::Assigned => "assigned",
            Self::Closed => "closed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A reviewer's decision on a violation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum Decision {
    Confirmed,
    Rejected,
}

impl Decision {
    /// The code the database keeps.
    pub fn code(self) -> &'static str {
        match self {
            Self::Confirmed => "confirmed",
            Self::Rejected => "rejected",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Confirmed, Self::Rejected]
            .into_iter()
            .find(|d| d.code() == code)
    }
}

/// A code that names no state or decision.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a code this version knows (event state, decision, kind or class)")]
pub struct UnknownCode(pub String);

impl TryFrom<String> for EventState {
    type Error = UnknownCode;
    fn try_from(code: String) -> Result<Self, Self::Error> {
        Self::from_code(&code).ok_or(UnknownCode(code))
    }
}

impl TryFrom<String> for Decision {
    type Error = UnknownCode;
    fn try_from(code: String) -> Result<Self, Self::Error> {
        Self::from_code(&code).ok_or(UnknownCode(code))
    }
}

impl From<EventState> for &'static str {
    fn from(state: EventState) -> Self {
        state.code()
    }
}

impl From<Decision> for &'static str {
    fn from(decision: Decision) -> Self {
        decision.code()
    }
}

impl fmt::Display for EventState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_follow_the_workflow_and_read_back_from_their_codes() {
        let mut state = EventState::New;
        let mut seen = vec![state];
        while let Some(next) = state.next() {
            seen.push(next);
            state = next;
        }
        assert_eq!(seen, EventState::ALL);
        for state in EventState::ALL {
            assert_eq!(EventState::try_from(state.code().to_owned()), Ok(state));
        }
        assert_eq!(
            EventState::try_from("open".to_owned())
                .unwrap_err()
                .to_string(),
            "'open' is not a code this version knows (event state, decision, kind or class)"
        );
        assert_eq!(
            Decision::try_from("rejected".to_owned()),
            Ok(Decision::Rejected)
        );
        assert_eq!(
            serde_json::to_string(&Decision::Confirmed).unwrap(),
            "\"confirmed\""
        );
    }
}
