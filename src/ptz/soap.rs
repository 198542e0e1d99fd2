//! SOAP 1.2 over HTTP as ONVIF cameras speak it: the envelope, a WS-Security UsernameToken
//! with its password digest (its creation time on the camera's clock, so a camera whose clock
//! is off still accepts it), HTTP digest when the camera challenges for it, and faults read
//! into [`PtzError`]s.

use super::backend::PtzError;
use super::http_digest::Challenge;
use super::xml::{self, Element};
use base64::Engine;
use sha1::{Digest, Sha1};
use std::sync::Mutex;
use std::time::Duration;

/// A user name and password for the camera.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{{ user: {:?}, password: *** }}", self.user)
    }
}

/// The WS-Security header for `credentials` at `created` (UTC, ISO 8601) with `nonce`.
pub fn security_header(credentials: &Credentials, nonce: &[u8], created: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut hasher = Sha1::new();
    hasher.update(nonce);
    hasher.update(created.as_bytes());
    hasher.update(credentials.password.as_bytes());
    let digest = b64.encode(hasher.finalize());
    format!(
        concat!(
            r#"<wsse:Security s:mustUnderstand="1" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd">"#,
            r#"<wsse:UsernameToken><wsse:Username>{user}</wsse:Username>"#,
            r#"<wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest">{digest}</wsse:Password>"#,
            r#"<wsse:Nonce EncodingType="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary">{nonce}</wsse:Nonce>"#,
            r#"<wsu:Created>{created}</wsu:Created></wsse:UsernameToken></wsse:Security>"#
        ),
        user = xml::escape(&credentials.user),
        digest = digest,
        nonce = b64.encode(nonce),
        created = created,
    )
}

/// The envelope around `body` (which declares its own namespaces), with `header` inside
/// `s:Header` when given.
pub fn envelope(header: Option<&str>, body: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema">{}<s:Body>{body}</s:Body></s:Envelope>"#,
        header
            .map(|h| format!("<s:Header>{h}</s:Header>"))
            .unwrap_or_default()
    )
}

/// A fault's reason and subcodes, when `reply` is one.
fn fault_of(reply: &Element) -> Option<(String, Vec<String>)> {
    let fault = reply.find("Fault")?;
    let reason = fault
        .find("Reason")
        .and_then(|r| r.find("Text"))
        .map(|t| t.text.trim().to_owned())
        .or_else(|| fault.text_of("faultstring").map(str::to_owned))
        .unwrap_or_default();
    let mut values = Vec::new();
    fault.find_all("Value", &mut values);
    let codes = values.iter().map(|v| v.text.trim().to_owned()).collect();
    Some((reason, codes))
}

fn is_authorisation_fault(reason: &str, codes: &[String]) -> bool {
    let words = ["NotAuthorized", "FailedAuthentication", "InvalidSecurity"];
    let reason = reason.to_ascii_lowercase();
    codes.iter().any(|c| words.iter().any(|w| c.contains(w)))
        || ["authenticat", "not authorized", "security header required"]
            .iter()
            .any(|w| reason.contains(w))
}

/// One camera's SOAP endpoint caller.
pub struct SoapClient {
    http: reqwest::Client,
    credentials: Option<Credentials>,
    /// The camera's clock minus ours, in milliseconds.
    pub clock_offset_ms: i64,
    timeout: Duration,
    /// The last digest challenge and how many times its nonce was used.
    digest: Mutex<Option<(Challenge, u32)>>,
}

impl SoapClient {
    pub fn new(credentials: Option<Credentials>, timeout: Duration) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(3)))
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            credentials,
            clock_offset_ms: 0,
            timeout,
            digest: Mutex::new(None),
        })
    }

    pub fn user(&self) -> &str {
        self.credentials.as_ref().map_or("", |c| c.user.as_str())
    }

    /// The WS-Security header for a new request, on the camera's clock.
    fn header(&self) -> Option<String> {
        let credentials = self.credentials.as_ref()?;
        let mut nonce = [0u8; 16];
        if getrandom::fill(&mut nonce).is_err() {
            // No randomness from the system: the time and a counter still make it unique.
            let now = crate::clock::now_utc_ms().to_le_bytes();
            nonce[..8].copy_from_slice(&now);
        }
        let created = crate::clock::utc_iso8601(crate::clock::now_utc_ms() + self.clock_offset_ms);
        Some(security_header(credentials, &nonce, &created))
    }

    fn authorisation(&self, uri: &str) -> Option<String> {
        let credentials = self.credentials.as_ref()?;
        let mut slot = self.digest.lock().ok()?;
        let (challenge, count) = slot.as_mut()?;
        *count += 1;
        let mut cnonce = [0u8; 8];
        let _ = getrandom::fill(&mut cnonce);
        Some(challenge.answer(
            &credentials.user,
            &credentials.password,
            "POST",
            uri,
            *count,
            &crate::domain::hex::to_hex(&cnonce),
        ))
    }

    /// Posts `body` to `url` as `operation`; `signed` adds the WS-Security header (every
    /// operation but the clock's). The reply's envelope, or the error it amounts to.
    pub async fn call(
        &self,
        url: &str,
        operation: &'static str,
        body: &str,
        signed: bool,
    ) -> Result<Element, PtzError> {
        let header = if signed { self.header() } else { None };
        let message = envelope(header.as_deref(), body);
        let path = url::Url::parse(url)
            .map(|u| match u.query() {
                Some(q) => format!("{}?{q}", u.path()),
                None => u.path().to_owned(),
            })
            .unwrap_or_else(|_| "/".into());
        let mut answered_challenge = false;
        loop {
            let mut request = self
                .http
                .post(url)
                .header(
                    "Content-Type",
                    format!("application/soap+xml; charset=utf-8; action=\"{operation}\""),
                )
                .body(message.clone());
            if let Some(authorisation) = self.authorisation(&path) {
                request = request.header("Authorization", authorisation);
            }
            let response = request.send().await.map_err(|e| self.transport(url, e))?;
            let status = response.status();
            if status == reqwest::StatusCode::UNAUTHORIZED {
                let challenge = response
                    .headers()
                    .get_all("WWW-Authenticate")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .find_map(Challenge::parse);
                match (challenge, answered_challenge, &self.credentials) {
                    (Some(challenge), false, Some(_)) => {
                        if let Ok(mut slot) = self.digest.lock() {
                            *slot = Some((challenge, 0));
                        }
                        answered_challenge = true;
                        continue;
                    }
                    _ => {
                        return Err(PtzError::Unauthorised {
                            url: url.to_owned(),
                            user: self.user().to_owned(),
                        });
                    }
                }
            }
            let text = response.text().await.map_err(|e| self.transport(url, e))?;
            let reply = xml::parse(&text);
            if let Ok(reply) = &reply
                && let Some((reason, codes)) = fault_of(reply)
            {
                if is_authorisation_fault(&reason, &codes) {
                    return Err(PtzError::Unauthorised {
                        url: url.to_owned(),
                        user: self.user().to_owned(),
                    });
                }
                let detail = if reason.is_empty() {
                    codes.join(", ")
                } else {
                    reason
                };
                return Err(PtzError::Fault {
                    url: url.to_owned(),
                    operation,
                    reason: detail,
                });
            }
            if !status.is_success() {
                return Err(PtzError::Fault {
                    url: url.to_owned(),
                    operation,
                    reason: format!("HTTP {status}"),
                });
            }
            return reply.map_err(|reason| PtzError::Malformed {
                url: url.to_owned(),
                operation,
                reason,
            });
        }
    }

    fn transport(&self, url: &str, e: reqwest::Error) -> PtzError {
        if e.is_timeout() {
            PtzError::Timeout {
                url: url.to_owned(),
                secs: self.timeout.as_secs().max(1),
            }
        } else {
            let mut reason = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(inner) = source {
                reason = format!("{reason}: {inner}");
                source = inner.source();
            }
            PtzError::Unreachable {
                url: url.to_owned(),
                reason,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The digest a server recomputes from the header's nonce and time: Base64(SHA-1(nonce +
    /// created + password)), checked against a value worked out by hand with `sha1sum`.
    #[test]
    fn the_password_digest_is_sha1_of_nonce_time_and_password() {
        let credentials = Credentials {
            user: "admin".into(),
            password: "secret".into(),
        };
        let header = security_header(&credentials, b"0123456789abcdef", "2026-12-07T10:00:00Z");
        let doc = xml::parse(&header).expect("well formed");
        assert_eq!(doc.text_of("Username"), Some("admin"));
        assert_eq!(doc.text_of("Nonce"), Some("MDEyMzQ1Njc4OWFiY2RlZg=="));
        assert_eq!(doc.text_of("Created"), Some("2026-12-07T10:00:00Z"));
        assert_eq!(
            doc.text_of("Password"),
            Some("oJxheVqnCkY4RGK/PpsC6ZP1f2o=")
        );
        assert!(
            !header.contains("secret"),
            "the password itself is never sent"
        );
    }

    #[test]
    fn the_digest_is_timed_on_the_cameras_clock() {
        let mut client = SoapClient::new(
            Some(Credentials {
                user: "admin".into(),
                password: "pw".into(),
            }),
            Duration::from_secs(1),
        )
        .expect("client");
        // A camera an hour ahead of this workstation.
        client.clock_offset_ms = 3_600_000;
        let before = crate::clock::now_utc_ms() + 3_600_000;
        let header = client.header().expect("credentials given");
        let after = crate::clock::now_utc_ms() + 3_600_000;
        let created = xml::parse(&header).expect("well formed");
        let created = created.text_of("Created").expect("a time").to_owned();
        let (lo, hi) = (
            crate::clock::utc_iso8601(before),
            crate::clock::utc_iso8601(after),
        );
        assert!(lo <= created && created <= hi, "{lo} <= {created} <= {hi}");
        // Two requests never share a nonce.
        let other = client.header().expect("credentials given");
        let nonce = |h: &str| {
            xml::parse(h)
                .ok()
                .and_then(|d| d.text_of("Nonce").map(str::to_owned))
        };
        assert_ne!(nonce(&header), nonce(&other));
    }

    #[test]
    fn faults_are_told_apart() {
        let reply = xml::parse(
            r#"<s:Envelope xmlns:s="x"><s:Body><s:Fault><s:Code><s:Value>s:Sender</s:Value>
            <s:Subcode><s:Value>ter:NotAuthorized</s:Value></s:Subcode></s:Code>
            <s:Reason><s:Text xml:lang="en">Sender not authorized</s:Text></s:Reason></s:Fault>
            </s:Body></s:Envelope>"#,
        )
        .expect("parses");
        let (reason, codes) = fault_of(&reply).expect("a fault");
        assert_eq!(reason, "Sender not authorized");
        assert!(is_authorisation_fault(&reason, &codes));
        assert!(!is_authorisation_fault(
            "No such preset",
            &["ter:InvalidArgVal".into()]
        ));
        assert!(is_authorisation_fault(
            "WS-Security header required but not provided",
            &["s:Sender".into()]
        ));
        assert!(envelope(None, "<a/>").contains("<s:Body><a/></s:Body>"));
    }
}
