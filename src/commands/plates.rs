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
            onto: None,
        } => generate(folder, *count, *seed),
        PlatesCommand::Generate {
            folder,
            count,
            seed,
            onto: Some(photo),
        } => generate_onto(folder, photo, *count, *seed, setup),
        PlatesCommand::Eval { folder, crop, json } => eval(folder, *crop, *json, setup),
        PlatesCommand::Search {
            text,
            limit,
            close_ups,
            json,
        } => search(text, *limit, close_ups.as_deref(), *json, setup),
        PlatesCommand::Accuracy { since, json } => accuracy(since.as_deref(), *json, setup),
        PlatesCommand::Purge { days } => purge(*days, setup),
    }
}

/// Deletes the sightings past their retention period (as the engine does).
fn purge(days: Option<f64>, setup: &Setup) -> anyhow::Result<()> {
    let mut engine = setup.config.engine.clone();
    if let Some(days) = days {
        anyhow::ensure!(
            days.is_finite() && days >= 0.0,
            "--days {days}: a number of days, 0 or more"
        );
        engine.plate_days = days;
    }
    let mut store = setup.store()?;
    let who = super::sign_in::engine_principal(setup, &mut store)?;
    let before = engine.plate_cutoff_ms(crate::clock::now_utc_ms());
    let deleted = store.purge_plate_sightings(&who, before)?;
    println!(
        "{deleted} plate sightings seen before {} deleted (those events refer to are kept)",
        crate::clock::vietnam_datetime(before)
    );
    Ok(())
}

/// The machine's readings against the reviewers' confirmations.
fn accuracy(since: Option<&str>, json: bool, setup: &Setup) -> anyhow::Result<()> {
    let since_ms = since
        .map(|d| {
            crate::clock::parse_vietnam_datetime(d)
                .with_context(|| format!("--since '{d}' is not a date (YYYY-MM-DD)"))
        })
        .transpose()?;
    let mut store = setup.store()?;
    let who = super::principal(setup, &mut store)?;
    let tally = store.plate_accuracy(&who, since_ms)?;
    if json {
        println!("{}", serde_json::to_string(&tally)?);
        return Ok(());
    }
    println!(
        "{} violations confirmed with a machine reading, {} corrected by the reviewer{}; {} confirmed without one",
        tally.with_reading,
        tally.corrected,
        tally.kept_rate().map_or_else(String::new, |r| format!(
            " ({:.1} % kept as read)",
            100.0 * r
        )),
        tally.without_reading
    );
    Ok(())
}

/// Every sighting and event of a plate, newest first (the store audits the search).
fn search(
    text: &str,
    limit: usize,
    close_ups: Option<&Path>,
    json: bool,
    setup: &Setup,
) -> anyhow::Result<()> {
    let mut store = setup.store()?;
    let who = super::principal(setup, &mut store)?;
    let found = store.search_plates(&who, text, limit)?;
    if let Some(folder) = close_ups {
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create {}", folder.display()))?;
        let ids: Vec<i64> = found.sightings.iter().map(|s| s.id).collect();
        for (id, jpeg) in store.plate_close_ups(&who, &ids)? {
            let path = folder.join(format!("{id}.jpg"));
            std::fs::write(&path, jpeg)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    if json {
        println!("{}", serde_json::to_string(&found)?);
        return Ok(());
    }
    println!(
        "{}: {} sighting{}, {} event{}",
        found.query,
        found.sightings.len(),
        if found.sightings.len() == 1 { "" } else { "s" },
        found.events.len(),
        if found.events.len() == 1 { "" } else { "s" }
    );
    for s in &found.sightings {
        println!(
            "  sighting {:>6}  {}  {:<12} {:<14} {:<6} confidence {:.2} ({} reading{}, track {})",
            s.id,
            crate::clock::vietnam_datetime(s.seen_at_ms),
            s.camera_code,
            s.reading.formatted,
            s.reading.colour.code(),
            s.reading.confidence,
            s.sightings,
            if s.sightings == 1 { "" } else { "s" },
            s.track
        );
    }
    for e in &found.events {
        println!(
            "  event    {:>6}  {}  {:<12} {:<20} {}",
            e.id,
            crate::clock::vietnam_datetime(e.raised_at_ms),
            e.camera_code,
            e.kind.code(),
            e.plate_text.as_deref().unwrap_or("(plate not confirmed)")
        );
    }
    Ok(())
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

/// The plates of a whole picture: those the plate detector finds, then, for each vehicle the
/// vehicle detector finds whose box holds no plate read yet, its plate read as the engine
/// reads a tracked vehicle's (the plate detector misses most white Vietnamese plates).
fn read_whole(
    reader: &PlateReader,
    vehicles: &crate::detect::detector::Detector,
    picture: &image::RgbImage,
) -> anyhow::Result<Vec<PlateReading>> {
    use crate::analytics::plates::{MIN_BOX_PX, is_vehicle};
    use crate::detect::detector::RgbPicture;
    use crate::detect::search::SearchScale;
    let mut readings = reader.read_picture(picture)?;
    let (width, height) = (picture.width() as usize, picture.height() as usize);
    let found = vehicles.detect_scaled(
        RgbPicture {
            rgb: picture.as_raw(),
            width,
            height,
        },
        (0, 0, width, height),
        SearchScale::FOCUS,
    )?;
    for vehicle in found {
        let [x0, y0, x1, y1] = vehicle.bbox;
        if !is_vehicle(vehicle.class) || x1 - x0 < MIN_BOX_PX || y1 - y0 < MIN_BOX_PX {
            continue;
        }
        let holds_one = readings.iter().any(|r| {
            let cx = r.corners.iter().map(|c| c[0]).sum::<f32>() / 4.0;
            let cy = r.corners.iter().map(|c| c[1]).sum::<f32>() / 4.0;
            (x0..=x1).contains(&cx) && (y0..=y1).contains(&cy)
        });
        if holds_one {
            continue;
        }
        let (left, top) = (x0.max(0.0) as u32, y0.max(0.0) as u32);
        let right = (x1.min(width as f32) as u32).max(left + 1);
        let bottom = (y1.min(height as f32) as u32).max(top + 1);
        let crop =
            image::imageops::crop_imm(picture, left, top, right - left, bottom - top).to_image();
        if let Some(mut reading) = reader.read_vehicle(&crop)? {
            for corner in &mut reading.corners {
                corner[0] += left as f32;
                corner[1] += top as f32;
            }
            if !readings.iter().any(|r| r.text == reading.text) {
                readings.push(reading);
            }
        }
    }
    Ok(readings)
}

fn read(
    images: &[std::path::PathBuf],
    crop: bool,
    json: bool,
    setup: &Setup,
) -> anyhow::Result<()> {
    let reader = load(setup)?;
    // Whole pictures also look for vehicles; without the vehicle detector the plate detector
    // alone reads them (said once).
    let vehicles = if crop {
        None
    } else {
        match super::load_detector(setup, None) {
            Ok(d) => Some(d),
            Err(e) => {
                eprintln!(
                    "warning: {}; plates are looked for by the plate detector alone (it misses most white plates)",
                    super::error_text(&e)
                );
                None
            }
        }
    };
    let mut failed = 0;
    for path in images {
        let picture = match open_picture(path) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{}", super::error_text(&e));
                failed += 1;
                continue;
            }
        };
        let plates = match &vehicles {
            Some(vehicles) => read_whole(&reader, vehicles, &picture)?,
            None => read_one(&reader, &picture, crop)?,
        };
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

/// `count` copies of `photo`, each with rendered plates (cycling through layouts and colours)
/// painted over the plates the detector finds in it.
fn generate_onto(
    folder: &Path,
    photo: &Path,
    count: usize,
    seed: u64,
    setup: &Setup,
) -> anyhow::Result<()> {
    use crate::domain::PlateColour;
    use crate::plates::synth::{Rng, SynthLayout, paint_scene};
    let picture = open_picture(photo)?;
    let reader = load(setup)?;
    let quads: Vec<[[f32; 2]; 4]> = reader
        .detector()
        .detect(&picture, crate::plates::reader::MIN_PLATE_SCORE)
        .context("cannot search the photograph for plates")?
        .into_iter()
        .map(|p| p.corners)
        .collect();
    anyhow::ensure!(
        !quads.is_empty(),
        "no plate found in {} to paint over",
        photo.display()
    );
    std::fs::create_dir_all(folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let mut rng = Rng::new(seed);
    let mut labels = String::from("file\ttext\tlayout\tcolour\n");
    for i in 0..count {
        let layout = SynthLayout::ALL[i % SynthLayout::ALL.len()];
        let colour = PlateColour::ALL[(i / SynthLayout::ALL.len()) % PlateColour::ALL.len()];
        let scene = paint_scene(&mut rng, &picture, &quads, layout, colour);
        let name = format!("scene-{i:05}.png");
        let path = folder.join(&name);
        scene
            .picture
            .save(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        // The labels name the first plate (the one evaluation compares with the best reading).
        if let Some((text, ..)) = scene.plates.first() {
            labels.push_str(&format!(
                "{name}\t{text}\t{}\t{}\n",
                layout.code(),
                colour.code()
            ));
        }
    }
    let path = folder.join("labels.tsv");
    std::fs::write(&path, labels).with_context(|| format!("cannot write {}", path.display()))?;
    println!(
        "{count} pictures ({} plate{} each) and labels.tsv written to {}",
        quads.len(),
        if quads.len() == 1 { "" } else { "s" },
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
