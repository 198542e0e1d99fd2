//! Geographic positions (WGS 84 degrees) and their validation.

use serde::{Deserialize, Serialize};

/// A WGS 84 position in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    pub lat_deg: f64,
    pub lon_deg: f64,
}

/// Why a position was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GeoError {
    #[error("latitude {0} is not a number between -90 and 90")]
    BadLatitude(f64),
    #[error("longitude {0} is not a number between -180 and 180")]
    BadLongitude(f64),
    #[error(
        "position {lat_deg}, {lon_deg} is outside Vietnam (8–24° N, 102–110° E); are latitude and longitude swapped?"
    )]
    OutsideVietnam { lat_deg: f64, lon_deg: f64 },
}

/// Vietnam's bounding box with a margin: a registry position outside it is a data error.
const VIETNAM_LAT_DEG: (f64, f64) = (8.0, 24.0);
const VIETNAM_LON_DEG: (f64, f64) = (102.0, 110.0);

impl GeoPoint {
    /// A position that must lie in Vietnam, as every camera and junction of the console does.
    pub fn in_vietnam(lat_deg: f64, lon_deg: f64) -> Result<Self, GeoError> {
        if !lat_deg.is_finite() || !(-90.0..=90.0).contains(&lat_deg) {
            return Err(GeoError::BadLatitude(lat_deg));
        }
        if !lon_deg.is_finite() || !(-180.0..=180.0).contains(&lon_deg) {
            return Err(GeoError::BadLongitude(lon_deg));
        }
        let inside = (VIETNAM_LAT_DEG.0..=VIETNAM_LAT_DEG.1).contains(&lat_deg)
            && (VIETNAM_LON_DEG.0..=VIETNAM_LON_DEG.1).contains(&lon_deg);
        if !inside {
            return Err(GeoError::OutsideVietnam { lat_deg, lon_deg });
        }
        Ok(Self { lat_deg, lon_deg })
    }

    /// Great-circle distance in metres (haversine, mean Earth radius).
    pub fn distance_m(&self, other: &GeoPoint) -> f64 {
        const EARTH_RADIUS_M: f64 = 6_371_008.8;
        let (lat1, lat2) = (self.lat_deg.to_radians(), other.lat_deg.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.lon_deg - self.lon_deg).to_radians();
        let a = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().asin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_dien_bien_phu() {
        let p = GeoPoint::in_vietnam(21.383, 103.017).unwrap();
        assert_eq!(p.lat_deg, 21.383);
    }

    #[test]
    fn refuses_swapped_and_out_of_range() {
        assert_eq!(
            GeoPoint::in_vietnam(103.017, 21.383),
            Err(GeoError::BadLatitude(103.017))
        );
        assert!(matches!(
            GeoPoint::in_vietnam(51.1, 17.0),
            Err(GeoError::OutsideVietnam { .. })
        ));
        assert!(matches!(
            GeoPoint::in_vietnam(f64::NAN, 103.0),
            Err(GeoError::BadLatitude(_))
        ));
    }

    #[test]
    fn distance_of_one_thousandth_degree_latitude_is_about_111_m() {
        let a = GeoPoint::in_vietnam(21.383, 103.017).unwrap();
        let b = GeoPoint::in_vietnam(21.384, 103.017).unwrap();
        let d = a.distance_m(&b);
        assert!((d - 111.2).abs() < 0.5, "{d}");
    }
}
