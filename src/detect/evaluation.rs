//! Measuring the detector against pictures with boxes (YOLO label files): recall and precision
//! per class at IoU 0.5 and 0.3, recall by object size, and the rule that joins a motorbike
//! with its rider (labelled datasets box both; COCO's motorcycle box holds the machine only).

use super::detector::ObjectDetection;
use super::postprocess::{intersection, iou};
use crate::domain::ObjectClass;
use serde_json::json;

/// The IoU thresholds reported.
pub const THRESHOLDS: [f32; 2] = [0.5, 0.3];

/// The rule [`with_riders`] applies, in words for the report.
pub const RIDER_RULE: &str = "a detected person whose box's horizontal centre lies within a \
     detected motorbike's box, whose bottom lies between that box's top and bottom, and whose \
     top is above the motorbike's is its rider: the motorbike's box becomes the union of both \
     (each person joins one motorbike, the one it overlaps most); persons are then not scored";

/// Object sizes (square root of the box's area, in pixels of the picture as searched).
const SIZE_LIMITS: [(f32, &str); 3] = [(32.0, "small"), (96.0, "medium"), (f32::MAX, "large")];

/// A labelled object in picture pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelledBox {
    pub class: ObjectClass,
    /// x1, y1, x2, y2.
    pub bbox: [f32; 4],
}

/// A label file line that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("line {line}: {reason}")]
pub struct LabelError {
    pub line: usize,
    pub reason: String,
}

/// The dataset's class indices in order, as console classes (`car,motorbike,truck,bus`).
pub fn parse_class_map(text: &str) -> Result<Vec<ObjectClass>, String> {
    text.split(',')
        .map(|code| {
            let code = code.trim();
            ObjectClass::from_code(code).ok_or_else(|| {
                format!(
                    "unknown class {code:?} in the class map (known: person, bicycle, car, \
                     motorbike, bus, truck, traffic-light)"
                )
            })
        })
        .collect()
}

/// The boxes of a YOLO label file (`class cx cy w h` a line, in [0, 1] of the picture) in
/// pixels of a `width × height` picture; blank lines are skipped.
pub fn read_labels(
    text: &str,
    classes: &[ObjectClass],
    width: f32,
    height: f32,
) -> Result<Vec<LabelledBox>, LabelError> {
    let mut boxes = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.is_empty() {
            continue;
        }
        let error = |reason: String| LabelError {
            line: i + 1,
            reason,
        };
        if fields.len() != 5 {
            return Err(error(format!(
                "{} fields, expected 5 (class cx cy w h)",
                fields.len()
            )));
        }
        let index: usize = fields[0]
            .parse()
            .map_err(|_| error(format!("class {:?} is not a number", fields[0])))?;
        let class = *classes.get(index).ok_or_else(|| {
            error(format!(
                "class {index} is not in the class map ({} classes)",
                classes.len()
            ))
        })?;
        let mut values = [0f32; 4];
        for (v, field) in values.iter_mut().zip(&fields[1..]) {
            *v = field
                .parse()
                .ok()
                .filter(|v: &f32| v.is_finite() && (-0.01..=1.01).contains(v))
                .ok_or_else(|| error(format!("{field:?} is not a number in [0, 1]")))?;
        }
        let [cx, cy, w, h] = values;
        boxes.push(LabelledBox {
            class,
            bbox: [
                (cx - w / 2.0) * width,
                (cy - h / 2.0) * height,
                (cx + w / 2.0) * width,
                (cy + h / 2.0) * height,
            ],
        });
    }
    Ok(boxes)
}

/// The detections scored against a dataset whose motorbike boxes hold the rider: each
/// motorbike joined with its riders ([`RIDER_RULE`]); persons are left out.
pub fn with_riders(detections: &[ObjectDetection]) -> Vec<ObjectDetection> {
    let mut joined: Vec<ObjectDetection> = detections
        .iter()
        .filter(|d| d.class != ObjectClass::Person)
        .copied()
        .collect();
    // The motorbikes' places in `joined`, with their boxes as detected (before any rider).
    let motorbikes: Vec<(usize, [f32; 4])> = joined
        .iter()
        .enumerate()
        .filter(|(_, d)| d.class == ObjectClass::Motorbike)
        .map(|(i, d)| (i, d.bbox))
        .collect();
    for person in detections.iter().filter(|d| d.class == ObjectClass::Person) {
        let p = person.bbox;
        let centre = (p[0] + p[2]) / 2.0;
        let best = motorbikes
            .iter()
            .filter(|(_, b)| {
                (b[0]..=b[2]).contains(&centre) && (b[1]..=b[3]).contains(&p[3]) && p[1] < b[1]
            })
            .max_by(|a, b| intersection(&p, &a.1).total_cmp(&intersection(&p, &b.1)));
        if let Some(&(m, _)) = best {
            let target = &mut joined[m].bbox;
            target[0] = target[0].min(p[0]);
            target[1] = target[1].min(p[1]);
            target[2] = target[2].max(p[2]);
            target[3] = target[3].max(p[3]);
        }
    }
    joined
}

/// Counts for one class (or for all vehicles regardless of class).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClassTally {
    /// Labelled objects.
    pub truth: usize,
    /// Detections.
    pub found: usize,
    /// Labelled objects matched, per threshold of [`THRESHOLDS`].
    pub matched: [usize; 2],
    /// Labelled objects and those matched at IoU 0.5, per size of [`SIZE_LIMITS`].
    pub by_size: [(usize, usize); 3],
}

impl ClassTally {
    fn to_json(&self) -> serde_json::Value {
        let share = |n: usize, of: usize| {
            if of == 0 {
                serde_json::Value::Null
            } else {
                json!((n as f64 / of as f64 * 1000.0).round() / 1000.0)
            }
        };
        let sizes: serde_json::Map<String, serde_json::Value> = SIZE_LIMITS
            .iter()
            .zip(self.by_size)
            .map(|((_, name), (truth, matched))| {
                (
                    (*name).to_owned(),
                    json!({ "truth": truth, "recall_50": share(matched, truth) }),
                )
            })
            .collect();
        json!({
            "truth": self.truth,
            "found": self.found,
            "recall_50": share(self.matched[0], self.truth),
            "precision_50": share(self.matched[0], self.found),
            "recall_30": share(self.matched[1], self.truth),
            "precision_30": share(self.matched[1], self.found),
            "recall_50_by_size": sizes,
        })
    }
}

/// The tally of a whole evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    /// The dataset's classes, each with its counts.
    pub classes: Vec<(ObjectClass, ClassTally)>,
    /// Every vehicle class pooled, a match needing only that both are vehicles.
    pub vehicles: ClassTally,
    pub pictures: usize,
}

impl Tally {
    pub fn new(classes: &[ObjectClass]) -> Self {
        let mut unique: Vec<ObjectClass> = Vec::new();
        for c in classes {
            if !unique.contains(c) {
                unique.push(*c);
            }
        }
        Self {
            classes: unique
                .into_iter()
                .map(|c| (c, ClassTally::default()))
                .collect(),
            vehicles: ClassTally::default(),
            pictures: 0,
        }
    }

    /// Adds one picture: its labelled boxes and the detections (riders already joined).
    pub fn add(&mut self, truth: &[LabelledBox], found: &[ObjectDetection]) {
        self.pictures += 1;
        for (class, tally) in &mut self.classes {
            let t: Vec<[f32; 4]> = truth
                .iter()
                .filter(|b| b.class == *class)
                .map(|b| b.bbox)
                .collect();
            let f: Vec<&ObjectDetection> = found.iter().filter(|d| d.class == *class).collect();
            count(tally, &t, &f);
        }
        let t: Vec<[f32; 4]> = truth
            .iter()
            .filter(|b| b.class.is_vehicle())
            .map(|b| b.bbox)
            .collect();
        let f: Vec<&ObjectDetection> = found
            .iter()
            .filter(|d| d.class.is_vehicle() && self.classes.iter().any(|(c, _)| *c == d.class))
            .collect();
        count(&mut self.vehicles, &t, &f);
    }

    pub fn to_json(&self) -> serde_json::Value {
        let classes: serde_json::Map<String, serde_json::Value> = self
            .classes
            .iter()
            .map(|(c, t)| (c.code().to_owned(), t.to_json()))
            .collect();
        json!({
            "pictures": self.pictures,
            "classes": classes,
            "vehicles_any_class": self.vehicles.to_json(),
        })
    }
}

/// Greedy matching, best score first: a detection takes the unmatched labelled box it overlaps
/// most, when that IoU reaches the threshold.
fn count(tally: &mut ClassTally, truth: &[[f32; 4]], found: &[&ObjectDetection]) {
    tally.truth += truth.len();
    tally.found += found.len();
    let mut order: Vec<&&ObjectDetection> = found.iter().collect();
    order.sort_by(|a, b| b.score.total_cmp(&a.score));
    for (t, threshold) in THRESHOLDS.iter().enumerate() {
        let mut taken = vec![false; truth.len()];
        for d in &order {
            let best = truth
                .iter()
                .enumerate()
                .filter(|(i, _)| !taken[*i])
                .map(|(i, b)| (i, iou(b, &d.bbox)))
                .filter(|(_, v)| *v >= *threshold)
                .max_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((i, _)) = best {
                taken[i] = true;
                tally.matched[t] += 1;
            }
        }
        if t == 0 {
            for (b, hit) in truth.iter().zip(&taken) {
                let side = ((b[2] - b[0]).max(0.0) * (b[3] - b[1]).max(0.0)).sqrt();
                let bucket = SIZE_LIMITS
                    .iter()
                    .position(|(limit, _)| side < *limit)
                    .unwrap_or(SIZE_LIMITS.len() - 1);
                tally.by_size[bucket].0 += 1;
                tally.by_size[bucket].1 += usize::from(*hit);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(class: ObjectClass, score: f32, bbox: [f32; 4]) -> ObjectDetection {
        ObjectDetection { class, score, bbox }
    }

    #[test]
    fn labels_are_read_in_pixels_and_bad_lines_are_named() {
        let classes = parse_class_map("car,motorbike,truck,bus").unwrap();
        let boxes = read_labels(
            "1 0.5 0.5 0.1 0.2\n\n0 0.25 0.25 0.5 0.5\n",
            &classes,
            1000.0,
            500.0,
        )
        .unwrap();
        assert_eq!(boxes.len(), 2);
        assert_eq!(boxes[0].class, ObjectClass::Motorbike);
        assert_eq!(boxes[0].bbox, [450.0, 200.0, 550.0, 300.0]);
        assert_eq!(boxes[1].bbox, [0.0, 0.0, 500.0, 250.0]);
        let error =
            read_labels("0 0.5 0.5 0.1 0.1\n7 0.5 0.5 0.1 0.1", &classes, 10.0, 10.0).unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.reason.contains("class 7"), "{error}");
        let error = read_labels("0 0.5 0.5 0.1", &classes, 10.0, 10.0).unwrap_err();
        assert!(error.reason.contains("4 fields"), "{error}");
        let error = read_labels("0 0.5 nan 0.1 0.1", &classes, 10.0, 10.0).unwrap_err();
        assert!(error.reason.contains("\"nan\""), "{error}");
        assert!(
            parse_class_map("car,scooter")
                .unwrap_err()
                .contains("scooter")
        );
    }

    #[test]
    fn a_rider_joins_the_motorbike_under_them_and_a_pedestrian_does_not() {
        let bike = found(ObjectClass::Motorbike, 0.8, [100.0, 150.0, 140.0, 200.0]);
        let rider = found(ObjectClass::Person, 0.9, [105.0, 100.0, 135.0, 180.0]);
        // Beside the motorbike: its centre is outside the motorbike's box.
        let walker = found(ObjectClass::Person, 0.7, [150.0, 120.0, 170.0, 200.0]);
        let car = found(ObjectClass::Car, 0.6, [300.0, 100.0, 400.0, 200.0]);
        let joined = with_riders(&[rider, bike, walker, car]);
        assert_eq!(joined.len(), 2, "persons are not scored: {joined:?}");
        assert_eq!(joined[0].class, ObjectClass::Motorbike);
        assert_eq!(joined[0].bbox, [100.0, 100.0, 140.0, 200.0]);
        assert_eq!(joined[1], car);
    }

    #[test]
    fn recall_and_precision_count_each_labelled_box_once() {
        let classes = parse_class_map("car,motorbike").unwrap();
        let mut tally = Tally::new(&classes);
        let truth = [
            LabelledBox {
                class: ObjectClass::Car,
                bbox: [0.0, 0.0, 100.0, 100.0],
            },
            LabelledBox {
                class: ObjectClass::Motorbike,
                bbox: [200.0, 200.0, 220.0, 230.0],
            },
            LabelledBox {
                class: ObjectClass::Motorbike,
                bbox: [300.0, 200.0, 320.0, 230.0],
            },
        ];
        let detections = [
            // Two detections of the one car: one matches, one is a false positive.
            found(ObjectClass::Car, 0.9, [0.0, 0.0, 100.0, 100.0]),
            found(ObjectClass::Car, 0.5, [5.0, 5.0, 100.0, 100.0]),
            // IoU of [200,200,220,230] and [204,200,224,230]: 16·30 / (24·30) = 0.667.
            found(ObjectClass::Motorbike, 0.8, [204.0, 200.0, 224.0, 230.0]),
            // IoU 0.4 with the third box: a match at 0.3 only.
            found(ObjectClass::Motorbike, 0.7, [306.0, 200.0, 326.0, 236.0]),
            // Labelled a motorbike, found as a car: wrong class, right place.
            found(ObjectClass::Car, 0.6, [300.0, 200.0, 320.0, 230.0]),
        ];
        tally.add(&truth, &detections);
        let car = &tally.classes[0].1;
        assert_eq!((car.truth, car.found, car.matched), (1, 3, [1, 1]));
        let motorbike = &tally.classes[1].1;
        assert_eq!(
            (motorbike.truth, motorbike.found, motorbike.matched),
            (2, 2, [1, 2])
        );
        // Both motorbikes are small (side < 32), one of them found at 0.5.
        assert_eq!(motorbike.by_size[0], (2, 1));
        // As vehicles of any class, the car-labelled-motorbike counts.
        assert_eq!(tally.vehicles.matched[0], 3);
        let report = tally.to_json();
        assert_eq!(report["classes"]["motorbike"]["recall_50"], 0.5);
        assert_eq!(report["classes"]["motorbike"]["recall_30"], 1.0);
        assert_eq!(report["classes"]["car"]["precision_50"], 0.333);
    }
}
