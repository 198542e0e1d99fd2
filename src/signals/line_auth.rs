//! Authenticating the controller feed's lines: each line carries an HMAC-SHA256 (RFC 2104) of
//! its change under the junction's key, which the gateway and the workstation share (the
//! workstation's `credentials.toml`, `[signal_keys]`). A line without one, or with a wrong one,
//! is refused. Also the limits a hostile peer meets: a line's length and the lines per second.

use crate::domain::hex::{from_hex, to_hex};
use crate::domain::signal::SignalChange;
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// The longest line read (bytes, without the newline); a longer one drops the connection.
pub const MAX_LINE_BYTES: usize = 1024;
/// Lines taken per second, sustained, and in a burst (a junction has a few groups that change
/// a few times a minute; on connect the gateway sends every group's state).
pub const LINES_PER_SECOND: f64 = 50.0;
pub const LINE_BURST: f64 = 200.0;

/// A junction's feed key (32 bytes, written as 64 hex digits).
#[derive(Clone, PartialEq, Eq)]
pub struct FeedKey([u8; 32]);

impl std::fmt::Debug for FeedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FeedKey(***)")
    }
}

impl FeedKey {
    /// The key from 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        from_hex(text.trim())?.try_into().ok().map(Self)
    }

    /// The MAC of `change` under this key, hex.
    pub fn sign(&self, change: &SignalChange) -> String {
        to_hex(&hmac_sha256(&self.0, &message(change)))
    }

    /// Whether `mac` (hex) is this key's MAC of `change` (compared in constant time).
    pub fn verify(&self, change: &SignalChange, mac: &str) -> bool {
        let expected = to_hex(&hmac_sha256(&self.0, &message(change)));
        expected.len() == mac.len()
            && expected
                .bytes()
                .zip(mac.to_ascii_lowercase().bytes())
                .fold(0u8, |diff, (a, b)| diff | (a ^ b))
                == 0
    }
}

/// What a signed line holds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SignedLine {
    t_ms: i64,
    group: String,
    state: crate::domain::signal::SignalColour,
    mac: Option<String>,
}

/// Why a line was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineRefused {
    #[error("not a signal change")]
    Malformed,
    #[error("no MAC")]
    Unsigned,
    #[error("wrong MAC")]
    BadMac,
}

/// The change a line holds, once its MAC holds under `key`.
pub fn authenticate(line: &str, key: &FeedKey) -> Result<SignalChange, LineRefused> {
    let parsed: SignedLine = serde_json::from_str(line).map_err(|_| LineRefused::Malformed)?;
    let change = SignalChange {
        t_ms: parsed.t_ms,
        group: parsed.group,
        state: parsed.state,
    };
    let mac = parsed.mac.ok_or(LineRefused::Unsigned)?;
    if key.verify(&change, &mac) {
        Ok(change)
    } else {
        Err(LineRefused::BadMac)
    }
}

/// The line a gateway sends for `change`, signed with `key`.
pub fn signed_line(change: &SignalChange, key: &FeedKey) -> String {
    serde_json::json!({
        "t_ms": change.t_ms,
        "group": change.group,
        "state": change.state,
        "mac": key.sign(change),
    })
    .to_string()
}

/// The bytes a MAC covers: the three fields, one a line.
fn message(change: &SignalChange) -> Vec<u8> {
    format!(
        "{}\n{}\n{}",
        change.t_ms,
        change.group,
        serde_json::to_value(change.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    )
    .into_bytes()
}

/// HMAC-SHA256 (RFC 2104) of `data` under `key`.
fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut block = [0u8; BLOCK];
    if key.len() > BLOCK {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let pad = |byte: u8| block.map(|b| b ^ byte);
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(data)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

/// A token bucket: `take` says whether one more line may be read now.
#[derive(Debug, Clone)]
pub struct LineBudget {
    tokens: f64,
    last: std::time::Instant,
}

impl Default for LineBudget {
    fn default() -> Self {
        Self {
            tokens: LINE_BURST,
            last: std::time::Instant::now(),
        }
    }
}

impl LineBudget {
    pub fn take(&mut self, now: std::time::Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * LINES_PER_SECOND).min(LINE_BURST);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::signal::SignalColour;

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // Test case 2 of RFC 4231.
        assert_eq!(
            to_hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than the block.
        assert_eq!(
            to_hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn a_signed_line_is_taken_and_an_unsigned_or_altered_one_refused() {
        let key = FeedKey::from_hex(&"1f".repeat(32)).unwrap();
        let change = SignalChange {
            t_ms: 1_796_000_000_000,
            group: "A".into(),
            state: SignalColour::Red,
        };
        let line = signed_line(&change, &key);
        assert_eq!(authenticate(&line, &key), Ok(change.clone()));
        // The same MAC as Python's hmac module gives for this key and message (what a gateway
        // written in another language computes).
        let key_5a = FeedKey::from_hex(&"5a".repeat(32)).unwrap();
        assert_eq!(
            key_5a.sign(&change),
            "8c40b7d41acf8f21c68cc70621c5ca38ba324defb357b1db095d8035998a5ddb"
        );
        let green = line.replace("\"red\"", "\"green\"");
        assert_eq!(authenticate(&green, &key), Err(LineRefused::BadMac));
        let other = FeedKey::from_hex(&"2e".repeat(32)).unwrap();
        assert_eq!(authenticate(&line, &other), Err(LineRefused::BadMac));
        assert_eq!(
            authenticate(r#"{"t_ms":1,"group":"A","state":"red"}"#, &key),
            Err(LineRefused::Unsigned)
        );
        assert_eq!(authenticate("hello", &key), Err(LineRefused::Malformed));
        assert_eq!(
            authenticate(r#"{"t_ms":1e400,"group":"A","state":"red"}"#, &key),
            Err(LineRefused::Malformed)
        );
        assert!(FeedKey::from_hex("abc").is_none());
        assert!(FeedKey::from_hex(&"zz".repeat(32)).is_none());
        assert_eq!(format!("{key:?}"), "FeedKey(***)");
    }

    #[test]
    fn the_line_budget_allows_a_burst_then_the_steady_rate() {
        let mut budget = LineBudget::default();
        let start = budget.last;
        let taken = (0..1000).filter(|_| budget.take(start)).count();
        assert_eq!(taken, LINE_BURST as usize);
        let later = start + std::time::Duration::from_secs(2);
        let taken = (0..1000).filter(|_| budget.take(later)).count();
        assert_eq!(taken, (2.0 * LINES_PER_SECOND) as usize);
    }
}
