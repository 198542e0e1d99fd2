//! Retention of recordings by tiers, and the disk-full guard. Continuous footage is kept
//! `continuous_days`; segments within ±6 s of an event are kept `event_days`; evidence bundles
//! are separate copies and are never touched here (they are kept until their legal period
//! ends, ND 168 Art. 4: one year, or a reviewer releases them). When the disk's free share
//! falls below `min_free`, the oldest continuous footage goes first, never event footage;
//! if that is not enough the report says so (an alarm for the console). Every deletion is
//! marked in the index and the audit log in one transaction before the file is removed, so a
//! crash in between leaves a row marked deleted whose file the next recovery removes.

use crate::store::RecordingRow;

/// How long each tier is kept.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetentionPolicy {
    pub continuous_days: f64,
    pub event_days: f64,
    /// Free share of the disk to keep (0.10 = 10 %).
    pub min_free: f64,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            continuous_days: 30.0,
            event_days: 90.0,
            min_free: 0.10,
        }
    }
}

/// Why a segment goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteReason {
    /// Older than its tier's period.
    Expired,
    /// The disk is nearly full and this is the oldest continuous footage.
    DiskFull,
}

impl DeleteReason {
    pub fn name(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::DiskFull => "disk-full",
        }
    }
}

/// What to delete, and whether the disk stays short of space afterwards.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrunePlan {
    pub deletions: Vec<(RecordingRow, DeleteReason)>,
    pub disk_low_after: bool,
}

/// Segments around an event are kept this much either side of it.
const EVENT_MARGIN_MS: i64 = 6_000;

/// Whether `row` holds footage of one of `events` (camera, UTC ms).
fn holds_event(row: &RecordingRow, events: &[(String, i64)]) -> bool {
    let end = row.ended_ms.unwrap_or(row.started_ms);
    events.iter().any(|(camera, at)| {
        *camera == row.camera_code
            && *at >= row.started_ms - EVENT_MARGIN_MS
            && *at <= end + EVENT_MARGIN_MS
    })
}

/// The deletions due at `now_ms`, given the events and the disk's (available, total) bytes.
pub fn plan(
    rows: &[RecordingRow],
    events: &[(String, i64)],
    now_ms: i64,
    disk: Option<(u64, u64)>,
    policy: &RetentionPolicy,
) -> PrunePlan {
    let day_ms = 86_400_000.0;
    let mut plan = PrunePlan::default();
    // Only finished segments are candidates; the open one is being written.
    let mut candidates: Vec<&RecordingRow> = rows
        .iter()
        .filter(|r| matches!(r.state.as_str(), "closed" | "recovered" | "lost"))
        .collect();
    candidates.sort_by_key(|r| r.started_ms);
    let mut kept = Vec::new();
    for row in candidates {
        let event = holds_event(row, events);
        let days = if event {
            policy.event_days
        } else {
            policy.continuous_days
        };
        let age_ms = (now_ms - row.ended_ms.unwrap_or(row.started_ms)) as f64;
        if age_ms > days * day_ms {
            plan.deletions.push((row.clone(), DeleteReason::Expired));
        } else {
            kept.push((row, event));
        }
    }
    if let Some((mut available, total)) = disk {
        for (row, _) in &plan.deletions {
            available += row.size_bytes.unwrap_or(0).max(0) as u64;
        }
        let needed = (total as f64 * policy.min_free) as u64;
        for (row, event) in kept {
            if available >= needed {
                break;
            }
            if event {
                continue; // never event footage
            }
            available += row.size_bytes.unwrap_or(0).max(0) as u64;
            plan.deletions.push((row.clone(), DeleteReason::DiskFull));
        }
        plan.disk_low_after = available < needed;
    }
    plan
}

/// What a prune did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PruneReport {
    pub deleted: Vec<(String, DeleteReason)>,
    pub freed_bytes: u64,
    /// The disk is still short of free space (only event footage or nothing left to delete).
    pub disk_low: bool,
}

/// Applies the policy to the recordings under `dir` (nothing is deleted when `dry_run`).
pub fn prune(
    store: &mut crate::store::Store,
    dir: &std::path::Path,
    policy: &RetentionPolicy,
    dry_run: bool,
    who: &crate::store::Principal,
) -> Result<PruneReport, super::RecordError> {
    let actor = who.name();
    // Rows under `dir`; one whose path leaves it once normalised (`dir/../../etc/x`, a forged
    // row) is never deleted: refused, logged and audited as a fault.
    let (rows, outside): (Vec<RecordingRow>, Vec<RecordingRow>) = store
        .recordings()?
        .into_iter()
        .filter(|r| std::path::Path::new(&r.path).starts_with(dir))
        .partition(|r| {
            crate::domain::safe_path::inside(dir, std::path::Path::new(&r.path)).is_some()
        });
    for row in &outside {
        tracing::error!(path = %row.path, dir = %dir.display(), "a recording row names a path outside the recordings folder; not deleted");
        if !dry_run {
            store.append_audit(&crate::store::NewAuditEntry {
                actor: actor.to_owned(),
                action: crate::domain::AuditAction::RecordingPathRefused,
                subject: row.path.clone(),
                detail: serde_json::json!({ "root": dir.to_string_lossy() }),
            })?;
        }
    }
    let events = store.event_times()?;
    let due = plan(
        &rows,
        &events,
        crate::clock::now_utc_ms(),
        disk_space(dir),
        policy,
    );
    let mut report = PruneReport {
        disk_low: due.disk_low_after,
        ..PruneReport::default()
    };
    for (row, reason) in due.deletions {
        report.freed_bytes += row.size_bytes.unwrap_or(0).max(0) as u64;
        if !dry_run {
            // The index and the audit log first; the file after (recovery finishes a deletion
            // a crash interrupted).
            store.recording_deleted(who, &row.path, reason.name())?;
            if let Err(e) = std::fs::remove_file(&row.path)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::error!(path = %row.path, error = %e, "cannot delete a recording");
            }
        }
        report.deleted.push((row.path, reason));
    }
    if report.disk_low {
        tracing::error!(dir = %dir.display(), "recordings disk nearly full and nothing more may be deleted");
        if !dry_run {
            store.append_audit(&crate::store::NewAuditEntry {
                actor: actor.to_owned(),
                action: crate::domain::AuditAction::RecordingDiskLow,
                subject: dir.to_string_lossy().into_owned(),
                detail: serde_json::json!({ "min_free": policy.min_free }),
            })?;
        }
    }
    Ok(report)
}

/// Available and total bytes of the file system holding `path`.
pub fn disk_space(path: &std::path::Path) -> Option<(u64, u64)> {
    use std::os::unix::ffi::OsStrExt as _;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
    let mut stats = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: `c_path` is a valid NUL-terminated string and `stats` points to writable memory
    // the size of a statvfs, which statvfs fills when it returns 0 (checked before reading).
    let stats = unsafe {
        if libc::statvfs(c_path.as_ptr(), stats.as_mut_ptr()) != 0 {
            return None;
        }
        stats.assume_init()
    };
    let block = stats.f_frsize as u64;
    Some((stats.f_bavail as u64 * block, stats.f_blocks as u64 * block))
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    fn row(id: i64, camera: &str, started_ms: i64, size: i64) -> RecordingRow {
        RecordingRow {
            id,
            camera_code: camera.into(),
            path: format!("/rec/{id}.mp4"),
            started_ms,
            ended_ms: Some(started_ms + 60_000),
            size_bytes: Some(size),
            units: Some(600),
            state: "closed".into(),
            lease_epoch: None,
        }
    }

    #[test]
    fn each_tier_is_kept_its_period() {
        let now = 100 * DAY;
        let rows = vec![
            row(1, "A", now - 40 * DAY, 10),           // continuous, too old
            row(2, "A", now - 40 * DAY + 120_000, 10), // holds an event: kept 90 days
            row(3, "A", now - 100 * DAY, 10),          // event footage past 90 days
            row(4, "A", now - DAY, 10),
            RecordingRow {
                state: "open".into(),
                ended_ms: None,
                ..row(5, "A", now - 50 * DAY, 10)
            },
        ];
        let events = vec![
            ("A".to_owned(), now - 40 * DAY + 150_000),
            ("A".to_owned(), now - 100 * DAY + 1_000),
            ("B".to_owned(), now - 40 * DAY + 1_000), // another camera's
        ];
        let due = plan(&rows, &events, now, None, &RetentionPolicy::default());
        let ids: Vec<i64> = due.deletions.iter().map(|(r, _)| r.id).collect();
        assert_eq!(ids, vec![3, 1]);
        assert!(
            due.deletions
                .iter()
                .all(|(_, why)| *why == DeleteReason::Expired)
        );
        assert!(!due.disk_low_after);
    }

    #[test]
    fn a_full_disk_loses_the_oldest_continuous_footage_never_an_event() {
        let now = 10 * DAY;
        let rows = vec![
            row(1, "A", now - 5 * DAY, 300), // holds an event
            row(2, "A", now - 4 * DAY, 300),
            row(3, "B", now - 3 * DAY, 300),
            row(4, "A", now - 2 * DAY, 300),
        ];
        let events = vec![("A".to_owned(), now - 5 * DAY + 10_000)];
        // 1000 bytes of disk, 50 free, 10 % wanted: two continuous segments must go.
        let due = plan(
            &rows,
            &events,
            now,
            Some((50, 1_000)),
            &RetentionPolicy::default(),
        );
        let ids: Vec<i64> = due.deletions.iter().map(|(r, _)| r.id).collect();
        assert_eq!(ids, vec![2]);
        assert!(!due.disk_low_after);
        // Nearly nothing free and only event footage left to spare: the guard says so.
        let due = plan(
            &rows[..1],
            &events,
            now,
            Some((0, 10_000)),
            &RetentionPolicy::default(),
        );
        assert!(due.deletions.is_empty());
        assert!(due.disk_low_after);
    }

    #[test]
    fn the_disk_of_this_machine_can_be_measured() {
        let (available, total) = disk_space(std::path::Path::new("/")).expect("statvfs");
        assert!(total > 0 && available <= total);
    }
}
