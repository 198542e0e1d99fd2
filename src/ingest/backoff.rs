//! Exponential back-off with jitter, so that a hundred cameras behind one failed switch do not
//! all reconnect in the same instant.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Backoff {
    first: Duration,
    longest: Duration,
    attempt: u32,
    seed: u64,
}

impl Backoff {
    pub fn new(first: Duration, longest: Duration) -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
            | 1;
        Self {
            first,
            longest,
            attempt: 0,
            seed,
        }
    }

    /// The wait before the next attempt: `first × 2^attempt`, capped, ±20 % jitter.
    pub fn next_delay(&mut self) -> Duration {
        let exponent = self.attempt.min(16);
        self.attempt = self.attempt.saturating_add(1);
        let base = self.first.saturating_mul(1 << exponent).min(self.longest);
        // xorshift64: cheap, good enough to spread reconnects.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let unit = (self.seed % 10_000) as f64 / 10_000.0; // 0..1
        base.mul_f64(0.8 + 0.4 * unit)
    }

    /// Attempts made since the last success.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// A success: the next failure starts from the first delay again.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_with_jitter_and_resets() {
        let mut backoff = Backoff::new(Duration::from_millis(500), Duration::from_secs(30));
        let delays: Vec<Duration> = (0..10).map(|_| backoff.next_delay()).collect();
        assert!(delays[0] >= Duration::from_millis(400) && delays[0] <= Duration::from_millis(600));
        assert!(
            delays[1] >= Duration::from_millis(800) && delays[1] <= Duration::from_millis(1200)
        );
        for d in &delays[7..] {
            assert!(
                *d >= Duration::from_secs(24) && *d <= Duration::from_secs(36),
                "{d:?}"
            );
        }
        assert_eq!(backoff.attempts(), 10);
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_millis(600));
    }
}
