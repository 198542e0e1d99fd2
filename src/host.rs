//! This machine: its name, as the audit log, evidence bundles and engines call it.

/// This workstation's name (`/etc/hostname`, or "workstation" when it cannot be read); read
/// once per process (audit names and principals ask for it on every command).
pub fn workstation() -> String {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_owned())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "workstation".into())
    })
    .clone()
}
