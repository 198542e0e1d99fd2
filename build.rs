//! Build script: validates every `shaders/*.wgsl` with naga (a broken shader fails the build
//! with its file and line) and embeds the git revision shown in the About box.

use std::path::Path;
use std::process::Command;

fn main() {
    validate_shaders(Path::new("shaders"));
    embed_git_revision();
    // Where benchmarks may keep generated media: the target folder.
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_owned());
    println!("cargo:rustc-env=CARGO_TARGET_DIR_HINT={target}");
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");
}

fn validate_shaders(dir: &Path) {
    println!("cargo:rerun-if-changed={}", dir.display());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "wgsl"))
        .collect();
    paths.sort();
    let mut failures = Vec::new();
    for path in paths {
        println!("cargo:rerun-if-changed={}", path.display());
        let source = match std::fs::read_to_string(&path) {
            Ok(s) => s,
            Err(e) => {
                failures.push(format!("{}: cannot read: {e}", path.display()));
                continue;
            }
        };
        if let Err(message) = validate_wgsl(&path, &source) {
            failures.push(message);
        }
    }
    if !failures.is_empty() {
        for failure in &failures {
            for line in failure.lines() {
                println!("cargo:warning={line}");
            }
        }
        panic!("invalid WGSL shader(s):\n{}", failures.join("\n"));
    }
}

fn validate_wgsl(path: &Path, source: &str) -> Result<(), String> {
    let module = naga::front::wgsl::parse_str(source)
        .map_err(|e| e.emit_to_string_with_path(source, path.to_string_lossy().as_ref()))?;
    naga::valid::Validator::new(
        naga::valid::ValidationFlags::all(),
        naga::valid::Capabilities::default(),
    )
    .validate(&module)
    .map_err(|e| e.emit_to_string_with_path(source, path.to_string_lossy().as_ref()))?;
    Ok(())
}

fn embed_git_revision() {
    let revision = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    let dirty = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=no"])
        .output()
        .ok()
        .is_some_and(|o| o.status.success() && !o.stdout.is_empty());
    let suffix = if dirty { "+changes" } else { "" };
    println!("cargo:rustc-env=DISPATCH_GIT_REVISION={revision}{suffix}");
    if Path::new(".git/HEAD").exists() {
        println!("cargo:rerun-if-changed=.git/HEAD");
        println!("cargo:rerun-if-changed=.git/index");
    }
}
