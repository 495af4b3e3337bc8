"""PyTorch reference of DilatedViT Model v1 and Model v2 (see docs/MODEL.md, reference/README.md).

For tests (fixtures) and benchmarks only; the Swift engine never needs it at runtime.

Conventions (the shared contract with the Swift engine):
- The model input is a *patch grid*: a float tensor (rows, columns, 3·p·p) whose per-token
  features are in (channel, y-in-patch, x-in-patch) order, i.e. the flattening of the
  Conv2d weight (D, 3, p, p); pixels already normalised. Token t = (y, x) has index y·columns + x.
- A single image (no batch dimension).
- Tensor names follow docs/MODEL.md: patch_embed.proj.*, blocks.{i}.norm1/attn.qkv/attn.proj/
  norm2/mlp.fc1/mlp.fc2.*, norm.*, head.*. The position code is computed, never stored.
- patch_embedding "hmlp" (docs/MODEL.md §4.1) replaces patch_embed.* by the hierarchical-MLP
  stem stem.{s}.weight/bias (Conv2d, kernel 2, stride 2) and stem.{s}.norm.* (all but the last).
- Model v2 (config "format": "dilatedvit-v2") adds three named options, each defaulting to v1:
  level_rule "fixed" | "to_grid" (grid_levels), position_code "sincos2d" | "sincos2d_normalised" with
  position_span (position_scale), pooling "mean" | "attention" (tensors pool.score.weight (H, D),
  pool.score.bias (H)), and coarse_view_tokens (0 | a budget; needs attention pooling: a grid with more
  tokens is read beside its area-averaged view, pooled in one softmax, the view's scores raised by
  coarse_view_balance·log(N/Nv), balance in [0, 1], default 0.5; coarse_view, MODEL.md §9.4).
  A v1 config computes exactly what it computed before.
"""
from __future__ import annotations

import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

FORMAT = "dilatedvit-v1"
FORMAT_V2 = "dilatedvit-v2"
LEVEL_RULES = ("fixed", "to_grid")
POSITION_CODES = ("sincos2d", "sincos2d_normalised")
POOLINGS = ("mean", "attention")


# ----------------------------------------------------------------------------- config

def validate_config(cfg: dict) -> dict:
    """Checks a config dict against docs/MODEL.md's rules; returns it. Raises ValueError naming the problem."""
    def need(cond, msg):
        if not cond:
            raise ValueError(f"config: {msg}")
    fmt = cfg.get("format")        # absent: inferred (self-test configs); present: must be v1 or v2
    need(fmt in (None, FORMAT, FORMAT_V2), f"format {fmt!r} is not one of {[FORMAT, FORMAT_V2]}")
    for key in ("dim", "depth", "heads", "patch_size", "mlp_ratio", "levels", "labels"):
        need(key in cfg, f"missing key {key!r}")
    D, H = cfg["dim"], cfg["heads"]
    need(D > 0 and H > 0 and D % H == 0, f"dim {D} is not a multiple of heads {H}")
    need(D % 4 == 0, f"dim {D} is not a multiple of 4 (2D sin-cos code needs F = D/4)")
    need(cfg["patch_size"] > 0 and cfg["depth"] >= 0, "patch_size/depth")
    embedding = cfg.get("patch_embedding", "linear")
    need(embedding in ("linear", "hmlp"), f"patch_embedding {embedding!r}")
    p = cfg["patch_size"]
    need(embedding != "hmlp" or (p >= 4 and p & (p - 1) == 0), f"patch_size {p}: hmlp needs a power of two >= 4")
    need(len(cfg["labels"]) > 0, "no labels")
    levels = cfg["levels"]
    need(len(levels) > 0, "no levels")
    for lv in levels:
        s, r = lv["segment"], lv["dilation"]
        need(s > 0 and r > 0 and s % r == 0, f"level {lv}: segment must be a positive multiple of dilation")
    need(any(lv["dilation"] == 1 for lv in levels), "no level has dilation 1, so some tokens get no attention")
    need(cfg.get("attention", "dilated") in ("dilated", "dense"), f"attention {cfg.get('attention')!r}")
    need(cfg.get("level_rule", "fixed") in LEVEL_RULES, f"level_rule {cfg.get('level_rule')!r} not in {LEVEL_RULES}")
    need(cfg.get("position_code", "sincos2d") in POSITION_CODES,
         f"position_code {cfg.get('position_code')!r} not in {POSITION_CODES}")
    span = cfg.get("position_span", 16)
    need(isinstance(span, int) and not isinstance(span, bool) and span > 0, f"position_span {span!r}: a positive int")
    need(cfg.get("pooling", "mean") in POOLINGS, f"pooling {cfg.get('pooling')!r} not in {POOLINGS}")
    view = cfg.get("coarse_view_tokens", 0)
    need(isinstance(view, int) and not isinstance(view, bool) and view >= 0, f"coarse_view_tokens {view!r}: an int >= 0")
    need(view == 0 or cfg.get("pooling") == "attention", "coarse_view_tokens needs pooling 'attention'")
    balance = cfg.get("coarse_view_balance", 0.5)
    need(isinstance(balance, (int, float)) and 0 <= balance <= 1, f"coarse_view_balance {balance!r}: a number in [0, 1]")
    v2 = version2_keys(cfg)
    need(not (fmt == FORMAT and v2), f"{v2[0] if v2 else ''} needs format {FORMAT_V2!r} (config says {fmt!r})")
    return cfg


def version2_keys(cfg: dict) -> list[str]:
    """The config keys set to a Model v2 value (any of them needs format dilatedvit-v2)."""
    return ([k for k, v1 in (("level_rule", "fixed"), ("position_code", "sincos2d"), ("pooling", "mean"),
                             ("coarse_view_tokens", 0))
             if cfg.get(k, v1) != v1])


def config_format(cfg: dict) -> str:
    """The format string a config must carry: v2 exactly when a v2 option is used."""
    return FORMAT_V2 if version2_keys(cfg) else FORMAT


def levels_of(cfg: dict) -> list[tuple[int, int]]:
    """The config's levels as listed (the v1 levels; under level_rule "to_grid", the start of grid_levels)."""
    return [(lv["segment"], lv["dilation"]) for lv in cfg["levels"]]


def grid_levels(levels, level_rule: str, rows: int, cols: int) -> list[tuple[int, int]]:
    """Model v2 level rule. "fixed": exactly `levels`. "to_grid": while the last level's segment s is
    below max(rows, cols), append (2s, 2r) with (s, r) the current last level (window side s/r kept)."""
    out = [tuple(lv) for lv in levels]
    if level_rule == "fixed":
        return out
    assert level_rule == "to_grid", level_rule
    side = max(rows, cols)
    while out[-1][0] < side:
        s, r = out[-1]
        out.append((2 * s, 2 * r))
    return out


def position_scale(cfg: dict, rows: int, cols: int) -> float:
    """Coordinate scale of the position code: 1 ("sincos2d"), position_span / max(rows, cols) ("sincos2d_normalised")."""
    if cfg.get("position_code", "sincos2d") == "sincos2d":
        return 1.0
    return cfg.get("position_span", 16) / max(rows, cols)


# ----------------------------------------------------------------------------- position code

def sincos_2d(rows: int, cols: int, dim: int, dtype=torch.float32, scale: float = 1.0) -> torch.Tensor:
    """DESIGN step 3: F = D/4, ω_i = 1/10000^(i/F); code(y, x) = [sin(uω), cos(uω), sin(vω), cos(vω)]
    with u = y, v = x (scale 1: v1 "sincos2d"), else u = (y + ½)·scale − ½, v = (x + ½)·scale − ½
    (v2 "sincos2d_normalised", scale = position_span / max(rows, cols), see position_scale).

    Returns (rows, cols, dim). Computed in float64, then cast.
    """
    Fq = dim // 4
    omega = 1.0 / (10000.0 ** (torch.arange(Fq, dtype=torch.float64) / Fq))
    uy, ux = torch.arange(rows, dtype=torch.float64), torch.arange(cols, dtype=torch.float64)
    if scale != 1.0:
        uy, ux = (uy + 0.5) * scale - 0.5, (ux + 0.5) * scale - 0.5
    ay = uy[:, None] * omega  # (rows, F)
    ax = ux[:, None] * omega  # (cols, F)
    code = torch.cat([
        torch.sin(ay)[:, None, :].expand(rows, cols, Fq),
        torch.cos(ay)[:, None, :].expand(rows, cols, Fq),
        torch.sin(ax)[None, :, :].expand(rows, cols, Fq),
        torch.cos(ax)[None, :, :].expand(rows, cols, Fq),
    ], dim=-1)
    return code.to(dtype)


# ----------------------------------------------------------------------------- attention cores
# All cores take q, k, v as (N, D) with N = rows·cols tokens in row-major order and D = H·dh
# (head h = features [h·dh, (h+1)·dh)), and return (N, D). No projections here.

_FLASH_CPU = getattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu", None)


def _window_attention(q, k, v, key_bias, scale, use_fused):
    """Dense attention inside each window. q, k, v: (B1, B2, T, dh); key_bias: (B1, B2, 1, T) of 0/-inf, or None.

    Returns (out (B1, B2, T, dh), lse (B1, B2, T)), lse = logsumexp of the scaled scores over valid keys.
    Rows whose keys are all padding (only padding-slot queries, whose results the caller discards)
    give lse = -inf.
    """
    if use_fused:
        # PyTorch's fused CPU flash kernel returns the log-sum-exp too (private op).
        return _FLASH_CPU(q, k, v, 0.0, False, attn_mask=key_bias, scale=scale)
    scores = torch.matmul(q, k.transpose(-1, -2)).mul_(scale)          # (B1, B2, T, T)
    if key_bias is not None:
        scores.add_(key_bias)
    mx = scores.amax(dim=-1, keepdim=True)
    mx = torch.where(torch.isfinite(mx), mx, torch.zeros_like(mx))     # all-masked rows: avoid inf - inf
    den = scores.sub_(mx).exp_().sum(dim=-1, keepdim=True)
    out = torch.matmul(scores.div_(den), v)
    return out, (mx + den.log()).squeeze(-1)


class _LevelIndex:
    """Token indices of every (head, window) of one level (s, r) on a rows×cols grid.

    Head h uses offset j = h mod r², (oy, ox) = (j div r, j mod r). Segment origins are multiples of s
    (hence of r), so its selected tokens are the sub-lattice y ≡ oy, x ≡ ox (mod r), cut into m×m
    windows (m = s/r), one per s×s segment: window (wy, wx), slot (a, b) holds the token
    y = wy·s + a·r + oy, x = wx·s + b·r + ox. Slots outside the grid (truncated border segments) are
    padding: `valid` is False there, `src` points them at token 0 (harmless: masked as keys, dropped
    as queries) and `dst` at a dummy row N that the caller discards. All heads at once: (H, windows, m²).
    """

    def __init__(self, rows, cols, H, s, r, device):
        m = s // r
        Ry, Cx = -(-rows // s), -(-cols // s)
        h = torch.arange(H, device=device)
        oy, ox = (h % (r * r)) // r, h % r
        y = (torch.arange(Ry, device=device)[:, None] * s + torch.arange(m, device=device) * r) + oy[:, None, None]
        x = (torch.arange(Cx, device=device)[:, None] * s + torch.arange(m, device=device) * r) + ox[:, None, None]
        y, x = y[:, :, None, :, None], x[:, None, :, None, :]          # (H, Ry, 1, m, 1), (H, 1, Cx, 1, m)
        valid = (y < rows) & (x < cols)                                # (H, Ry, Cx, m, m)
        flat = y * cols + x
        shape = (H, Ry * Cx, m * m)
        self.all_valid = bool(valid.all())
        self.valid = valid.reshape(shape)
        self.src = torch.where(valid, flat, 0).reshape(shape)
        self.dst = torch.where(valid, flat, rows * cols).reshape(shape)
        self.h = h.view(H, 1, 1)

    def gather(self, t):
        """t: (N[+1], H, ...) -> (H, windows, m², ...) (a copy)."""
        return t[self.src, self.h]

    def put(self, t, values):
        """Inverse of gather into t: (N+1, H, ...), in place; padding slots land in row N."""
        t[self.dst, self.h] = values


class _Lattice:
    """Same interface as _LevelIndex, for a grid whose sides are multiples of s (no padding): pure views.

    y = w·s + a·r + o (segment w, slot a < m, offset o < r), so the (rows, cols, H, ...) grid views
    without copying as (oy, ox, H, Ry, Cx, a, b, ...); head h keeps [oy_h, ox_h, h]. Faster than
    flat token indices (structured copies; a plain view + one copy for r = 1).
    """

    def __init__(self, rows, cols, H, s, r, device):
        self.rows, self.cols, self.H, self.r, self.m = rows, cols, H, r, s // r
        self.Ry, self.Cx = rows // s, cols // s
        h = torch.arange(H, device=device)
        self.h, self.oy, self.ox = h, (h % (r * r)) // r, h % r
        self.all_valid = True

    def _view(self, t):
        rest = t.shape[2:]
        t = t[: self.rows * self.cols].view(self.Ry, self.m, self.r, self.Cx, self.m, self.r, self.H, *rest)
        w = t.permute(2, 5, 6, 0, 3, 1, 4, *range(7, 7 + len(rest)))     # (oy, ox, H, Ry, Cx, a, b, ...)
        return w[0, 0] if self.r == 1 else w, t.shape[7:]

    def gather(self, t):
        w, rest = self._view(t)
        g = w if self.r == 1 else w[self.oy, self.ox, self.h]             # (H, Ry, Cx, a, b, ...)
        return g.reshape(self.H, self.Ry * self.Cx, self.m * self.m, *rest)

    def put(self, t, values):
        w, rest = self._view(t)
        vals = values.reshape(self.H, self.Ry, self.Cx, self.m, self.m, *rest)
        if self.r == 1:
            w.copy_(vals)
        else:
            w[self.oy, self.ox, self.h] = vals


def dilated_attention(q, k, v, rows: int, cols: int, heads: int, levels, use_fused: bool = False):
    """DESIGN step 5: all levels, merged per (token, head) by o = Σ softmax_l(lse_l)·o_l.

    q, k, v: (N, D). Returns (N, D).
    Each level gathers all its (head, window) problems with one index per tensor (_LevelIndex, or the
    copy-light _Lattice views when the grid sides are multiples of the segment), runs
    masked dense attention over them in one batched call (padded keys get −inf), and merges into a
    running (o, lse) *only at the (token, head) pairs it selected* (unselected pairs have weight
    exp(−inf) = 0, i.e. are left untouched). A dilation-1 level covers every token, so it goes first
    and initialises the running state; merging a further level is o ← lerp(o, o_l, σ(lse_l − lse)),
    lse ← logaddexp(lse, lse_l): the softmax-over-levels weighting done incrementally.
    """
    N, D = q.shape
    H, dh = heads, D // heads
    scale = dh ** -0.5
    order = sorted(levels, key=lambda sr: sr[1] != 1)   # a dilation-1 level first (stable otherwise)
    assert order[0][1] == 1, "dilated_attention needs a level with dilation 1"
    # Default: explicit batched matmuls. On 2 CPU threads they beat the fused flash kernel for these tiny
    # (m² = 16-token) windows (≈52 vs ≈60 ms per layer at 128×128 tokens, D=192, 4 levels).
    use_fused = bool(use_fused) and _FLASH_CPU is not None
    qh, kh, vh = (t.reshape(N, H, dh) for t in (q, k, v))
    acc_o = q.new_empty(N + 1, H, dh)                  # row N: dummy target of padding slots
    acc_l = q.new_empty(N + 1, H)
    for i, (s, r) in enumerate(order):
        # A segment larger than the grid is one truncated segment either way: shrink it (exact) so that
        # windows are not mostly padding.
        s = min(s, -(-max(rows, cols) // r) * r)
        aligned = rows % s == 0 and cols % s == 0
        idx = (_Lattice if aligned else _LevelIndex)(rows, cols, H, s, r, q.device)
        key_bias = None
        if not idx.all_valid:
            key_bias = torch.zeros(idx.valid.shape, dtype=q.dtype, device=q.device)
            key_bias = key_bias.masked_fill_(~idx.valid, float("-inf")).unsqueeze(2)   # (H, B, 1, m²)
        o, lse = _window_attention(idx.gather(qh), idx.gather(kh), idx.gather(vh), key_bias, scale, use_fused)
        if i > 0:                                      # merge with the running state
            a_o, a_l = idx.gather(acc_o), idx.gather(acc_l)
            o = torch.lerp(a_o, o, torch.sigmoid(lse - a_l).unsqueeze(-1))
            lse = torch.logaddexp(a_l, lse)
        idx.put(acc_o, o)
        idx.put(acc_l, lse)
    return acc_o[:N].reshape(N, D)


def dense_attention(q, k, v, rows: int, cols: int, heads: int, levels=None):
    """Plain softmax attention over all tokens (comparison mode), via scaled_dot_product_attention."""
    N, D = q.shape
    dh = D // heads
    qh, kh, vh = (t.view(N, heads, dh).transpose(0, 1) for t in (q, k, v))   # (H, N, dh)
    out = F.scaled_dot_product_attention(qh, kh, vh, scale=dh ** -0.5)
    return out.transpose(0, 1).reshape(N, D)


# ----------------------------------------------------------------------------- modules

class PatchEmbed(nn.Module):
    def __init__(self, patch_size: int, dim: int):
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(3, dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        """(rows, cols, 3p²) patch grid -> (rows, cols, D): a Linear with the weight viewed as (D, 3p²)."""
        w = self.proj.weight
        return F.linear(patches, w.reshape(w.shape[0], -1), self.proj.bias)

    def embed_image(self, image: torch.Tensor) -> torch.Tensor:
        """(3, H, W) normalised image -> (rows, cols, D) with the Conv2d itself (for cross-checking)."""
        return self.proj(image[None])[0].permute(1, 2, 0)


class StemStage(nn.Conv2d):
    """One hMLP stem stage: Conv2d(kernel 2, stride 2), i.e. one Linear per non-overlapping 2×2 block,
    then (all stages but the last) LayerNorm over channels and exact GELU.

    Subclassing Conv2d keeps the tensor names stem.{s}.weight/bias beside stem.{s}.norm.weight/bias.
    """

    def __init__(self, cin: int, cout: int, normalised: bool, eps: float):
        super().__init__(cin, cout, kernel_size=2, stride=2)
        self.norm = nn.LayerNorm(cout, eps=eps) if normalised else None

    def forward(self, x):
        """(B, cin, S, S) -> (B, cout, S/2, S/2)."""
        x = super().forward(x)
        if self.norm is not None:
            x = F.gelu(self.norm(x.permute(0, 2, 3, 1)), approximate="none").permute(0, 3, 1, 2)
        return x


def hmlp_stem(patch_size: int, dim: int, eps: float) -> nn.ModuleList:
    """log2(p) stages, widths 3 -> D/4 -> ... -> D/4 -> D (docs/MODEL.md §4.1)."""
    k = patch_size.bit_length() - 1
    widths = [3] + [dim // 4] * (k - 1) + [dim]
    return nn.ModuleList(StemStage(widths[s], widths[s + 1], s < k - 1, eps) for s in range(k))


def image_to_patch_grid(image: torch.Tensor, p: int) -> torch.Tensor:
    """(3, H, W) normalised image, H and W multiples of p -> (H/p, W/p, 3p²) in (c, y, x) order."""
    C, Hh, Ww = image.shape
    assert C == 3 and Hh % p == 0 and Ww % p == 0, f"image {tuple(image.shape)} vs patch {p}"
    rows, cols = Hh // p, Ww // p
    return image.reshape(3, rows, p, cols, p).permute(1, 3, 0, 2, 4).reshape(rows, cols, 3 * p * p)


def patch_grid_to_image(patches: torch.Tensor) -> torch.Tensor:
    """The inverse of image_to_patch_grid: (rows, cols, 3p²) -> (3, rows·p, cols·p)."""
    rows, cols, f = patches.shape
    p = math.isqrt(f // 3)
    return patches.reshape(rows, cols, 3, p, p).permute(2, 0, 3, 1, 4).reshape(3, rows * p, cols * p)


def working_grid(width: int, height: int, p: int, max_tokens: int) -> tuple[int, int]:
    """(rows, cols) of Swift's WorkingResolution without upscaling: the largest scale k ≤ 1 whose grid
    (each side round(side·k/p) patches, clamped to [1, side div p]) has at most max_tokens tokens."""
    cap_r, cap_c = max(1, height // p), max(1, width // p)

    def grid(k):
        def side(pixels, cap):
            patches = math.floor(pixels * k / p + 0.5)     # Swift's rounded(): half away from zero
            return cap if patches >= cap else max(1, patches)
        return side(height, cap_r), side(width, cap_c)

    lo, hi = 0.0, min((math.sqrt(max_tokens) + 1) * p / min(width, height) * 2, 1.0)
    top = grid(hi)
    if top[0] * top[1] <= max_tokens:
        return top
    for _ in range(200):
        if not hi - lo > 1e-15 * hi:
            break
        mid = (lo + hi) / 2
        r, c = grid(mid)
        if r * c <= max_tokens:
            lo = mid
        else:
            hi = mid
    return grid(lo)


def area_matrix(source: int, target: int, dtype=torch.float64) -> torch.Tensor:
    """(target, source) area-averaging weights: target pixel t covers [t·r, (t+1)·r), r = source/target,
    and takes each source pixel [s, s+1) with weight overlap / r."""
    r = source / target
    t = torch.arange(target, dtype=dtype).view(-1, 1)
    s = torch.arange(source, dtype=dtype).view(1, -1)
    return (torch.minimum(s + 1, (t + 1) * r) - torch.maximum(s, t * r)).clamp(min=0) / r


def coarse_view(patches: torch.Tensor, budget: int):
    """Model v2 coarse view (MODEL.md §9.4): None when the grid has at most `budget` tokens (or budget 0);
    else the grid's image area-averaged to working_grid(…, budget) patches, as a patch grid."""
    rows, cols, f = patches.shape
    if budget == 0 or rows * cols <= budget:
        return None
    p = math.isqrt(f // 3)
    vr, vc = working_grid(cols * p, rows * p, p, budget)
    image = patch_grid_to_image(patches)
    ay, ax = area_matrix(rows * p, vr * p, patches.dtype), area_matrix(cols * p, vc * p, patches.dtype)
    return image_to_patch_grid(ay @ image @ ax.T, p)


def normalize_rgb8(rgb: torch.Tensor, mean, std) -> torch.Tensor:
    """DESIGN step 1: (H, W, 3) uint8 -> (3, H, W) float, (x/255 − mean)/std per channel."""
    x = rgb.permute(2, 0, 1).to(torch.float32) / 255.0
    return (x - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, levels):
        super().__init__()
        self.heads, self.levels = heads, levels
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x, rows, cols, core, levels=None):
        """levels: the grid's levels (Model v2 level rule); None = the config's levels."""
        q, k, v = self.qkv(x).chunk(3, dim=-1)          # [q | k | v], each D wide
        return self.proj(core(q, k, v, rows, cols, self.heads, self.levels if levels is None else levels))


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate="none"))   # exact (erf) GELU


class Block(nn.Module):
    def __init__(self, dim, heads, levels, mlp_ratio, eps):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=eps)
        self.attn = Attention(dim, heads, levels)
        self.norm2 = nn.LayerNorm(dim, eps=eps)
        self.mlp = Mlp(dim, int(mlp_ratio * dim))

    def forward(self, x, rows, cols, core, levels=None):
        x = x + self.attn(self.norm1(x), rows, cols, core, levels)
        return x + self.mlp(self.norm2(x))


class AttentionPool(nn.Module):
    """Model v2 pooling "attention": scores S = z·Wᵀ + b (N × H) from the final-LayerNorm rows z;
    a[:, h] = softmax over the N tokens of S[:, h]; channel c (head h(c) = c div dh) is pooled with a[:, h(c)]."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.score = nn.Linear(dim, heads)

    def channel_weights(self, z):
        """(N, D) final-LayerNorm rows -> (N, D) weights w_t[c] = a[t, c div dh]; each column sums to 1."""
        a = torch.softmax(self.score(z), dim=0)                        # (N, H), softmax over tokens
        return a.repeat_interleave(z.shape[1] // self.heads, dim=1)


class DilatedViT(nn.Module):
    def __init__(self, config: dict):
        super().__init__()
        cfg = validate_config(dict(config))
        self.config = cfg
        D, eps = cfg["dim"], cfg.get("layer_norm_eps", 1e-6)
        self.dim, self.patch_size = D, cfg["patch_size"]
        self.levels = levels_of(cfg)
        self.mode = cfg.get("attention", "dilated")
        self.patch_embedding = cfg.get("patch_embedding", "linear")
        if self.patch_embedding == "hmlp":
            self.stem = hmlp_stem(self.patch_size, D, eps)
        else:
            self.patch_embed = PatchEmbed(self.patch_size, D)
        self.blocks = nn.ModuleList(
            Block(D, cfg["heads"], self.levels, cfg["mlp_ratio"], eps) for _ in range(cfg["depth"]))
        self.norm = nn.LayerNorm(D, eps=eps)
        self.head = nn.Linear(D, len(cfg["labels"]))
        # Model v2 options (defaults = v1). pool.* exists only with attention pooling.
        self.level_rule = cfg.get("level_rule", "fixed")
        self.pooling = cfg.get("pooling", "mean")
        if self.pooling == "attention":
            self.pool = AttentionPool(D, cfg["heads"])

    def grid_levels(self, rows: int, cols: int) -> list[tuple[int, int]]:
        """The dilated-attention levels of a rows×cols grid under the config's level rule."""
        return grid_levels(self.levels, self.level_rule, rows, cols)

    def _core(self, mode):
        mode = mode or self.mode
        if callable(mode):          # e.g. brute_force.dilated_attention in the self-test
            return mode
        return {"dilated": dilated_attention, "dense": dense_attention}[mode]

    def embed(self, patches: torch.Tensor) -> torch.Tensor:
        """Patch embedding + position code: (rows, cols, 3p²) -> (N, D)."""
        rows, cols, f = patches.shape
        assert f == 3 * self.patch_size ** 2, f"patch grid has {f} features, expected 3·{self.patch_size}²"
        code = sincos_2d(rows, cols, self.dim, patches.dtype, position_scale(self.config, rows, cols))
        x = self._embed_patches(patches) + code.to(patches.device)
        return x.reshape(rows * cols, self.dim)

    def _embed_patches(self, patches: torch.Tensor) -> torch.Tensor:
        """(rows, cols, 3p²) -> (rows, cols, D), without the position code."""
        if self.patch_embedding == "linear":
            return self.patch_embed(patches)
        rows, cols, _ = patches.shape
        x = patches.reshape(rows * cols, 3, self.patch_size, self.patch_size)   # one image per patch
        for stage in self.stem:
            x = stage(x)
        return x.reshape(rows, cols, self.dim)

    def forward_tokens(self, patches: torch.Tensor, mode=None) -> torch.Tensor:
        """The final-LayerNorm rows z (N, D). Dilated mode runs over grid_levels(rows, cols); the dense
        core ignores levels (dense = the single level (max(rows, cols), 1), no level rule)."""
        rows, cols, _ = patches.shape
        core = self._core(mode)
        levels = self.grid_levels(rows, cols)
        x = self.embed(patches)
        for blk in self.blocks:
            x = blk(x, rows, cols, core, levels)
        return self.norm(x)

    def view_tokens(self, patches: torch.Tensor, mode=None):
        """The coarse view's final-LayerNorm rows (Nv, D), or None when the grid has no view."""
        view = coarse_view(patches, self.config.get("coarse_view_tokens", 0))
        return None if view is None else self.forward_tokens(view, mode)

    def joint_weights(self, z: torch.Tensor, zv: torch.Tensor):
        """Attention pooling over the grid's rows z (N, D) and the view's zv (Nv, D) in one softmax per head,
        the view's scores raised by coarse_view_balance·log(N / Nv): channel weights (N, D) and (Nv, D)."""
        n, nv = z.shape[0], zv.shape[0]
        offset = self.config.get("coarse_view_balance", 0.5) * math.log(n / nv)
        scores = torch.cat([self.pool.score(z), self.pool.score(zv) + offset])
        a = torch.softmax(scores, dim=0).repeat_interleave(z.shape[1] // self.pool.heads, dim=1)
        return a[:n], a[n:]

    def pool_weights(self, z: torch.Tensor) -> torch.Tensor:
        """(N, D) per-token, per-channel pooling weights w (f = Σ_t w_t ⊙ z_t): 1/N (mean) or a[t, c div dh]."""
        if self.pooling == "mean":
            return torch.full_like(z, 1.0 / z.shape[0])
        return self.pool.channel_weights(z)

    def pool_tokens(self, z: torch.Tensor) -> torch.Tensor:
        if self.pooling == "mean":
            return z.mean(dim=0)                   # v1, exactly as before
        return (self.pool_weights(z) * z).sum(dim=0)

    def forward_features(self, patches: torch.Tensor, mode=None) -> torch.Tensor:
        """Pooled feature vector (D,) before the head."""
        z, zv = self.forward_tokens(patches, mode), self.view_tokens(patches, mode)
        if zv is None:
            return self.pool_tokens(z)
        w, wv = self.joint_weights(z, zv)
        return (w * z).sum(dim=0) + (wv * zv).sum(dim=0)

    def token_logits(self, patches: torch.Tensor, mode=None) -> torch.Tensor:
        """(N, classes): row t = head(N·w_t ⊙ z_t), plus with a coarse view N times the view term w_u ⊙ z_u of
        the view token u holding t's centre, over the number of grid tokens it holds; their mean over tokens
        is the logits (dvit explain)."""
        z, view = self.forward_tokens(patches, mode), coarse_view(patches, self.config.get("coarse_view_tokens", 0))
        n = z.shape[0]
        if view is None:
            return self.head(n * self.pool_weights(z) * z)
        zv = self.forward_tokens(view, mode)
        w, wv = self.joint_weights(z, zv)
        rows, cols, _ = patches.shape
        vr, vc = view.shape[0], view.shape[1]
        # Centre of grid row i at (i + ½)/rows of the height; view row ⌊that · vr⌋.
        owner_r = torch.floor((torch.arange(rows, dtype=torch.float64) + 0.5) * vr / rows).long()
        owner_c = torch.floor((torch.arange(cols, dtype=torch.float64) + 0.5) * vc / cols).long()
        owners = (owner_r.view(-1, 1) * vc + owner_c.view(1, -1)).reshape(-1)
        held = torch.bincount(owners, minlength=vr * vc).to(z.dtype)
        shares = (wv * zv) / held.view(-1, 1)
        return self.head(n * (w * z + shares[owners]))

    def forward(self, patches: torch.Tensor, mode=None) -> torch.Tensor:
        """Logits (classes,). mode: 'dilated' | 'dense' | a core callable; default from the config."""
        return self.head(self.forward_features(patches, mode))


# ----------------------------------------------------------------------------- loading

def load(config_path: str, safetensors_path: str, dtype=torch.float32) -> DilatedViT:
    """Builds the model from config.json and loads model.safetensors strictly (F32/BF16/F16 stored)."""
    from safetensors.torch import load_file
    with open(config_path) as fh:
        cfg = json.load(fh)
    model = DilatedViT(cfg)
    state = load_file(safetensors_path)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    extra = sorted(set(state) - set(expected))
    if missing or extra:
        raise ValueError(f"{safetensors_path}: missing tensors {missing}, unexpected tensors {extra}")
    for name, t in state.items():
        if t.dtype not in (torch.float32, torch.bfloat16, torch.float16):
            raise ValueError(f"{safetensors_path}: tensor {name} has dtype {t.dtype}")
        if tuple(t.shape) != tuple(expected[name].shape):
            raise ValueError(f"{safetensors_path}: tensor {name} has shape {tuple(t.shape)}, "
                             f"config needs {tuple(expected[name].shape)}")
    model.load_state_dict({n: t.to(torch.float32) for n, t in state.items()}, strict=True)
    return model.to(dtype).eval()
