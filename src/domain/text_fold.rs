//! Folding of Vietnamese text for search: lower case, tone marks and vowel marks removed,
//! `đ` → `d`, so that "nga tu" finds "Ngã Tư" and "NGÃ TƯ" alike.

/// Each group: the plain letter, then every Vietnamese letter that folds onto it.
const GROUPS: [(char, &str); 7] = [
    ('a', "àáảãạăằắẳẵặâầấẩẫậ"),
    ('e', "èéẻẽẹêềếểễệ"),
    ('i', "ìíỉĩị"),
    ('o', "òóỏõọôồốổỗộơờớởỡợ"),
    ('u', "ùúủũụưừứửữự"),
    ('y', "ỳýỷỹỵ"),
    ('d', "đ"),
];

fn fold_char(c: char) -> char {
    // Lower-casing a Vietnamese capital yields exactly one char.
    let lower = c.to_lowercase().next().unwrap_or(c);
    if lower.is_ascii() {
        return lower;
    }
    GROUPS
        .iter()
        .find(|(_, variants)| variants.contains(lower))
        .map_or(lower, |(plain, _)| *plain)
}

/// Folds `text` for comparison; see the module documentation.
pub fn fold(text: &str) -> String {
    text.chars()
        .filter(|c| !is_combining_mark(*c))
        .map(fold_char)
        .collect()
}

/// Combining marks appear when text arrives in decomposed form (NFD), as some keyboards send it.
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036F}')
}

/// True when every whitespace-separated word of `query` occurs in `text`, both folded.
pub fn matches_query(text_folded: &str, query: &str) -> bool {
    let query = fold(query);
    query
        .split_whitespace()
        .all(|word| text_folded.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_every_vietnamese_vowel_and_d() {
        assert_eq!(fold("Ngã Tư Đồi A1"), "nga tu doi a1");
        assert_eq!(fold("QUẢNG TRƯỜNG 7/5"), "quang truong 7/5");
        assert_eq!(fold("Mường Thanh"), "muong thanh");
        assert_eq!(fold("ỹ Ỵ ợ Ự"), "y y o u");
    }

    #[test]
    fn folds_decomposed_input() {
        // "ngã" written as n, g, a, combining tilde.
        assert_eq!(fold("nga\u{0303}"), "nga");
    }

    #[test]
    fn query_matches_with_and_without_diacritics() {
        let text = fold("Ngã tư Sân vận động (Trường Chinh × Hoàng Công Chất)");
        assert!(matches_query(&text, "ngã tư"));
        assert!(matches_query(&text, "nga tu"));
        assert!(matches_query(&text, "NGÃ TƯ"));
        assert!(matches_query(&text, "truong chinh san"));
        assert!(!matches_query(&text, "thanh binh"));
        assert!(matches_query(&text, ""));
    }
}
