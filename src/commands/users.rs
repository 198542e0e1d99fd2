//! `users add | list | set-role | disable`.

use super::{Setup, cli_actor};
use crate::cli::UsersCommand;
use crate::domain::Role;
use crate::store::Store;
use anyhow::{Context as _, bail};

/// Where a new password is read from first.
pub const PASSWORD_VAR: &str = "DISPATCH_NEW_PASSWORD";

fn role(code: &str) -> anyhow::Result<Role> {
    Role::from_code(code).with_context(|| {
        let codes: Vec<&str> = Role::ALL.iter().map(|r| r.code()).collect();
        format!("'{code}' is not a role: use one of {}", codes.join(", "))
    })
}

pub fn run(command: &UsersCommand, setup: &Setup) -> anyhow::Result<()> {
    let (mut store, _) = Store::open_seeded(&setup.database)?;
    match command {
        UsersCommand::Add {
            username,
            role: code,
            name,
        } => {
            let role = role(code)?;
            let password = match std::env::var(PASSWORD_VAR) {
                Ok(p) => p,
                Err(_) => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            if password.is_empty() {
                bail!("no password: set {PASSWORD_VAR} or give it on standard input");
            }
            let display = name.clone().unwrap_or_else(|| username.clone());
            store.create_user(username, &display, role, &password, &cli_actor())?;
            println!("user {username} added as {}", role.code());
            Ok(())
        }
        UsersCommand::List => {
            for user in store.users()? {
                println!(
                    "{:<20} {:<14} {}{}",
                    user.username,
                    user.role.code(),
                    user.display_name,
                    if user.disabled { " (disabled)" } else { "" }
                );
            }
            Ok(())
        }
        UsersCommand::SetRole {
            username,
            role: code,
        } => {
            store
                .update_user(username, Some(role(code)?), None, &cli_actor())
                .with_context(|| format!("user {username}"))?;
            println!("user {username} is now {code}");
            Ok(())
        }
        UsersCommand::Disable { username } => {
            store
                .update_user(username, None, Some(true), &cli_actor())
                .with_context(|| format!("user {username}"))?;
            println!("user {username} disabled");
            Ok(())
        }
    }
}
