//! HTTP digest authentication (RFC 7616 with MD5, as cameras ask for it; RFC 2617's form when
//! the challenge has no `qop`): the `Authorization` header answering a `WWW-Authenticate:
//! Digest …` challenge. Some cameras want it on top of, or instead of, WS-Security.

use md5::{Digest, Md5};

/// A server's digest challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    /// Whether the server offers `qop=auth`.
    pub qop_auth: bool,
    pub algorithm: Option<String>,
}

impl Challenge {
    /// Reads a `WWW-Authenticate` value; `None` when it is not a digest challenge this client
    /// can answer (another scheme, or an algorithm other than MD5).
    pub fn parse(header: &str) -> Option<Self> {
        let rest = header.trim();
        let (scheme, params) = rest.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("digest") {
            return None;
        }
        let mut realm = None;
        let mut nonce = None;
        let mut opaque = None;
        let mut qop = None;
        let mut algorithm = None;
        for (key, value) in parameters(params) {
            match key.to_ascii_lowercase().as_str() {
                "realm" => realm = Some(value),
                "nonce" => nonce = Some(value),
                "opaque" => opaque = Some(value),
                "qop" => qop = Some(value),
                "algorithm" => algorithm = Some(value),
                _ => {}
            }
        }
        if algorithm
            .as_deref()
            .is_some_and(|a| !a.eq_ignore_ascii_case("md5"))
        {
            return None;
        }
        Some(Self {
            realm: realm?,
            nonce: nonce?,
            opaque,
            qop_auth: qop.is_some_and(|q| q.split(',').any(|v| v.trim() == "auth")),
            algorithm,
        })
    }

    /// The `Authorization` header for `method` on `uri` (path and query), the `count`th use
    /// of this nonce, with the client nonce `cnonce`.
    pub fn answer(
        &self,
        user: &str,
        password: &str,
        method: &str,
        uri: &str,
        count: u32,
        cnonce: &str,
    ) -> String {
        let ha1 = md5_hex(&format!("{user}:{}:{password}", self.realm));
        let ha2 = md5_hex(&format!("{method}:{uri}"));
        let nc = format!("{count:08x}");
        let response = if self.qop_auth {
            md5_hex(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", self.nonce))
        } else {
            md5_hex(&format!("{ha1}:{}:{ha2}", self.nonce))
        };
        let quoted = |v: &str| v.replace('\\', "\\\\").replace('"', "\\\"");
        let mut header = format!(
            "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{}\", response=\"{response}\"",
            quoted(user),
            quoted(&self.realm),
            quoted(&self.nonce),
            quoted(uri)
        );
        if let Some(algorithm) = &self.algorithm {
            header.push_str(&format!(", algorithm={algorithm}"));
        }
        if self.qop_auth {
            header.push_str(&format!(
                ", qop=auth, nc={nc}, cnonce=\"{}\"",
                quoted(cnonce)
            ));
        }
        if let Some(opaque) = &self.opaque {
            header.push_str(&format!(", opaque=\"{}\"", quoted(opaque)));
        }
        header
    }
}

fn md5_hex(text: &str) -> String {
    crate::domain::hex::to_hex(&Md5::digest(text.as_bytes()))
}

/// `key=value` and `key="quoted value"` pairs separated by commas.
fn parameters(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|&c| c != '=').collect();
        if key.trim().is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.push((key.trim().to_owned(), value.trim().to_owned()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 2617, section 3.5: the worked example's response.
    #[test]
    fn the_rfc_example_gives_its_response() {
        let challenge = Challenge::parse(
            r#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
        )
        .expect("a digest challenge");
        assert!(challenge.qop_auth);
        let header = challenge.answer(
            "Mufasa",
            "Circle Of Life",
            "GET",
            "/dir/index.html",
            1,
            "0a4f113b",
        );
        assert!(
            header.contains(r#"response="6629fae49393a05397450978507c4ef1""#),
            "{header}"
        );
        assert!(
            header.contains("nc=00000001")
                && header.contains(r#"opaque="5ccc069c403ebaf9f0171e9517f40e41""#)
        );
    }

    #[test]
    fn other_schemes_and_algorithms_are_not_answered() {
        assert!(Challenge::parse(r#"Basic realm="x""#).is_none());
        assert!(Challenge::parse(r#"Digest realm="x", nonce="n", algorithm=SHA-256"#).is_none());
        assert!(
            Challenge::parse(r#"Digest realm="x""#).is_none(),
            "no nonce"
        );
        let plain = Challenge::parse(r#"Digest realm="a \"b\"", nonce="n""#).expect("md5");
        assert_eq!(plain.realm, r#"a "b""#);
        assert!(!plain.qop_auth);
    }
}
