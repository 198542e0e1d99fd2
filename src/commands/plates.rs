//! `plates read | generate | eval`: plates read in pictures, a rendered test set, and the
//! reader measured on a labelled folder.

use super::Setup;
use crate::cli::PlatesCommand;
use crate::domain::PlateReading;
use crate::plates::PlateReader;
use crate::plates::evaluation::{Report, read_labels};
use crate::plates::synth::{Difficulty, generate_set};
use anyhow::Context as _;
use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

pub fn run(command: &PlatesCommand, setup: &Setup) -> anyhow::Result<()> {
    match command {
        PlatesCommand::Read { images, crop, json } => read(images, *crop, *json, setup),
        PlatesCommand::Generate {
            folder,
            count,
            seed,
        } => generate(folder, *count, *seed),
        PlatesCommand::Eval { folder, crop, json } => eval(folder, *crop, *json, setup),
    }
}

fn load(setup: &Setup) -> anyhow::Result<PlateReader> {
    PlateReader::load(&setup.models_dir).context("cannot load the plate reader")
}

fn open_picture(path: &Path) -> anyhow::Result<image::RgbImage> {
    let (rgb, w, h) = super::detect::read_picture(path)
        .with_context(|| format!("cannot read picture {}", path.display()))?;
    image::RgbImage::from_raw(w as u32, h as u32, rgb)
        .with_context(|| format!("picture {} has the wrong size", path.display()))
}

fn read_one(
    reader: &PlateReader,
    picture: &image::RgbImage,
    crop: bool,
) -> anyhow::Result<Vec<PlateReading>> {
    Ok(if crop {
        reader.read_crop(picture)?.into_iter().collect()
    } else {
        reader.read_picture(picture)?
    })
}

fn read(
    images: &[std::path::PathBuf],
    crop: bool,
    json: bool,
    setup: &Setup,
) -> anyhow::Result<()> {
    let reader = load(setup)?;
    let mut failed = 0;
    for path in images {
        let picture = match open_picture(path) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{e:#}");
                failed += 1;
                continue;
            }
        };
        let plates = read_one(&reader, &picture, crop)?;
        if json {
            let line = serde_json::json!({ "image": path.display().to_string(), "plates": plates });
            println!("{line}");
        } else if plates.is_empty() {
            println!("{}: no plate read", path.display());
        } else {
            for p in &plates {
                let doubtful: String = p
                    .chars
                    .iter()
                    .map(|c| {
                        if c.confidence < PlateReading::LOW_CONFIDENCE {
                            '^'
                        } else {
                            ' '
                        }
                    })
                    .collect();
                println!(
                    "{}: {} ({}, {} row{}, confidence {:.2})",
                    path.display(),
                    p.formatted,
                    p.colour.code(),
                    p.rows,
                    if p.rows == 1 { "" } else { "s" },
                    p.confidence
                );
                if doubtful.trim().is_empty() {
                    continue;
                }
                println!("  {}\n  {doubtful}  (^: read with low confidence)", p.text);
            }
        }
    }
    anyhow::ensure!(
        failed == 0,
        "{failed} of {} pictures could not be read",
        images.len()
    );
    Ok(())
}

fn generate(folder: &Path, count: usize, seed: u64) -> anyhow::Result<()> {
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let mut labels = String::from("file\ttext\tlayout\tcolour\n");
    for (i, plate) in generate_set(seed, count, &Difficulty::default())
        .iter()
        .enumerate()
    {
        let name = format!("plate-{i:05}.png");
        plate
            .picture
            .save(folder.join(&name))
            .with_context(|| format!("cannot write {}", folder.join(&name).display()))?;
        labels.push_str(&format!(
            "{name}\t{}\t{}\t{}\n",
            plate.text,
            plate.layout.code(),
            plate.colour.code()
        ));
    }
    let path = folder.join("labels.tsv");
    std::fs::write(&path, labels).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "{count} plates and labels.tsv written to {}",
        folder.display()
    );
    Ok(())
}

/// Reads every labelled picture of `folder` and tallies the results.
pub fn evaluate(reader: &PlateReader, folder: &Path, crop: bool) -> anyhow::Result<Report> {
    let labels = read_labels(folder)?;
    let mut report = Report::default();
    let mut spent = 0.0;
    let progress = labels.len() >= 50;
    for (i, label) in labels.iter().enumerate() {
        let picture = open_picture(&label.file)?;
        let started = Instant::now();
        let plates = read_one(reader, &picture, crop)?;
        spent += started.elapsed().as_secs_f64();
        let best = plates
            .iter()
            .max_by(|a, b| a.confidence.total_cmp(&b.confidence));
        let read = best.map(|p| (p.text.as_str(), p.colour));
        report.all.add(label, read);
        report
            .by_layout
            .entry(label.layout.clone())
            .or_default()
            .add(label, read);
        if read.map(|(t, _)| t) != Some(label.text.as_str()) {
            report.failures.push((
                label
                    .file
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
                label.text.clone(),
                read.map_or_else(|| "-".to_owned(), |(t, _)| t.to_owned()),
            ));
        }
        if progress && (i + 1) % 50 == 0 {
            eprint!("\r{} of {} pictures read", i + 1, labels.len());
            let _ = std::io::stderr().flush();
        }
    }
    if progress {
        eprintln!();
    }
    report.ms_per_picture = spent * 1000.0 / labels.len().max(1) as f64;
    Ok(report)
}

fn eval(folder: &Path, crop: bool, json: bool, setup: &Setup) -> anyhow::Result<()> {
    let reader = load(setup)?;
    let report = evaluate(&reader, folder, crop)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
        return Ok(());
    }
    println!(
        "{:<14} {:>8} {:>8} {:>8} {:>8} {:>8}",
        "layout", "pictures", "exact", "chars", "colour", "unread"
    );
    let rows = report
        .by_layout
        .iter()
        .map(|(k, v)| (k.as_str(), v))
        .chain(std::iter::once(("all", &report.all)));
    for (layout, t) in rows {
        println!(
            "{layout:<14} {:>8} {:>7.1}% {:>7.1}% {:>8} {:>8}",
            t.pictures,
            100.0 * t.exact_rate(),
            100.0 * t.character_rate(),
            t.colour_rate()
                .map_or_else(|| "-".to_owned(), |r| format!("{:.1}%", 100.0 * r)),
            t.unread
        );
    }
    println!("{:.1} ms per picture", report.ms_per_picture);
    for (file, expected, read) in report.failures.iter().take(20) {
        println!("  {file}: {expected} read as {read}");
    }
    Ok(())
}
