"""Writes the training fixtures: Tests/DilatedViTTests/Fixtures/reference/train-<case>/.

Run:  /work/venv/bin/python reference/make_grad_fixtures.py      (deterministic, a few seconds, CPU)

Per case: config.json, model.safetensors (random F32 weights), grads.safetensors (F32):
  input.patches (B, rows, cols, 3p²), input.labels (B, as floats), loss (1), logits (B, C),
  grad.<tensor> for every parameter — the gradient of the mean label-smoothed cross-entropy
  (torch.nn.functional.cross_entropy(label_smoothing=ε)), computed by autograd in float64
  through reference/dilated_vit.py's modules with, for dilated cases, a literal masked
  per-level implementation of docs/MODEL.md §5 (per-level lse, softmax merge) as the attention
  core (the fast core in dilated_vit.py works in place and is not differentiable). Checked
  before writing: logits equal dilated_vit.py's own forward (< 1e-12), and central finite
  differences of a few entries of every tensor agree (< 1e-6 relative); metadata label_smoothing.
And adamw.safetensors (F32): two steps of torch.optim.AdamW (float32; decay group = tensors with
≥ 2 dims, weight decay 0.05; no-decay group = biases and LayerNorm parameters) from the stored
weights, each after torch.nn.utils.clip_grad_norm_(max_norm=0.5), with the learning rates of a
warm-up/cosine schedule (peak 1e-3, warm-up 2, total 10, floor 1e-5: steps 0 and 1 give 5e-4,
1e-3). Step 1 uses grad.*, step 2 uses 0.7·grad − 0.01. Tensors step1.<name>, step2.<name>.
"""
import json
import math
import os
import shutil
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dilated_vit as dv  # noqa: E402
from make_fixtures import make_config, random_state  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "DilatedViTTests", "Fixtures", "reference")

# name: (dim, depth, heads, patch, mlp_ratio, levels, (rows, cols), labels, batch labels, mode, smoothing, seed
#        [, patch_embedding])
CASES = {
    "train-dilated": (32, 2, 4, 4, 4, [(2, 1), (4, 2), (8, 4)], (5, 7), ["a", "b", "c"], [2, 0, 1], "dilated", 0.1, 11),
    "train-dense": (16, 1, 2, 2, 2, [(2, 1)], (3, 4), ["a", "b", "c", "d"], [3, 1], "dense", 0.2, 12),
    "train-hmlp": (16, 1, 2, 8, 2, [(2, 1), (4, 2)], (3, 4), ["a", "b", "c"], [2, 0], "dilated", 0.1, 13, "hmlp"),
}


def literal_dilated_attention(q, k, v, rows, cols, heads, levels):
    """DESIGN step 5 read literally with N×N masks: per level softmax + lse, merged by softmax_l(lse_l).

    Masked scores use −1e30 instead of −inf so autograd stays finite (exp underflows to exactly 0).
    """
    N, D = q.shape
    dh = D // heads
    ys = torch.arange(rows).repeat_interleave(cols)
    xs = torch.arange(cols).repeat(rows)
    outs, lses = [], []
    for s, r in levels:
        o_h, l_h = [], []
        for h in range(heads):
            j = h % (r * r)
            oy, ox = j // r, j % r
            sel = ((ys % s) % r == oy) & ((xs % s) % r == ox)
            same = (ys[:, None] // s == ys[None, :] // s) & (xs[:, None] // s == xs[None, :] // s)
            mask = sel[:, None] & sel[None, :] & same
            qh, kh, vh = (t[:, h * dh:(h + 1) * dh] for t in (q, k, v))
            scores = torch.where(mask, qh @ kh.T * dh ** -0.5, torch.full((N, N), -1e30, dtype=q.dtype))
            lse = torch.logsumexp(scores, dim=-1)
            o = torch.exp(scores - lse[:, None]) @ vh
            o_h.append(o)
            l_h.append(torch.where(sel, lse, torch.full_like(lse, -1e30)))
        outs.append(torch.cat(o_h, dim=1))
        lses.append(torch.stack(l_h, dim=1))                 # (N, H)
    lse_all = torch.stack(lses)                              # (L, N, H)
    w = torch.softmax(lse_all, dim=0)                        # weight 0 where a level did not select
    merged = sum(w[i].repeat_interleave(dh, dim=1) * outs[i] for i in range(len(levels)))
    return merged


def loss_and_grads(model, patches, labels, mode, smoothing):
    model.zero_grad()
    logits = torch.stack([model(p, mode) for p in patches])
    loss = F.cross_entropy(logits, labels, label_smoothing=smoothing)
    loss.backward()
    return loss.detach(), logits.detach(), {n: p.grad.detach().clone() for n, p in model.named_parameters()}


def adamw_steps(stored, grads):
    params = {n: t.clone().float().requires_grad_(True) for n, t in stored.items()}
    decay = [p for n, p in params.items() if p.ndim >= 2]
    no_decay = [p for n, p in params.items() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.999), eps=1e-8, foreach=False)

    def schedule(step, peak=1e-3, warmup=2, total=10, floor=1e-5):
        if step < warmup:
            return peak * (step + 1) / warmup
        progress = min(1.0, (step - warmup) / (total - warmup))
        return floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * progress))

    result = {}
    for step, scale in ((0, None), (1, 0.7)):
        for n, p in params.items():
            g = grads[n].float()
            p.grad = g.clone() if scale is None else (g * scale - 0.01)
        torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm=0.5)
        for group in opt.param_groups:
            group["lr"] = schedule(step)
        opt.step()
        result.update({f"step{step + 1}.{n}": p.detach().clone() for n, p in params.items()})
    return result


def build_case(name, spec):
    dim, depth, heads, patch, mlp_ratio, levels, (rows, cols), labels, batch_labels, mode, smoothing, seed, *embedding = spec
    cfg = make_config(dim, depth, heads, patch, mlp_ratio, levels, (rows, cols), labels, *embedding)
    cfg["attention"] = mode
    gen = torch.Generator().manual_seed(2000 + seed)
    model = dv.DilatedViT(cfg)
    stored = random_state(model, gen, torch.float32)
    model = model.double()
    model.load_state_dict({n: t.double() for n, t in stored.items()}, strict=True)
    B = len(batch_labels)
    patches = torch.randn(B, rows, cols, 3 * patch * patch, generator=gen)
    labels_t = torch.tensor(batch_labels)

    core = literal_dilated_attention if mode == "dilated" else "dense"
    loss, logits, grads = loss_and_grads(model, patches.double(), labels_t, core, smoothing)
    with torch.no_grad():
        fast = torch.stack([model(p, mode) for p in patches.double()])
        assert float((fast - logits).abs().max()) < 1e-12, name
        params = dict(model.named_parameters())
        worst = 0.0
        for n, p in params.items():
            flat, gflat = p.view(-1), grads[n].view(-1)
            for i in sorted({0, flat.numel() // 2, flat.numel() - 1}):
                old = float(flat[i])
                vals = []
                for h in (1e-6, -1e-6):
                    flat[i] = old + h
                    lg = torch.stack([model(x, mode) for x in patches.double()])
                    vals.append(float(F.cross_entropy(lg, labels_t, label_smoothing=smoothing)))
                flat[i] = old
                fd = (vals[0] - vals[1]) / 2e-6
                scale = max(float(gflat.abs().max()), 1e-6)
                worst = max(worst, abs(fd - float(gflat[i])) / scale)
        assert worst < 1e-6, (name, worst)

    out = {"input.patches": patches, "input.labels": labels_t.double(), "loss": loss.reshape(1), "logits": logits}
    out.update({f"grad.{n}": g for n, g in grads.items()})
    out = {k: v.to(torch.float32).contiguous() for k, v in out.items()}
    d = os.path.join(OUT, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as fh:
        json.dump(cfg, fh, indent=1)
        fh.write("\n")
    save_file(stored, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
    save_file(out, os.path.join(d, "grads.safetensors"),
              metadata={"generator": "reference/make_grad_fixtures.py", "label_smoothing": str(smoothing)})
    adam = adamw_steps(stored, {n: out[f"grad.{n}"] for n in stored})
    save_file({k: v.contiguous() for k, v in adam.items()}, os.path.join(d, "adamw.safetensors"),
              metadata={"generator": "reference/make_grad_fixtures.py"})
    print(f"{name}: loss {float(loss):.6f}, {len(grads)} gradients, grad norm "
          f"{math.sqrt(sum(float((g ** 2).sum()) for g in grads.values())):.4f}")


def main():
    """All cases, or only those named on the command line."""
    torch.set_num_threads(1)
    chosen = sys.argv[1:] or list(CASES)
    unknown = sorted(set(chosen) - set(CASES))
    assert not unknown, f"unknown cases {unknown}; known: {list(CASES)}"
    for name, spec in ((n, CASES[n]) for n in chosen):
        shutil.rmtree(os.path.join(OUT, name), ignore_errors=True)
        build_case(name, spec)


if __name__ == "__main__":
    main()
