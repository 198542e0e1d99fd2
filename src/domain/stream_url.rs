//! Stream addresses of cameras: `rtsp://`, `file://` or `sample://` (a clip built into the
//! program, played as a camera), never with credentials inside: not as `user:pass@`, nor as a
//! query or path parameter (`?user=…&password=…`, as some cameras take them). `rtsps://` (RTSP
//! over TLS) parses (a stored row stays readable) but [`StreamUrl::check_supported`] refuses it
//! at import and at connect, with its own reason: the RTSP client has no TLS.
//!
//! Credentials live outside the registry (a credentials reference resolved at connect time), so an
//! address can be logged, exported and shown without leaking a password.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A validated stream address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamUrl(String);

/// Why a stream address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamUrlError {
    #[error("URL is empty")]
    Empty,
    #[error("URL scheme must be rtsp, file or sample (got '{0}')")]
    BadScheme(String),
    #[error(
        "rtsps:// (RTSP over TLS) is not supported: this RTSP client has no TLS; use rtsp:// on the cameras' own network"
    )]
    TlsUnsupported,
    #[error("URL has no host")]
    NoHost,
    #[error(
        "URL carries a user name or password; put credentials in the credentials_ref column instead"
    )]
    CredentialsInUrl,
    #[error("file URL must hold an absolute path (file:///path/to/clip.mp4)")]
    RelativeFilePath,
    #[error("URL contains whitespace or control characters")]
    BadCharacters,
    #[error(
        "a sample URL names a built-in clip in lower-case letters, digits and '-' (sample://vtest-h264-high)"
    )]
    BadSampleName,
}

impl StreamUrl {
    pub fn parse(text: &str) -> Result<Self, StreamUrlError> {
        let text = text.trim();
        if text.is_empty() {
            return Err(StreamUrlError::Empty);
        }
        if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(StreamUrlError::BadCharacters);
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(StreamUrlError::BadScheme(text.chars().take(16).collect()));
        };
        match scheme.to_ascii_lowercase().as_str() {
            "rtsp" | "rtsps" => {
                let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
                if authority.contains('@') || carries_credentials(&rest[authority.len()..]) {
                    return Err(StreamUrlError::CredentialsInUrl);
                }
                if authority.is_empty() || authority.starts_with(':') {
                    return Err(StreamUrlError::NoHost);
                }
            }
            "file" => {
                if !rest.starts_with('/') {
                    return Err(StreamUrlError::RelativeFilePath);
                }
            }
            "sample" => {
                let good = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
                if rest.is_empty() || !rest.chars().all(good) {
                    return Err(StreamUrlError::BadSampleName);
                }
            }
            other => return Err(StreamUrlError::BadScheme(other.to_owned())),
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Refuses what this program cannot play: `rtsps://` (no TLS in the RTSP client).
    pub fn check_supported(&self) -> Result<(), StreamUrlError> {
        if self.scheme().eq_ignore_ascii_case("rtsps") {
            return Err(StreamUrlError::TlsUnsupported);
        }
        Ok(())
    }

    /// `rtsp`, `rtsps`, `file` or `sample`.
    pub fn scheme(&self) -> &str {
        self.0.split_once("://").map_or("", |(s, _)| s)
    }

    /// The built-in clip a `sample://NAME` address plays, `None` for any other address.
    pub fn sample_name(&self) -> Option<&str> {
        let (scheme, rest) = self.0.split_once("://")?;
        scheme.eq_ignore_ascii_case("sample").then_some(rest)
    }
}

/// Whether a path or query names a credential (`user=`, `password=`, `token=`, …) as a
/// parameter.
fn carries_credentials(path_and_query: &str) -> bool {
    const NAMES: [&str; 12] = [
        "user", "username", "usr", "login", "password", "passwd", "pwd", "pass", "token", "auth",
        "secret", "apikey",
    ];
    path_and_query
        .split(['?', '&', ';', '/', '#'])
        .filter_map(|part| part.split_once('='))
        .any(|(name, _)| NAMES.iter().any(|n| name.eq_ignore_ascii_case(n)))
}

impl fmt::Display for StreamUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for StreamUrl {
    type Error = StreamUrlError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<StreamUrl> for String {
    fn from(value: StreamUrl) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_three_schemes() {
        for url in [
            "rtsp://10.0.0.5:554/Streaming/Channels/101",
            "RTSP://cam.example.invalid/main?channel=1&subtype=0",
            "file:///srv/clips/a1.mp4",
            "sample://vtest-h264-high",
        ] {
            assert!(StreamUrl::parse(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn refuses_bad_addresses_with_a_reason() {
        assert_eq!(
            StreamUrl::parse("http://cam/video"),
            Err(StreamUrlError::BadScheme("http".into()))
        );
        assert_eq!(
            StreamUrl::parse("rtsp://admin:secret@10.0.0.5/main"),
            Err(StreamUrlError::CredentialsInUrl)
        );
        for url in [
            "rtsp://10.0.0.5/main?user=admin&password=secret",
            "rtsp://10.0.0.5:554/user=admin&password=&channel=1&stream=0.sdp",
            "rtsp://10.0.0.5/live;PWD=secret",
            "rtsp://10.0.0.5/stream?Token=abc",
        ] {
            assert_eq!(
                StreamUrl::parse(url),
                Err(StreamUrlError::CredentialsInUrl),
                "{url}"
            );
        }
        let tls = StreamUrl::parse("rtsps://cam.example.invalid/main").unwrap();
        assert_eq!(tls.check_supported(), Err(StreamUrlError::TlsUnsupported));
        assert_eq!(
            StreamUrl::parse("rtsps://u:p@cam.example.invalid/main"),
            Err(StreamUrlError::CredentialsInUrl)
        );
        assert_eq!(
            StreamUrl::parse("rtsp:///main"),
            Err(StreamUrlError::NoHost)
        );
        assert_eq!(
            StreamUrl::parse("file://clips/a.mp4"),
            Err(StreamUrlError::RelativeFilePath)
        );
        assert_eq!(StreamUrl::parse("  "), Err(StreamUrlError::Empty));
        assert!(matches!(
            StreamUrl::parse("cam01"),
            Err(StreamUrlError::BadScheme(_))
        ));
        for name in ["sample://", "sample://../etc/passwd", "sample://Vtest"] {
            assert_eq!(
                StreamUrl::parse(name),
                Err(StreamUrlError::BadSampleName),
                "{name}"
            );
        }
    }

    #[test]
    fn a_sample_address_names_its_clip() {
        let url = StreamUrl::parse("sample://car-park").unwrap();
        assert_eq!(url.sample_name(), Some("car-park"));
        let file = StreamUrl::parse("file:///srv/clips/a1.mp4").unwrap();
        assert_eq!(file.sample_name(), None);
    }
}
