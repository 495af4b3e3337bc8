"""Self-test of the PyTorch reference: fast dilated attention == plain brute force (float64).

Run:  /work/venv/bin/python reference/selftest.py     (a few seconds, CPU)
Exits non-zero on the first failure; prints the max abs difference of every check.
"""
import math
import os
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import brute_force as bf  # noqa: E402
import dilated_vit as dv  # noqa: E402

torch.set_num_threads(1)
TOL64 = 1e-5      # required bound in float64 (differences are ~1e-15 in practice)
TOL32 = 1e-5      # float32 paths vs float64 brute force
results = []


def check(name, a, b, tol):
    diff = float((torch.as_tensor(a).detach().double() - torch.as_tensor(b).detach().double()).abs().max())
    ok = diff <= tol and math.isfinite(diff)
    results.append((name, diff, ok))
    print(f"{'ok  ' if ok else 'FAIL'} {name:<58} max|Δ| = {diff:.3e}")
    if not ok:
        sys.exit(f"selftest failed: {name}")


def qkv(n, d, seed):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(n, d, generator=g, dtype=torch.float64) * 1.5 for _ in range(3)]


# 1. Position code against a literal transcription of DESIGN step 3.
rows, cols, D = 5, 7, 16
code = dv.sincos_2d(rows, cols, D, torch.float64)
lit = torch.zeros(rows, cols, D, dtype=torch.float64)
Fq = D // 4
for y in range(rows):
    for x in range(cols):
        for i in range(Fq):
            w = 1.0 / 10000 ** (i / Fq)
            lit[y, x, i], lit[y, x, Fq + i] = math.sin(y * w), math.cos(y * w)
            lit[y, x, 2 * Fq + i], lit[y, x, 3 * Fq + i] = math.sin(x * w), math.cos(x * w)
check("sincos_2d vs literal loops (5x7, D=16)", code, lit, 1e-12)

# 2. Patch embedding: Linear over the patch grid == Conv2d over the image.
pe = dv.PatchEmbed(4, 24).double()
img = torch.randn(3, 7 * 4, 13 * 4, dtype=torch.float64)
check("patch grid Linear vs Conv2d (7x13 patches, p=4)",
      pe(dv.image_to_patch_grid(img, 4)), pe.embed_image(img), 1e-12)
# hMLP stem: the stages applied patch by patch (as the model does) == the same convolutions over the
# whole image (kernel = stride, so no stage crosses a patch border).
stem = dv.hmlp_stem(8, 16, 1e-6).double()
img = torch.randn(3, 3 * 8, 5 * 8, dtype=torch.float64)
x = img[None]
for stage in stem:
    x = stage(x)
stem_model = dv.DilatedViT({"dim": 16, "depth": 0, "heads": 2, "patch_size": 8, "patch_embedding": "hmlp",
                            "mlp_ratio": 2, "levels": [{"segment": 2, "dilation": 1}], "labels": ["a"]}).double()
stem_model.stem.load_state_dict(stem.state_dict())
check("hmlp stem per patch vs over the image (3x5 patches, p=8)",
      stem_model._embed_patches(dv.image_to_patch_grid(img, 8)), x[0].permute(1, 2, 0), 1e-12)
rgb = torch.randint(0, 256, (8, 12, 3), dtype=torch.uint8)
norm = dv.normalize_rgb8(rgb, [0.5, 0.4, 0.3], [0.2, 0.25, 0.3])
check("normalize_rgb8 vs literal", norm[1, 3, 5], (rgb[3, 5, 1] / 255 - 0.4) / 0.25, 1e-6)

# 3. Fast dilated attention (explicit float64 path) == brute force.
cases = [
    # (rows, cols, heads, dh, levels)
    (7, 13, 4, 4, [(2, 1), (4, 2), (8, 4)]),        # heads < r² = 16 at the last level, > r² = 1 at the first
    (1, 40, 2, 4, [(4, 1), (8, 2)]),                # single row; heads (2) < r² (4)
    (40, 1, 2, 4, [(4, 1), (8, 2)]),                # single column
    (16, 16, 8, 4, [(4, 1), (8, 2), (16, 4)]),      # heads (8) > r² (4) at level 2: offsets repeat
    (11, 9, 6, 3, [(3, 1), (6, 2), (6, 3), (9, 3)]),  # non-power-of-two segments, s/r = 2, 3
    (5, 6, 3, 4, [(8, 1), (16, 4)]),                # grid smaller than every segment
    (12, 12, 5, 2, [(4, 1), (12, 6)]),              # m = 2 windows, heads (5) < r² (36)
]
for rows, cols, H, dh, levels in cases:
    q, k, v = qkv(rows * cols, H * dh, seed=rows * 100 + cols)
    fast = dv.dilated_attention(q, k, v, rows, cols, H, levels, use_fused=False)
    brute = bf.dilated_attention(q.numpy(), k.numpy(), v.numpy(), rows, cols, H, levels)
    check(f"dilated fast vs brute {rows}x{cols} H={H} levels={levels}", fast, brute, TOL64)
    f32 = dv.dilated_attention(q.float(), k.float(), v.float(), rows, cols, H, levels)
    check(f"  float32 (default path) vs brute {rows}x{cols}", f32, brute, TOL32)
    # Level order must not matter (the dilation-1 level is moved first internally).
    rev = dv.dilated_attention(q, k, v, rows, cols, H, levels[::-1], use_fused=False)
    check(f"  level order reversed {rows}x{cols}", rev, brute, TOL64)
    if dv._FLASH_CPU is not None:
        fused = dv.dilated_attention(q.float(), k.float(), v.float(), rows, cols, H, levels, use_fused=True)
        check(f"  fused float32 kernel vs brute {rows}x{cols}", fused, brute, TOL32)

# 4. Single level with r = 1 whose segment covers the grid == dense attention.
rows, cols, H, dh = 9, 11, 4, 4
q, k, v = qkv(rows * cols, H * dh, seed=7)
dense_b = bf.dense_attention(q.numpy(), k.numpy(), v.numpy(), rows, cols, H)
check("dense sdpa vs brute dense 9x11", dv.dense_attention(q, k, v, rows, cols, H), dense_b, TOL64)
check("single level (16,1) dilated vs brute dense 9x11",
      dv.dilated_attention(q, k, v, rows, cols, H, [(16, 1)], use_fused=False), dense_b, TOL64)
check("single level (11,1) dilated (exact cover) vs brute dense",
      dv.dilated_attention(q, k, v, rows, cols, H, [(11, 1)], use_fused=False), dense_b, TOL64)

# 5. Whole model: fast core vs brute-force core (float64), and single-level dilated == dense.
cfg = {"format": "dilatedvit-v1", "dim": 16, "depth": 2, "heads": 4, "patch_size": 2, "mlp_ratio": 2,
       "levels": [{"segment": 2, "dilation": 1}, {"segment": 4, "dilation": 2}, {"segment": 8, "dilation": 4}],
       "attention": "dilated", "position_code": "sincos2d", "pooling": "mean", "layer_norm_eps": 1e-6,
       "mean": [0.5] * 3, "std": [0.5] * 3, "labels": ["a", "b", "c"],
       "train_resolution": 32, "default_max_tokens": 1024}
torch.manual_seed(0)
model = dv.DilatedViT(cfg).double().eval()
for p in model.parameters():
    p.data.normal_(0, 0.3)
patches = torch.randn(7, 13, 12, dtype=torch.float64)
with torch.no_grad():
    check("model logits: fast core vs brute core (7x13)",
          model(patches), model(patches, mode=bf.as_torch_core(bf.dilated_attention)), TOL64)
    single = dv.DilatedViT({**cfg, "levels": [{"segment": 16, "dilation": 1}]}).double().eval()
    single.load_state_dict(model.state_dict())
    check("model logits: single level (16,1) dilated vs dense (7x13)",
          single(patches, "dilated"), single(patches, "dense"), TOL64)

# 6. Loading: safetensors round trip, and strictness.
from safetensors.torch import save_file  # noqa: E402
import json  # noqa: E402
with tempfile.TemporaryDirectory() as tmp:
    cpath, wpath = os.path.join(tmp, "config.json"), os.path.join(tmp, "model.safetensors")
    json.dump(cfg, open(cpath, "w"))
    state = {n: t.float().contiguous() for n, t in model.state_dict().items()}
    save_file(state, wpath)
    loaded = dv.load(cpath, wpath, torch.float64)
    with torch.no_grad():
        check("load() round trip logits", loaded(patches), model(patches), 1e-6)
    del state["blocks.1.mlp.fc2.bias"]
    save_file(state, wpath)
    try:
        dv.load(cpath, wpath)
        sys.exit("FAIL load() accepted a missing tensor")
    except ValueError as e:
        print(f"ok   load() rejects a missing tensor: {e}")

worst64 = max(d for n, d, _ in results if "float32" not in n and "fused" not in n and "load()" not in n)
worst32 = max(d for n, d, _ in results if "float32" in n)
print(f"\nselftest: {len(results)} checks passed; worst float64 max|Δ| = {worst64:.3e}, "
      f"worst float32-vs-float64-brute max|Δ| = {worst32:.3e}")
