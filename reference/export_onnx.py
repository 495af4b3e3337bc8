"""Exports a DilatedViT weights folder (config.json + model.safetensors, Model v1 or v2) to ONNX for one patch grid.

  /work/venv/bin/python reference/export_onnx.py weights --grid 16x16 -o dvit-16x16.onnx [--verify]

The graph is built op by op with onnx.helper (opset 17, plain ops only: MatMul, Gather, Conv,
LayerNormalization, Erf, Softmax, Reduce*, ...), so any ONNX runtime can run it:
- input  `patches`  float32 (rows, columns, 3·p·p): one image's normalised patch grid, per-token features in
  (channel, y-in-patch, x-in-patch) order, token t = y·columns + x (reference/README.md, "Model conventions");
- output `logits`   float32 (classes,), and `features` float32 (dim,): the pooled vector (what `dvit embed` writes).
The grid is fixed at export: the position code, the v2 level rule and the dilated windows depend on it.

Dilated attention (docs/MODEL.md §5) with constant index tensors. Per level (s, r), one Gather collects every
(head, window) problem from the (3, tokens·heads, dh) q/k/v rows as (3, H, windows, m², dh) (m = s/r; slots past
the grid edge point at token 0 and are masked as keys), then attention per window returns o and
lse = log Σ exp(scores). A second Gather maps each (token, head) back to its slot in the level's output
(an unselected pair gets lse −1e9, i.e. weight 0). The levels merge as o = Σ_l softmax_l(lse_l)·o_l, the
same sum the reference builds incrementally. Finite masks (not −inf) keep NaN out of discarded all-padding windows.

--verify runs the file with onnxruntime (CPUExecutionProvider) and prints max |Δ| of logits against the PyTorch
reference (float32) on random patches and on a real photo (a PNG centre-cropped to 8·rows × 8·columns), and
against `dvit embed --precision fp32 --max-tokens 0` on that same crop: dvit prints the pooled features; its
logits are the head applied to them (float64).
"""
from __future__ import annotations

import argparse
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dilated_vit as dv  # noqa: E402

OPSET = 17
MASK = -1e9   # exp(MASK + score - max) is exactly 0 in float32, without the NaN an all −inf row would give


class Graph:
    """Minimal ONNX graph builder: constants become initializers, op() returns its output name(s)."""

    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, value, hint="c"):
        value = value.numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
        value = value.astype(np.float32) if value.dtype.kind == "f" else value.astype(np.int64)
        self.inits.append(numpy_helper.from_array(value, self.name(hint)))
        return self.inits[-1].name

    def op(self, op_type, *inputs, outputs=1, **attrs):
        names = [self.name(op_type) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op_type, list(inputs), names, **attrs))
        return names[0] if outputs == 1 else names

    def linear(self, x, w, b):
        """x @ wᵀ + b for a torch Linear weight (out, in)."""
        return self.op("Add", self.op("MatMul", x, self.const(w.T)), self.const(b))

    def layer_norm(self, x, w, b, eps):
        return self.op("LayerNormalization", x, self.const(w), self.const(b), axis=-1, epsilon=eps)

    def gelu(self, x):
        """Exact erf GELU; the Gelu op needs opset 20."""
        erf = self.op("Erf", self.op("Mul", x, self.const(np.float32(2 ** -0.5))))
        return self.op("Mul", self.op("Mul", x, self.const(np.float32(0.5))), self.op("Add", erf, self.const(np.float32(1))))

    def reshape(self, x, shape):
        return self.op("Reshape", x, self.const(np.array(shape)))

    def reduce_sum(self, x, axis, keepdims=1):
        return self.op("ReduceSum", x, self.const(np.array([axis])), keepdims=keepdims)


def level_constants(g, rows, cols, H, s, r):
    """Initializers of one level, shared by all blocks: rows to gather (H, windows, m²) in the (N·H) q/k/v rows,
    key mask (H, windows, 1, m²) of 0 / MASK (None without padding), each (token, head)'s slot in the flattened
    level output (1, N, H) and 0 / MASK for selected / unselected pairs (1, N, H, 1) (None if all are selected)."""
    s = min(s, -(-max(rows, cols) // r) * r)   # a segment past the grid is one truncated segment: shrink it (exact)
    idx = dv._LevelIndex(rows, cols, H, s, r, "cpu")
    N, heads = rows * cols, torch.arange(H).view(H, 1, 1)
    slot = torch.zeros(N + 1, H, dtype=torch.long)     # row N: where padding slots land, dropped
    chosen = torch.zeros(N + 1, H, dtype=torch.bool)
    slot[idx.dst, heads] = torch.arange(idx.dst.numel()).view(idx.dst.shape)
    chosen[idx.dst, heads] = True
    return (g.const(idx.src * H + heads),
            None if idx.all_valid else g.const(torch.where(idx.valid, 0.0, MASK).unsqueeze(2)),
            g.const(slot[:N].view(1, N, H)),
            None if chosen[:N].all() else g.const(torch.where(chosen[:N], 0.0, MASK).view(1, N, H, 1)))


def attention(g, q, k, v, N, H, dh, levels):
    """Dilated attention over (N, D) q/k/v names, levels = level_constants of each level; returns the (N, D) output."""
    qkv = g.op("Concat", *(g.reshape(t, [1, N * H, dh]) for t in (q, k, v)), axis=0)    # (3, N·H, dh)
    outs, lses = [], []
    for gather, key_mask, slot, unselected in levels:
        wq, wk, wv = g.op("Split", g.op("Gather", qkv, gather, axis=1), outputs=3, axis=0)   # (1, H, W, m², dh)
        scores = g.op("Mul", g.op("MatMul", wq, g.op("Transpose", wk, perm=[0, 1, 2, 4, 3])), g.const(np.float32(dh ** -0.5)))
        if key_mask:
            scores = g.op("Add", scores, key_mask)
        mx = g.op("ReduceMax", scores, axes=[-1], keepdims=1)
        e = g.op("Exp", g.op("Sub", scores, mx))
        den = g.reduce_sum(e, -1)
        o = g.op("MatMul", g.op("Div", e, den), wv)
        lse = g.op("Add", mx, g.op("Log", den))
        outs.append(g.op("Gather", g.reshape(o, [-1, dh]), slot, axis=0))                   # (1, N, H, dh)
        lse = g.op("Gather", g.reshape(lse, [-1, 1]), slot, axis=0)                         # (1, N, H, 1)
        lses.append(g.op("Add", lse, unselected) if unselected else lse)
    weights = g.op("Softmax", g.op("Concat", *lses, axis=0), axis=0)                         # (L, N, H, 1)
    o = g.reduce_sum(g.op("Mul", weights, g.op("Concat", *outs, axis=0)), 0, keepdims=0)
    return g.reshape(o, [N, H * dh])


def final_rows(g, model: dv.DilatedViT, W, patches, rows: int, cols: int):
    """Embedding, position code, blocks and final LayerNorm of a (rows, cols, 3p²) grid: z (N, D)."""
    cfg, p, D = model.config, model.patch_size, model.dim
    H, eps = cfg["heads"], cfg.get("layer_norm_eps", 1e-6)
    N, dh = rows * cols, D // H
    # Dense mode is the single level (max(rows, cols), 1): one window holding the whole grid.
    levels = model.grid_levels(rows, cols) if model.mode == "dilated" else [(max(rows, cols), 1)]
    level_consts = [level_constants(g, rows, cols, H, s, r) for s, r in levels]

    if model.patch_embedding == "linear":
        x = g.linear(g.reshape(patches, [N, 3 * p * p]), W["patch_embed.proj.weight"].reshape(D, -1),
                     W["patch_embed.proj.bias"])
    else:  # hMLP stem: Conv(kernel 2, stride 2) stages on each patch as a (3, p, p) image
        x = g.reshape(patches, [N, 3, p, p])
        for i, stage in enumerate(model.stem):
            x = g.op("Conv", x, g.const(W[f"stem.{i}.weight"]), g.const(W[f"stem.{i}.bias"]), kernel_shape=[2, 2], strides=[2, 2])
            if stage.norm is not None:   # LayerNorm over channels: channels last, then back
                x = g.op("Transpose", x, perm=[0, 2, 3, 1])
                x = g.gelu(g.layer_norm(x, W[f"stem.{i}.norm.weight"], W[f"stem.{i}.norm.bias"], eps))
                x = g.op("Transpose", x, perm=[0, 3, 1, 2])
        x = g.reshape(x, [N, D])
    code = dv.sincos_2d(rows, cols, D, torch.float32, dv.position_scale(cfg, rows, cols))
    x = g.op("Add", x, g.const(code.reshape(N, D).numpy()))

    for i in range(len(model.blocks)):
        b = f"blocks.{i}."
        qkv = g.linear(g.layer_norm(x, W[b + "norm1.weight"], W[b + "norm1.bias"], eps),
                       W[b + "attn.qkv.weight"], W[b + "attn.qkv.bias"])
        q, k, v = g.op("Split", qkv, g.const(np.array([D, D, D])), outputs=3, axis=1)
        a = attention(g, q, k, v, N, H, dh, level_consts)
        x = g.op("Add", x, g.linear(a, W[b + "attn.proj.weight"], W[b + "attn.proj.bias"]))
        h = g.layer_norm(x, W[b + "norm2.weight"], W[b + "norm2.bias"], eps)
        h = g.linear(g.gelu(g.linear(h, W[b + "mlp.fc1.weight"], W[b + "mlp.fc1.bias"])), W[b + "mlp.fc2.weight"], W[b + "mlp.fc2.bias"])
        x = g.op("Add", x, h)
    return g.layer_norm(x, W["norm.weight"], W["norm.bias"], eps)


def coarse_view(g, patches, rows: int, cols: int, p: int, budget: int):
    """The coarse view (docs/MODEL.md §9.4) of the input grid as two constant area-averaging products on its
    image, or None when the grid has none: ((vr, vc, 3p²) node, vr, vc)."""
    vr, vc = dv.working_grid(cols * p, rows * p, p, budget) if 0 < budget < rows * cols else (None, None)
    if vr is None:
        return None
    image = g.reshape(g.op("Transpose", g.reshape(patches, [rows, cols, 3, p, p]), perm=[2, 0, 3, 1, 4]),
                      [3, rows * p, cols * p])
    ay = dv.area_matrix(rows * p, vr * p, torch.float64).to(torch.float32).numpy()
    ax = dv.area_matrix(cols * p, vc * p, torch.float64).to(torch.float32).numpy()
    view = g.op("MatMul", g.op("MatMul", g.const(ay), image), g.const(np.ascontiguousarray(ax.T)))
    view = g.op("Transpose", g.reshape(view, [3, vr, p, vc, p]), perm=[1, 3, 0, 2, 4])
    return g.reshape(view, [vr, vc, 3 * p * p]), vr, vc


def build(model: dv.DilatedViT, rows: int, cols: int) -> onnx.ModelProto:
    cfg, p, D = model.config, model.patch_size, model.dim
    H, N = cfg["heads"], rows * cols
    dh = D // H
    W = {k: v.detach().to(torch.float32).numpy() for k, v in model.state_dict().items()}
    g = Graph()
    z = final_rows(g, model, W, "patches", rows, cols)
    view = coarse_view(g, "patches", rows, cols, p, cfg.get("coarse_view_tokens", 0))
    if model.pooling == "mean":
        f = g.op("ReduceMean", z, axes=[0], keepdims=0)
    else:  # attention pooling: per-head softmax over tokens weighs that head's channels
        scores = g.linear(z, W["pool.score.weight"], W["pool.score.bias"])                              # (N, H)
        if view is not None:  # the view's rows join the softmax, their scores raised by balance·log(N / Nv)
            patches_v, vr, vc = view
            zv = final_rows(g, model, W, patches_v, vr, vc)
            offset = np.float32(cfg.get("coarse_view_balance", 0.5) * np.log(N / (vr * vc)))
            scores_v = g.op("Add", g.linear(zv, W["pool.score.weight"], W["pool.score.bias"]), g.const(np.array([offset])))
            z, scores, N = g.op("Concat", z, zv, axis=0), g.op("Concat", scores, scores_v, axis=0), N + vr * vc
        a = g.op("Softmax", scores, axis=0)
        f = g.reshape(g.reduce_sum(g.op("Mul", g.reshape(z, [N, H, dh]), g.reshape(a, [N, H, 1])), 0, keepdims=0), [D])
    g.nodes.append(helper.make_node("Identity", [f], ["features"]))
    g.nodes.append(helper.make_node("Identity", [g.linear(f, W["head.weight"], W["head.bias"])], ["logits"]))

    graph = helper.make_graph(
        g.nodes, f"dilatedvit_{rows}x{cols}",
        [helper.make_tensor_value_info("patches", TensorProto.FLOAT, [rows, cols, 3 * p * p])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [len(cfg["labels"])]),
         helper.make_tensor_value_info("features", TensorProto.FLOAT, [D])], g.inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="dilatedvit-export")
    m.ir_version = 8   # the IR of opset 17, so older runtimes accept the file
    helper.set_model_props(m, {"labels": json.dumps(cfg["labels"]), "mean": json.dumps(cfg["mean"]),
                               "std": json.dumps(cfg["std"]), "patch_size": str(p), "grid": f"{rows}x{cols}"})
    onnx.checker.check_model(m, full_check=True)
    return m


# ----------------------------------------------------------------------------- verification

def read_png(path) -> np.ndarray:
    """8-bit non-interlaced grey or RGB PNG -> (H, W, 3) uint8 (grey replicated)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path}: not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body, pos = data[pos + 8:pos + 8 + n], pos + 12 + n
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    bpp = {0: 1, 2: 3}.get(ctype)
    if depth != 8 or bpp is None or interlace:
        raise ValueError(f"{path}: needs an 8-bit non-interlaced grey or RGB PNG")
    raw, stride = zlib.decompress(idat), 1 + w * bpp
    prev, rows = [0] * (w * bpp), []
    for y in range(h):   # undo the per-row filters (PNG spec §9)
        f, line, cur = raw[y * stride], raw[y * stride + 1:(y + 1) * stride], []
        for i, v in enumerate(line):
            a, b, c = (cur[i - bpp] if i >= bpp else 0), prev[i], (prev[i - bpp] if i >= bpp else 0)
            if f == 1: v += a
            elif f == 2: v += b
            elif f == 3: v += (a + b) // 2
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                v += a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur.append(v & 255)
        rows.append(cur)
        prev = cur
    img = np.array(rows, np.uint8).reshape(h, w, bpp)
    return np.repeat(img, 3, axis=2) if bpp == 1 else img


def write_png(path, rgb: np.ndarray):
    """(H, W, 3) uint8 -> RGB8 PNG (filter 0)."""
    h, w, _ = rgb.shape
    chunk = lambda kind, body: struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    raw = b"".join(b"\0" + rgb[y].tobytes() for y in range(h))
    with open(path, "wb") as fh:
        fh.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
                 + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def verify(onnx_path, model, weights, rows, cols, photo, dvit):
    import onnxruntime as ort
    sess = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    run = lambda patches: sess.run(["logits", "features"], {"patches": patches.numpy()})
    p, cfg = model.patch_size, model.config
    worst = 0.0

    def report(what, a, b):
        nonlocal worst
        d = float(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64)).max())
        worst = max(worst, d)
        print(f"  {what:<44} max |Δ| = {d:.2e}")

    with torch.no_grad():
        patches = torch.randn(rows, cols, 3 * p * p, generator=torch.Generator().manual_seed(0))
        report("random patches: logits ONNX vs PyTorch fp32", run(patches)[0], model(patches))
        if photo:
            img = read_png(photo)
            h, w = 8 * rows, 8 * cols
            if p != 8 or img.shape[0] < h or img.shape[1] < w:
                raise SystemExit(f"{photo}: {img.shape[1]}×{img.shape[0]} px is smaller than the grid's {w}×{h} (or p != 8)")
            y0, x0 = (img.shape[0] - h) // 2, (img.shape[1] - w) // 2
            crop = np.ascontiguousarray(img[y0:y0 + h, x0:x0 + w])
            patches = dv.image_to_patch_grid(dv.normalize_rgb8(torch.from_numpy(crop), cfg["mean"], cfg["std"]), p)
            logits, features = run(patches)
            report(f"photo {w}×{h}: logits ONNX vs PyTorch fp32", logits, model(patches))
            if dvit and os.path.exists(dvit):
                with tempfile.TemporaryDirectory() as tmp:
                    png = os.path.join(tmp, "crop.png")
                    write_png(png, crop)
                    out = subprocess.run([dvit, "embed", "--precision", "fp32", "--max-tokens", "0", "--threads", "1",
                                          "--weights", weights, png], check=True, capture_output=True, text=True).stdout
                line = json.loads(out.splitlines()[0])
                assert line["tokens"] == rows * cols, f"dvit read {line['tokens']} tokens, not {rows}×{cols}"
                vec = np.array(line["embedding"], np.float64)
                head_w, head_b = (model.head.weight.double().numpy(), model.head.bias.double().numpy())
                report("photo: features ONNX vs dvit embed fp32", features, vec)
                report("photo: logits ONNX vs head(dvit embed fp32)", logits, vec @ head_w.T + head_b)
            elif dvit:
                print(f"  (no {dvit}: dvit comparison skipped)")
    print(f"worst max |Δ| = {worst:.2e}")
    return worst


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("weights", help="folder holding config.json and model.safetensors")
    ap.add_argument("--grid", required=True, help="ROWSxCOLUMNS patch grid, e.g. 16x16 or 12x20")
    ap.add_argument("-o", "--output", help="ONNX file (default: <weights folder name>-<grid>.onnx)")
    ap.add_argument("--verify", action="store_true", help="compare with the PyTorch reference and dvit (see above)")
    ap.add_argument("--photo", default=os.path.join(root, "images", "sea-pier-small.png"),
                    help="--verify: 8-bit grey/RGB PNG of at least 8·columns × 8·rows px, centre-cropped ('' = none)")
    ap.add_argument("--dvit", default=os.path.join(root, ".build", "release", "dvit"),
                    help="--verify: dvit binary ('' = skip that comparison)")
    ap.add_argument("--tolerance", type=float, default=1e-4, help="--verify fails (exit 1) above this max |Δ|")
    args = ap.parse_args()
    rows, cols = (int(n) for n in args.grid.lower().split("x"))
    model = dv.load(os.path.join(args.weights, "config.json"), os.path.join(args.weights, "model.safetensors"))
    out = args.output or f"{os.path.basename(os.path.normpath(args.weights))}-{rows}x{cols}.onnx"
    onnx.save(build(model, rows, cols), out)
    print(f"wrote {out}: {rows}×{cols} grid, opset {OPSET}")
    if args.verify and verify(out, model, args.weights, rows, cols, args.photo, args.dvit) > args.tolerance:
        sys.exit(1)


if __name__ == "__main__":
    main()
