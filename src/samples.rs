//! The sample clips built into the program (`resources/samples/`), which the sample
//! inventory's cameras play as `sample://NAME` so that a first run shows the whole loop: each
//! clip with the geometry and fixed-time signal plan of its scene. A clip is written once to a
//! folder (the user's cache) and read from there like any file; a wrong or missing copy is
//! written again.

use std::path::{Path, PathBuf};

/// A clip built into the program and the scene it shows.
#[derive(Debug)]
pub struct SampleClip {
    /// What `sample://NAME` names.
    pub name: &'static str,
    /// The file it is written to.
    pub file_name: &'static str,
    bytes: &'static [u8],
    /// The scene's junction geometry (JSON; its `camera` is replaced by the camera's code).
    pub geometry_json: &'static str,
    /// The scene's fixed-time signal plan (JSON), on the clip's clock.
    pub plan_json: &'static str,
}

const GROUP_A_PLAN: &str = include_str!("../resources/samples/scenes/group-a.plan.json");
const CAMPUS_LINE: &str = include_str!("../resources/samples/scenes/campus-line.geometry.json");

/// Every built-in clip.
pub const CLIPS: [SampleClip; 5] = [
    SampleClip {
        name: "vtest-h264-high",
        file_name: "vtest-h264-high.mp4",
        bytes: include_bytes!("../resources/samples/vtest-h264-high.mp4"),
        geometry_json: include_str!("../resources/samples/scenes/campus.geometry.json"),
        plan_json: GROUP_A_PLAN,
    },
    SampleClip {
        name: "vtest-h264-baseline",
        file_name: "vtest-h264-baseline.mp4",
        bytes: include_bytes!("../resources/samples/vtest-h264-baseline.mp4"),
        geometry_json: CAMPUS_LINE,
        plan_json: GROUP_A_PLAN,
    },
    SampleClip {
        name: "vtest-h265",
        file_name: "vtest-h265.mp4",
        bytes: include_bytes!("../resources/samples/vtest-h265.mp4"),
        geometry_json: CAMPUS_LINE,
        plan_json: GROUP_A_PLAN,
    },
    SampleClip {
        name: "car-park",
        file_name: "car-detection.mp4",
        bytes: include_bytes!("../resources/samples/car-detection.mp4"),
        geometry_json: include_str!("../resources/samples/scenes/car-park.geometry.json"),
        plan_json: include_str!("../resources/samples/scenes/car-park.plan.json"),
    },
    // The street photo with a rendered plate, 27A-967.97, painted over the car's: put on the
    // watch list (`watchlist add 27A-967.97 --reason …`), the camera playing it raises a
    // watch-list alarm. A street, not a junction: no approaches.
    SampleClip {
        name: "street-watchlist",
        file_name: "street-watchlist-plate.mp4",
        bytes: include_bytes!("../resources/samples/street-watchlist-plate.mp4"),
        geometry_json: include_str!("../resources/samples/scenes/street.geometry.json"),
        plan_json: GROUP_A_PLAN,
    },
];

/// Why a sample clip cannot be played.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SampleError {
    #[error("no sample clip is named '{0}' (built in: {list})", list = names().join(", "))]
    Unknown(String),
    #[error("sample video is switched off (--no-samples or [samples] play = false)")]
    SwitchedOff,
    #[error("cannot write the sample clip {path}: {message}")]
    Write { path: PathBuf, message: String },
}

/// The names of the built-in clips.
pub fn names() -> Vec<&'static str> {
    CLIPS.iter().map(|c| c.name).collect()
}

/// The clip `name` names.
pub fn clip(name: &str) -> Result<&'static SampleClip, SampleError> {
    CLIPS
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| SampleError::Unknown(name.to_owned()))
}

impl SampleClip {
    /// The clip as a file in `folder`: written there when missing or different (compared
    /// with the built-in bytes), through a temporary file so that a reader never sees half
    /// of it.
    pub fn file_in(&self, folder: &Path) -> Result<PathBuf, SampleError> {
        let path = folder.join(self.file_name);
        let write_error = |message: String| SampleError::Write {
            path: path.clone(),
            message,
        };
        if same_content(&path, self.bytes) {
            return Ok(path);
        }
        std::fs::create_dir_all(folder).map_err(|e| write_error(e.to_string()))?;
        let temporary = folder.join(format!(".{}.{}.part", self.file_name, std::process::id()));
        std::fs::write(&temporary, self.bytes).map_err(|e| write_error(e.to_string()))?;
        std::fs::rename(&temporary, &path).map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            write_error(e.to_string())
        })?;
        Ok(path)
    }

    /// Size of the clip in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Whether `path` holds exactly `bytes`.
fn same_content(path: &Path, bytes: &[u8]) -> bool {
    let Ok(meta) = std::fs::metadata(path) else {
        return false;
    };
    if meta.len() != bytes.len() as u64 {
        return false;
    }
    std::fs::read(path).is_ok_and(|on_disk| on_disk == bytes)
}

/// Where sample clips are played from: `Some(folder)` when they play, `None` when switched off.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SamplePlayback {
    pub folder: Option<PathBuf>,
}

impl SamplePlayback {
    /// The file a `sample://NAME` address plays.
    pub fn file_for(&self, name: &str) -> Result<PathBuf, SampleError> {
        let clip = clip(name)?;
        let folder = self.folder.as_ref().ok_or(SampleError::SwitchedOff)?;
        clip.file_in(folder)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::geometry::JunctionGeometry;

    #[test]
    fn every_clip_is_a_video_with_a_valid_scene() {
        for clip in &CLIPS {
            assert!(
                clip.bytes.starts_with(&[0, 0, 0]) && &clip.bytes[4..8] == b"ftyp",
                "{} is not an MP4",
                clip.name
            );
            let geometry = JunctionGeometry::from_json(clip.geometry_json)
                .unwrap_or_else(|e| panic!("{}: {e}", clip.name));
            let plan = crate::signals::FixedTimePlan::from_json(clip.plan_json)
                .unwrap_or_else(|e| panic!("{}: {e}", clip.name));
            for approach in &geometry.approaches {
                let group = &approach.signal_group;
                assert!(
                    plan.groups.contains_key(group),
                    "{}: the plan has no group '{group}'",
                    clip.name
                );
            }
        }
    }

    #[test]
    fn a_clip_is_written_once_and_rewritten_when_altered() {
        let folder = tempfile::tempdir().unwrap();
        let playback = SamplePlayback {
            folder: Some(folder.path().join("samples")),
        };
        let path = playback.file_for("car-park").unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap().len(),
            clip("car-park").unwrap().len()
        );
        let written = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert_eq!(playback.file_for("car-park").unwrap(), path);
        assert_eq!(
            std::fs::metadata(&path).unwrap().modified().unwrap(),
            written,
            "a good copy is not written again"
        );
        let mut altered = std::fs::read(&path).unwrap();
        altered[100] ^= 0xff;
        std::fs::write(&path, &altered).unwrap();
        playback.file_for("car-park").unwrap();
        assert!(std::fs::read(&path).unwrap() == clip("car-park").unwrap().bytes);
    }

    #[test]
    fn unknown_and_switched_off_samples_say_so() {
        let off = SamplePlayback::default();
        assert_eq!(off.file_for("car-park"), Err(SampleError::SwitchedOff));
        let message = off.file_for("nope").unwrap_err().to_string();
        assert_eq!(
            message,
            "no sample clip is named 'nope' (built in: vtest-h264-high, vtest-h264-baseline, vtest-h265, car-park, street-watchlist)"
        );
    }
}
