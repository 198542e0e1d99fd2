//! Steering PTZ cameras (issue 18): [`backend::PtzBackend`], what a camera can be asked to
//! do; [`onvif::OnvifCamera`], the ONVIF implementation (device, media and PTZ services over
//! our own SOAP client: WS-Security password digest on the camera's clock, HTTP digest when
//! asked); `xml` and `http_digest`, the parts it is built of.

pub mod backend;
pub mod discovery;
pub mod http_digest;
pub mod onvif;
pub mod soap;
pub mod target;
mod xml;

pub use backend::{PtzBackend, PtzCapabilities, PtzError};
pub use onvif::OnvifCamera;
pub use soap::Credentials;
pub use target::{OnvifTarget, TargetError};
