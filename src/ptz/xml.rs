//! A small element tree of a SOAP reply, by local names: cameras put ONVIF's elements under
//! whatever prefixes they like (`tt:`, `onvif:`, none), so namespaces are dropped and an
//! element is found by its local name.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::collections::BTreeMap;

/// One element: its local name, attributes by local name, its text and its children.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    pub text: String,
    pub children: Vec<Element>,
}

fn local(name: &[u8]) -> String {
    let text = String::from_utf8_lossy(name);
    text.rsplit(':').next().unwrap_or_default().to_owned()
}

fn element_of(start: &BytesStart<'_>) -> Result<Element, String> {
    let mut attributes = BTreeMap::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| e.to_string())?;
        let key = local(attribute.key.as_ref());
        if attribute.key.as_ref().starts_with(b"xmlns") {
            continue;
        }
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| e.to_string())?;
        attributes.insert(key, value.into_owned());
    }
    Ok(Element {
        name: local(start.local_name().as_ref()),
        attributes,
        ..Element::default()
    })
}

/// The five entities XML predefines, and character references.
fn resolve_reference(name: &str) -> Option<String> {
    let known = match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => {
            let number = name.strip_prefix('#')?;
            let code = match number.strip_prefix('x') {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => number.parse().ok()?,
            };
            char::from_u32(code)?
        }
    };
    Some(known.to_string())
}

/// Parses `text` into its root element (the SOAP envelope).
pub fn parse(text: &str) -> Result<Element, String> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = vec![Element::default()];
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(start) => stack.push(element_of(&start)?),
            Event::Empty(start) => {
                let element = element_of(&start)?;
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(element);
                }
            }
            Event::End(_) => {
                let done = stack.pop().ok_or("an end without a start")?;
                let parent = stack.last_mut().ok_or("an end without a start")?;
                parent.children.push(done);
            }
            Event::Text(t) => {
                let decoded = t.decode().map_err(|e| e.to_string())?;
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&decoded);
                }
            }
            Event::CData(t) => {
                let decoded = t.decode().map_err(|e| e.to_string())?;
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&decoded);
                }
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| e.to_string())?;
                let resolved =
                    resolve_reference(&name).ok_or_else(|| format!("unknown entity &{name};"))?;
                if let Some(open) = stack.last_mut() {
                    open.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err("the document ends inside an element".into());
    }
    let document = stack.pop().unwrap_or_default();
    document
        .children
        .into_iter()
        .next()
        .ok_or_else(|| "an empty document".into())
}

impl Element {
    /// The first element named `name` at or below this one, depth first.
    pub fn find(&self, name: &str) -> Option<&Element> {
        if self.name == name {
            return Some(self);
        }
        self.children.iter().find_map(|c| c.find(name))
    }

    /// Every element named `name` below this one (not inside another match).
    pub fn find_all<'a>(&'a self, name: &str, out: &mut Vec<&'a Element>) {
        for child in &self.children {
            if child.name == name {
                out.push(child);
            } else {
                child.find_all(name, out);
            }
        }
    }

    /// The direct child named `name`.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The trimmed text of the first element named `name` at or below this one.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.find(name).map(|e| e.text.trim())
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }
}

/// `text` with the characters XML reserves escaped, for text and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_found_by_local_name_whatever_their_prefix() {
        let doc = parse(
            r#"<?xml version="1.0"?><s:Envelope xmlns:s="x"><s:Body>
            <trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://h/a?x=1&amp;y=2</tt:Uri>
            </trt:MediaUri></trt:GetStreamUriResponse>
            <Profiles token="p&lt;1"/><Profiles token="p2"><Name>B</Name></Profiles>
            </s:Body></s:Envelope>"#,
        )
        .expect("parses");
        assert_eq!(doc.name, "Envelope");
        assert_eq!(doc.text_of("Uri"), Some("rtsp://h/a?x=1&y=2"));
        let mut profiles = Vec::new();
        doc.find_all("Profiles", &mut profiles);
        let tokens: Vec<_> = profiles
            .iter()
            .filter_map(|p| p.attribute("token"))
            .collect();
        assert_eq!(tokens, ["p<1", "p2"]);
        assert_eq!(
            profiles[1].child("Name").map(|n| n.text.as_str()),
            Some("B")
        );
        assert!(doc.find("Missing").is_none());
    }

    #[test]
    fn broken_documents_are_errors_not_panics() {
        for bad in ["", "<a><b></a>", "<a>&bogus;</a>", "<a", "<a></a></b>"] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
        assert_eq!(escape(r#"<a & "b">"#), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
