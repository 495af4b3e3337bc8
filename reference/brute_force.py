"""Deliberately plain, slow brute-force dilated attention (docs/MODEL.md §5, read literally).

Only for verifying the fast implementation in dilated_vit.py on small grids (see selftest.py).
Loops per token, per head, per level over the FULL grid: segments are s×s tiles from the
top-left (truncated at the borders), and a token is selected by (level, head) when its position
relative to its segment's origin is ≡ (oy, ox) mod r, with j = h mod r², (oy, ox) = (j div r, j mod r).
Inputs/outputs are numpy float64 arrays q, k, v: (N, D), N = rows·cols row-major, heads contiguous.
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
