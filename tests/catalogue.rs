//! The violation catalogue (`data/nd168-catalogue.toml`) checked against the decree's text in
//! `data/nd168-articles.yaml`: each penalty's wording is the point's text word for
//! word, its fine range is the one its clause states, and its licence points are those that
//! Art. 6.16 (cars) or 7.13 (motorbikes) give to that point, or none where they give none.

use dienbien_dispatch::rules::Catalogue;
use std::collections::HashMap;
use std::path::Path;

/// `key → full_name` of the decree file (a small reader for its regular layout: a key line,
/// then `full_name:` as a plain, single- or double-quoted scalar or a `|` block).
fn decree() -> HashMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/nd168-articles.yaml");
    let text = std::fs::read_to_string(&path).expect("the decree text in data/");
    let mut map = HashMap::new();
    let mut key: Option<String> = None;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if !line.starts_with(' ') && line.ends_with(':') && !line.starts_with('#') {
            key = Some(line.trim_end_matches(':').to_owned());
            continue;
        }
        let Some(value) = line.strip_prefix("  full_name: ") else {
            continue;
        };
        let value = if value.starts_with('|') {
            let mut block = Vec::new();
            while let Some(next) = lines.peek() {
                if !next.is_empty() && !next.starts_with("    ") {
                    break;
                }
                block.push(next.trim().to_owned());
                lines.next();
            }
            block.join("\n").trim().to_owned()
        } else if let Some(quoted) = value.strip_prefix('"') {
            quoted.trim_end_matches('"').replace("\\\"", "\"")
        } else if let Some(quoted) = value.strip_prefix('\'') {
            quoted.trim_end_matches('\'').replace("''", "'")
        } else {
            value.to_owned()
        };
        if let Some(key) = key.take() {
            map.insert(key, value);
        }
    }
    map
}

/// "18.000.000" for 18000000.
fn vnd(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// The (clause, point) pairs a points paragraph names, e.g. "điểm a, điểm b khoản 5; khoản 6"
/// gives (5, a), (5, b), (6, whole clause).
fn named_points(paragraph: &str) -> Vec<(String, Option<String>)> {
    let body = paragraph
        .split("Điều này")
        .next()
        .unwrap_or("")
        .trim_start_matches("Thực hiện hành vi quy định tại ");
    let mut pairs = Vec::new();
    // Walk the words: collect points until a "khoản N" closes the group. "đkhoản" (a typo in
    // the decree text for "đ khoản") is split first.
    let mut words: Vec<&str> = Vec::new();
    for word in body
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|w| !w.is_empty())
    {
        match word.strip_suffix("khoản") {
            Some(point) if !point.is_empty() => words.extend([point, "khoản"]),
            _ => words.push(word),
        }
    }
    let mut pending: Vec<String> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        match words[i] {
            "điểm" => {
                pending.push(words.get(i + 1).copied().unwrap_or("").to_owned());
                i += 1;
            }
            "khoản" => {
                let clause = words.get(i + 1).copied().unwrap_or("").to_owned();
                if pending.is_empty() {
                    pairs.push((clause, None));
                } else {
                    pairs.extend(pending.drain(..).map(|p| (clause.clone(), Some(p))));
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    pairs
}

#[test]
fn every_penalty_matches_the_decree() {
    let decree = decree();
    let catalogue = Catalogue::bundled();
    assert_eq!(catalogue.effective_from, "2025-01-01");
    let mut checked = 0;
    for violation in &catalogue.violations {
        for penalty in violation.acts.iter().flat_map(|a| &a.penalties) {
            let clause = &penalty.clause;
            let parts: Vec<&str> = clause.split('.').collect();
            let wording = decree
                .get(clause)
                .unwrap_or_else(|| panic!("{clause} is not in the decree"));
            assert_eq!(&penalty.wording, wording, "wording of {clause}");
            // The fine is stated by the clause (Article.Clause).
            let header = decree.get(&format!("{}.{}", parts[0], parts[1])).unwrap();
            let fine = format!(
                "Phạt tiền từ {} đồng đến {} đồng",
                vnd(penalty.fine_min_vnd),
                vnd(penalty.fine_max_vnd)
            );
            assert!(header.contains(&fine), "{clause}: {header}");
            // Points: the points paragraph of the article (6.16 cars, 7.13 motorbikes).
            let points_clause = match parts[0] {
                "6" => Some("6.16"),
                "7" => Some("7.13"),
                _ => None,
            };
            let mut given = 0u8;
            if let Some(points_clause) = points_clause {
                for letter in ["a", "b", "c", "d"] {
                    let Some(paragraph) = decree.get(&format!("{points_clause}.{letter}")) else {
                        continue;
                    };
                    let named = named_points(paragraph);
                    let hit = named.iter().any(|(k, p)| {
                        k == parts[1] && (p.is_none() || p.as_deref() == parts.get(2).copied())
                    });
                    if hit {
                        let amount: String = paragraph
                            .rsplit("giấy phép lái xe ")
                            .next()
                            .unwrap_or("")
                            .chars()
                            .take_while(char::is_ascii_digit)
                            .collect();
                        given = amount.parse().unwrap();
                    }
                }
            }
            assert_eq!(penalty.points, given, "points of {clause}");
            checked += 1;
        }
    }
    assert_eq!(checked, 36);
}

/// Each manoeuvre and vehicle class cites the point of the decree that punishes it (the
/// point depends on what forbids the act and on the vehicle), and the point's own words name
/// the act.
#[test]
fn every_act_cites_its_point_for_each_class() {
    use dienbien_dispatch::domain::{Act, ObjectClass};
    let catalogue = Catalogue::bundled();
    let decree = decree();
    // (act, clause for cars, clause for motorbikes, words the point must contain)
    let table = [
        (Act::RedLight, "6.9.b", "7.7.c", "đèn tín hiệu giao thông"),
        (
            Act::AmberCrossing,
            "6.9.b",
            "7.7.c",
            "đèn tín hiệu giao thông",
        ),
        (Act::OneWay, "6.9.d", "7.7.a", "đường một chiều"),
        (Act::WrongHalf, "6.5.b", "7.3.d", "không đúng phần đường"),
        (Act::LeftAgainstSign, "6.4.k", "7.3.a", "cấm rẽ trái"),
        (Act::RightAgainstSign, "6.4.k", "7.3.a", "cấm rẽ phải"),
        (Act::UTurnAgainstSign, "6.4.k", "7.2.k", "quay đầu"),
        (Act::UTurnOnOneWay, "6.4.i", "7.2.k", "quay đầu"),
        (Act::TurnAgainstMarking, "6.1.a", "7.1.a", "vạch kẻ đường"),
        (
            Act::OvertakingOnSolidLine,
            "6.5.a",
            "7.4.c",
            "không được vượt",
        ),
        (
            Act::CentreLineCrossed,
            "6.5.b",
            "7.3.d",
            "không đúng phần đường",
        ),
        (Act::LaneLineCrossed, "6.1.a", "7.1.a", "vạch kẻ đường"),
        (Act::StopAtJunction, "6.3.đ", "7.2.e", "giao nhau"),
        (
            Act::StopAgainstSign,
            "6.2.đ",
            "7.2.e",
            "Cấm dừng xe và đỗ xe",
        ),
        (Act::ParkAgainstSign, "6.3.e", "7.2.e", "Cấm đỗ xe"),
        (Act::Weaving, "6.12", "7.9.a", "lạng lách, đánh võng"),
        (Act::GroupSpeeding, "6.12", "7.9.b", "quá tốc độ"),
    ];
    for (act, car, motorbike, words) in table {
        for (class, clause) in [
            (ObjectClass::Car, car),
            (ObjectClass::Truck, car),
            (ObjectClass::Bus, car),
            (ObjectClass::Motorbike, motorbike),
        ] {
            let penalty = catalogue
                .penalty(act, class)
                .unwrap_or_else(|| panic!("{act:?} {class:?} has no penalty"));
            assert_eq!(penalty.clause, clause, "{act:?} {class:?}");
            assert!(
                decree[clause].contains(words),
                "{clause} does not speak of «{words}»"
            );
        }
        assert_eq!(
            catalogue.penalty(act, ObjectClass::Person),
            None,
            "{act:?}: Articles 6 and 7 punish drivers of vehicles"
        );
    }
    // Gathering is a motorbike point only (Article 6 has none for cars); a crowd has no fine.
    assert_eq!(
        catalogue
            .penalty(Act::Gathering, ObjectClass::Motorbike)
            .map(|p| p.clause.as_str()),
        Some("7.2.d")
    );
    assert_eq!(catalogue.penalty(Act::Gathering, ObjectClass::Car), None);
    assert_eq!(catalogue.penalty(Act::Crowd, ObjectClass::Person), None);
}

#[test]
fn the_points_reader_understands_the_decrees_lists() {
    let pairs = named_points(
        "Thực hiện hành vi quy định tại điểm h, điểm i khoản 3; khoản 6; điểm a, điểm đkhoản 11 Điều này bị trừ",
    );
    let expect = |k: &str, p: Option<&str>| (k.to_owned(), p.map(str::to_owned));
    assert_eq!(
        pairs,
        vec![
            expect("3", Some("h")),
            expect("3", Some("i")),
            expect("6", None),
            expect("11", Some("a")),
            expect("11", Some("đ")),
        ]
    );
}
