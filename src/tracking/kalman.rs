//! The motion model of a track: a constant-velocity Kalman filter on the box centre, width and
//! height, as ByteTrack uses. With diagonal noises and a state that starts uncorrelated across
//! the four coordinates, the 8-state filter splits exactly into four independent 2-state
//! filters (position, velocity), which is what this computes. Time steps are in seconds and may
//! vary (the detect rate changes with motion gating); noises scale with the box height, so the
//! filter behaves the same for near and far objects.

/// Process noise weights (per second), relative to the box height.
const POSITION_WEIGHT: f32 = 1.0 / 20.0;
const VELOCITY_WEIGHT: f32 = 1.0 / 160.0;

/// One coordinate: value, rate of change, and their 2×2 covariance.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Axis {
    value: f32,
    rate: f32,
    /// [var(value), cov, var(rate)]
    p: [f32; 3],
}

impl Axis {
    fn new(value: f32, std_value: f32, std_rate: f32) -> Self {
        Self {
            value,
            rate: 0.0,
            p: [std_value * std_value, 0.0, std_rate * std_rate],
        }
    }

    fn predict(&mut self, dt: f32, q_value: f32, q_rate: f32) {
        self.value += self.rate * dt;
        let [a, b, c] = self.p;
        // P = F P Fᵀ + Q with F = [[1, dt], [0, 1]].
        self.p = [
            a + 2.0 * dt * b + dt * dt * c + q_value,
            b + dt * c,
            c + q_rate,
        ];
    }

    /// Updates with a measurement of the value with variance `r`; returns the squared
    /// Mahalanobis distance of the measurement before the update.
    fn update(&mut self, measured: f32, r: f32) -> f32 {
        let [a, b, c] = self.p;
        let s = a + r;
        let innovation = measured - self.value;
        let (k0, k1) = (a / s, b / s);
        self.value += k0 * innovation;
        self.rate += k1 * innovation;
        self.p = [(1.0 - k0) * a, (1.0 - k0) * b, c - k1 * b];
        innovation * innovation / s
    }
}

/// A box `[x1, y1, x2, y2]` in motion.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxFilter {
    axes: [Axis; 4],
}

impl BoxFilter {
    /// Starts at a measured box, at rest with a wide velocity uncertainty.
    pub fn new(bbox: [f32; 4]) -> Self {
        let [cx, cy, w, h] = centre_form(bbox);
        let h_ref = h.max(1.0);
        let sp = 2.0 * POSITION_WEIGHT * h_ref;
        let sv = 10.0 * VELOCITY_WEIGHT * h_ref * 25.0; // per second
        Self {
            axes: [
                Axis::new(cx, sp, sv),
                Axis::new(cy, sp, sv),
                Axis::new(w, sp, sv),
                Axis::new(h, sp, sv),
            ],
        }
    }

    /// Moves the state `dt` seconds on.
    pub fn predict(&mut self, dt: f32) {
        let dt = dt.clamp(0.0, 10.0);
        let h = self.axes[3].value.max(1.0);
        // Noise grows with time: variances per second.
        let q_value = (POSITION_WEIGHT * h).powi(2) * dt * 25.0;
        let q_rate = (VELOCITY_WEIGHT * h * 25.0).powi(2) * dt * 25.0;
        for axis in &mut self.axes {
            axis.predict(dt, q_value, q_rate);
        }
    }

    /// Corrects with a measured box.
    pub fn update(&mut self, bbox: [f32; 4]) {
        let measured = centre_form(bbox);
        let h = self.axes[3].value.max(1.0);
        let r = (POSITION_WEIGHT * h).powi(2);
        for (axis, m) in self.axes.iter_mut().zip(measured) {
            axis.update(m, r);
        }
    }

    /// The current box estimate.
    pub fn bbox(&self) -> [f32; 4] {
        let [cx, cy, w, h] = self.axes.map(|a| a.value);
        let (w, h) = (w.max(1.0), h.max(1.0));
        [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0]
    }

    /// Velocity of the box centre, pixels per second.
    pub fn velocity(&self) -> (f32, f32) {
        (self.axes[0].rate, self.axes[1].rate)
    }
}

/// `[cx, cy, w, h]` of a corner-form box.
fn centre_form(b: [f32; 4]) -> [f32; 4] {
    [
        (b[0] + b[2]) / 2.0,
        (b[1] + b[3]) / 2.0,
        b[2] - b[0],
        b[3] - b[1],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_box_moving_steadily_is_followed_and_its_speed_learned() {
        let mut f = BoxFilter::new([100.0, 100.0, 140.0, 180.0]);
        // 200 px/s to the right, observed at 5 per second.
        for step in 1..=15 {
            f.predict(0.2);
            let x = 100.0 + 40.0 * step as f32;
            f.update([x, 100.0, x + 40.0, 180.0]);
        }
        let (vx, vy) = f.velocity();
        assert!((vx - 200.0).abs() < 10.0 && vy.abs() < 5.0, "{vx} {vy}");
        // Prediction half a second ahead lands near the true box.
        f.predict(0.5);
        let b = f.bbox();
        assert!((b[0] - (100.0 + 600.0 + 100.0)).abs() < 8.0, "{b:?}");
        assert!((b[3] - 180.0).abs() < 2.0);
    }

    #[test]
    fn a_jittery_still_box_stays_put() {
        let mut f = BoxFilter::new([300.0, 200.0, 340.0, 280.0]);
        for step in 0..30 {
            f.predict(0.2);
            let jitter = if step % 2 == 0 { 3.0 } else { -3.0 };
            f.update([300.0 + jitter, 200.0, 340.0 + jitter, 280.0]);
        }
        let b = f.bbox();
        assert!((b[0] - 300.0).abs() < 3.0, "{b:?}");
        assert!(f.velocity().0.abs() < 15.0, "{:?}", f.velocity());
    }
}
