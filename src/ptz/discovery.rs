//! WS-Discovery of ONVIF devices on the local network segment: one `Probe` for network video
//! transmitters sent to the multicast group (239.255.255.250:3702), the `ProbeMatches` that
//! come back within a bounded time read into their addresses, device service URLs and scopes
//! (name, hardware). Only the probe's own replies are taken (matched by `RelatesTo`).

use super::xml;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// Where ONVIF devices listen for probes.
pub const MULTICAST: &str = "239.255.255.250:3702";

/// One device that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovered {
    /// Its endpoint reference (`urn:uuid:…`), stable for the device.
    pub endpoint: String,
    /// Its device service addresses.
    pub xaddrs: Vec<String>,
    pub scopes: Vec<String>,
}

impl Discovered {
    /// The scope value under `onvif://www.onvif.org/<kind>/`, percent-decoded.
    pub fn scope(&self, kind: &str) -> Option<String> {
        let prefix = format!("onvif://www.onvif.org/{kind}/");
        self.scopes
            .iter()
            .find_map(|s| s.strip_prefix(&prefix))
            .map(percent_decode)
    }

    /// The device's name (its `name` scope), if it gives one.
    pub fn name(&self) -> Option<String> {
        self.scope("name")
    }

    pub fn hardware(&self) -> Option<String> {
        self.scope("hardware")
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied(),
            bytes.get(i + 2).copied(),
        ) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The probe message with `message_id`.
pub fn probe(message_id: &str) -> String {
    format!(
        concat!(
            r#"<?xml version="1.0" encoding="UTF-8"?>"#,
            r#"<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">"#,
            r#"<s:Header><a:MessageID>{id}</a:MessageID><a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>"#,
            r#"<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action></s:Header>"#,
            r#"<s:Body><d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body></s:Envelope>"#
        ),
        id = xml::escape(message_id)
    )
}

/// The devices of one `ProbeMatches` reply to `message_id` (none for another message).
pub fn matches(reply: &str, message_id: &str) -> Vec<Discovered> {
    let Ok(doc) = xml::parse(reply) else {
        return Vec::new();
    };
    if doc.text_of("RelatesTo") != Some(message_id) {
        return Vec::new();
    }
    let mut found = Vec::new();
    doc.find_all("ProbeMatch", &mut found);
    found
        .iter()
        .filter_map(|m| {
            let words = |name: &str| -> Vec<String> {
                m.text_of(name)
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_owned)
                    .collect()
            };
            let xaddrs = words("XAddrs");
            (!xaddrs.is_empty()).then(|| Discovered {
                endpoint: m
                    .find("EndpointReference")
                    .and_then(|e| e.text_of("Address"))
                    .unwrap_or_default()
                    .to_owned(),
                xaddrs,
                scopes: words("Scopes"),
            })
        })
        .collect()
}

/// Probes `target` (the multicast group, or one device's address) and gathers the answers
/// for `wait`; each device once.
pub fn discover(target: SocketAddr, wait: Duration) -> std::io::Result<Vec<Discovered>> {
    let socket = UdpSocket::bind(("0.0.0.0", 0))?;
    if target.ip().is_multicast() {
        socket.set_multicast_ttl_v4(1)?;
    }
    let mut id_bytes = [0u8; 16];
    let _ = getrandom::fill(&mut id_bytes);
    let message_id = format!("urn:uuid:{}", crate::domain::hex::to_hex(&id_bytes));
    socket.send_to(probe(&message_id).as_bytes(), target)?;
    let deadline = Instant::now() + wait;
    let mut devices: Vec<Discovered> = Vec::new();
    let mut buffer = vec![0u8; 65_536];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        socket.set_read_timeout(Some(left))?;
        match socket.recv_from(&mut buffer) {
            Ok((len, _)) => {
                let text = String::from_utf8_lossy(&buffer[..len]);
                for device in matches(&text, &message_id) {
                    if !devices
                        .iter()
                        .any(|d| d.endpoint == device.endpoint && d.xaddrs == device.xaddrs)
                    {
                        devices.push(device);
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(devices)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_match_gives_the_device_its_addresses_and_name() {
        let reply = r#"<s:Envelope xmlns:s="x" xmlns:a="y" xmlns:d="z"><s:Header>
            <a:RelatesTo>urn:uuid:1</a:RelatesTo></s:Header><s:Body><d:ProbeMatches><d:ProbeMatch>
            <a:EndpointReference><a:Address>urn:uuid:cam-7</a:Address></a:EndpointReference>
            <d:Scopes>onvif://www.onvif.org/name/Cam%20%C4%90i%E1%BB%87n%20Bi%C3%AAn onvif://www.onvif.org/hardware/DS-2DE4</d:Scopes>
            <d:XAddrs>http://10.27.0.5/onvif/device_service http://[fe80::1]/onvif/device_service</d:XAddrs>
            </d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>"#;
        let found = matches(reply, "urn:uuid:1");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].endpoint, "urn:uuid:cam-7");
        assert_eq!(found[0].xaddrs.len(), 2);
        assert_eq!(found[0].name().as_deref(), Some("Cam Điện Biên"));
        assert_eq!(found[0].hardware().as_deref(), Some("DS-2DE4"));
        assert!(
            matches(reply, "urn:uuid:2").is_empty(),
            "another probe's answer"
        );
        assert!(matches("not xml", "urn:uuid:1").is_empty());
        assert!(probe("urn:uuid:1").contains("<d:Types>dn:NetworkVideoTransmitter</d:Types>"));
    }

    #[test]
    fn discovery_ends_when_its_time_is_up_even_without_answers() {
        // A port nobody answers on.
        let silent = UdpSocket::bind("127.0.0.1:0").expect("a port");
        let target = silent.local_addr().expect("address");
        let started = Instant::now();
        let found = discover(target, Duration::from_millis(300)).expect("probe sent");
        assert!(found.is_empty());
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
