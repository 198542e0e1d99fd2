//! Signing in at the command line: `--user NAME` (the password from `DISPATCH_PASSWORD` or a
//! prompt without echo), or the token `login` saved for one shift; a command run without
//! either acts only on a database that never had a user. The audit log names whoever signed
//! in, never an environment variable.

use super::Setup;
use crate::store::{Principal, SignInError, Store};
use anyhow::{Context as _, bail};
use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

/// Where a command's sign-in password is read from first.
pub const PASSWORD_VAR: &str = "DISPATCH_PASSWORD";

/// The file holding the token of `login` (only this account may read it).
fn token_file(setup: &Setup) -> PathBuf {
    setup.folders.data.join("sign-in-token")
}

/// Whom a command acts for: `--user` signed in with a password, else the saved token, else
/// (on a database that never had a user) the first-run principal.
pub(crate) fn principal(setup: &Setup, store: &mut Store) -> anyhow::Result<Principal> {
    if let Some(username) = &setup.user {
        return with_password(store, username);
    }
    let file = token_file(setup);
    if let Some(token) = read_token(&file)? {
        return match store.redeem_token(&token)? {
            Ok(signed) => Ok(signed.principal),
            Err(e) => bail!("{e} (the token in {}: run `login` again)", file.display()),
        };
    }
    Ok(store.first_run_principal()?)
}

/// Whom an engine command (`serve`, `record`, recovery) acts for: `--user` (a service
/// account) or the saved token, else this machine's engine where that needs no account (the
/// embedded SQLite database, or one that never had a user).
pub(crate) fn engine_principal(setup: &Setup, store: &mut Store) -> anyhow::Result<Principal> {
    let who = if setup.user.is_some() || read_token(&token_file(setup))?.is_some() {
        principal(setup, store)?
    } else {
        store.local_engine_principal()?
    };
    who.require(crate::domain::Permission::RecordDetections)?;
    Ok(who)
}

/// Signs `username` in with the password from [`PASSWORD_VAR`] or a prompt.
fn with_password(store: &mut Store, username: &str) -> anyhow::Result<Principal> {
    let password = password(&format!("password of {username}: "))?;
    match store.sign_in(username, &password)? {
        Ok(signed) => Ok(signed.principal),
        Err(e @ SignInError::Locked { .. }) => bail!("{username}: {e}"),
        Err(e) => bail!("sign-in as {username} refused: {e}"),
    }
}

/// The password: [`PASSWORD_VAR`], else typed at the terminal without echo, else the first
/// line of standard input.
fn password(prompt: &str) -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(PASSWORD_VAR) {
        return Ok(password);
    }
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        eprint!("{prompt}");
        let _ = std::io::stderr().flush();
        let line = without_echo(|| {
            let mut line = String::new();
            stdin.lock().read_line(&mut line).map(|_| line)
        })?;
        eprintln!();
        line
    } else {
        let mut line = String::new();
        stdin.lock().read_line(&mut line)?;
        line
    };
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password: set {PASSWORD_VAR} or type it when asked");
    }
    Ok(password)
}

/// Runs `read` with the terminal's echo off, restoring it afterwards.
fn without_echo<T>(read: impl FnOnce() -> std::io::Result<T>) -> std::io::Result<T> {
    // SAFETY: tcgetattr/tcsetattr on standard input with a zeroed, then filled, termios.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut saved) } != 0 {
        return read();
    }
    let mut quiet = saved;
    quiet.c_lflag &= !libc::ECHO;
    // SAFETY: as above; `quiet` is a copy of the terminal's own settings.
    unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &quiet) };
    let outcome = read();
    // SAFETY: restores the settings read above.
    unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &saved) };
    outcome
}

fn read_token(file: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(file) {
        Ok(text) if !text.trim().is_empty() => Ok(Some(text.trim().to_owned())),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", file.display())),
    }
}

/// `login`: signs `--user` in and saves a token for one shift.
pub fn login(setup: &Setup) -> anyhow::Result<()> {
    let Some(username) = &setup.user else {
        bail!("login needs --user NAME (the password from {PASSWORD_VAR} or a prompt)");
    };
    let mut store = setup.store()?;
    let who = with_password(&mut store, username)?;
    let token = store.issue_token(&who)?;
    let file = token_file(setup);
    write_private(&file, &token)?;
    let until = crate::clock::now_utc_ms() + crate::store::TOKEN_LIFETIME_MS;
    println!(
        "signed in as {username} until {} (token in {})",
        crate::clock::vietnam_datetime(until),
        file.display()
    );
    Ok(())
}

/// `logout`: revokes and deletes the saved token.
pub fn logout(setup: &Setup) -> anyhow::Result<()> {
    let file = token_file(setup);
    let Some(token) = read_token(&file)? else {
        println!("not signed in");
        return Ok(());
    };
    let mut store = setup.store()?;
    store.revoke_token(&token)?;
    std::fs::remove_file(&file).with_context(|| format!("cannot delete {}", file.display()))?;
    println!("signed out");
    Ok(())
}

/// Writes `text` to a file only this account may read or write (created so from the start).
fn write_private(file: &Path, text: &str) -> anyhow::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let _ = std::fs::remove_file(file);
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(file)
        .with_context(|| format!("cannot write {}", file.display()))?;
    out.write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .with_context(|| format!("cannot write {}", file.display()))
}
