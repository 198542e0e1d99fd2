//! The replay's clock: a moment on the wall clock (UTC ms) that moves at a chosen speed while
//! playing, steps a frame at a time while paused, and stays within the incident's span.

use std::time::Instant;

/// The speeds offered (the slowest and fastest too).
pub const SPEEDS: [f64; 6] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0];

#[derive(Debug, Clone)]
pub struct ReplayClock {
    position_ms: f64,
    from_ms: i64,
    to_ms: i64,
    speed: f64,
    playing: bool,
    last_tick: Option<Instant>,
}

impl ReplayClock {
    pub fn new(from_ms: i64, to_ms: i64) -> Self {
        Self {
            position_ms: from_ms as f64,
            from_ms,
            to_ms: to_ms.max(from_ms),
            speed: 1.0,
            playing: false,
            last_tick: None,
        }
    }

    pub fn position_ms(&self) -> i64 {
        self.position_ms.round() as i64
    }

    pub fn span(&self) -> (i64, i64) {
        (self.from_ms, self.to_ms)
    }

    pub fn speed(&self) -> f64 {
        self.speed
    }

    pub fn playing(&self) -> bool {
        self.playing
    }

    /// Moves the clock on by the time passed since the last tick, at the speed.
    pub fn tick(&mut self, now: Instant) {
        if self.playing
            && let Some(last) = self.last_tick
        {
            self.position_ms += now.duration_since(last).as_secs_f64() * 1000.0 * self.speed;
            if self.position_ms >= self.to_ms as f64 {
                self.position_ms = self.to_ms as f64;
                self.playing = false;
            }
        }
        self.last_tick = Some(now);
    }

    pub fn set_playing(&mut self, playing: bool) {
        self.playing = playing;
        self.last_tick = None;
    }

    /// A speed from 0.25× to 8×.
    pub fn set_speed(&mut self, speed: f64) {
        self.speed = speed.clamp(SPEEDS[0], SPEEDS[SPEEDS.len() - 1]);
    }

    pub fn seek(&mut self, t_ms: i64) {
        self.position_ms = t_ms.clamp(self.from_ms, self.to_ms) as f64;
    }

    /// One frame (of `frame_ms`) on or back, pausing.
    pub fn step(&mut self, frames: i64, frame_ms: i64) {
        self.playing = false;
        self.seek(self.position_ms() + frames * frame_ms.max(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_clock_plays_at_its_speed_steps_and_stays_in_its_span() {
        let mut clock = ReplayClock::new(1_000, 11_000);
        let start = Instant::now();
        clock.set_playing(true);
        clock.tick(start);
        clock.set_speed(2.0);
        clock.tick(start + Duration::from_millis(500));
        assert_eq!(clock.position_ms(), 2_000, "half a second at 2×");
        clock.set_speed(100.0);
        assert_eq!(clock.speed(), 8.0);
        clock.tick(start + Duration::from_secs(5));
        assert_eq!(clock.position_ms(), 11_000, "stops at the end");
        assert!(!clock.playing());
        clock.step(-3, 100);
        assert_eq!(clock.position_ms(), 10_700);
        clock.seek(-5);
        assert_eq!(clock.position_ms(), 1_000);
    }
}
