//! What a stream may ask of this machine: pictures at most 8192 pixels a side and 8K UHD in
//! area, units at most 16 MiB, and at most 80 Mbit/s over two seconds of its own time. A
//! camera (or something pretending to be one) beyond these is refused with a reason the tile
//! shows, before a frame buffer or a texture of that size is made.

/// The longest side of a picture, and the most pixels (7680 × 4320).
pub const MAX_PICTURE_SIDE: u32 = 8192;
pub const MAX_PICTURE_PIXELS: u64 = 7680 * 4320;
/// The largest encoded unit.
pub const MAX_UNIT_BYTES: usize = 16 << 20;
/// The highest bitrate, averaged over [`BITRATE_WINDOW_90K`] of stream time.
pub const MAX_BITRATE_BPS: u64 = 80_000_000;
pub const BITRATE_WINDOW_90K: i64 = 2 * 90_000;

/// Why a stream was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitExceeded {
    #[error(
        "the picture is {width}×{height}: more than this console shows (at most {MAX_PICTURE_SIDE} a side and 7680×4320 in area)"
    )]
    Picture { width: u32, height: u32 },
    #[error("a unit of {bytes} bytes: more than the {MAX_UNIT_BYTES} a camera may send")]
    Unit { bytes: usize },
    #[error("the stream sends {mbps} Mbit/s: more than the 80 Mbit/s a camera may send")]
    Bitrate { mbps: u64 },
}

/// Refuses a picture larger than the limits.
pub fn check_picture(width: u32, height: u32) -> Result<(), LimitExceeded> {
    let area = u64::from(width) * u64::from(height);
    if width > MAX_PICTURE_SIDE || height > MAX_PICTURE_SIDE || area > MAX_PICTURE_PIXELS {
        return Err(LimitExceeded::Picture { width, height });
    }
    Ok(())
}

/// The bytes of the units of the last two seconds of stream time.
#[derive(Debug, Default)]
pub struct BitrateWindow {
    units: std::collections::VecDeque<(i64, usize)>,
    bytes: u64,
}

impl BitrateWindow {
    /// Counts a unit of `bytes` at `pts_90k`; refuses one too large, or a rate too high once
    /// the window holds a whole two seconds.
    pub fn add(&mut self, pts_90k: i64, bytes: usize) -> Result<(), LimitExceeded> {
        if bytes > MAX_UNIT_BYTES {
            return Err(LimitExceeded::Unit { bytes });
        }
        // A timestamp that jumps back (a new session, a broken camera) starts the window again.
        if self.units.back().is_some_and(|(last, _)| pts_90k < *last) {
            self.units.clear();
            self.bytes = 0;
        }
        self.units.push_back((pts_90k, bytes));
        self.bytes += bytes as u64;
        let mut spanned = false;
        while let Some(&(first, size)) = self.units.front() {
            if pts_90k.saturating_sub(first) <= BITRATE_WINDOW_90K {
                break;
            }
            spanned = true;
            self.units.pop_front();
            self.bytes -= size as u64;
        }
        let bits_per_second = self.bytes * 8 * 90_000 / BITRATE_WINDOW_90K as u64;
        if spanned && bits_per_second > MAX_BITRATE_BPS {
            return Err(LimitExceeded::Bitrate {
                mbps: bits_per_second / 1_000_000,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_up_to_8k_pass_and_larger_ones_are_refused() {
        assert!(check_picture(3840, 2160).is_ok());
        assert!(check_picture(7680, 4320).is_ok());
        assert!(check_picture(8192, 100).is_ok());
        assert!(check_picture(8193, 100).is_err());
        assert!(check_picture(8192, 8192).is_err(), "too many pixels");
        assert!(check_picture(u32::MAX, u32::MAX).is_err());
        let text = check_picture(65_535, 65_535).unwrap_err().to_string();
        assert!(text.contains("65535×65535"), "{text}");
    }

    #[test]
    fn a_camera_at_its_bitrate_passes_and_a_flood_is_refused() {
        // 4K at 16 Mbit/s: 25 units a second of 80 kB, for ten seconds.
        let mut window = BitrateWindow::default();
        for i in 0..250 {
            assert!(window.add(i * 3_600, 80_000).is_ok(), "unit {i}");
        }
        // 200 Mbit/s: refused once two seconds are seen.
        let mut window = BitrateWindow::default();
        let refused = (0..100).find_map(|i| window.add(i * 3_600, 1_000_000).err());
        assert!(
            matches!(refused, Some(LimitExceeded::Bitrate { mbps }) if mbps > 80),
            "{refused:?}"
        );
        assert_eq!(
            BitrateWindow::default().add(0, MAX_UNIT_BYTES + 1),
            Err(LimitExceeded::Unit {
                bytes: MAX_UNIT_BYTES + 1
            })
        );
        // Timestamps that jump about do not overflow.
        let mut window = BitrateWindow::default();
        for pts in [i64::MAX, i64::MIN, 0, i64::MAX] {
            let _ = window.add(pts, 10);
        }
    }
}
