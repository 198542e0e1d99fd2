//! Rendered plates, labelled by construction, to measure the reader (`plates generate`,
//! `plates eval`, the tests): every layout (one-row car, two-row car, two-row motorbike,
//! moped) and colour, drawn in a condensed Noto Sans with the plate's border, then seen at an
//! angle (a random perspective), small, blurred, with sensor noise and glare. Deterministic
//! for a seed.

use ab_glyph::{Font as _, FontRef, PxScale, ScaleFont as _};
use image::{Rgb, RgbImage};

use super::rectify::Homography;
use crate::domain::PlateColour;
use crate::domain::plate_grammar::{is_province_code, is_series_letter};

const FONT: &[u8] = include_bytes!("../../resources/fonts/NotoSans-Regular.ttf");

/// The layouts of Circular 79/2024's plates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SynthLayout {
    /// 520 × 110 mm: `27A-123.45`.
    OneRowCar,
    /// 330 × 165 mm: `27A` over `123.45`.
    TwoRowCar,
    /// 190 × 140 mm: `27-B1` over `123.45`.
    Motorbike,
    /// 190 × 140 mm: `27AA` over `123.45` (mopeds).
    Moped,
}

impl SynthLayout {
    pub const ALL: [Self; 4] = [
        Self::OneRowCar,
        Self::TwoRowCar,
        Self::Motorbike,
        Self::Moped,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::OneRowCar => "one-row-car",
            Self::TwoRowCar => "two-row-car",
            Self::Motorbike => "motorbike",
            Self::Moped => "moped",
        }
    }

    /// Width over height of the plate.
    fn aspect(self) -> f32 {
        match self {
            Self::OneRowCar => 520.0 / 110.0,
            Self::TwoRowCar => 330.0 / 165.0,
            Self::Motorbike | Self::Moped => 190.0 / 140.0,
        }
    }
}

/// A generated plate picture and what it shows.
pub struct SynthPlate {
    pub picture: RgbImage,
    /// The plate's text without separators (`27A12345`).
    pub text: String,
    pub layout: SynthLayout,
    pub colour: PlateColour,
    /// Where the plate's corners are in `picture`.
    pub corners: [[f32; 2]; 4],
}

/// xorshift64*: small, deterministic, good enough to vary pictures.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * ((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Normal, mean 0, deviation 1 (Box–Muller).
    pub fn normal(&mut self) -> f32 {
        let u = self.range(1e-6, 1.0);
        let v = self.range(0.0, 1.0);
        (-2.0 * u.ln()).sqrt() * (std::f32::consts::TAU * v).cos()
    }
}

fn series_letter(rng: &mut Rng) -> char {
    let letters: Vec<char> = ('A'..='Z').filter(|&c| is_series_letter(c)).collect();
    letters[rng.below(letters.len())]
}

fn digits(rng: &mut Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

/// A random plate of `layout`: (top row, bottom row) as printed, or the one row.
pub fn random_text(rng: &mut Rng, layout: SynthLayout) -> (String, Option<String>) {
    let province = if rng.below(3) == 0 {
        27
    } else {
        let codes: Vec<u8> = (0..=99).filter(|&c| is_province_code(c)).collect();
        codes[rng.below(codes.len())]
    };
    let number = if rng.below(10) == 0 {
        digits(rng, 4)
    } else {
        let d = digits(rng, 5);
        format!("{}.{}", &d[..3], &d[3..])
    };
    match layout {
        SynthLayout::OneRowCar => {
            let series = if rng.below(5) == 0 {
                format!("{}{}", series_letter(rng), series_letter(rng))
            } else {
                series_letter(rng).to_string()
            };
            (format!("{province}{series}-{number}"), None)
        }
        SynthLayout::TwoRowCar => (format!("{province}{}", series_letter(rng)), Some(number)),
        SynthLayout::Motorbike => (
            format!("{province}-{}{}", series_letter(rng), rng.below(9) + 1),
            Some(number),
        ),
        SynthLayout::Moped => (
            format!("{province}{}{}", series_letter(rng), series_letter(rng)),
            Some(number),
        ),
    }
}

/// A plate's rows as its text without separators (`27A12345`).
fn compact_rows(rows: &(String, Option<String>)) -> String {
    crate::domain::plate_match::compact(&format!(
        "{}{}",
        rows.0,
        rows.1.as_deref().unwrap_or_default()
    ))
}

/// Background and ink of each plate colour.
fn paint(colour: PlateColour) -> ([u8; 3], [u8; 3]) {
    match colour {
        PlateColour::White => ([236, 236, 232], [22, 22, 22]),
        PlateColour::Yellow => ([240, 196, 38], [22, 22, 22]),
        PlateColour::Blue => ([28, 72, 168], [240, 240, 240]),
        PlateColour::Red => ([196, 32, 38], [240, 240, 240]),
    }
}

/// Draws `text` centred on `centre_x`, its capitals `cap` pixels high from `top`, squeezed to
/// at most `max_width`; ink a little heavier than the regular face (drawn three times).
fn draw_row(
    plate: &mut RgbImage,
    text: &str,
    centre_x: f32,
    top: f32,
    cap: f32,
    max_width: f32,
    ink: [u8; 3],
) {
    let Ok(font) = FontRef::try_from_slice(FONT) else {
        return;
    };
    // Noto's capitals are 0.714 em high.
    let size = cap / 0.714;
    let natural = font.as_scaled(PxScale::from(size));
    let width: f32 = text
        .chars()
        .map(|c| natural.h_advance(natural.glyph_id(c)))
        .sum();
    let squeeze = (max_width / width.max(1.0)).min(0.92);
    let scale = PxScale {
        x: size * squeeze,
        y: size,
    };
    let scaled = font.as_scaled(scale);
    let width = width * squeeze;
    let baseline = top + cap;
    let weight = (cap * 0.035).max(0.6);
    for dx in [-weight, 0.0, weight] {
        let mut pen = centre_x - width / 2.0 + dx;
        for c in text.chars() {
            let id = scaled.glyph_id(c);
            let glyph = id.with_scale_and_position(scale, ab_glyph::point(pen, baseline));
            pen += scaled.h_advance(id);
            let Some(outlined) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outlined.px_bounds();
            outlined.draw(|gx, gy, coverage| {
                let (px, py) = (
                    bounds.min.x as i64 + i64::from(gx),
                    bounds.min.y as i64 + i64::from(gy),
                );
                if px < 0
                    || py < 0
                    || px >= i64::from(plate.width())
                    || py >= i64::from(plate.height())
                {
                    return;
                }
                let pixel = plate.get_pixel_mut(px as u32, py as u32);
                for (channel, target) in pixel.0.iter_mut().zip(ink) {
                    *channel = (f32::from(*channel) * (1.0 - coverage)
                        + f32::from(target) * coverage)
                        .round() as u8;
                }
            });
        }
    }
}

/// The flat plate, `height` pixels high.
fn flat_plate(
    layout: SynthLayout,
    colour: PlateColour,
    rows: &(String, Option<String>),
    height: u32,
) -> RgbImage {
    let width = (height as f32 * layout.aspect()).round() as u32;
    let (background, ink) = paint(colour);
    let mut plate = RgbImage::from_pixel(width, height, Rgb(background));
    let (w, h) = (width as f32, height as f32);
    // The border: a line of ink inside the edge.
    let line = (h * 0.03).max(1.0) as u32;
    let inset = (h * 0.04) as u32;
    for y in 0..height {
        for x in 0..width {
            let edge = x.min(width - 1 - x).min(y).min(height - 1 - y);
            if (inset..inset + line).contains(&edge) {
                plate.put_pixel(x, y, Rgb(ink));
            }
        }
    }
    match &rows.1 {
        None => draw_row(
            &mut plate,
            &rows.0,
            w / 2.0,
            h * 0.16,
            h * 0.68,
            w * 0.9,
            ink,
        ),
        Some(bottom) => {
            draw_row(
                &mut plate,
                &rows.0,
                w / 2.0,
                h * 0.1,
                h * 0.34,
                w * 0.84,
                ink,
            );
            draw_row(
                &mut plate,
                bottom,
                w / 2.0,
                h * 0.56,
                h * 0.34,
                w * 0.88,
                ink,
            );
        }
    }
    plate
}

/// How hard the pictures are.
#[derive(Debug, Clone, Copy)]
pub struct Difficulty {
    /// Plate height in the picture, pixels (min, max).
    pub height: (f32, f32),
    /// Corner displacement as a share of the plate's height (perspective).
    pub skew: f32,
    /// Gaussian blur deviation, pixels (max).
    pub blur: f32,
    /// Noise deviation, levels (max).
    pub noise: f32,
    /// Chance of a glare spot.
    pub glare: f32,
}

impl Difficulty {
    /// A plate `height` pixels high, square to the camera, sharp, without noise or glare.
    pub fn clean(height: f32) -> Self {
        Self {
            height: (height, height),
            skew: 0.0,
            blur: 0.0,
            noise: 0.0,
            glare: 0.0,
        }
    }
}

impl Default for Difficulty {
    fn default() -> Self {
        Self {
            height: (22.0, 64.0),
            skew: 0.18,
            blur: 1.0,
            noise: 10.0,
            glare: 0.3,
        }
    }
}

/// One picture of a random plate: the plate at an angle inside a margin of street-grey.
pub fn generate(
    rng: &mut Rng,
    layout: SynthLayout,
    colour: PlateColour,
    difficulty: &Difficulty,
) -> SynthPlate {
    let rows = random_text(rng, layout);
    let text = compact_rows(&rows);
    let flat = flat_plate(layout, colour, &rows, 160);
    let height = rng.range(difficulty.height.0, difficulty.height.1);
    let width = height * layout.aspect();
    let margin = height * 0.25;
    let (pw, ph) = (
        (width + 2.0 * margin).ceil() as u32,
        (height + 2.0 * margin).ceil() as u32,
    );
    let skew = difficulty.skew * height;
    let mut jitter =
        |x: f32, y: f32| [x + rng.range(-skew, skew), y + rng.range(-skew, skew) * 0.6];
    let corners = [
        jitter(margin, margin),
        jitter(margin + width, margin),
        jitter(margin + width, margin + height),
        jitter(margin, margin + height),
    ];
    // Render at twice the size, then halve (the plate's edges and strokes anti-aliased).
    let grey = rng.range(60.0, 150.0) as u8;
    let mut big = RgbImage::from_pixel(pw * 2, ph * 2, Rgb([grey, grey, grey.saturating_add(6)]));
    let (fw, fh) = (flat.width() as f64, flat.height() as f64);
    let to_flat = Homography::between(
        corners.map(|[x, y]| [f64::from(x) * 2.0, f64::from(y) * 2.0]),
        [[0.0, 0.0], [fw, 0.0], [fw, fh], [0.0, fh]],
    );
    if let Some(to_flat) = to_flat {
        for (x, y, p) in big.enumerate_pixels_mut() {
            let [u, v] = to_flat.apply([f64::from(x) + 0.5, f64::from(y) + 0.5]);
            if u >= 0.0 && v >= 0.0 && u < fw && v < fh {
                *p = *flat.get_pixel(u as u32, v as u32);
            }
        }
    }
    let mut picture = image::imageops::resize(&big, pw, ph, image::imageops::FilterType::Triangle);
    let sigma = rng.range(0.0, difficulty.blur);
    if sigma > 0.3 {
        picture = image::imageops::blur(&picture, sigma);
    }
    if rng.range(0.0, 1.0) < difficulty.glare {
        let (gx, gy) = (rng.range(0.0, pw as f32), rng.range(0.0, ph as f32));
        let radius = rng.range(0.2, 0.5) * height;
        let strength = rng.range(60.0, 140.0);
        for (x, y, p) in picture.enumerate_pixels_mut() {
            let d2 = ((x as f32 - gx).powi(2) + (y as f32 - gy).powi(2)) / (radius * radius);
            let add = strength * (-d2).exp();
            for c in p.0.iter_mut() {
                *c = (f32::from(*c) + add).min(255.0) as u8;
            }
        }
    }
    let noise = rng.range(0.0, difficulty.noise);
    for p in picture.pixels_mut() {
        let n = noise * rng.normal();
        for c in p.0.iter_mut() {
            *c = (f32::from(*c) + n).clamp(0.0, 255.0) as u8;
        }
    }
    SynthPlate {
        picture,
        text,
        layout,
        colour,
        corners,
    }
}

/// `count` pictures cycling through every layout and colour (white most often, as on the
/// road), with their labels.
pub fn generate_set(seed: u64, count: usize, difficulty: &Difficulty) -> Vec<SynthPlate> {
    let mut rng = Rng::new(seed);
    let colours = [
        PlateColour::White,
        PlateColour::White,
        PlateColour::Yellow,
        PlateColour::Blue,
        PlateColour::White,
        PlateColour::Red,
    ];
    (0..count)
        .map(|i| {
            let layout = SynthLayout::ALL[i % SynthLayout::ALL.len()];
            let colour = colours[(i / SynthLayout::ALL.len()) % colours.len()];
            generate(&mut rng, layout, colour, difficulty)
        })
        .collect()
}

/// A photograph with rendered plates painted over the plates it shows, and what they say.
pub struct SynthScene {
    pub picture: RgbImage,
    /// Each painted plate: its text without separators, layout, colour and corners.
    pub plates: Vec<(String, SynthLayout, PlateColour, [[f32; 2]; 4])>,
}

/// Paints a random plate of `layout` and `colour` over each of `quads` (a plate's corners in
/// `photo`: top left, top right, bottom right, bottom left): the quad keeps its height, centre
/// and slant and is stretched along its rows to the layout's proportions.
pub fn paint_scene(
    rng: &mut Rng,
    photo: &RgbImage,
    quads: &[[[f32; 2]; 4]],
    layout: SynthLayout,
    colour: PlateColour,
) -> SynthScene {
    let mut picture = photo.clone();
    let mut plates = Vec::new();
    for quad in quads {
        let rows = random_text(rng, layout);
        let text = compact_rows(&rows);
        let flat = flat_plate(layout, colour, &rows, 160);
        let corners = with_aspect(quad, layout.aspect());
        paint_plate(&mut picture, &flat, &corners);
        plates.push((text, layout, colour, corners));
    }
    SynthScene { picture, plates }
}

/// `quad` stretched about its centre along its rows so that its width over height is `aspect`.
fn with_aspect(quad: &[[f32; 2]; 4], aspect: f32) -> [[f32; 2]; 4] {
    let mid = |a: [f32; 2], b: [f32; 2]| [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0];
    let sub = |a: [f32; 2], b: [f32; 2]| [a[0] - b[0], a[1] - b[1]];
    let len = |a: [f32; 2]| a[0].hypot(a[1]);
    let along = sub(mid(quad[1], quad[2]), mid(quad[0], quad[3]));
    let down = sub(mid(quad[3], quad[2]), mid(quad[0], quad[1]));
    let centre = [
        quad.iter().map(|c| c[0]).sum::<f32>() / 4.0,
        quad.iter().map(|c| c[1]).sum::<f32>() / 4.0,
    ];
    let stretch = aspect * len(down) / len(along).max(1e-3);
    // Each corner as centre + a·along + b·down; a is stretched.
    let det = along[0] * down[1] - along[1] * down[0];
    if det.abs() < 1e-6 {
        return *quad;
    }
    quad.map(|c| {
        let d = sub(c, centre);
        let a = (d[0] * down[1] - d[1] * down[0]) / det;
        let b = (along[0] * d[1] - along[1] * d[0]) / det;
        [
            centre[0] + a * stretch * along[0] + b * down[0],
            centre[1] + a * stretch * along[1] + b * down[1],
        ]
    })
}

/// Paints `flat` (a plate as printed) into `picture` with its corners on `corners`; each pixel
/// is sampled 4 × 4 times, so the plate's edges blend with what was there.
fn paint_plate(picture: &mut RgbImage, flat: &RgbImage, corners: &[[f32; 2]; 4]) {
    let (fw, fh) = (f64::from(flat.width()), f64::from(flat.height()));
    let Some(to_flat) = Homography::between(
        corners.map(|[x, y]| [f64::from(x), f64::from(y)]),
        [[0.0, 0.0], [fw, 0.0], [fw, fh], [0.0, fh]],
    ) else {
        return;
    };
    let xs = corners.map(|c| c[0]);
    let ys = corners.map(|c| c[1]);
    let bound = |v: [f32; 4], max: u32, f: fn(f32, f32) -> f32, start: f32| {
        (v.into_iter().fold(start, f).max(0.0) as u32).min(max)
    };
    let (x0, x1) = (
        bound(xs, picture.width(), f32::min, f32::MAX),
        bound(xs, picture.width(), f32::max, 0.0) + 1,
    );
    let (y0, y1) = (
        bound(ys, picture.height(), f32::min, f32::MAX),
        bound(ys, picture.height(), f32::max, 0.0) + 1,
    );
    const N: u32 = 4;
    for y in y0..y1.min(picture.height()) {
        for x in x0..x1.min(picture.width()) {
            let mut sum = [0.0f32; 3];
            let mut inside = 0;
            for sy in 0..N {
                for sx in 0..N {
                    let [u, v] = to_flat.apply([
                        f64::from(x) + (f64::from(sx) + 0.5) / f64::from(N),
                        f64::from(y) + (f64::from(sy) + 0.5) / f64::from(N),
                    ]);
                    if u >= 0.0 && v >= 0.0 && u < fw && v < fh {
                        let p = flat.get_pixel(u as u32, v as u32);
                        for (s, c) in sum.iter_mut().zip(p.0) {
                            *s += f32::from(c);
                        }
                        inside += 1;
                    }
                }
            }
            if inside == 0 {
                continue;
            }
            let share = inside as f32 / (N * N) as f32;
            let pixel = picture.get_pixel_mut(x, y);
            for (c, s) in pixel.0.iter_mut().zip(sum) {
                *c = (f32::from(*c) * (1.0 - share) + s / (N * N) as f32)
                    .round()
                    .clamp(0.0, 255.0) as u8;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::plate_grammar::PlatePart;

    #[test]
    fn every_generated_text_is_a_grammatical_plate_of_its_layout() {
        let mut rng = Rng::new(7);
        for layout in SynthLayout::ALL {
            for _ in 0..200 {
                let (top, bottom) = random_text(&mut rng, layout);
                let compact = |s: &str| {
                    s.chars()
                        .filter(char::is_ascii_alphanumeric)
                        .collect::<String>()
                };
                match bottom {
                    None => assert!(PlatePart::Whole.matches(&compact(&top)), "{top}"),
                    Some(b) => {
                        assert!(PlatePart::Top.matches(&compact(&top)), "{top}");
                        assert!(PlatePart::Bottom.matches(&compact(&b)), "{b}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_set_is_the_same_for_a_seed_and_shows_its_plate_in_its_colour() {
        let a = generate_set(3, 8, &Difficulty::default());
        let b = generate_set(3, 8, &Difficulty::default());
        assert!(
            a.iter()
                .zip(&b)
                .all(|(x, y)| x.picture == y.picture && x.text == y.text)
        );
        let layouts: std::collections::BTreeSet<_> = a.iter().map(|p| p.layout).collect();
        assert_eq!(layouts.len(), 4);
        // A clean yellow plate: its background is yellow.
        let mut rng = Rng::new(1);
        let clean = Difficulty::clean(60.0);
        let plate = generate(
            &mut rng,
            SynthLayout::OneRowCar,
            PlateColour::Yellow,
            &clean,
        );
        let flat = crate::plates::rectify::rectify(&plate.picture, &plate.corners).unwrap();
        assert_eq!(
            crate::plates::colour::plate_colour(&flat),
            PlateColour::Yellow
        );
    }

    #[test]
    fn a_painted_quad_keeps_its_centre_and_height_and_takes_the_layout_proportions() {
        // A 100 × 40 quad slanted by 10 px along its rows.
        let quad = [[0.0, 10.0], [100.0, 0.0], [100.0, 40.0], [0.0, 50.0]];
        let out = with_aspect(&quad, 4.0);
        let width = (out[1][0] - out[0][0]).hypot(out[1][1] - out[0][1]);
        let height = (out[3][1] - out[0][1]).abs();
        assert!((height - 40.0).abs() < 0.01, "{out:?}");
        // 4 × 40 wide along the rows' slant.
        assert!((width - 160.0).abs() < 0.01, "{width}");
        let centre = |q: &[[f32; 2]; 4]| q.iter().map(|c| c[0] + c[1]).sum::<f32>();
        assert!((centre(&out) - centre(&quad)).abs() < 0.01);
        let mut rng = Rng::new(5);
        let photo = RgbImage::from_pixel(400, 200, Rgb([90, 90, 90]));
        let scene = paint_scene(
            &mut rng,
            &photo,
            &[[[100.0, 80.0], [200.0, 80.0], [200.0, 110.0], [100.0, 110.0]]],
            SynthLayout::OneRowCar,
            PlateColour::White,
        );
        let (text, _, _, corners) = &scene.plates[0];
        assert!(crate::domain::Plate::parse(text).is_ok());
        // The plate's background is painted inside its left end (between the border and the
        // text); the photo is untouched far away.
        let c = scene.picture.get_pixel(84, 95);
        assert!(c.0.iter().all(|&v| v > 200), "{c:?} inside {corners:?}");
        assert_eq!(scene.picture.get_pixel(5, 5).0, [90, 90, 90]);
    }
}
