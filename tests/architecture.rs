//! ARCHITECTURE.md is checked against the code: the table of which top-level module uses which
//! (section "Dependencies") must be exactly what the sources say (`crate::…` paths outside
//! comments and test modules), the graph must have no cycle, and `domain` must use nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code without comments and without its `#[cfg(test)]` module (by the house style, the
/// last item of a file).
fn code_of(text: &str) -> String {
    let body = match text.find("#[cfg(test)]\nmod tests") {
        Some(at) => &text[..at],
        None => text,
    };
    body.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules named after `crate::` in `code`, including `crate::{a, b::c}`.
fn used_modules(code: &str) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = &group[..matching_brace(group)];
            // The first identifier of each top-level part of the group.
            for part in split_top_level(inner) {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    used.insert(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if !name.is_empty() {
                used.insert(name);
            }
        }
    }
    used
}

/// Where the group opened just before `text` closes (its length when it never does).
fn matching_brace(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

fn split_top_level(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut depth, mut from) = (0i32, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[from..]);
    parts
}

/// Which top-level module uses which, from the sources.
fn graph_of_code(root: &Path) -> Graph {
    let src = root.join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeSet<String> = files
        .iter()
        .map(|f| top_module(&src, f))
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let mut graph: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeSet::new()))
        .collect();
    for file in &files {
        let module = top_module(&src, file);
        let Some(uses) = graph.get_mut(&module) else {
            continue;
        };
        let code = code_of(&std::fs::read_to_string(file).unwrap());
        uses.extend(
            used_modules(&code)
                .into_iter()
                .filter(|m| *m != module && modules.contains(m)),
        );
    }
    graph
}

fn top_module(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_owned()
}

/// The table in ARCHITECTURE.md: the `text` block after "## Dependencies", lines
/// `module -> a, b, c` (or `module -> (nothing)`).
fn graph_of_document(root: &Path) -> Graph {
    let text = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let section = text
        .split("\n## Dependencies\n")
        .nth(1)
        .expect("ARCHITECTURE.md has a section '## Dependencies'");
    let block = section
        .split("```text\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("the section holds a ```text block");
    block
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let (module, uses) = line
                .split_once("->")
                .unwrap_or_else(|| panic!("'{line}' is not 'module -> uses'"));
            let uses = uses
                .split(',')
                .map(str::trim)
                .filter(|u| !u.is_empty() && *u != "(nothing)")
                .map(str::to_owned)
                .collect();
            (module.trim().to_owned(), uses)
        })
        .collect()
}

/// A cycle in `graph`, if any, as the modules along it.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| n == node) {
            let mut cycle = path[at..].to_vec();
            cycle.push(node.to_owned());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_owned());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

fn render(graph: &Graph) -> String {
    graph
        .iter()
        .map(|(module, uses)| {
            let uses: Vec<&str> = uses.iter().map(String::as_str).collect();
            let uses = if uses.is_empty() {
                "(nothing)".to_owned()
            } else {
                uses.join(", ")
            };
            format!("{module:<10} -> {uses}\n")
        })
        .collect()
}

#[test]
fn the_documented_dependencies_are_the_codes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let code = graph_of_code(root);
    let document = graph_of_document(root);
    assert!(
        code == document,
        "ARCHITECTURE.md's dependency table disagrees with the code. The code says:\n\n{}",
        render(&code)
    );
}

#[test]
fn the_modules_form_no_cycle_and_the_domain_uses_nothing() {
    let code = graph_of_code(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert_eq!(find_cycle(&code), None);
    assert_eq!(code["domain"], BTreeSet::new());
}

/// Which file of the console (`src/ui/`) uses which (`super::…` and `crate::ui::…` paths).
fn graph_of_console(root: &Path) -> Graph {
    let dir = root.join("src/ui");
    let mut graph = Graph::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        if name == "mod" {
            continue;
        }
        let code = code_of(&std::fs::read_to_string(&path).unwrap());
        let mut uses = BTreeSet::new();
        for prefix in ["super::", "crate::ui::"] {
            for (at, _) in code.match_indices(prefix) {
                let used: String = code[at + prefix.len()..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                if !used.is_empty() && used != name {
                    uses.insert(used);
                }
            }
        }
        graph.insert(name, uses);
    }
    let files: BTreeSet<String> = graph.keys().cloned().collect();
    for uses in graph.values_mut() {
        uses.retain(|u| files.contains(u));
    }
    graph
}

#[test]
fn the_consoles_files_form_no_cycle() {
    let console = graph_of_console(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(console.len() > 20, "{console:?}");
    assert_eq!(find_cycle(&console), None, "{}", render(&console));
    // Every view hands back actions through action.rs, which knows no view.
    assert_eq!(
        console["action"],
        ["i18n".to_owned(), "settings".to_owned()].into()
    );
}

#[test]
fn the_reader_finds_paths_groups_and_skips_comments_and_tests() {
    let code = code_of(
        "use crate::domain::Camera;\nuse crate::{store::{Store, StoreError}, video};\n\
         // crate::ui is only mentioned\nlet x = crate::clock::now();\n\
         #[cfg(test)]\nmod tests {\n    use crate::ingest;\n}\n",
    );
    let used: Vec<String> = used_modules(&code).into_iter().collect();
    assert_eq!(used, ["clock", "domain", "store", "video"]);
    let mut cyclic = Graph::new();
    cyclic.insert("a".into(), ["b".to_owned()].into());
    cyclic.insert("b".into(), ["a".to_owned()].into());
    assert_eq!(
        find_cycle(&cyclic),
        Some(vec!["a".to_owned(), "b".to_owned(), "a".to_owned()])
    );
}
