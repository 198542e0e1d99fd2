//! `users add | list | set-role | disable`.

use super::{Setup, principal};
use crate::cli::UsersCommand;
use crate::domain::Role;
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
    let (mut store, _) = setup.seeded_store()?;
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
            if setup.user.is_none() && store.is_first_run()? {
                // The database's first user: an administrator, created without signing in,
                // in one transaction (a second workstation doing the same is refused).
                if role != Role::Administrator {
                    bail!(
                        "this database has no users yet: its first user is an administrator (--role administrator), who then adds the others"
                    );
                }
                store.create_first_administrator(username, &display, &password)?;
                println!("user {username} added as the first administrator");
                return Ok(());
            }
            let who = principal(setup, &mut store)?;
            store.create_user(&who, username, &display, role, &password)?;
            println!("user {username} added as {} by {}", role.code(), who.name());
            Ok(())
        }
        UsersCommand::List => {
            let who = principal(setup, &mut store)?;
            if !who.may(crate::domain::Permission::ManageUsers) {
                bail!("{} may not list users: an administrator may", who.name());
            }
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
            let who = principal(setup, &mut store)?;
            store
                .update_user(&who, username, Some(role(code)?), None)
                .with_context(|| format!("user {username}"))?;
            println!("user {username} is now {code}");
            Ok(())
        }
        UsersCommand::Disable { username } => {
            let who = principal(setup, &mut store)?;
            store
                .update_user(&who, username, None, Some(true))
                .with_context(|| format!("user {username}"))?;
            println!("user {username} disabled");
            Ok(())
        }
    }
}
