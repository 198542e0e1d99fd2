//! The rules of ND 168 the console enforces: the catalogue of violations and penalties (data),
//! and (coming with issue 5) one small state machine per rule over tracks, junction geometry
//! and signal state.

pub mod catalogue;

pub use catalogue::{Catalogue, CatalogueError, Penalty, Vehicle, Violation};
