//! The dispatch console application: full-window map of every camera, side list, camera panel,
//! top and status bars. `logic` drains back-end events; `ui` only draws and collects
//! [`Action`]s, applied after drawing. The back end is reached only through [`ServiceHandle`].

use super::action::{Action, EditorRequest, PlateAction, ReplayAction, ReviewAction};
use super::alarm_layer::{self, AlarmLayer};
use super::alarm_list::{Alarm, Alarms, alarm_list_ui, camera_alarmed};
use super::camera_list::{self, camera_list_ui, passes_filters};
use super::camera_panel::camera_panel_ui;
use super::camera_view::{CameraView, SCROLL_FRAMES};
use super::geometry_editor::{GeometryEditing, GeometryEditor};
use super::i18n::{Language, Text};
use super::map_background::{ScaleBar, Schematic};
use super::map_layer::{CameraLayer, MapCamera, MapOutput};
use super::replay_view::{ReplayState, replay_ui};
use super::review_view::{ReviewState, review_ui};
use super::settings::{CITY_CENTRE_DEG, MainView, STORAGE_KEY, UiSettings};
use super::sign_in::{SignInForm, SignInRequest, sign_in_ui};
use super::signal_layer::{self, SignalLayer};
use super::theme;
use super::user::ConsoleUser;
use super::wall::{RemoteOverlays, WallContext, WallRuntime, wall_ui};
use crate::basemap::{Availability, BaseMap, BaseMapChoice};
use crate::domain::Permission;
use crate::domain::{Camera, CameraStatus};
use crate::service::{Command, Inventory, Reply, ServiceHandle, VideoStreams};
use crate::store::NewAuditEntry;
use eframe::egui_wgpu::wgpu;
use walkers::{Map, MapMemory, lat_lon};

/// How the console starts.
pub struct StartOptions {
    /// The back end; `None` when it could not be started (the reason is in `notices`).
    pub service: Option<ServiceHandle>,
    pub base_map: BaseMapChoice,
    pub settings: UiSettings,
    /// Problems found before the window opened (e.g. a bad configuration file).
    pub notices: Vec<String>,
    /// The live streams (ingest workers) the wall reads.
    pub streams: VideoStreams,
    /// Format of the frame the UI is rendered into (the wall's pipeline must match it);
    /// `None` for egui_wgpu's off-screen default, `Rgba8Unorm`.
    pub target_format: Option<wgpu::TextureFormat>,
    /// Real time, or a fixed one for tests and snapshots.
    pub clock: crate::clock::Clock,
    /// Open on the sign-in screen and act with the signed-in user's role (the console always
    /// does; tests and screenshots of other parts may run as this workstation).
    pub require_sign_in: bool,
    /// The recordings folder and the free share of its disk to keep: below it the status bar
    /// raises the alarm (the recorders delete the oldest continuous footage meanwhile).
    pub recordings: Option<(std::path::PathBuf, f64)>,
}

/// Frames a tile keeps while it waits for the boxes of an engine elsewhere (overlays are
/// stored once a second): 1.6 s at 25 pictures a second.
const REMOTE_HISTORY: usize = 40;

/// How soon a changed layout or selection is written to disk.
const AUTOSAVE_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

enum DatabaseState {
    Opening,
    Open {
        location: String,
        short_name: String,
    },
    Failed(String),
}

pub struct ConsoleApp {
    settings: UiSettings,
    service: Option<ServiceHandle>,
    base_map: BaseMap,
    /// The city's streets drawn when no tiles are available (built in; `None` if unreadable).
    city_map: Option<crate::city_map::CityMap>,
    /// The cameras as the map and the list show them.
    cameras: CameraView,
    database: DatabaseState,
    notices: Vec<String>,
    show_about: bool,
    /// The engines window (F6).
    show_engines: bool,
    /// Cameras whose tiles draw the boxes of an engine elsewhere, and those boxes (each
    /// camera's last seconds, in time order).
    remote_overlays: RemoteOverlays,
    /// When this flag is set (SIGTERM, SIGINT) the window closes as if its user closed it.
    close_on: Option<&'static std::sync::atomic::AtomicBool>,
    /// The site's engines and which camera each holds.
    engines: super::EngineView,
    /// Watch-list alerts, the plate search and the watch list.
    plates: super::plate_desk::PlateDesk,
    /// The counting cameras' traffic flow.
    flow: super::traffic_flow::TrafficFlow,
    /// The width left to the map, wall, review or replay in the middle (last frame).
    central_width: f32,
    /// The settings as last written to storage, to know when a save is due.
    saved_settings: Option<UiSettings>,
    streams: VideoStreams,
    /// Violations and incidents raised by the rules, oldest first.
    alarms: Alarms,
    wall_runtime: WallRuntime,
    target_format: wgpu::TextureFormat,
    clock: crate::clock::Clock,
    /// The stored junction geometries and the editor.
    geometry: GeometryEditing,
    /// The review of violations.
    review: ReviewState,
    /// Replay of recorded incidents.
    replay: ReplayState,
    /// The recordings folder and its free share to keep, and what was last measured.
    recordings: Option<(std::path::PathBuf, f64)>,
    disk_low: Option<f64>,
    disk_checked: Option<std::time::Instant>,
    /// Overlays drawn since the last batch was sent for recording.
    overlay_batch: Vec<crate::domain::overlay::RecordedOverlay>,
    overlay_sent: std::time::Instant,
    /// Who works here: the signed-in user (or this workstation, without sign-in).
    user: ConsoleUser,
    sign_in: SignInForm,
}

impl ConsoleApp {
    pub fn new(ctx: &egui::Context, options: StartOptions) -> Self {
        let mut notices = options.notices.clone();
        let city_map = match crate::city_map::CityMap::bundled() {
            Ok(map) => Some(map),
            Err(e) => {
                tracing::error!(error = %e, "no offline city map");
                notices.push(e.to_string());
                None
            }
        };
        if let Some(service) = &options.service {
            // What engines and other consoles change wakes an idle console.
            let ctx = ctx.clone();
            service.set_waker(move || ctx.request_repaint());
        }
        theme::install(ctx);
        let mut map_memory = MapMemory::default();
        let (lat, lon) = options.settings.map_centre_deg;
        map_memory.center_at(lat_lon(lat, lon));
        if map_memory.set_zoom(options.settings.map_zoom).is_err() {
            let _ = map_memory.set_zoom(super::settings::DEFAULT_ZOOM);
        }
        let database = if options.service.is_some() {
            DatabaseState::Opening
        } else {
            DatabaseState::Failed(options.notices.first().cloned().unwrap_or_default())
        };
        if let Some(service) = &options.service {
            // The PTZ commands log in to cameras with this workstation's credentials.
            let credentials = options.streams.credentials().clone();
            if let Err(e) = service.send(Command::UseCameraCredentials(credentials)) {
                notices.push(e.to_string());
            }
        }
        // Live video plays only for whom the back end says may watch it.
        let streams = match &options.service {
            Some(service) => options.streams.gated_by(service.session()),
            None => options.streams,
        };
        Self {
            base_map: BaseMap::start(&options.base_map, ctx),
            settings: options.settings,
            service: options.service,
            cameras: CameraView::new(map_memory),
            database,
            notices,
            city_map,
            show_about: false,
            show_engines: false,
            remote_overlays: RemoteOverlays::default(),
            close_on: None,
            engines: super::EngineView::default(),
            plates: super::plate_desk::PlateDesk::default(),
            flow: super::traffic_flow::TrafficFlow::default(),
            central_width: 0.0,
            saved_settings: None,
            streams,
            alarms: Alarms::default(),
            wall_runtime: WallRuntime::default(),
            target_format: options
                .target_format
                .unwrap_or(wgpu::TextureFormat::Rgba8Unorm),
            clock: options.clock,
            geometry: GeometryEditing::default(),
            review: ReviewState::default(),
            replay: ReplayState::default(),
            recordings: options.recordings,
            disk_low: None,
            disk_checked: None,
            overlay_batch: Vec::new(),
            overlay_sent: std::time::Instant::now(),
            user: ConsoleUser::new(options.require_sign_in),
            sign_in: SignInForm::default(),
        }
    }

    /// Drains back-end events; call once per frame before [`Self::ui`].
    /// Closes the window when `flag` is set (the console's stop signals).
    pub fn close_on(&mut self, flag: &'static std::sync::atomic::AtomicBool) {
        self.close_on = Some(flag);
    }

    pub fn logic(&mut self, ctx: &egui::Context) {
        if self
            .close_on
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::Relaxed))
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        let mut received = false;
        let mut follow = Vec::new();
        let mut commands = Vec::new();
        while let Some(reply) = self.service.as_ref().and_then(ServiceHandle::try_next) {
            received = true;
            // The views take what is theirs; the console the rest.
            let lang = self.settings.language;
            let Some(reply) = self.review.on_reply(reply, ctx, lang, &mut follow) else {
                continue;
            };
            let Some(reply) = self.replay.on_reply(reply) else {
                continue;
            };
            let Some(reply) = self.sign_in.on_reply(reply, self.settings.language) else {
                continue;
            };
            let Some(reply) = self.plates.on_reply(reply, ctx, &mut commands) else {
                continue;
            };
            let Some(reply) = self.alarms.on_reply(reply, &mut commands) else {
                continue;
            };
            let Some(reply) = self.geometry.on_reply(reply, lang, &mut self.notices) else {
                continue;
            };
            let Some(reply) = self.remote_overlays.on_reply(reply) else {
                continue;
            };
            let Some(reply) = self.wall_runtime.ptz.on_reply(reply) else {
                continue;
            };
            let Some(reply) = self.engines.on_reply(reply) else {
                continue;
            };
            let Some(reply) = self.flow.on_reply(reply) else {
                continue;
            };
            match reply {
                Reply::Opened {
                    location,
                    short_name,
                    ..
                } => {
                    self.database = DatabaseState::Open {
                        location,
                        short_name,
                    }
                }
                Reply::Inventory(inventory) => self.set_inventory(inventory),
                Reply::SignedIn(user) => {
                    tracing::info!(user = %user.username, role = user.role.code(), "signed in");
                    if !user.role.can(Permission::ViewLive) {
                        self.settings.view = MainView::Map;
                    }
                    // A refusal shown before signing in was about nobody: it goes.
                    self.notices.retain(|n| {
                        [Language::Vietnamese, Language::English]
                            .iter()
                            .all(|&l| n.as_str() != Text::NotPermitted.get(l))
                    });
                    self.user.sign_in(user);
                }
                Reply::Failed { message } => {
                    self.sign_in.pending = false;
                    self.plates.failed();
                    self.geometry.save_failed();
                    self.review.building.clear();
                    if matches!(self.database, DatabaseState::Opening) {
                        self.database = DatabaseState::Failed(message);
                    } else {
                        self.notices.push(message);
                    }
                }
                // Taken by the views above.
                Reply::UsersExist(_)
                | Reply::SignInFailed(_)
                | Reply::Incidents(_)
                | Reply::Library(_)
                | Reply::IncidentRecordings { .. }
                | Reply::Confirmed(_)
                | Reply::NoticeProduced { .. }
                | Reply::ReviewQueue(_)
                | Reply::EvidenceOpened { .. }
                | Reply::EvidenceBuilt { .. }
                | Reply::Reviewed { .. }
                | Reply::EventRecorded { .. }
                | Reply::SiteEvents(_)
                | Reply::EventStates(_)
                | Reply::Geometries(_)
                | Reply::GeometrySaved { .. }
                | Reply::LiveOverlays(_)
                | Reply::Engines { .. }
                | Reply::PlateSighting(_)
                | Reply::PlateSearch { .. }
                | Reply::Watchlist(_)
                | Reply::Ptz(_)
                | Reply::Flows { .. } => {}
            }
        }
        // The counting cameras' flow, and the selected one's last hour if it counts.
        if self.cameras.inventory_loaded {
            let counting = |e: &&super::action::CameraEntry| {
                e.camera.kind == crate::domain::CameraKind::FlowCount
            };
            let selected = self
                .cameras
                .selected
                .and_then(|i| self.cameras.entries.get(i))
                .filter(|e| counting(e) || self.geometry.counts(&e.camera.code))
                .map(|e| e.camera.code.clone());
            // The list of counting cameras is made only when it is time to ask (not each frame).
            if self.flow.due(&selected) {
                let cameras: Vec<String> = self
                    .cameras
                    .entries
                    .iter()
                    .filter(counting)
                    .map(|e| e.camera.code.clone())
                    .collect();
                commands.extend(self.flow.request(cameras, selected));
            }
        }
        for command in commands {
            self.send(command);
        }
        if let Some(stored) = self.geometry.take_changed() {
            self.streams.set_geometries(stored);
        }
        for action in follow {
            self.apply(action);
        }
        if received {
            ctx.request_repaint();
        } else if !self.cameras.inventory_loaded && self.service.is_some() {
            // Still waiting for the database: look again soon without spinning.
            let wait_ms = match self.database {
                DatabaseState::Failed(_) => 500,
                _ => 50,
            };
            ctx.request_repaint_after(std::time::Duration::from_millis(wait_ms));
        }
        if let Some(request) = self
            .geometry
            .editor
            .as_mut()
            .and_then(|e| e.handle_keys(ctx))
        {
            self.editor_request(request);
        }
        self.handle_shortcuts(ctx);
        // Events of the rules become alarms; problems reading a camera's rules, notices.
        for live in self.streams.take_events() {
            let geometry_version = self.geometry.version_of(&live.camera);
            let event = live.to_new_event(geometry_version);
            let received = self.clock.vietnam_time_of_day();
            let alarm = self.alarms.raise(live.camera, live.event, received);
            self.send(Command::RecordEvent { alarm, event });
        }
        self.notices.extend(self.streams.take_problems());
        // The recordings disk, once a minute (a statfs call).
        if let Some((dir, min_free)) = &self.recordings
            && self
                .disk_checked
                .is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(60))
        {
            self.disk_checked = Some(std::time::Instant::now());
            self.disk_low = crate::recording::disk_space(dir).and_then(|(free, total)| {
                let share = free as f64 / total.max(1) as f64;
                (share < *min_free).then_some(share)
            });
        }
        // What was drawn goes to the store in batches, about once a second (for replays).
        self.overlay_batch.extend(self.streams.take_overlays());
        if !self.overlay_batch.is_empty()
            && (self.overlay_sent.elapsed() >= std::time::Duration::from_secs(1)
                || self.overlay_batch.len() >= 500)
        {
            let batch = std::mem::take(&mut self.overlay_batch);
            self.send(Command::RecordOverlays(batch));
            self.overlay_sent = std::time::Instant::now();
        }
        // Once a frame: each watched camera's status and health (one look per stream).
        let watched = self.streams.cameras();
        for entry in &mut self.cameras.entries {
            match watched.get(&entry.camera.code) {
                Some((status, health)) => {
                    entry.status = *status;
                    entry.health = Some(health.clone());
                    entry.detect = self.streams.camera_detect_stats(&entry.camera.code);
                    // A tampered view, or an alarm nobody acknowledged, is red on the map.
                    if entry.detect.as_ref().is_some_and(|d| d.tampered.is_some())
                        || camera_alarmed(self.alarms.list(), &entry.camera.code)
                    {
                        entry.status = CameraStatus::Alarm;
                    }
                }
                None => {
                    entry.status = CameraStatus::Unknown;
                    entry.health = None;
                    entry.detect = None;
                }
            }
        }
        if !self.streams.is_empty() {
            // New pictures arrive on worker threads: look for them at the wall's pace.
            ctx.request_repaint_after(std::time::Duration::from_millis(40));
        }
        // eframe saves only during a frame: make sure one happens after a change, so layout
        // and selection survive a crash or a power cut, not only a normal close.
        if self.saved_settings.as_ref() != Some(&self.settings_to_save()) {
            ctx.request_repaint_after(AUTOSAVE_INTERVAL);
        }
    }

    fn set_inventory(&mut self, inventory: Inventory) {
        let remembered = self.settings.selected_camera.clone();
        self.cameras.set_inventory(inventory, remembered);
        self.streams.set_junctions(self.cameras.junction_of());
        self.settings
            .wall
            .fill_first(&self.cameras.playing_samples());
    }

    fn handle_shortcuts(&mut self, ctx: &egui::Context) {
        let (engines, watchlist, plates) = ctx.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::NONE, egui::Key::F6),
                i.consume_key(egui::Modifiers::NONE, egui::Key::F7),
                i.consume_key(egui::Modifiers::NONE, egui::Key::F8),
            )
        });
        if engines {
            self.apply(Action::ToggleEngines);
        }
        if watchlist {
            self.apply(Action::Plates(PlateAction::ToggleWatchlist));
        }
        if plates {
            self.apply(Action::Plates(PlateAction::ToggleSearch));
        }
        let (find, list, escape, about, map, wall, review, replay) = ctx.input_mut(|i| {
            (
                i.consume_key(egui::Modifiers::COMMAND, egui::Key::F),
                i.consume_key(egui::Modifiers::COMMAND, egui::Key::L),
                i.consume_key(egui::Modifiers::NONE, egui::Key::Escape),
                i.consume_key(egui::Modifiers::NONE, egui::Key::F1),
                i.consume_key(egui::Modifiers::NONE, egui::Key::F2),
                i.consume_key(egui::Modifiers::NONE, egui::Key::F3),
                i.consume_key(egui::Modifiers::NONE, egui::Key::F4),
                i.consume_key(egui::Modifiers::NONE, egui::Key::F5),
            )
        });
        if map {
            self.apply(Action::ShowView(MainView::Map));
        }
        if wall {
            self.apply(Action::ShowView(MainView::Wall));
        }
        if review {
            self.apply(Action::ShowView(MainView::Review));
        }
        if replay {
            self.apply(Action::ShowView(MainView::Replay));
        }
        if find {
            self.settings.show_camera_list = true;
            ctx.memory_mut(|m| m.request_focus(camera_list::search_id()));
        }
        if list {
            self.settings.show_camera_list = !self.settings.show_camera_list;
        }
        if escape {
            if self.show_about {
                self.show_about = false;
            } else if self.show_engines {
                self.show_engines = false;
            } else if self.plates.search_open {
                self.plates.search_open = false;
            } else if self.plates.watchlist_open {
                self.plates.watchlist_open = false;
            } else if self.settings.wall.fullscreen.is_some() {
                self.settings.wall.fullscreen = None;
            } else {
                self.apply(Action::Select(None));
            }
        }
        if about {
            self.show_about = !self.show_about;
        }
    }

    /// Draws the whole console.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let mut actions = Vec::new();
        let lang = self.settings.language;

        egui::Panel::top("top-bar").show(ui, |ui| self.top_bar_ui(ui, &mut actions));
        egui::Panel::bottom("status-bar").show(ui, |ui| self.status_bar_ui(ui));
        if self.user.must_sign_in() {
            let request = egui::CentralPanel::default()
                .show(ui, |ui| sign_in_ui(ui, &mut self.sign_in, lang))
                .inner;
            if let Some(request) = request {
                self.send(match request {
                    SignInRequest::SignIn { username, password } => {
                        Command::SignIn { username, password }
                    }
                    SignInRequest::CreateAdministrator {
                        username,
                        display_name,
                        password,
                    } => Command::CreateFirstAdministrator {
                        username,
                        display_name,
                        password,
                    },
                });
            }
            for action in actions {
                self.apply(action);
            }
            return;
        }
        let camera_panel_open = self
            .cameras
            .selected
            .is_some_and(|i| i < self.cameras.entries.len());
        let alarms_open = !self.alarms.is_empty() && self.can(Permission::ViewLive);
        // The wall keeps most of the window; the map (which pans) lets the panels have theirs.
        let wall_in_middle = self.settings.view == MainView::Wall && !self.settings.wall.own_window;
        let [list_width, panel_width, alarm_width] = side_panel_widths(
            ui.available_rect_before_wrap().width(),
            [
                self.settings.show_camera_list,
                camera_panel_open,
                alarms_open,
            ],
            if wall_in_middle {
                SIDE_PANELS_SHARE
            } else {
                1.0
            },
        );
        if self.settings.show_camera_list {
            egui::Panel::left("camera-list")
                .resizable(true)
                .default_size(list_width.0)
                .size_range(list_width.1)
                .show(ui, |ui| {
                    camera_list_ui(
                        ui,
                        &self.cameras.entries,
                        &mut self.settings,
                        self.cameras.selected,
                        self.cameras.scroll_list_frames > 0,
                        &mut actions,
                    );
                });
        }
        if let Some(index) = self.cameras.selected
            && let Some(entry) = self.cameras.entries.get(index)
        {
            egui::Panel::right("camera-panel")
                .resizable(true)
                .default_size(panel_width.0)
                .size_range(panel_width.1)
                .show(ui, |ui| {
                    let engine_line = self.engines.camera_line(&entry.camera.code, lang);
                    egui::ScrollArea::vertical()
                        .id_salt("camera-panel-scroll")
                        .show(ui, |ui| {
                            camera_panel_ui(ui, index, entry, engine_line, lang, &mut actions);
                            if entry.camera.onvif_url.is_some() {
                                let code = &entry.camera.code;
                                let now = ui.input(|i| i.time);
                                self.wall_runtime.ptz.poll(code, now, &mut actions);
                                super::ptz_pad::panel_ui(
                                    ui,
                                    code,
                                    self.wall_runtime.ptz.view(code),
                                    lang,
                                    &mut actions,
                                );
                            }
                            self.flow.panel_ui(ui, &entry.camera.code, lang);
                        });
                });
        }
        if alarms_open {
            let entries = &self.cameras.entries;
            let name_of = |code: &str| camera_name(entries, code);
            egui::Panel::right("alarm-list")
                .resizable(true)
                .default_size(alarm_width.0)
                .size_range(alarm_width.1)
                .show(ui, |ui| {
                    alarm_list_ui(ui, self.alarms.list(), &name_of, lang, &mut actions);
                });
        }
        let wall_here = self.settings.view == MainView::Wall && !self.settings.wall.own_window;
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| {
                self.central_width = ui.max_rect().width();
                if self.settings.view == MainView::Replay {
                    let mut replay_actions = Vec::new();
                    replay_ui(
                        ui,
                        &mut self.replay,
                        self.target_format,
                        lang,
                        &mut replay_actions,
                    );
                    actions.extend(replay_actions.into_iter().map(Action::Replay));
                } else if self.settings.view == MainView::Review {
                    let mut review_actions = Vec::new();
                    review_ui(ui, &mut self.review, lang, &mut review_actions);
                    actions.extend(review_actions.into_iter().map(Action::Review));
                } else if wall_here {
                    self.wall_ui(ui, &mut actions);
                } else {
                    self.map_ui(ui, &mut actions);
                }
            });
        if self.settings.wall.own_window {
            self.wall_window(ui.ctx(), &mut actions);
        }

        if self.show_about {
            self.about_ui(ui.ctx(), &mut actions);
        }
        if self.show_engines && self.can(Permission::ViewEngines) {
            let mut open = true;
            egui::Window::new(Text::Engines.get(lang))
                .open(&mut open)
                .default_width(720.0)
                .show(ui.ctx(), |ui| {
                    super::engines_panel::engines_ui(ui, &self.engines, lang)
                });
            if !open {
                actions.push(Action::ToggleEngines);
            }
        }
        {
            let entries = &self.cameras.entries;
            let name_of = |code: &str| camera_name(entries, code);
            if self.user.can(Permission::ViewLive) {
                self.plates
                    .alerts_ui(ui.ctx(), lang, &name_of, &mut actions);
            }
            if self.plates.search_open && self.user.can(Permission::SearchPlates) {
                self.plates
                    .search_ui(ui.ctx(), lang, &name_of, &mut actions);
            }
            if self.plates.watchlist_open && self.user.can(Permission::ManageWatchlist) {
                self.plates.watchlist_ui(ui.ctx(), lang, &mut actions);
            }
        }
        self.open_waiting_editor();
        if let Some(request) = self
            .geometry
            .editor
            .as_mut()
            .and_then(|e| e.ui(ui.ctx(), lang))
        {
            actions.push(Action::Editor(request));
        }
        if self.cameras.inventory_loaded {
            self.cameras.scroll_list_frames = self.cameras.scroll_list_frames.saturating_sub(1);
        }
        for action in actions {
            self.apply(action);
        }
    }

    fn top_bar_ui(&self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let lang = self.settings.language;
        ui.horizontal(|ui| {
            ui.heading(Text::AppTitle.get(lang));
            ui.separator();
            for (view, label) in [
                (MainView::Map, Text::MapView),
                (MainView::Wall, Text::Wall),
                (MainView::Review, Text::ReviewView),
                (MainView::Replay, Text::ReplayView),
            ] {
                if !self.view_permitted(view) {
                    continue;
                }
                if ui
                    .selectable_label(self.settings.view == view, label.get(lang))
                    .clicked()
                {
                    actions.push(Action::ShowView(view));
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button(Text::About.get(lang)).clicked() {
                    actions.push(Action::ToggleAbout);
                }
                if self.can(Permission::ViewEngines)
                    && ui
                        .selectable_label(self.show_engines, Text::Engines.get(lang))
                        .clicked()
                {
                    actions.push(Action::ToggleEngines);
                }
                let (search, watch) = (
                    self.can(Permission::SearchPlates),
                    self.can(Permission::ManageWatchlist),
                );
                if search || watch {
                    ui.menu_button(Text::Plates.get(lang), |ui| {
                        if search && ui.button(Text::PlateSearchMenu.get(lang)).clicked() {
                            actions.push(Action::Plates(PlateAction::ToggleSearch));
                        }
                        if watch && ui.button(Text::WatchlistMenu.get(lang)).clicked() {
                            actions.push(Action::Plates(PlateAction::ToggleWatchlist));
                        }
                    });
                }
                if let Some(user) = self.user.signed_in() {
                    if ui.button(Text::SignOut.get(lang)).clicked() {
                        actions.push(Action::SignOut);
                    }
                    ui.label(format!("{} · {}", user.display_name, user.role.name_vi()));
                }
                for (language, label) in [(Language::English, "EN"), (Language::Vietnamese, "VI")] {
                    if ui
                        .selectable_label(lang == language, label)
                        .on_hover_text(Text::Language.get(lang))
                        .clicked()
                    {
                        actions.push(Action::SetLanguage(language));
                    }
                }
            });
        });
        if !self.can(Permission::ViewLive) && self.user.signed_in().is_some() {
            theme::warning_strip(ui, Text::NoLiveForRole.get(lang));
        }
        let unsurveyed = self
            .cameras
            .entries
            .iter()
            .filter(|e| !e.camera.position_surveyed)
            .count();
        if unsurveyed > 0 {
            let text = format!(
                "{} ({unsurveyed}/{} {})",
                Text::SamplePositionsBanner.get(lang),
                self.cameras.entries.len(),
                Text::CameraCount.get(lang)
            );
            theme::warning_strip(ui, &text);
        }
        // Only while a sample camera is on: a switched-off one plays nothing.
        if !self.cameras.playing_samples().is_empty() {
            theme::warning_strip(ui, Text::SampleVideoBanner.get(lang));
        }
    }

    fn status_bar_ui(&self, ui: &mut egui::Ui) {
        let lang = self.settings.language;
        ui.horizontal_wrapped(|ui| {
            match &self.database {
                DatabaseState::Opening => {
                    ui.spinner();
                    ui.label(Text::Opening.get(lang));
                }
                DatabaseState::Open {
                    location,
                    short_name,
                } => {
                    ui.label(format!("{}: {short_name}", Text::Database.get(lang)))
                        .on_hover_text(location);
                }
                DatabaseState::Failed(message) => {
                    ui.colored_label(theme::status_colour(CameraStatus::Alarm), message);
                }
            }
            ui.separator();
            ui.label(format!(
                "{} {}",
                self.cameras.entries.len(),
                Text::CameraCount.get(lang)
            ));
            ui.separator();
            detector_status_ui(ui, self.streams.detector_status(), lang);
            if let Some(line) = self.engines.overload_line(lang) {
                ui.separator();
                ui.colored_label(theme::WARNING, line);
            }
            if let Some(share) = self.disk_low {
                ui.separator();
                ui.colored_label(
                    theme::status_colour(CameraStatus::Alarm),
                    format!(
                        "{} {:.0} %",
                        Text::RecordingDiskLow.get(lang),
                        share * 100.0
                    ),
                );
            }
            for notice in self.notices.iter().rev().take(2) {
                ui.separator();
                ui.colored_label(theme::WARNING, one_line(notice, STATUS_CHARS))
                    .on_hover_text(notice);
            }
            // The shortcut hint takes what room the status leaves, cut short rather than drawn
            // over it.
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(Text::ShortcutList.get(lang))
                            .small()
                            .weak(),
                    )
                    .truncate(),
                );
            });
        });
    }

    fn wall_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let context = WallContext {
            entries: &self.cameras.entries,
            streams: &self.streams,
            engines: &self.engines,
            remote_overlays: &self.remote_overlays,
            language: self.settings.language,
            target_format: self.target_format,
            clock: self.clock,
        };
        let wanted = wall_ui(
            ui,
            context,
            &mut self.settings.wall,
            &mut self.wall_runtime,
            actions,
        );
        // Streams start and stop after drawing, by the back end.
        actions.push(Action::WatchStreams(wanted));
    }

    /// The wall in a window of its own (a second monitor); embedded where the platform has
    /// only one window (tests, screenshots).
    fn wall_window(&mut self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let title = Text::WallWindowTitle.get(self.settings.language);
        let mut close = false;
        ctx.show_viewport_immediate(
            egui::ViewportId::from_hash_of("video-wall"),
            egui::ViewportBuilder::default()
                .with_title(title)
                .with_inner_size([1280.0, 800.0]),
            |ui, _class| {
                egui::CentralPanel::default().show(ui, |ui| self.wall_ui(ui, actions));
                if ui.input(|i| i.viewport().close_requested()) {
                    close = true;
                }
            },
        );
        if close {
            actions.push(Action::ToggleWallWindow);
        }
    }

    fn map_ui(&mut self, ui: &mut egui::Ui, actions: &mut Vec<Action>) {
        let lang = self.settings.language;
        let availability = self.base_map.availability();
        let cameras: Vec<MapCamera> = self
            .cameras
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| passes_filters(e, &self.settings))
            .map(|(index, e)| MapCamera {
                index,
                camera: &e.camera,
                status: e.status,
                flow: self.flow.level(&e.camera.code),
            })
            .collect();
        let all_cameras: Vec<&Camera> = self.cameras.entries.iter().map(|e| &e.camera).collect();
        let alarm_spots =
            alarm_layer::spots(self.alarms.list(), &all_cameras, &self.cameras.junctions);
        let signal_spots = signal_layer::spots(
            &self.streams.signal_overview(),
            &all_cameras,
            &self.cameras.junctions,
        );
        let mut output = MapOutput::default();
        let show_schematic = !matches!(availability, Availability::Available);
        let centre = lat_lon(CITY_CENTRE_DEG.0, CITY_CENTRE_DEG.1);
        // Pressing on a marker starts a drag of the camera (to the wall), not a pan.
        let on_marker = self.cameras.last_map_output.hovered_camera.is_some()
            || egui::DragAndDrop::has_payload_of_type::<super::action::CameraDrag>(ui.ctx());
        let pan_buttons = if on_marker {
            egui::DragPanButtons::empty()
        } else {
            egui::DragPanButtons::PRIMARY
        };
        let mut map = Map::new(
            self.base_map.tiles_to_draw(),
            &mut self.cameras.map_memory,
            centre,
        )
        .drag_pan_buttons(pan_buttons);
        if show_schematic {
            map = map.with_plugin(Schematic {
                junctions: &self.cameras.junctions,
                city: self.city_map.as_ref(),
                data_note: self.city_map.as_ref().map_or_else(String::new, |c| {
                    format!("{} {}", Text::MapDataOf.get(lang), c.data_date)
                }),
            });
        }
        let response = map
            .with_plugin(CameraLayer {
                cameras,
                selected: self.cameras.selected,
                language: lang,
                output: &mut output,
            })
            .with_plugin(SignalLayer {
                spots: signal_spots,
                lang,
            })
            .with_plugin(AlarmLayer { spots: alarm_spots })
            .with_plugin(ScaleBar)
            .show(ui, |_, _, _, _| ());
        let map_rect = response.response.rect;

        let notice = match &availability {
            Availability::Available => None,
            Availability::Checking => Some(Text::TilesLoading.get(lang).to_owned()),
            Availability::Offline(reason) => {
                Some(format!("{} ({reason})", Text::TilesOffline.get(lang)))
            }
            Availability::NotConfigured => Some(Text::TilesNone.get(lang).to_owned()),
        };
        if let Some(text) = notice {
            // A real label (not paint), so screen readers and tests can find it.
            egui::Area::new(egui::Id::unique("map-notice"))
                .fixed_pos(map_rect.left_top() + egui::vec2(12.0, 12.0))
                .interactable(false)
                .show(ui.ctx(), |ui| {
                    egui::Frame::new()
                        .fill(egui::Color32::from_black_alpha(190))
                        .corner_radius(4.0)
                        .inner_margin(egui::Margin::symmetric(8, 5))
                        .show(ui, |ui| {
                            ui.set_max_width((map_rect.width() - 40.0).max(240.0));
                            ui.label(egui::RichText::new(text).color(egui::Color32::WHITE));
                        });
                });
        }

        if let Some(index) = output.clicked_camera {
            actions.push(Action::Select(Some(index)));
            actions.push(Action::RevealInList);
        }
        if let Some((position, zoom)) = output.zoom_to {
            actions.push(Action::ZoomTo(position, zoom));
        }
        self.cameras.last_map_output = output;
    }

    fn about_ui(&self, ctx: &egui::Context, actions: &mut Vec<Action>) {
        let lang = self.settings.language;
        let mut open = true;
        egui::Window::new(Text::About.get(lang))
            .collapsible(false)
            .resizable(false)
            .open(&mut open)
            .show(ctx, |ui| {
                ui.heading(Text::AppTitle.get(lang));
                ui.label(Text::AboutBody.get(lang));
                ui.separator();
                ui.label(format!("{}: {}", Text::Version.get(lang), crate::VERSION));
                ui.label(format!(
                    "{}: {}",
                    Text::Revision.get(lang),
                    crate::GIT_REVISION
                ));
                ui.separator();
                ui.label(egui::RichText::new(Text::Shortcuts.get(lang)).strong());
                ui.label(Text::ShortcutList.get(lang));
                ui.separator();
                ui.label(egui::RichText::new(Text::Credits.get(lang)).strong());
                ui.label(Text::CreditList.get(lang));
            });
        if !open {
            actions.push(Action::ToggleAbout);
        }
    }

    /// What the plate search, the watch list or an alert asked for (permitted already).
    fn plates_action(&mut self, action: PlateAction) {
        match action {
            PlateAction::ToggleSearch => self.plates.toggle_search(),
            PlateAction::ToggleWatchlist => {
                self.plates.watchlist_open = !self.plates.watchlist_open;
                if self.plates.watchlist_open {
                    self.send(Command::LoadWatchlist);
                }
            }
            PlateAction::Search(text) => {
                self.plates.searching();
                self.send(Command::SearchPlates { text });
            }
            PlateAction::Add {
                plate,
                reason,
                until,
            } => self.send(Command::AddToWatchlist {
                plate,
                reason,
                until,
            }),
            PlateAction::Remove(id) => self.send(Command::RemoveFromWatchlist { id }),
            PlateAction::Dismiss(id) => self.plates.dismiss(id),
        }
    }

    fn apply(&mut self, action: Action) {
        let needed = match &action {
            Action::OpenFeed(_) | Action::ToggleWallWindow => Some(Permission::ViewLive),
            Action::AdvanceAlarm(_) => Some(Permission::HandleAlarms),
            Action::EditGeometry(_) => Some(Permission::EditGeometry),
            Action::ToggleEngines => Some(Permission::ViewEngines),
            Action::Plates(PlateAction::ToggleSearch | PlateAction::Search(_)) => {
                Some(Permission::SearchPlates)
            }
            Action::Plates(
                PlateAction::ToggleWatchlist | PlateAction::Add { .. } | PlateAction::Remove(_),
            ) => Some(Permission::ManageWatchlist),
            Action::ShowView(view) if !self.view_permitted(*view) => Some(Permission::Review),
            _ => None,
        };
        if needed.is_some_and(|p| !self.can(p))
            || matches!(&action, Action::ShowView(v) if !self.view_permitted(*v))
        {
            self.notices
                .push(Text::NotPermitted.get(self.settings.language).to_owned());
            return;
        }
        match action {
            Action::Notice(text) => self.notices.push(text),
            Action::Review(action) => self.review_action(action),
            Action::Plates(action) => self.plates_action(action),
            // The back end checks who may steer and says so on the tile.
            Action::Ptz { camera, op } => self.send(Command::Ptz { camera, op }),
            Action::Replay(action) => self.replay_action(action),
            Action::Editor(request) => self.editor_request(request),
            Action::SignOut => {
                if self.user.sign_out().is_some() {
                    self.send(Command::SignOut);
                }
                self.geometry.editor = None;
                self.review = ReviewState::default();
                self.replay = ReplayState::default();
                self.settings.view = MainView::Map;
                // Nothing live stays open for whoever comes next.
                self.streams.retain(&std::collections::HashSet::new());
            }
            Action::Select(index) => {
                self.cameras.selected = index.filter(|i| *i < self.cameras.entries.len());
                self.settings.selected_camera = self
                    .cameras
                    .selected
                    .map(|i| self.cameras.entries[i].camera.code.clone());
            }
            Action::AdvanceAlarm(id) => {
                if let Some(command) = self.alarms.advance(id) {
                    self.send(command);
                }
            }
            Action::SelectCode(code) => {
                if let Some(index) = self
                    .cameras
                    .entries
                    .iter()
                    .position(|e| e.camera.code == code)
                {
                    self.apply(Action::Select(Some(index)));
                    self.apply(Action::CentreOn(index));
                    self.cameras.scroll_list_frames = SCROLL_FRAMES;
                }
            }
            Action::CentreOn(index) => {
                if let Some(entry) = self.cameras.entries.get(index) {
                    let p = entry.camera.position;
                    self.cameras
                        .map_memory
                        .center_at(lat_lon(p.lat_deg, p.lon_deg));
                }
            }
            Action::OpenFeed(index) => {
                let Some(entry) = self.cameras.entries.get(index) else {
                    return;
                };
                let tile = self.settings.wall.place(&entry.camera.code);
                if !self.settings.wall.own_window {
                    self.settings.view = MainView::Wall;
                }
                if let Some(service) = &self.service {
                    let audit = NewAuditEntry {
                        // The back end names whoever is signed in.
                        actor: String::new(),
                        action: crate::domain::AuditAction::CameraOpenFeed,
                        subject: entry.camera.code.clone(),
                        detail: serde_json::json!({ "tile": tile }),
                    };
                    if let Err(e) = service.send(Command::Audit(audit)) {
                        self.notices.push(e.to_string());
                    }
                }
            }
            Action::EditGeometry(index) => {
                let Some(code) = self
                    .cameras
                    .entries
                    .get(index)
                    .map(|e| e.camera.code.clone())
                else {
                    return;
                };
                if self.streams.latest_frame(&code).is_none() {
                    self.apply(Action::OpenFeed(index));
                }
                self.geometry.wait_for(code);
                self.open_waiting_editor();
            }
            Action::ZoomTo(position, zoom) => {
                self.cameras.map_memory.center_at(position);
                let _ = self.cameras.map_memory.set_zoom(zoom);
            }
            Action::SetLanguage(language) => self.settings.language = language,
            Action::ToggleAbout => self.show_about = !self.show_about,
            Action::ToggleEngines => self.show_engines = !self.show_engines,
            Action::WatchStreams(wanted) => {
                let mut remote = Vec::new();
                for request in &wanted {
                    self.streams.watch_with(
                        &request.key,
                        &request.url,
                        request.credentials_ref.as_deref(),
                        crate::service::StreamUse {
                            analyse: request.analyse,
                            tap: None,
                            // A camera an engine elsewhere searches: keep frames until its
                            // boxes for them arrive through the database.
                            history: if request.analyse { 0 } else { REMOTE_HISTORY },
                            // Plates are read by the engines, not for the wall.
                            read_plates: false,
                        },
                    );
                    if !request.analyse && !self.streams.is_lent(&request.key) {
                        remote.push(request.key.camera.clone());
                    }
                }
                let used = wanted.into_iter().map(|r| r.key).collect();
                self.streams.retain(&used);
                remote.sort();
                remote.dedup();
                if let Some(command) = self.remote_overlays.follow(remote) {
                    self.send(command);
                }
            }
            Action::RevealInList => self.cameras.scroll_list_frames = SCROLL_FRAMES,
            Action::ShowView(view) => {
                self.settings.view = view;
                if view == MainView::Review {
                    self.reload_review();
                }
                if view == MainView::Replay {
                    self.send(Command::LoadIncidents);
                    self.send(Command::LoadLibrary);
                }
            }
            Action::ToggleWallWindow => {
                self.settings.wall.own_window = !self.settings.wall.own_window;
                if self.settings.wall.own_window {
                    self.settings.view = MainView::Map;
                }
            }
        }
    }

    /// The settings as they would be saved now (map view included).
    pub fn settings_to_save(&self) -> UiSettings {
        let mut settings = self.settings.clone();
        if let Some(centre) = self.cameras.map_memory.detached() {
            settings.map_centre_deg = (centre.y(), centre.x());
        }
        settings.map_zoom = self.cameras.map_memory.zoom();
        settings
    }

    // ---- What tests (and the screenshot command) need to read. ----

    pub fn inventory_loaded(&self) -> bool {
        self.cameras.inventory_loaded
    }

    pub fn database_failed(&self) -> Option<&str> {
        match &self.database {
            DatabaseState::Failed(message) => Some(message),
            _ => None,
        }
    }

    pub fn camera_codes(&self) -> Vec<&str> {
        self.cameras
            .entries
            .iter()
            .map(|e| e.camera.code.as_str())
            .collect()
    }

    pub fn camera_name(&self, code: &str) -> Option<&str> {
        self.cameras
            .entries
            .iter()
            .find(|e| e.camera.code == code)
            .map(|e| e.camera.name.as_str())
    }

    pub fn selected_code(&self) -> Option<&str> {
        self.cameras
            .selected
            .and_then(|i| self.cameras.entries.get(i))
            .map(|e| e.camera.code.as_str())
    }

    /// Codes of the cameras the side list shows now.
    pub fn listed_codes(&self) -> Vec<&str> {
        camera_list::visible_indices(&self.cameras.entries, &self.settings)
            .into_iter()
            .map(|i| self.cameras.entries[i].camera.code.as_str())
            .collect()
    }

    /// Where the camera's own marker was drawn last frame (`None` if clustered or hidden).
    pub fn marker_position(&self, code: &str) -> Option<egui::Pos2> {
        let index = self
            .cameras
            .entries
            .iter()
            .position(|e| e.camera.code == code)?;
        self.cameras
            .last_map_output
            .marker_positions
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, p)| *p)
    }

    /// Number of cameras drawn last frame, alone or inside a cluster.
    pub fn cameras_drawn(&self) -> usize {
        self.cameras.last_map_output.marker_positions.len()
            + self
                .cameras
                .last_map_output
                .clusters
                .iter()
                .map(|(_, n)| n)
                .sum::<usize>()
    }

    /// The frame and video rectangle a wall tile showed last frame.
    pub fn wall_tile(
        &self,
        tile: usize,
    ) -> Option<(std::sync::Arc<crate::video::YuvFrame>, egui::Rect)> {
        self.wall_runtime.shown.get(&tile).cloned()
    }

    /// The boxes of an engine elsewhere drawn over a wall tile last frame, with the time the
    /// picture under them was taken.
    pub fn wall_tile_remote_overlay(
        &self,
        tile: usize,
    ) -> Option<&(i64, crate::domain::overlay::RecordedOverlay)> {
        self.wall_runtime.shown_remote.get(&tile)
    }

    /// The overlays of an engine elsewhere this console holds for `camera` (time order).
    pub fn remote_overlays_of(&self, camera: &str) -> &[crate::domain::overlay::RecordedOverlay] {
        self.remote_overlays.of(camera)
    }

    /// The objects drawn over a wall tile last frame.
    pub fn wall_tile_detections(
        &self,
        tile: usize,
    ) -> Option<std::sync::Arc<crate::analytics::FrameDetections>> {
        self.wall_runtime.shown_detections.get(&tile).cloned()
    }

    /// What the signal groups of a camera's approaches show at `pts_90k` of its stream, as
    /// its wall tile draws them.
    pub fn approach_signals(
        &self,
        code: &str,
        pts_90k: i64,
    ) -> Vec<crate::service::ApproachSignal> {
        [
            crate::service::StreamKind::Main,
            crate::service::StreamKind::Sub,
        ]
        .into_iter()
        .map(|kind| {
            self.streams.signal_states(
                &crate::service::StreamKey {
                    camera: code.to_owned(),
                    kind,
                },
                pts_90k,
            )
        })
        .find(|s| !s.is_empty())
        .unwrap_or_default()
    }

    /// Whether the signed-in user (or this workstation, when no sign-in is required) may.
    pub fn can(&self, permission: Permission) -> bool {
        self.user.can(permission)
    }

    fn view_permitted(&self, view: MainView) -> bool {
        self.user.view_permitted(view)
    }

    /// Watches the recordings disk of `dir`, raising the alarm below `min_free` (a share).
    pub fn watch_recordings_disk(&mut self, dir: std::path::PathBuf, min_free: f64) {
        self.recordings = Some((dir, min_free));
        self.disk_checked = None;
    }

    /// The recordings disk's free share when it is below the share to keep.
    pub fn recording_disk_low(&self) -> Option<f64> {
        self.disk_low
    }

    /// The signed-in user, if any.
    /// The notices shown in the status bar (newest last).
    pub fn notices(&self) -> &[String] {
        &self.notices
    }

    pub fn signed_in_user(&self) -> Option<&crate::store::User> {
        self.user.signed_in()
    }

    fn reload_review(&mut self) {
        self.review.junctions = self
            .cameras
            .junctions
            .iter()
            .map(|j| (j.code.clone(), j.name.clone()))
            .collect();
        let cameras = self.review.junction_filter.as_ref().map(|junction| {
            self.cameras
                .entries
                .iter()
                .filter(|e| e.camera.junction_code.as_ref() == Some(junction))
                .map(|e| e.camera.code.clone())
                .collect()
        });
        let from_ms = self
            .review
            .days_filter
            .map(|days| crate::clock::now_utc_ms() - i64::from(days) * 86_400_000);
        let filter = crate::store::ReviewFilter {
            kind: self.review.kind_filter.map(|k| k.code().to_owned()),
            class: self.review.class_filter.clone(),
            cameras,
            from_ms,
            ..crate::store::ReviewFilter::default()
        };
        self.send(Command::LoadReview(filter));
        self.send(Command::LoadConfirmed);
    }

    fn send(&mut self, command: Command) {
        if let Some(service) = &self.service
            && let Err(e) = service.send(command)
        {
            self.notices.push(e.to_string());
        }
    }

    fn replay_action(&mut self, action: ReplayAction) {
        match action {
            ReplayAction::Open(id) => {
                self.send(Command::OpenIncident { id });
            }
            ReplayAction::Close => {
                self.replay.session = None;
                self.replay.open = None;
            }
            ReplayAction::OpenSaved(id) => {
                self.send(Command::OpenLibraryEntry { id });
            }
            ReplayAction::Save { name, notes } => {
                let Some(session) = &self.replay.session else {
                    return;
                };
                let (from_ms, to_ms) = session.clock.span();
                let entry = crate::store::LibraryEntry {
                    id: 0,
                    name,
                    notes,
                    cameras: session.cameras(),
                    from_ms,
                    to_ms,
                    event_id: self.replay.open.map(|(id, _)| id).filter(|id| *id > 0),
                    saved_by: String::new(),
                    saved_at_ms: 0,
                };
                self.send(Command::SaveToLibrary { entry });
            }
        }
    }

    /// The replay view's state.
    pub fn replay_state(&self) -> &ReplayState {
        &self.replay
    }

    fn review_action(&mut self, action: ReviewAction) {
        if matches!(action, ReviewAction::Confirm(..) | ReviewAction::Reject(..))
            && !self.can(Permission::Review)
        {
            self.notices
                .push(Text::NotPermitted.get(self.settings.language).to_owned());
            return;
        }
        match action {
            ReviewAction::Open(id) => {
                self.review.select(id);
                self.send(Command::OpenEvidence { id });
            }
            ReviewAction::Build(id) => {
                self.review.building.insert(id);
                self.send(Command::BuildEvidence { id });
            }
            ReviewAction::Confirm(id, confirmation) => {
                self.send(Command::Confirm { id, confirmation })
            }
            ReviewAction::Reject(id, reason) => self.send(Command::Reject {
                id,
                reason,
                note: String::new(),
            }),
            ReviewAction::Filter(kind) => {
                self.review.kind_filter = kind;
                self.reload_review();
            }
            ReviewAction::Refilter => self.reload_review(),
            ReviewAction::Watch(id) => {
                self.apply(Action::ShowView(MainView::Replay));
                if self.settings.view == MainView::Replay {
                    self.replay_action(ReplayAction::Open(id));
                }
            }
            ReviewAction::ProduceNotice(id) => {
                if !self.can(Permission::ProduceNotices) {
                    self.notices
                        .push(Text::NotPermitted.get(self.settings.language).to_owned());
                    return;
                }
                self.send(Command::ProduceNotice { id });
            }
        }
    }

    /// The review view's state (the queue, the open case).
    pub fn review_state(&self) -> &ReviewState {
        &self.review
    }

    /// Opens the editor for the camera waiting for it, once its feed has a picture.
    fn open_waiting_editor(&mut self) {
        let streams = &self.streams;
        self.geometry.open_waiting(
            |code| streams.latest_frame(code),
            |code| streams.camera_geometry(code),
        );
    }

    fn editor_request(&mut self, request: EditorRequest) {
        match request {
            EditorRequest::Close => self.geometry.editor = None,
            EditorRequest::Save(geometry) => {
                let sent = match &self.service {
                    Some(service) => service
                        .send(Command::SaveGeometry { geometry })
                        .map_err(|e| e.to_string()),
                    None => Err(Text::DatabaseUnavailable
                        .get(self.settings.language)
                        .to_owned()),
                };
                if let Err(e) = sent {
                    self.notices.push(e);
                    self.geometry.save_failed();
                }
            }
        }
    }

    /// The geometry editor, while open.
    pub fn geometry_editor(&self) -> Option<&GeometryEditor> {
        self.geometry.editor.as_ref()
    }

    /// Signal phases the map shows, by junction.
    pub fn junction_signals(&self) -> Vec<signal_layer::SignalSpot> {
        let cameras: Vec<&Camera> = self.cameras.entries.iter().map(|e| &e.camera).collect();
        signal_layer::spots(
            &self.streams.signal_overview(),
            &cameras,
            &self.cameras.junctions,
        )
    }

    /// The site's engines as last heard from the store.
    pub fn engines(&self) -> &super::EngineView {
        &self.engines
    }

    /// The alarms raised so far, oldest first.
    /// The width the view in the middle had at the last frame (the side panels take the rest).
    pub fn central_width(&self) -> f32 {
        self.central_width
    }

    pub fn alarms(&self) -> &[Alarm] {
        self.alarms.list()
    }

    /// The shared detector's state; `None` when detection is off.
    pub fn detector_status(&self) -> Option<crate::analytics::DetectorStatus> {
        self.streams.detector_status()
    }

    /// Detection counts of a camera's watched stream.
    pub fn camera_detect_stats(&self, code: &str) -> Option<crate::analytics::DetectStats> {
        self.streams.camera_detect_stats(code)
    }

    /// The wall's settings (layout, tiles, selection).
    pub fn wall_settings(&self) -> &super::settings::WallSettings {
        &self.settings.wall
    }

    /// Where a wall tile was drawn last frame (any tile, with or without video).
    /// What the wall knows of PTZ camera `camera`'s control (its holder, presets, last error).
    pub fn ptz_view(&self, camera: &str) -> Option<&super::ptz_pad::PtzView> {
        self.wall_runtime.ptz.view(camera)
    }

    pub fn wall_tile_rect(&self, tile: usize) -> Option<egui::Rect> {
        self.wall_runtime
            .tile_rects
            .iter()
            .find(|(i, _)| *i == tile)
            .map(|(_, r)| *r)
    }

    /// Camera `code`'s traffic against its usual level for the hour, as the map rings it.
    pub fn flow_level(&self, code: &str) -> Option<super::FlowLevel> {
        self.flow.level(code)
    }

    /// Selects camera `code` as a click in the list does.
    pub fn select_camera(&mut self, code: &str) {
        self.apply(Action::SelectCode(code.to_owned()));
    }

    /// Shows `code` on the wall as the "open feed" button does.
    pub fn open_feed(&mut self, code: &str) {
        if let Some(index) = self
            .cameras
            .entries
            .iter()
            .position(|e| e.camera.code == code)
        {
            self.apply(Action::OpenFeed(index));
        }
    }

    /// Health of the stream a camera's wall tile reads (main or sub), if one is watched.
    pub fn stream_health(&self, code: &str) -> Option<crate::ingest::StreamHealth> {
        [
            crate::service::StreamKind::Sub,
            crate::service::StreamKind::Main,
        ]
        .into_iter()
        .find_map(|kind| {
            self.streams.health(&crate::service::StreamKey {
                camera: code.to_owned(),
                kind,
            })
        })
    }

    pub fn camera_status(&self, code: &str) -> Option<CameraStatus> {
        self.cameras
            .entries
            .iter()
            .find(|e| e.camera.code == code)
            .map(|e| e.status)
    }

    pub fn set_map_view(&mut self, centre_deg: (f64, f64), zoom: f64) {
        self.apply(Action::ZoomTo(lat_lon(centre_deg.0, centre_deg.1), zoom));
    }
}

impl eframe::App for ConsoleApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        ConsoleApp::logic(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        ConsoleApp::ui(self, ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        let settings = self.settings_to_save();
        eframe::set_value(storage, STORAGE_KEY, &settings);
        self.saved_settings = Some(settings);
    }

    fn auto_save_interval(&self) -> std::time::Duration {
        AUTOSAVE_INTERVAL
    }
}

/// The detector's state in the status bar: its device, that it is loading, or why it is off.
fn detector_status_ui(
    ui: &mut egui::Ui,
    status: Option<crate::analytics::DetectorStatus>,
    lang: Language,
) {
    use crate::analytics::DetectorStatus;
    match status {
        None => {
            ui.label(Text::DetectorOff.get(lang));
        }
        Some(DetectorStatus::Loading) => {
            ui.spinner();
            ui.label(Text::DetectorLoading.get(lang));
        }
        Some(DetectorStatus::Ready { device }) => {
            ui.label(format!("{}: {device}", Text::Detection.get(lang)));
        }
        Some(DetectorStatus::Unavailable { reason }) => {
            ui.colored_label(theme::WARNING, Text::DetectorUnavailable.get(lang))
                .on_hover_text(&reason);
            ui.colored_label(
                theme::WARNING,
                egui::RichText::new(one_line(&reason, STATUS_CHARS)).small(),
            )
            .on_hover_text(&reason);
        }
    }
}

/// The most characters a status-bar message shows (the rest on hover), so that the status
/// bar stays one line and leaves the key hints their room.
const STATUS_CHARS: usize = 90;

/// `text` on one line and cut to `max` characters with an ellipsis.
fn one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// At most this share of the window goes to the side panels together (camera list, camera
/// panel, alarm list) beside the wall, so that the wall keeps the rest.
const SIDE_PANELS_SHARE: f32 = 0.45;

/// Each side panel's default width and range (list, camera panel, alarm list; `open` says
/// which are shown): their usual sizes, shrunk together when the open ones would take more
/// than `share` of `window`, and never dragged past their part of it.
fn side_panel_widths(
    window: f32,
    open: [bool; 3],
    share: f32,
) -> [(f32, std::ops::RangeInclusive<f32>); 3] {
    const USUAL: [(f32, f32, f32); 3] = [
        (340.0, 240.0, 560.0),
        (400.0, 300.0, 600.0),
        (320.0, 260.0, 520.0),
    ];
    let budget = (window * share).max(1.0);
    let wanted: f32 = USUAL
        .iter()
        .zip(open)
        .filter(|(_, open)| *open)
        .map(|(usual, _)| usual.0)
        .sum();
    let scale = if wanted > budget {
        budget / wanted
    } else {
        1.0
    };
    USUAL.map(|(default, min, max)| {
        let share = if wanted > 0.0 {
            budget * default / wanted
        } else {
            max
        };
        let low = (min * scale).min(default * scale);
        let high = max.min(share.max(default * scale)).max(low);
        (default * scale, low..=high)
    })
}

/// The name of the camera `code` names among `entries`.
fn camera_name(entries: &[super::action::CameraEntry], code: &str) -> Option<String> {
    entries
        .iter()
        .find(|e| e.camera.code == code)
        .map(|e| e.camera.name.clone())
}

#[cfg(test)]
mod tests {
    use super::{STATUS_CHARS, one_line};

    #[test]
    fn a_status_message_stays_on_one_line() {
        assert_eq!(one_line("model ready", STATUS_CHARS), "model ready");
        let long = format!(
            "model /x.onnx is not a known file\n(SHA-256 {})",
            "ab".repeat(64)
        );
        let short = one_line(&long, STATUS_CHARS);
        assert_eq!(short.chars().count(), STATUS_CHARS);
        assert!(short.ends_with('…') && !short.contains('\n'), "{short}");
    }

    use super::*;

    fn total(widths: &[(f32, std::ops::RangeInclusive<f32>); 3], open: [bool; 3]) -> (f32, f32) {
        widths
            .iter()
            .zip(open)
            .filter(|(_, open)| *open)
            .fold((0.0, 0.0), |(d, h), (w, _)| (d + w.0, h + *w.1.end()))
    }

    #[test]
    fn side_panels_leave_the_middle_most_of_a_1600_pixel_window() {
        let all = [true; 3];
        let widths = side_panel_widths(1600.0, all, SIDE_PANELS_SHARE);
        let (defaults, highest) = total(&widths, all);
        assert!(defaults <= 720.0 + 0.01, "{defaults}");
        assert!(highest <= 720.0 + 0.01, "dragged wide: {highest}");
        for (default, range) in &widths {
            assert!(range.contains(default), "{default} outside {range:?}");
        }
        // On a wide screen the usual sizes stand.
        let wide = side_panel_widths(2560.0, all, SIDE_PANELS_SHARE);
        assert_eq!(wide.map(|w| w.0), [340.0, 400.0, 320.0]);
        // One panel alone keeps its usual size and range.
        let alone = side_panel_widths(1600.0, [true, false, false], SIDE_PANELS_SHARE);
        assert_eq!(alone[0], (340.0, 240.0..=560.0));
    }
}
