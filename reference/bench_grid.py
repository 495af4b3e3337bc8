"""The benchmark scripts' patch grid, without importing torch."""
import math


def grid_of(ap, args):
    """(rows, cols) from --rows/--cols, or the most square grid of exactly --tokens tokens."""
    if args.rows and args.cols:
        return args.rows, args.cols
    if args.tokens:
        rows = int(math.isqrt(args.tokens))
        while args.tokens % rows:
            rows -= 1
        return rows, args.tokens // rows
    ap.error("give --tokens or --rows and --cols")
