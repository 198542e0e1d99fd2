//! The workstation's Ed25519 signing key for evidence manifests: 32 random bytes kept as hex
//! in the config folder (readable by the console's user only), made on first use. The public
//! half goes into every manifest; `evidence verify` trusts this workstation's key and the keys
//! listed in `[evidence] trusted_keys`.

use super::EvidenceError;
use ed25519_dalek::{SigningKey, VerifyingKey};
use std::path::Path;

/// Loads the key at `path`, creating it when there is none.
pub fn load_or_create(path: &Path) -> Result<SigningKey, EvidenceError> {
    let fail = |message: String| EvidenceError::Key {
        path: path.to_owned(),
        message,
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            check_private(path).map_err(fail)?;
            let bytes = from_hex(text.trim()).ok_or_else(|| fail("not 64 hex digits".into()))?;
            let bytes: [u8; 32] = bytes
                .try_into()
                .map_err(|_| fail("not a 32-byte key".into()))?;
            Ok(SigningKey::from_bytes(&bytes))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| fail(format!("no randomness: {e}")))?;
            let key = SigningKey::from_bytes(&bytes);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
            }
            write_private(path, &to_hex(&bytes)).map_err(|e| fail(e.to_string()))?;
            tracing::info!(key = %path.display(), fingerprint = %fingerprint(&key.verifying_key()), "evidence signing key made");
            Ok(key)
        }
        Err(e) => Err(fail(e.to_string())),
    }
}

/// A key others can read or write signs nothing: it could be copied or replaced.
#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .map_err(|e| e.to_string())?
        .permissions()
        .mode();
    if mode & 0o077 != 0 {
        return Err(format!(
            "is open to other users (mode {:o}); make it readable by its owner only: chmod 600",
            mode & 0o777
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path) -> Result<(), String> {
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// A short name for a public key: the first 16 hex digits of its SHA-256.
pub fn fingerprint(key: &VerifyingKey) -> String {
    use sha2::Digest as _;
    to_hex(&sha2::Sha256::digest(key.as_bytes())[..8])
}

pub use crate::domain::hex::{from_hex, to_hex};

/// A public key from its hex form.
pub fn public_key(hex: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = from_hex(hex)?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_kept_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/evidence-ed25519.key");
        let made = load_or_create(&path).unwrap();
        let read = load_or_create(&path).unwrap();
        assert_eq!(made.to_bytes(), read.to_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let hex = to_hex(made.verifying_key().as_bytes());
        assert_eq!(public_key(&hex), Some(made.verifying_key()));
        assert_eq!(fingerprint(&made.verifying_key()).len(), 16);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let refused = load_or_create(&path).unwrap_err().to_string();
            assert!(
                refused.contains("open to other users (mode 644)"),
                "{refused}"
            );
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        std::fs::write(&path, "zz").unwrap();
        assert!(
            load_or_create(&path)
                .unwrap_err()
                .to_string()
                .contains("not 64 hex")
        );
    }
}
