//! The alarm list: every violation or incident the rules raised, newest first, with the
//! dispatcher's workflow new → acknowledged → assigned → closed (each step stored and audited). A camera with a new alarm is
//! red on the map; clicking an alarm selects its camera.

use super::action::Action;
use super::i18n::{Language, Text};
use super::theme;
use crate::domain::{CameraStatus, EventState, ViolationKind};
use crate::rules::RuleEvent;
use crate::service::{Command, Reply};

/// How the list names a state.
fn state_text(state: EventState) -> Text {
    match state {
        EventState::New => Text::AlarmNew,
        EventState::Acknowledged => Text::AlarmAcknowledged,
        EventState::Assigned => Text::AlarmAssigned,
        EventState::Closed => Text::AlarmClosed,
    }
}

/// The button that moves an alarm on from `state`.
fn state_button(state: EventState) -> Option<Text> {
    match state {
        EventState::New => Some(Text::Acknowledge),
        EventState::Acknowledged => Some(Text::Assign),
        EventState::Assigned => Some(Text::Close),
        EventState::Closed => None,
    }
}

/// A raised event as the console keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub id: u64,
    pub camera: String,
    pub event: RuleEvent,
    pub state: EventState,
    /// Wall-clock time it arrived, "HH:MM:SS" Vietnam time.
    pub received: String,
    /// Its id in the database, once stored.
    pub stored_id: Option<i64>,
    /// For a watch-listed plate: the plate as listed and why.
    pub watched: Option<String>,
}

impl Alarm {
    /// An alarm for an event stored by someone else (an engine, another console).
    pub fn from_stored(id: u64, stored: &crate::store::StoredEvent) -> Self {
        let (kind, class) = (stored.kind, stored.class);
        let in_zone = matches!(
            kind,
            ViolationKind::IllegalStopping
                | ViolationKind::IllegalParking
                | ViolationKind::Gathering
                | ViolationKind::Crowd
        );
        let event = RuleEvent {
            kind,
            act: stored.act(),
            track: u64::try_from(stored.track).unwrap_or_default(),
            class,
            approach: stored.place.clone().filter(|_| !in_zone),
            zone: stored.place.clone().filter(|_| in_zone),
            at_ms: stored.stream_at_ms,
            evidence_ms: stored.detail.evidence_ms.clone(),
            time_into_red_ms: stored.time_into_red_ms,
            speed_px_s: stored.detail.speed_px_s,
            speed_kmh: stored.detail.speed_kmh,
        };
        let received = crate::clock::vietnam_datetime(stored.raised_at_ms);
        Self {
            id,
            camera: stored.camera_code.clone(),
            event,
            state: stored.state,
            received: received
                .split_once(' ')
                .map_or(received.clone(), |(_, time)| time.to_owned()),
            stored_id: Some(stored.id),
            watched: stored
                .detail
                .watch
                .as_ref()
                .map(|w| format!("{} · {}", w.listed, w.reason)),
        }
    }
}

/// The console's alarms, oldest first: raised by its own rules or stored by anyone on the
/// site, moved through the workflow here or elsewhere. They take the back end's replies that
/// are theirs; what the store must be told comes back as commands for the console to send.
#[derive(Debug, Default)]
pub struct Alarms {
    list: Vec<Alarm>,
}

impl Alarms {
    pub fn list(&self) -> &[Alarm] {
        &self.list
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// An event this console's rules raised: a new alarm (stored once the back end answers);
    /// returns its id.
    pub fn raise(&mut self, camera: String, event: RuleEvent, received: String) -> u64 {
        let id = self.list.len() as u64 + 1;
        self.list.push(Alarm {
            id,
            camera,
            event,
            state: EventState::New,
            received,
            stored_id: None,
            watched: None,
        });
        id
    }

    /// Moves alarm `id` to the next step; the command to store it, when it is stored.
    pub fn advance(&mut self, id: u64) -> Option<Command> {
        let alarm = self.list.iter_mut().find(|a| a.id == id)?;
        let next = alarm.state.next()?;
        alarm.state = next;
        Some(Command::SetEventState {
            id: alarm.stored_id?,
            state: next,
        })
    }

    /// Takes the replies that are the alarms' (an alarm stored, events stored elsewhere,
    /// states changed elsewhere), adding to `commands` what the store must be told; gives any
    /// other reply back.
    pub fn on_reply(&mut self, reply: Reply, commands: &mut Vec<Command>) -> Option<Reply> {
        match reply {
            Reply::EventRecorded { alarm, id } => {
                if let Some(a) = self.list.iter_mut().find(|a| a.id == alarm) {
                    a.stored_id = Some(id);
                    // Moved on before it was stored: store where it is now.
                    if a.state != EventState::New {
                        commands.push(Command::SetEventState { id, state: a.state });
                    }
                }
            }
            Reply::SiteEvents(stored) => {
                for event in stored {
                    if self.list.iter().any(|a| a.stored_id == Some(event.id)) {
                        continue;
                    }
                    let id = self.list.len() as u64 + 1;
                    self.list.push(Alarm::from_stored(id, &event));
                }
            }
            Reply::EventStates(changes) => {
                for (id, state) in changes {
                    if let Some(alarm) = self.list.iter_mut().find(|a| a.stored_id == Some(id)) {
                        alarm.state = state;
                    }
                }
            }
            other => return Some(other),
        }
        None
    }
}

pub fn kind_text(kind: ViolationKind) -> Text {
    match kind {
        ViolationKind::RedLight => Text::KindRedLight,
        ViolationKind::WrongWay => Text::KindWrongWay,
        ViolationKind::ImproperOvertaking => Text::KindOvertaking,
        ViolationKind::UnsafeTurn => Text::KindTurn,
        ViolationKind::IllegalStopping => Text::KindStopping,
        ViolationKind::IllegalParking => Text::KindParking,
        ViolationKind::Gathering => Text::KindGathering,
        ViolationKind::Racing => Text::KindRacing,
        ViolationKind::CameraTampering => Text::KindTampering,
        ViolationKind::Crowd => Text::KindCrowd,
        ViolationKind::WatchList => Text::KindWatchList,
    }
}

/// The camera has an alarm nobody has acknowledged.
pub fn camera_alarmed(alarms: &[Alarm], camera: &str) -> bool {
    alarms
        .iter()
        .any(|a| a.camera == camera && a.state == EventState::New)
}

/// Draws the list; `name_of` gives a camera's name from its code.
pub fn alarm_list_ui(
    ui: &mut egui::Ui,
    alarms: &[Alarm],
    name_of: &dyn Fn(&str) -> Option<String>,
    lang: Language,
    actions: &mut Vec<Action>,
) {
    let open = alarms
        .iter()
        .filter(|a| a.state != EventState::Closed)
        .count();
    ui.horizontal(|ui| {
        ui.heading(Text::Alarms.get(lang));
        ui.label(format!("({open})"));
    });
    if alarms.is_empty() {
        ui.label(egui::RichText::new(Text::NoAlarms.get(lang)).weak());
        return;
    }
    egui::ScrollArea::vertical().show(ui, |ui| {
        for alarm in alarms.iter().rev() {
            let colour = match alarm.state {
                EventState::New => theme::status_colour(CameraStatus::Alarm),
                EventState::Closed => egui::Color32::from_gray(110),
                _ => theme::WARNING,
            };
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.colored_label(colour, state_text(alarm.state).get(lang));
                    ui.label(&alarm.received);
                    ui.strong(kind_text(alarm.event.kind).get(lang));
                });
                if let Some(watched) = &alarm.watched {
                    ui.label(egui::RichText::new(watched).strong());
                }
                let camera = name_of(&alarm.camera).unwrap_or_else(|| alarm.camera.clone());
                if ui.link(&camera).clicked() {
                    actions.push(Action::SelectCode(alarm.camera.clone()));
                }
                let mut detail = format!(
                    "{} {} · {}",
                    super::detection_overlay::class_name(alarm.event.class, lang),
                    alarm.event.track,
                    alarm
                        .event
                        .approach
                        .clone()
                        .or_else(|| alarm.event.zone.clone())
                        .unwrap_or_default()
                );
                if let Some(ms) = alarm.event.time_into_red_ms {
                    detail.push_str(&format!(
                        " · {:.1} s {}",
                        ms as f64 / 1000.0,
                        Text::IntoRed.get(lang)
                    ));
                }
                ui.label(egui::RichText::new(detail).small());
                if let Some(button) = state_button(alarm.state)
                    && ui.small_button(button.get(lang)).clicked()
                {
                    actions.push(Action::AdvanceAlarm(alarm.id));
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ObjectClass;

    fn red_light() -> RuleEvent {
        RuleEvent {
            kind: ViolationKind::RedLight,
            act: crate::domain::Act::RedLight,
            track: 3,
            class: ObjectClass::Car,
            approach: Some("N".into()),
            zone: None,
            at_ms: 5_000,
            evidence_ms: vec![4_800, 5_000, 5_200],
            time_into_red_ms: Some(900),
            speed_px_s: None,
            speed_kmh: None,
        }
    }

    #[test]
    fn an_alarm_moved_on_before_it_was_stored_is_stored_where_it_is() {
        let mut alarms = Alarms::default();
        let id = alarms.raise("DBP-GT-A1-N".into(), red_light(), "08:00:00".into());
        assert_eq!(alarms.list()[0].state, EventState::New);
        // Not stored yet: nothing to tell the store.
        assert!(alarms.advance(id).is_none());
        let mut commands = Vec::new();
        let recorded = Reply::EventRecorded { alarm: id, id: 41 };
        assert!(alarms.on_reply(recorded, &mut commands).is_none());
        assert!(matches!(
            commands.as_slice(),
            [Command::SetEventState {
                id: 41,
                state: EventState::Acknowledged
            }]
        ));
        // Stored: the next step is told at once; a change elsewhere is taken.
        assert!(matches!(
            alarms.advance(id),
            Some(Command::SetEventState {
                id: 41,
                state: EventState::Assigned,
                ..
            })
        ));
        let elsewhere = Reply::EventStates(vec![(41, EventState::Closed)]);
        assert!(alarms.on_reply(elsewhere, &mut commands).is_none());
        assert_eq!(alarms.list()[0].state, EventState::Closed);
        assert!(alarms.advance(id).is_none(), "closed is the end");
        let other = alarms.on_reply(Reply::Library(Vec::new()), &mut commands);
        assert!(matches!(other, Some(Reply::Library(_))));
    }
}
