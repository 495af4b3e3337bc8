"""Writes the Swift test fixtures: Tests/DilatedViTTests/Fixtures/reference/<case>/.

Run:  /work/venv/bin/python reference/make_fixtures.py      (deterministic, ~10 s, CPU)

Per case: config.json, model.safetensors (random weights, every parameter random so layout bugs
show; F32, or BF16 for the "bf16" case), io.safetensors (inputs and expected outputs, F32).
Expected outputs are computed in float64 from the stored (F32- or BF16-rounded) weights and inputs,
then rounded to F32; each is also cross-checked against the brute-force reference before writing.
See reference/README.md for the file contents.
"""
import json
import os
import shutil
import sys

import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brute_force as bf  # noqa: E402
import dilated_vit as dv  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "DilatedViTTests", "Fixtures", "reference")
SCENES = ["buildings", "forest", "glacier", "mountain", "sea", "street"]

# name: (dim, depth, heads, patch, mlp_ratio, levels, (rows, cols), labels, weight dtype, seed[, patch_embedding])
CASES = {
    "grid7x13":     (32, 2, 4, 4, 4, [(2, 1), (4, 2), (8, 4)], (7, 13), SCENES[:3], torch.float32, 1),
    "grid1x40":     (16, 2, 2, 2, 4, [(4, 1), (8, 2)], (1, 40), SCENES[:4], torch.float32, 2),
    "grid16x16":    (32, 2, 8, 4, 4, [(4, 1), (8, 2), (16, 4)], (16, 16), SCENES, torch.float32, 3),
    "single-level": (24, 2, 3, 4, 2, [(16, 1)], (9, 11), SCENES[:5], torch.float32, 4),
    "bf16":         (32, 2, 4, 4, 4, [(4, 1), (8, 2)], (10, 12), SCENES[:3], torch.bfloat16, 5),
    "hmlp-p8":      (32, 2, 4, 8, 4, [(2, 1), (4, 2)], (5, 6), SCENES[:3], torch.float32, 6, "hmlp"),
    "hmlp-p4":      (24, 1, 3, 4, 2, [(4, 1), (8, 2)], (6, 7), SCENES[:4], torch.float32, 7, "hmlp"),
}


def make_config(dim, depth, heads, patch, mlp_ratio, levels, grid, labels, patch_embedding="linear"):
    # The key is written only when it is not the default, so the older fixtures stay byte-identical.
    embedding = {} if patch_embedding == "linear" else {"patch_embedding": patch_embedding}
    return {
        "format": "dilatedvit-v1", "dim": dim, "depth": depth, "heads": heads, "patch_size": patch,
        **embedding, "mlp_ratio": mlp_ratio,
        "levels": [{"segment": s, "dilation": r} for s, r in levels],
        "attention": "dilated", "position_code": "sincos2d", "pooling": "mean", "layer_norm_eps": 1e-6,
        "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "labels": list(labels),
        "train_resolution": max(grid) * patch, "default_max_tokens": 1024,
    }


def weight_std(name):
    """Standard deviations chosen so activations, attention scores and logits are O(1)."""
    if ".norm" in name or name.startswith("norm."):
        return 0.2          # LayerNorm affine: weight = 1 + N(0, 0.2²), bias = N(0, 0.2²)
    if name.endswith("bias"):
        return 0.1
    if name.startswith("stem."):
        return 0.2          # stem convolutions: fan-in 12 … D, each normalised after
    return {"patch_embed.proj.weight": 0.1, "head.weight": 0.3}.get(name) or (
        0.25 if "qkv" in name else 0.15 if ("attn.proj" in name or "fc1" in name) else 0.1)


def random_state(model, gen, dtype):
    """Every parameter random (LayerNorm weights around 1), rounded to the storage dtype."""
    state = {}
    for name, p in model.state_dict().items():
        t = torch.randn(p.shape, generator=gen) * weight_std(name)
        if (".norm" in name or name.startswith("norm.")) and name.endswith("weight"):
            t = t + 1.0
        state[name] = t.to(dtype).contiguous()
    return state


def max_diff(a, b):
    return float((a.double() - b.double()).abs().max())


def build_case(name, spec):
    dim, depth, heads, patch, mlp_ratio, levels, (rows, cols), labels, wdtype, seed, *embedding = spec
    cfg = make_config(dim, depth, heads, patch, mlp_ratio, levels, (rows, cols), labels, *embedding)
    gen = torch.Generator().manual_seed(1000 + seed)
    model = dv.DilatedViT(cfg).eval()
    stored = random_state(model, gen, wdtype)
    # Expected values: float64 model with exactly the stored (rounded) weights.
    model = model.double()
    model.load_state_dict({n: t.double() for n, t in stored.items()}, strict=True)

    N = rows * cols
    patches = torch.randn(rows, cols, 3 * patch * patch, generator=gen)             # F32
    attn_q, attn_k, attn_v = (torch.randn(N, dim, generator=gen) * 1.5 for _ in range(3))
    with torch.no_grad():
        p64 = patches.double()
        features = model.forward_features(p64, "dilated")
        logits = model.head(features)
        logits_dense = model(p64, "dense")
        embedded = model.embed(p64)
        attn_out = dv.dilated_attention(attn_q.double(), attn_k.double(), attn_v.double(),
                                        rows, cols, heads, levels, use_fused=False)
        # Independent cross-checks against the brute-force reference before anything is written.
        brute_core = bf.as_torch_core(bf.dilated_attention)
        d1 = max_diff(model(p64, brute_core), logits)
        d2 = max_diff(torch.from_numpy(bf.dilated_attention(
            attn_q.double().numpy(), attn_k.double().numpy(), attn_v.double().numpy(),
            rows, cols, heads, levels)), attn_out)
        assert d1 < 1e-10 and d2 < 1e-10, (name, d1, d2)
        if len(levels) == 1 and levels[0][1] == 1 and levels[0][0] >= max(rows, cols):
            assert max_diff(logits, logits_dense) < 1e-10, name

    io = {"patches": patches, "logits": logits, "logits_dense": logits_dense, "features": features,
          "embedded": embedded, "attn_q": attn_q, "attn_k": attn_k, "attn_v": attn_v, "attn_out": attn_out}
    io = {k: v.to(torch.float32).contiguous() for k, v in io.items()}

    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as fh:
        json.dump(cfg, fh, indent=1)
        fh.write("\n")
    save_file(stored, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
    save_file(io, os.path.join(d, "io.safetensors"), metadata={"generator": "reference/make_fixtures.py"})
    print(f"{name:13s} grid {rows}x{cols} D={dim} H={heads} p={patch} {cfg.get('patch_embedding', 'linear')} levels={levels} "
          f"weights={str(wdtype).split('.')[-1]} logits={[round(x, 4) for x in logits.tolist()]} "
          f"|dilated-dense|={max_diff(logits, logits_dense):.3g} brute Δ={max(d1, d2):.1e}")


def main():
    """All cases, or only those named on the command line."""
    torch.set_num_threads(1)
    chosen = sys.argv[1:] or list(CASES)
    unknown = sorted(set(chosen) - set(CASES))
    assert not unknown, f"unknown cases {unknown}; known: {list(CASES)}"
    for name, spec in ((n, CASES[n]) for n in chosen):
        shutil.rmtree(os.path.join(OUT, name), ignore_errors=True)   # start each case clean
        build_case(name, spec)
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
    print(f"wrote {OUT} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
