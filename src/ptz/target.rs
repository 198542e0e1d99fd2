//! Where a registry camera's ONVIF service is and how to log in to it: its `onvif_url` and
//! the log-in its `credentials_ref` names, looked up by the caller (credentials.toml).

use super::backend::PtzError;
use super::onvif::{OnvifCamera, REQUEST_TIMEOUT};
use super::soap::Credentials;
use crate::domain::Camera;

/// A camera's ONVIF device service and its log-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnvifTarget {
    pub url: String,
    pub credentials: Option<Credentials>,
}

/// Why a registry camera cannot be steered before any camera is asked.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TargetError {
    #[error(
        "camera {camera} has no ONVIF address: give it one in the onvif_url column of the registry (cameras import)"
    )]
    NoAddress { camera: String },
    #[error("camera {camera} names the log-in [{reference}], which credentials.toml does not have")]
    UnknownLogIn { camera: String, reference: String },
}

impl OnvifTarget {
    /// `camera`'s target; `log_in` gives the user and password of a credentials reference.
    pub fn of(
        camera: &Camera,
        log_in: impl Fn(&str) -> Option<(String, String)>,
    ) -> Result<Self, TargetError> {
        let url = camera
            .onvif_url
            .clone()
            .ok_or_else(|| TargetError::NoAddress {
                camera: camera.code.clone(),
            })?;
        let credentials = match camera.credentials_ref.as_deref() {
            Some(reference) => {
                let (user, password) =
                    log_in(reference).ok_or_else(|| TargetError::UnknownLogIn {
                        camera: camera.code.clone(),
                        reference: reference.to_owned(),
                    })?;
                Some(Credentials { user, password })
            }
            None => None,
        };
        Ok(Self { url, credentials })
    }

    /// Connects to the camera (device, media and PTZ services found), with the client's
    /// request timeout.
    pub fn connect(&self) -> Result<OnvifCamera, PtzError> {
        OnvifCamera::connect(&self.url, self.credentials.clone(), REQUEST_TIMEOUT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera(onvif_url: Option<&str>, credentials_ref: Option<&str>) -> Camera {
        use crate::domain::{CameraKind, GeoPoint, StreamUrl};
        Camera {
            code: "PTZ-1".into(),
            name: "Quảng trường".into(),
            kind: CameraKind::Overview,
            position: GeoPoint::in_vietnam(21.386, 103.017).expect("a point in Vietnam"),
            position_surveyed: false,
            heading_deg: None,
            fov_deg: None,
            junction_code: None,
            main_url: StreamUrl::parse("rtsp://10.0.0.9:554/").expect("an RTSP address"),
            sub_url: None,
            enabled: true,
            credentials_ref: credentials_ref.map(str::to_owned),
            notes: String::new(),
            onvif_url: onvif_url.map(str::to_owned),
        }
    }

    fn known(reference: &str) -> Option<(String, String)> {
        (reference == "tower").then(|| ("operator".to_owned(), "secret".to_owned()))
    }

    #[test]
    fn the_address_and_the_named_log_in_are_taken() {
        let target = OnvifTarget::of(
            &camera(Some("http://10.0.0.9/onvif/device_service"), Some("tower")),
            known,
        );
        assert_eq!(
            target,
            Ok(OnvifTarget {
                url: "http://10.0.0.9/onvif/device_service".into(),
                credentials: Some(Credentials {
                    user: "operator".into(),
                    password: "secret".into(),
                }),
            })
        );
        let open = OnvifTarget::of(&camera(Some("http://10.0.0.9/onvif"), None), known);
        assert_eq!(open.map(|t| t.credentials), Ok(None));
    }

    #[test]
    fn a_missing_address_or_log_in_names_the_camera() {
        let no_address = OnvifTarget::of(&camera(None, Some("tower")), known).unwrap_err();
        assert!(
            no_address
                .to_string()
                .contains("camera PTZ-1 has no ONVIF address")
        );
        let unknown =
            OnvifTarget::of(&camera(Some("http://x/onvif"), Some("roof")), known).unwrap_err();
        assert_eq!(
            unknown.to_string(),
            "camera PTZ-1 names the log-in [roof], which credentials.toml does not have"
        );
    }
}
