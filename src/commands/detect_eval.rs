//! `detect eval DIR`: the detector measured on pictures with boxes, for each search scale given
//! in the same run (so that the time figures are comparable on a noisy machine).

use super::Setup;
use super::detect::read_picture;
use crate::cli::DetectEvalArgs;
use crate::detect::detector::{Detector, RgbPicture, cpu_model};
use crate::detect::evaluation::{
    LabelledBox, RIDER_RULE, Tally, parse_class_map, read_labels, with_riders,
};
use crate::detect::search::SearchScale;
use anyhow::{Context as _, bail};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A picture of the dataset, ready to search.
pub(super) struct Sample {
    pub rgb: Vec<u8>,
    pub width: usize,
    pub height: usize,
    pub truth: Vec<LabelledBox>,
}

/// One scale's results.
pub(super) struct Measured {
    /// The weights measured (`vietnam`, `coco`), empty when not named.
    pub weights: String,
    pub scale: SearchScale,
    pub tally: Tally,
    pub elapsed: Duration,
    pub input_pixels: usize,
}

pub fn run(args: &DetectEvalArgs, setup: &Setup) -> anyhow::Result<()> {
    let classes = parse_class_map(&args.classes).map_err(anyhow::Error::msg)?;
    let scales = args
        .scales
        .iter()
        .map(|s| SearchScale::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let aspect = args.aspect.as_deref().map(parse_aspect).transpose()?;
    let weights: Vec<Option<&str>> = if args.weights.is_empty() {
        vec![None]
    } else {
        args.weights.iter().map(|w| Some(w.as_str())).collect()
    };
    let detectors = weights
        .iter()
        .map(|w| {
            let detector = super::load_detector(setup, *w)?;
            let name = w.map_or_else(
                || setup.config.detect.weights.code().to_owned(),
                str::to_owned,
            );
            Ok((name, detector))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let samples = load_samples(&args.dir, &classes, aspect, args.limit)?;
    let mut results = Vec::new();
    for (name, detector) in &detectors {
        for scale in &scales {
            let mut measured = measure(detector, &samples, *scale, &classes)?;
            measured.weights = name.clone();
            results.push(measured);
        }
    }
    let machine = machine(&detectors[0].1);
    if args.json {
        let report = json!({
            "dir": args.dir.display().to_string(),
            "pictures": samples.len(),
            "aspect": args.aspect,
            "machine": machine,
            "rider_rule": RIDER_RULE,
            "scales": results.iter().map(|m| m.to_json(samples.len())).collect::<Vec<_>>(),
        });
        println!("{report}");
        return Ok(());
    }
    println!(
        "{}: {} pictures{}; {machine}",
        args.dir.display(),
        samples.len(),
        args.aspect
            .as_deref()
            .map(|a| format!(", stretched to {a}"))
            .unwrap_or_default(),
    );
    println!("motorbike rule: {RIDER_RULE}");
    for m in &results {
        m.print(samples.len());
    }
    Ok(())
}

/// The device, the CPU and its threads, in words.
pub(super) fn machine(detector: &Detector) -> String {
    format!(
        "{} on {} ({} threads)",
        detector.device_name(),
        cpu_model(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    )
}

/// The pictures of `dir` with their labelled boxes (stretched to `aspect` when given).
pub(super) fn load_samples(
    dir: &Path,
    classes: &[crate::domain::ObjectClass],
    aspect: Option<f64>,
    limit: Option<usize>,
) -> anyhow::Result<Vec<Sample>> {
    let pictures = picture_files(dir, limit)?;
    let mut samples = Vec::with_capacity(pictures.len());
    let mut unlabelled = 0;
    for (i, (picture, label)) in pictures.iter().enumerate() {
        let (rgb, width, height) = read_picture(picture)
            .with_context(|| format!("cannot read picture {}", picture.display()))?;
        let (rgb, width, height) = match aspect {
            Some(ratio) => stretch(rgb, width, height, ratio)
                .with_context(|| format!("cannot stretch {}", picture.display()))?,
            None => (rgb, width, height),
        };
        let text = match std::fs::read_to_string(label) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                unlabelled += 1;
                String::new()
            }
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", label.display())),
        };
        let truth = read_labels(&text, classes, width as f32, height as f32)
            .with_context(|| format!("in {}", label.display()))?;
        samples.push(Sample {
            rgb,
            width,
            height,
            truth,
        });
        if (i + 1) % 100 == 0 {
            eprintln!("read {} of {} pictures", i + 1, pictures.len());
        }
    }
    if unlabelled == samples.len() {
        bail!(
            "none of the {} pictures has a label file in {} (expected NAME.txt beside \
             images/NAME.jpg)",
            samples.len(),
            dir.join("labels").display()
        );
    }
    if unlabelled > 0 {
        eprintln!("{unlabelled} pictures have no label file: counted as holding nothing");
    }
    Ok(samples)
}

/// The detector's figures on `samples` at `scale`.
pub(super) fn measure(
    detector: &Detector,
    samples: &[Sample],
    scale: SearchScale,
    classes: &[crate::domain::ObjectClass],
) -> anyhow::Result<Measured> {
    let mut tally = Tally::new(classes);
    let mut elapsed = Duration::ZERO;
    let mut input_pixels = 0;
    for (i, sample) in samples.iter().enumerate() {
        let picture = RgbPicture {
            rgb: &sample.rgb,
            width: sample.width,
            height: sample.height,
        };
        let started = Instant::now();
        let found = detector.detect_scaled(picture, (0, 0, sample.width, sample.height), scale)?;
        elapsed += started.elapsed();
        input_pixels += if scale == SearchScale::DEFAULT {
            416 * 416
        } else {
            scale.input_pixels(sample.width, sample.height)
        };
        tally.add(&sample.truth, &with_riders(&found));
        if (i + 1) % 100 == 0 {
            eprintln!("scale {scale}: {} of {} pictures", i + 1, samples.len());
        }
    }
    Ok(Measured {
        weights: String::new(),
        scale,
        tally,
        elapsed,
        input_pixels,
    })
}

impl Measured {
    fn per_picture(&self, pictures: usize) -> (f64, f64) {
        let n = pictures.max(1) as f64;
        (
            self.elapsed.as_secs_f64() * 1000.0 / n,
            self.input_pixels as f64 / n,
        )
    }

    pub(super) fn to_json(&self, pictures: usize) -> serde_json::Value {
        let (ms, pixels) = self.per_picture(pictures);
        let mut report = self.tally.to_json();
        report["scale"] = json!(self.scale.to_string());
        report["weights"] = json!(self.weights);
        report["ms_per_picture"] = json!((ms * 10.0).round() / 10.0);
        report["input_pixels_per_picture"] = json!(pixels.round());
        report
    }

    pub(super) fn print(&self, pictures: usize) {
        let (ms, pixels) = self.per_picture(pictures);
        let weights = if self.weights.is_empty() {
            String::new()
        } else {
            format!("{} weights, ", self.weights)
        };
        println!(
            "\n{weights}scale {}: {ms:.1} ms per picture, {pixels:.0} input pixels per picture",
            self.scale
        );
        print_table(&self.tally);
    }
}

fn print_table(tally: &Tally) {
    println!(
        "  {:<22} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8}   recall@0.5 by size (<32 / 32–96 / ≥96 px)",
        "class", "truth", "found", "R@0.5", "P@0.5", "R@0.3", "P@0.3"
    );
    let share = |n: usize, of: usize| {
        if of == 0 {
            "–".to_owned()
        } else {
            format!("{:.1}%", n as f64 * 100.0 / of as f64)
        }
    };
    let rows = tally
        .classes
        .iter()
        .map(|(c, t)| (c.code(), t))
        .chain(std::iter::once(("vehicles (any class)", &tally.vehicles)));
    for (name, t) in rows {
        let sizes: Vec<String> = t
            .by_size
            .iter()
            .map(|&(truth, hit)| format!("{} of {truth}", share(hit, truth)))
            .collect();
        println!(
            "  {:<22} {:>6} {:>6} {:>8} {:>8} {:>8} {:>8}   {}",
            name,
            t.truth,
            t.found,
            share(t.matched[0], t.truth),
            share(t.matched[0], t.found),
            share(t.matched[1], t.truth),
            share(t.matched[1], t.found),
            sizes.join(" / ")
        );
    }
}

/// The pictures of `dir/images` (JPEG or PNG, name order) with their label files in
/// `dir/labels`.
fn picture_files(dir: &Path, limit: Option<usize>) -> anyhow::Result<Vec<(PathBuf, PathBuf)>> {
    let images = dir.join("images");
    let labels = dir.join("labels");
    if !images.is_dir() || !labels.is_dir() {
        bail!(
            "{} should hold images/ and labels/ (a YOLO dataset split, e.g. \
             resources/datasets/vn-vehicles-sample)",
            dir.display()
        );
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(&images)
        .with_context(|| format!("cannot list {}", images.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| matches!(e.to_lowercase().as_str(), "jpg" | "jpeg" | "png"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("{} holds no JPEG or PNG pictures", images.display());
    }
    files.truncate(limit.unwrap_or(usize::MAX));
    Ok(files
        .into_iter()
        .map(|p| {
            // "1004_jpg.rf.0a1b.jpg" → "1004_jpg.rf.0a1b.txt" (not with_extension: the stem
            // has dots of its own).
            let mut name = p.file_stem().unwrap_or_default().to_owned();
            name.push(".txt");
            let label = labels.join(name);
            (p, label)
        })
        .collect())
}

/// `16:9` as a width ÷ height ratio.
pub(super) fn parse_aspect(text: &str) -> anyhow::Result<f64> {
    let parsed = text
        .split_once(':')
        .and_then(|(w, h)| Some((w.trim().parse::<f64>().ok()?, h.trim().parse::<f64>().ok()?)));
    match parsed {
        Some((w, h)) if w > 0.0 && h > 0.0 && (w / h).is_finite() => Ok(w / h),
        _ => bail!("aspect {text:?} is not WIDTH:HEIGHT, for example 16:9"),
    }
}

/// The picture resized (bilinear) to `ratio`, keeping its height.
fn stretch(
    rgb: Vec<u8>,
    width: usize,
    height: usize,
    ratio: f64,
) -> anyhow::Result<(Vec<u8>, usize, usize)> {
    let target = ((height as f64 * ratio).round() as usize).max(1);
    if target == width {
        return Ok((rgb, width, height));
    }
    let image = image::RgbImage::from_raw(width as u32, height as u32, rgb)
        .context("picture bytes do not match its size")?;
    let resized = image::imageops::resize(
        &image,
        target as u32,
        height as u32,
        image::imageops::FilterType::Triangle,
    );
    Ok((resized.into_raw(), target, height))
}
