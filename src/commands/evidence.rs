//! `evidence build | verify`.

use super::{Setup, cli_actor};
use crate::cli::EvidenceCommand;
use crate::domain::{ObjectClass, ViolationKind};
use crate::evidence::{self, EvidenceEvent, EvidenceRequest, ModelInfo};
use crate::rules::Catalogue;
use crate::store::{NewAuditEntry, Store, StoredEvent};
use anyhow::{Context as _, bail};

pub fn run(command: &EvidenceCommand, setup: &Setup) -> anyhow::Result<()> {
    match command {
        EvidenceCommand::Build { event, out } => {
            let root = out
                .clone()
                .or_else(|| setup.config.evidence.dir.clone())
                .unwrap_or_else(|| setup.folders.default_evidence_dir());
            build(*event, &root, setup)
        }
        EvidenceCommand::Verify { path, trust } => {
            let mut trusted = Vec::new();
            let own = setup.folders.evidence_key();
            if own.exists() {
                trusted.push(evidence::load_or_create(&own)?.verifying_key());
            }
            for hex in setup.config.evidence.trusted_keys.iter().chain(trust) {
                match evidence::public_key(hex) {
                    Some(key) => trusted.push(key),
                    None => bail!("'{hex}' is not an Ed25519 public key (64 hex digits)"),
                }
            }
            let verified = evidence::verify(path, &trusted)?;
            println!(
                "evidence intact: {} files, signed by {} ({}), event {:?} of camera {}",
                verified.manifest.files.len(),
                verified.signer,
                verified.manifest.workstation,
                verified.manifest.event.kind,
                verified.manifest.event.camera
            );
            Ok(())
        }
    }
}

fn build(id: i64, root: &std::path::Path, setup: &Setup) -> anyhow::Result<()> {
    let mut store = Store::open(&setup.database)?;
    let Some(stored) = store.event(id)? else {
        bail!("event {id} is not in the database");
    };
    let removed = evidence::remove_partial(root);
    if removed > 0 {
        println!("removed {removed} half-written bundles left by a stop");
    }
    let (event, moments) = evidence_event(&stored)?;
    let camera = store
        .cameras()?
        .into_iter()
        .find(|c| c.code == event.camera);
    let junctions = store.junctions()?;
    let junction = camera
        .as_ref()
        .and_then(|c| c.junction_code.as_ref())
        .and_then(|code| junctions.iter().find(|j| &j.code == code));
    let event = EvidenceEvent {
        junction: junction.map(|j| j.code.clone()),
        ..event
    };
    let catalogue = Catalogue::bundled();
    let kind_name = catalogue
        .violation(event.kind)
        .map_or_else(|| format!("{:?}", event.kind), |v| v.name_vi.clone());
    let mut lines = vec![format!(
        "{} · camera {}",
        junction.map_or_else(|| event.camera.clone(), |j| j.name.clone()),
        event.camera
    )];
    let mut violation = kind_name;
    if let Some(clause) = &event.clause {
        violation.push_str(&format!(" · NĐ 168 điểm {clause}"));
    }
    lines.push(violation);
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
    lines.push(facts.join(" · "));
    let model_path = setup.models_dir.join("yolox-nano/yolox_nano.onnx");
    let model = evidence::ModelInfo {
        name: "yolox-nano".into(),
        sha256: String::new(),
    };
    let model = std::fs::read(&model_path).ok().map(|bytes| {
        use sha2::Digest as _;
        ModelInfo {
            sha256: evidence::to_hex(&sha2::Sha256::digest(bytes)),
            ..model
        }
    });
    let geometry_version = stored_detail(&stored)
        .get("geometry_version")
        .and_then(serde_json::Value::as_i64)
        .and_then(|v| i32::try_from(v).ok());
    let request = EvidenceRequest {
        event,
        moments_utc_ms: moments,
        bar_lines: lines,
        geometry_version,
        model,
        workstation: workstation(),
    };
    let key = evidence::load_or_create(&setup.folders.evidence_key())?;
    let segments = store.recordings()?;
    let path = evidence::build(&segments, &request, &key, root)
        .with_context(|| format!("evidence of event {id}"))?;
    store.append_audit(&NewAuditEntry {
        actor: cli_actor(),
        action: "evidence.build".into(),
        subject: id.to_string(),
        detail: serde_json::json!({ "path": path.to_string_lossy() }),
    })?;
    store.attach_evidence(id, &path.to_string_lossy(), &cli_actor())?;
    println!(
        "evidence of event {id}: {} (signed by {})",
        path.display(),
        evidence::fingerprint(&key.verifying_key())
    );
    Ok(())
}

fn stored_detail(stored: &StoredEvent) -> serde_json::Value {
    serde_json::from_str(&stored.detail).unwrap_or(serde_json::Value::Null)
}

/// The event as the manifest records it, and the moments of its stills (UTC ms).
fn evidence_event(stored: &StoredEvent) -> anyhow::Result<(EvidenceEvent, Vec<i64>)> {
    let detail = stored_detail(stored);
    let Some(at_utc_ms) = detail.get("at_utc_ms").and_then(serde_json::Value::as_i64) else {
        bail!(
            "event {} has no time on the wall clock (at_utc_ms), so its recording cannot be found",
            stored.id
        );
    };
    let kind: ViolationKind =
        serde_json::from_value(serde_json::Value::String(stored.kind.clone()))
            .with_context(|| format!("event {}: kind '{}'", stored.id, stored.kind))?;
    let class = ObjectClass::from_code(&stored.class)
        .with_context(|| format!("event {}: class '{}'", stored.id, stored.class))?;
    // Evidence moments are on the stream's clock; the event's two times place them.
    let offset = at_utc_ms - stored.stream_at_ms;
    let mut moments: Vec<i64> = detail
        .get("evidence_ms")
        .and_then(serde_json::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(serde_json::Value::as_i64)
                .map(|t| t + offset)
                .collect()
        })
        .unwrap_or_default();
    if moments.is_empty() {
        moments = vec![at_utc_ms - 1_000, at_utc_ms, at_utc_ms + 1_000];
    }
    let penalty = Catalogue::bundled().penalty(kind, class);
    Ok((
        EvidenceEvent {
            id: Some(stored.id),
            kind,
            camera: stored.camera_code.clone(),
            junction: None,
            place: stored.place.clone(),
            track: u64::try_from(stored.track).unwrap_or(0),
            class,
            at_utc_ms,
            time_into_red_ms: stored.time_into_red_ms,
            speed_kmh: detail.get("speed_kmh").and_then(serde_json::Value::as_f64),
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

fn class_vi(class: ObjectClass) -> &'static str {
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

/// This workstation's name.
fn workstation() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "workstation".into())
}
