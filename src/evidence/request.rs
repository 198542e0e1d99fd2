//! The bundle of a stored event: what the manifest records (the event with its clause and
//! fine, the junction, the geometry and model versions), the data bar's lines, the moments of
//! the stills on the wall clock; then the build from the camera's recordings, attached to the
//! event and audited. Used by `evidence build` and by the console's review.

use super::{EvidenceError, EvidenceEvent, EvidenceRequest, ModelInfo, build, remove_partial};
use crate::domain::ObjectClass;
use crate::rules::Catalogue;
use crate::store::{NewAuditEntry, Store, StoredEvent};
use std::path::{Path, PathBuf};

/// Where a build finds its key and model and puts its bundle.
#[derive(Debug, Clone, PartialEq)]
pub struct EvidenceSetup {
    pub key_path: PathBuf,
    pub root: PathBuf,
    pub models_dir: PathBuf,
    /// Who the notices name (they are written to `root/notices/`).
    pub agency: crate::domain::Agency,
    /// Other workstations' public keys whose bundles are trusted (`[evidence] trusted_keys`).
    pub trusted_keys: Vec<String>,
    /// Where this workstation appends its signed audit checkpoints (`None`: it signs none).
    pub checkpoint_file: Option<PathBuf>,
}

impl EvidenceSetup {
    /// The keys a bundle may be signed with: this workstation's and the configured ones.
    pub fn trusted(&self) -> Vec<ed25519_dalek::VerifyingKey> {
        super::trusted_keys(&self.key_path, &self.trusted_keys)
    }

    /// This workstation's audit checkpoint signer (its evidence key), named `signer`; `None`
    /// (logged) when no file is set or the key cannot be loaded.
    pub fn checkpoint_signer(&self, signer: &str) -> Option<crate::store::CheckpointSigner> {
        let file = self.checkpoint_file.clone()?;
        match super::load_or_create(&self.key_path) {
            Ok(key) => Some(crate::store::CheckpointSigner {
                signer: signer.to_owned(),
                key,
                file,
            }),
            Err(e) => {
                tracing::error!(error = %e, "no audit checkpoints: the workstation key cannot be loaded");
                None
            }
        }
    }
}

fn event_error(id: i64, reason: String) -> EvidenceError {
    EvidenceError::Event { id, reason }
}

/// Builds the bundle of event `id`, attaches it and audits it as `who` (a reviewer, or an
/// engine), refused before anything is read for anyone else.
pub fn build_for_event(
    store: &mut Store,
    who: &crate::store::Principal,
    id: i64,
    setup: &EvidenceSetup,
) -> Result<PathBuf, EvidenceError> {
    use crate::domain::Permission;
    let actor = who
        .require_any(&[Permission::Review, Permission::RecordDetections])
        .map_err(EvidenceError::from)?
        .to_owned();
    let stored = store
        .event(id)?
        .ok_or_else(|| event_error(id, "is not in the database".into()))?;
    let removed = remove_partial(&setup.root);
    if removed > 0 {
        tracing::warn!(removed, "half-written evidence bundles removed");
    }
    let (event, moments) = evidence_event(&stored)?;
    let cameras = store.cameras()?;
    let junctions = store.junctions()?;
    let junction = cameras
        .iter()
        .find(|c| c.code == event.camera)
        .and_then(|c| c.junction_code.as_ref())
        .and_then(|code| junctions.iter().find(|j| &j.code == code));
    let event = EvidenceEvent {
        junction: junction.map(|j| j.code.clone()),
        ..event
    };
    let place = junction.map_or_else(|| event.camera.clone(), |j| j.name.clone());
    let marks = vehicle_marks(store, &event, &moments)?;
    let track_plate = match stored.plate_sighting_id {
        Some(sighting) => store.plate_sighting(who, sighting)?.map(|(s, close_up)| {
            super::bundle::TrackPlateEvidence {
                reading: s.reading,
                sightings: s.sightings,
                seen_at_ms: s.seen_at_ms,
                close_up,
            }
        }),
        None => None,
    };
    let request = EvidenceRequest {
        track_plate,
        vehicle_boxes: marks.boxes,
        signal_lines: marks.signals,
        track_path: marks.path,
        vehicle_label: format!("xe {} · đối tượng {}", class_vi(event.class), event.track),
        bar_lines: bar_lines(&event, &place),
        moments_utc_ms: moments,
        geometry_version: stored.detail.geometry_version,
        model: model_info(&setup.models_dir),
        workstation: workstation(),
        event,
    };
    let key = super::load_or_create(&setup.key_path)?;
    let segments = store.recordings()?;
    let plates = match crate::plates::PlateReader::load(&setup.models_dir) {
        Ok(reader) => Some(reader),
        Err(e) => {
            tracing::warn!(error = %e, "no plate close-up or reading in this bundle");
            None
        }
    };
    let path = build(&segments, &request, &key, &setup.root, plates.as_ref())?;
    store.append_audit(&NewAuditEntry {
        actor: actor.to_owned(),
        action: crate::domain::AuditAction::EvidenceBuild,
        subject: id.to_string(),
        detail: serde_json::json!({
            "path": path.to_string_lossy(),
            "signer": super::fingerprint(&key.verifying_key()),
        }),
    })?;
    store.attach_evidence(who, id, &path.to_string_lossy())?;
    Ok(path)
}

/// What the console recorded of the violating vehicle around the event: its box nearest each
/// still's moment (within 0.6 s), the approach's signal then, and its track's path.
struct Marks {
    boxes: Vec<Option<[f32; 4]>>,
    signals: Vec<Option<String>>,
    path: Vec<[f32; 2]>,
}

fn vehicle_marks(
    store: &mut Store,
    event: &EvidenceEvent,
    moments: &[i64],
) -> Result<Marks, EvidenceError> {
    let (first, last) = (
        moments.iter().copied().min().unwrap_or(event.at_utc_ms),
        moments.iter().copied().max().unwrap_or(event.at_utc_ms),
    );
    let overlays = store.overlays_between(
        std::slice::from_ref(&event.camera),
        first - 2_000,
        last + 2_000,
    )?;
    let share = |o: &crate::domain::overlay::RecordedOverlay, b: [f32; 4]| {
        let (w, h) = (o.width.max(1) as f32, o.height.max(1) as f32);
        [b[0] / w, b[1] / h, b[2] / w, b[3] / h]
    };
    let nearest = |at: i64| {
        overlays
            .iter()
            .filter(|o| (o.at_ms - at).abs() <= 600)
            .min_by_key(|o| (o.at_ms - at).abs())
    };
    let mut boxes = Vec::new();
    let mut signals = Vec::new();
    for &at in moments {
        let overlay = nearest(at);
        boxes.push(overlay.and_then(|o| {
            let b = o
                .boxes
                .iter()
                .find(|b| b.track == Some(event.track))
                .or_else(|| o.boxes.iter().find(|b| b.flagged))?;
            Some(share(o, b.bbox))
        }));
        signals.push(overlay.and_then(|o| {
            let place = event.place.as_deref()?;
            let s = o.signals.iter().find(|s| s.approach == place)?;
            let since = s
                .since_ms
                .map(|since| format!(", đã {:.1} s", (o.at_ms - since) as f64 / 1000.0))
                .unwrap_or_default()
                .replace('.', ",");
            Some(format!(
                "Đèn hướng {} (nhóm {}): {}{since}",
                s.approach,
                s.group,
                colour_vi(s.colour)
            ))
        }));
    }
    let path = overlays
        .iter()
        .filter_map(|o| {
            let b = o.boxes.iter().find(|b| b.track == Some(event.track))?;
            let s = share(o, b.bbox);
            Some([(s[0] + s[2]) / 2.0, s[3]])
        })
        .collect();
    Ok(Marks {
        boxes,
        signals,
        path,
    })
}

fn colour_vi(colour: crate::domain::signal::SignalColour) -> &'static str {
    use crate::domain::signal::SignalColour;
    match colour {
        SignalColour::Red => "đỏ",
        SignalColour::Amber => "vàng",
        SignalColour::Green => "xanh",
        SignalColour::FlashingAmber => "vàng nhấp nháy",
        SignalColour::Off => "tắt",
        SignalColour::Unknown => "không rõ",
    }
}

/// The data bar below each still (its first line, the still's own time, is added per still).
fn bar_lines(event: &EvidenceEvent, place: &str) -> Vec<String> {
    let catalogue = Catalogue::bundled();
    let act = event.act.unwrap_or_else(|| event.kind.default_act());
    let mut violation = catalogue.act_name_vi(act).to_owned();
    if let Some(clause) = &event.clause {
        violation.push_str(&format!(" · {}", crate::rules::full_citation(clause)));
    }
    let mut facts = Vec::new();
    if let Some(ms) = event.time_into_red_ms {
        facts.push(format!("đèn đỏ đã {:.1} s", ms as f64 / 1000.0).replace('.', ","));
    }
    if let Some(kmh) = event.speed_kmh {
        facts.push(format!("tốc độ {kmh:.0} km/h"));
    }
    facts.push(format!(
        "xe {} · đối tượng {}",
        class_vi(event.class),
        event.track
    ));
    vec![
        format!("{place} · camera {}", event.camera),
        violation,
        facts.join(" · "),
    ]
}

fn model_info(models_dir: &Path) -> Option<ModelInfo> {
    let path = models_dir.join(crate::detect::detector::YOLOX_NANO_FILE);
    // The detector runs the file when there is one, else the copy built into the program.
    let sha256 = if path.is_file() {
        super::manifest::file_sha256(&path).ok()?.0
    } else {
        crate::detect::detector::sha256_hex(crate::detect::bundled::YOLOX_NANO)
    };
    Some(ModelInfo {
        name: "yolox-nano".into(),
        sha256,
    })
}

/// The event as the manifest records it, and the moments of its stills (UTC ms).
fn evidence_event(stored: &StoredEvent) -> Result<(EvidenceEvent, Vec<i64>), EvidenceError> {
    let id = stored.id;
    let at_utc_ms = stored.at_utc_ms().ok_or_else(|| {
        event_error(
            id,
            "has no time on the wall clock (at_utc_ms), so its recording cannot be found".into(),
        )
    })?;
    let (kind, class) = (stored.kind, stored.class);
    // Evidence moments are on the stream's clock; the event's two times place them.
    let offset = at_utc_ms - stored.stream_at_ms;
    let mut moments: Vec<i64> = stored
        .detail
        .evidence_ms
        .iter()
        .map(|t| t + offset)
        .collect();
    if moments.is_empty() {
        moments = vec![at_utc_ms - 1_000, at_utc_ms, at_utc_ms + 1_000];
    }
    // A red light's stills a second either side of the line at least, so that the three
    // pictures show the vehicle before, on and past it.
    if kind == crate::domain::ViolationKind::RedLight && moments.len() == 3 {
        moments[0] = moments[0].min(at_utc_ms - 1_000);
        moments[2] = moments[2].max(at_utc_ms + 1_000);
    }
    let penalty = Catalogue::bundled().penalty(stored.act(), class);
    Ok((
        EvidenceEvent {
            id: Some(id),
            kind,
            act: Some(stored.act()),
            camera: stored.camera_code.clone(),
            junction: None,
            place: stored.place.clone(),
            track: u64::try_from(stored.track).unwrap_or(0),
            class,
            at_utc_ms,
            time_into_red_ms: stored.time_into_red_ms,
            speed_kmh: stored.detail.speed_kmh,
            clause: stored
                .clause
                .clone()
                .or_else(|| penalty.map(|p| p.clause.clone())),
            fine_min_vnd: penalty.map(|p| p.fine_min_vnd),
            fine_max_vnd: penalty.map(|p| p.fine_max_vnd),
            points: penalty.map(|p| p.points),
        },
        moments,
    ))
}

pub fn class_vi(class: ObjectClass) -> &'static str {
    match class {
        ObjectClass::Car => "ô tô",
        ObjectClass::Motorbike => "mô tô",
        ObjectClass::Bus => "xe buýt",
        ObjectClass::Truck => "xe tải",
        ObjectClass::Bicycle => "xe đạp",
        ObjectClass::Person => "người",
        ObjectClass::TrafficLight => "đèn tín hiệu",
    }
}

pub use crate::host::workstation;
