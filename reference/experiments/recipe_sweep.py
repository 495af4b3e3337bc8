"""Training-recipe sweep on a GPU: the scene model in batched PyTorch, for choosing a recipe
before a Swift run (hours on 2 cores). Not part of the product, and not what ships: the
weights in weights/ come from `dvit train`.

The model is Model v1 with the hMLP or linear patch embedding; its dilated attention is
written as dense attention with bench_train_torch.py's per-head additive bias log(c_ij),
c_ij = the number of levels whose windows hold both query i and key j for that head (−1e4
where none): the level merge Σ_l softmax_l(lse_l)·o_l is one softmax over the union of the
levels' keys counted with multiplicity, so this is exact; `check` compares it with
dilated_vit.py on grids that are and are not multiples of the segments. The
recipe follows `dvit train`'s defaults (AdamW, warm-up + cosine, clip 1, label smoothing 0.1,
random resized crop 0.35–1, flip, colour jitter ±0.2, a random grid of 8–16 patches per
batch), with augmentation on the GPU and a stratified 10% held out (numpy seed 0; not the
Swift split). Optional: random erasing, mixup/cutmix, weight EMA, bf16 autocast (`AMP=1`;
it diverged to NaN at lr 1e-3 in 2026-11-27's sweep, so fp32/TF32 is the default).

  # Photos re-encoded small enough to travel to a GPU machine (under 64 MiB):
  mkdir -p /tmp/small && for d in DATA/*/; do mkdir -p /tmp/small/$(basename $d); \
    mogrify -path /tmp/small/$(basename $d) -resize 128x128! -quality 48 -strip -sampling-factor 4:2:0 $d*; done
  python reference/experiments/recipe_sweep.py pack /tmp/small scenes-128.npz
  python reference/experiments/recipe_sweep.py check                      # CPU; needs torch only
  python reference/experiments/recipe_sweep.py decode scenes-128.npz /tmp/decoded.npz   # needs Pillow
  python reference/experiments/recipe_sweep.py train /tmp/decoded.npz --name base --epochs 30 [--erase 0.25] [--mix 0.8] ...
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # reference/: the model and the log-count bias
from bench_train_torch import union_log_counts  # noqa: E402
from dilated_vit import dilated_attention, sincos_2d  # noqa: E402

LEVELS = [(4, 1), (8, 2), (16, 4), (32, 8)]
DEVICE_TYPE = os.environ.get("DEV", "cuda")   # DEV=cpu for a smoke test
AMP = os.environ.get("AMP", "0") == "1"


def pack(folder, out):
    """One file of the folder's JPEG bytes (one sub-folder per label), labels and offsets."""
    names = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))
    blobs, labels = [], []
    for i, name in enumerate(names):
        for f in sorted(os.listdir(os.path.join(folder, name))):
            with open(os.path.join(folder, name, f), "rb") as fh:
                blobs.append(fh.read())
            labels.append(i)
    offsets = np.cumsum([0] + [len(b) for b in blobs])
    np.savez(out, data=np.frombuffer(b"".join(blobs), dtype=np.uint8), offsets=offsets,
             labels=np.array(labels), names=np.array(names))
    print(f"packed {len(blobs)} photos, {offsets[-1]} bytes")


def decode(packed, cache):
    """Decodes a packed file (below) into uint8 photos (M, 128, 128, 3) with labels."""
    import io
    from concurrent.futures import ThreadPoolExecutor
    from PIL import Image
    z = np.load(packed)
    data, off = z["data"], z["offsets"]

    def load(i):
        blob = io.BytesIO(data[off[i]:off[i + 1]].tobytes())
        return np.asarray(Image.open(blob).convert("RGB").resize((128, 128)), dtype=np.uint8)

    with ThreadPoolExecutor(16) as pool:
        images = np.stack(list(pool.map(load, range(len(off) - 1))))
    np.savez(cache, images=images, labels=z["labels"], names=z["names"])
    print(f"prepared {len(images)} images, labels {list(z['names'])}")


def split(labels, fraction=0.1, seed=0):
    rng = np.random.default_rng(seed)
    train, val = [], []
    for c in np.unique(labels):
        idx = np.flatnonzero(labels == c)
        rng.shuffle(idx)
        k = int(round(len(idx) * fraction))
        val += list(idx[:k])
        train += list(idx[k:])
    return np.array(train), np.array(val)


def level_bias(side, heads, device):
    """(1, H, N, N) additive attention bias: bench_train_torch's log-counts, −1e4 for no level."""
    return union_log_counts(side, side, heads, LEVELS).clamp(min=-1e4).unsqueeze(0).to(device)


class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.norm1, self.norm2 = nn.LayerNorm(dim, eps=1e-6), nn.LayerNorm(dim, eps=1e-6)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.fc1, self.fc2 = nn.Linear(dim, 4 * dim), nn.Linear(4 * dim, dim)

    def forward(self, x, bias):
        B, N, D = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(B, N, 3, self.heads, D // self.heads).permute(2, 0, 3, 1, 4)
        o = F.scaled_dot_product_attention(q, k, v, attn_mask=bias.to(q.dtype))
        x = x + self.proj(o.transpose(1, 2).reshape(B, N, D))
        return x + self.fc2(F.gelu(self.fc1(self.norm2(x))))


class Net(nn.Module):
    def __init__(self, dim, depth, heads, patch, stem, classes):
        super().__init__()
        self.dim = dim
        if stem == "hmlp":
            k = patch.bit_length() - 1
            widths = [3] + [dim // 4] * (k - 1) + [dim]
            self.stem = nn.ModuleList(nn.Conv2d(widths[s], widths[s + 1], 2, 2) for s in range(k))
            self.stem_norms = nn.ModuleList(nn.LayerNorm(widths[s + 1], eps=1e-6) for s in range(k - 1))
        else:
            self.stem = nn.ModuleList([nn.Conv2d(3, dim, patch, patch)])
            self.stem_norms = nn.ModuleList()
        self.blocks = nn.ModuleList(Block(dim, heads) for _ in range(depth))
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, classes)
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02, a=-0.04, b=0.04)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Conv2d):
                nn.init.xavier_uniform_(m.weight.view(m.weight.shape[0], -1))
                nn.init.zeros_(m.bias)
        self.pos = {}

    def forward(self, x, bias):
        for s, conv in enumerate(self.stem):
            x = conv(x)
            if s < len(self.stem_norms):
                x = F.gelu(self.stem_norms[s](x.permute(0, 2, 3, 1))).permute(0, 3, 1, 2)
        B, D, rows, cols = x.shape
        key = (rows, cols)
        if key not in self.pos:
            self.pos[key] = sincos_2d(rows, cols, D).view(1, rows * cols, D).to(x.device)
        x = x.flatten(2).transpose(1, 2) + self.pos[key]
        for blk in self.blocks:
            x = blk(x, bias)
        return self.head(self.norm(x).mean(1))


def augment(x, side_px, a, gen):
    """x: (B, 3, 128, 128) float in [0, 1] on the GPU -> (B, 3, side_px, side_px) normalised."""
    B, dev = x.shape[0], x.device
    u = lambda lo, hi: torch.rand(B, device=dev, generator=gen) * (hi - lo) + lo
    area = u(a.min_area, 1.0)
    ratio = torch.exp(u(math.log(3 / 4), math.log(4 / 3)))
    w = torch.sqrt(area * ratio).clamp(max=1.0)
    h = torch.sqrt(area / ratio).clamp(max=1.0)
    cx = u(0, 1) * (1 - w) * 2 - (1 - w)
    cy = u(0, 1) * (1 - h) * 2 - (1 - h)
    flip = torch.where(torch.rand(B, device=dev, generator=gen) < 0.5, -1.0, 1.0)
    theta = torch.zeros(B, 2, 3, device=dev)
    theta[:, 0, 0], theta[:, 0, 2], theta[:, 1, 1], theta[:, 1, 2] = w * flip, cx, h, cy
    grid = F.affine_grid(theta, (B, 3, 128, 128), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    x = F.interpolate(x, size=(side_px, side_px), mode="bilinear", antialias=True, align_corners=False)
    j = a.jitter
    if j > 0:
        x = x * u(1 - j, 1 + j).view(B, 1, 1, 1)
        gray = (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]).unsqueeze(1)
        x = (x - gray.mean((2, 3), keepdim=True)) * u(1 - j, 1 + j).view(B, 1, 1, 1) + gray.mean((2, 3), keepdim=True)
        gray = (0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]).unsqueeze(1)
        x = (gray + (x - gray) * u(1 - j, 1 + j).view(B, 1, 1, 1)).clamp(0, 1)
    x = (x - 0.5) / 0.5
    if a.erase > 0:
        S = side_px
        ea = u(0.02, 1 / 3) * S * S
        er = torch.exp(u(math.log(0.3), math.log(3.3)))
        eh = torch.sqrt(ea * er).clamp(max=S)
        ew = torch.sqrt(ea / er).clamp(max=S)
        y0 = u(0, 1) * (S - eh)
        x0 = u(0, 1) * (S - ew)
        yy = torch.arange(S, device=dev).view(1, S, 1)
        xx = torch.arange(S, device=dev).view(1, 1, S)
        m = (yy >= y0.view(B, 1, 1)) & (yy < (y0 + eh).view(B, 1, 1)) & (xx >= x0.view(B, 1, 1)) & (xx < (x0 + ew).view(B, 1, 1))
        m = m & (torch.rand(B, device=dev, generator=gen) < a.erase).view(B, 1, 1)
        noise = torch.randn(x.shape, device=dev, generator=gen)
        x = torch.where(m.unsqueeze(1), noise, x)
    return x


def evaluate(model, images, labels, side_px, biases, batch=256):
    model.eval()
    correct = 0
    bias = biases(side_px // 8)
    with torch.no_grad(), torch.autocast(DEVICE_TYPE, dtype=torch.bfloat16, enabled=AMP):
        for i in range(0, len(images), batch):
            x = images[i:i + batch].float() / 255
            if side_px != 128:
                x = F.interpolate(x, size=(side_px, side_px), mode="bilinear", antialias=True, align_corners=False)
            x = (x - 0.5) / 0.5
            correct += (model(x, bias).argmax(1) == labels[i:i + batch]).sum().item()
    model.train()
    return 100.0 * correct / len(images)


def train(a):
    torch.manual_seed(a.seed)
    dev = DEVICE_TYPE
    torch.backends.cuda.matmul.allow_tf32 = True
    data = np.load(a.cache)
    images = torch.from_numpy(data["images"]).permute(0, 3, 1, 2).contiguous().to(dev)
    labels = torch.from_numpy(data["labels"]).long().to(dev)
    tr, va = split(data["labels"])
    tr_t, va_t = torch.from_numpy(tr).to(dev), torch.from_numpy(va).to(dev)
    val_x, val_y = images[va_t], labels[va_t]
    classes = int(labels.max()) + 1
    model = Net(a.dim, a.depth, a.heads, 8, a.stem, classes).to(dev)
    ema = Net(a.dim, a.depth, a.heads, 8, a.stem, classes).to(dev)
    ema.load_state_dict(model.state_dict())
    cache = {}

    def biases(side):
        if side not in cache:
            cache[side] = level_bias(side, a.heads, dev)
        return cache[side]

    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (decay if p.ndim >= 2 else no_decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.wd}, {"params": no_decay, "weight_decay": 0}],
                            lr=a.lr, betas=(0.9, 0.999), fused=DEVICE_TYPE == "cuda")
    steps_per_epoch = math.ceil(len(tr) / a.batch)
    gen = torch.Generator(device=dev)
    gen.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    sides = [int(s) for s in a.sides.split(",")]
    epochs = a.epochs
    start = time.time()
    step = 0
    best = (0.0, 0)
    ema_params = list(ema.parameters())
    params = list(model.parameters())
    print(f"{a.name}: {vars(a)}; {sum(p.numel() for p in params)} parameters; train {len(tr)} val {len(va)}", flush=True)
    for epoch in range(1, 10 ** 6):
        if epoch > epochs:
            break
        t0 = time.time()
        perm = tr_t[torch.randperm(len(tr), device=dev, generator=gen)]
        tot_loss, seen, skipped = 0.0, 0, 0
        for b in range(steps_per_epoch):
            total = epochs * steps_per_epoch
            warm = a.warmup * steps_per_epoch
            if step < warm:
                lr = a.lr * (step + 1) / warm
            else:
                t = (step - warm) / max(1, total - warm)
                lr = a.min_lr + 0.5 * (a.lr - a.min_lr) * (1 + math.cos(math.pi * min(1.0, t)))
            for g in opt.param_groups:
                g["lr"] = lr
            idx = perm[b * a.batch:(b + 1) * a.batch]
            side = int(rng.choice(sides))
            x = augment(images[idx].float() / 255, side * 8, a, gen)
            y = labels[idx]
            B = len(idx)
            target = torch.full((B, classes), a.smoothing / classes, device=dev)
            target.scatter_(1, y.view(B, 1), 1 - a.smoothing + a.smoothing / classes)
            if a.mix and rng.random() < a.mix:
                p = torch.arange(B - 1, -1, -1, device=dev)
                if rng.random() < 0.5:
                    lam = float(rng.beta(0.8, 0.8))
                    x = lam * x + (1 - lam) * x[p]
                else:
                    lam = float(rng.beta(1.0, 1.0))
                    S = side * 8
                    ch, cw = int(S * math.sqrt(1 - lam)), int(S * math.sqrt(1 - lam))
                    cy, cx = rng.integers(S), rng.integers(S)
                    y0, y1 = max(cy - ch // 2, 0), min(cy + ch // 2, S)
                    x0, x1 = max(cx - cw // 2, 0), min(cx + cw // 2, S)
                    x = x.clone()
                    x[:, :, y0:y1, x0:x1] = x[p][:, :, y0:y1, x0:x1]
                    lam = 1 - (y1 - y0) * (x1 - x0) / (S * S)
                target = lam * target + (1 - lam) * target[p]
            with torch.autocast(DEVICE_TYPE, dtype=torch.bfloat16, enabled=AMP):
                logits = model(x, biases(side))
            loss = torch.sum(-target * F.log_softmax(logits.float(), dim=1), dim=1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(params, a.clip if a.clip > 0 else 1e9)
            if not torch.isfinite(norm):
                skipped += 1
                continue
            opt.step()
            with torch.no_grad():
                torch._foreach_lerp_(ema_params, params, 1 - a.ema)
            step += 1
            if b % 10 == 0:
                tot_loss += loss.item()
                seen += 1
        acc = evaluate(model, val_x, val_y, 128, biases)
        eacc = evaluate(ema, val_x, val_y, 128, biases)
        if acc > best[0]:
            best = (acc, epoch)
        dt = time.time() - t0
        print(f"epoch {epoch}/{epochs} loss {tot_loss / max(1, seen):.3f} skipped {skipped} val {acc:.2f} ema {eacc:.2f} lr {lr:.2e} {dt:.1f}s", flush=True)
        if epoch == 2 and a.budget > 0:
            per = (time.time() - start) / 2
            if per * epochs > a.budget:
                epochs = max(3, int(a.budget / per))
                print(f"budget: {per:.1f}s/epoch, epochs cut to {epochs}", flush=True)
    res = {s: evaluate(model, val_x, val_y, s, biases) for s in (96, 128, 192, 256)}
    eres = {s: evaluate(ema, val_x, val_y, s, biases) for s in (96, 128, 192, 256)}
    print(f"RESULT {a.name} epochs {epochs} best {best[0]:.2f}@{best[1]} final {res} ema {eres} "
          f"{time.time() - start:.0f}s", flush=True)


def main():
    if sys.argv[1] in ("pack", "decode"):
        return {"pack": pack, "decode": decode}[sys.argv[1]](sys.argv[2], sys.argv[3])
    if sys.argv[1] == "check":
        return check()
    p = argparse.ArgumentParser()
    p.add_argument("cmd")
    p.add_argument("cache")
    p.add_argument("--name", required=True)
    p.add_argument("--stem", default="hmlp")
    p.add_argument("--dim", type=int, default=192)
    p.add_argument("--depth", type=int, default=6)
    p.add_argument("--heads", type=int, default=6)
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr", type=float, default=1e-5)
    p.add_argument("--wd", type=float, default=0.05)
    p.add_argument("--smoothing", type=float, default=0.1)
    p.add_argument("--clip", type=float, default=1.0)
    p.add_argument("--sides", default="8,10,12,14,16")
    p.add_argument("--min-area", type=float, default=0.35)
    p.add_argument("--jitter", type=float, default=0.2)
    p.add_argument("--erase", type=float, default=0.0, help="random-erasing probability")
    p.add_argument("--mix", type=float, default=0.0, help="share of batches mixed (mixup 0.8 or cutmix 1.0)")
    p.add_argument("--ema", type=float, default=0.999)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--budget", type=float, default=0,
                   help="seconds; if epoch 2 shows the run will not fit, its schedule is shortened to fit")
    train(p.parse_args())


def check():
    """The log-count bias equals the reference's level merge (run on a CPU)."""
    torch.manual_seed(0)
    for side in (8, 10, 12, 16, 20):
        N, H, dh = side * side, 6, 8
        q, k, v = (torch.randn(N, H * dh, dtype=torch.float64) for _ in range(3))
        ref = dilated_attention(q, k, v, side, side, H, LEVELS)
        bias = level_bias(side, H, "cpu").double()
        qh, kh, vh = (t.view(N, H, dh).transpose(0, 1).unsqueeze(0) for t in (q, k, v))
        got = F.scaled_dot_product_attention(qh, kh, vh, attn_mask=bias)[0].transpose(0, 1).reshape(N, H * dh)
        error = float((got - ref).abs().max())
        print(f"{side}×{side}: largest difference {error:.1e}")
        assert error < 1e-12, "the log-count bias does not reproduce the level merge"


if __name__ == "__main__":
    main()
