//! CTC decoding held to the plate grammar: a prefix beam search over the recogniser's steps in
//! which a prefix grows only by characters the grammar allows there, so a character the
//! grammar forbids at a position is replaced by the best allowed one; then a forced alignment
//! of the chosen string gives each character its confidence.

use crate::domain::plate_grammar::{GrammarState, PLATE_CHARACTERS, PlatePart};
use std::collections::HashMap;

/// The recogniser's output for one row: per step, the probability of the blank (separators
/// included) then of each of [`PLATE_CHARACTERS`], summing to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Steps {
    pub columns: usize,
    pub probabilities: Vec<f32>,
}

impl Steps {
    pub const COLUMNS: usize = 1 + PLATE_CHARACTERS.len();

    pub fn len(&self) -> usize {
        self.probabilities.len() / self.columns
    }

    pub fn is_empty(&self) -> bool {
        self.probabilities.is_empty()
    }

    fn step(&self, t: usize) -> &[f32] {
        &self.probabilities[t * self.columns..(t + 1) * self.columns]
    }
}

/// A row read: its characters with their confidences.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub chars: Vec<(char, f32)>,
}

impl Decoded {
    pub fn text(&self) -> String {
        self.chars.iter().map(|(c, _)| *c).collect()
    }

    /// The row's confidence: the product of its characters'.
    pub fn confidence(&self) -> f32 {
        self.chars.iter().map(|(_, c)| *c).product()
    }
}

const BEAM: usize = 16;

fn character(column: usize) -> char {
    PLATE_CHARACTERS.as_bytes()[column - 1] as char
}

#[derive(Clone, Copy)]
struct Beam {
    state: GrammarState,
    /// Probability of the prefix ending in a blank, and in its last character.
    blank: f64,
    last: f64,
}

/// The most probable string `part`'s grammar accepts, or `None` when no path through the
/// steps is grammatical.
pub fn decode(steps: &Steps, part: PlatePart) -> Option<Decoded> {
    let mut beams: HashMap<Vec<u8>, Beam> = HashMap::new();
    beams.insert(
        Vec::new(),
        Beam {
            state: part.start(),
            blank: 1.0,
            last: 0.0,
        },
    );
    for t in 0..steps.len() {
        let p = steps.step(t);
        let mut next: HashMap<Vec<u8>, Beam> = HashMap::with_capacity(beams.len() * 4);
        for (prefix, beam) in &beams {
            let total = beam.blank + beam.last;
            let entry = next.entry(prefix.clone()).or_insert(Beam {
                state: beam.state,
                blank: 0.0,
                last: 0.0,
            });
            entry.blank += total * f64::from(p[0]);
            if let Some(&last) = prefix.last() {
                entry.last += beam.last * f64::from(p[usize::from(last)]);
            }
            for (column, &pc) in p.iter().enumerate().skip(1) {
                if pc < 1e-6 {
                    continue;
                }
                let Some(state) = part.next(beam.state, character(column)) else {
                    continue;
                };
                let mut grown = prefix.clone();
                grown.push(column as u8);
                // The same character again needs a blank between.
                let from = if prefix.last() == Some(&(column as u8)) {
                    beam.blank
                } else {
                    total
                };
                let entry = next.entry(grown).or_insert(Beam {
                    state,
                    blank: 0.0,
                    last: 0.0,
                });
                entry.last += from * f64::from(pc);
            }
        }
        let mut ranked: Vec<(Vec<u8>, Beam)> = next.into_iter().collect();
        ranked.sort_by(|a, b| {
            (b.1.blank + b.1.last)
                .total_cmp(&(a.1.blank + a.1.last))
                .then_with(|| a.0.cmp(&b.0))
        });
        ranked.truncate(BEAM * 4);
        // Keep the best beams, and the best that the grammar accepts already, so that a
        // grammatical reading is not pushed out by longer unfinished ones.
        let scale = ranked
            .first()
            .map_or(1.0, |(_, b)| (b.blank + b.last).max(f64::MIN_POSITIVE));
        let mut kept = 0;
        beams = ranked
            .into_iter()
            .filter(|(_, b)| {
                kept += 1;
                kept <= BEAM || part.accepts(b.state)
            })
            .take(BEAM * 2)
            .map(|(prefix, b)| {
                (
                    prefix,
                    Beam {
                        blank: b.blank / scale,
                        last: b.last / scale,
                        ..b
                    },
                )
            })
            .collect();
    }
    let (best, _) = beams
        .into_iter()
        .filter(|(_, b)| part.accepts(b.state))
        .max_by(|a, b| {
            (a.1.blank + a.1.last)
                .total_cmp(&(b.1.blank + b.1.last))
                .then_with(|| b.0.cmp(&a.0))
        })?;
    let confidences = align(steps, &best);
    Some(Decoded {
        chars: best
            .iter()
            .zip(confidences)
            .map(|(&column, confidence)| (character(usize::from(column)), confidence))
            .collect(),
    })
}

/// Each label's confidence: the highest probability it has on the steps the most probable
/// alignment (Viterbi over the CTC topology) gives it.
fn align(steps: &Steps, labels: &[u8]) -> Vec<f32> {
    let n = labels.len();
    let states = 2 * n + 1;
    let label = |s: usize| (s % 2 == 1).then(|| usize::from(labels[s / 2]));
    let log = |p: f32| f64::from(p.max(1e-12)).ln();
    let mut score = vec![f64::NEG_INFINITY; states];
    let mut from = vec![vec![0usize; states]; steps.len()];
    for (t, back) in from.iter_mut().enumerate() {
        let p = steps.step(t);
        let emit = |s: usize| log(p[label(s).unwrap_or(0)]);
        let mut next = vec![f64::NEG_INFINITY; states];
        for s in 0..states {
            let candidates: &[usize] = if t == 0 {
                if s < 2 { &[usize::MAX] } else { &[] }
            } else {
                &[s, s.wrapping_sub(1), s.wrapping_sub(2)]
            };
            for &prev in candidates {
                let before = if prev == usize::MAX {
                    0.0
                } else if prev < states
                    && (prev + 1 == s
                        || prev == s
                        || (prev + 2 == s && label(s).is_some() && label(prev) != label(s)))
                {
                    score[prev]
                } else {
                    continue;
                };
                if before + emit(s) > next[s] {
                    next[s] = before + emit(s);
                    back[s] = if prev == usize::MAX { s } else { prev };
                }
            }
        }
        score = next;
    }
    let mut best = vec![0f32; n];
    if steps.is_empty() || n == 0 {
        return best;
    }
    let mut s = if states >= 2 && score[states - 2] > score[states - 1] {
        states - 2
    } else {
        states - 1
    };
    for t in (0..steps.len()).rev() {
        if let Some(column) = label(s) {
            let i = s / 2;
            best[i] = best[i].max(steps.step(t)[column]);
        }
        s = from[t][s];
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steps that spell `spelled` (one step per character, a blank between), each character
    /// at probability `p`, the rest spread evenly; `overrides` gives a step's characters and
    /// their probabilities instead (the rest spread evenly).
    fn steps_for(spelled: &str, p: f32, overrides: &[(usize, &[(char, f32)])]) -> Steps {
        let columns = Steps::COLUMNS;
        let column_of = |c: char| 1 + PLATE_CHARACTERS.find(c).expect("a plate character");
        let row = |given: &[(usize, f32)]| {
            let taken: f32 = given.iter().map(|(_, p)| p).sum();
            let mut row = vec![(1.0 - taken) / (columns - given.len()) as f32; columns];
            for &(column, p) in given {
                row[column] = p;
            }
            row
        };
        let mut probabilities = Vec::new();
        for c in spelled.chars() {
            probabilities.extend(row(&[(0, 0.95)]));
            probabilities.extend(row(&[(column_of(c), p)]));
        }
        probabilities.extend(row(&[(0, 0.95)]));
        for &(step, given) in overrides {
            let given: Vec<(usize, f32)> = given.iter().map(|&(c, p)| (column_of(c), p)).collect();
            probabilities[step * columns..(step + 1) * columns].copy_from_slice(&row(&given));
        }
        Steps {
            columns,
            probabilities,
        }
    }

    #[test]
    fn a_clear_plate_is_read_as_spelled_with_high_confidence() {
        let read = decode(&steps_for("27A12345", 0.97, &[]), PlatePart::Whole).unwrap();
        assert_eq!(read.text(), "27A12345");
        assert!(read.chars.iter().all(|(_, c)| *c > 0.96), "{read:?}");
    }

    #[test]
    fn repeated_characters_need_their_blank() {
        let read = decode(&steps_for("27AA11223", 0.9, &[]), PlatePart::Whole).unwrap();
        assert_eq!(read.text(), "27AA11223");
    }

    #[test]
    fn a_letter_where_a_digit_must_be_becomes_the_best_digit() {
        // Step 9 spells '3'; make it an 'O' (0.7) with '0' second (0.2).
        let steps = steps_for("27A12345", 0.97, &[(11, &[('O', 0.7), ('0', 0.2)])]);
        let read = decode(&steps, PlatePart::Whole).unwrap();
        assert_eq!(read.text(), "27A12045");
        let (c, confidence) = read.chars[5];
        assert_eq!(c, '0');
        assert!(
            confidence < 0.3,
            "a forced character is marked: {confidence}"
        );
    }

    #[test]
    fn rows_have_their_own_grammar_and_nothing_grammatical_is_none() {
        let top = decode(&steps_for("27B1", 0.95, &[]), PlatePart::Top).unwrap();
        assert_eq!(top.text(), "27B1");
        let bottom = decode(&steps_for("12345", 0.95, &[]), PlatePart::Bottom).unwrap();
        assert_eq!(bottom.text(), "12345");
        assert_eq!(decode(&steps_for("12", 0.99, &[]), PlatePart::Whole), None);
        assert_eq!(
            decode(
                &Steps {
                    columns: Steps::COLUMNS,
                    probabilities: vec![]
                },
                PlatePart::Bottom
            ),
            None
        );
    }
}
