"""Time to first label with OpenVINO: one process from start to a printed label, as a user would run it.

  /work/venv/bin/python reference/export_onnx.py weights --grid 12x20 -o v8-12x20.onnx
  /work/venv/bin/python reference/first_label.py v8-12x20.onnx images/sea-pier-small.png [--bf16]

Imports numpy and OpenVINO, reads and compiles the ONNX file (the export of the same weights for the photo's
grid), decodes the PNG (reference/export_onnx.py's zlib reader), resizes it to the grid by area averaging
(numpy), normalises and patchifies it as dvit does, runs one inference and prints the top label and the
seconds since the interpreter started (compare with `/usr/bin/time dvit classify PHOTO`, which reads
config.json and model.safetensors, decodes, resizes and classifies). For docs/PERFORMANCE.md's
"time to first label"; the label agrees with dvit's, the probabilities to about 1e-2 (the resize differs).
"""
import sys
import time

start = time.perf_counter()  # after interpreter start-up; the caller's wall clock includes it

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402

import numpy as np  # noqa: E402
import openvino as ov  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export_onnx import read_png  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="ONNX export of the weights for the photo's grid")
    ap.add_argument("photo", help="a PNG")
    ap.add_argument("--weights", default="weights", help="the weights folder (its config.json: labels, patch)")
    ap.add_argument("--bf16", action="store_true", help="OpenVINO's bf16 inference precision")
    args = ap.parse_args()
    config = json.load(open(os.path.join(args.weights, "config.json")))
    compiled = ov.Core().compile_model(args.model, "CPU", {
        "PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "bf16" if args.bf16 else "f32"})
    compiled_at = time.perf_counter()
    rows, cols, features = compiled.input("patches").get_shape()
    p = config["patch_size"]
    image = read_png(args.photo).astype(np.float64)
    h, w = image.shape[:2]
    # Area average to (rows·p) × (cols·p): each output pixel the mean of the source area it covers.
    def weights(source, target):
        m = np.zeros((target, source))
        scale = source / target
        for t in range(target):
            a, b = t * scale, (t + 1) * scale
            for s in range(int(a), min(source, int(np.ceil(b)))):
                m[t, s] = (min(b, s + 1) - max(a, s)) / scale
        return m
    resized = np.einsum("yh,hwc,xw->yxc", weights(h, rows * p), image, weights(w, cols * p), optimize=True)
    pixels = (np.rint(resized) / 255 - 0.5) / 0.5
    patches = pixels.reshape(rows, p, cols, p, 3).transpose(0, 2, 4, 1, 3).reshape(rows, cols, 3 * p * p)
    logits = compiled.create_infer_request().infer({"patches": patches.astype(np.float32)})[compiled.output("logits")]
    probabilities = np.exp(logits - logits.max())
    probabilities /= probabilities.sum()
    best = int(np.argmax(probabilities))
    print(f"{args.photo}  {config['labels'][best]} {probabilities[best]:.3f}  "
          f"(compiled after {compiled_at - start:.3f} s, label after {time.perf_counter() - start:.3f} s "
          f"from the first import; OpenVINO {ov.__version__})")


if __name__ == "__main__":
    main()
