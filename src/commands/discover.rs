//! `cameras discover`: the ONVIF devices of this network segment as registry rows a technician
//! edits and imports. With a log-in, each device is asked for its stream address and whether
//! it has PTZ; a device that refuses or does not answer still gets its row, with the reason in
//! its notes.

use super::Setup;
use crate::domain::{Camera, CameraKind, GeoPoint, StreamUrl};
use crate::ptz::discovery::{Discovered, discover};
use crate::ptz::{Credentials, OnvifCamera};
use anyhow::{Context as _, bail};
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

/// Where undiscovered positions are put: the centre of Điện Biên Phủ, to be surveyed.
const PLACEHOLDER: (f64, f64) = (21.3860, 103.0230);

/// The device service address to use: the first IPv4 http one, else the first.
fn device_url(device: &Discovered) -> Option<&str> {
    device
        .xaddrs
        .iter()
        .find(|x| x.starts_with("http://") && !x.contains('['))
        .or(device.xaddrs.first())
        .map(String::as_str)
}

/// A registry code from the device's host: `ONVIF-10-27-0-5`.
fn code_for(url: &str) -> String {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into());
    let cleaned: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '-'
            }
        })
        .collect();
    format!("ONVIF-{}", cleaned.trim_matches('-'))
}

/// One registry row for `device`, asking the camera when `credentials` are given.
fn row(device: &Discovered, credentials: Option<(&str, &Credentials)>) -> Option<Camera> {
    let url = device_url(device)?;
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    let mut notes = vec![format!("found by WS-Discovery ({})", device.endpoint)];
    if let Some(hardware) = device.hardware() {
        notes.push(format!("hardware {hardware}"));
    }
    let mut kind = CameraKind::Neighbourhood;
    let mut main_url = None;
    if let Some((_, log_in)) = credentials {
        match OnvifCamera::connect(
            url,
            Some(log_in.clone()),
            crate::ptz::onvif::REQUEST_TIMEOUT,
        ) {
            Ok(camera) => {
                if camera.ptz_url.is_some() {
                    kind = CameraKind::Overview;
                }
                match camera.stream_uri() {
                    Ok(uri) => main_url = StreamUrl::parse(&uri).ok(),
                    Err(e) => notes.push(format!("stream address not read: {e}")),
                }
            }
            Err(e) => notes.push(format!("not asked: {e}")),
        }
    }
    let main_url = main_url.or_else(|| StreamUrl::parse(&format!("rtsp://{host}:554/")).ok())?;
    let position = GeoPoint::in_vietnam(PLACEHOLDER.0, PLACEHOLDER.1).ok()?;
    Some(Camera {
        code: code_for(url),
        name: device
            .name()
            .unwrap_or_else(|| format!("Camera ONVIF {host}")),
        kind,
        position,
        position_surveyed: false,
        heading_deg: None,
        fov_deg: None,
        junction_code: None,
        main_url,
        sub_url: None,
        enabled: false,
        credentials_ref: credentials.map(|(name, _)| name.to_owned()),
        notes: notes.join("; "),
        onvif_url: Some(url.to_owned()),
    })
}

pub fn run(
    setup: &Setup,
    wait: f32,
    credentials: Option<&str>,
    out: Option<&Path>,
    target: &str,
) -> anyhow::Result<()> {
    if !(0.1..=30.0).contains(&wait) {
        bail!("--wait {wait}: listen 0.1 to 30 seconds");
    }
    let target: std::net::SocketAddr = target
        .parse()
        .with_context(|| format!("--target '{target}' is not an IP:port"))?;
    let log_in = match credentials {
        Some(name) => {
            let file = setup.folders.default_credentials_file();
            let all = crate::config::CameraCredentials::load(&file)?;
            let (user, password) = all
                .get(name)
                .with_context(|| format!("{} has no entry [{name}]", file.display()))?;
            Some((name, Credentials { user, password }))
        }
        None => None,
    };
    let devices = discover(target, Duration::from_secs_f32(wait))
        .with_context(|| format!("cannot probe {target}"))?;
    eprintln!("{} ONVIF device(s) answered within {wait} s", devices.len());
    let cameras: Vec<Camera> = devices
        .iter()
        .filter_map(|d| row(d, log_in.as_ref().map(|(n, c)| (*n, c))))
        .collect();
    let text = crate::registry::write_csv(&cameras)?;
    match out {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => std::io::stdout().write_all(text.as_bytes())?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_discovered_device_becomes_a_row_to_survey() {
        let device = Discovered {
            endpoint: "urn:uuid:7".into(),
            xaddrs: vec![
                "http://[fe80::1]/onvif/device_service".into(),
                "http://10.27.0.5/onvif/device_service".into(),
            ],
            scopes: vec!["onvif://www.onvif.org/name/Doi%20A1".into()],
        };
        let camera = row(&device, None).expect("a row");
        assert_eq!(camera.code, "ONVIF-10-27-0-5");
        assert_eq!(camera.name, "Doi A1");
        assert_eq!(
            camera.onvif_url.as_deref(),
            Some("http://10.27.0.5/onvif/device_service")
        );
        assert!(!camera.enabled && !camera.position_surveyed);
        assert_eq!(camera.main_url.as_str(), "rtsp://10.27.0.5:554/");
    }
}
