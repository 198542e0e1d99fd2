//! One reading from several sightings of a vehicle: the readings of the layout read most
//! confidently (same length and rows) vote per character, each with its confidence; a
//! character's confidence after the vote is its share of the vote times the mean confidence
//! of the readings that saw it.

use crate::domain::{CharReading, Plate, PlateReading};
use std::collections::HashMap;

/// The voted reading of `readings` (sightings of one vehicle), `None` when there are none.
/// When the per-character winners do not make a plate, the most confident reading of the
/// winning layout stands.
pub fn vote(readings: &[PlateReading]) -> Option<PlateReading> {
    let weight = |r: &PlateReading| {
        r.chars.iter().map(|c| c.confidence).sum::<f32>() / r.chars.len().max(1) as f32
    };
    let mut layouts: HashMap<(usize, u8), Vec<&PlateReading>> = HashMap::new();
    for r in readings {
        layouts.entry((r.chars.len(), r.rows)).or_default().push(r);
    }
    let group = layouts.into_values().max_by(|a, b| {
        let total = |g: &Vec<&PlateReading>| g.iter().map(|r| weight(r)).sum::<f32>();
        total(a).total_cmp(&total(b))
    })?;
    let best = *group
        .iter()
        .max_by(|a, b| a.confidence.total_cmp(&b.confidence))?;
    let length = best.chars.len();
    let chars: Vec<CharReading> = (0..length)
        .map(|i| {
            // Each character seen here: its summed confidence and how many saw it.
            let mut tally: Vec<(char, f32, usize)> = Vec::new();
            for r in &group {
                let c = r.chars[i];
                match tally.iter_mut().find(|(ch, ..)| *ch == c.char) {
                    Some(entry) => {
                        entry.1 += c.confidence;
                        entry.2 += 1;
                    }
                    None => tally.push((c.char, c.confidence, 1)),
                }
            }
            let total: f32 = tally.iter().map(|t| t.1).sum();
            let (char, score, seen) = tally
                .into_iter()
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or((best.chars[i].char, 0.0, 1));
            // Its share of the vote times how confidently it was read.
            CharReading {
                char,
                confidence: (score / total.max(f32::EPSILON) * score / seen as f32).min(1.0),
            }
        })
        .collect();
    let text: String = chars.iter().map(|c| c.char).collect();
    let Ok(plate) = Plate::parse(&text) else {
        return Some(best.clone());
    };
    let mut colours: HashMap<_, usize> = HashMap::new();
    for r in &group {
        *colours.entry(r.colour).or_default() += 1;
    }
    let colour = colours
        .into_iter()
        .max_by_key(|(c, n)| (*n, *c == best.colour))
        .map_or(best.colour, |(c, _)| c);
    Some(PlateReading {
        text,
        formatted: plate.to_string(),
        rows: best.rows,
        colour,
        confidence: chars.iter().map(|c| c.confidence).product(),
        chars,
        corners: best.corners,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::PlateColour;

    fn reading(text: &str, confidences: &[f32]) -> PlateReading {
        let chars: Vec<CharReading> = text
            .chars()
            .zip(confidences.iter().chain(std::iter::repeat(&0.95)))
            .map(|(char, &confidence)| CharReading { char, confidence })
            .collect();
        PlateReading {
            text: text.into(),
            formatted: Plate::parse(text).map_or_else(|_| text.into(), |p| p.to_string()),
            rows: 1,
            colour: PlateColour::White,
            confidence: chars.iter().map(|c| c.confidence).product(),
            chars,
            corners: [[0.0; 2]; 4],
        }
    }

    #[test]
    fn each_character_is_the_one_most_sightings_saw() {
        // Three sightings, each with one different character misread (doubtfully).
        let low = |i: usize| {
            let mut c = [0.95; 8];
            c[i] = 0.4;
            c
        };
        let readings = [
            reading("27A12845", &low(5)),
            reading("27A12345", &[0.95; 8]),
            reading("27A12346", &low(7)),
        ];
        let voted = vote(&readings).expect("a reading");
        assert_eq!(voted.text, "27A12345");
        assert_eq!(voted.formatted, "27A-123.45");
        // Agreed characters stay confident; a disputed one is less so.
        assert!(voted.chars[0].confidence > 0.9);
        assert!(voted.chars[5].confidence < voted.chars[0].confidence);
        assert!(voted.confidence > readings[1].confidence * 0.5);
    }

    #[test]
    fn the_layout_read_most_confidently_wins_and_nothing_gives_none() {
        let readings = [
            reading("27A1234", &[0.5; 7]),
            reading("27A12345", &[0.9; 8]),
            reading("27A12345", &[0.9; 8]),
        ];
        assert_eq!(vote(&readings).map(|r| r.text).as_deref(), Some("27A12345"));
        assert_eq!(vote(&[]), None);
    }
}
