#!/usr/bin/env python3
"""Reference detections for the parity tests of the candle YOLOX-nano (issue 4).

Runs the repository's YOLOX-nano ONNX file (resources/models/) with onnxruntime (from PyPI) on the street photo and on
frames of the sample clips, with the pre- and post-processing that the Rust detector implements,
and writes one JSON fixture per input under tests/fixtures/detect/. The Rust tests read the
fixtures; they need no Python. Regenerate after changing the pre/post-processing rules:

    pip install onnxruntime numpy av
    python3 tests/support/onnxruntime_reference.py

Pre-processing (the contract the Rust side must follow bit for bit):
  * picture as 8-bit RGB: the JPEG and the video frames decoded by libavcodec (PyAV), as the
    console decodes them, and converted from BT.601 YUV 4:2:0 (limited range for the clips, full
    range for the JPEG's yuvj420p) with the console's formula (nearest chroma sample, round half
    away from zero, clamp), as `YuvFrame::rgb_at` does. (Pillow's libjpeg and Rust JPEG decoders
    differ by a level here and there, enough to move a low-confidence score by 0.01.);
  * letterbox into 416×416: scale r = min(416/h, 416/w), new size (floor(w·r), floor(h·r)),
    bilinear resampling with half-pixel centres and edge clamping (no antialiasing), placed at
    the top-left, the rest filled with 114;
  * channels in BGR order, raw 0–255 floats, NCHW.
Post-processing: grid decode of the [1, 3549, 85] output (strides 8, 16, 32), score = obj·cls,
threshold 0.25, class-wise NMS at IoU 0.45, boxes divided by r (original image pixels).
"""
import json
import pathlib

import av
import numpy as np
import onnxruntime as ort

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "resources" / "samples"
MODELS = ROOT / "resources" / "models"
OUT = ROOT / "tests" / "fixtures" / "detect"
SIZE = 416
SCORE_THRESHOLD = 0.25
NMS_IOU = 0.45
STRIDES = (8, 16, 32)


def yuv_to_rgb_bt601(y, u, v, full_range=False):
    """The console's CPU conversion (src/video/colour.rs), vectorised."""
    u = np.repeat(np.repeat(u, 2, axis=0), 2, axis=1)[: y.shape[0], : y.shape[1]]
    v = np.repeat(np.repeat(v, 2, axis=0), 2, axis=1)[: y.shape[0], : y.shape[1]]
    kr, kb = np.float32(0.299), np.float32(0.114)
    kg = np.float32(1.0) - kr - kb
    if full_range:
        offset, luma_scale, chroma_scale = np.float32(0.0), np.float32(1.0), np.float32(1.0)
    else:
        offset, luma_scale, chroma_scale = np.float32(16.0 / 255.0), np.float32(255.0 / 219.0), np.float32(255.0 / 224.0)
    yy = (y.astype(np.float32) / np.float32(255.0) - offset) * luma_scale
    uu = (u.astype(np.float32) / np.float32(255.0) - np.float32(128.0 / 255.0)) * chroma_scale
    vv = (v.astype(np.float32) / np.float32(255.0) - np.float32(128.0 / 255.0)) * chroma_scale
    r = yy + np.float32(2.0) * (np.float32(1.0) - kr) * vv
    g = yy - np.float32(2.0) * kb * (np.float32(1.0) - kb) / kg * uu - np.float32(2.0) * kr * (np.float32(1.0) - kr) / kg * vv
    b = yy + np.float32(2.0) * (np.float32(1.0) - kb) * uu
    rgb = np.stack([r, g, b], axis=-1)
    # Rust's f32::round: half away from zero (numpy's round is half to even).
    return np.floor(np.clip(rgb, 0.0, 1.0) * np.float32(255.0) + np.float32(0.5)).astype(np.uint8)


def clip_frame(name, index):
    """Frame `index` of a clip, or the picture of a JPEG, decoded by libavcodec (PyAV)."""
    with av.open(str(SAMPLES / name)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i == index:
                full_range = frame.format.name == "yuvj420p"
                planes = frame.to_ndarray(format=frame.format.name)
                h, w = frame.height, frame.width
                y = planes[:h]
                u = planes[h : h + h // 4].reshape(h // 2, w // 2)
                v = planes[h + h // 4 :].reshape(h // 2, w // 2)
                return yuv_to_rgb_bt601(y, u, v, full_range)
    raise SystemExit(f"{name} has no frame {index}")


def resize_bilinear(rgb, new_w, new_h):
    h, w, _ = rgb.shape
    src = rgb.astype(np.float32)
    xs = (np.arange(new_w, dtype=np.float32) + 0.5) * (w / new_w) - 0.5
    ys = (np.arange(new_h, dtype=np.float32) + 0.5) * (h / new_h) - 0.5
    xs, ys = np.clip(xs, 0, w - 1), np.clip(ys, 0, h - 1)
    x0, y0 = np.floor(xs).astype(int), np.floor(ys).astype(int)
    x1, y1 = np.minimum(x0 + 1, w - 1), np.minimum(y0 + 1, h - 1)
    fx, fy = (xs - x0)[None, :, None], (ys - y0)[:, None, None]
    top = src[y0][:, x0] * (1 - fx) + src[y0][:, x1] * fx
    bottom = src[y1][:, x0] * (1 - fx) + src[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def preprocess(rgb):
    h, w, _ = rgb.shape
    r = min(SIZE / h, SIZE / w)
    new_w, new_h = int(w * r), int(h * r)
    canvas = np.full((SIZE, SIZE, 3), 114.0, dtype=np.float32)
    canvas[:new_h, :new_w] = resize_bilinear(rgb, new_w, new_h)
    bgr = canvas[:, :, ::-1]
    return np.ascontiguousarray(bgr.transpose(2, 0, 1)[None]), r


def decode(output):
    rows = output[0]
    grids = []
    for s in STRIDES:
        n = SIZE // s
        gy, gx = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        grids.append(np.stack([gx.ravel(), gy.ravel(), np.full(n * n, s)], axis=1))
    grid = np.concatenate(grids).astype(np.float32)
    cx = (rows[:, 0] + grid[:, 0]) * grid[:, 2]
    cy = (rows[:, 1] + grid[:, 1]) * grid[:, 2]
    bw = np.exp(rows[:, 2]) * grid[:, 2]
    bh = np.exp(rows[:, 3]) * grid[:, 2]
    scores = rows[:, 4:5] * rows[:, 5:]
    cls = scores.argmax(axis=1)
    score = scores[np.arange(len(cls)), cls]
    boxes = np.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], axis=1)
    keep = score >= SCORE_THRESHOLD
    return boxes[keep], score[keep], cls[keep]


def iou(a, b):
    x1, y1 = np.maximum(a[0], b[:, 0]), np.maximum(a[1], b[:, 1])
    x2, y2 = np.minimum(a[2], b[:, 2]), np.minimum(a[3], b[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = lambda t: (t[..., 2] - t[..., 0]) * (t[..., 3] - t[..., 1])
    return inter / (area(a) + area(b) - inter)


def nms(boxes, scores, classes):
    kept = []
    for c in np.unique(classes):
        idx = np.where(classes == c)[0]
        idx = idx[np.argsort(-scores[idx], kind="stable")]
        while len(idx):
            best = idx[0]
            kept.append(best)
            idx = idx[1:][iou(boxes[best], boxes[idx[1:]]) <= NMS_IOU]
    return sorted(kept, key=lambda i: -scores[i])


def detect(session, rgb):
    tensor, r = preprocess(rgb)
    (output,) = session.run(None, {"images": tensor})
    boxes, scores, classes = decode(output)
    keep = nms(boxes, scores, classes)
    return {
        "input_checksum": float(tensor.astype(np.float64).sum()),
        "scale": r,
        "detections": [
            {
                "class": int(classes[i]),
                "score": round(float(scores[i]), 6),
                "box": [round(float(v) / r, 3) for v in boxes[i]],
            }
            for i in keep
        ],
    }


# The weights: COCO (fixtures in OUT) and tuned to Vietnamese traffic (OUT/vietnam).
WEIGHTS = {
    "coco": (MODELS / "yolox-nano" / "yolox_nano.onnx", OUT),
    "vietnam": (MODELS / "yolox-nano-vn" / "yolox_nano_vn.onnx", OUT / "vietnam"),
}


def main():
    """python3 onnxruntime_reference.py [coco|vietnam ...] (default: both)."""
    import sys

    chosen = sys.argv[1:] or list(WEIGHTS)
    inputs = {
        "street-car-motorbike-plate": clip_frame("street-car-motorbike-plate.jpg", 0),
        "vtest-h264-high-frame100": clip_frame("vtest-h264-high.mp4", 100),
        "car-detection-frame200": clip_frame("car-detection.mp4", 200),
    }
    for weights in chosen:
        model, out = WEIGHTS[weights]
        session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
        out.mkdir(parents=True, exist_ok=True)
        for name, rgb in inputs.items():
            result = {"source": name, "onnxruntime": ort.__version__, **detect(session, rgb)}
            (out / f"{name}.json").write_text(json.dumps(result, indent=1) + "\n")
            print(weights, name, len(result["detections"]), "detections")


if __name__ == "__main__":
    main()
