"""Writes the Swift test fixtures: Tests/DilatedViTTests/Fixtures/reference/<case>/.

Run:  /work/venv/bin/python reference/make_fixtures.py [case ...] [--out DIR]   (deterministic, CPU)
      e.g. `reference/make_fixtures.py v2-grid5x11 v2-strip1x13 v2-strip13x1 v2-hmlp-p8` for the v2 cases only;
      --out writes elsewhere (e.g. to compare a regeneration with the committed files).

Per case: config.json, model.safetensors (random weights, every parameter random so layout bugs
show; F32, or BF16 for the "bf16" case), io.safetensors (inputs and expected outputs, F32).
Expected outputs are computed in float64 from the stored (F32- or BF16-rounded) weights and inputs,
then rounded to F32; each is also cross-checked against the brute-force reference before writing.
Model v2 cases (names "v2-*", config format dilatedvit-v2) use level_rule "to_grid", position_code
"sincos2d_normalised" and pooling "attention", and also store token_logits (see reference/README.md).
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

# Model v2: the same tuple, then the patch embedding and a dict of the v2 options.
V2_ALL = {"level_rule": "to_grid", "position_code": "sincos2d_normalised", "pooling": "attention"}
CASES.update({
    # 5×11: levels (2,1) (4,2) + to_grid (8,4) (16,8); scale 16/11.
    "v2-grid5x11":  (24, 2, 3, 2, 2, [(2, 1), (4, 2)], (5, 11), SCENES[:4], torch.float32, 11, "linear",
                     {**V2_ALL, "position_span": 16}),
    # strips: to_grid adds (8,4) (16,8) along the long side; scale 16/13 and 12/13.
    "v2-strip1x13": (24, 2, 3, 2, 2, [(2, 1), (4, 2)], (1, 13), SCENES[:3], torch.float32, 12, "linear",
                     {**V2_ALL, "position_span": 16}),
    "v2-strip13x1": (24, 2, 3, 2, 2, [(2, 1), (4, 2)], (13, 1), SCENES[:3], torch.float32, 13, "linear",
                     {**V2_ALL, "position_span": 12}),
    # hMLP stem p = 8 at 7×9: (2,1) (4,2) + (8,4) (16,8); scale 16/9.
    "v2-hmlp-p8":   (32, 2, 4, 8, 4, [(2, 1), (4, 2)], (7, 9), SCENES[:5], torch.float32, 14, "hmlp",
                     {**V2_ALL, "position_span": 16}),
    # coarse view: 9×14 (126 tokens) over a budget of 20 -> a 4×5 view (18×28 px -> 8×10 px: 2.25 × 2.8),
    # its scores raised by 0.75·log(126/20).
    "v2-view":      (24, 2, 3, 2, 2, [(2, 1), (4, 2)], (9, 14), SCENES[:4], torch.float32, 15, "linear",
                     {**V2_ALL, "position_span": 16, "coarse_view_tokens": 20, "coarse_view_balance": 0.75}),
})


def make_config(dim, depth, heads, patch, mlp_ratio, levels, grid, labels, patch_embedding="linear", v2=None):
    # The key is written only when it is not the default, so the older fixtures stay byte-identical.
    # v2: a dict of Model v2 options (level_rule, position_code, position_span, pooling); when given, the
    # format is dilatedvit-v2 and level_rule / position_span are written too (v1 configs never have them).
    embedding = {} if patch_embedding == "linear" else {"patch_embedding": patch_embedding}
    v2 = dict(v2 or {})
    rule = {} if not v2 else {"level_rule": v2.get("level_rule", "fixed")}
    span = {} if not v2 else {"position_span": v2.get("position_span", 16)}
    view = {k: v2[k] for k in ("coarse_view_tokens", "coarse_view_balance") if k in v2}
    cfg = {
        "format": "dilatedvit-v2" if v2 else "dilatedvit-v1",
        "dim": dim, "depth": depth, "heads": heads, "patch_size": patch,
        **embedding, "mlp_ratio": mlp_ratio,
        "levels": [{"segment": s, "dilation": r} for s, r in levels], **rule,
        "attention": "dilated", "position_code": v2.get("position_code", "sincos2d"), **span,
        "pooling": v2.get("pooling", "mean"), **view, "layer_norm_eps": 1e-6,
        "mean": [0.5, 0.5, 0.5], "std": [0.5, 0.5, 0.5], "labels": list(labels),
        "train_resolution": max(grid) * patch, "default_max_tokens": 1024,
    }
    assert cfg["format"] == dv.config_format(cfg) or not dv.version2_keys(cfg), cfg
    return cfg


def weight_std(name):
    """Standard deviations chosen so activations, attention scores and logits are O(1)."""
    if ".norm" in name or name.startswith("norm."):
        return 0.2          # LayerNorm affine: weight = 1 + N(0, 0.2²), bias = N(0, 0.2²)
    if name.endswith("bias"):
        return 0.1
    if name.startswith("stem."):
        return 0.2          # stem convolutions: fan-in 12 … D, each normalised after
    # pool.score (v2 attention pooling): 0.3 makes the token softmax clearly non-uniform (scores ~ N(0, 0.3²·D)).
    return {"patch_embed.proj.weight": 0.1, "head.weight": 0.3, "pool.score.weight": 0.3}.get(name) or (
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


def build_case(name, spec, out=None):
    dim, depth, heads, patch, mlp_ratio, levels, (rows, cols), labels, wdtype, seed, *embedding = spec
    cfg = make_config(dim, depth, heads, patch, mlp_ratio, levels, (rows, cols), labels, *embedding)
    if cfg["format"] == dv.FORMAT_V2:
        return build_v2_case(name, cfg, (rows, cols), wdtype, seed, out or OUT)
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

    write_case(out or OUT, name, cfg, stored, io)
    print(f"{name:13s} grid {rows}x{cols} D={dim} H={heads} p={patch} {cfg.get('patch_embedding', 'linear')} levels={levels} "
          f"weights={str(wdtype).split('.')[-1]} logits={[round(x, 4) for x in logits.tolist()]} "
          f"|dilated-dense|={max_diff(logits, logits_dense):.3g} brute Δ={max(d1, d2):.1e}")


def write_case(out, name, cfg, stored, io):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as fh:
        json.dump(cfg, fh, indent=1)
        fh.write("\n")
    save_file(stored, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
    save_file(io, os.path.join(d, "io.safetensors"), metadata={"generator": "reference/make_fixtures.py"})


def build_v2_case(name, cfg, grid, wdtype, seed, out):
    """A Model v2 case: the v1 io tensors (same names and meanings) plus token_logits & co.

    Random draws in the v1 order (weights in state_dict order, pool.score last; then patches, attn_q/k/v).
    attn_out is the core over the config's `levels` as listed (what a per-case loop passes when it reads
    config.levels); attn_out_grid over grid_levels(rows, cols), the levels the model runs on this grid.
    """
    rows, cols = grid
    dim, heads, patch = cfg["dim"], cfg["heads"], cfg["patch_size"]
    gen = torch.Generator().manual_seed(1000 + seed)
    model = dv.DilatedViT(cfg).eval()
    stored = random_state(model, gen, wdtype)
    model = model.double()
    model.load_state_dict({n: t.double() for n, t in stored.items()}, strict=True)
    levels, glevels = dv.levels_of(cfg), model.grid_levels(rows, cols)
    assert glevels == bf.to_grid_levels(levels, rows, cols), (glevels, name)

    N = rows * cols
    patches = torch.randn(rows, cols, 3 * patch * patch, generator=gen)
    attn_q, attn_k, attn_v = (torch.randn(N, dim, generator=gen) * 1.5 for _ in range(3))
    with torch.no_grad():
        p64 = patches.double()
        z = model.forward_tokens(p64, "dilated")
        features = model.forward_features(p64, "dilated")
        logits = model.head(features)
        token_logits = model.token_logits(p64, "dilated")
        pool_weights = torch.softmax(model.pool.score(z), dim=0)          # (N, H); with a view, the grid's part:
        zv = model.view_tokens(p64, "dilated")
        if zv is not None:
            pool_weights = model.joint_weights(z, zv)[0][:, ::dim // heads]
        logits_dense = model(p64, "dense")
        token_logits_dense = model.token_logits(p64, "dense")
        embedded = model.embed(p64)
        q64, k64, v64 = attn_q.double(), attn_k.double(), attn_v.double()
        attn_out = dv.dilated_attention(q64, k64, v64, rows, cols, heads, levels, use_fused=False)
        attn_out_grid = dv.dilated_attention(q64, k64, v64, rows, cols, heads, glevels, use_fused=False)

        # Independent cross-checks (brute_force.py: loops over the full grid) before anything is written.
        patch_emb = model._embed_patches(p64).reshape(N, dim)
        brute = bf.forward_from_patch_embedding(cfg, stored, patch_emb.numpy(), rows, cols, "dilated")
        brute_dense = bf.forward_from_patch_embedding(cfg, stored, patch_emb.numpy(), rows, cols, "dense")
        view = dv.coarse_view(p64, cfg.get("coarse_view_tokens", 0))
        view_diffs = {}
        if view is not None:
            # The grid's and the view's final rows by loops, pooled jointly by loops (brute_force.joint_pool).
            vr, vc = view.shape[0], view.shape[1]
            view_brute = bf.coarse_view(p64.numpy(), patch, vr, vc)
            view_diffs["view_patches"] = max_diff(view, torch.from_numpy(view_brute))
            view_emb = model._embed_patches(view).reshape(vr * vc, dim).numpy()
            for result, mode in ((brute, "dilated"), (brute_dense, "dense")):
                zv = bf.forward_from_patch_embedding(cfg, stored, view_emb, vr, vc, mode)["z"]
                result.update(bf.joint_pool(cfg, stored, result["z"], zv, rows, cols, vr, vc))
        emb_b = patch_emb.numpy() + bf.position_code(rows, cols, dim, cfg["position_code"], cfg["position_span"])
        np_ = lambda t: torch.from_numpy(t)   # noqa: E731
        diffs = {
            "embedded": max_diff(embedded, np_(emb_b)),
            "features": max_diff(features, np_(brute["features"])),
            "logits": max_diff(logits, np_(brute["logits"])),
            "token_logits": max_diff(token_logits, np_(brute["token_logits"])),
            "logits_dense": max_diff(logits_dense, np_(brute_dense["logits"])),
            "token_logits_dense": max_diff(token_logits_dense, np_(brute_dense["token_logits"])),
            "attn_out": max_diff(attn_out, np_(bf.dilated_attention(
                q64.numpy(), k64.numpy(), v64.numpy(), rows, cols, heads, levels))),
            "attn_out_grid": max_diff(attn_out_grid, np_(bf.dilated_attention(
                q64.numpy(), k64.numpy(), v64.numpy(), rows, cols, heads, glevels))),
            "mean(token_logits) - logits": max_diff(token_logits.mean(dim=0), logits),
            "mean(token_logits_dense) - logits_dense": max_diff(token_logits_dense.mean(dim=0), logits_dense),
            # The dense mode is the single level (max(R, K), 1) with no level rule.
            "dense == single level": max_diff(logits_dense, model.head(model.forward_features(
                p64, lambda q, k, v, r, c, h, lv: dv.dilated_attention(q, k, v, r, c, h, [(max(r, c), 1)])))),
        }
        diffs.update(view_diffs)
        bad = {k: v for k, v in diffs.items() if not v < 1e-10}
        assert not bad, (name, bad)

    io = {"patches": patches, "logits": logits, "logits_dense": logits_dense, "features": features,
          "embedded": embedded, "attn_q": attn_q, "attn_k": attn_k, "attn_v": attn_v, "attn_out": attn_out,
          "attn_out_grid": attn_out_grid, "grid_levels": torch.tensor(glevels, dtype=torch.float64),
          "token_logits": token_logits, "token_logits_dense": token_logits_dense, "pool_weights": pool_weights,
          **({} if view is None else {"view_patches": view})}
    io = {k: v.to(torch.float32).contiguous() for k, v in io.items()}
    write_case(out, name, cfg, stored, io)
    print(f"{name:13s} grid {rows}x{cols} D={dim} H={heads} p={patch} {cfg.get('patch_embedding', 'linear')} "
          f"levels={levels} -> {glevels} span={cfg['position_span']} pooling={cfg['pooling']} "
          f"logits={[round(x, 4) for x in logits.tolist()]} |dilated-dense|={max_diff(logits, logits_dense):.3g} "
          f"brute Δ={max(diffs.values()):.1e}")



def main():
    """All cases, or only those named on the command line; --out DIR writes there instead."""
    torch.set_num_threads(1)
    args, out = sys.argv[1:], OUT
    if "--out" in args:
        i = args.index("--out")
        out, args = os.path.abspath(args[i + 1]), args[:i] + args[i + 2:]
    chosen = args or list(CASES)
    unknown = sorted(set(chosen) - set(CASES))
    assert not unknown, f"unknown cases {unknown}; known: {list(CASES)}"
    for name, spec in ((n, CASES[n]) for n in chosen):
        shutil.rmtree(os.path.join(out, name), ignore_errors=True)   # start each case clean
        build_case(name, spec, out)
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(out) for f in fs)
    print(f"wrote {out} ({total / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
