//! Names and paths built from data that stay where they belong: a camera or junction code may
//! hold only `A–Z`, `0–9` and `-` (it names folders and files), and a path taken from data
//! (a recording row, a bundle's folder) is checked, after lexical normalisation, to lie inside
//! its root before anything is written or deleted there. Lexical: `..` and `.` are resolved
//! on the text, symbolic links are not followed (the roots are the console's own folders).

use std::path::{Component, Path, PathBuf};

/// The longest code accepted.
pub const MAX_CODE_LEN: usize = 64;

/// Why `code` cannot name a camera or junction, if it cannot.
pub fn code_problem(code: &str) -> Option<String> {
    if code.is_empty() || code.len() > MAX_CODE_LEN {
        return Some(format!(
            "'{code}' must be 1 to {MAX_CODE_LEN} characters long"
        ));
    }
    let allowed = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-';
    (!code.chars().all(allowed)).then(|| {
        format!("'{code}' may hold only capital letters A–Z, digits and '-' (it names folders and files)")
    })
}

/// `path` with `.` and `..` resolved on its text (a `..` above the start is kept).
pub fn normalise(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// `path` (relative paths are taken under `root`) normalised, when it lies inside `root`;
/// `None` when it leaves it.
pub fn inside(root: &Path, path: &Path) -> Option<PathBuf> {
    let root = normalise(root);
    let full = normalise(&root.join(path));
    (full.starts_with(&root) && full != root).then_some(full)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_capitals_digits_and_dashes() {
        for good in ["DBP-GT-A1-N", "C1", "TRAIN12-DBP-LL-01"] {
            assert_eq!(code_problem(good), None, "{good}");
        }
        for bad in [
            "../../x", "a/b", "dbp-gt", "A B", "", "Ã", "X.Y", "..", "C1\0",
        ] {
            assert!(code_problem(bad).is_some(), "{bad:?}");
        }
        assert!(code_problem(&"A".repeat(65)).is_some());
    }

    #[test]
    fn paths_that_leave_their_root_are_refused() {
        let root = Path::new("/srv/recordings");
        assert_eq!(
            inside(root, Path::new("CAM/2026-12-06/a.mp4")),
            Some(PathBuf::from("/srv/recordings/CAM/2026-12-06/a.mp4"))
        );
        assert_eq!(
            inside(root, Path::new("/srv/recordings/CAM/./b.mp4")),
            Some(PathBuf::from("/srv/recordings/CAM/b.mp4"))
        );
        for escape in [
            "../x",
            "/etc/x",
            "a/../../b",
            "/srv/recordings/../../etc/passwd",
            "/srv/recordings-other/x",
            "/srv/recordings",
            "CAM/../../recordings2/x",
        ] {
            assert_eq!(inside(root, Path::new(escape)), None, "{escape}");
        }
        assert_eq!(normalise(Path::new("/a/../../b")), PathBuf::from("/b"));
    }
}
