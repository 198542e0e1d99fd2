//! Building an evidence bundle from the recordings: the units from the keyframe before
//! `at − 6 s` to `at + 6 s` are copied into `clip.mp4` on one timeline; the same units are
//! decoded and the pictures nearest each moment (before, at, after the line) become stills
//! with the data bar burned in; then the manifest and its signature.

use super::EvidenceError;
use super::data_bar::with_data_bar;
use super::keys::to_hex;
use super::manifest::{
    EvidenceEvent, EvidenceFile, FORMAT, MANIFEST, Manifest, ModelInfo, SIGNATURE, file_sha256,
    sign,
};
use crate::recording::{export_span_with, sync_file};
use crate::store::RecordingRow;
use crate::video::{Decoder, YuvFrame};
use ed25519_dalek::SigningKey;
use std::path::{Path, PathBuf};

/// Half the clip's length.
const CLIP_HALF_MS: i64 = 6_000;

/// What to put in a bundle.
#[derive(Debug, Clone)]
pub struct EvidenceRequest {
    pub event: EvidenceEvent,
    /// Moments of the stills, UTC ms (before, at and after the line, for a red light).
    pub moments_utc_ms: Vec<i64>,
    /// The lines of the data bar (the same on every still, with the still's own time first).
    pub bar_lines: Vec<String>,
    pub geometry_version: Option<i32>,
    pub model: Option<ModelInfo>,
    pub workstation: String,
    /// The violating vehicle's box in the still at the line, as shares of the picture
    /// (x1, y1, x2, y2 in 0–1), when the console recorded it: the plate is looked for there.
    pub vehicle_box: Option<[f32; 4]>,
}

const ROLES: [(&str, &str); 3] = [
    ("before", STILL_FILES[0]),
    ("at", STILL_FILES[1]),
    ("after", STILL_FILES[2]),
];

/// The pictures of a bundle in order: the stills before, at and after the line, then the
/// plate close-up (absent when no plate was found). Review and the notice read them by name.
pub const STILL_FILES: [&str; 4] = [
    "1-truoc-vach.jpg",
    "2-tai-vach.jpg",
    "3-sau-vach.jpg",
    "4-bien-so.jpg",
];

/// A decoded picture and its UTC time.
struct Still {
    at_ms: i64,
    frame: YuvFrame,
}

/// Builds the bundle under `root`; returns its folder.
pub fn build(
    segments: &[RecordingRow],
    request: &EvidenceRequest,
    key: &SigningKey,
    root: &Path,
    plates: Option<&crate::detect::plate::PlateDetector>,
) -> Result<PathBuf, EvidenceError> {
    let event = &request.event;
    let (from, to) = (
        event.at_utc_ms - CLIP_HALF_MS,
        event.at_utc_ms + CLIP_HALF_MS,
    );
    let recorded = segments.iter().any(|s| {
        s.camera_code == event.camera
            && !matches!(s.state.as_str(), "lost" | "deleted")
            && s.started_ms <= event.at_utc_ms
            && s.ended_ms.is_none_or(|e| e >= event.at_utc_ms)
    });
    if !recorded {
        return Err(EvidenceError::NoRecording {
            camera: event.camera.clone(),
            at: crate::clock::vietnam_datetime(event.at_utc_ms),
        });
    }
    let name = format!(
        "{}_{}_{}{}",
        event.camera,
        crate::clock::vietnam_datetime(event.at_utc_ms)
            .replace([' ', ':'], "")
            .replace('-', ""),
        serde_json::to_value(event.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        event.id.map_or_else(String::new, |id| format!("_{id}"))
    );
    let partial = root.join(format!(".partial-{name}"));
    let done = root.join(&name);
    let write_error = |path: &Path, e: String| EvidenceError::Write {
        path: path.to_owned(),
        message: e,
    };
    let _ = std::fs::remove_dir_all(&partial);
    std::fs::create_dir_all(&partial).map_err(|e| write_error(&partial, e.to_string()))?;

    let clip_path = partial.join("clip.mp4");
    let stills = cut_clip(
        segments,
        &event.camera,
        from,
        to,
        &request.moments_utc_ms,
        &clip_path,
    )?;
    let mut files = Vec::new();
    for (index, still) in stills.iter().enumerate() {
        let Some(still) = still else { continue };
        let (role, file_name) = ROLES.get(index).copied().unwrap_or(("extra", "anh.jpg"));
        let file_name = file_name.to_owned();
        let path = partial.join(&file_name);
        let rgb =
            image::RgbImage::from_raw(still.frame.width, still.frame.height, still.frame.to_rgb())
                .ok_or_else(|| write_error(&path, "picture size".into()))?;
        let mut lines = vec![format!(
            "{} (UTC+7) · ảnh {}/{}",
            crate::clock::vietnam_datetime_ms(still.at_ms),
            index + 1,
            request.moments_utc_ms.len()
        )];
        lines.extend(request.bar_lines.iter().cloned());
        let picture = with_data_bar(&rgb, &lines);
        let mut out = std::io::BufWriter::new(
            std::fs::File::create(&path).map_err(|e| write_error(&path, e.to_string()))?,
        );
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
            .encode_image(&picture)
            .map_err(|e| write_error(&path, e.to_string()))?;
        drop(out);
        files.push((file_name, role.to_owned(), Some(still.at_ms)));
        // The plate close-up, from the still at the line.
        if role == "at"
            && let Some(detector) = plates
        {
            let within = request.vehicle_box.map(|b| {
                let (w, h) = (rgb.width() as f32, rgb.height() as f32);
                [b[0] * w, b[1] * h, b[2] * w, b[3] * h]
            });
            if let Some((close_up, plate)) = super::plate_close_up(detector, &rgb, within) {
                let line = format!(
                    "Biển số phóng to từ ảnh {}/{} · độ tin cậy {:.0} %",
                    index + 1,
                    request.moments_utc_ms.len(),
                    plate.score * 100.0
                );
                let picture = with_data_bar(&close_up, &[line]);
                let name = STILL_FILES[3].to_owned();
                let path = partial.join(&name);
                let mut out = std::io::BufWriter::new(
                    std::fs::File::create(&path).map_err(|e| write_error(&path, e.to_string()))?,
                );
                image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
                    .encode_image(&picture)
                    .map_err(|e| write_error(&path, e.to_string()))?;
                drop(out);
                files.push((name, "plate".to_owned(), Some(still.at_ms)));
            }
        }
    }
    files.push(("clip.mp4".to_owned(), "clip".to_owned(), None));
    let mut listed = Vec::new();
    for (file_name, role, at_utc_ms) in files {
        let path = partial.join(&file_name);
        sync_file(&path).map_err(|e| write_error(&path, e.to_string()))?;
        let (sha256, bytes) = file_sha256(&path).map_err(|e| write_error(&path, e.to_string()))?;
        listed.push(EvidenceFile {
            name: file_name,
            role,
            sha256,
            bytes,
            at_utc_ms,
        });
    }
    let manifest = Manifest {
        format: FORMAT.to_owned(),
        event: event.clone(),
        geometry_version: request.geometry_version,
        model: request.model.clone(),
        created_utc_ms: crate::clock::now_utc_ms(),
        workstation: request.workstation.clone(),
        public_key: to_hex(key.verifying_key().as_bytes()),
        files: listed,
    };
    let (bytes, signature) = sign(&manifest, key);
    for (file, content) in [(MANIFEST, bytes), (SIGNATURE, signature.into_bytes())] {
        let path = partial.join(file);
        std::fs::write(&path, content).map_err(|e| write_error(&path, e.to_string()))?;
        sync_file(&path).map_err(|e| write_error(&path, e.to_string()))?;
    }
    if done.exists() {
        return Err(write_error(
            &done,
            "a bundle of this name exists already".into(),
        ));
    }
    std::fs::rename(&partial, &done).map_err(|e| write_error(&done, e.to_string()))?;
    std::fs::File::open(root)
        .and_then(|d| d.sync_all())
        .map_err(|e| write_error(root, e.to_string()))?;
    Ok(done)
}

/// Copies the camera's units of `[from, to]` (from the keyframe before `from`) into `clip`, and
/// returns the decoded picture nearest each moment.
fn cut_clip(
    segments: &[RecordingRow],
    camera: &str,
    from: i64,
    to: i64,
    moments: &[i64],
    clip: &Path,
) -> Result<Vec<Option<Still>>, EvidenceError> {
    let mut stills: Vec<Option<Still>> = moments.iter().map(|_| None).collect();
    // The decoder of the segment being read, with what places its pictures in time.
    let mut current: Option<(Decoder, i64, i64)> = None;
    let mut frames = Vec::new();
    let mut failed: Option<String> = None;
    let finish = |current: Option<(Decoder, i64, i64)>,
                  frames: &mut Vec<YuvFrame>,
                  stills: &mut [Option<Still>]| {
        if let Some((mut decoder, started, zero)) = current {
            let _ = decoder.finish(frames);
            keep_nearest(frames, &|pts| started + (pts - zero) / 90, moments, stills);
        }
    };
    export_span_with(segments, camera, from, to, clip, |read, unit| {
        let same = current.as_ref().is_some_and(|(_, started, zero)| {
            *started == read.started_ms && *zero == read.zero_90k
        });
        if !same {
            finish(current.take(), &mut frames, &mut stills);
            match Decoder::new(&read.config) {
                Ok(decoder) => current = Some((decoder, read.started_ms, read.zero_90k)),
                Err(e) => failed = Some(e.to_string()),
            }
        }
        if let Some((decoder, _, _)) = &mut current {
            let _ = decoder.decode(unit, &mut frames);
            keep_nearest(&mut frames, &|pts| read.utc_ms(pts), moments, &mut stills);
        }
    })
    .map_err(|e| EvidenceError::Write {
        path: clip.to_owned(),
        message: e.to_string(),
    })?;
    finish(current.take(), &mut frames, &mut stills);
    if let Some(message) = failed {
        return Err(EvidenceError::Write {
            path: clip.to_owned(),
            message,
        });
    }
    Ok(stills)
}

fn keep_nearest(
    frames: &mut Vec<YuvFrame>,
    utc: &dyn Fn(i64) -> i64,
    moments: &[i64],
    stills: &mut [Option<Still>],
) {
    for frame in frames.drain(..) {
        let at = utc(frame.pts_90k);
        for (moment, still) in moments.iter().zip(stills.iter_mut()) {
            let better = still
                .as_ref()
                .is_none_or(|s| (s.at_ms - moment).abs() > (at - moment).abs());
            if better {
                *still = Some(Still {
                    at_ms: at,
                    frame: frame.clone(),
                });
            }
        }
    }
}

/// Removes bundles left half written by a crash under `root`; returns how many.
pub fn remove_partial(root: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(root) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(".partial-")
            && std::fs::remove_dir_all(entry.path()).is_ok()
        {
            tracing::warn!(path = %entry.path().display(), "half-written evidence removed");
            removed += 1;
        }
    }
    removed
}
