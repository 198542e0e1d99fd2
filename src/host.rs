//! This machine: its name, as the audit log, evidence bundles and engines call it.

/// This workstation's name (`/etc/hostname`, or "workstation" when it cannot be read).
pub fn workstation() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "workstation".into())
}
