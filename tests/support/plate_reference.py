#!/usr/bin/env python3
"""Reference output of the licence-plate detector by onnxruntime, for tests/plate.rs.

Runs resources/models/plate-hyperlpr/y5fu_320x_sim.onnx on a synthetic input that the Rust
test builds the same way, and writes the eight rows with the highest objectness and the sum
of the whole output to tests/fixtures/plate/synthetic.json. Needs numpy and onnxruntime
(pip install onnxruntime); the Rust test itself needs no Python.
"""
import json
import pathlib

import numpy as np
import onnxruntime as ort

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "resources/models/plate-hyperlpr/y5fu_320x_sim.onnx"

session = ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
c, y, x = np.meshgrid(np.arange(3), np.arange(320), np.arange(320), indexing="ij")
tensor = (((x * 7 + y * 13 + c * 29) % 256) / 255.0).astype(np.float32)[None]
out = session.run(None, {"input": tensor})[0][0]
order = np.argsort(-out[:, 4])[:8]
rows = [{"index": int(i), "values": [float(v) for v in out[i]]} for i in order]
json.dump(
    {
        "input": "((x*7 + y*13 + c*29) % 256) / 255",
        "top_by_objectness": rows,
        "sum": float(out.sum()),
    },
    open(ROOT / "tests/fixtures/plate/synthetic.json", "w"),
    indent=1,
)
