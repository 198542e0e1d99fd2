//! Marking the violating vehicle on a copy of an evidence still: its box, the path its track
//! took (bottom centres of its boxes, as recorded), and a label naming it, so a picture with
//! several cars says which one is meant. The untouched frame is kept beside the copy. Also the
//! vehicle's close-up, cut from the still with a margin and enlarged.

use super::data_bar::{draw_text, text_width};
use image::{Rgb, RgbImage};

/// The marking's colour (amber: visible on asphalt, on foliage and at night).
const MARK: Rgb<u8> = Rgb([255, 196, 0]);
/// A dark edge around the marking, for contrast on light paint.
const EDGE: Rgb<u8> = Rgb([0, 0, 0]);
/// The vehicle close-up is at least this wide.
const CLOSE_UP_WIDTH: u32 = 480;

/// Where the violating vehicle is on one still, in the still's pixels.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VehicleMark {
    /// x1, y1, x2, y2 of its box, when recorded near the still's moment.
    pub bbox: Option<[f32; 4]>,
    /// Its track's ground points around the event.
    pub path: Vec<[f32; 2]>,
    /// "ô tô · đối tượng 38".
    pub label: String,
}

fn put(picture: &mut RgbImage, x: i64, y: i64, colour: Rgb<u8>) {
    if x >= 0 && y >= 0 && x < i64::from(picture.width()) && y < i64::from(picture.height()) {
        picture.put_pixel(x as u32, y as u32, colour);
    }
}

/// A line `width` pixels thick from `a` to `b`.
fn line(picture: &mut RgbImage, a: [f32; 2], b: [f32; 2], width: f32, colour: Rgb<u8>) {
    let length = (b[0] - a[0]).hypot(b[1] - a[1]);
    let steps = (length.ceil() as i64).max(1);
    let r = width / 2.0;
    let ri = r.ceil() as i64;
    for i in 0..=steps {
        let t = i as f32 / steps as f32;
        let (cx, cy) = (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t);
        for dy in -ri..=ri {
            for dx in -ri..=ri {
                if ((dx * dx + dy * dy) as f32) <= r * r {
                    put(
                        picture,
                        cx.round() as i64 + dx,
                        cy.round() as i64 + dy,
                        colour,
                    );
                }
            }
        }
    }
}

/// The stroke width for a picture of this width.
fn stroke(picture: &RgbImage) -> f32 {
    (picture.width() as f32 / 400.0).clamp(2.0, 6.0)
}

/// Draws `mark` on `picture` (a copy of the still).
pub fn mark_vehicle(picture: &mut RgbImage, mark: &VehicleMark) {
    let width = stroke(picture);
    for pair in mark.path.windows(2) {
        line(picture, pair[0], pair[1], width * 0.75 + 2.0, EDGE);
    }
    for pair in mark.path.windows(2) {
        line(picture, pair[0], pair[1], width * 0.75, MARK);
    }
    let Some([x1, y1, x2, y2]) = mark.bbox else {
        return;
    };
    let corners = [[x1, y1], [x2, y1], [x2, y2], [x1, y2], [x1, y1]];
    for pair in corners.windows(2) {
        line(picture, pair[0], pair[1], width + 2.0, EDGE);
    }
    for pair in corners.windows(2) {
        line(picture, pair[0], pair[1], width, MARK);
    }
    // The label on a dark band above the box (below it when the box touches the top).
    let size = (picture.width() as f32 / 60.0).clamp(12.0, 32.0);
    let band_h = size * 1.4;
    let top = if y1 - band_h - width >= 0.0 {
        y1 - band_h - width
    } else {
        y2 + width
    };
    let band_w = text_width(size, &mark.label) + size;
    for y in top.max(0.0) as u32..((top + band_h) as u32).min(picture.height()) {
        for x in x1.max(0.0) as u32..((x1 + band_w) as u32).min(picture.width()) {
            picture.put_pixel(x, y, Rgb([16, 16, 16]));
        }
    }
    draw_text(
        picture,
        x1.max(0.0) + size * 0.5,
        top + size * 0.15,
        size,
        &mark.label,
        MARK.0,
    );
}

/// The vehicle inside `bbox`, with a fifth of its size around it, enlarged to at least
/// `CLOSE_UP_WIDTH` wide; `None` for a box outside the picture.
pub fn vehicle_close_up(picture: &RgbImage, bbox: [f32; 4]) -> Option<RgbImage> {
    let (w, h) = picture.dimensions();
    let (bw, bh) = (bbox[2] - bbox[0], bbox[3] - bbox[1]);
    let x0 = (bbox[0] - bw * 0.2).max(0.0) as u32;
    let y0 = (bbox[1] - bh * 0.2).max(0.0) as u32;
    let x1 = ((bbox[2] + bw * 0.2).max(0.0) as u32).min(w);
    let y1 = ((bbox[3] + bh * 0.2).max(0.0) as u32).min(h);
    if x1 <= x0 + 4 || y1 <= y0 + 4 {
        return None;
    }
    let crop = image::imageops::crop_imm(picture, x0, y0, x1 - x0, y1 - y0).to_image();
    let factor = (CLOSE_UP_WIDTH as f32 / crop.width() as f32).max(1.0);
    Some(image::imageops::resize(
        &crop,
        (crop.width() as f32 * factor).round() as u32,
        (crop.height() as f32 * factor).round() as u32,
        image::imageops::FilterType::Lanczos3,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_box_the_path_and_the_label_are_drawn_and_the_rest_is_untouched() {
        let grey = Rgb([100, 100, 100]);
        let mut picture = RgbImage::from_pixel(800, 450, grey);
        let mark = VehicleMark {
            bbox: Some([300.0, 200.0, 420.0, 300.0]),
            path: vec![[360.0, 440.0], [360.0, 300.0]],
            label: "ô tô · đối tượng 38".into(),
        };
        mark_vehicle(&mut picture, &mark);
        assert_eq!(picture.get_pixel(300, 250), &MARK, "the box's left edge");
        assert_eq!(picture.get_pixel(360, 400), &MARK, "the path");
        assert_eq!(
            picture.get_pixel(360, 250),
            &grey,
            "inside the box: the vehicle itself"
        );
        assert_eq!(picture.get_pixel(700, 100), &grey, "far away");
        // The label's band and text above the box.
        let label_pixels = (160..200)
            .flat_map(|y| (300..500).map(move |x| (x, y)))
            .filter(|&(x, y)| picture.get_pixel(x, y) == &MARK)
            .count();
        assert!(label_pixels > 30, "{label_pixels}");
        // Without a box only the path is drawn.
        let mut bare = RgbImage::from_pixel(800, 450, grey);
        mark_vehicle(&mut bare, &VehicleMark { bbox: None, ..mark });
        assert_eq!(bare.get_pixel(300, 250), &grey);
        assert_eq!(bare.get_pixel(360, 400), &MARK);
    }

    #[test]
    fn the_close_up_is_the_vehicle_enlarged() {
        let mut picture = RgbImage::from_pixel(800, 450, Rgb([0, 0, 0]));
        for y in 200..300 {
            for x in 300..420 {
                picture.put_pixel(x, y, Rgb([200, 10, 10]));
            }
        }
        let close = vehicle_close_up(&picture, [300.0, 200.0, 420.0, 300.0]).unwrap();
        assert!(close.width() >= CLOSE_UP_WIDTH);
        let (cx, cy) = (close.width() / 2, close.height() / 2);
        assert_eq!(close.get_pixel(cx, cy), &Rgb([200, 10, 10]));
        assert_eq!(
            vehicle_close_up(&picture, [900.0, 500.0, 950.0, 520.0]),
            None
        );
    }
}
