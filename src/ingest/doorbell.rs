//! A doorbell between producers and one consumer: producers ring after publishing, the consumer
//! sleeps until the bell has rung since it last looked (or a timeout passes). It lets one
//! detector thread wait on many frame slots without polling.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

#[derive(Debug, Clone, Default)]
pub struct Doorbell {
    inner: Arc<(Mutex<u64>, Condvar)>,
}

impl Doorbell {
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a ring and wakes the waiting consumer.
    pub fn ring(&self) {
        let (count, wake) = &*self.inner;
        if let Ok(mut count) = count.lock() {
            *count = count.wrapping_add(1);
            wake.notify_all();
        }
    }

    /// The number of rings so far.
    pub fn rings(&self) -> u64 {
        self.inner.0.lock().map_or(0, |c| *c)
    }

    /// Waits until the count differs from `seen` or `timeout` passes; returns the count.
    pub fn wait_beyond(&self, seen: u64, timeout: Duration) -> u64 {
        let (count, wake) = &*self.inner;
        let Ok(guard) = count.lock() else {
            return seen;
        };
        match wake.wait_timeout_while(guard, timeout, |c| *c == seen) {
            Ok((guard, _)) => *guard,
            Err(_) => seen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_ring_wakes_the_waiter_and_a_silent_bell_times_out() {
        let bell = Doorbell::new();
        let seen = bell.rings();
        let ringer = bell.clone();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            ringer.ring();
        });
        let now = bell.wait_beyond(seen, Duration::from_secs(10));
        assert_eq!(now, seen + 1);
        thread.join().unwrap();
        let started = Instant::now();
        assert_eq!(bell.wait_beyond(now, Duration::from_millis(30)), now);
        assert!(started.elapsed() >= Duration::from_millis(30));
    }
}
