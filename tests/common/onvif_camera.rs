//! A simulated PTZ camera behind a real ONVIF server (the `onvif-server` crate: device, media
//! and PTZ services, WS-Security password digest checked) on 127.0.0.1. Its motors move at
//! the speed asked (half a unit a second at full speed), stop at the range's ends, and stop by
//! themselves when the move's `Timeout` runs out, as a camera does; the server does not hand
//! the timeout to its traits, so a layer in front reads it from the request. The test reads
//! the position from the simulation itself (this server's `GetStatus` reports only whether
//! the motors move). `set_silent` makes the camera stop answering, as a cut cable does.

use async_trait::async_trait;
use onvif_server::{
    DeviceInfo, DeviceService, MediaService, OnvifError, OnvifServer, PTZPreset, PTZService,
    PTZStatusResult,
};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How far full speed moves in a second.
const UNITS_PER_SECOND: f32 = 0.5;
/// The camera's own timeout for a continuous move that names none.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Position {
    pub pan: f32,
    pub tilt: f32,
    pub zoom: f32,
}

#[derive(Debug)]
struct Motors {
    at: Position,
    speed: Position,
    since: Instant,
    until: Option<Instant>,
    /// The timeout the last ContinuousMove carried (read by the layer before the trait runs).
    next_timeout: Duration,
    presets: Vec<(String, String, Position)>,
    silent: bool,
    moves: usize,
}

impl Motors {
    /// Brings the position up to `now`.
    fn advance(&mut self, now: Instant) {
        let end = self.until.map_or(now, |u| u.min(now));
        let dt = end.saturating_duration_since(self.since).as_secs_f32();
        let step = |p: f32, v: f32, lo: f32| (p + v * UNITS_PER_SECOND * dt).clamp(lo, 1.0);
        self.at = Position {
            pan: step(self.at.pan, self.speed.pan, -1.0),
            tilt: step(self.at.tilt, self.speed.tilt, -1.0),
            zoom: step(self.at.zoom, self.speed.zoom, 0.0),
        };
        self.since = now;
        if self.until.is_some_and(|u| u <= now) {
            self.speed = Position::default();
            self.until = None;
        }
    }

    fn moving(&self) -> bool {
        self.speed != Position::default()
    }
}

/// The simulated camera; clones share the motors.
#[derive(Clone)]
pub struct SimulatedCamera {
    motors: Arc<Mutex<Motors>>,
    pub device_url: String,
}

impl SimulatedCamera {
    fn with_motors<T>(&self, f: impl FnOnce(&mut Motors) -> T) -> T {
        let mut motors = self.motors.lock().expect("motors");
        motors.advance(Instant::now());
        f(&mut motors)
    }

    pub fn position(&self) -> Position {
        self.with_motors(|m| m.at)
    }

    pub fn is_moving(&self) -> bool {
        self.with_motors(|m| m.moving())
    }

    /// How many continuous moves it was sent.
    pub fn moves(&self) -> usize {
        self.with_motors(|m| m.moves)
    }

    pub fn set_silent(&self, silent: bool) {
        self.with_motors(|m| m.silent = silent);
    }
}

#[async_trait]
impl DeviceService for SimulatedCamera {
    async fn get_device_information(&self) -> Result<DeviceInfo, OnvifError> {
        Ok(DeviceInfo {
            manufacturer: "Simulated".into(),
            model: "PTZ-SIM".into(),
            firmware_version: "1.0".into(),
            serial_number: "SIM-0001".into(),
            hardware_id: "sim".into(),
        })
    }
}

#[async_trait]
impl MediaService for SimulatedCamera {
    async fn get_stream_uri(&self, profile: &str) -> Result<String, OnvifError> {
        Ok(format!("rtsp://127.0.0.1:8554/{profile}"))
    }
    async fn get_snapshot_uri(&self, profile: &str) -> Result<String, OnvifError> {
        Ok(format!("http://127.0.0.1:8080/{profile}.jpg"))
    }
}

#[async_trait]
impl PTZService for SimulatedCamera {
    async fn continuous_move(
        &self,
        _: &str,
        pan: f32,
        tilt: f32,
        zoom: f32,
    ) -> Result<(), OnvifError> {
        self.with_motors(|m| {
            m.speed = Position { pan, tilt, zoom };
            m.until = Some(Instant::now() + m.next_timeout);
            m.next_timeout = DEFAULT_TIMEOUT;
            m.moves += 1;
        });
        Ok(())
    }

    async fn stop(&self, _: &str, pan_tilt: bool, zoom: bool) -> Result<(), OnvifError> {
        self.with_motors(|m| {
            if pan_tilt {
                (m.speed.pan, m.speed.tilt) = (0.0, 0.0);
            }
            if zoom {
                m.speed.zoom = 0.0;
            }
        });
        Ok(())
    }

    async fn absolute_move(
        &self,
        _: &str,
        pan: f32,
        tilt: f32,
        zoom: f32,
    ) -> Result<(), OnvifError> {
        self.with_motors(|m| {
            m.speed = Position::default();
            m.at = Position { pan, tilt, zoom };
        });
        Ok(())
    }

    async fn relative_move(
        &self,
        _: &str,
        pan: f32,
        tilt: f32,
        zoom: f32,
    ) -> Result<(), OnvifError> {
        self.with_motors(|m| {
            m.at.pan = (m.at.pan + pan).clamp(-1.0, 1.0);
            m.at.tilt = (m.at.tilt + tilt).clamp(-1.0, 1.0);
            m.at.zoom = (m.at.zoom + zoom).clamp(0.0, 1.0);
        });
        Ok(())
    }

    async fn get_status(&self, _: &str) -> Result<PTZStatusResult, OnvifError> {
        let moving = self.is_moving();
        Ok(PTZStatusResult {
            pan_tilt_moving: moving,
            zoom_moving: false,
        })
    }

    async fn get_presets(&self, _: &str) -> Result<Vec<PTZPreset>, OnvifError> {
        Ok(self.with_motors(|m| {
            m.presets
                .iter()
                .map(|(token, name, _)| PTZPreset {
                    token: token.clone(),
                    name: name.clone(),
                })
                .collect()
        }))
    }

    async fn goto_preset(&self, _: &str, token: &str) -> Result<(), OnvifError> {
        self.with_motors(|m| {
            let at = m.presets.iter().find(|(t, _, _)| t == token).map(|p| p.2);
            match at {
                Some(at) => {
                    m.speed = Position::default();
                    m.at = at;
                    Ok(())
                }
                None => Err(OnvifError::InvalidArgument(format!("no preset {token}"))),
            }
        })
    }

    async fn set_preset(
        &self,
        _: &str,
        name: Option<&str>,
        token: Option<&str>,
    ) -> Result<String, OnvifError> {
        Ok(self.with_motors(|m| {
            let token =
                token.map_or_else(|| format!("preset_{}", m.presets.len() + 1), str::to_owned);
            m.presets.retain(|(t, _, _)| *t != token);
            let at = m.at;
            m.presets
                .push((token.clone(), name.unwrap_or_default().to_owned(), at));
            token
        }))
    }

    async fn remove_preset(&self, _: &str, token: &str) -> Result<(), OnvifError> {
        self.with_motors(|m| {
            let before = m.presets.len();
            m.presets.retain(|(t, _, _)| t != token);
            if m.presets.len() == before {
                Err(OnvifError::InvalidArgument(format!("no preset {token}")))
            } else {
                Ok(())
            }
        })
    }
}

/// The seconds of an `xs:duration` such as `PT1S` or `PT0.5S`.
fn seconds_of(duration: &str) -> Option<f32> {
    duration.strip_prefix("PT")?.strip_suffix('S')?.parse().ok()
}

/// Starts the camera's ONVIF server on 127.0.0.1 (a free port) with `user` / `password`.
pub fn start(user: &str, password: &str) -> SimulatedCamera {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("its address").port();
    listener.set_nonblocking(true).expect("non-blocking");
    let camera = SimulatedCamera {
        motors: Arc::new(Mutex::new(Motors {
            at: Position::default(),
            speed: Position::default(),
            since: Instant::now(),
            until: None,
            next_timeout: DEFAULT_TIMEOUT,
            presets: Vec::new(),
            silent: false,
            moves: 0,
        })),
        device_url: format!("http://127.0.0.1:{port}/onvif/device_service"),
    };
    let router = OnvifServer::builder()
        .port(port)
        .advertised_host("127.0.0.1")
        .device_service(camera.clone())
        .media_service(camera.clone())
        .ptz_service(camera.clone())
        .auth(user, password)
        .build()
        .expect("the ONVIF server")
        .into_router()
        .expect("its routes");
    let motors = camera.motors.clone();
    let router = router.layer(axum::middleware::from_fn(
        move |request: axum::extract::Request, next: axum::middleware::Next| {
            let motors = motors.clone();
            async move {
                let (parts, body) = request.into_parts();
                let bytes = axum::body::to_bytes(body, 1 << 20)
                    .await
                    .unwrap_or_default();
                let text = String::from_utf8_lossy(&bytes).into_owned();
                let silent = motors.lock().map(|m| m.silent).unwrap_or(false);
                if silent {
                    // A camera that stopped answering: the request hangs.
                    tokio::time::sleep(Duration::from_secs(3600)).await;
                }
                if text.contains("ContinuousMove")
                    && let Some(start) = text.find("Timeout>")
                {
                    let rest = &text[start + "Timeout>".len()..];
                    let value = rest.split('<').next().unwrap_or_default();
                    if let (Some(secs), Ok(mut m)) = (seconds_of(value), motors.lock()) {
                        m.next_timeout = Duration::from_secs_f32(secs);
                    }
                }
                let request =
                    axum::extract::Request::from_parts(parts, axum::body::Body::from(bytes));
                next.run(request).await
            }
        },
    ));
    std::thread::Builder::new()
        .name("onvif-camera".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                axum::serve(listener, router).await.expect("serve");
            });
        })
        .expect("the camera's thread");
    camera
}
