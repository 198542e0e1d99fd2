//! Reading a plate: found by the plate detector (or given as a crop), made flat by its
//! corners, split into its rows, each row recognised and decoded under the plate grammar,
//! and its colour taken from the background.

use super::colour::plate_colour;
use super::ctc::{Decoded, decode};
use super::recogniser::{RecogniserError, TextRecogniser};
use super::rectify::rectify;
use super::rows::{ONE_ROW_FROM, RowLayout, layout};
use crate::detect::plate::{PlateDetector, PlateError};
use crate::domain::plate_grammar::PlatePart;
use crate::domain::{CharReading, Plate, PlateReading};
use image::RgbImage;
use std::path::Path;

/// A plate box the detector gives below this score is not read.
pub const MIN_PLATE_SCORE: f32 = 0.3;
/// Regions of character edges read in a vehicle's box when the detector finds no plate.
const CANDIDATES_READ: usize = 3;
/// A candidate's reading this confident ends the search of a vehicle's box.
const CONFIDENT: f32 = 0.9;

/// A vehicle's reading less confident than this is not taken for its plate: a grille,
/// lettering on the body or a plate too small to read gives such readings (seen at 0.00 on
/// the street photo's vehicles without a readable plate; the plates painted over its car read
/// at 0.5 and more).
const MIN_VEHICLE_CONFIDENCE: f32 = 0.3;

#[derive(Debug, thiserror::Error)]
pub enum ReaderError {
    #[error(transparent)]
    Recogniser(#[from] RecogniserError),
    #[error(transparent)]
    Detector(#[from] PlateError),
}

/// A plate's rows read: their characters, how many rows, the reading's confidence (the
/// product of the characters').
struct RowsRead {
    chars: Vec<CharReading>,
    rows: u8,
    confidence: f32,
}

pub struct PlateReader {
    recogniser: TextRecogniser,
    detector: PlateDetector,
}

impl PlateReader {
    /// Loads the recogniser and the plate detector from `models_dir` (or the built-in copies).
    pub fn load(models_dir: &Path) -> Result<Self, ReaderError> {
        Ok(Self {
            recogniser: TextRecogniser::load(models_dir)?,
            detector: PlateDetector::load(models_dir)?,
        })
    }

    /// The plate detector it reads behind (for the evidence's close-up).
    pub fn detector(&self) -> &PlateDetector {
        &self.detector
    }

    /// Every plate the detector finds in `picture`, read; plates that give no grammatical
    /// reading are left out.
    pub fn read_picture(&self, picture: &RgbImage) -> Result<Vec<PlateReading>, ReaderError> {
        let mut readings = Vec::new();
        for found in self.detector.detect(picture, MIN_PLATE_SCORE)? {
            if let Some(reading) = self.read_at(picture, &found.corners, Some(found.two_rows))? {
                readings.push(reading);
            }
        }
        Ok(readings)
    }

    /// The plate of the vehicle in `crop` (a vehicle's box): the plates the detector finds,
    /// else the regions of dense character edges (`candidates`), each read; the most
    /// confident grammatical reading of at least [`MIN_VEHICLE_CONFIDENCE`], its corners in
    /// the crop's pixels.
    pub fn read_vehicle(&self, crop: &RgbImage) -> Result<Option<PlateReading>, ReaderError> {
        let most_confident = |readings: Vec<PlateReading>| {
            readings
                .into_iter()
                .filter(|r| r.confidence >= MIN_VEHICLE_CONFIDENCE)
                .max_by(|a, b| a.confidence.total_cmp(&b.confidence))
        };
        if let Some(found) = most_confident(self.read_picture(crop)?) {
            return Ok(Some(found));
        }
        let mut readings = Vec::new();
        for candidate in super::candidates::plate_candidates(crop, CANDIDATES_READ) {
            let [x0, y0, x1, y1] = candidate.bbox;
            let (bw, bh) = (x1 - x0, y1 - y0);
            // The text's region with a little room (the candidate is the whole plate's
            // text), then with room for a plate around one row of it.
            for (mx, my) in [(bw / 8 + 2, bh / 5 + 2), (bw / 3 + 2, bh + 2)] {
                let (left, top) = (x0.saturating_sub(mx), y0.saturating_sub(my));
                let right = (x1 + mx).min(crop.width() - 1);
                let bottom = (y1 + my).min(crop.height() - 1);
                let region =
                    image::imageops::crop_imm(crop, left, top, right - left + 1, bottom - top + 1)
                        .to_image();
                if let Some(mut reading) = self.read_crop(&region)? {
                    for corner in &mut reading.corners {
                        corner[0] += left as f32;
                        corner[1] += top as f32;
                    }
                    if reading.confidence >= CONFIDENT {
                        return Ok(Some(reading));
                    }
                    readings.push(reading);
                }
            }
        }
        Ok(most_confident(readings))
    }

    /// `crop` is a box around a plate: the plate is located inside it (or, when it fills the
    /// crop, its corners are the picture's).
    pub fn read_crop(&self, crop: &RgbImage) -> Result<Option<PlateReading>, ReaderError> {
        let (w, h) = (crop.width() as f32, crop.height() as f32);
        let whole = [[0.0, 0.0], [w, 0.0], [w, h], [0.0, h]];
        let corners = super::locate::locate(crop).unwrap_or(whole);
        self.read_at(crop, &corners, None)
    }

    /// The plate inside `corners` of `picture`; `two_rows` is the detector's class when it
    /// found it. The layout the rows suggest is read first, the other one when it gives no
    /// grammatical plate or a less confident one.
    pub fn read_at(
        &self,
        picture: &RgbImage,
        corners: &[[f32; 2]; 4],
        two_rows: Option<bool>,
    ) -> Result<Option<PlateReading>, ReaderError> {
        let Some(flat) = rectify(picture, corners) else {
            return Ok(None);
        };
        let first = layout(&flat, two_rows);
        let other = match first {
            RowLayout::One => RowLayout::Two {
                split: flat.height() / 2,
            },
            RowLayout::Two { .. } => RowLayout::One,
        };
        let mut best = self.read_rows(&flat, first)?;
        let wide = (flat.width() as f32) / (flat.height() as f32) >= ONE_ROW_FROM;
        let confidence = |r: &Option<RowsRead>| r.as_ref().map(|r| r.confidence);
        if !wide && best.as_ref().is_none_or(|r| r.confidence < 0.5) {
            let second = self.read_rows(&flat, other)?;
            if confidence(&second) > confidence(&best) {
                best = second;
            }
        }
        let Some(RowsRead {
            chars,
            rows,
            confidence,
        }) = best
        else {
            return Ok(None);
        };
        let text: String = chars.iter().map(|c| c.char).collect();
        let Ok(plate) = Plate::parse(&text) else {
            return Ok(None);
        };
        Ok(Some(PlateReading {
            text,
            formatted: plate.to_string(),
            rows,
            colour: plate_colour(&flat),
            confidence,
            chars,
            corners: *corners,
        }))
    }

    /// The characters of a flat plate read as `layout` says.
    fn read_rows(
        &self,
        flat: &RgbImage,
        layout: RowLayout,
    ) -> Result<Option<RowsRead>, ReaderError> {
        let decoded: Option<(Vec<Decoded>, u8)> = match layout {
            RowLayout::One => self.read_row(flat, PlatePart::Whole)?.map(|d| (vec![d], 1)),
            RowLayout::Two { split } => {
                let (w, h) = flat.dimensions();
                let split = split.clamp(1, h - 1);
                let top = image::imageops::crop_imm(flat, 0, 0, w, split).to_image();
                let bottom = image::imageops::crop_imm(flat, 0, split, w, h - split).to_image();
                match (
                    self.read_row(&top, PlatePart::Top)?,
                    self.read_row(&bottom, PlatePart::Bottom)?,
                ) {
                    (Some(t), Some(b)) => Some((vec![t, b], 2)),
                    _ => None,
                }
            }
        };
        Ok(decoded.map(|(rows, count)| {
            let chars: Vec<CharReading> = rows
                .iter()
                .flat_map(|d| d.chars.iter())
                .map(|&(char, confidence)| CharReading { char, confidence })
                .collect();
            RowsRead {
                chars,
                rows: count,
                confidence: rows.iter().map(Decoded::confidence).product(),
            }
        }))
    }

    /// A row decoded under its grammar; a doubtful reading (confidence below one half, or
    /// none) is read again from the row stretched to 1.5 times its width (narrow, condensed
    /// characters get more of the recogniser's steps), and the more confident one kept.
    fn read_row(&self, row: &RgbImage, part: PlatePart) -> Result<Option<Decoded>, ReaderError> {
        let confidence = Decoded::confidence;
        let first = decode(&self.recogniser.recognise(row)?, part);
        if first.as_ref().is_some_and(|d| confidence(d) >= 0.5) {
            return Ok(first);
        }
        let (w, h) = row.dimensions();
        let wide =
            image::imageops::resize(row, w + w / 2, h, image::imageops::FilterType::Triangle);
        let second = decode(&self.recogniser.recognise(&wide)?, part);
        Ok(match (first, second) {
            (Some(a), Some(b)) => Some(if confidence(&b) > confidence(&a) {
                b
            } else {
                a
            }),
            (a, b) => a.or(b),
        })
    }
}
