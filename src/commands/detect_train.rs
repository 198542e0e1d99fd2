//! `detect train TRAIN --valid VALID --out FILE`: YOLOX-nano's prediction layers tuned to
//! labelled pictures (see `detect::tuning`), starting from the COCO weights built into the
//! program, written as an ONNX file of the same graph, and measured against the COCO weights
//! on the valid split in the same run.

use super::Setup;
use super::detect::decode_all;
use super::detect_eval::{Sample, load_samples, machine, measure, parse_aspect};
use crate::cli::DetectTrainArgs;
use crate::detect::bundled;
use crate::detect::detector::{Detector, sha256_hex};
use crate::detect::evaluation::{LabelledBox, Tally, parse_class_map};
use crate::detect::onnx::Model;
use crate::detect::preprocess::letterbox_into;
use crate::detect::search::SearchScale;
use crate::detect::tuning::assign::{AssignConfig, LevelFeatures, Truth, add_picture};
use crate::detect::tuning::augment::view;
use crate::detect::tuning::fit::{FitConfig, fit_level};
use crate::detect::tuning::{LevelSamples, Rng, TRAINED_CLASSES};
use crate::detect::yolox::{HEAD_STRIDES, HeadPredictions, YoloxNano, input_tensor};
use crate::domain::ObjectClass;
use crate::video::FileSource;
use anyhow::Context as _;
use candle_core::Device;
use std::time::Instant;

pub fn run(args: &DetectTrainArgs, _setup: &Setup) -> anyhow::Result<()> {
    let started = Instant::now();
    let classes = parse_class_map(&args.classes).map_err(anyhow::Error::msg)?;
    let aspect = args.aspect.as_deref().map(parse_aspect).transpose()?;
    let scales = args
        .scales
        .iter()
        .map(|s| SearchScale::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let base_bytes = bundled::YOLOX_NANO;
    let model = Model::parse(base_bytes)
        .map_err(|(reason, at)| anyhow::anyhow!("built-in model: {reason} at byte {at}"))?;
    let device = Device::Cpu;
    let net = YoloxNano::from_model(&model, &device)?;
    let layers: Vec<HeadPredictions> = net.head_predictions().into_iter().cloned().collect();

    eprintln!("reading {}", args.train.display());
    let train = load_samples(&args.train, &classes, aspect, args.limit)?;
    // The dataset labels its own classes; the others keep the COCO model's answers.
    let mut labelled = [false; 7];
    for class in &classes {
        if let Some(k) = TRAINED_CLASSES.iter().position(|&c| c == class.coco()) {
            labelled[k] = true;
        }
    }
    let assign = AssignConfig {
        background_share: args.background_share.clamp(0.001, 1.0),
        soft_score: 0.1,
        labelled,
        through_point: !args.linear_only,
    };
    let mut rng = Rng::new(args.seed);
    let mut samples: [LevelSamples; 3] = Default::default();
    let collect_started = Instant::now();
    for (i, sample) in train.iter().enumerate() {
        for kind in 0..args.views.max(1) {
            add_view(&net, &layers, sample, kind, &assign, &mut rng, &mut samples)?;
        }
        if (i + 1) % 100 == 0 {
            eprintln!(
                "features of {} of {} pictures ({:.0} s)",
                i + 1,
                train.len(),
                collect_started.elapsed().as_secs_f64()
            );
        }
    }
    let collect_s = collect_started.elapsed().as_secs_f64();
    for (level, set) in samples.iter().enumerate() {
        eprintln!(
            "stride {}: {} cells, {} of them on labelled objects",
            HEAD_STRIDES[level],
            set.len(),
            set.positives()
        );
    }
    let fit = FitConfig {
        epochs: args.epochs,
        batch: 4096,
        learning_rate: args.learning_rate,
        through_point: !args.linear_only,
        mute_other_classes: !args.keep_other_classes,
    };
    let fit_started = Instant::now();
    let mut tuned = Vec::with_capacity(3);
    for (level, set) in samples.iter().enumerate() {
        let stride = HEAD_STRIDES[level];
        tuned.push(fit_level(
            &layers[level],
            set,
            &fit,
            &mut rng,
            |epoch, loss| {
                if epoch % 5 == 0 || epoch == 1 {
                    eprintln!("stride {stride}: epoch {epoch}, loss {loss:.4}");
                }
            },
        )?);
    }
    let fit_s = fit_started.elapsed().as_secs_f64();
    let mut replacements: Vec<(&str, &[f32])> = Vec::new();
    for level in &tuned {
        for layer in [
            &level.cls,
            &level.reg,
            &level.obj,
            &level.cls_point,
            &level.reg_point,
        ] {
            replacements.push((&layer.weight_name, &layer.weight));
            replacements.push((&layer.bias_name, &layer.bias));
        }
    }
    let bytes = model
        .with_floats_replaced(base_bytes, &replacements)
        .map_err(anyhow::Error::msg)?;
    if let Some(parent) = args.out.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    std::fs::write(&args.out, &bytes)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!(
        "tuned model written to {} (SHA-256 {}); features {collect_s:.0} s, fit {fit_s:.0} s, \
         {} pictures × {} views, {} epochs, seed {}",
        args.out.display(),
        sha256_hex(&bytes),
        train.len(),
        args.views.max(1),
        args.epochs,
        args.seed
    );

    eprintln!("measuring on {}", args.valid.display());
    let valid = load_samples(&args.valid, &classes, aspect, None)?;
    let coco = Detector::from_unchecked_bytes(base_bytes, &device)?;
    let tuned = Detector::from_unchecked_bytes(&bytes, &device)?;
    println!(
        "{}: {} pictures; {}",
        args.valid.display(),
        valid.len(),
        machine(&coco)
    );
    for scale in scales {
        for (name, detector) in [("COCO weights", &coco), ("tuned", &tuned)] {
            println!("\n== {name}");
            measure(detector, &valid, scale, &classes)?.print(valid.len());
        }
    }
    let pictures = valid.iter().map(|s| (s.rgb.as_slice(), s.width, s.height));
    let tally = agreement_on(&coco, &tuned, pictures)?;
    print_agreement(&format!("{} (its pictures)", args.valid.display()), &tally);
    for clip in &args.clips {
        let tally = agreement(&coco, &tuned, clip)
            .with_context(|| format!("cannot compare on {}", clip.display()))?;
        print_agreement(&clip.display().to_string(), &tally);
    }
    println!(
        "\ntotal {:.0} s on {}",
        started.elapsed().as_secs_f64(),
        crate::detect::detector::cpu_model()
    );
    Ok(())
}

/// Adds the cells of one view of `sample` to `samples`.
fn add_view(
    net: &YoloxNano,
    layers: &[HeadPredictions],
    sample: &Sample,
    kind: usize,
    assign: &AssignConfig,
    rng: &mut Rng,
    samples: &mut [LevelSamples; 3],
) -> anyhow::Result<()> {
    let truth: Vec<Truth> = sample
        .truth
        .iter()
        .filter_map(|b| {
            let class = TRAINED_CLASSES
                .iter()
                .position(|&c| c == ObjectClass::coco(b.class))?;
            Some(Truth {
                class,
                bbox: b.bbox,
            })
        })
        .collect();
    let v = view(&sample.rgb, sample.width, sample.height, &truth, kind, rng);
    let boxed = letterbox_into(&v.rgb, v.width, v.height, v.input);
    let (w, h) = (boxed.input_width, boxed.input_height);
    let scale = boxed.scale;
    let input = input_tensor(boxed.bgr_planar, 1, (w, h), net.device())?;
    let features = net.head_features(&input, assign.through_point)?;
    let mut values = Vec::with_capacity(3);
    for (reg, cls) in &features {
        let (_, _, fh, fw) = reg.dims4()?;
        values.push((
            fw,
            fh,
            reg.flatten_all()?.to_vec1::<f32>()?,
            cls.flatten_all()?.to_vec1::<f32>()?,
        ));
    }
    let levels: Vec<LevelFeatures> = values
        .iter()
        .zip(HEAD_STRIDES)
        .map(|((fw, fh, reg, cls), stride)| LevelFeatures {
            stride,
            width: *fw,
            height: *fh,
            reg,
            cls,
        })
        .collect();
    let scaled: Vec<Truth> = v
        .truth
        .iter()
        .map(|t| Truth {
            class: t.class,
            bbox: t.bbox.map(|x| x * scale),
        })
        .collect();
    add_picture(
        &levels,
        [&layers[0], &layers[1], &layers[2]],
        &scaled,
        assign,
        rng,
        samples,
    );
    Ok(())
}

/// COCO detections at least this sure are the reference on the clips.
const REFERENCE_SCORE: f32 = 0.5;

/// Every tenth frame.
const CLIP_FRAME_STEP: usize = 10;

fn share(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 * 100.0 / of as f64
    }
}

fn print_agreement(place: &str, tally: &Tally) {
    println!(
        "\n{place}: the tuned model against the COCO model's people and bicycles (score ≥ \
         {REFERENCE_SCORE}) in {} pictures",
        tally.pictures
    );
    for (class, t) in &tally.classes {
        println!(
            "  {:<8} {:>4} reference boxes, {:>5.1}% found at IoU 0.5, {:>5.1}% at 0.3",
            class.code(),
            t.truth,
            share(t.matched[0], t.truth),
            share(t.matched[1], t.truth)
        );
    }
}

/// How many of the COCO model's sure people and bicycles in `clip` the tuned model finds.
fn agreement(coco: &Detector, tuned: &Detector, clip: &std::path::Path) -> anyhow::Result<Tally> {
    let frames = decode_all(&mut FileSource::open(clip)?)?;
    let pictures: Vec<(Vec<u8>, usize, usize)> = frames
        .iter()
        .step_by(CLIP_FRAME_STEP)
        .map(|f| (f.to_rgb(), f.width as usize, f.height as usize))
        .collect();
    agreement_on(
        coco,
        tuned,
        pictures.iter().map(|(rgb, w, h)| (rgb.as_slice(), *w, *h)),
    )
}

/// The same on any pictures (RGB, width, height).
fn agreement_on<'a>(
    coco: &Detector,
    tuned: &Detector,
    pictures: impl Iterator<Item = (&'a [u8], usize, usize)>,
) -> anyhow::Result<Tally> {
    let classes = [ObjectClass::Person, ObjectClass::Bicycle];
    let mut tally = Tally::new(&classes);
    for (rgb, w, h) in pictures {
        let reference: Vec<LabelledBox> = coco
            .detect_rgb(rgb, w, h)?
            .into_iter()
            .filter(|d| classes.contains(&d.class) && d.score >= REFERENCE_SCORE)
            .map(|d| LabelledBox {
                class: d.class,
                bbox: d.bbox,
            })
            .collect();
        let found = tuned.detect_rgb(rgb, w, h)?;
        tally.add(&reference, &found);
    }
    Ok(tally)
}
