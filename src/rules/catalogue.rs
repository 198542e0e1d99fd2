//! The catalogue of violations and penalties (`data/nd168-catalogue.toml`, embedded): for each
//! kind of violation, the specific acts its rule tells apart, and for each act and kind of
//! vehicle the point of ND 168/2024, the fine range, the licence points and the wording of the
//! decree. Data, not code: an amendment changes the file.

use crate::domain::{Act, ObjectClass, ViolationKind};
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
    /// The acts this kind's rule tells apart; the first is the kind's default.
    #[serde(rename = "act")]
    pub acts: Vec<ActEntry>,
}

/// One specific act and its penalties by vehicle.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActEntry {
    pub act: Act,
    /// The act as a reviewer writes it on the notice.
    pub name_vi: String,
    pub name_en: String,
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
    /// Reads and checks a catalogue: every kind once with its default act first, every act
    /// once under its own kind, every penalty with a clause, wording and a fine range in
    /// order, no vehicle twice in an act.
    pub fn parse(text: &str) -> Result<Self, CatalogueError> {
        let catalogue: Self =
            toml::from_str(text).map_err(|e| CatalogueError::Parse(e.to_string()))?;
        let invalid = |m: String| Err(CatalogueError::Invalid(m));
        for (i, v) in catalogue.violations.iter().enumerate() {
            if catalogue.violations[..i].iter().any(|w| w.kind == v.kind) {
                return invalid(format!("{:?} is listed twice", v.kind));
            }
            if v.acts.first().map(|a| a.act) != Some(v.kind.default_act()) {
                return invalid(format!(
                    "{:?}: its first act must be {}",
                    v.kind,
                    v.kind.default_act().code()
                ));
            }
            for (j, entry) in v.acts.iter().enumerate() {
                let act = entry.act.code();
                if entry.act.kind() != v.kind {
                    return invalid(format!("{:?}: act {act} belongs to another kind", v.kind));
                }
                if v.acts[..j].iter().any(|a| a.act == entry.act) {
                    return invalid(format!("{:?}: act {act} is listed twice", v.kind));
                }
                if entry.penalties.is_empty() != v.incident {
                    return invalid(format!(
                        "{:?} {act}: an offence needs penalties, an incident has none",
                        v.kind
                    ));
                }
                let mut seen = Vec::new();
                for p in &entry.penalties {
                    if p.clause.is_empty() || p.wording.trim().is_empty() {
                        return invalid(format!(
                            "{:?} {act}: a penalty lacks its clause or wording",
                            v.kind
                        ));
                    }
                    if p.fine_min_vnd > p.fine_max_vnd {
                        return invalid(format!("{:?} {}: fine range reversed", v.kind, p.clause));
                    }
                    for vehicle in &p.vehicles {
                        if seen.contains(vehicle) {
                            return invalid(format!(
                                "{:?} {act}: {vehicle:?} has two penalties",
                                v.kind
                            ));
                        }
                        seen.push(*vehicle);
                    }
                }
            }
        }
        for act in Act::ALL {
            if catalogue.act(act).is_none() {
                return invalid(format!("act {} is missing", act.code()));
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

    /// An act's entry (its wording and penalties).
    pub fn act(&self, act: Act) -> Option<&ActEntry> {
        self.violation(act.kind())?
            .acts
            .iter()
            .find(|a| a.act == act)
    }

    /// The penalty for `act` committed with a vehicle of `class`; `None` where the decree's
    /// articles in the catalogue do not cover it (people, bicycles, an incident).
    pub fn penalty(&self, act: Act, class: ObjectClass) -> Option<&Penalty> {
        let penalties = &self.act(act)?.penalties;
        let vehicle = match class {
            ObjectClass::Car => Vehicle::Car,
            ObjectClass::Bus => Vehicle::Bus,
            ObjectClass::Truck => Vehicle::Truck,
            ObjectClass::Motorbike => Vehicle::Motorbike,
            ObjectClass::Person | ObjectClass::Bicycle | ObjectClass::TrafficLight => {
                return penalties
                    .iter()
                    .find(|p| p.vehicles.contains(&Vehicle::Any));
            }
        };
        penalties
            .iter()
            .find(|p| p.vehicles.contains(&vehicle) || p.vehicles.contains(&Vehicle::Any))
    }

    /// What a reviewer writes as the act on the notice, e.g. "Rẽ trái tại nơi có biển báo cấm
    /// rẽ trái".
    pub fn act_name_vi(&self, act: Act) -> &str {
        self.act(act).map_or(act.code(), |a| a.name_vi.as_str())
    }
}

/// A clause key `6.3.e` in the decree's full form: "điểm e khoản 3 Điều 6 Nghị định số
/// 168/2024/NĐ-CP" (a clause without a point: "khoản 12 Điều 6 …").
pub fn full_citation(clause: &str) -> String {
    let parts: Vec<&str> = clause.split('.').collect();
    let decree = "Nghị định số 168/2024/NĐ-CP";
    match parts.as_slice() {
        [article, clause, point] => format!("điểm {point} khoản {clause} Điều {article} {decree}"),
        [article, clause] => format!("khoản {clause} Điều {article} {decree}"),
        _ => format!("{clause} {decree}"),
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
        let red_car = c.penalty(Act::RedLight, ObjectClass::Car).unwrap();
        assert_eq!(
            (
                red_car.clause.as_str(),
                red_car.fine_min_vnd,
                red_car.fine_max_vnd,
                red_car.points
            ),
            ("6.9.b", 18_000_000, 20_000_000, 4)
        );
        let red_bike = c.penalty(Act::RedLight, ObjectClass::Motorbike).unwrap();
        assert_eq!((red_bike.clause.as_str(), red_bike.points), ("7.7.c", 4));
        assert_eq!(c.penalty(Act::RedLight, ObjectClass::Bicycle), None);
        let tamper = c
            .penalty(Act::CameraTampering, ObjectClass::Person)
            .unwrap();
        assert_eq!(tamper.clause, "12.11.c");
        assert_eq!(
            full_citation("6.3.e"),
            "điểm e khoản 3 Điều 6 Nghị định số 168/2024/NĐ-CP"
        );
        assert_eq!(
            full_citation("6.12"),
            "khoản 12 Điều 6 Nghị định số 168/2024/NĐ-CP"
        );
    }

    #[test]
    fn a_broken_catalogue_is_refused_with_the_reason() {
        let twice = format!(
            "{BUNDLED}\n[[violation]]\nkind = \"red-light\"\nname_vi = \"x\"\nname_en = \"x\"\n[[violation.act]]\nact = \"red-light\"\nname_vi = \"x\"\nname_en = \"x\"\npenalties = [{{ vehicles = [\"car\"], clause = \"6.9.b\", fine_min_vnd = 1, fine_max_vnd = 2, points = 0, wording = \"x\" }}]\n"
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
