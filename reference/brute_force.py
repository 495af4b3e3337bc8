"""Deliberately plain, slow brute-force dilated attention (docs/MODEL.md §5, read literally).

Only for verifying the fast implementation in dilated_vit.py on small grids (see selftest.py).
Loops per token, per head, per level over the FULL grid: segments are s×s tiles from the
top-left (truncated at the borders), and a token is selected by (level, head) when its position
relative to its segment's origin is ≡ (oy, ox) mod r, with j = h mod r², (oy, ox) = (j div r, j mod r).
Inputs/outputs are numpy float64 arrays q, k, v: (N, D), N = rows·cols row-major, heads contiguous.

Model v2 (reference/README.md): `to_grid_levels` (level rule "to_grid"), `position_code` (both codes),
and `forward_from_patch_embedding`, a loop-by-loop float64 forward of the whole model from the patch
embedding on (position code, blocks with the brute-force attention, final LayerNorm, mean or attention
pooling, head, per-token logits), reading the weights by name from a state dict.
"""
import math

import numpy as np


def _attend(qv, keys, k, v, cols_slice, scale):
    """Softmax attention of one query vector over the given key token list; returns (o, lse)."""
    scores = [scale * float(np.dot(qv, k[u, cols_slice])) for u in keys]
    mx = max(scores)
    weights = [math.exp(sc - mx) for sc in scores]
    total = sum(weights)
    o = sum(w * v[u, cols_slice] for w, u in zip(weights, keys)) / total
    return o, mx + math.log(total)


def dilated_attention(q, k, v, rows, cols, heads, levels):
    q, k, v = (np.asarray(t, dtype=np.float64) for t in (q, k, v))
    N, D = q.shape
    assert N == rows * cols
    dh = D // heads
    scale = dh ** -0.5
    out = np.zeros((N, D))
    for t in range(N):
        y, x = divmod(t, cols)
        for h in range(heads):
            sl = slice(h * dh, (h + 1) * dh)
            outs, lses = [], []
            for s, r in levels:
                oy, ox = divmod(h % (r * r), r)
                y0, x0 = (y // s) * s, (x // s) * s           # origin of the segment holding (y, x)
                if (y - y0) % r != oy or (x - x0) % r != ox:
                    continue                                   # not selected at this level for this head
                keys = [yy * cols + xx
                        for yy in range(y0, min(y0 + s, rows))  # truncated border segment
                        for xx in range(x0, min(x0 + s, cols))
                        if (yy - y0) % r == oy and (xx - x0) % r == ox]
                o, lse = _attend(q[t, sl], keys, k, v, sl, scale)
                outs.append(o)
                lses.append(lse)
            mx = max(lses)
            w = [math.exp(l - mx) for l in lses]
            out[t, sl] = sum(wi * oi for wi, oi in zip(w, outs)) / sum(w)
    return out


def dense_attention(q, k, v, rows, cols, heads, levels=None):
    q, k, v = (np.asarray(t, dtype=np.float64) for t in (q, k, v))
    N, D = q.shape
    dh = D // heads
    out = np.zeros((N, D))
    for t in range(N):
        for h in range(heads):
            sl = slice(h * dh, (h + 1) * dh)
            out[t, sl], _ = _attend(q[t, sl], range(N), k, v, sl, dh ** -0.5)
    return out


def as_torch_core(fn):
    """Wraps a brute-force core so DilatedViT.forward(..., mode=core) can use it (float64 torch in/out)."""
    import torch

    def core(q, k, v, rows, cols, heads, levels):
        res = fn(q.detach().double().numpy(), k.detach().double().numpy(), v.detach().double().numpy(),
                 rows, cols, heads, levels)
        return torch.from_numpy(res).to(q.dtype)
    return core


# ----------------------------------------------------------------------------- Model v2, read literally

def to_grid_levels(levels, rows, cols):
    """Level rule "to_grid": start from the config's levels; while the last level's segment s is
    below max(rows, cols), append (2s, 2r) where (s, r) is the current last level."""
    result = [tuple(lv) for lv in levels]
    while result[-1][0] < max(rows, cols):
        s, r = result[-1]
        result = result + [(2 * s, 2 * r)]
    return result


def position_code(rows, cols, dim, code="sincos2d", span=16):
    """(rows·cols, dim) float64. "sincos2d": u = y, v = x; "sincos2d_normalised":
    u = (y + 0.5)·scale − 0.5, v = (x + 0.5)·scale − 0.5, scale = span / max(rows, cols)."""
    F = dim // 4
    out = np.zeros((rows * cols, dim))
    for y in range(rows):
        for x in range(cols):
            if code == "sincos2d":
                u, v = float(y), float(x)
            else:
                scale = span / max(rows, cols)
                u, v = (y + 0.5) * scale - 0.5, (x + 0.5) * scale - 0.5
            for i in range(F):
                w = 1.0 / 10000 ** (i / F)
                out[y * cols + x, i] = math.sin(u * w)
                out[y * cols + x, F + i] = math.cos(u * w)
                out[y * cols + x, 2 * F + i] = math.sin(v * w)
                out[y * cols + x, 3 * F + i] = math.cos(v * w)
    return out


def _layer_norm(x, w, b, eps):
    out = np.zeros_like(x)
    for t in range(x.shape[0]):
        mu = sum(x[t]) / x.shape[1]
        var = sum((x[t] - mu) ** 2) / x.shape[1]
        out[t] = (x[t] - mu) / math.sqrt(var + eps) * w + b
    return out


def _gelu(x):
    return np.vectorize(lambda u: 0.5 * u * (1 + math.erf(u / math.sqrt(2))))(x)


def forward_from_patch_embedding(cfg, state, embedded_patches, rows, cols, mode="dilated"):
    """Whole model after the patch embedding, float64 numpy, plain loops.

    cfg: config dict; state: {name: array} (torch tensors are fine); embedded_patches: (N, D) patch
    embedding without the position code. Returns dict(z, weights, features, logits, token_logits).
    """
    st = {n: np.asarray(t.detach().double().numpy() if hasattr(t, "detach") else t, dtype=np.float64)
          for n, t in state.items()}
    D, H, eps = cfg["dim"], cfg["heads"], cfg.get("layer_norm_eps", 1e-6)
    N, dh = rows * cols, D // H
    x = np.array(embedded_patches, dtype=np.float64) + position_code(
        rows, cols, D, cfg.get("position_code", "sincos2d"), cfg.get("position_span", 16))
    levels = [(lv["segment"], lv["dilation"]) for lv in cfg["levels"]]
    if cfg.get("level_rule", "fixed") == "to_grid":
        levels = to_grid_levels(levels, rows, cols)
    for i in range(cfg["depth"]):
        b = f"blocks.{i}."
        y = _layer_norm(x, st[b + "norm1.weight"], st[b + "norm1.bias"], eps)
        qkv = y @ st[b + "attn.qkv.weight"].T + st[b + "attn.qkv.bias"]
        q, k, v = qkv[:, :D], qkv[:, D:2 * D], qkv[:, 2 * D:]
        if mode == "dense":
            a = dense_attention(q, k, v, rows, cols, H)
        else:
            a = dilated_attention(q, k, v, rows, cols, H, levels)
        x = x + a @ st[b + "attn.proj.weight"].T + st[b + "attn.proj.bias"]
        z = _layer_norm(x, st[b + "norm2.weight"], st[b + "norm2.bias"], eps)
        g = _gelu(z @ st[b + "mlp.fc1.weight"].T + st[b + "mlp.fc1.bias"])
        x = x + g @ st[b + "mlp.fc2.weight"].T + st[b + "mlp.fc2.bias"]
    z = _layer_norm(x, st["norm.weight"], st["norm.bias"], eps)
    weights = np.zeros((N, D))
    if cfg.get("pooling", "mean") == "mean":
        weights[:] = 1.0 / N
    else:
        scores = z @ st["pool.score.weight"].T + st["pool.score.bias"]      # (N, H)
        for h in range(H):
            mx = max(scores[:, h])
            e = [math.exp(scores[t, h] - mx) for t in range(N)]
            for t in range(N):
                for c in range(h * dh, (h + 1) * dh):
                    weights[t, c] = e[t] / sum(e)
    features = np.array([sum(weights[t, c] * z[t, c] for t in range(N)) for c in range(D)])
    head_w, head_b = st["head.weight"], st["head.bias"]
    logits = head_w @ features + head_b
    token_logits = np.array([head_w @ (N * weights[t] * z[t]) + head_b for t in range(N)])
    return {"z": z, "weights": weights, "features": features, "logits": logits, "token_logits": token_logits}


def coarse_view(patches, p, view_rows, view_cols):
    """Model v2 coarse view by plain loops: view pixel (Y, X) of a (view_rows·p × view_cols·p) image is the
    mean of the source image over [Y·ry, (Y+1)·ry) × [X·rx, (X+1)·rx), each source pixel weighted by the
    area it shares with that box. patches: (rows, cols, 3p²) numpy; returns (view_rows, view_cols, 3p²)."""
    rows, cols, _ = patches.shape
    H, W, h, w = rows * p, cols * p, view_rows * p, view_cols * p
    ry, rx = H / h, W / w

    def pixel(y, x, c):
        return patches[y // p, x // p, c * p * p + (y % p) * p + x % p]

    def overlap(a0, a1, b0, b1):
        return max(0.0, min(a1, b1) - max(a0, b0))

    out = np.zeros((view_rows, view_cols, 3 * p * p))
    for Y in range(h):
        ys = [(y, overlap(y, y + 1, Y * ry, (Y + 1) * ry)) for y in range(int(Y * ry), min(H, int((Y + 1) * ry) + 1))]
        for X in range(w):
            xs = [(x, overlap(x, x + 1, X * rx, (X + 1) * rx)) for x in range(int(X * rx), min(W, int((X + 1) * rx) + 1))]
            for c in range(3):
                total = sum(wy * wx * pixel(y, x, c) for y, wy in ys for x, wx in xs)
                out[Y // p, X // p, c * p * p + (Y % p) * p + X % p] = total / (ry * rx)
    return out


def joint_pool(cfg, state, z, zv, rows, cols, view_rows, view_cols):
    """Attention pooling over a grid's final rows z (N, D) and its coarse view's zv (Nv, D) in one softmax
    per head (the view's scores + coarse_view_balance·log(N/Nv)), by loops. Returns dict(features, logits, token_logits)."""
    st = {n: np.asarray(t.detach().double().numpy() if hasattr(t, "detach") else t, dtype=np.float64)
          for n, t in state.items()}
    D, H = cfg["dim"], cfg["heads"]
    N, Nv, dh = rows * cols, view_rows * view_cols, D // H
    rows_all = np.concatenate([z, zv])
    offsets = [0.0] * N + [cfg.get("coarse_view_balance", 0.5) * math.log(N / Nv)] * Nv
    scores = rows_all @ st["pool.score.weight"].T + st["pool.score.bias"]
    weights = np.zeros((N + Nv, D))
    for h in range(H):
        e = [math.exp(scores[t, h] + offsets[t]) for t in range(N + Nv)]
        for t in range(N + Nv):
            weights[t, h * dh:(h + 1) * dh] = e[t] / sum(e)
    features = np.array([sum(weights[t, c] * rows_all[t, c] for t in range(N + Nv)) for c in range(D)])
    head_w, head_b = st["head.weight"], st["head.bias"]
    # Grid token (i, j) hands its share to the view token holding its centre: row ⌊(2i+1)·view_rows / 2rows⌋.
    owner = [((2 * (t // cols) + 1) * view_rows // (2 * rows)) * view_cols + (2 * (t % cols) + 1) * view_cols // (2 * cols)
             for t in range(N)]
    held = [owner.count(u) for u in range(Nv)]
    token_logits = np.array([head_w @ (N * (weights[t] * z[t] + weights[N + owner[t]] * zv[owner[t]] / held[owner[t]]))
                             + head_b for t in range(N)])
    return {"features": features, "logits": head_w @ features + head_b, "token_logits": token_logits}
