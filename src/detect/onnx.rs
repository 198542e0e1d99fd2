//! A reader of ONNX model files (protobuf), enough to take a network's weights and check its
//! graph: the initializers (name, shape, f32/i32/i64 data; `Constant` nodes become
//! initializers too), the nodes (operator, inputs, outputs, integer and float attributes), in
//! file order, and the model's metadata (key, value). A hand-written protobuf wire-format reader of
//! the few messages involved (ModelProto → GraphProto → NodeProto / TensorProto /
//! AttributeProto), so no code generator is needed at build time.

use std::path::Path;

/// What went wrong while parsing, and the byte offset where.
type ParseError = (&'static str, usize);

/// A named integer (or integer list) attribute of a node.
type IntAttribute = (String, Vec<i64>);

/// Why a model file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OnnxError {
    #[error("cannot read model {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("model {path} is not a valid ONNX file: {reason} (at byte {offset})")]
    Malformed {
        path: String,
        reason: &'static str,
        offset: usize,
    },
    #[error("model {path}: tensor '{name}' has data type {data_type}, expected {expected}")]
    DataType {
        path: String,
        name: String,
        data_type: i32,
        expected: &'static str,
    },
}

/// A tensor stored in the model.
#[derive(Debug, Clone, PartialEq)]
pub struct Initializer {
    pub name: String,
    pub dims: Vec<i64>,
    /// ONNX data type: 1 = float32, 6 = int32, 7 = int64.
    pub data_type: i32,
    raw: Vec<u8>,
    /// Where `raw` lies in the file (for [`Model::with_floats_replaced`]).
    raw_offset: Option<usize>,
    float_data: Vec<f32>,
    /// `int32_data` (int32, and the smaller integer types).
    int32_data: Vec<i64>,
    int64_data: Vec<i64>,
}

impl Initializer {
    /// Number of elements the shape holds.
    pub fn len(&self) -> usize {
        self.dims.iter().map(|&d| d.max(0) as usize).product()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `raw_data` read as little-endian values of `N` bytes, if its size fits the shape.
    fn raw_values<T, const N: usize>(&self, read: fn([u8; N]) -> T) -> Option<Vec<T>> {
        if self.raw.len() != self.len() * N {
            return None;
        }
        self.raw
            .chunks_exact(N)
            .map(|b| b.try_into().ok().map(read))
            .collect()
    }

    /// The values as f32 (data type 1), from `raw_data` or `float_data`.
    pub fn to_f32(&self) -> Option<Vec<f32>> {
        if self.data_type != 1 {
            return None;
        }
        if !self.raw.is_empty() {
            return self.raw_values(f32::from_le_bytes);
        }
        (self.float_data.len() == self.len()).then(|| self.float_data.clone())
    }

    /// The values as i64 (data type 7, or 6 widened), from `raw_data`, `int64_data` or
    /// `int32_data`.
    pub fn to_i64(&self) -> Option<Vec<i64>> {
        let (raw, listed) = match self.data_type {
            7 if !self.raw.is_empty() => (self.raw_values(i64::from_le_bytes), None),
            7 => (None, Some(&self.int64_data)),
            6 if !self.raw.is_empty() => (
                self.raw_values(i32::from_le_bytes)
                    .map(|v| v.into_iter().map(i64::from).collect()),
                None,
            ),
            6 => (None, Some(&self.int32_data)),
            _ => return None,
        };
        raw.or_else(|| listed.filter(|values| values.len() == self.len()).cloned())
    }
}

/// One operator of the graph.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Node {
    pub op_type: String,
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    /// Integer and integer-list attributes (e.g. `group`, `kernel_shape`, `strides`, `pads`).
    pub int_attributes: Vec<IntAttribute>,
    /// Float attributes (e.g. `epsilon`, `alpha`).
    pub float_attributes: Vec<(String, f32)>,
    /// Tensor attributes (a `Constant`'s `value`).
    pub tensor_attributes: Vec<(String, Initializer)>,
}

impl Node {
    pub fn ints(&self, name: &str) -> Option<&[i64]> {
        self.int_attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The first value of an integer attribute (`group`, `axis`, `to`, …).
    pub fn int(&self, name: &str) -> Option<i64> {
        self.ints(name).and_then(|v| v.first()).copied()
    }

    pub fn float(&self, name: &str) -> Option<f32> {
        self.float_attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }
}

/// The parts of a model the console uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    pub ir_version: i64,
    pub opset: i64,
    pub nodes: Vec<Node>,
    pub initializers: Vec<Initializer>,
    /// `metadata_props`, in file order.
    pub metadata: Vec<(String, String)>,
}

impl Model {
    pub fn load(path: &Path) -> Result<Self, OnnxError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| OnnxError::Read {
            path: shown.clone(),
            source,
        })?;
        Self::parse(&bytes).map_err(|(reason, offset)| OnnxError::Malformed {
            path: shown,
            reason,
            offset,
        })
    }

    /// Parses a serialized ModelProto.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let mut model = Model::default();
        let mut reader = Reader::new(bytes, 0);
        while let Some((field, value)) = reader.next()? {
            match (field, value) {
                (1, Value::Varint(v)) => model.ir_version = v as i64,
                (7, Value::Bytes(graph, at)) => parse_graph(graph, at, &mut model)?,
                (8, Value::Bytes(opset, at)) => {
                    let mut r = Reader::new(opset, at);
                    let mut domain_is_default = true;
                    let mut version = 0;
                    while let Some((f, v)) = r.next()? {
                        match (f, v) {
                            (1, Value::Bytes(d, _)) => domain_is_default = d.is_empty(),
                            (2, Value::Varint(v)) => version = v as i64,
                            _ => {}
                        }
                    }
                    if domain_is_default {
                        model.opset = version;
                    }
                }
                (14, Value::Bytes(entry, at)) => {
                    let mut r = Reader::new(entry, at);
                    let (mut key, mut value) = (String::new(), String::new());
                    while let Some((f, v)) = r.next()? {
                        match (f, v) {
                            (1, Value::Bytes(s, at)) => key = text(s, at)?,
                            (2, Value::Bytes(s, at)) => value = text(s, at)?,
                            _ => {}
                        }
                    }
                    model.metadata.push((key, value));
                }
                _ => {}
            }
        }
        Ok(model)
    }

    /// Parameters in float initializers.
    pub fn float_parameter_count(&self) -> usize {
        self.initializers
            .iter()
            .filter(|i| i.data_type == 1)
            .map(Initializer::len)
            .sum()
    }

    /// The file `bytes` (which this model was parsed from) with the float32 initializers named
    /// in `replacements` given new values, byte for byte in place: the graph, the shapes and
    /// every other byte stay as they were, so any ONNX runtime runs the result as the original.
    pub fn with_floats_replaced(
        &self,
        bytes: &[u8],
        replacements: &[(&str, &[f32])],
    ) -> Result<Vec<u8>, String> {
        let mut out = bytes.to_vec();
        for (name, values) in replacements {
            let tensor = self
                .initializer(name)
                .ok_or_else(|| format!("no initializer {name}"))?;
            let at = tensor
                .raw_offset
                .filter(|_| tensor.data_type == 1 && tensor.raw.len() == tensor.len() * 4)
                .ok_or_else(|| format!("{name} is not float32 raw data"))?;
            if values.len() != tensor.len() {
                return Err(format!(
                    "{name} holds {} values, {} given",
                    tensor.len(),
                    values.len()
                ));
            }
            let place = out
                .get_mut(at..at + values.len() * 4)
                .ok_or_else(|| format!("{name} lies outside the file"))?;
            if place != tensor.raw.as_slice() {
                return Err(format!("{name}: the bytes given are not this model's file"));
            }
            for (slot, v) in place.chunks_exact_mut(4).zip(values.iter()) {
                slot.copy_from_slice(&v.to_le_bytes());
            }
        }
        Ok(out)
    }

    pub fn initializer(&self, name: &str) -> Option<&Initializer> {
        self.initializers.iter().find(|i| i.name == name)
    }

    /// The metadata value under `key`.
    pub fn metadata(&self, key: &str) -> Option<&str> {
        self.metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn parse_graph(bytes: &[u8], offset: usize, model: &mut Model) -> Result<(), ParseError> {
    let mut reader = Reader::new(bytes, offset);
    while let Some((field, value)) = reader.next()? {
        match (field, value) {
            (1, Value::Bytes(node, at)) => {
                let mut node = parse_node(node, at)?;
                // A constant is an initializer under its output's name.
                match (node.op_type.as_str(), node.outputs.first()) {
                    ("Constant", Some(output)) => {
                        let output = output.clone();
                        let Some(at) = node
                            .tensor_attributes
                            .iter()
                            .position(|(n, _)| n == "value")
                        else {
                            return Err(("a Constant node without a tensor value", at));
                        };
                        let (_, mut tensor) = node.tensor_attributes.swap_remove(at);
                        tensor.name = output;
                        model.initializers.push(tensor);
                    }
                    _ => model.nodes.push(node),
                }
            }
            (5, Value::Bytes(tensor, at)) => model.initializers.push(parse_tensor(tensor, at)?),
            _ => {}
        }
    }
    Ok(())
}

fn parse_node(bytes: &[u8], offset: usize) -> Result<Node, ParseError> {
    let mut node = Node::default();
    let mut reader = Reader::new(bytes, offset);
    while let Some((field, value)) = reader.next()? {
        match (field, value) {
            (1, Value::Bytes(s, at)) => node.inputs.push(text(s, at)?),
            (2, Value::Bytes(s, at)) => node.outputs.push(text(s, at)?),
            (4, Value::Bytes(s, at)) => node.op_type = text(s, at)?,
            (5, Value::Bytes(attribute, at)) => match parse_attribute(attribute, at)? {
                Attribute::Ints(name, ints) => node.int_attributes.push((name, ints)),
                Attribute::Float(name, value) => node.float_attributes.push((name, value)),
                Attribute::Tensor(name, tensor) => node.tensor_attributes.push((name, tensor)),
                Attribute::Other => {}
            },
            _ => {}
        }
    }
    Ok(node)
}

/// The attributes the graph executor reads.
enum Attribute {
    Ints(String, Vec<i64>),
    Float(String, f32),
    Tensor(String, Initializer),
    Other,
}

/// An AttributeProto holding an int (field 3) or ints (field 8), a float (field 2) or a
/// tensor (field 5); other kinds are `Other`.
fn parse_attribute(bytes: &[u8], offset: usize) -> Result<Attribute, ParseError> {
    let mut name = String::new();
    let mut ints = Vec::new();
    let mut is_int = false;
    let mut float = None;
    let mut tensor = None;
    let mut reader = Reader::new(bytes, offset);
    while let Some((field, value)) = reader.next()? {
        match (field, value) {
            (1, Value::Bytes(s, at)) => name = text(s, at)?,
            (2, Value::Fixed32(v)) => float = Some(f32::from_bits(v)),
            (3, Value::Varint(v)) => {
                ints.push(v as i64);
                is_int = true;
            }
            (5, Value::Bytes(t, at)) => tensor = Some(parse_tensor(t, at)?),
            (8, Value::Varint(v)) => {
                ints.push(v as i64);
                is_int = true;
            }
            (8, Value::Bytes(packed, at)) => {
                let mut r = Reader::new(packed, at);
                while !r.done() {
                    ints.push(r.varint()? as i64);
                }
                is_int = true;
            }
            _ => {}
        }
    }
    Ok(match (tensor, float, is_int) {
        (Some(t), _, _) => Attribute::Tensor(name, t),
        (None, Some(f), _) => Attribute::Float(name, f),
        (None, None, true) => Attribute::Ints(name, ints),
        _ => Attribute::Other,
    })
}

fn parse_tensor(bytes: &[u8], offset: usize) -> Result<Initializer, ParseError> {
    let mut tensor = Initializer {
        name: String::new(),
        dims: Vec::new(),
        data_type: 0,
        raw: Vec::new(),
        raw_offset: None,
        float_data: Vec::new(),
        int32_data: Vec::new(),
        int64_data: Vec::new(),
    };
    let mut reader = Reader::new(bytes, offset);
    while let Some((field, value)) = reader.next()? {
        match (field, value) {
            (1, Value::Varint(v)) => tensor.dims.push(v as i64),
            (1, Value::Bytes(packed, at)) => {
                let mut r = Reader::new(packed, at);
                while !r.done() {
                    tensor.dims.push(r.varint()? as i64);
                }
            }
            (2, Value::Varint(v)) => tensor.data_type = v as i32,
            (4, Value::Fixed32(v)) => tensor.float_data.push(f32::from_bits(v)),
            (4, Value::Bytes(packed, at)) => {
                if packed.len() % 4 != 0 {
                    return Err(("packed floats not a multiple of 4 bytes", at));
                }
                tensor.float_data.extend(
                    packed
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                );
            }
            (5, Value::Varint(v)) => tensor.int32_data.push(i64::from(v as i32)),
            (5, Value::Bytes(packed, at)) => {
                let mut r = Reader::new(packed, at);
                while !r.done() {
                    tensor.int32_data.push(i64::from(r.varint()? as i32));
                }
            }
            (7, Value::Varint(v)) => tensor.int64_data.push(v as i64),
            (7, Value::Bytes(packed, at)) => {
                let mut r = Reader::new(packed, at);
                while !r.done() {
                    tensor.int64_data.push(r.varint()? as i64);
                }
            }
            (8, Value::Bytes(s, at)) => tensor.name = text(s, at)?,
            (9, Value::Bytes(raw, at)) => {
                tensor.raw = raw.to_vec();
                tensor.raw_offset = Some(at);
            }
            _ => {}
        }
    }
    Ok(tensor)
}

fn text(bytes: &[u8], offset: usize) -> Result<String, ParseError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| ("a name is not UTF-8", offset))
}

/// One field's value in the protobuf wire format.
enum Value<'a> {
    Varint(u64),
    /// Skipped: no field the console reads is a fixed64.
    Fixed64,
    /// Length-delimited bytes and their offset in the file.
    Bytes(&'a [u8], usize),
    Fixed32(u32),
}

/// Reads (field number, value) pairs from a protobuf message.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    /// Offset of `bytes` in the whole file, for error messages.
    base: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8], base: usize) -> Self {
        Self {
            bytes,
            position: 0,
            base,
        }
    }

    fn done(&self) -> bool {
        self.position >= self.bytes.len()
    }

    fn varint(&mut self) -> Result<u64, ParseError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = *self
                .bytes
                .get(self.position)
                .ok_or(("truncated varint", self.base + self.position))?;
            self.position += 1;
            value |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(("varint longer than 10 bytes", self.base + self.position))
    }

    fn take(&mut self, len: usize) -> Result<(&'a [u8], usize), ParseError> {
        let start = self.position;
        let end = start
            .checked_add(len)
            .filter(|&e| e <= self.bytes.len())
            .ok_or(("field runs past the end of its message", self.base + start))?;
        self.position = end;
        Ok((&self.bytes[start..end], self.base + start))
    }

    fn next(&mut self) -> Result<Option<(u64, Value<'a>)>, ParseError> {
        if self.done() {
            return Ok(None);
        }
        let at = self.base + self.position;
        let key = self.varint()?;
        let field = key >> 3;
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed64
            }
            2 => {
                let len = usize::try_from(self.varint()?).map_err(|_| ("length too large", at))?;
                let (b, offset) = self.take(len)?;
                Value::Bytes(b, offset)
            }
            5 => {
                let (b, _) = self.take(4)?;
                Value::Fixed32(u32::from_le_bytes(
                    b.try_into().map_err(|_| ("bad fixed32", at))?,
                ))
            }
            _ => return Err(("unknown wire type", at)),
        };
        if field == 0 {
            return Err(("field number 0", at));
        }
        Ok(Some((field, value)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error_with_an_offset_not_a_panic() {
        assert!(Model::parse(&[0x0a, 0xff]).is_err());
        assert!(Model::parse(&[0x07]).is_err(), "wire type 7 does not exist");
        let mut seed = 1u64;
        for _ in 0..2000 {
            let len = (seed % 64) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                    (seed >> 33) as u8
                })
                .collect();
            let _ = Model::parse(&bytes);
        }
    }

    #[test]
    fn an_empty_model_parses_to_nothing() {
        assert_eq!(Model::parse(&[]).unwrap(), Model::default());
    }
}
