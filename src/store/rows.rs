//! Database rows and their conversion to and from domain types. Rows read back are validated
//! again: a hand-edited database gives a `Corrupt` error naming the row, never a panic.

use super::StoreError;
use super::schema::{audit_log, cameras, junctions};
use crate::domain::{Camera, CameraKind, GeoPoint, Junction, StreamUrl};
use diesel::prelude::*;

#[derive(Debug, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = junctions, treat_none_as_null = true)]
pub(super) struct JunctionRow {
    pub code: String,
    pub name: String,
    pub ward: String,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub signalised: bool,
    pub position_surveyed: bool,
    pub updated_at_ms: i64,
}

#[derive(Debug, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = cameras, treat_none_as_null = true)]
pub(super) struct CameraRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub position_surveyed: bool,
    pub heading_deg: Option<f64>,
    pub fov_deg: Option<f64>,
    pub junction_code: Option<String>,
    pub main_url: String,
    pub sub_url: Option<String>,
    pub enabled: bool,
    pub credentials_ref: Option<String>,
    pub notes: String,
    pub updated_at_ms: i64,
    pub onvif_url: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = audit_log)]
pub(super) struct NewAuditRow<'a> {
    pub at_ms: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub subject: &'a str,
    pub detail: &'a str,
    pub prev_hash: Option<&'a str>,
    pub hash: Option<&'a str>,
}

impl JunctionRow {
    pub fn from_domain(j: &Junction, now_ms: i64) -> Self {
        Self {
            code: j.code.clone(),
            name: j.name.clone(),
            ward: j.ward.clone(),
            lat_deg: j.position.lat_deg,
            lon_deg: j.position.lon_deg,
            signalised: j.signalised,
            position_surveyed: j.position_surveyed,
            updated_at_ms: now_ms,
        }
    }

    pub fn into_domain(self) -> Result<Junction, StoreError> {
        let position =
            GeoPoint::in_vietnam(self.lat_deg, self.lon_deg).map_err(|e| StoreError::Corrupt {
                table: "junctions",
                key: self.code.clone(),
                reason: e.to_string(),
            })?;
        Ok(Junction {
            code: self.code,
            name: self.name,
            ward: self.ward,
            position,
            signalised: self.signalised,
            position_surveyed: self.position_surveyed,
        })
    }
}

impl CameraRow {
    pub fn from_domain(c: &Camera, now_ms: i64) -> Self {
        Self {
            code: c.code.clone(),
            name: c.name.clone(),
            kind: c.kind.code().to_owned(),
            lat_deg: c.position.lat_deg,
            lon_deg: c.position.lon_deg,
            position_surveyed: c.position_surveyed,
            heading_deg: c.heading_deg,
            fov_deg: c.fov_deg,
            junction_code: c.junction_code.clone(),
            main_url: c.main_url.as_str().to_owned(),
            sub_url: c.sub_url.as_ref().map(|u| u.as_str().to_owned()),
            enabled: c.enabled,
            credentials_ref: c.credentials_ref.clone(),
            notes: c.notes.clone(),
            updated_at_ms: now_ms,
            onvif_url: c.onvif_url.clone(),
        }
    }

    pub fn into_domain(self) -> Result<Camera, StoreError> {
        let code = self.code.clone();
        let corrupt = |reason: String| StoreError::Corrupt {
            table: "cameras",
            key: code.clone(),
            reason,
        };
        let kind = CameraKind::from_code(&self.kind)
            .ok_or_else(|| corrupt(format!("unknown kind '{}'", self.kind)))?;
        let position =
            GeoPoint::in_vietnam(self.lat_deg, self.lon_deg).map_err(|e| corrupt(e.to_string()))?;
        let main_url =
            StreamUrl::parse(&self.main_url).map_err(|e| corrupt(format!("main_url: {e}")))?;
        let sub_url = self
            .sub_url
            .as_deref()
            .map(StreamUrl::parse)
            .transpose()
            .map_err(|e| corrupt(format!("sub_url: {e}")))?;
        Ok(Camera {
            code: self.code,
            name: self.name,
            kind,
            position,
            position_surveyed: self.position_surveyed,
            heading_deg: self.heading_deg,
            fov_deg: self.fov_deg,
            junction_code: self.junction_code,
            main_url,
            sub_url,
            enabled: self.enabled,
            credentials_ref: self.credentials_ref,
            notes: self.notes,
            onvif_url: self.onvif_url,
        })
    }
}
