//! An ONVIF camera: its device service (clock, capabilities), media service (profiles, stream
//! and snapshot addresses) and PTZ service (moves, stop, status, presets, home), spoken with
//! our own SOAP client (`soap.rs`) on `reqwest` and `quick-xml`. Field quirks respected: the
//! optional coordinate-space attributes are left out (some cameras refuse them), a stop is a
//! zero-speed move as well as `Stop`, the WS-Security time is on the camera's clock.

use super::backend::{PtzBackend, PtzCapabilities, PtzError};
use super::soap::{Credentials, SoapClient};
use super::xml::{Element, escape};
use crate::domain::ptz::{MoveState, PtzPreset, PtzStatus, PtzVector};
use std::time::Duration;

const DEVICE: &str = r#"xmlns:tds="http://www.onvif.org/ver10/device/wsdl""#;
const MEDIA: &str = r#"xmlns:trt="http://www.onvif.org/ver10/media/wsdl""#;
const PTZ: &str = r#"xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl""#;
/// ONVIF's field-of-view translation space (click-to-centre).
const FOV_SPACE: &str = "http://www.onvif.org/ver10/tptz/PanTiltSpaces/TranslationSpaceFov";

/// How long one request may take before the camera counts as not answering.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(3);

/// A camera's media profile.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaProfile {
    pub token: String,
    pub name: String,
    /// Whether the profile carries a PTZ configuration.
    pub ptz: bool,
}

/// An ONVIF camera, connected: the addresses of its services, the profile steered, its
/// clock's offset and what its PTZ node supports.
pub struct OnvifCamera {
    runtime: tokio::runtime::Runtime,
    soap: SoapClient,
    pub device_url: String,
    pub media_url: Option<String>,
    pub ptz_url: Option<String>,
    pub profiles: Vec<MediaProfile>,
    /// The profile moves and presets apply to.
    pub profile: Option<String>,
    capabilities: PtzCapabilities,
}

fn number(value: Option<&str>) -> Option<f32> {
    value.and_then(|v| v.trim().parse::<f32>().ok())
}

fn move_state(text: Option<&str>) -> MoveState {
    match text.map(|t| t.trim().to_ascii_uppercase()) {
        Some(t) if t == "MOVING" => MoveState::Moving,
        Some(t) if t == "IDLE" => MoveState::Idle,
        _ => MoveState::Unknown,
    }
}

/// `<tt:PanTilt x y/><tt:Zoom x/>` of a vector, without space attributes.
fn vector_xml(v: PtzVector) -> String {
    format!(
        r#"<tt:PanTilt x="{}" y="{}"/><tt:Zoom x="{}"/>"#,
        v.pan, v.tilt, v.zoom
    )
}

/// An xs:duration of whole or tenths of seconds (`PT1S`, `PT0.5S`).
fn duration_xml(d: Duration) -> String {
    let tenths = (d.as_millis() / 100).max(1);
    if tenths.is_multiple_of(10) {
        format!("PT{}S", tenths / 10)
    } else {
        format!("PT{}.{}S", tenths / 10, tenths % 10)
    }
}

/// The camera's UTC clock from a `GetSystemDateAndTimeResponse`, as UTC ms.
fn camera_clock(reply: &Element) -> Option<i64> {
    let utc = reply.find("UTCDateTime")?;
    let date = utc.find("Date")?;
    let time = utc.find("Time")?;
    let part = |e: &Element, name: &str| e.text_of(name)?.parse::<u32>().ok();
    crate::clock::utc_ms_of(
        i64::from(part(date, "Year")?),
        part(date, "Month")?,
        part(date, "Day")?,
        part(time, "Hour")?,
        part(time, "Minute")?,
        part(time, "Second")?,
    )
}

/// A PTZ node's capabilities from `GetNodesResponse`.
fn node_capabilities(reply: &Element) -> PtzCapabilities {
    let Some(node) = reply.find("PTZNode") else {
        return PtzCapabilities::default();
    };
    let spaces = node.find("SupportedPTZSpaces");
    let has = |name: &str| spaces.and_then(|s| s.find(name)).is_some();
    let mut relative = Vec::new();
    if let Some(s) = spaces {
        s.find_all("RelativePanTiltTranslationSpace", &mut relative);
    }
    PtzCapabilities {
        relative: !relative.is_empty() || has("RelativeZoomTranslationSpace"),
        absolute: has("AbsolutePanTiltPositionSpace") || has("AbsoluteZoomPositionSpace"),
        field_of_view_move: relative.iter().any(|s| s.text_of("URI") == Some(FOV_SPACE)),
        home: node
            .text_of("HomeSupported")
            .is_some_and(|t| t.eq_ignore_ascii_case("true") || t == "1"),
        max_presets: node
            .text_of("MaximumNumberOfPresets")
            .and_then(|t| t.parse().ok()),
    }
}

impl OnvifCamera {
    /// Connects to the device service at `device_url`: reads the camera's clock first (so the
    /// password digest carries the camera's time), then its services, media profiles and PTZ
    /// node. A camera without a PTZ service still connects (its stream addresses can be read).
    pub fn connect(
        device_url: &str,
        credentials: Option<Credentials>,
        timeout: Duration,
    ) -> Result<Self, PtzError> {
        let unreachable = |reason: String| PtzError::Unreachable {
            url: device_url.to_owned(),
            reason,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| unreachable(format!("no network runtime: {e}")))?;
        let soap = SoapClient::new(credentials, timeout).map_err(unreachable)?;
        let mut camera = Self {
            runtime,
            soap,
            device_url: device_url.to_owned(),
            media_url: None,
            ptz_url: None,
            profiles: Vec::new(),
            profile: None,
            capabilities: PtzCapabilities::default(),
        };
        camera.read_clock()?;
        camera.read_services()?;
        camera.read_profiles()?;
        if camera.ptz_url.is_some() {
            camera.capabilities = camera.read_node().unwrap_or_default();
        }
        Ok(camera)
    }

    /// The camera's clock minus ours, in milliseconds (read at connection).
    pub fn clock_offset_ms(&self) -> i64 {
        self.soap.clock_offset_ms
    }

    fn call(&self, url: &str, operation: &'static str, body: String) -> Result<Element, PtzError> {
        self.runtime
            .block_on(self.soap.call(url, operation, &body, true))
    }

    fn read_clock(&mut self) -> Result<(), PtzError> {
        let body = format!("<tds:GetSystemDateAndTime {DEVICE}/>");
        let asked_at = crate::clock::now_utc_ms();
        let reply = self.runtime.block_on(self.soap.call(
            &self.device_url,
            "GetSystemDateAndTime",
            &body,
            false,
        ));
        match reply {
            Ok(reply) => {
                if let Some(camera_ms) = camera_clock(&reply) {
                    let now = (asked_at + crate::clock::now_utc_ms()) / 2;
                    self.soap.clock_offset_ms = camera_ms - now;
                    if self.soap.clock_offset_ms.abs() > 60_000 {
                        tracing::warn!(
                            camera = %self.device_url,
                            offset = %crate::clock::describe_offset(self.soap.clock_offset_ms),
                            "the camera's clock is off; its time is used to sign requests"
                        );
                    }
                }
                Ok(())
            }
            // Some cameras want credentials even for their clock: go on with ours.
            Err(PtzError::Unauthorised { .. }) | Err(PtzError::Fault { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn read_services(&mut self) -> Result<(), PtzError> {
        let body = format!(
            "<tds:GetCapabilities {DEVICE}><tds:Category>All</tds:Category></tds:GetCapabilities>"
        );
        let device_url = self.device_url.clone();
        match self.call(&device_url, "GetCapabilities", body) {
            Ok(reply) => {
                let xaddr = |service: &str| {
                    reply
                        .find("Capabilities")
                        .and_then(|c| c.child(service))
                        .and_then(|s| s.text_of("XAddr"))
                        .filter(|x| !x.is_empty())
                        .map(str::to_owned)
                };
                self.media_url = xaddr("Media");
                self.ptz_url = xaddr("PTZ");
                Ok(())
            }
            Err(PtzError::Fault { .. }) => self.read_services_list(),
            Err(e) => Err(e),
        }
    }

    /// `GetServices`, for cameras that answer it and not `GetCapabilities`.
    fn read_services_list(&mut self) -> Result<(), PtzError> {
        let body = format!(
            "<tds:GetServices {DEVICE}><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>"
        );
        let device_url = self.device_url.clone();
        let reply = self.call(&device_url, "GetServices", body)?;
        let mut services = Vec::new();
        reply.find_all("Service", &mut services);
        for service in services {
            let (Some(namespace), Some(xaddr)) =
                (service.text_of("Namespace"), service.text_of("XAddr"))
            else {
                continue;
            };
            if namespace.ends_with("/media/wsdl") && namespace.contains("ver10") {
                self.media_url = Some(xaddr.to_owned());
            } else if namespace.ends_with("/ptz/wsdl") {
                self.ptz_url = Some(xaddr.to_owned());
            }
        }
        Ok(())
    }

    fn media(&self) -> Result<&str, PtzError> {
        self.media_url.as_deref().ok_or(PtzError::Unsupported {
            url: self.device_url.clone(),
            what: "give media profiles (no media service)",
        })
    }

    fn ptz(&self) -> Result<(&str, &str), PtzError> {
        let unsupported = |what| PtzError::Unsupported {
            url: self.device_url.clone(),
            what,
        };
        let url = self
            .ptz_url
            .as_deref()
            .ok_or_else(|| unsupported("pan, tilt or zoom (no PTZ service)"))?;
        let profile = self
            .profile
            .as_deref()
            .ok_or_else(|| unsupported("pan, tilt or zoom (no media profile)"))?;
        Ok((url, profile))
    }

    fn read_profiles(&mut self) -> Result<(), PtzError> {
        let Ok(media) = self.media().map(str::to_owned) else {
            return Ok(());
        };
        let reply = self.call(&media, "GetProfiles", format!("<trt:GetProfiles {MEDIA}/>"))?;
        let mut found = Vec::new();
        reply.find_all("Profiles", &mut found);
        self.profiles = found
            .iter()
            .filter_map(|p| {
                Some(MediaProfile {
                    token: p.attribute("token")?.to_owned(),
                    name: p
                        .child("Name")
                        .map(|n| n.text.trim().to_owned())
                        .unwrap_or_default(),
                    ptz: p.child("PTZConfiguration").is_some(),
                })
            })
            .collect();
        self.profile = self
            .profiles
            .iter()
            .find(|p| p.ptz)
            .or(self.profiles.first())
            .map(|p| p.token.clone());
        Ok(())
    }

    fn read_node(&self) -> Result<PtzCapabilities, PtzError> {
        let (url, _) = self.ptz()?;
        let reply = self.call(url, "GetNodes", format!("<tptz:GetNodes {PTZ}/>"))?;
        Ok(node_capabilities(&reply))
    }

    /// The RTSP address of the steered profile's stream.
    pub fn stream_uri(&self) -> Result<String, PtzError> {
        let media = self.media()?;
        let profile = self.profile.as_deref().unwrap_or_default();
        let body = format!(
            "<trt:GetStreamUri {MEDIA}><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream><tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup><trt:ProfileToken>{}</trt:ProfileToken></trt:GetStreamUri>",
            escape(profile)
        );
        let reply = self.call(media, "GetStreamUri", body)?;
        self.uri_of(&reply, "GetStreamUri")
    }

    /// The HTTP address of the steered profile's snapshot.
    pub fn snapshot_uri(&self) -> Result<String, PtzError> {
        let media = self.media()?;
        let profile = self.profile.as_deref().unwrap_or_default();
        let body = format!(
            "<trt:GetSnapshotUri {MEDIA}><trt:ProfileToken>{}</trt:ProfileToken></trt:GetSnapshotUri>",
            escape(profile)
        );
        let reply = self.call(media, "GetSnapshotUri", body)?;
        self.uri_of(&reply, "GetSnapshotUri")
    }

    fn uri_of(&self, reply: &Element, operation: &'static str) -> Result<String, PtzError> {
        reply
            .text_of("Uri")
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| PtzError::Malformed {
                url: self.device_url.clone(),
                operation,
                reason: "no Uri in the reply".into(),
            })
    }

    fn ptz_call(&self, operation: &'static str, inner: &str) -> Result<Element, PtzError> {
        let (url, profile) = self.ptz()?;
        let body = format!(
            "<tptz:{operation} {PTZ}><tptz:ProfileToken>{}</tptz:ProfileToken>{inner}</tptz:{operation}>",
            escape(profile)
        );
        self.call(url, operation, body)
    }
}

impl PtzBackend for OnvifCamera {
    fn capabilities(&self) -> &PtzCapabilities {
        &self.capabilities
    }

    fn status(&mut self) -> Result<PtzStatus, PtzError> {
        let reply = self.ptz_call("GetStatus", "")?;
        let status = reply.find("PTZStatus").ok_or_else(|| PtzError::Malformed {
            url: self.device_url.clone(),
            operation: "GetStatus",
            reason: "no PTZStatus in the reply".into(),
        })?;
        let position = status.child("Position").map(|p| {
            let pan_tilt = p.child("PanTilt");
            PtzVector::new(
                number(pan_tilt.and_then(|e| e.attribute("x"))).unwrap_or(0.0),
                number(pan_tilt.and_then(|e| e.attribute("y"))).unwrap_or(0.0),
                number(p.child("Zoom").and_then(|e| e.attribute("x"))).unwrap_or(0.0),
            )
        });
        let moves = status.child("MoveStatus");
        // Old firmware puts one word in MoveStatus for both motors.
        let single = moves
            .filter(|m| m.children.is_empty())
            .map(|m| m.text.as_str());
        let part = |name: &str| {
            moves
                .and_then(|m| m.child(name))
                .map(|e| e.text.as_str())
                .or(single)
        };
        Ok(PtzStatus {
            position,
            pan_tilt: move_state(part("PanTilt")),
            zoom: move_state(part("Zoom")),
            error: status
                .child("Error")
                .map(|e| e.text.trim().to_owned())
                .filter(|e| !e.is_empty() && e != "NO error"),
        })
    }

    fn continuous_move(&mut self, speed: PtzVector, timeout: Duration) -> Result<(), PtzError> {
        let inner = format!(
            "<tptz:Velocity>{}</tptz:Velocity><tptz:Timeout>{}</tptz:Timeout>",
            vector_xml(speed.clamped()),
            duration_xml(timeout)
        );
        self.ptz_call("ContinuousMove", &inner).map(drop)
    }

    fn stop(&mut self) -> Result<(), PtzError> {
        // Some cameras ignore Stop while a continuous move runs; a zero-speed move stops them.
        let zero = self.continuous_move(PtzVector::ZERO, Duration::from_secs(1));
        let stop = self
            .ptz_call(
                "Stop",
                "<tptz:PanTilt>true</tptz:PanTilt><tptz:Zoom>true</tptz:Zoom>",
            )
            .map(drop);
        match (zero, stop) {
            (Err(e), Err(_)) => Err(e),
            _ => Ok(()),
        }
    }

    fn relative_move(&mut self, by: PtzVector, in_view: bool) -> Result<(), PtzError> {
        if in_view && !self.capabilities.field_of_view_move {
            return Err(PtzError::Unsupported {
                url: self.device_url.clone(),
                what: "centre on a point of the picture (no field-of-view space)",
            });
        }
        if !in_view && !self.capabilities.relative {
            return Err(PtzError::Unsupported {
                url: self.device_url.clone(),
                what: "move by a step (no relative space)",
            });
        }
        // The field-of-view space is the one attribute that must be named: it changes what
        // the numbers mean.
        let pan_tilt = if in_view {
            format!(
                r#"<tt:PanTilt x="{}" y="{}" space="{FOV_SPACE}"/>"#,
                by.pan, by.tilt
            )
        } else {
            format!(r#"<tt:PanTilt x="{}" y="{}"/>"#, by.pan, by.tilt)
        };
        let inner = format!(
            r#"<tptz:Translation>{pan_tilt}<tt:Zoom x="{}"/></tptz:Translation>"#,
            by.zoom
        );
        self.ptz_call("RelativeMove", &inner).map(drop)
    }

    fn absolute_move(&mut self, to: PtzVector) -> Result<(), PtzError> {
        let inner = format!("<tptz:Position>{}</tptz:Position>", vector_xml(to));
        self.ptz_call("AbsoluteMove", &inner).map(drop)
    }

    fn presets(&mut self) -> Result<Vec<PtzPreset>, PtzError> {
        let reply = self.ptz_call("GetPresets", "")?;
        let mut found = Vec::new();
        reply.find_all("Preset", &mut found);
        Ok(found
            .iter()
            .filter_map(|p| {
                Some(PtzPreset {
                    token: p.attribute("token")?.to_owned(),
                    name: p
                        .child("Name")
                        .map(|n| n.text.trim().to_owned())
                        .unwrap_or_default(),
                })
            })
            .collect())
    }

    fn goto_preset(&mut self, token: &str) -> Result<(), PtzError> {
        let inner = format!("<tptz:PresetToken>{}</tptz:PresetToken>", escape(token));
        self.ptz_call("GotoPreset", &inner).map(drop)
    }

    fn set_preset(&mut self, name: &str, token: Option<&str>) -> Result<String, PtzError> {
        if let (None, Some(most)) = (token, self.capabilities.max_presets)
            && self.presets()?.len() >= most as usize
        {
            return Err(PtzError::Unsupported {
                url: self.device_url.clone(),
                what: "keep another preset (it holds as many as it can: remove one, or overwrite one with --token)",
            });
        }
        let mut inner = format!("<tptz:PresetName>{}</tptz:PresetName>", escape(name));
        if let Some(token) = token {
            inner.push_str(&format!(
                "<tptz:PresetToken>{}</tptz:PresetToken>",
                escape(token)
            ));
        }
        let reply = self.ptz_call("SetPreset", &inner)?;
        reply
            .text_of("PresetToken")
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| PtzError::Malformed {
                url: self.device_url.clone(),
                operation: "SetPreset",
                reason: "no PresetToken in the reply".into(),
            })
    }

    fn remove_preset(&mut self, token: &str) -> Result<(), PtzError> {
        let inner = format!("<tptz:PresetToken>{}</tptz:PresetToken>", escape(token));
        self.ptz_call("RemovePreset", &inner).map(drop)
    }

    fn goto_home(&mut self) -> Result<(), PtzError> {
        if !self.capabilities.home {
            return Err(PtzError::Unsupported {
                url: self.device_url.clone(),
                what: "go to a home position (none advertised)",
            });
        }
        self.ptz_call("GotoHomePosition", "").map(drop)
    }

    fn set_home(&mut self) -> Result<(), PtzError> {
        if !self.capabilities.home {
            return Err(PtzError::Unsupported {
                url: self.device_url.clone(),
                what: "keep a home position (none advertised)",
            });
        }
        self.ptz_call("SetHomePosition", "").map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ptz::xml::parse;

    #[test]
    fn durations_speeds_and_clocks_are_written_and_read_as_onvif_has_them() {
        assert_eq!(duration_xml(Duration::from_secs(1)), "PT1S");
        assert_eq!(duration_xml(Duration::from_millis(1500)), "PT1.5S");
        assert_eq!(duration_xml(Duration::ZERO), "PT0.1S");
        let xml = vector_xml(PtzVector::new(0.5, -1.0, 0.0));
        assert_eq!(xml, r#"<tt:PanTilt x="0.5" y="-1"/><tt:Zoom x="0"/>"#);
        assert!(!xml.contains("space"), "no coordinate space attributes");
        let reply = parse(
            "<E><tds:SystemDateAndTime><tt:UTCDateTime><tt:Time><tt:Hour>10</tt:Hour><tt:Minute>5</tt:Minute><tt:Second>0</tt:Second></tt:Time><tt:Date><tt:Year>2026</tt:Year><tt:Month>12</tt:Month><tt:Day>7</tt:Day></tt:Date></tt:UTCDateTime></tds:SystemDateAndTime></E>",
        )
        .expect("parses");
        assert_eq!(
            camera_clock(&reply)
                .map(crate::clock::utc_iso8601)
                .as_deref(),
            Some("2026-12-07T10:05:00.000Z")
        );
    }

    #[test]
    fn a_node_says_what_moves_it_supports() {
        let reply = parse(&format!(
            r#"<E><tptz:PTZNode token="n"><tt:SupportedPTZSpaces>
            <tt:AbsolutePanTiltPositionSpace><tt:URI>a</tt:URI></tt:AbsolutePanTiltPositionSpace>
            <tt:RelativePanTiltTranslationSpace><tt:URI>{FOV_SPACE}</tt:URI></tt:RelativePanTiltTranslationSpace>
            <tt:ContinuousPanTiltVelocitySpace><tt:URI>c</tt:URI></tt:ContinuousPanTiltVelocitySpace>
            </tt:SupportedPTZSpaces><tt:MaximumNumberOfPresets>128</tt:MaximumNumberOfPresets>
            <tt:HomeSupported>true</tt:HomeSupported></tptz:PTZNode></E>"#
        ))
        .expect("parses");
        let c = node_capabilities(&reply);
        assert!(c.relative && c.absolute && c.field_of_view_move && c.home);
        assert_eq!(c.max_presets, Some(128));
        assert_eq!(
            node_capabilities(&parse("<E/>").expect("parses")),
            PtzCapabilities::default()
        );
    }

    #[test]
    fn a_status_is_read_whether_or_not_it_gives_the_position() {
        assert_eq!(move_state(Some(" MOVING ")), MoveState::Moving);
        assert_eq!(move_state(Some("IDLE")), MoveState::Idle);
        assert_eq!(move_state(Some("UNKNOWN")), MoveState::Unknown);
        assert_eq!(number(Some("0.25")), Some(0.25));
        assert_eq!(number(Some("x")), None);
    }
}
