//! The engines window (F6; supervisors and administrators): every engine of the site with its
//! state, load against capacity, last heartbeat and the cameras it holds with their health,
//! and the enabled cameras no engine holds. What it shows comes from the store worker every
//! 2 s; drawing it changes nothing.

use super::i18n::{Language, Text};
use super::theme;
use crate::service::Reply;
use crate::store::EngineListing;
use std::collections::{HashMap, HashSet};

/// The site's engines as the console last heard of them.
#[derive(Debug, Clone, Default)]
pub struct EngineView {
    pub engines: Vec<EngineListing>,
    /// Which engine holds each camera.
    pub holder: HashMap<String, String>,
    /// Enabled cameras no engine holds.
    pub unheld: HashSet<String>,
    /// Whether the console has heard from the store yet.
    pub known: bool,
}

impl EngineView {
    /// Takes the site's engines as the back end sends them (every 2 s); gives any other reply
    /// back.
    pub fn on_reply(&mut self, reply: Reply) -> Option<Reply> {
        let Reply::Engines { engines, unheld } = reply else {
            return Some(reply);
        };
        *self = Self::new(engines, unheld);
        None
    }

    pub fn new(engines: Vec<EngineListing>, unheld: Vec<String>) -> Self {
        let holder = engines
            .iter()
            .filter(|e| e.state == "alive")
            .flat_map(|e| e.cameras.iter().map(|c| (c.clone(), e.name.clone())))
            .collect();
        Self {
            engines,
            holder,
            unheld: unheld.into_iter().collect(),
            known: true,
        }
    }

    /// Whether the site has engines at all (a console alone analyses what it shows).
    pub fn site_has_engines(&self) -> bool {
        self.engines.iter().any(|e| e.state == "alive")
    }

    /// Alive engines that do not keep up with every camera they hold: name and how many
    /// cameras are searched below their rate.
    pub fn overloaded(&self) -> Vec<(String, usize)> {
        self.engines
            .iter()
            .filter(|e| e.state == "alive")
            .filter_map(|e| {
                let behind = e.status.get("cameras_behind")?.as_array()?.len();
                (behind > 0).then(|| (e.name.clone(), behind))
            })
            .collect()
    }

    /// A status-bar line for the overloaded engines, if any.
    pub fn overload_line(&self, lang: Language) -> Option<String> {
        let overloaded = self.overloaded();
        if overloaded.is_empty() {
            return None;
        }
        let list: Vec<String> = overloaded
            .iter()
            .map(|(name, behind)| format!("{name}: {behind} camera"))
            .collect();
        Some(format!(
            "{}: {}",
            Text::EngineOverloaded.get(lang),
            list.join(", ")
        ))
    }

    /// What a tile or the camera panel says of `camera`'s engine: its name, or a warning that
    /// none holds it (only on a site that has engines).
    pub fn camera_line(&self, camera: &str, lang: Language) -> Option<(String, bool)> {
        match self.holder.get(camera) {
            Some(engine) => Some((format!("{}: {engine}", Text::EngineHolds.get(lang)), false)),
            None if self.site_has_engines() && self.unheld.contains(camera) => {
                Some((Text::NoEngineHolds.get(lang).to_owned(), true))
            }
            None => None,
        }
    }
}

/// A camera's stream state as the engine wrote it ("playing", "retrying: why", …), in the
/// interface's language.
fn stream_state_text(state: &str, lang: Language) -> String {
    let (head, reason) = state.split_once(": ").unwrap_or((state, ""));
    let text = match head {
        "playing" => Text::StreamPlaying,
        "connecting" => Text::StreamConnecting,
        "retrying" => Text::StreamRetrying,
        "failed" => Text::StreamFailed,
        "stopped" => Text::StreamStopped,
        _ => return state.to_owned(),
    };
    if reason.is_empty() {
        text.get(lang).to_owned()
    } else {
        format!("{}: {reason}", text.get(lang))
    }
}

fn state_text(state: &str) -> Text {
    match state {
        "alive" => Text::EngineAlive,
        "stopped" => Text::EngineStopped,
        _ => Text::EngineExpired,
    }
}

/// Draws the window's contents.
pub fn engines_ui(ui: &mut egui::Ui, view: &EngineView, lang: Language) {
    if view.engines.is_empty() {
        ui.label(Text::EnginesNone.get(lang));
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        egui::Grid::new("engines-grid")
            .striped(true)
            .num_columns(5)
            .show(ui, |ui| {
                for header in [
                    Text::EngineName,
                    Text::EngineState,
                    Text::EngineLoad,
                    Text::EngineHeartbeat,
                    Text::EngineCameras,
                ] {
                    ui.strong(header.get(lang));
                }
                ui.end_row();
                for engine in &view.engines {
                    ui.label(format!("{} ({})", engine.name, engine.host));
                    let state = state_text(engine.state).get(lang);
                    if engine.state == "alive" {
                        ui.label(state);
                    } else {
                        ui.colored_label(theme::WARNING, state);
                    }
                    ui.label(format!("{} / {}", engine.load, engine.capacity));
                    ui.label(crate::clock::vietnam_datetime(engine.last_heartbeat_ms));
                    ui.vertical(|ui| {
                        for camera in &engine.cameras {
                            let state = engine
                                .camera_state(camera)
                                .map_or_else(|| "-".to_owned(), |s| stream_state_text(s, lang));
                            let fps = engine
                                .health
                                .get(camera)
                                .and_then(|h| h.get("fps"))
                                .and_then(serde_json::Value::as_f64)
                                .map_or_else(String::new, |f| format!(" · {f:.1} fps"));
                            ui.label(format!("{camera}: {state}{fps}"));
                        }
                    });
                    ui.end_row();
                }
            });
        if view.site_has_engines() && !view.unheld.is_empty() {
            ui.separator();
            let mut unheld: Vec<&String> = view.unheld.iter().collect();
            unheld.sort();
            ui.colored_label(
                theme::WARNING,
                format!(
                    "{}: {}",
                    Text::EnginesUnheld.get(lang),
                    unheld
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(name: &str, state: &'static str, cameras: &[&str], behind: &[&str]) -> EngineListing {
        EngineListing {
            name: name.into(),
            host: "host".into(),
            pid: 1,
            state,
            last_heartbeat_ms: 0,
            started_at_ms: 0,
            capacity: 4,
            lease_ms: 10_000,
            load: cameras.len() as i64,
            cameras: cameras.iter().map(|c| (*c).to_owned()).collect(),
            health: serde_json::Map::new(),
            status: serde_json::json!({ "cameras_behind": behind }),
        }
    }

    #[test]
    fn only_alive_engines_hold_cameras_and_a_camera_nobody_holds_is_named() {
        let view = EngineView::new(
            vec![
                engine("a", "alive", &["C1"], &[]),
                engine("b", "expired", &["C2"], &[]),
            ],
            vec!["C3".into()],
        );
        assert_eq!(view.holder.get("C1").map(String::as_str), Some("a"));
        assert!(!view.holder.contains_key("C2"));
        assert_eq!(
            view.camera_line("C1", Language::English),
            Some(("Engine: a".into(), false))
        );
        assert!(view.camera_line("C3", Language::Vietnamese).unwrap().1);
        // A console alone (no engine alive) warns of nothing.
        let alone = EngineView::new(vec![engine("b", "stopped", &[], &[])], vec!["C3".into()]);
        assert_eq!(alone.camera_line("C3", Language::English), None);
    }

    #[test]
    fn stream_states_are_told_in_the_interface_language() {
        assert_eq!(
            stream_state_text("playing", Language::Vietnamese),
            "đang nhận hình"
        );
        assert_eq!(
            stream_state_text("retrying: connection refused", Language::English),
            "Signal lost, retrying: connection refused"
        );
        assert_eq!(stream_state_text("odd", Language::English), "odd");
    }

    #[test]
    fn overloaded_engines_are_named_with_the_cameras_behind() {
        let view = EngineView::new(
            vec![
                engine("a", "alive", &["C1", "C2"], &["C1", "C2"]),
                engine("b", "alive", &["C3"], &[]),
                engine("c", "expired", &["C4"], &["C4"]),
            ],
            Vec::new(),
        );
        assert_eq!(view.overloaded(), vec![("a".to_owned(), 2)]);
        let line = view.overload_line(Language::English).unwrap();
        assert_eq!(line, "Engine over capacity: a: 2 camera");
        let calm = EngineView::new(vec![engine("b", "alive", &["C3"], &[])], Vec::new());
        assert_eq!(calm.overload_line(Language::English), None);
    }
}
