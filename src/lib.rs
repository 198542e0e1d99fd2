//! dienbien-dispatch: the command console of the Điện Biên traffic-police camera system.
//!
//! Module map (see ARCHITECTURE.md): `domain` (plain types) ← `registry` (files) ← `store`
//! (database) ← `service` (back-end worker) ← `ui` (egui); `basemap` feeds the map its tiles;
//! `commands` and `cli` are the program's entry points; `offscreen` renders screenshots.

pub mod analytics;
pub mod basemap;
pub mod city_map;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod config;
pub mod detect;
pub mod domain;
pub mod engine;
pub mod evidence;
pub mod host;
pub mod ingest;
pub mod notice;
pub mod offscreen;
pub mod plates;
pub mod ptz;
pub mod recording;
pub mod registry;
pub mod replay;
pub mod rules;
pub mod samples;
pub mod service;
pub mod signals;
pub mod store;
pub mod tracking;
pub mod ui;
pub mod video;

/// Version of this build.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// Git revision this build was made from ("+changes" when the tree was modified).
pub const GIT_REVISION: &str = env!("DISPATCH_GIT_REVISION");
