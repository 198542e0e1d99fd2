//! The grammar of Vietnamese plates (Circular 79/2024/TT-BCA) as an automaton a reader walks
//! character by character: two digits of a province code in use, the series (a letter of
//! A–Z without I, J, O, Q, W; two letters; a letter and a digit on motorbikes; the special
//! series QT), then four or five digits. A plate of two rows is read row by row: the top
//! row (province and series) and the bottom row (the number) have grammars of their own.

/// Province codes in use (27 is Điện Biên); unassigned: 00–10, 13, 42, 44–46, 87, 91, 96.
pub fn is_province_code(code: u8) -> bool {
    (11..=99).contains(&code) && !matches!(code, 13 | 42 | 44 | 45 | 46 | 87 | 91 | 96)
}

/// A letter a series may hold (Đ is read as D).
pub fn is_series_letter(c: char) -> bool {
    c.is_ascii_uppercase() && !matches!(c, 'I' | 'J' | 'O' | 'Q' | 'W')
}

/// The characters a plate holds, in the order readers list them.
pub const PLATE_CHARACTERS: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Which part of a plate a row holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlatePart {
    /// A one-row plate: province, series and number.
    Whole,
    /// The top row of a two-row plate: province and series.
    Top,
    /// The bottom row of a two-row plate: the number.
    Bottom,
}

/// Where a reader is in a plate's grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GrammarState {
    Start,
    /// One digit of the province read.
    Province(u8),
    /// The province read.
    ProvinceDone,
    /// The series' `Q` (only `QT` follows).
    SeriesQ,
    /// One or two letters of the series read.
    Letters(u8),
    /// Digits read after the series' letters: after one letter the first may be the series'
    /// own (B1), so one letter takes 4 to 6 digits, two letters 4 or 5.
    Digits {
        letters: u8,
        count: u8,
    },
    /// Digits of a bottom row read.
    Number(u8),
}

impl PlatePart {
    pub fn start(self) -> GrammarState {
        match self {
            PlatePart::Whole | PlatePart::Top => GrammarState::Start,
            PlatePart::Bottom => GrammarState::Number(0),
        }
    }

    /// The state after `c`, or `None` where the grammar forbids it.
    pub fn next(self, state: GrammarState, c: char) -> Option<GrammarState> {
        use GrammarState::*;
        let digit = c.to_digit(10).map(|d| d as u8);
        match state {
            Start => digit.filter(|&d| d >= 1).map(Province),
            Province(first) => {
                digit.filter(|&d| is_province_code(first * 10 + d))?;
                Some(ProvinceDone)
            }
            ProvinceDone if c == 'Q' => Some(SeriesQ),
            ProvinceDone => is_series_letter(c).then_some(Letters(1)),
            SeriesQ => (c == 'T').then_some(Letters(2)),
            Letters(1) if is_series_letter(c) => Some(Letters(2)),
            Letters(letters) => {
                digit?;
                (self != PlatePart::Top || letters == 1).then_some(Digits { letters, count: 1 })
            }
            Digits { letters, count } => {
                digit?;
                let most = if letters == 1 { 6 } else { 5 };
                (self != PlatePart::Top && count < most).then_some(Digits {
                    letters,
                    count: count + 1,
                })
            }
            Number(n) => digit.filter(|_| n < 5).map(|_| Number(n + 1)),
        }
    }

    /// Whether a row may end in `state`.
    pub fn accepts(self, state: GrammarState) -> bool {
        use GrammarState::*;
        match (self, state) {
            (PlatePart::Top, Letters(_)) => true,
            (
                PlatePart::Top,
                Digits {
                    letters: 1,
                    count: 1,
                },
            ) => true,
            (PlatePart::Whole, Digits { letters: 1, count }) => (4..=6).contains(&count),
            (PlatePart::Whole, Digits { count, .. }) => (4..=5).contains(&count),
            (PlatePart::Bottom, Number(n)) => (4..=5).contains(&n),
            _ => false,
        }
    }

    /// Whether `text` is a whole row of this part.
    pub fn matches(self, text: &str) -> bool {
        let mut state = self.start();
        for c in text.chars() {
            match self.next(state, c) {
                Some(s) => state = s,
                None => return false,
            }
        }
        self.accepts(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_plates_of_every_layout_are_grammatical() {
        for plate in [
            "27A12345",
            "27A1234",
            "27AA12345",
            "27B112345",
            "27B11234",
            "29QT12345",
            "80NG12345",
        ] {
            assert!(PlatePart::Whole.matches(plate), "{plate}");
        }
        for (top, bottom) in [("27B1", "12345"), ("27AA", "12345"), ("27A", "1234")] {
            assert!(PlatePart::Top.matches(top), "{top}");
            assert!(PlatePart::Bottom.matches(bottom), "{bottom}");
        }
    }

    #[test]
    fn what_the_circular_forbids_is_not() {
        for wrong in [
            "",
            "27",
            "27A",
            "27A123",     // three digits
            "27AA123456", // six digits after two letters
            "27A1234567", // seven
            "13A12345",   // 13 is no province
            "07A12345",   // neither is 07
            "27I12345",   // I is no series letter
            "27O12345",   // nor O
            "27Q12345",   // Q only in QT
            "27ABC12345", // three letters
            "2A712345",
        ] {
            assert!(!PlatePart::Whole.matches(wrong), "{wrong}");
        }
        assert!(
            !PlatePart::Top.matches("27B12"),
            "the number is not on the top row"
        );
        assert!(!PlatePart::Bottom.matches("A1234"));
    }

    #[test]
    fn every_province_code_in_use_and_dien_bien() {
        assert!(is_province_code(27));
        let unassigned: Vec<u8> = (0..=99).filter(|&c| !is_province_code(c)).collect();
        assert_eq!(unassigned.len(), 11 + 8);
    }
}
