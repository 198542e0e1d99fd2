//! Which stills a bundle holds and what they are called, by kind of violation: a red light
//! before, at and after the stop line; a stop or a gathering when it began and when the time
//! allowed had passed; a wrong-way drive, a turn or a solid line where it began and where it
//! was complete. Each marked still has its untouched frame beside it (`goc-…`), then the
//! vehicle's and the plate's close-ups. Review and the notice list a bundle's pictures from
//! its manifest.

use crate::domain::ViolationKind;
use std::path::Path;

/// The plate close-up's file.
pub const PLATE_FILE: &str = "bien-so.jpg";
/// The vehicle close-up's file.
pub const VEHICLE_FILE: &str = "xe-phong-to.jpg";
/// The untouched frame of a marked still `NAME` is `goc-NAME`.
pub const ORIGINAL_PREFIX: &str = "goc-";

/// One still of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StillRole {
    pub file: String,
    /// The manifest's role (`before`, `at`, `after`, `stay-start`, …).
    pub role: String,
    /// What the still shows, for its data bar.
    pub title_vi: &'static str,
}

fn role(file: &str, role: &str, title_vi: &'static str) -> StillRole {
    StillRole {
        file: file.to_owned(),
        role: role.to_owned(),
        title_vi,
    }
}

/// The stills of a `kind` bundle with `count` moments (the rule's evidence moments).
pub fn still_roles(kind: ViolationKind, count: usize) -> Vec<StillRole> {
    let named: Vec<StillRole> = match kind {
        ViolationKind::RedLight => vec![
            role("1-truoc-vach.jpg", "before", "trước vạch dừng"),
            role("2-tai-vach.jpg", "at", "tại vạch dừng"),
            role("3-sau-vach.jpg", "after", "sau vạch dừng"),
        ],
        ViolationKind::IllegalStopping | ViolationKind::IllegalParking => vec![
            role("1-bat-dau-dung.jpg", "stay-start", "bắt đầu dừng, đỗ"),
            role(
                "2-qua-thoi-gian.jpg",
                "limit-passed",
                "quá thời gian cho phép",
            ),
        ],
        ViolationKind::Gathering | ViolationKind::Crowd => vec![
            role("1-bat-dau.jpg", "start", "bắt đầu tụ tập"),
            role(
                "2-qua-thoi-gian.jpg",
                "limit-passed",
                "quá thời gian cho phép",
            ),
        ],
        ViolationKind::WrongWay
        | ViolationKind::UnsafeTurn
        | ViolationKind::ImproperOvertaking
        | ViolationKind::Racing => vec![
            role("1-bat-dau.jpg", "entry", "lúc bắt đầu"),
            role("2-hoan-thanh.jpg", "exit", "lúc hoàn thành"),
        ],
        ViolationKind::CameraTampering => vec![
            role("1-truoc.jpg", "before", "trước"),
            role("2-sau.jpg", "after", "sau"),
        ],
        ViolationKind::WatchList => {
            vec![role("1-doc-bien-so.jpg", "plate-read", "lúc đọc biển số")]
        }
    };
    (0..count)
        .map(|i| {
            named
                .get(i)
                .cloned()
                .filter(|_| count == named.len())
                .unwrap_or_else(|| StillRole {
                    file: format!("anh-{}.jpg", i + 1),
                    role: format!("still-{}", i + 1),
                    title_vi: "",
                })
        })
        .collect()
}

/// The still the close-ups are cut from: the one at the line for a red light, else the first.
pub fn main_still(kind: ViolationKind, count: usize) -> usize {
    match kind {
        ViolationKind::RedLight if count == 3 => 1,
        _ => 0,
    }
}

/// Whether a bundle file of this role is a close-up (not a picture of the whole scene).
pub fn is_close_up(role: &str) -> bool {
    matches!(role, "plate" | "vehicle")
}

/// The pictures of a bundle to show or print, in the manifest's order, with their roles: the
/// marked stills and the close-ups (not the untouched frames, not the clip). An unreadable
/// manifest lists none.
pub fn bundle_pictures(bundle: &Path) -> Vec<(String, String)> {
    let Ok(bytes) = std::fs::read(bundle.join(super::MANIFEST)) else {
        return Vec::new();
    };
    let Ok(manifest) = serde_json::from_slice::<super::Manifest>(&bytes) else {
        return Vec::new();
    };
    manifest
        .files
        .into_iter()
        .filter(|f| f.role != "clip" && !f.role.starts_with("original"))
        .map(|f| (f.name, f.role))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stills_are_named_by_what_they_show() {
        let names =
            |kind, n| -> Vec<String> { still_roles(kind, n).into_iter().map(|r| r.file).collect() };
        assert_eq!(
            names(ViolationKind::RedLight, 3),
            ["1-truoc-vach.jpg", "2-tai-vach.jpg", "3-sau-vach.jpg"]
        );
        assert_eq!(
            names(ViolationKind::IllegalParking, 2),
            ["1-bat-dau-dung.jpg", "2-qua-thoi-gian.jpg"]
        );
        assert_eq!(
            names(ViolationKind::UnsafeTurn, 2),
            ["1-bat-dau.jpg", "2-hoan-thanh.jpg"]
        );
        // Another number of moments than the kind's: numbered.
        assert_eq!(
            names(ViolationKind::RedLight, 2),
            ["anh-1.jpg", "anh-2.jpg"]
        );
        assert_eq!(main_still(ViolationKind::RedLight, 3), 1);
        assert_eq!(main_still(ViolationKind::IllegalParking, 2), 0);
    }
}
