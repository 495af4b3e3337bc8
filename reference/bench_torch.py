"""Times one forward pass of the PyTorch reference (CPU, 2 threads) at one grid size.

Run one size per process (peak RSS is per process):
  /work/venv/bin/python reference/bench_torch.py --tokens 4096 --mode dilated
  /work/venv/bin/python reference/bench_torch.py --rows 48 --cols 64 --mode dense
Prints one JSON line:
  {"impl":"pytorch","mode":..,"tokens":..,"rows":..,"cols":..,"ms":..,"peak_rss_mb":..,...}
ms = median (ms_min = fastest) over timed runs after a warm-up; loadavg_1m flags a busy machine; peak_rss_mb = ru_maxrss of this process (includes the
~torch import and the weights; baseline_rss_mb is the RSS before the first forward).
Default model: D=192, depth 6, heads 6, patch 8, mlp_ratio 4, levels (4,1),(8,2),(16,4),(32,8); --model v2 adds
the Model v2 options (to_grid levels, normalised position code, attention pooling), like `dvit bench forward --model v2`.
For benchmarks only; never needed at runtime.
"""
import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dilated_vit as dv  # noqa: E402
from bench_grid import grid_of  # noqa: E402

DEFAULT_LEVELS = [(4, 1), (8, 2), (16, 4), (32, 8)]


def bench_config(dim=192, depth=6, heads=6, patch=8, mlp_ratio=4, levels=DEFAULT_LEVELS, version="v1"):
    cfg = {
        "format": "dilatedvit-v1", "dim": dim, "depth": depth, "heads": heads, "patch_size": patch,
        "mlp_ratio": mlp_ratio, "levels": [{"segment": s, "dilation": r} for s, r in levels],
        "attention": "dilated", "position_code": "sincos2d", "pooling": "mean", "layer_norm_eps": 1e-6,
        "mean": [0.5] * 3, "std": [0.5] * 3,
        "labels": ["buildings", "forest", "glacier", "mountain", "sea", "street"],
        "train_resolution": 96, "default_max_tokens": 1024,
    }
    if version == "v2":   # ForwardBenchmark.standardConfig(version: .v2)
        cfg.update({"format": "dilatedvit-v2", "level_rule": "to_grid", "position_code": "sincos2d_normalised",
                    "position_span": 16, "pooling": "attention"})
    return cfg


def random_model(cfg):
    """The benchmark's model: fixed-seed random weights (values do not affect speed). bench_onnx.py exports this."""
    torch.manual_seed(0)
    model = dv.DilatedViT(cfg).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.02)
        for n, p in model.named_parameters():
            if "norm" in n and n.endswith("weight"):
                p.add_(1.0)
    return model


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0   # Linux: KiB


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", type=int, help="token count; grid = the most square rows×cols with rows·cols = tokens")
    ap.add_argument("--rows", type=int)
    ap.add_argument("--cols", type=int)
    ap.add_argument("--mode", choices=["dilated", "dense"], default="dilated")
    ap.add_argument("--model", choices=["v1", "v2"], default="v1", help="standard config of this model version")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--min-time", type=float, default=3.0, help="time runs until this many seconds have passed")
    ap.add_argument("--max-iters", type=int, default=5)
    ap.add_argument("--min-iters", type=int, default=1, help="time at least this many runs, whatever --min-time says")
    ap.add_argument("--fused", action="store_true",
                    help="dilated: use PyTorch's fused CPU flash kernel for the windows instead of batched matmuls")
    args = ap.parse_args()

    rows, cols = grid_of(ap, args)
    torch.set_num_threads(args.threads)
    cfg = bench_config(version=args.model)
    model = random_model(cfg)
    p = cfg["patch_size"]
    patches = torch.randn(rows, cols, 3 * p * p, generator=torch.Generator().manual_seed(1))
    mode = args.mode
    if mode == "dilated" and args.fused:
        def mode(q, k, v, r, c, h, lv):
            return dv.dilated_attention(q, k, v, r, c, h, lv, use_fused=True)
    baseline = rss_mb()

    times = []
    with torch.inference_mode():
        for _ in range(args.warmup):
            logits = model(patches, mode)
        start = time.perf_counter()
        while len(times) < args.max_iters and (len(times) < args.min_iters or time.perf_counter() - start < args.min_time):
            t0 = time.perf_counter()
            logits = model(patches, mode)
            times.append((time.perf_counter() - t0) * 1e3)
    assert torch.isfinite(logits).all()
    print(json.dumps({
        "impl": "pytorch", "mode": args.mode + ("-fused" if args.fused and args.mode == "dilated" else ""),
        "tokens": rows * cols, "rows": rows, "cols": cols,
        "ms": round(statistics.median(times), 2), "ms_min": round(min(times), 2), "peak_rss_mb": round(rss_mb(), 1),
        "baseline_rss_mb": round(baseline, 1), "iters": len(times), "threads": args.threads,
        "loadavg_1m": round(os.getloadavg()[0], 2),   # > threads means the CPUs were shared (noisy)
        "model": args.model, "torch": torch.__version__,
    }), flush=True)


if __name__ == "__main__":
    main()
