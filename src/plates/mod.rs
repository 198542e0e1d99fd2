//! Reading Vietnamese plates (issue 17): a plate found by the plate detector, or located
//! inside a crop (`locate`), is made flat by its corners (`rectify`), split into its rows (`rows`), each row read
//! by PP-OCRv4's recogniser (`recogniser`) and decoded under the plate grammar (`ctc`), its
//! colour taken from the background (`colour`); `reader` ties them together.

pub mod candidates;
pub mod colour;
mod components;
pub mod ctc;
pub mod evaluation;
mod ink;
pub mod locate;
pub mod output_layer;
pub mod reader;
pub mod recogniser;
pub mod rectify;
pub mod rows;
pub mod synth;
pub mod voting;

pub use reader::{PlateReader, ReaderError};
