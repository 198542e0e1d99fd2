//! What follows a confirmed violation: the notice to the vehicle's owner (Vietnamese, A4 PDF
//! with the evidence pictures and the fields the procedure requires) and the row for the
//! traffic police portal, in the portal's column order (CSV or JSON).

mod compose;
mod document;
mod export;
pub mod pdf;

pub use compose::{ComposeError, notice_input, portal_row};
pub use document::{NoticeInput, notice_pdf};
pub use export::{PORTAL_COLUMNS, PortalRow, portal_csv, portal_json};

pub use crate::domain::Agency;
