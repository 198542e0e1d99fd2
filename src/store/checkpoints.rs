//! Signed checkpoints of the audit log: the hash chain shows an entry edited, removed or
//! slipped in, but not entries cut from the end, an emptied table or a chain rewritten from
//! some point on. So each workstation and engine signs the chain's head (the newest entry's id
//! and hash) with its Ed25519 key at least every 100 entries and every 10 minutes, stores the
//! checkpoint in the database (append-only) and appends it to a file of its own, which nobody
//! with only the database can reach. `audit verify` holds the chain against every checkpoint
//! it can see.

use super::schema::{audit_checkpoints as table, audit_log};
use super::{AnyConnection, Store, StoreError, now_ms};
use crate::domain::hex::{from_hex, to_hex};
use diesel::prelude::*;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _, VerifyingKey};
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::{Path, PathBuf};

/// Entries after which a checkpoint is due, and the longest time between two.
pub const CHECKPOINT_EVERY_ENTRIES: i64 = 100;
pub const CHECKPOINT_EVERY_MS: i64 = 10 * 60_000;

/// Who signs this process's checkpoints, with what, and the file it appends them to.
#[derive(Clone)]
pub struct CheckpointSigner {
    /// The workstation or engine's name.
    pub signer: String,
    pub key: SigningKey,
    /// This machine's append-only copy (one JSON object per line).
    pub file: PathBuf,
}

/// A store's signer and its own last checkpoint (entry id, time; `None` until read).
pub(super) struct Checkpointing {
    signer: CheckpointSigner,
    mine: Option<Option<(i64, i64)>>,
}

/// One signed checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub at_ms: i64,
    pub entry_id: i64,
    pub entry_hash: String,
    pub signer: String,
    /// The signer's public key, hex.
    pub public_key: String,
    /// Ed25519 over [`Checkpoint::message`], hex.
    pub signature: String,
}

impl Checkpoint {
    /// The bytes signed: every field but the signature, in a fixed layout.
    pub fn message(&self) -> Vec<u8> {
        format!(
            "dienbien-dispatch audit checkpoint\n{}\n{}\n{}\n{}\n{}",
            self.entry_id, self.entry_hash, self.at_ms, self.signer, self.public_key
        )
        .into_bytes()
    }

    /// The key that signed it, if its signature holds.
    pub fn verified_key(&self) -> Option<VerifyingKey> {
        let key: [u8; 32] = from_hex(&self.public_key)?.try_into().ok()?;
        let key = VerifyingKey::from_bytes(&key).ok()?;
        let signature: [u8; 64] = from_hex(&self.signature)?.try_into().ok()?;
        let signature = ed25519_dalek::Signature::from_bytes(&signature);
        key.verify(&self.message(), &signature).ok()?;
        Some(key)
    }

    fn sign(entry_id: i64, entry_hash: &str, signer: &CheckpointSigner) -> Self {
        let mut checkpoint = Self {
            at_ms: now_ms(),
            entry_id,
            entry_hash: entry_hash.to_owned(),
            signer: signer.signer.clone(),
            public_key: to_hex(signer.key.verifying_key().as_bytes()),
            signature: String::new(),
        };
        checkpoint.signature = to_hex(&signer.key.sign(&checkpoint.message()).to_bytes());
        checkpoint
    }
}

/// What holding the chain against the checkpoints found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckpointProblem {
    pub entry_id: i64,
    pub signer: String,
    pub reason: String,
}

/// Holds `entries` (id, hash; in id order) against `checkpoints`, those whose signature holds
/// and whose key is one of `trusted` (others are counted as `untrusted` and not used): an
/// entry a checkpoint names that is gone, or whose hash changed, is a problem.
pub fn check_against(
    entries: &[(i64, Option<String>)],
    checkpoints: &[Checkpoint],
    trusted: &[VerifyingKey],
) -> (Vec<CheckpointProblem>, usize) {
    let mut problems = Vec::new();
    let mut untrusted = 0;
    let newest = entries.last().map(|e| e.0);
    for c in checkpoints {
        let problem = |reason: String| CheckpointProblem {
            entry_id: c.entry_id,
            signer: c.signer.clone(),
            reason,
        };
        match c.verified_key() {
            None => {
                problems.push(problem(
                    "its signature does not hold (a forged or altered checkpoint)".into(),
                ));
                continue;
            }
            Some(key) if !trusted.contains(&key) => {
                untrusted += 1;
                continue;
            }
            Some(_) => {}
        }
        let at = crate::clock::vietnam_datetime(c.at_ms);
        match entries.binary_search_by_key(&c.entry_id, |e| e.0) {
            Ok(i) if entries[i].1.as_deref() == Some(c.entry_hash.as_str()) => {}
            Ok(_) => problems.push(problem(format!(
                "the chain was rewritten: entry {} no longer has the hash that {} signed at {at}",
                c.entry_id, c.signer
            ))),
            Err(_) => problems.push(problem(match newest {
                None => format!(
                    "the audit log was emptied: {} signed entry {} at {at}",
                    c.signer, c.entry_id
                ),
                Some(last) if last < c.entry_id => format!(
                    "entries were removed at the end: {} signed entry {} at {at}, the log ends at {last}",
                    c.signer, c.entry_id
                ),
                Some(_) => format!(
                    "entry {} that {} signed at {at} is gone",
                    c.entry_id, c.signer
                ),
            })),
        }
    }
    // One problem per entry is enough to read.
    problems.dedup_by_key(|p| p.entry_id);
    (problems, untrusted)
}

/// Reads a checkpoint file (missing: none); a line that does not parse is an error naming it.
pub fn read_checkpoint_file(path: &Path) -> Result<Vec<Checkpoint>, StoreError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(StoreError::Rejected {
                what: format!("checkpoint file {}", path.display()),
                reason: e.to_string(),
            });
        }
    };
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line).map_err(|e| StoreError::Rejected {
                what: format!("checkpoint file {}", path.display()),
                reason: format!("line {}: {e}", n + 1),
            })
        })
        .collect()
}

impl Store {
    /// Signs checkpoints with `signer` from now on (after each write, when one is due).
    pub fn set_checkpoint_signer(&mut self, signer: CheckpointSigner) {
        self.checkpoints = Some(Checkpointing { signer, mine: None });
    }

    /// Signs the chain's head now if a checkpoint is due: 100 entries after the newest one
    /// (any signer's), or 10 minutes after this signer's last, when the head has moved. Runs
    /// after every write: one query, unless a checkpoint may be due.
    pub(super) fn checkpoint_if_due(&mut self) -> Result<Option<Checkpoint>, StoreError> {
        let Some(state) = self.checkpoints.as_mut() else {
            return Ok(None);
        };
        let Some((head_id, Some(head_hash))) = head(&mut self.conn)? else {
            return Ok(None);
        };
        let mine = match state.mine {
            Some(mine) => mine,
            None => *state.mine.insert(
                table::table
                    .filter(table::signer.eq(&state.signer.signer))
                    .order(table::id.desc())
                    .select((table::entry_id, table::at_ms))
                    .first(&mut self.conn)
                    .optional()?,
            ),
        };
        let stale =
            mine.is_none_or(|(id, at)| id < head_id && now_ms() - at >= CHECKPOINT_EVERY_MS);
        // The newest checkpoint (any signer's) is at least as far on as this signer's own, so
        // it is read only when this signer's is 100 entries behind.
        let due = stale
            || (head_id - mine.map_or(0, |(id, _)| id) >= CHECKPOINT_EVERY_ENTRIES && {
                let newest: Option<i64> = table::table
                    .order(table::id.desc())
                    .select(table::entry_id)
                    .first(&mut self.conn)
                    .optional()?;
                head_id - newest.unwrap_or(0) >= CHECKPOINT_EVERY_ENTRIES
            });
        if !due {
            return Ok(None);
        }
        let checkpoint = write_checkpoint(&mut self.conn, head_id, &head_hash, &state.signer)?;
        state.mine = Some(Some((checkpoint.entry_id, checkpoint.at_ms)));
        Ok(Some(checkpoint))
    }

    /// Every checkpoint stored in the database, oldest first.
    pub fn audit_checkpoints(&mut self) -> Result<Vec<Checkpoint>, StoreError> {
        let rows: Vec<(i64, i64, String, String, String, String)> = table::table
            .order(table::id.asc())
            .select((
                table::at_ms,
                table::entry_id,
                table::entry_hash,
                table::signer,
                table::public_key,
                table::signature,
            ))
            .load(&mut self.conn)?;
        Ok(rows
            .into_iter()
            .map(
                |(at_ms, entry_id, entry_hash, signer, public_key, signature)| Checkpoint {
                    at_ms,
                    entry_id,
                    entry_hash,
                    signer,
                    public_key,
                    signature,
                },
            )
            .collect())
    }

    /// Every entry's id and hash, in id order (for [`check_against`]).
    pub fn audit_heads(&mut self) -> Result<Vec<(i64, Option<String>)>, StoreError> {
        Ok(audit_log::table
            .order(audit_log::id.asc())
            .select((audit_log::id, audit_log::hash))
            .load(&mut self.conn)?)
    }
}

/// Signs the head (`entry_id`, `entry_hash`) as `signer`: into its file first (a checkpoint the
/// database refused is still evidence of the head), then into the table.
fn write_checkpoint(
    conn: &mut AnyConnection,
    entry_id: i64,
    entry_hash: &str,
    signer: &CheckpointSigner,
) -> Result<Checkpoint, StoreError> {
    let checkpoint = Checkpoint::sign(entry_id, entry_hash, signer);
    append_line(&signer.file, &checkpoint)?;
    diesel::insert_into(table::table)
        .values((
            table::at_ms.eq(checkpoint.at_ms),
            table::entry_id.eq(checkpoint.entry_id),
            table::entry_hash.eq(&checkpoint.entry_hash),
            table::signer.eq(&checkpoint.signer),
            table::public_key.eq(&checkpoint.public_key),
            table::signature.eq(&checkpoint.signature),
        ))
        .execute(conn)?;
    Ok(checkpoint)
}

fn head(conn: &mut AnyConnection) -> Result<Option<(i64, Option<String>)>, StoreError> {
    Ok(audit_log::table
        .order(audit_log::id.desc())
        .select((audit_log::id, audit_log::hash))
        .first(conn)
        .optional()?)
}

/// Appends `checkpoint` as one line to `file` (created only this account may read), forced to
/// disk.
fn append_line(file: &Path, checkpoint: &Checkpoint) -> Result<(), StoreError> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let fail = |e: std::io::Error| StoreError::Rejected {
        what: format!("checkpoint file {}", file.display()),
        reason: e.to_string(),
    };
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let mut out = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(file)
        .map_err(fail)?;
    let mut line = serde_json::to_string(checkpoint).map_err(|e| StoreError::Rejected {
        what: "a checkpoint".into(),
        reason: e.to_string(),
    })?;
    line.push('\n');
    out.write_all(line.as_bytes()).map_err(fail)?;
    out.sync_data().map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(seed: u8) -> CheckpointSigner {
        CheckpointSigner {
            signer: format!("ws-{seed}"),
            key: SigningKey::from_bytes(&[seed; 32]),
            file: PathBuf::from("/nonexistent"),
        }
    }

    fn chain(n: i64) -> Vec<(i64, Option<String>)> {
        (1..=n).map(|i| (i, Some(format!("h{i}")))).collect()
    }

    #[test]
    fn a_checkpoint_names_a_cut_an_emptied_log_and_a_rewritten_chain() {
        let s = signer(7);
        let trusted = [s.key.verifying_key()];
        let at_5 = Checkpoint::sign(5, "h5", &s);
        assert!(at_5.verified_key().is_some());
        assert_eq!(
            check_against(&chain(8), std::slice::from_ref(&at_5), &trusted).0,
            []
        );
        let cut = check_against(&chain(3), std::slice::from_ref(&at_5), &trusted).0;
        assert!(cut[0].reason.contains("removed at the end"), "{cut:?}");
        assert!(cut[0].reason.contains("the log ends at 3"), "{cut:?}");
        let emptied = check_against(&[], std::slice::from_ref(&at_5), &trusted).0;
        assert!(emptied[0].reason.contains("emptied"), "{emptied:?}");
        let mut rewritten = chain(8);
        rewritten[4].1 = Some("other".into());
        let found = check_against(&rewritten, std::slice::from_ref(&at_5), &trusted).0;
        assert!(found[0].reason.contains("rewritten"), "{found:?}");
    }

    #[test]
    fn a_forged_checkpoint_is_named_and_an_untrusted_signer_is_not_used() {
        let s = signer(7);
        let mut forged = Checkpoint::sign(5, "h5", &s);
        forged.entry_id = 2;
        let trusted = [s.key.verifying_key()];
        let (problems, _) = check_against(&chain(8), &[forged], &trusted);
        assert!(problems[0].reason.contains("signature does not hold"));
        let stranger = Checkpoint::sign(50, "h50", &signer(9));
        let (problems, untrusted) = check_against(&chain(8), &[stranger], &trusted);
        assert_eq!((problems.len(), untrusted), (0, 1));
    }
}
