//! Steering a PTZ camera from its wall tile: a drag from the centre moves it (the speed grows
//! with the distance past a small dead zone), the wheel zooms, keys 1–9 recall its presets in
//! full screen, Ctrl+click brings a point to the centre. Commands go at most five a second; each move carries a 1 s timeout, so a lost
//! connection never leaves a camera moving, and a held drag is sent again twice a second to
//! keep it going; release, or the window losing focus, stops it. The tile shows who holds the
//! camera's control. The pad only produces [`Action`]s: the back end takes the lease and calls
//! the camera.

use super::action::Action;
use crate::domain::Role;
use crate::domain::ptz::{PtzPreset, PtzVector};
use crate::service::{PtzNews, PtzOp, Reply};
use egui::Vec2;
use std::collections::HashMap;

/// Shortest time between two commands (five a second).
pub const SEND_EVERY_S: f64 = 0.2;
/// A drag held still is sent again this often (before its 1 s timeout stops the camera).
pub const RESEND_EVERY_S: f64 = 0.5;
/// Each move's timeout on the camera.
pub const MOVE_TIMEOUT_MS: u64 = 1000;
/// A wheel notch zooms this long.
pub const WHEEL_ZOOM_MS: u64 = 300;
/// Fraction of the half-tile around the centre where a drag does not move the camera.
pub const DEAD_ZONE: f32 = 0.06;
/// How often the tile asks who holds a camera's control.
pub const HOLDER_EVERY_S: f64 = 2.0;
/// Slack for comparing frame times (sums of 1/30 s steps are not exact).
const EPSILON_S: f64 = 1e-6;

/// The speed a drag `offset` from the centre of a picture `half` its size asks for: each axis
/// −1…1, zero inside the dead zone, growing with the square of the distance past it (fine
/// control near the centre); up is a positive tilt.
pub fn speed_for_drag(offset: Vec2, half: Vec2) -> PtzVector {
    let axis = |d: f32, h: f32| {
        if h <= 0.0 {
            return 0.0;
        }
        let x = (d / h).clamp(-1.0, 1.0);
        let past = ((x.abs() - DEAD_ZONE) / (1.0 - DEAD_ZONE)).max(0.0);
        (past * past).copysign(x)
    };
    PtzVector::new(axis(offset.x, half.x), -axis(offset.y, half.y), 0.0)
}

/// What the tile knows of a camera's control.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PtzView {
    /// Who holds the control (name, role), when known.
    pub holder: Option<(String, Role)>,
    pub presets: Vec<PtzPreset>,
    pub presets_asked: bool,
    /// The last refusal or failure, in words.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct Drag {
    camera: String,
    speed: PtzVector,
    /// When its speed was last sent; `None` while it waits for the rate limit.
    sent_at: Option<f64>,
}

/// The wall's PTZ state: the drag under way, when the last command went, what each camera's
/// tile shows.
#[derive(Debug, Default)]
pub struct PtzPad {
    drag: Option<Drag>,
    last_sent_at: Option<f64>,
    /// A wheel notch waiting for the rate limit: the camera and the zoom speed.
    pending_zoom: Option<(String, f32)>,
    views: HashMap<String, PtzView>,
    holder_asked_at: HashMap<String, f64>,
}

fn action(camera: &str, op: PtzOp) -> Action {
    Action::Ptz {
        camera: camera.to_owned(),
        op,
    }
}

impl PtzPad {
    pub fn view(&self, camera: &str) -> Option<&PtzView> {
        self.views.get(camera)
    }

    fn may_send(&self, now: f64) -> bool {
        self.last_sent_at
            .is_none_or(|at| now - at >= SEND_EVERY_S - EPSILON_S || now < at)
    }

    /// A drag on `camera` asking for `speed` at `now` (seconds): the move to send, if it is
    /// time (a new speed, or the same one held for [`RESEND_EVERY_S`]).
    pub fn drag(&mut self, camera: &str, speed: PtzVector, now: f64) -> Option<Action> {
        let due = match &self.drag {
            Some(d) if d.camera == camera => d
                .sent_at
                .is_none_or(|at| d.speed != speed || now - at >= RESEND_EVERY_S - EPSILON_S),
            _ => true,
        };
        if !due || !self.may_send(now) {
            if self.drag.as_ref().is_none_or(|d| d.camera != camera) {
                // A drag begun within the rate limit: remembered (its release stops the
                // camera), sent on a later frame.
                self.drag = Some(Drag {
                    camera: camera.to_owned(),
                    speed,
                    sent_at: None,
                });
            }
            return None;
        }
        self.drag = Some(Drag {
            camera: camera.to_owned(),
            speed,
            sent_at: Some(now),
        });
        self.last_sent_at = Some(now);
        Some(action(
            camera,
            PtzOp::Move {
                speed,
                timeout_ms: MOVE_TIMEOUT_MS,
            },
        ))
    }

    /// The drag ended (release, or the window lost focus): the stop, always sent.
    pub fn release(&mut self, now: f64) -> Option<Action> {
        let drag = self.drag.take()?;
        self.last_sent_at = Some(now);
        Some(action(&drag.camera, PtzOp::Stop))
    }

    /// The wheel turned by `delta` (up zooms in) over `camera`: a short zoom, now or, within
    /// the rate limit, on a later frame ([`Self::poll`]); a notch is never lost.
    pub fn wheel(&mut self, camera: &str, delta: f32, now: f64) -> Option<Action> {
        if delta != 0.0 {
            self.pending_zoom = Some((camera.to_owned(), 0.5_f32.copysign(delta)));
        }
        self.flush_zoom(now)
    }

    fn flush_zoom(&mut self, now: f64) -> Option<Action> {
        if self.pending_zoom.is_none() || !self.may_send(now) {
            return None;
        }
        let (camera, speed) = self.pending_zoom.take()?;
        self.last_sent_at = Some(now);
        Some(action(
            &camera,
            PtzOp::Move {
                speed: PtzVector::new(0.0, 0.0, speed),
                timeout_ms: WHEEL_ZOOM_MS,
            },
        ))
    }

    /// Ctrl+click at `offset` from the centre of a picture `half` its size: the camera turns
    /// to bring that point to the centre.
    pub fn centre(&mut self, camera: &str, offset: Vec2, half: Vec2, now: f64) -> Option<Action> {
        if half.x <= 0.0 || half.y <= 0.0 {
            return None;
        }
        self.last_sent_at = Some(now);
        Some(action(
            camera,
            PtzOp::Centre {
                x: (offset.x / half.x).clamp(-1.0, 1.0),
                y: (-offset.y / half.y).clamp(-1.0, 1.0),
            },
        ))
    }

    /// Key `number` (1–9) on `camera`: the recall of its `number`th preset, or a note that
    /// there is none.
    pub fn preset_key(&mut self, camera: &str, number: usize) -> Result<Action, usize> {
        let view = self.views.get(camera);
        match view.and_then(|v| v.presets.get(number.wrapping_sub(1))) {
            Some(preset) => Ok(action(camera, PtzOp::GotoPreset(preset.token.clone()))),
            None => Err(view.map_or(0, |v| v.presets.len())),
        }
    }

    /// What a PTZ tile of `camera` asks now and then: its presets once, who holds it every
    /// [`HOLDER_EVERY_S`].
    pub fn poll(&mut self, camera: &str, now: f64, out: &mut Vec<Action>) {
        out.extend(self.flush_zoom(now));
        let view = self.views.entry(camera.to_owned()).or_default();
        if !view.presets_asked {
            view.presets_asked = true;
            out.push(action(camera, PtzOp::LoadPresets));
        }
        let due = self
            .holder_asked_at
            .get(camera)
            .is_none_or(|at| now - at >= HOLDER_EVERY_S - EPSILON_S || now < *at);
        if due {
            self.holder_asked_at.insert(camera.to_owned(), now);
            out.push(action(camera, PtzOp::Holder));
        }
    }

    /// Takes the back end's PTZ news; gives any other reply back.
    pub fn on_reply(&mut self, reply: Reply) -> Option<Reply> {
        let Reply::Ptz(PtzNews {
            camera,
            holder,
            presets,
            error,
        }) = reply
        else {
            return Some(reply);
        };
        let view = self.views.entry(camera).or_default();
        // News without an error (a holder, the presets) clears an old error.
        let fine = error.is_none() && (holder.is_some() || presets.is_some());
        if let Some(holder) = holder {
            view.holder = holder;
        }
        if let Some(presets) = presets {
            view.presets = presets;
        }
        if error.is_some() || fine {
            view.error = error;
        }
        None
    }
}

/// The PTZ part of a camera's panel: who controls the camera, its presets as a list (a click
/// recalls one), and giving the control back.
pub fn panel_ui(
    ui: &mut egui::Ui,
    camera: &str,
    view: Option<&PtzView>,
    lang: super::i18n::Language,
    actions: &mut Vec<Action>,
) {
    use super::i18n::Text;
    ui.separator();
    ui.label(egui::RichText::new(Text::PtzPresets.get(lang)).strong());
    match view.and_then(|v| v.error.as_deref()) {
        Some(error) => {
            ui.colored_label(super::theme::WARNING, error);
        }
        None => {
            let holder = view.and_then(|v| v.holder.as_ref()).map_or_else(
                || Text::PtzFree.get(lang).to_owned(),
                |(name, role)| {
                    let role = match lang {
                        super::i18n::Language::Vietnamese => role.name_vi(),
                        super::i18n::Language::English => role.code(),
                    };
                    format!("{} {name} ({role})", Text::PtzHeldBy.get(lang))
                },
            );
            ui.label(holder);
        }
    }
    let presets = view.map_or(&[][..], |v| v.presets.as_slice());
    if presets.is_empty() {
        ui.weak(Text::PtzNoPresets.get(lang));
    }
    for (i, preset) in presets.iter().enumerate() {
        let label = format!("{}. {}", i + 1, preset.name);
        if ui.button(label).clicked() {
            actions.push(action(camera, PtzOp::GotoPreset(preset.token.clone())));
        }
    }
    if ui.button(Text::PtzRelease.get(lang)).clicked() {
        actions.push(action(camera, PtzOp::Release));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use egui::vec2;

    fn moved(a: Option<Action>) -> Option<PtzVector> {
        match a {
            Some(Action::Ptz {
                op: PtzOp::Move { speed, .. },
                ..
            }) => Some(speed),
            _ => None,
        }
    }

    #[test]
    fn the_speed_grows_with_the_distance_past_a_dead_zone() {
        let half = vec2(200.0, 100.0);
        assert_eq!(speed_for_drag(vec2(5.0, 3.0), half), PtzVector::ZERO);
        let near = speed_for_drag(vec2(60.0, 0.0), half);
        let far = speed_for_drag(vec2(180.0, 0.0), half);
        assert!(
            near.pan > 0.0 && far.pan > 2.0 * near.pan,
            "{near:?} {far:?}"
        );
        assert_eq!(
            speed_for_drag(vec2(400.0, -300.0), half),
            PtzVector::new(1.0, 1.0, 0.0)
        );
        let left_down = speed_for_drag(vec2(-100.0, 50.0), half);
        assert!(left_down.pan < 0.0 && left_down.tilt < 0.0, "{left_down:?}");
    }

    #[test]
    fn commands_go_at_most_five_a_second_and_a_held_drag_is_renewed() {
        let mut pad = PtzPad::default();
        let v = PtzVector::new(0.5, 0.0, 0.0);
        assert_eq!(moved(pad.drag("C", v, 10.0)), Some(v));
        // Same speed, soon after: nothing; a new speed within 0.2 s: nothing yet.
        assert_eq!(pad.drag("C", v, 10.1), None);
        let w = PtzVector::new(0.8, 0.0, 0.0);
        assert_eq!(pad.drag("C", w, 10.15), None);
        assert_eq!(moved(pad.drag("C", w, 10.2)), Some(w));
        // Held still: sent again after half a second, well within the 1 s timeout.
        assert_eq!(pad.drag("C", w, 10.6), None);
        assert_eq!(moved(pad.drag("C", w, 10.7)), Some(w));
        // Ten frames a second over two seconds: never more than five commands a second.
        let mut pad = PtzPad::default();
        let sent = (0..20)
            .filter(|i| {
                let speed = PtzVector::new(*i as f32 / 20.0, 0.0, 0.0);
                pad.drag("C", speed, f64::from(*i) * 0.1).is_some()
            })
            .count();
        assert!(sent <= 10, "{sent} commands in 2 s");
    }

    #[test]
    fn release_stops_once_and_the_wheel_zooms_briefly() {
        let mut pad = PtzPad::default();
        assert_eq!(pad.release(1.0), None, "nothing to stop");
        pad.drag("C", PtzVector::new(0.3, 0.0, 0.0), 1.0);
        assert!(pad.drag.as_ref().is_some_and(|d| d.camera == "C"));
        assert_eq!(
            pad.release(1.05),
            Some(Action::Ptz {
                camera: "C".into(),
                op: PtzOp::Stop
            }),
            "a stop is never held back by the rate limit"
        );
        assert_eq!(pad.release(1.1), None);
        match pad.wheel("C", -40.0, 2.0) {
            Some(Action::Ptz {
                op: PtzOp::Move { speed, timeout_ms },
                ..
            }) => {
                assert!(speed.zoom < 0.0 && speed.pan == 0.0);
                assert_eq!(timeout_ms, WHEEL_ZOOM_MS);
            }
            other => panic!("{other:?}"),
        }
        // A notch within the rate limit waits for a later frame, not lost.
        assert_eq!(pad.wheel("C", 40.0, 2.05), None);
        let mut later = Vec::new();
        pad.poll("C", 2.1, &mut later);
        assert!(!later.iter().any(|a| moved(Some(a.clone())).is_some()));
        pad.poll("C", 2.2, &mut later);
        let zooms: Vec<PtzVector> = later.into_iter().filter_map(|a| moved(Some(a))).collect();
        assert_eq!(zooms, [PtzVector::new(0.0, 0.0, 0.5)]);
    }

    #[test]
    fn presets_and_holders_come_from_the_back_end() {
        let mut pad = PtzPad::default();
        let mut asked = Vec::new();
        pad.poll("C", 0.0, &mut asked);
        pad.poll("C", 1.0, &mut asked);
        pad.poll("C", 2.5, &mut asked);
        let ops: Vec<PtzOp> = asked
            .into_iter()
            .filter_map(|a| match a {
                Action::Ptz { op, .. } => Some(op),
                _ => None,
            })
            .collect();
        assert_eq!(ops, [PtzOp::LoadPresets, PtzOp::Holder, PtzOp::Holder]);
        assert_eq!(pad.preset_key("C", 1), Err(0));
        let news = Reply::Ptz(PtzNews {
            camera: "C".into(),
            holder: Some(Some(("an".into(), Role::Dispatcher))),
            presets: Some(vec![PtzPreset {
                token: "p1".into(),
                name: "Cầu".into(),
            }]),
            error: None,
        });
        assert!(pad.on_reply(news).is_none());
        let view = pad.view("C").expect("known");
        assert_eq!(view.holder, Some(("an".into(), Role::Dispatcher)));
        assert_eq!(
            pad.preset_key("C", 1),
            Ok(Action::Ptz {
                camera: "C".into(),
                op: PtzOp::GotoPreset("p1".into())
            })
        );
        assert_eq!(pad.preset_key("C", 2), Err(1));
        assert!(
            pad.on_reply(Reply::Failed {
                message: "x".into()
            })
            .is_some()
        );
    }
}
