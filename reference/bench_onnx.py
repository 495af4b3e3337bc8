"""Times one forward pass of the benchmark model's ONNX export with ONNX Runtime or OpenVINO (CPU) at one grid size.

The Python-side anchors of `dvit bench forward --python PY --runtimes ...`; the same model, timing protocol and
output line as bench_torch.py:
  /work/venv/bin/python reference/bench_onnx.py --runtime onnxruntime --tokens 4096 --mode dilated
  /work/venv/bin/python reference/bench_onnx.py --runtime openvino-bf16 --rows 48 --cols 64 --threads 2
  /work/venv/bin/python reference/bench_onnx.py --probe      # what this Python has, as one JSON line
Prints one JSON line:
  {"impl":"onnxruntime","mode":..,"tokens":..,"rows":..,"cols":..,"ms":..,"ms_min":..,"peak_rss_mb":..,"max_abs_diff":..,...}
or, when it cannot time, {"impl":..,"error":"..."} (exit 1; a runtime that is not installed: exit 3).

The model is bench_torch.py's (bench_config + random_model: fixed-seed random weights, --model v1|v2). Its weights are
written as a weights folder (config.json with "attention" = --mode, model.safetensors), exported by export_onnx.py
for the grid, and the PyTorch reference logits of bench_torch.py's patches (seed 1) are stored beside it, all in a
cache folder (--cache, default $TMPDIR/dvit-bench-onnx/<model>-<mode>-<rows>x<cols>-<recipe hash>) that later runs
and the other runtimes reuse. The export runs in a child process, so this process never imports torch: its
peak_rss_mb (ru_maxrss) is the runtime's own, with the model (baseline_rss_mb: after loading the session).

Runtimes: onnxruntime (CPUExecutionProvider, intra-op threads = --threads, sequential), openvino (CPU, inference
precision f32), openvino-bf16 (CPU, inference precision bf16; needs a CPU that OpenVINO lists as BF16-capable).
Timing: --warmup passes, then timed passes until --min-iters are done and --min-time has passed (at most --max-iters);
ms = median, ms_min = fastest. The logits of the last pass must match the PyTorch reference within --tolerance
(f32, default 1e-4) or --bf16-tolerance (openvino-bf16, default 1e-2), else the line is an error (exit 1).
For benchmarks only; needs numpy and the runtime (the export: torch, safetensors, onnx).
"""
import argparse
import hashlib
import importlib.metadata
import importlib.util
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from bench_grid import grid_of

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIMES = ("onnxruntime", "openvino", "openvino-bf16")
# The files whose contents define the exported model; a change to any of them makes a new cache folder.
RECIPE = ("bench_torch.py", "dilated_vit.py", "export_onnx.py", "bench_onnx.py")
NOT_INSTALLED = 3


def version_of(module, distribution=None):
    """The installed version of a module, or None when it cannot be imported."""
    if importlib.util.find_spec(module) is None:
        return None
    try:
        return importlib.metadata.version(distribution or module)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def openvino_bf16():
    """Whether OpenVINO's CPU plugin can run BF16 inference here (None without openvino, or when it cannot tell)."""
    if version_of("openvino") is None:
        return None
    try:
        import openvino as ov
        return "BF16" in ov.Core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    except Exception:   # noqa: BLE001 — a broken install: the timing run says why
        return None


def probe():
    print(json.dumps({
        "python": sys.version.split()[0], "numpy": version_of("numpy"), "torch": version_of("torch"),
        "safetensors": version_of("safetensors"), "onnx": version_of("onnx"), "onnxruntime": version_of("onnxruntime"),
        "openvino": version_of("openvino"), "openvino_bf16": openvino_bf16(),
    }), flush=True)


def missing_for(runtime):
    """Why this Python cannot time the runtime (a one-line note), or None."""
    package = "onnxruntime" if runtime == "onnxruntime" else "openvino"
    needed = ["numpy", "torch", "safetensors", "onnx", package]
    missing = [name for name in needed if version_of(name) is None]
    if missing:
        return f"{', '.join(missing)} not installed in {sys.executable} (pip install {' '.join(missing)})"
    if runtime == "openvino-bf16" and not openvino_bf16():
        return "OpenVINO lists no BF16 for this CPU"
    return None


def cache_folder(args, rows, cols):
    digest = hashlib.sha1()
    for name in RECIPE:
        with open(os.path.join(HERE, name), "rb") as fh:
            digest.update(fh.read())
    root = args.cache or os.path.join(tempfile.gettempdir(), "dvit-bench-onnx")
    return os.path.join(root, f"{args.model}-{args.mode}-{rows}x{cols}-{digest.hexdigest()[:10]}")


def export(folder, model_version, mode, rows, cols):
    """Child process: weights folder, ONNX file and reference logits into `folder` (atomically)."""
    import numpy as np
    import torch
    from safetensors.torch import save_file
    sys.path.insert(0, HERE)
    import bench_torch
    import dilated_vit as dv

    parent = os.path.dirname(folder)
    os.makedirs(parent, exist_ok=True)
    work = tempfile.mkdtemp(prefix=".export-", dir=parent)
    try:
        cfg = bench_torch.bench_config(version=model_version)
        cfg["attention"] = mode
        model = bench_torch.random_model(cfg)
        with open(os.path.join(work, "config.json"), "w") as fh:
            json.dump(cfg, fh, indent=1)
        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, os.path.join(work, "model.safetensors"),
                  metadata={"format": "pt"})
        subprocess.run([sys.executable, os.path.join(HERE, "export_onnx.py"), work, "--grid", f"{rows}x{cols}",
                        "-o", os.path.join(work, "model.onnx")], check=True, stdout=subprocess.DEVNULL)
        # The reference: the saved folder as any user would load it, on bench_torch.py's patches.
        reference = dv.load(os.path.join(work, "config.json"), os.path.join(work, "model.safetensors")).eval()
        p = cfg["patch_size"]
        patches = torch.randn(rows, cols, 3 * p * p, generator=torch.Generator().manual_seed(1))
        with torch.inference_mode():
            logits = reference(patches, mode)
        np.save(os.path.join(work, "patches.npy"), patches.numpy())
        np.save(os.path.join(work, "logits.npy"), logits.numpy())
        try:
            os.rename(work, folder)
        except OSError:          # another run finished the same export first
            if not os.path.exists(os.path.join(folder, "logits.npy")):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # Linux: KiB


def session(runtime, path, threads):
    """(run() -> logits, version) for the runtime on the ONNX file."""
    if runtime == "onnxruntime":
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        return (lambda patches: sess.run(["logits"], {"patches": patches})[0]), ort.__version__
    import openvino as ov
    compiled = ov.Core().compile_model(path, "CPU", {
        "INFERENCE_NUM_THREADS": threads, "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_PRECISION_HINT": "bf16" if runtime == "openvino-bf16" else "f32"})
    request, output = compiled.create_infer_request(), compiled.output("logits")
    return (lambda patches: request.infer({"patches": patches})[output]), ov.__version__


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--probe", action="store_true", help="print what this Python has (one JSON line) and exit")
    ap.add_argument("--runtime", choices=RUNTIMES, default="onnxruntime")
    ap.add_argument("--tokens", type=int, help="token count; grid = the most square rows×cols with rows·cols = tokens")
    ap.add_argument("--rows", type=int)
    ap.add_argument("--cols", type=int)
    ap.add_argument("--mode", choices=["dilated", "dense"], default="dilated")
    ap.add_argument("--model", choices=["v1", "v2"], default="v1", help="standard config of this model version")
    ap.add_argument("--threads", type=int, default=2, help="intra-op threads")
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=3.0, help="time runs until this many seconds have passed")
    ap.add_argument("--max-iters", type=int, default=5)
    ap.add_argument("--min-iters", type=int, default=1, help="time at least this many runs, whatever --min-time says")
    ap.add_argument("--tolerance", type=float, default=1e-4, help="f32: largest max |Δ| of logits vs PyTorch")
    ap.add_argument("--bf16-tolerance", type=float, default=1e-2, help="openvino-bf16: largest max |Δ| of logits")
    ap.add_argument("--cache", help="cache root (default: $TMPDIR/dvit-bench-onnx)")
    ap.add_argument("--export-to", help=argparse.SUPPRESS)   # internal: the export child
    args = ap.parse_args()
    if args.probe:
        return probe()
    rows, cols = grid_of(ap, args)
    if args.export_to:
        return export(args.export_to, args.model, args.mode, rows, cols)

    line = {"impl": args.runtime, "mode": args.mode, "tokens": rows * cols, "rows": rows, "cols": cols}

    def fail(message, status=1):
        print(json.dumps({**line, "error": message}), flush=True)
        sys.exit(status)

    missing = missing_for(args.runtime)
    if missing:
        fail(missing, NOT_INSTALLED)
    folder = cache_folder(args, rows, cols)
    if not os.path.exists(os.path.join(folder, "logits.npy")):
        child = subprocess.run([sys.executable, os.path.abspath(__file__), "--export-to", folder, "--rows", str(rows),
                                "--cols", str(cols), "--mode", args.mode, "--model", args.model],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if child.returncode != 0:
            sys.stderr.write(child.stderr)
            last = (child.stderr.strip().splitlines() or ["no message"])[-1]
            fail(f"ONNX export failed: {last}")

    import numpy as np
    patches = np.load(os.path.join(folder, "patches.npy"))
    reference = np.load(os.path.join(folder, "logits.npy"))
    try:
        run, version = session(args.runtime, os.path.join(folder, "model.onnx"), args.threads)
    except Exception as error:   # noqa: BLE001 — any runtime failure is this row's error
        fail(f"{args.runtime} could not load the model: {str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__}")
    baseline = rss_mb()

    times = []
    for _ in range(args.warmup):
        logits = run(patches)
    start = time.perf_counter()
    while len(times) < args.max_iters and (len(times) < args.min_iters or time.perf_counter() - start < args.min_time):
        t0 = time.perf_counter()
        logits = run(patches)
        times.append((time.perf_counter() - t0) * 1e3)
    diff = float(np.abs(np.asarray(logits, np.float64) - reference.astype(np.float64)).max())
    tolerance = args.bf16_tolerance if args.runtime == "openvino-bf16" else args.tolerance
    if not math.isfinite(diff) or diff > tolerance:
        fail(f"logits differ from PyTorch: max |Δ| = {diff:.2e} > {tolerance:.0e}")
    print(json.dumps({
        **line, "ms": round(statistics.median(times), 2), "ms_min": round(min(times), 2),
        "peak_rss_mb": round(rss_mb(), 1), "baseline_rss_mb": round(baseline, 1), "iters": len(times),
        "threads": args.threads, "loadavg_1m": round(os.getloadavg()[0], 2), "model": args.model,
        "max_abs_diff": float(f"{diff:.3g}"), args.runtime.split("-")[0]: version,
    }), flush=True)




if __name__ == "__main__":
    main()
