//! What the detector looks for, in the console's terms (a subset of COCO's 80 classes).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectClass {
    Person,
    Bicycle,
    Car,
    Motorbike,
    Bus,
    Truck,
    TrafficLight,
}

impl ObjectClass {
    /// The class of a COCO index, or `None` for classes the console does not use.
    pub fn from_coco(index: usize) -> Option<Self> {
        match index {
            0 => Some(Self::Person),
            1 => Some(Self::Bicycle),
            2 => Some(Self::Car),
            3 => Some(Self::Motorbike),
            5 => Some(Self::Bus),
            7 => Some(Self::Truck),
            9 => Some(Self::TrafficLight),
            _ => None,
        }
    }

    /// The COCO index of the class (the inverse of [`Self::from_coco`]).
    pub fn coco(self) -> usize {
        match self {
            Self::Person => 0,
            Self::Bicycle => 1,
            Self::Car => 2,
            Self::Motorbike => 3,
            Self::Bus => 5,
            Self::Truck => 7,
            Self::TrafficLight => 9,
        }
    }

    /// Whether the class is a vehicle (bicycles too; not people or traffic lights).
    pub fn is_vehicle(self) -> bool {
        !matches!(self, Self::Person | Self::TrafficLight)
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Bicycle => "bicycle",
            Self::Car => "car",
            Self::Motorbike => "motorbike",
            Self::Bus => "bus",
            Self::Truck => "truck",
            Self::TrafficLight => "traffic-light",
        }
    }

    /// The class of a code as [`Self::code`] writes it.
    pub fn from_code(code: &str) -> Option<Self> {
        [
            Self::Person,
            Self::Bicycle,
            Self::Car,
            Self::Motorbike,
            Self::Bus,
            Self::Truck,
            Self::TrafficLight,
        ]
        .into_iter()
        .find(|c| c.code() == code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coco_indices_map_to_the_traffic_classes_and_drop_the_rest() {
        assert_eq!(ObjectClass::from_coco(3), Some(ObjectClass::Motorbike));
        assert_eq!(ObjectClass::from_coco(9), Some(ObjectClass::TrafficLight));
        assert_eq!(ObjectClass::from_coco(4), None, "aeroplane");
        assert_eq!(ObjectClass::from_coco(79), None);
    }
}
