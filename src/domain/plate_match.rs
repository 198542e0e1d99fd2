//! How plates are compared: searches tolerate one character off (a misread, a character
//! missed or one too many), and a watch-listed plate matches a reading exactly, or with one
//! character different where the reader itself doubted that character.

use super::plate::PlateReading;

/// A plate's letters and digits, upper case, without spaces, dots or dashes (`27A12345`).
pub fn compact(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Whether `a` becomes `b` with at most one character changed, added or removed.
pub fn within_one_edit(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let (short, long) = if a.len() <= b.len() {
        (&a, &b)
    } else {
        (&b, &a)
    };
    match long.len() - short.len() {
        0 => short.iter().zip(long).filter(|(x, y)| x != y).count() <= 1,
        1 => {
            let same_start = short.iter().zip(long).take_while(|(x, y)| x == y).count();
            short[same_start..] == long[same_start + 1..]
        }
        _ => false,
    }
}

/// The two halves of `text`, by which a database narrows a search before
/// [`within_one_edit`] decides: one edit leaves either the first half at the start of the
/// plate or the second half at its end.
pub fn search_halves(text: &str) -> (String, String) {
    let chars: Vec<char> = text.chars().collect();
    let middle = chars.len() / 2;
    (
        chars[..middle].iter().collect(),
        chars[middle..].iter().collect(),
    )
}

/// Whether `reading` is the watch-listed plate `listed` (compact): the same text, or one
/// character different where the reading's character was doubtful.
pub fn watch_list_matches(reading: &PlateReading, listed: &str) -> bool {
    let read: Vec<char> = reading.text.chars().collect();
    let listed: Vec<char> = listed.chars().collect();
    if read.len() != listed.len() {
        return false;
    }
    let differing: Vec<usize> = (0..read.len()).filter(|&i| read[i] != listed[i]).collect();
    match differing.as_slice() {
        [] => true,
        [i] => reading
            .chars
            .get(*i)
            .is_some_and(|c| c.confidence < PlateReading::LOW_CONFIDENCE),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{CharReading, PlateColour};

    #[test]
    fn one_character_changed_added_or_removed_is_within_one_edit() {
        assert!(within_one_edit("27A12345", "27A12345"));
        assert!(within_one_edit("27A12345", "27A12346"));
        assert!(within_one_edit("27A12345", "27A1234"));
        assert!(within_one_edit("27A1234", "27A12345"));
        assert!(within_one_edit("27A12345", "27AA12345"));
        assert!(within_one_edit("27A12345", "7A12345"));
        assert!(!within_one_edit("27A12345", "27A12354"));
        assert!(!within_one_edit("27A12345", "27A123"));
        assert!(!within_one_edit("27A12345", "28B12345"));
        assert_eq!(compact("27a-123.45"), "27A12345");
    }

    #[test]
    fn one_edit_keeps_one_half_at_its_end() {
        let text = "27A12345";
        let (first, second) = search_halves(text);
        for other in ["27A12346", "28A12345", "27A1234", "27AA12345", "7A12345"] {
            assert!(within_one_edit(text, other));
            assert!(
                other.starts_with(&first) || other.ends_with(&second),
                "{other}"
            );
        }
    }

    #[test]
    fn a_watch_listed_plate_matches_exactly_or_at_a_doubtful_character() {
        let reading = |text: &str, doubtful: Option<usize>| PlateReading {
            text: text.into(),
            formatted: text.into(),
            rows: 1,
            colour: PlateColour::White,
            confidence: 0.9,
            chars: text
                .chars()
                .enumerate()
                .map(|(i, char)| CharReading {
                    char,
                    confidence: if Some(i) == doubtful { 0.4 } else { 0.99 },
                })
                .collect(),
            corners: [[0.0; 2]; 4],
        };
        assert!(watch_list_matches(&reading("27A12345", None), "27A12345"));
        assert!(!watch_list_matches(&reading("27A12346", None), "27A12345"));
        assert!(watch_list_matches(
            &reading("27A12346", Some(7)),
            "27A12345"
        ));
        assert!(!watch_list_matches(
            &reading("27A12346", Some(3)),
            "27A12345"
        ));
        assert!(!watch_list_matches(
            &reading("27A1234", Some(6)),
            "27A12345"
        ));
    }
}
