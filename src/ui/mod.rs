//! The dispatch console's interface (egui + walkers). It draws and turns clicks into actions;
//! it never opens the database, a socket or a thread itself: the back end is reached through
//! `service::ServiceHandle`, the base map through `basemap`.

mod action;
mod alarm_layer;
mod alarm_list;
mod app;
mod camera_list;
mod camera_panel;
mod camera_view;
mod detection_overlay;
mod engines_panel;
mod geometry_draft;
mod geometry_editor;
mod geometry_overlay;
mod i18n;
mod map_background;
mod map_layer;
mod map_layout;
mod plate_desk;
mod ptz_pad;
mod replay_view;
mod review_view;
mod settings;
mod sign_in;
mod signal_layer;
mod theme;
mod traffic_flow;
mod user;
mod video_tile;
mod wall;

pub use alarm_list::Alarm;
pub use app::{ConsoleApp, StartOptions};
pub use engines_panel::EngineView;
pub use geometry_draft::{GeometryDraft, Tool};
pub use geometry_editor::GeometryEditor;
pub use i18n::Language;
pub use map_background::Schematic;
pub use replay_view::overlay_at;
pub use settings::{MainView, UiSettings, WallLayout, WallSettings};
pub use signal_layer::SignalSpot;
pub use traffic_flow::FlowLevel;
pub use user::ConsoleUser;
pub use video_tile::{VideoTileCallback, letterbox};
