//! The events an engine raised but has not stored yet: kept in order while the database is
//! away (up to a limit), stored oldest first once it answers, and given up only when the
//! camera's lease was taken over (the event is then another engine's to raise) or the list is
//! full. Generic over what is kept so the order and the counts are tested without a database.

use std::collections::VecDeque;

/// Events kept while the database is down (hours of a busy junction's events).
pub const MAX_WAITING: usize = 10_000;

/// What storing one event came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Stored {
    Yes,
    /// Refused for good (the lease was taken over): dropped and counted.
    Refused,
    /// The database did not answer: kept, and the rest wait behind it.
    NotNow,
}

/// The waiting events and what became of the others.
#[derive(Debug)]
pub struct EventBacklog<T> {
    waiting: VecDeque<T>,
    limit: usize,
    pub stored: u64,
    pub dropped: u64,
}

impl<T> Default for EventBacklog<T> {
    fn default() -> Self {
        Self::with_limit(MAX_WAITING)
    }
}

impl<T> EventBacklog<T> {
    pub fn with_limit(limit: usize) -> Self {
        Self {
            waiting: VecDeque::new(),
            limit,
            stored: 0,
            dropped: 0,
        }
    }

    /// Queues `event` behind those waiting; false (counted as dropped) when the list is full.
    pub fn push(&mut self, event: T) -> bool {
        if self.waiting.len() >= self.limit {
            self.dropped += 1;
            return false;
        }
        self.waiting.push_back(event);
        true
    }

    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    /// Stores the waiting events oldest first with `store` until one cannot be stored now;
    /// returns whether the database failed (the caller reconnects).
    pub fn drain(&mut self, mut store: impl FnMut(&T) -> Stored) -> bool {
        while let Some(event) = self.waiting.pop_front() {
            match store(&event) {
                Stored::Yes => self.stored += 1,
                Stored::Refused => self.dropped += 1,
                Stored::NotNow => {
                    self.waiting.push_front(event);
                    return true;
                }
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_wait_in_order_while_the_database_is_away_and_none_is_lost() {
        let mut backlog = EventBacklog::default();
        let mut database_up = false;
        let mut stored = Vec::new();
        for event in 1..=3 {
            backlog.push(event);
            let failed = backlog.drain(|e| {
                if database_up {
                    stored.push(*e);
                    Stored::Yes
                } else {
                    Stored::NotNow
                }
            });
            assert!(failed, "the database is down");
        }
        assert_eq!((backlog.waiting(), backlog.dropped), (3, 0));
        database_up = true;
        backlog.push(4);
        assert!(!backlog.drain(|e| {
            if database_up {
                stored.push(*e);
                Stored::Yes
            } else {
                Stored::NotNow
            }
        }));
        assert_eq!(stored, [1, 2, 3, 4], "oldest first, none lost");
        assert_eq!(
            (backlog.waiting(), backlog.stored, backlog.dropped),
            (0, 4, 0)
        );
    }

    #[test]
    fn a_lease_taken_over_or_a_full_list_drops_and_counts() {
        let mut backlog = EventBacklog::with_limit(2);
        assert!(backlog.push("a") && backlog.push("b"));
        assert!(!backlog.push("c"), "full");
        assert!(!backlog.drain(|e| if *e == "a" {
            Stored::Refused
        } else {
            Stored::Yes
        }));
        assert_eq!((backlog.stored, backlog.dropped), (1, 2));
    }
}
