"""Times training steps of the PyTorch reference on CPU (forward, backward, clip, AdamW).

Run:  /work/venv/bin/python reference/bench_train_torch.py --batch 64 --side 12 --steps 3 [--threads 2] [--core dilated|dense]
Prints one JSON line: {"impl":"pytorch-train", "batch", "rows", "cols", "core", "s_per_step", "s_best", "img_per_s", ...}.

The model is reference/dilated_vit.py's DilatedViT (same modules and weight names; standard config:
D=192, depth 6, heads 6, patch 8, mlp 4, levels (4,1)(8,2)(16,4)(32,8)), run batched: the Linear
layers see (B, N, D). dilated_vit.py's own attention cores work per image and in place (not
differentiable), so the batched core here is exact dilated attention written as one softmax over
the union of every level's keys: scores + log(count), count(t, u) = how many levels let t see u
(−inf where none), through F.scaled_dot_product_attention; it is checked against
dilated_vit.dilated_attention on one image before timing. --core dense is plain attention (the
the project's original PyTorch experiment). Loss: cross-entropy, label smoothing 0.1; AdamW lr 1e-4, wd 0.05.
"""
import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dilated_vit as dv  # noqa: E402
from bench_torch import bench_config  # noqa: E402


def union_log_counts(rows, cols, heads, levels):
    """(H, N, N) float64: log of the number of levels in which query t selects key u (−inf for none)."""
    ys = torch.arange(rows).repeat_interleave(cols)
    xs = torch.arange(cols).repeat(rows)
    counts = torch.zeros(heads, rows * cols, rows * cols, dtype=torch.float64)
    for s, r in levels:
        same = (ys[:, None] // s == ys[None, :] // s) & (xs[:, None] // s == xs[None, :] // s)
        for h in range(heads):
            j = h % (r * r)
            sel = ((ys % s) % r == j // r) & ((xs % s) % r == j % r)
            counts[h] += (sel[:, None] & sel[None, :] & same).double()
    return counts.log()


def batched_forward(model, patches, rows, cols, mask):
    """patches (B, N, 3p²) -> logits (B, C); mask (H, N, N) additive, or None for dense."""
    B, N, _ = patches.shape
    D, H = model.dim, model.blocks[0].attn.heads
    w = model.patch_embed.proj.weight
    x = F.linear(patches, w.reshape(w.shape[0], -1), model.patch_embed.proj.bias)
    x = x + dv.sincos_2d(rows, cols, D).reshape(N, D)
    for blk in model.blocks:
        q, k, v = blk.attn.qkv(blk.norm1(x)).chunk(3, dim=-1)
        q, k, v = (t.view(B, N, H, D // H).transpose(1, 2) for t in (q, k, v))
        a = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = x + blk.attn.proj(a.transpose(1, 2).reshape(B, N, D))
        x = x + blk.mlp(blk.norm2(x))
    return model.head(model.norm(x).mean(dim=1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--side", type=int, default=12)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--core", choices=["dilated", "dense"], default="dilated")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = bench_config()
    model = dv.DilatedViT(cfg)
    rows = cols = args.side
    N, H = rows * cols, cfg["heads"]
    mask64 = union_log_counts(rows, cols, H, dv.levels_of(cfg)) if args.core == "dilated" else None
    mask = None if mask64 is None else mask64.float()
    if mask is not None:   # the union-softmax core is exactly dilated attention
        q, k, v = (torch.randn(N, cfg["dim"], dtype=torch.float64) for _ in range(3))
        expected = dv.dilated_attention(q, k, v, rows, cols, H, dv.levels_of(cfg))
        got = F.scaled_dot_product_attention(*(t.view(N, H, -1).transpose(0, 1) for t in (q, k, v)),
                                             attn_mask=mask64).transpose(0, 1).reshape(N, -1)
        assert float((got - expected).abs().max()) < 1e-10
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-4)
    patches = torch.randn(args.batch, N, 3 * cfg["patch_size"] ** 2)
    labels = torch.arange(args.batch) % len(cfg["labels"])
    times = []
    for step in range(args.steps + 1):
        start = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(batched_forward(model, patches, rows, cols, mask), labels, label_smoothing=0.1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step > 0:
            times.append(time.perf_counter() - start)
    mean = sum(times) / len(times)
    print(json.dumps({"impl": "pytorch-train", "core": args.core, "batch": args.batch, "rows": rows, "cols": cols,
                      "threads": args.threads, "s_per_step": round(mean, 4), "s_best": round(min(times), 4),
                      "img_per_s": round(args.batch / mean, 1), "img_per_s_best": round(args.batch / min(times), 1),
                      "loadavg_1m": os.getloadavg()[0], "torch": torch.__version__}))


if __name__ == "__main__":
    main()
