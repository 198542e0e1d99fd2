//! A stored, confirmed violation as the notice and the portal show it: the portal row (plate,
//! colour, vehicle type, time, place, the clause's wording) and everything the notice prints
//! (fine, points, measurements, the operator, the stills from the evidence bundle, the
//! deadlines). Used by the command line and by the console.

use super::{Agency, NoticeInput, PortalRow};
use crate::domain::{ObjectClass, PlateColour, deadlines};
use crate::rules::Catalogue;
use crate::store::{Store, StoredEvent};

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("event {id} {reason}")]
    Event { id: i64, reason: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

fn vehicle_type(class: ObjectClass) -> &'static str {
    match class {
        ObjectClass::Car => "Ô tô",
        ObjectClass::Bus => "Ô tô khách",
        ObjectClass::Truck => "Ô tô tải",
        ObjectClass::Motorbike => "Mô tô, xe gắn máy",
        ObjectClass::Bicycle => "Xe đạp",
        _ => "Khác",
    }
}

/// When it happened, as the portal writes it: `HH:MM, DD/MM/YYYY` (Vietnam time).
fn portal_time(event: &StoredEvent) -> String {
    let at = event.at_utc_ms().unwrap_or(event.raised_at_ms);
    let local = crate::clock::vietnam_datetime(at); // YYYY-MM-DD HH:MM:SS
    format!(
        "{}, {}/{}/{}",
        &local[11..16],
        &local[8..10],
        &local[5..7],
        &local[..4]
    )
}

pub fn portal_row(store: &mut Store, event: &StoredEvent) -> Result<PortalRow, ComposeError> {
    let kind = event.kind;
    let catalogue = Catalogue::bundled();
    let act = event.act();
    let penalty = catalogue.penalty(act, event.class);
    // The act as a reviewer writes it, then the point in the decree's own form.
    let violation = match penalty {
        Some(p) => format!(
            "{} ({})",
            catalogue.act_name_vi(act),
            crate::rules::full_citation(&p.clause)
        ),
        None => catalogue
            .violation(kind)
            .map_or_else(|| kind.code().to_owned(), |v| v.name_vi.clone()),
    };
    let cameras = store.cameras()?;
    let junctions = store.junctions()?;
    let camera = cameras.iter().find(|c| c.code == event.camera_code);
    let junction = camera
        .and_then(|c| c.junction_code.as_ref())
        .and_then(|code| junctions.iter().find(|j| &j.code == code));
    let place = match junction {
        Some(j) => format!("{}, {}, tỉnh Điện Biên", j.name, j.ward),
        None => camera.map_or_else(|| event.camera_code.clone(), |c| c.name.clone()),
    };
    Ok(PortalRow {
        plate: event.plate_text.clone().unwrap_or_default(),
        plate_colour: event
            .plate_colour
            .as_deref()
            .and_then(PlateColour::from_code)
            .map_or_else(String::new, |c| c.name_vi().to_owned()),
        vehicle_type: vehicle_type(event.class).to_owned(),
        time: portal_time(event),
        place,
        violation,
        status: "Chưa xử phạt".into(),
        detecting_unit: String::new(),
        resolving_unit: String::new(),
    })
}

/// What the notice of confirmed `event` says and shows. Its evidence bundle is checked first
/// (signed by a key in `trusted`, every file intact, made for this event): a notice is never
/// made from a missing or altered bundle.
pub fn notice_input(
    store: &mut Store,
    event: &StoredEvent,
    agency: &Agency,
    trusted: &[ed25519_dalek::VerifyingKey],
) -> Result<NoticeInput, ComposeError> {
    let row = portal_row(store, event)?.with_agency(agency);
    let penalty = Catalogue::bundled().penalty(event.act(), event.class);
    let money = |v: u64| {
        let digits = v.to_string();
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push('.');
            }
            out.push(c);
        }
        out
    };
    let fine = penalty.map_or_else(
        || "—".to_owned(),
        |p| {
            format!(
                "Từ {} đồng đến {} đồng",
                money(p.fine_min_vnd),
                money(p.fine_max_vnd)
            )
        },
    );
    let points = penalty.map_or_else(
        || "—".to_owned(),
        |p| {
            if p.points > 0 {
                format!("{} điểm", p.points)
            } else {
                "Không".to_owned()
            }
        },
    );
    let mut measurements = Vec::new();
    if let Some(ms) = event.time_into_red_ms {
        measurements
            .push(format!("đèn đỏ đã bật {:.1} giây", ms as f64 / 1000.0).replace('.', ","));
    }
    if let Some(kmh) = event.detail.speed_kmh {
        measurements.push(format!("tốc độ qua vạch dừng {kmh:.0} km/h"));
    }
    let Some(bundle) = event.evidence_path.as_deref() else {
        return Err(ComposeError::Event {
            id: event.id,
            reason: "has no evidence bundle".into(),
        });
    };
    let bundle = std::path::Path::new(bundle);
    crate::evidence::verify_for_event(bundle, event.id, trusted).map_err(|e| {
        ComposeError::Event {
            id: event.id,
            reason: format!("has evidence that fails its check, so no notice is made: {e}"),
        }
    })?;
    let mut stills = Vec::new();
    for (name, _) in crate::evidence::bundle_pictures(bundle) {
        if let Ok(bytes) = std::fs::read(bundle.join(&name)) {
            stills.push((bytes, name));
        }
    }
    let manifest_sha = crate::evidence::file_sha256(&bundle.join(crate::evidence::MANIFEST))
        .map(|(sha, _)| sha)
        .unwrap_or_default();
    let confirmed = event
        .reviewed_at_ms
        .unwrap_or_else(crate::clock::now_utc_ms);
    let d = deadlines(confirmed, event.notice_at_ms);
    Ok(NoticeInput {
        number: format!(
            "{}/TB-VPHC-{}",
            event.id,
            &crate::clock::vietnam_datetime(confirmed)[..4]
        ),
        row,
        fine,
        points,
        measurements,
        camera: event.camera_code.clone(),
        operator: event.reviewer.clone().unwrap_or_default(),
        stills,
        evidence: format!(
            "{} (manifest SHA-256 {manifest_sha})",
            bundle
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
        ),
        deadlines: vec![
            format!(
                "Xác minh chủ phương tiện trước: {}",
                crate::clock::vietnam_datetime(d.identify_owner_by_ms)
            ),
            format!(
                "Quá 20 ngày không giải quyết (đến {}) sẽ thông báo cơ quan đăng ký, đăng kiểm.",
                crate::clock::vietnam_datetime(d.escalate_by_ms)
            ),
        ],
        issued: {
            let today = crate::clock::vietnam_datetime(crate::clock::now_utc_ms());
            format!(
                "ngày {} tháng {} năm {}",
                &today[8..10],
                &today[5..7],
                &today[..4]
            )
        },
    })
}
