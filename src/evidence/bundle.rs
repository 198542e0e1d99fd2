//! Building an evidence bundle from the recordings: the units from the keyframe before
//! `at − 6 s` to `at + 6 s` are copied into `clip.mp4` on one timeline; the same units are
//! decoded and the pictures nearest each moment become stills (named by what they show,
//! `stills.rs`): the untouched frame, and a copy with the violating vehicle marked and the data
//! bar burned in; from the main still, the vehicle's and the plate's close-ups; then the
//! manifest and its signature.

use super::EvidenceError;
use super::data_bar::with_data_bar;
use super::keys::to_hex;
use super::manifest::{
    EvidenceEvent, EvidenceFile, FORMAT, MANIFEST, Manifest, ModelInfo, SIGNATURE, file_sha256,
    sign,
};
use super::marking::{VehicleMark, mark_vehicle, vehicle_close_up};
use super::stills::{ORIGINAL_PREFIX, PLATE_FILE, VEHICLE_FILE, main_still, still_roles};
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
    /// Per moment: the violating vehicle's box, as shares of the picture (x1, y1, x2, y2 in
    /// 0–1), when the console recorded it near that moment (the plate is looked for there).
    pub vehicle_boxes: Vec<Option<[f32; 4]>>,
    /// Per moment: the approach's signal as a line of the data bar, when recorded.
    pub signal_lines: Vec<Option<String>>,
    /// The vehicle's track around the event (bottom centres of its boxes), as shares.
    pub track_path: Vec<[f32; 2]>,
    /// The label on the marked vehicle ("ô tô · đối tượng 38").
    pub vehicle_label: String,
    /// The vehicle's plate as the engine read it along its track, when it did.
    pub track_plate: Option<TrackPlateEvidence>,
}

/// A vehicle's plate read along its track (a plate sighting): the voted reading, how many
/// readings voted, when the best was taken and its close-up (JPEG).
#[derive(Debug, Clone)]
pub struct TrackPlateEvidence {
    pub reading: crate::domain::PlateReading,
    pub sightings: i32,
    pub seen_at_ms: i64,
    pub close_up: Vec<u8>,
}

/// Width a track's plate close-up is enlarged to in the bundle (its data bar fits).
const TRACK_PLATE_WIDTH: u32 = 480;

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
    plates: Option<&crate::plates::PlateReader>,
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
    // The camera code names the folder: it must stay one folder inside the root.
    if crate::domain::safe_path::code_problem(&event.camera).is_some()
        || crate::domain::safe_path::inside(root, Path::new(&name)).is_none()
    {
        return Err(EvidenceError::Write {
            path: root.join(&name),
            message: "the camera code would put the bundle outside the evidence folder".into(),
        });
    }
    let done = root.join(&name);
    let write_error = |path: &Path, e: String| EvidenceError::Write {
        path: path.to_owned(),
        message: e,
    };
    // A folder of this build's own, held while it runs: a concurrent build (another event,
    // or the same one) never touches it, and a failed build removes it on the way out.
    let held = PartialFolder::create(root, &name).map_err(|e| write_error(root, e.to_string()))?;
    let partial = held.path.clone();

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
    // The close-ups are listed after the stills.
    let mut close_ups = Vec::new();
    let mut read_plate = None;
    let roles = still_roles(event.kind, request.moments_utc_ms.len());
    let main = main_still(event.kind, request.moments_utc_ms.len());
    let count = request.moments_utc_ms.len();
    for (index, still) in stills.iter().enumerate() {
        let Some(still) = still else { continue };
        let Some(role) = roles.get(index) else {
            continue;
        };
        let rgb =
            image::RgbImage::from_raw(still.frame.width, still.frame.height, still.frame.to_rgb())
                .ok_or_else(|| write_error(&partial, "picture size".into()))?;
        let (w, h) = (rgb.width() as f32, rgb.height() as f32);
        // The untouched frame, for the record.
        let original = format!("{ORIGINAL_PREFIX}{}", role.file);
        write_jpeg(&partial.join(&original), &rgb, 95)?;
        files.push((
            original,
            format!("original-{}", role.role),
            Some(still.at_ms),
        ));
        // The marked copy with its data bar.
        let bbox = request
            .vehicle_boxes
            .get(index)
            .copied()
            .flatten()
            .map(|b| [b[0] * w, b[1] * h, b[2] * w, b[3] * h]);
        let mark = VehicleMark {
            bbox,
            path: request
                .track_path
                .iter()
                .map(|p| [p[0] * w, p[1] * h])
                .collect(),
            label: request.vehicle_label.clone(),
        };
        let mut marked = rgb.clone();
        mark_vehicle(&mut marked, &mark);
        let title = if role.title_vi.is_empty() {
            String::new()
        } else {
            format!(": {}", role.title_vi)
        };
        let mut lines = vec![format!(
            "{} (UTC+7) · ảnh {}/{count}{title}",
            crate::clock::vietnam_datetime_ms(still.at_ms),
            index + 1,
        )];
        lines.extend(request.bar_lines.iter().cloned());
        if let Some(Some(signal)) = request.signal_lines.get(index) {
            lines.push(signal.clone());
        }
        if bbox.is_none() {
            lines.push("Không có khung xe được ghi ở thời điểm này".to_owned());
        }
        write_jpeg(
            &partial.join(&role.file),
            &with_data_bar(&marked, &lines),
            92,
        )?;
        files.push((role.file.clone(), role.role.clone(), Some(still.at_ms)));
        if index != main {
            continue;
        }
        // The close-ups, from the main still.
        if let Some(bbox) = bbox
            && let Some(close_up) = vehicle_close_up(&rgb, bbox)
        {
            let line = format!(
                "Xe vi phạm phóng to từ ảnh {}/{count} · {}",
                index + 1,
                request.vehicle_label
            );
            write_jpeg(
                &partial.join(VEHICLE_FILE),
                &with_data_bar(&close_up, &[line]),
                92,
            )?;
            close_ups.push((
                VEHICLE_FILE.to_owned(),
                "vehicle".to_owned(),
                Some(still.at_ms),
            ));
        }
        if let Some(reader) = plates
            && let Some((close_up, plate)) = super::plate_close_up(reader.detector(), &rgb, bbox)
        {
            let mut lines = vec![format!(
                "Biển số phóng to từ ảnh {}/{count} · độ tin cậy {:.0} %",
                index + 1,
                plate.score * 100.0
            )];
            match reader.read_at(&rgb, &plate.corners, Some(plate.two_rows)) {
                Ok(Some(reading)) => {
                    lines.push(reading_line(&reading));
                    read_plate = Some(reading);
                }
                Ok(None) => lines.push("Biển số: máy không đọc được".to_owned()),
                Err(e) => tracing::warn!(error = %e, "the plate could not be read"),
            }
            write_jpeg(
                &partial.join(PLATE_FILE),
                &with_data_bar(&close_up, &lines),
                92,
            )?;
            close_ups.push((PLATE_FILE.to_owned(), "plate".to_owned(), Some(still.at_ms)));
        }
    }
    if let Some(track) = &request.track_plate {
        track_plate(track, &partial, &mut close_ups, &mut read_plate)?;
    }
    files.extend(close_ups);
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
        plate: read_plate,
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
    held.finished();
    std::fs::File::open(root)
        .and_then(|d| d.sync_all())
        .map_err(|e| write_error(root, e.to_string()))?;
    Ok(done)
}

/// Writes `picture` as a JPEG of `quality` at `path`.
fn write_jpeg(path: &Path, picture: &image::RgbImage, quality: u8) -> Result<(), EvidenceError> {
    let write_error = |e: String| EvidenceError::Write {
        path: path.to_owned(),
        message: e,
    };
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(path).map_err(|e| write_error(e.to_string()))?,
    );
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(picture)
        .map_err(|e| write_error(e.to_string()))?;
    use std::io::Write as _;
    out.flush().map_err(|e| write_error(e.to_string()))
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

/// Removes bundles left half written by builds that died (a crash, a killed process) under
/// `root`; returns how many. A build that is still running holds its folder's lock file and
/// is left alone.
pub fn remove_partial(root: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(root) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(PARTIAL) || name.ends_with(LOCK_SUFFIX) {
            continue;
        }
        let lock_path = root.join(format!("{name}{LOCK_SUFFIX}"));
        // The lock file is made before the folder and removed after it: a folder without one,
        // or whose lock can be taken, belongs to a build that is gone.
        let lock = std::fs::File::open(&lock_path).ok();
        if lock.as_ref().is_some_and(|l| l.try_lock().is_err()) {
            continue;
        }
        if std::fs::remove_dir_all(entry.path()).is_ok() {
            tracing::warn!(path = %entry.path().display(), "half-written evidence of a dead build removed");
            removed += 1;
        }
        let _ = std::fs::remove_file(&lock_path);
    }
    removed
}

const PARTIAL: &str = ".partial-";
const LOCK_SUFFIX: &str = ".lock";

/// A build's own half-written folder `.partial-NAME-PID-N` under the evidence root, with its
/// lock file `….lock` held (`flock`) while the build runs; dropped unfinished, both go.
struct PartialFolder {
    path: PathBuf,
    lock_path: PathBuf,
    _lock: std::fs::File,
    finished: bool,
}

impl PartialFolder {
    fn create(root: &Path, name: &str) -> std::io::Result<Self> {
        static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let folder = format!("{PARTIAL}{name}-{}-{n}", std::process::id());
        std::fs::create_dir_all(root)?;
        let lock_path = root.join(format!("{folder}{LOCK_SUFFIX}"));
        let lock = std::fs::File::create(&lock_path)?;
        lock.try_lock().map_err(std::io::Error::other)?;
        let path = root.join(folder);
        std::fs::create_dir(&path)?;
        Ok(Self {
            path,
            lock_path,
            _lock: lock,
            finished: false,
        })
    }

    /// The folder was renamed into place: only the lock file is left to remove.
    fn finished(mut self) {
        self.finished = true;
    }
}

impl Drop for PartialFolder {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.path);
        }
        let _ = std::fs::remove_file(&self.lock_path);
    }
}

/// The vehicle's plate as read along its track: the bundle's reading when it is at least as
/// confident as the still's (several sightings voted), and the plate's close-up from its
/// best sighting when the still gave none.
fn track_plate(
    track: &TrackPlateEvidence,
    partial: &Path,
    close_ups: &mut Vec<(String, String, Option<i64>)>,
    read_plate: &mut Option<crate::domain::PlateReading>,
) -> Result<(), EvidenceError> {
    if read_plate
        .as_ref()
        .is_none_or(|r| track.reading.confidence >= r.confidence)
    {
        *read_plate = Some(track.reading.clone());
    }
    if close_ups.iter().any(|(file, ..)| file == PLATE_FILE) {
        return Ok(());
    }
    let Ok(picture) = image::load_from_memory(&track.close_up) else {
        return Ok(());
    };
    let picture = picture.to_rgb8();
    let height = (u64::from(picture.height()) * u64::from(TRACK_PLATE_WIDTH)
        / u64::from(picture.width().max(1))) as u32;
    let enlarged = image::imageops::resize(
        &picture,
        TRACK_PLATE_WIDTH,
        height.max(1),
        image::imageops::FilterType::CatmullRom,
    );
    let lines = vec![
        format!(
            "Biển số phóng to từ lần đọc tốt nhất của phương tiện ({} lần đọc), lúc {}",
            track.sightings,
            crate::clock::vietnam_datetime(track.seen_at_ms)
        ),
        reading_line(&track.reading),
    ];
    write_jpeg(
        &partial.join(PLATE_FILE),
        &with_data_bar(&enlarged, &lines),
        92,
    )?;
    close_ups.push((
        PLATE_FILE.to_owned(),
        "plate".to_owned(),
        Some(track.seen_at_ms),
    ));
    Ok(())
}

/// The data bar's line for a plate read by the machine: the plate, its colour, the confidence,
/// and the characters read with low confidence.
fn reading_line(reading: &crate::domain::PlateReading) -> String {
    let doubtful = reading.doubtful();
    let mut line = format!(
        "Máy đọc: {} · {} · độ tin cậy {:.0} %",
        reading.formatted,
        reading.colour.name_vi(),
        reading.confidence * 100.0
    );
    if !doubtful.is_empty() {
        let chars: String = doubtful
            .iter()
            .filter_map(|&i| reading.text.chars().nth(i))
            .collect();
        line.push_str(&format!(" · ký tự chưa chắc: {chars}"));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_bar_names_the_reading_and_its_doubtful_characters() {
        use crate::domain::{CharReading, PlateColour, PlateReading};
        let chars = "27A12345"
            .chars()
            .map(|c| CharReading {
                char: c,
                confidence: if c == '4' { 0.4 } else { 0.99 },
            })
            .collect();
        let reading = PlateReading {
            text: "27A12345".into(),
            formatted: "27A-123.45".into(),
            rows: 1,
            colour: PlateColour::White,
            confidence: 0.37,
            chars,
            corners: [[0.0; 2]; 4],
        };
        let line = reading_line(&reading);
        assert!(line.starts_with("Máy đọc: 27A-123.45"), "{line}");
        assert!(
            line.contains("37 %") && line.ends_with("ký tự chưa chắc: 4"),
            "{line}"
        );
    }

    #[test]
    fn a_running_builds_folder_is_left_alone_and_a_dead_ones_is_removed() {
        let root = tempfile::tempdir().unwrap();
        let running = PartialFolder::create(root.path(), "B_1").unwrap();
        std::fs::write(running.path.join("clip.mp4"), b"half").unwrap();
        // What a build killed midway leaves: a folder whose lock nobody holds, or none at all.
        let dead = root.path().join(".partial-B_2-1-0");
        std::fs::create_dir(&dead).unwrap();
        std::fs::write(root.path().join(".partial-B_2-1-0.lock"), b"").unwrap();
        let older = root.path().join(".partial-B_3");
        std::fs::create_dir(&older).unwrap();
        assert_eq!(remove_partial(root.path()), 2);
        assert!(
            running.path.join("clip.mp4").exists(),
            "a live build untouched"
        );
        assert!(!dead.exists() && !older.exists());
        assert!(!root.path().join(".partial-B_2-1-0.lock").exists());
        // A failed build removes its own folder and lock.
        let path = running.path.clone();
        drop(running);
        assert!(!path.exists());
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_full_disk_fails_the_write_instead_of_leaving_a_short_file() {
        let picture = image::RgbImage::new(64, 48);
        let err = write_jpeg(Path::new("/dev/full"), &picture, 90).unwrap_err();
        assert!(err.to_string().contains("/dev/full"), "{err}");
    }
}
