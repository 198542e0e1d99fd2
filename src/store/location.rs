//! Where the database lives: a SQLite file or a PostgreSQL URL, parsed from `--db`,
//! `DATABASE_URL` or the configuration, and shown without its password.

use super::StoreError;
use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseLocation {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseLocation {
    /// `postgres://…` / `postgresql://…` → PostgreSQL; `sqlite://PATH` or a plain path → SQLite.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(StoreError::BadUrl(String::new()));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(Self::Postgres(text.to_owned()));
        }
        if let Some(path) = text.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(StoreError::BadUrl(text.to_owned()));
            }
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = text.split_once("://") {
            return Err(StoreError::BadUrl(redact(&format!("{scheme}://…"))));
        }
        Ok(Self::Sqlite(PathBuf::from(text)))
    }

    /// A short name for a status bar: the SQLite file name, or the PostgreSQL host and database
    /// (never the user or password).
    pub fn short_name(&self) -> String {
        match self {
            Self::Sqlite(path) => format!(
                "SQLite {}",
                path.file_name()
                    .map_or_else(|| path.to_string_lossy(), |n| n.to_string_lossy())
            ),
            Self::Postgres(url) => {
                let rest = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
                let host_and_db = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
                let host_and_db = host_and_db.split('?').next().unwrap_or(host_and_db);
                format!("PostgreSQL {host_and_db}")
            }
        }
    }

    /// The text to hand to diesel.
    pub(crate) fn connection_string(&self) -> String {
        match self {
            Self::Sqlite(path) => path.to_string_lossy().into_owned(),
            Self::Postgres(url) => url.clone(),
        }
    }
}

/// Hides the password of a URL such as `postgres://user:secret@host/db`.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

impl fmt::Display for DatabaseLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "SQLite {}", path.display()),
            Self::Postgres(url) => write!(f, "PostgreSQL {}", redact(url)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_backends() {
        assert_eq!(
            DatabaseLocation::parse("/var/lib/dispatch.db").unwrap(),
            DatabaseLocation::Sqlite("/var/lib/dispatch.db".into())
        );
        assert_eq!(
            DatabaseLocation::parse("sqlite://data/x.db").unwrap(),
            DatabaseLocation::Sqlite("data/x.db".into())
        );
        assert!(matches!(
            DatabaseLocation::parse("postgresql://u@h/db").unwrap(),
            DatabaseLocation::Postgres(_)
        ));
    }

    #[test]
    fn refuses_other_schemes_and_hides_passwords() {
        let err = DatabaseLocation::parse("mysql://root:pw@h/db").unwrap_err();
        assert!(!err.to_string().contains("pw"), "{err}");
        let shown = DatabaseLocation::parse("postgres://dispatch:s3cret@10.1.1.1:5432/dbp")
            .unwrap()
            .to_string();
        assert_eq!(
            shown,
            "PostgreSQL postgres://dispatch:***@10.1.1.1:5432/dbp"
        );
    }
}
