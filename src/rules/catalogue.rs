//! The catalogue of violations and penalties (`data/nd168-catalogue.toml`, embedded): for each
//! kind of violation and kind of vehicle, the clause of ND 168/2024, the fine range, the licence
//! points and the wording of the decree. Data, not code: an amendment changes the file.

use crate::domain::{ObjectClass, ViolationKind};
use serde::Deserialize;

/// The catalogue shipped with the console.
pub const BUNDLED: &str = include_str!("../../data/nd168-catalogue.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    pub source: String,
    /// ISO date from which these penalties apply.
    pub effective_from: String,
    #[serde(rename = "violation")]
    pub violations: Vec<Violation>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Violation {
    pub kind: ViolationKind,
    pub name_vi: String,
    pub name_en: String,
    /// An incident for dispatch without a fine of its own (penalties empty).
    #[serde(default)]
    pub incident: bool,
    pub penalties: Vec<Penalty>,
}

/// Vehicle categories of the decree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Vehicle {
    Car,
    Bus,
    Truck,
    Motorbike,
    /// Anyone (e.g. damaging a camera).
    Any,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Penalty {
    pub vehicles: Vec<Vehicle>,
    /// Article.Clause.Point, e.g. `6.9.b`.
    pub clause: String,
    pub fine_min_vnd: u64,
    pub fine_max_vnd: u64,
    /// Points deducted from the driving licence (0: none).
    pub points: u8,
    /// The decree's words for the point.
    pub wording: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CatalogueError {
    #[error("the violation catalogue is not valid TOML: {0}")]
    Parse(String),
    #[error("the violation catalogue is wrong: {0}")]
    Invalid(String),
}

impl Catalogue {
    /// Reads and checks a catalogue: every kind once, every penalty with a clause, wording and
    /// a fine range in order, no vehicle twice in a kind.
    pub fn parse(text: &str) -> Result<Self, CatalogueError> {
        let catalogue: Self =
            toml::from_str(text).map_err(|e| CatalogueError::Parse(e.to_string()))?;
        let invalid = |m: String| Err(CatalogueError::Invalid(m));
        for (i, v) in catalogue.violations.iter().enumerate() {
            if catalogue.violations[..i].iter().any(|w| w.kind == v.kind) {
                return invalid(format!("{:?} is listed twice", v.kind));
            }
            if v.penalties.is_empty() != v.incident {
                return invalid(format!(
                    "{:?}: an offence needs penalties, an incident has none",
                    v.kind
                ));
            }
            let mut seen = Vec::new();
            for p in &v.penalties {
                if p.clause.is_empty() || p.wording.trim().is_empty() {
                    return invalid(format!(
                        "{:?}: a penalty lacks its clause or wording",
                        v.kind
                    ));
                }
                if p.fine_min_vnd > p.fine_max_vnd {
                    return invalid(format!("{:?} {}: fine range reversed", v.kind, p.clause));
                }
                for vehicle in &p.vehicles {
                    if seen.contains(vehicle) {
                        return invalid(format!("{:?}: {vehicle:?} has two penalties", v.kind));
                    }
                    seen.push(*vehicle);
                }
            }
        }
        Ok(catalogue)
    }

    /// The catalogue shipped with the console (read once).
    pub fn bundled() -> &'static Self {
        static CATALOGUE: std::sync::OnceLock<Catalogue> = std::sync::OnceLock::new();
        CATALOGUE.get_or_init(|| {
            Self::parse(BUNDLED).expect("the bundled catalogue is checked by the tests")
        })
    }

    pub fn violation(&self, kind: ViolationKind) -> Option<&Violation> {
        self.violations.iter().find(|v| v.kind == kind)
    }

    /// The penalty for `kind` committed with a vehicle of `class`; `None` where the decree's
    /// articles in the catalogue do not cover it (people, bicycles).
    pub fn penalty(&self, kind: ViolationKind, class: ObjectClass) -> Option<&Penalty> {
        let vehicle = match class {
            ObjectClass::Car => Vehicle::Car,
            ObjectClass::Bus => Vehicle::Bus,
            ObjectClass::Truck => Vehicle::Truck,
            ObjectClass::Motorbike => Vehicle::Motorbike,
            ObjectClass::Person | ObjectClass::Bicycle | ObjectClass::TrafficLight => {
                return self
                    .violation(kind)?
                    .penalties
                    .iter()
                    .find(|p| p.vehicles.contains(&Vehicle::Any));
            }
        };
        self.violation(kind)?
            .penalties
            .iter()
            .find(|p| p.vehicles.contains(&vehicle) || p.vehicles.contains(&Vehicle::Any))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_catalogue_covers_every_kind_with_the_briefs_figures() {
        let c = Catalogue::bundled();
        for kind in ViolationKind::ALL {
            assert!(c.violation(kind).is_some(), "{kind:?}");
        }
        let red_car = c
            .penalty(ViolationKind::RedLight, ObjectClass::Car)
            .unwrap();
        assert_eq!(
            (
                red_car.clause.as_str(),
                red_car.fine_min_vnd,
                red_car.fine_max_vnd,
                red_car.points
            ),
            ("6.9.b", 18_000_000, 20_000_000, 4)
        );
        let red_bike = c
            .penalty(ViolationKind::RedLight, ObjectClass::Motorbike)
            .unwrap();
        assert_eq!((red_bike.clause.as_str(), red_bike.points), ("7.7.c", 4));
        assert_eq!(
            c.penalty(ViolationKind::RedLight, ObjectClass::Bicycle),
            None
        );
        let tamper = c
            .penalty(ViolationKind::CameraTampering, ObjectClass::Person)
            .unwrap();
        assert_eq!(tamper.clause, "12.11.c");
    }

    #[test]
    fn a_broken_catalogue_is_refused_with_the_reason() {
        let twice = format!(
            "{BUNDLED}\n[[violation]]\nkind = \"red-light\"\nname_vi = \"x\"\nname_en = \"x\"\npenalties = [{{ vehicles = [\"car\"], clause = \"6.9.b\", fine_min_vnd = 1, fine_max_vnd = 2, points = 0, wording = \"x\" }}]\n"
        );
        assert_eq!(
            Catalogue::parse(&twice),
            Err(CatalogueError::Invalid("RedLight is listed twice".into()))
        );
        let reversed = BUNDLED.replacen("fine_min_vnd = 18000000", "fine_min_vnd = 28000000", 1);
        assert!(
            matches!(Catalogue::parse(&reversed), Err(CatalogueError::Invalid(m)) if m.contains("reversed"))
        );
        assert!(matches!(
            Catalogue::parse("source = 1"),
            Err(CatalogueError::Parse(_))
        ));
    }
}
