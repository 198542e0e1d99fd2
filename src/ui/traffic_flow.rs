//! Traffic flow in the console: each counting camera's vehicles in the last hour against its
//! usual level for that hour of the day (a ring round its marker on the map), and the selected
//! camera's last hour minute by minute (a chart on its panel). Asked of the back end every
//! 30 s and when another camera is selected.

use super::i18n::{Language, Text};
use crate::domain::traffic_count::{Direction, MinuteCount};
use crate::service::{Command, Reply};
use egui::Color32;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How often the flows are asked for.
const ASK_EVERY: Duration = Duration::from_secs(30);

/// A camera's flow in the last hour against its usual level for the hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowLevel {
    /// Under half the usual.
    Light,
    /// Half to 1.3 times the usual.
    Usual,
    /// 1.3 to 1.8 times.
    Heavy,
    /// Over 1.8 times.
    VeryHeavy,
}

impl FlowLevel {
    /// The level of `last_hour` vehicles against `usual`; `None` without a usual level (no
    /// counts on the previous days) or with nothing usual to compare with.
    pub fn of(last_hour: u64, usual: Option<f64>) -> Option<Self> {
        let usual = usual.filter(|u| *u > 0.0)?;
        let ratio = last_hour as f64 / usual;
        Some(if ratio < 0.5 {
            Self::Light
        } else if ratio <= 1.3 {
            Self::Usual
        } else if ratio <= 1.8 {
            Self::Heavy
        } else {
            Self::VeryHeavy
        })
    }

    pub fn colour(self) -> Color32 {
        match self {
            Self::Light => Color32::from_rgb(0x4f, 0xc3, 0xf7),
            Self::Usual => Color32::from_rgb(0x66, 0xbb, 0x6a),
            Self::Heavy => Color32::from_rgb(0xff, 0xb3, 0x00),
            Self::VeryHeavy => Color32::from_rgb(0xe5, 0x39, 0x35),
        }
    }

    pub fn text(self) -> Text {
        match self {
            Self::Light => Text::FlowLight,
            Self::Usual => Text::FlowUsual,
            Self::Heavy => Text::FlowHeavy,
            Self::VeryHeavy => Text::FlowVeryHeavy,
        }
    }
}

/// What the console knows of the traffic flow.
#[derive(Debug, Default)]
pub struct TrafficFlow {
    flows: HashMap<String, (u64, Option<f64>)>,
    detail: Option<(String, Vec<MinuteCount>)>,
    asked_at: Option<Instant>,
    asked_for: Option<String>,
}

impl TrafficFlow {
    /// Takes the replies that are this view's.
    pub fn on_reply(&mut self, reply: Reply) -> Option<Reply> {
        match reply {
            Reply::Flows { flows, detail } => {
                self.flows = flows
                    .into_iter()
                    .map(|(camera, last_hour, usual)| (camera, (last_hour, usual)))
                    .collect();
                if detail.is_some() {
                    self.detail = detail;
                }
                None
            }
            other => Some(other),
        }
    }

    /// Whether it is time to ask (every 30 s, or at once for another camera).
    pub fn due(&self, selected: &Option<String>) -> bool {
        self.asked_at.is_none_or(|t| t.elapsed() >= ASK_EVERY) || *selected != self.asked_for
    }

    /// The command to send now, if it is time.
    pub fn request(&mut self, cameras: Vec<String>, selected: Option<String>) -> Option<Command> {
        if !self.due(&selected) {
            return None;
        }
        self.asked_at = Some(Instant::now());
        self.asked_for.clone_from(&selected);
        Some(Command::LoadFlows {
            cameras,
            detail: selected,
        })
    }

    /// The camera's flow level, where it has a usual level to compare with.
    pub fn level(&self, camera: &str) -> Option<FlowLevel> {
        let (last_hour, usual) = self.flows.get(camera)?;
        FlowLevel::of(*last_hour, *usual)
    }

    /// The selected camera's last hour: totals and a chart of vehicles per minute, in and out.
    pub fn panel_ui(&self, ui: &mut egui::Ui, camera: &str, lang: Language) {
        let Some((_, minutes)) = self.detail.as_ref().filter(|(c, _)| c == camera) else {
            return;
        };
        ui.separator();
        ui.strong(Text::FlowLastHour.get(lang));
        let (last_hour, usual) = self
            .flows
            .get(camera)
            .copied()
            .unwrap_or((minutes.iter().map(|m| u64::from(m.vehicles)).sum(), None));
        let mut line = format!("{last_hour} {}", Text::Vehicles.get(lang));
        if let Some(usual) = usual {
            line.push_str(&format!(" · {} {usual:.0}", Text::FlowUsualLevel.get(lang)));
        }
        if let Some(level) = FlowLevel::of(last_hour, usual) {
            ui.horizontal(|ui| {
                ui.label(line);
                ui.colored_label(level.colour(), level.text().get(lang));
            });
        } else {
            ui.label(line);
        }
        if minutes.is_empty() {
            ui.weak(Text::FlowNoCounts.get(lang));
            return;
        }
        let series = |direction: Direction| -> Vec<[f64; 2]> {
            let mut per_minute: std::collections::BTreeMap<i64, u32> = Default::default();
            for m in minutes.iter().filter(|m| m.direction == direction) {
                *per_minute.entry(m.minute_ms).or_default() += m.vehicles;
            }
            let newest = minutes.iter().map(|m| m.minute_ms).max().unwrap_or(0);
            per_minute
                .into_iter()
                .map(|(minute, n)| [((minute - newest) / 60_000) as f64, f64::from(n)])
                .collect()
        };
        egui_plot::Plot::new(("flow", camera))
            .height(140.0)
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .x_axis_label(Text::FlowMinutes.get(lang))
            .legend(egui_plot::Legend::default())
            .show(ui, |plot| {
                plot.line(
                    egui_plot::Line::new(Text::FlowIn.get(lang), series(Direction::In))
                        .color(FlowLevel::Light.colour()),
                );
                plot.line(
                    egui_plot::Line::new(Text::FlowOut.get(lang), series(Direction::Out))
                        .color(FlowLevel::Heavy.colour()),
                );
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_against_the_usual_hour() {
        assert_eq!(FlowLevel::of(40, Some(100.0)), Some(FlowLevel::Light));
        assert_eq!(FlowLevel::of(100, Some(100.0)), Some(FlowLevel::Usual));
        assert_eq!(FlowLevel::of(150, Some(100.0)), Some(FlowLevel::Heavy));
        assert_eq!(FlowLevel::of(250, Some(100.0)), Some(FlowLevel::VeryHeavy));
        assert_eq!(FlowLevel::of(250, None), None, "no usual level yet");
        assert_eq!(FlowLevel::of(5, Some(0.0)), None);
    }

    #[test]
    fn flows_are_asked_for_again_after_30_s_or_for_another_camera() {
        let mut flow = TrafficFlow::default();
        assert!(flow.request(vec!["A".into()], None).is_some());
        assert!(flow.request(vec!["A".into()], None).is_none(), "not yet");
        assert!(
            flow.request(vec!["A".into()], Some("A".into())).is_some(),
            "a camera selected"
        );
        let reply = Reply::Flows {
            flows: vec![("A".into(), 200, Some(100.0))],
            detail: None,
        };
        assert!(flow.on_reply(reply).is_none());
        assert_eq!(flow.level("A"), Some(FlowLevel::VeryHeavy));
        assert_eq!(flow.level("B"), None);
    }
}
