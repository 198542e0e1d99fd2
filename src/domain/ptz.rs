//! Steering a PTZ camera: speeds and positions in ONVIF's generic spaces (pan and tilt −1…1,
//! zoom 0…1 for positions, −1…1 for speeds), presets, the camera's reported state, and the
//! control lease that lets one operator at a time steer a camera.

use super::Role;

/// Pan, tilt and zoom together: a speed (each −1…1) or a position.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PtzVector {
    pub pan: f32,
    pub tilt: f32,
    pub zoom: f32,
}

impl PtzVector {
    pub const ZERO: Self = Self {
        pan: 0.0,
        tilt: 0.0,
        zoom: 0.0,
    };

    pub fn new(pan: f32, tilt: f32, zoom: f32) -> Self {
        Self { pan, tilt, zoom }
    }

    /// Each part held to −1…1 (a speed), NaN as 0.
    pub fn clamped(self) -> Self {
        let c = |v: f32| if v.is_nan() { 0.0 } else { v.clamp(-1.0, 1.0) };
        Self::new(c(self.pan), c(self.tilt), c(self.zoom))
    }

    pub fn is_zero(self) -> bool {
        self.pan == 0.0 && self.tilt == 0.0 && self.zoom == 0.0
    }
}

/// A position saved on the camera, by its token.
#[derive(Debug, Clone, PartialEq)]
pub struct PtzPreset {
    pub token: String,
    pub name: String,
}

/// What the camera says its motors are doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveState {
    Idle,
    Moving,
    /// The camera did not say.
    Unknown,
}

/// The camera's reply to a status request.
#[derive(Debug, Clone, PartialEq)]
pub struct PtzStatus {
    /// Where it points, when the camera reports it (some report only whether it moves).
    pub position: Option<PtzVector>,
    pub pan_tilt: MoveState,
    pub zoom: MoveState,
    /// The camera's own error text, if it gave one.
    pub error: Option<String>,
}

impl PtzStatus {
    pub fn is_moving(&self) -> bool {
        self.pan_tilt == MoveState::Moving || self.zoom == MoveState::Moving
    }
}

/// Whether `text` can be an ONVIF device service address: http or https with a host and no
/// user name or password (those go in `credentials.toml`); the reason when not.
pub fn check_onvif_url(text: &str) -> Result<(), String> {
    let Some((scheme, rest)) = text.split_once("://") else {
        return Err(format!(
            "'{text}' is not an address (http://host/onvif/device_service)"
        ));
    };
    if !matches!(scheme.to_ascii_lowercase().as_str(), "http" | "https") {
        return Err(format!(
            "'{text}': an ONVIF address is http or https, not {scheme}"
        ));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return Err(
            "the address carries a user name or password; put credentials in the credentials_ref column instead"
                .into(),
        );
    }
    if authority.is_empty() {
        return Err(format!("'{text}' names no host"));
    }
    Ok(())
}

/// A lease left this long without movement lapses (issue 18: 15 s).
pub const LEASE_IDLE_MS: i64 = 15_000;

/// Who controls a camera's motors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PtzLease {
    pub camera_code: String,
    /// The user (or service account) holding it.
    pub holder: String,
    pub role: Role,
    pub acquired_at_ms: i64,
    /// The holder's last command that moved the camera.
    pub last_movement_ms: i64,
}

impl PtzLease {
    /// Whether the lease still holds at `now_ms` (moved within [`LEASE_IDLE_MS`]).
    pub fn is_live(&self, now_ms: i64) -> bool {
        now_ms - self.last_movement_ms < LEASE_IDLE_MS
    }
}

/// Steering priority of a role: a higher one may take a camera over from a lower one; `None`
/// for a role that may not steer at all. The engine's preset tours rank lowest, so anyone
/// steering pauses them.
pub fn ptz_priority(role: Role) -> Option<u8> {
    match role {
        Role::Engine => Some(0),
        Role::Dispatcher => Some(1),
        Role::Supervisor | Role::Administrator => Some(2),
        Role::Reviewer | Role::Trainer => None,
    }
}

/// Whether `role` may take the lease `held` (someone else's) at `now_ms`: a lapsed lease is
/// free; a live one goes only to a strictly higher priority.
pub fn may_take_over(held: &PtzLease, role: Role, now_ms: i64) -> bool {
    if !held.is_live(now_ms) {
        return ptz_priority(role).is_some();
    }
    match (ptz_priority(role), ptz_priority(held.role)) {
        (Some(mine), Some(theirs)) => mine > theirs,
        (Some(_), None) => true,
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(role: Role, last: i64) -> PtzLease {
        PtzLease {
            camera_code: "C".into(),
            holder: "an".into(),
            role,
            acquired_at_ms: 0,
            last_movement_ms: last,
        }
    }

    #[test]
    fn a_live_lease_goes_only_to_a_higher_role_a_lapsed_one_to_anyone_who_steers() {
        let held = lease(Role::Dispatcher, 1_000);
        let live = 1_000 + LEASE_IDLE_MS - 1;
        assert!(!may_take_over(&held, Role::Dispatcher, live));
        assert!(may_take_over(&held, Role::Supervisor, live));
        assert!(!may_take_over(&held, Role::Reviewer, live));
        let lapsed = 1_000 + LEASE_IDLE_MS;
        assert!(may_take_over(&held, Role::Dispatcher, lapsed));
        assert!(!may_take_over(&held, Role::Trainer, lapsed));
        let tour = lease(Role::Engine, 1_000);
        assert!(
            may_take_over(&tour, Role::Dispatcher, live),
            "steering pauses a tour"
        );
        assert!(!may_take_over(&held, Role::Engine, live));
    }

    #[test]
    fn onvif_addresses_are_http_without_secrets() {
        assert!(check_onvif_url("http://10.27.0.5/onvif/device_service").is_ok());
        assert!(check_onvif_url("https://cam.local:8443/onvif/device_service").is_ok());
        assert!(check_onvif_url("rtsp://10.27.0.5/").is_err());
        assert!(check_onvif_url("http://admin:pw@10.27.0.5/onvif").is_err());
        assert!(check_onvif_url("http:///onvif").is_err());
        assert!(check_onvif_url("10.27.0.5").is_err());
    }

    #[test]
    fn speeds_are_held_to_their_range() {
        let v = PtzVector::new(2.0, -3.0, f32::NAN).clamped();
        assert_eq!(v, PtzVector::new(1.0, -1.0, 0.0));
        assert!(PtzVector::ZERO.is_zero() && !v.is_zero());
    }
}
