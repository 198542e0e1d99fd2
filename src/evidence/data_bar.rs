//! The data bar burned into an evidence still: a dark band under the picture with lines of
//! text (date and time, place, camera, violation, signal, speed), drawn with the bundled Noto
//! Sans so Vietnamese diacritics come out whole.

use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont as _};
use image::{Rgb, RgbImage};

const FONT: &[u8] = include_bytes!("../../resources/fonts/NotoSans-Regular.ttf");

/// Height of one line of the bar, as a share of the picture's width (readable at any size).
fn line_height(width: u32) -> f32 {
    (width as f32 / 48.0).clamp(12.0, 40.0)
}

/// `picture` with `lines` in a band below it (the picture itself is left whole).
pub fn with_data_bar(picture: &RgbImage, lines: &[String]) -> RgbImage {
    let line = line_height(picture.width());
    let band = (line * 1.35 * lines.len() as f32 + line * 0.6).ceil() as u32;
    let mut out = RgbImage::from_pixel(picture.width(), picture.height() + band, Rgb([16, 16, 16]));
    image::imageops::replace(&mut out, picture, 0, 0);
    for (row, text) in lines.iter().enumerate() {
        let top = picture.height() as f32 + line * 0.3 + line * 1.35 * row as f32;
        draw_text(&mut out, line * 0.5, top, line, text, [255, 255, 255]);
    }
    out
}

/// Draws `text` in `colour` with its top-left at (`x`, `top`), `size` pixels high; returns the
/// width it took. Pixels outside the picture are skipped.
pub(super) fn draw_text(
    out: &mut RgbImage,
    x: f32,
    top: f32,
    size: f32,
    text: &str,
    colour: [u8; 3],
) -> f32 {
    let Ok(font) = FontRef::try_from_slice(FONT) else {
        return 0.0;
    };
    let scaled = font.as_scaled(PxScale::from(size));
    let baseline = top + scaled.ascent();
    let mut pen = x;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            pen += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(size, ab_glyph::point(pen, baseline));
        pen += scaled.h_advance(id);
        previous = Some(id);
        let Some(outlined) = font.outline_glyph(glyph) else {
            continue;
        };
        let bounds = outlined.px_bounds();
        outlined.draw(|gx, gy, coverage| {
            let px = bounds.min.x as i64 + i64::from(gx);
            let py = bounds.min.y as i64 + i64::from(gy);
            if px < 0 || py < 0 || px >= i64::from(out.width()) || py >= i64::from(out.height()) {
                return;
            }
            let pixel = out.get_pixel_mut(px as u32, py as u32);
            for (channel, target) in pixel.0.iter_mut().zip(colour) {
                let value = f32::from(*channel) * (1.0 - coverage) + f32::from(target) * coverage;
                *channel = value.round() as u8;
            }
        });
    }
    pen - x
}

/// The width `text` takes at `size` pixels.
pub(super) fn text_width(size: f32, text: &str) -> f32 {
    let Ok(font) = FontRef::try_from_slice(FONT) else {
        return 0.0;
    };
    let scaled = font.as_scaled(PxScale::from(size));
    text.chars()
        .map(|c| scaled.h_advance(scaled.glyph_id(c)))
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_goes_below_the_picture_and_holds_the_text() {
        let picture = RgbImage::from_pixel(640, 360, Rgb([90, 120, 150]));
        let lines = vec![
            "2026-11-30 02:55:35 · Ngã tư Đồi A1".to_owned(),
            "Vượt đèn đỏ".to_owned(),
        ];
        let out = with_data_bar(&picture, &lines);
        assert_eq!(out.width(), 640);
        assert!(out.height() > 360 + 2 * 13);
        // The picture is untouched, the band has light text pixels on dark.
        assert_eq!(out.get_pixel(10, 10), &Rgb([90, 120, 150]));
        let band = (360..out.height()).flat_map(|y| (0..640).map(move |x| (x, y)));
        let lit = band
            .filter(|&(x, y)| out.get_pixel(x, y).0[0] > 128)
            .count();
        assert!(lit > 200, "{lit} text pixels");
        // Nothing is drawn past the end of a short line.
        assert!((360..out.height()).all(|y| out.get_pixel(630, y).0[0] < 32));
    }
}
