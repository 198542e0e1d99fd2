//! Measuring the plate reader on labelled pictures (`plates eval`, the tests): exact-plate
//! accuracy, character accuracy (1 − edit distance / length), colour accuracy where the label
//! names one, by layout, and the time per picture.

use crate::domain::PlateColour;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One labelled picture: `labels.tsv` holds `file<TAB>text[<TAB>layout[<TAB>colour]]`, a
/// header line starting with `file` allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    pub file: PathBuf,
    pub text: String,
    pub layout: String,
    pub colour: Option<PlateColour>,
}

#[derive(Debug, thiserror::Error)]
pub enum LabelsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} line {line}: {message}")]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

/// The labels of `folder/labels.tsv`, files resolved against the folder.
pub fn read_labels(folder: &Path) -> Result<Vec<Label>, LabelsError> {
    let path = folder.join("labels.tsv");
    let text = std::fs::read_to_string(&path).map_err(|source| LabelsError::Read {
        path: path.clone(),
        source,
    })?;
    let mut labels = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line_error = |message: String| LabelsError::Line {
            path: path.clone(),
            line: i + 1,
            message,
        };
        if line.trim().is_empty() || (i == 0 && line.starts_with("file")) {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let (Some(file), Some(plate)) = (fields.first(), fields.get(1)) else {
            return Err(line_error("expected file<TAB>text".into()));
        };
        let text = crate::domain::plate_match::compact(plate);
        if text.is_empty() {
            return Err(line_error(format!("'{plate}' holds no plate text")));
        }
        let colour = match fields.get(3).map(|c| c.trim()).filter(|c| !c.is_empty()) {
            Some(code) => Some(
                PlateColour::from_code(code)
                    .ok_or_else(|| line_error(format!("unknown colour '{code}'")))?,
            ),
            None => None,
        };
        labels.push(Label {
            file: folder.join(file),
            text,
            layout: fields.get(2).map_or("-", |l| l.trim()).to_owned(),
            colour,
        });
    }
    Ok(labels)
}

/// Levenshtein distance between two strings of characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            current[j + 1] = (previous[j] + usize::from(ca != cb))
                .min(previous[j + 1] + 1)
                .min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// Totals for a group of pictures.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Tally {
    pub pictures: usize,
    pub exact: usize,
    /// Pictures for which nothing grammatical was read.
    pub unread: usize,
    pub characters: usize,
    pub characters_right: f64,
    pub colours: usize,
    pub colours_right: usize,
}

impl Tally {
    pub fn add(&mut self, label: &Label, read: Option<(&str, PlateColour)>) {
        self.pictures += 1;
        self.characters += label.text.len();
        match read {
            None => self.unread += 1,
            Some((text, colour)) => {
                if text == label.text {
                    self.exact += 1;
                }
                let distance = edit_distance(text, &label.text).min(label.text.len());
                self.characters_right += (label.text.len() - distance) as f64;
                if let Some(expected) = label.colour {
                    self.colours += 1;
                    self.colours_right += usize::from(colour == expected);
                }
            }
        }
        if read.is_none()
            && let Some(_) = label.colour
        {
            self.colours += 1;
        }
    }

    pub fn exact_rate(&self) -> f64 {
        self.exact as f64 / self.pictures.max(1) as f64
    }

    pub fn character_rate(&self) -> f64 {
        self.characters_right / self.characters.max(1) as f64
    }

    pub fn colour_rate(&self) -> Option<f64> {
        (self.colours > 0).then(|| self.colours_right as f64 / self.colours as f64)
    }
}

/// The whole measurement.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub all: Tally,
    pub by_layout: BTreeMap<String, Tally>,
    /// Milliseconds per picture (reading only; the picture's decoding left out).
    pub ms_per_picture: f64,
    /// The pictures read wrong: (file, expected, read).
    pub failures: Vec<(String, String, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_read_with_their_lines_named_on_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("labels.tsv"),
            "file\ttext\tlayout\tcolour\na.png\t27A-123.45\tone-row-car\twhite\nb.png\t27-B1 123.45\n",
        )
        .unwrap();
        let labels = read_labels(dir.path()).unwrap();
        assert_eq!(labels.len(), 2);
        assert_eq!(labels[0].text, "27A12345");
        assert_eq!(labels[0].colour, Some(PlateColour::White));
        assert_eq!(labels[1].text, "27B112345");
        assert_eq!(labels[1].layout, "-");
        std::fs::write(dir.path().join("labels.tsv"), "a.png\t27A\tx\tpurple\n").unwrap();
        let error = read_labels(dir.path()).unwrap_err().to_string();
        assert!(
            error.contains("line 1") && error.contains("purple"),
            "{error}"
        );
    }

    #[test]
    fn a_tally_counts_exact_plates_characters_and_colours() {
        let label = Label {
            file: "a".into(),
            text: "27A12345".into(),
            layout: "x".into(),
            colour: Some(PlateColour::White),
        };
        let mut tally = Tally::default();
        tally.add(&label, Some(("27A12345", PlateColour::White)));
        tally.add(&label, Some(("27A12346", PlateColour::Yellow)));
        tally.add(&label, None);
        assert_eq!((tally.pictures, tally.exact, tally.unread), (3, 1, 1));
        assert!((tally.character_rate() - 15.0 / 24.0).abs() < 1e-9);
        assert_eq!(tally.colour_rate(), Some(1.0 / 3.0));
        assert_eq!(edit_distance("27A1234", "27A12345"), 1);
    }
}
