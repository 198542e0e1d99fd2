//! Vietnamese licence plates as a reviewer types them: the province code (two digits), the
//! series (one or two letters, a letter and a digit on motorbikes), and five digits (`123.45`)
//! or, on older plates, four; and the plate's colour, a required field of the notice.

use serde::{Deserialize, Serialize};

/// Background colour of a plate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlateColour {
    /// White with black text: private and business.
    White,
    /// Yellow with black text: transport business.
    Yellow,
    /// Blue with white text: state bodies.
    Blue,
    /// Red: military.
    Red,
}

impl PlateColour {
    pub const ALL: [Self; 4] = [Self::White, Self::Yellow, Self::Blue, Self::Red];

    pub fn code(self) -> &'static str {
        match self {
            Self::White => "white",
            Self::Yellow => "yellow",
            Self::Blue => "blue",
            Self::Red => "red",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The name the notice and the portal use.
    pub fn name_vi(self) -> &'static str {
        match self {
            Self::White => "Nền mầu trắng, chữ và số màu đen",
            Self::Yellow => "Nền mầu vàng, chữ và số màu đen",
            Self::Blue => "Nền mầu xanh, chữ và số màu trắng",
            Self::Red => "Nền mầu đỏ, chữ và số màu trắng",
        }
    }
}

/// A plate number in its written form, e.g. `27A-123.45`, `27-B1 123.45`, `27AA-123.45`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Plate(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a Vietnamese plate: two digits of province, the series, then 4 or 5 digits (27A-123.45, 27-B1 123.45)"
)]
pub struct PlateError(pub String);

impl Plate {
    /// Reads a plate typed with any spacing, dots or dashes, and writes it in the standard
    /// form: `27A-123.45` for cars, `27-B1 123.45` for motorbikes.
    pub fn parse(text: &str) -> Result<Self, PlateError> {
        let error = || PlateError(text.trim().to_owned());
        let compact = super::plate_match::compact(text);
        let chars: Vec<char> = compact.chars().collect();
        if chars.len() < 7 || !chars[0].is_ascii_digit() || !chars[1].is_ascii_digit() {
            return Err(error());
        }
        let province: String = chars[..2].iter().collect();
        let rest = &chars[2..];
        // The series: letters, then at most one digit (motorbikes: B1); the number: 4–5 digits.
        let letters = rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
        if !(1..=2).contains(&letters) {
            return Err(error());
        }
        let after_letters = &rest[letters..];
        let digits_left = after_letters.len();
        let (series_digit, number): (Option<char>, &[char]) = match digits_left {
            4 | 5 => (None, after_letters),
            6 if letters == 1 => (Some(after_letters[0]), &after_letters[1..]),
            _ => return Err(error()),
        };
        if !number.iter().all(char::is_ascii_digit)
            || series_digit.is_some_and(|d| !d.is_ascii_digit())
        {
            return Err(error());
        }
        let series: String = rest[..letters].iter().chain(series_digit.iter()).collect();
        let number: String = number.iter().collect();
        let number = if number.len() == 5 {
            format!("{}.{}", &number[..3], &number[3..])
        } else {
            number
        };
        Ok(Self(match series_digit {
            Some(_) => format!("{province}-{series} {number}"),
            None => format!("{province}{series}-{number}"),
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The province code (27 is Điện Biên).
    pub fn province(&self) -> &str {
        &self.0[..2]
    }
}

impl std::fmt::Display for Plate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One character of a plate as a reader saw it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CharReading {
    pub char: char,
    /// 0–1; below [`PlateReading::LOW_CONFIDENCE`] the reviewer's attention is drawn to it.
    pub confidence: f32,
}

/// A plate read from a picture: its text (`27A12345`), in the standard form (`27A-123.45`),
/// one or two rows, its colour, a confidence (the product of the characters') and where it
/// was (corners: top left, top right, bottom right, bottom left, in the picture's pixels).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlateReading {
    pub text: String,
    pub formatted: String,
    pub rows: u8,
    pub colour: PlateColour,
    pub confidence: f32,
    pub chars: Vec<CharReading>,
    pub corners: [[f32; 2]; 4],
}

impl PlateReading {
    /// A character read with less confidence than this is marked for the reviewer.
    pub const LOW_CONFIDENCE: f32 = 0.8;

    /// The reading as a plate (`None` if its text is not one, which a reader never gives).
    pub fn plate(&self) -> Option<Plate> {
        Plate::parse(&self.text).ok()
    }

    /// Positions (in `text`) of the characters read with low confidence.
    pub fn doubtful(&self) -> Vec<usize> {
        self.chars
            .iter()
            .enumerate()
            .filter(|(_, c)| c.confidence < Self::LOW_CONFIDENCE)
            .map(|(i, _)| i)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plates_are_read_in_any_spacing_and_written_in_the_standard_form() {
        let read = |t: &str| Plate::parse(t).map(|p| p.to_string());
        assert_eq!(read("27A-123.45").as_deref(), Ok("27A-123.45"));
        assert_eq!(read("27a 12345").as_deref(), Ok("27A-123.45"));
        assert_eq!(read("27A-1234").as_deref(), Ok("27A-1234"));
        assert_eq!(read("27-B1 123.45").as_deref(), Ok("27-B1 123.45"));
        assert_eq!(read("27B112345").as_deref(), Ok("27-B1 123.45"));
        assert_eq!(read("27AA-123.45").as_deref(), Ok("27AA-123.45"));
        assert_eq!(Plate::parse("27A-123.45").unwrap().province(), "27");
        for bad in [
            "",
            "A27-123.45",
            "27-123.45",
            "27ABC-123.45",
            "27A-12",
            "27A-1234567",
        ] {
            assert!(Plate::parse(bad).is_err(), "{bad}");
        }
        assert!(
            Plate::parse("x")
                .unwrap_err()
                .to_string()
                .contains("is not a Vietnamese plate")
        );
    }

    #[test]
    fn colours_have_codes_and_notice_names() {
        for c in PlateColour::ALL {
            assert_eq!(PlateColour::from_code(c.code()), Some(c));
        }
        assert_eq!(PlateColour::from_code("green"), None);
        assert!(PlateColour::Yellow.name_vi().contains("vàng"));
    }
}
