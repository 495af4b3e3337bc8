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


def check_load(what, model, config, patches, missing, tol):
    """Saves `model` as dvit does, checks load() gives its logits, then that load() refuses
    the file without the tensor `missing`."""
    with tempfile.TemporaryDirectory() as tmp:
        cpath, wpath = os.path.join(tmp, "config.json"), os.path.join(tmp, "model.safetensors")
        json.dump(config, open(cpath, "w"))
        state = {n: t.float().contiguous() for n, t in model.state_dict().items()}
        save_file(state, wpath)
        with torch.no_grad():
            check(f"{what} load() round trip logits", dv.load(cpath, wpath, torch.float64)(patches),
                  model(patches), tol)
        del state[missing]
        save_file(state, wpath)
        try:
            dv.load(cpath, wpath)
            sys.exit(f"FAIL {what} load() accepted a file without {missing}")
        except ValueError as e:
            print(f"ok   {what} load() rejects a file without {missing}: {e}")


check_load("v1", model, cfg, patches, "blocks.1.mlp.fc2.bias", 1e-6)

# 7. Model v2 (docs/MODEL.md §9): level rule, normalised position code, attention pooling, token logits.
# 7a. The to_grid rule: the brief's example, no-op cases, and dilated_vit == the literal brute_force rule.
assert dv.grid_levels([(2, 1), (4, 2)], "to_grid", 3, 9) == [(2, 1), (4, 2), (8, 4), (16, 8)]
assert dv.grid_levels([(4, 1), (8, 2), (16, 4), (32, 8)], "to_grid", 75, 75)[-2:] == [(64, 16), (128, 32)]
assert dv.grid_levels([(4, 1), (8, 2), (16, 4), (32, 8)], "to_grid", 16, 16) == [(4, 1), (8, 2), (16, 4), (32, 8)]
assert dv.grid_levels([(2, 1), (4, 2)], "fixed", 3, 9) == [(2, 1), (4, 2)]
assert dv.grid_levels([(2, 1)], "to_grid", 1, 1) == [(2, 1)] and dv.grid_levels([(2, 1)], "to_grid", 1, 3) == [(2, 1), (4, 2)]
for rows, cols in [(1, 1), (1, 13), (13, 1), (3, 9), (5, 11), (7, 9), (17, 5), (33, 2), (64, 64), (65, 1)]:
    for base in ([(2, 1), (4, 2)], [(4, 1)], [(3, 1), (6, 3)], [(4, 1), (8, 2), (16, 4), (32, 8)]):
        assert dv.grid_levels(base, "to_grid", rows, cols) == bf.to_grid_levels(base, rows, cols), (rows, cols, base)
print("ok   to_grid level rule: example 3x9, no-op on small grids, == brute_force.to_grid_levels (40 combos)")

# 7b. Dilated attention over the to_grid levels == brute force, on odd grids and strips (the rule adds
# levels with r² > heads, so some offsets are unused, and on strips some heads select nothing).
v2_attention_cases = [
    # (rows, cols, heads, dh, base levels)
    (5, 11, 3, 4, [(2, 1), (4, 2)]),       # + (8,4) (16,8)
    (1, 13, 3, 4, [(2, 1), (4, 2)]),       # strip: + (8,4) (16,8)
    (13, 1, 3, 4, [(2, 1), (4, 2)]),       # column strip: head 1 (r = 2), heads 1, 2 (r >= 4) select nothing
    (3, 9, 2, 4, [(2, 1), (4, 2)]),        # the brief's example grid
    (7, 9, 4, 4, [(2, 1), (4, 2)]),
    (17, 5, 5, 2, [(3, 1), (6, 3)]),       # non-power-of-two segment: + (12,6) (24,12)
    (1, 1, 2, 4, [(2, 1)]),                # nothing added
    (2, 23, 6, 2, [(4, 1), (8, 2)]),       # + (16,4) (32,8), heads (6) < r² (16, 64)
]
for rows, cols, H, dh, base in v2_attention_cases:
    lv = dv.grid_levels(base, "to_grid", rows, cols)
    q, k, v = qkv(rows * cols, H * dh, seed=rows * 1000 + cols + 17)
    brute = bf.dilated_attention(q.numpy(), k.numpy(), v.numpy(), rows, cols, H, bf.to_grid_levels(base, rows, cols))
    check(f"to_grid fast vs brute {rows}x{cols} H={H} levels={lv}",
          dv.dilated_attention(q, k, v, rows, cols, H, lv, use_fused=False), brute, TOL64)
    check(f"  float32 (default path) vs brute {rows}x{cols} to_grid",
          dv.dilated_attention(q.float(), k.float(), v.float(), rows, cols, H, lv), brute, TOL32)

# 7c. Normalised position code: == literal loops; == the v1 code when R = K = position_span (scale 1).
for rows, cols, D, span in [(5, 11, 16, 16), (13, 1, 8, 12), (1, 13, 8, 16), (40, 7, 12, 16)]:
    scale = span / max(rows, cols)
    check(f"sincos2d_normalised vs literal ({rows}x{cols}, D={D}, span {span})",
          dv.sincos_2d(rows, cols, D, torch.float64, scale).reshape(rows * cols, D),
          bf.position_code(rows, cols, D, "sincos2d_normalised", span), 1e-12)
check("sincos2d_normalised at R = K = span (16x16) == v1 code",
      dv.sincos_2d(16, 16, 16, torch.float64, dv.position_scale(
          {"position_code": "sincos2d_normalised", "position_span": 16}, 16, 16)), dv.sincos_2d(16, 16, 16, torch.float64), 0.0)
check("sincos2d_normalised on 16x9 (span 16, longer side 16) == v1 code",
      dv.sincos_2d(16, 9, 16, torch.float64, 16 / 16), dv.sincos_2d(16, 9, 16, torch.float64), 0.0)

# 7d. Whole model, v1 and v2 configs: fast model == brute_force.forward_from_patch_embedding (which is
# thereby also checked on v1), token logits average to the logits, attention pooling with a zero score
# weight == mean pooling.
v2cfg = {**cfg, "format": "dilatedvit-v2", "dim": 24, "heads": 3,
         "levels": [{"segment": 2, "dilation": 1}, {"segment": 4, "dilation": 2}],
         "level_rule": "to_grid", "position_code": "sincos2d_normalised", "position_span": 16, "pooling": "attention"}
for name, c, grid in [("v1 7x13", cfg, (7, 13)), ("v2 5x11", v2cfg, (5, 11)), ("v2 1x13", v2cfg, (1, 13)),
                      ("v2 13x1", {**v2cfg, "position_span": 12}, (13, 1))]:
    torch.manual_seed(len(name) + grid[0])
    m = dv.DilatedViT(c).double().eval()
    for p in m.parameters():
        p.data.normal_(0, 0.3)
    pt = torch.randn(*grid, 12, dtype=torch.float64)
    N = grid[0] * grid[1]
    with torch.no_grad():
        emb = m._embed_patches(pt).reshape(N, -1).numpy()
        for mode in ("dilated", "dense"):
            b = bf.forward_from_patch_embedding(c, m.state_dict(), emb, *grid, mode)
            check(f"model {name} {mode}: features vs brute forward", m.forward_features(pt, mode), b["features"], TOL64)
            check(f"model {name} {mode}: logits vs brute forward", m(pt, mode), b["logits"], TOL64)
            check(f"model {name} {mode}: token_logits vs brute forward", m.token_logits(pt, mode), b["token_logits"], TOL64)
            check(f"model {name} {mode}: mean(token_logits) == logits", m.token_logits(pt, mode).mean(0), m(pt, mode), 1e-12)
        if c.get("pooling") == "attention":
            m.pool.score.weight.data.zero_()
            mean_model = dv.DilatedViT({**c, "pooling": "mean"}).double().eval()
            mean_model.load_state_dict({n: t for n, t in m.state_dict().items() if not n.startswith("pool.")})
            check(f"model {name}: attention pooling, zero score weight == mean pooling", m(pt), mean_model(pt), 1e-12)
    # v2 with every option at its v1 value computes exactly the v1 model
v1_as_v2 = dv.DilatedViT({**cfg, "format": "dilatedvit-v2", "level_rule": "fixed", "position_code": "sincos2d",
                          "pooling": "mean"}).double().eval()
v1_as_v2.load_state_dict(model.state_dict())
with torch.no_grad():
    check("v2 format with v1 option values == v1 model (7x13)", v1_as_v2(patches), model(patches), 0.0)

# 7e. Config rules and loading of v2 files.
for bad, why in [({**cfg, "pooling": "attention"}, "v2 option in a v1 file"),
                 ({**cfg, "format": "dilatedvit-v2", "level_rule": "grid"}, "unknown level_rule"),
                 ({**cfg, "format": "dilatedvit-v2", "position_code": "learned"}, "unknown position_code"),
                 ({**cfg, "format": "dilatedvit-v2", "position_span": 0}, "position_span 0"),
                 ({**cfg, "format": "dilatedvit-v3"}, "unknown format")]:
    try:
        dv.DilatedViT(bad)
        sys.exit(f"FAIL config accepted: {why}")
    except ValueError as e:
        print(f"ok   config rejects {why}: {e}")
m = dv.DilatedViT(v2cfg).double().eval()
for p in m.parameters():
    p.data.normal_(0, 0.3)
assert m.state_dict()["pool.score.weight"].shape == (3, 24) and m.state_dict()["pool.score.bias"].shape == (3,)
check_load("v2 (pool.score stored)", m, v2cfg, torch.randn(5, 11, 12, dtype=torch.float64), "pool.score.bias", 1e-5)

worst64 = max(d for n, d, _ in results if "float32" not in n and "fused" not in n and "load()" not in n)
worst32 = max(d for n, d, _ in results if "float32" in n)
print(f"\nselftest: {len(results)} checks passed; worst float64 max|Δ| = {worst64:.3e}, "
      f"worst float32-vs-float64-brute max|Δ| = {worst32:.3e}")
