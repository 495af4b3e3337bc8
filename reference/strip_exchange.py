#!/usr/bin/env python3
"""Bytes a sequence-parallel read exchanges, from the formula in docs/DISTRIBUTED.md.

An independent count (plain Python from the doc's text, no code shared with the Swift
engine) of what each rank sends per transformer block, to check `dvit-mpi classify`'s
reported `bytes_exchanged` and to estimate larger runs:

    python3 reference/strip_exchange.py --config weights-v2/config.json --rows 836 --columns 1254 --ranks 2
    python3 reference/strip_exchange.py --config weights-v2/config.json --rows 31250 --columns 32000 --ranks 64 --summary

Strips: rank q holds whole rows, cut in units of the tile side T (the least common multiple
of the configured segments, at most the grid's rows) whose counts differ by at most one
(single rows when there are fewer units than ranks, or with --unaligned).
Halo: rank q computes attention over its rows widened to whole tiles; it receives the
widening rows (D floats per token) from their owners.
Lattices: at each level the rule adds (segment s, dilation r), head h selects the
sub-lattice y = oy + r*a, x = ox + r*b (j = h mod r^2, oy = j // r, ox = j % r); windows are
m x m lattice blocks, m = s / r, tiled from a = 0. Rank q needs the keys and values (2*dh
floats per point) of every lattice row inside the window rows that hold its own lattice
rows, and receives those it does not own from their owners.
"""
import argparse
import json
import math


def share(count, rank, size):
    base, extra = divmod(count, size)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


def strips(rows, ranks, tile):
    units = -(-rows // tile)
    if units < ranks:
        tile, units = 1, rows
    return [tuple(min(u * tile, rows) for u in share(units, q, ranks)) for q in range(ranks)]


def overlap(a, b):
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--columns", type=int, required=True)
    parser.add_argument("--ranks", type=int, required=True)
    parser.add_argument("--unaligned", action="store_true", help="strips of single rows, as GridStrips without alignment")
    parser.add_argument("--summary", action="store_true", help="totals only, no per-level lines")
    args = parser.parse_args()
    config = json.load(open(args.config))
    levels = [(level["segment"], level["dilation"]) for level in config["levels"]]
    heads, dim, depth = config["heads"], config["dim"], config["depth"]
    dh = dim // heads
    rows, columns, ranks = args.rows, args.columns, args.ranks
    tile = 1
    for segment, _ in levels:
        tile = tile * segment // math.gcd(tile, segment)
    tile = min(tile, rows)
    parts = strips(rows, ranks, 1 if args.unaligned else tile)

    def widened(part):
        return (part[0] // tile * tile, min(-(-part[1] // tile) * tile, rows))

    sent = [0] * ranks
    for q in range(ranks):
        for p in range(ranks):
            if p != q:
                sent[q] += overlap(parts[q], widened(parts[p])) * columns * dim * 4
    halo = list(sent)
    added = []
    if config.get("level_rule") == "to_grid":
        segment, dilation = levels[-1]
        while segment < max(rows, columns) and segment <= 1 << 16:
            segment, dilation = 2 * segment, 2 * dilation
            added.append((segment, dilation))
    for segment, r in added:
        m = segment // r
        per_level = [0] * ranks
        for h in range(heads):
            j = h % (r * r)
            oy, ox = j // r, j % r
            if oy >= rows or ox >= columns:
                continue
            lattice_rows, lattice_columns = -(-(rows - oy) // r), -(-(columns - ox) // r)
            own = []
            for lo, hi in parts:
                a0 = min(lattice_rows, max(0, -(-(lo - oy) // r)))
                a1 = min(lattice_rows, max(0, -(-(hi - oy) // r)))
                own.append((a0, max(a0, a1)))
            windows = [(a0 // m * m, min(-(-a1 // m) * m, lattice_rows)) if a1 > a0 else (a0, a0) for a0, a1 in own]
            for q in range(ranks):
                for p in range(ranks):
                    if p != q:
                        per_level[q] += overlap(own[q], windows[p]) * lattice_columns * 2 * dh * 4
        for q in range(ranks):
            sent[q] += per_level[q]
        if not args.summary:
            print(f"level {segment}:{r}  bytes sent per block by rank: {per_level}")
    print(f"strips (rows): {parts}")
    print(f"halo bytes per block by rank: {halo}")
    print(f"bytes sent per block by rank: {sent}; all ranks, all {depth} blocks: {sum(sent) * depth}")


if __name__ == "__main__":
    main()
