"""Runs bench_torch.py once per (size, mode), each in its own process, and echoes its JSON lines.

  /work/venv/bin/python reference/bench_driver.py                       # 256 … 65536 tokens
  /work/venv/bin/python reference/bench_driver.py --sizes 256,1024,4096,16384 --cap-s 60

Square-ish grids (tokens = rows·cols). Dense attention is skipped once a forward pass is projected
(quadratically, from the previous dense size) to take longer than --cap-s / 3; any process that
outlives --cap-s · 3 is killed and reported as a timeout. Also writes nothing else: redirect stdout
to keep the lines (e.g. > bench-out/pytorch.jsonl). For benchmarks only.
The machine may be shared: compare ms_min, and check loadavg_1m in each line.
"""
import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="256,1024,4096,16384,65536")
    ap.add_argument("--modes", default="dilated,dense", help="comma list of dilated, dense, dilated-fused")
    ap.add_argument("--cap-s", type=float, default=60.0, help="time budget per process, seconds")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]
    last_ms = {}                               # mode -> (tokens, ms) of its previous run
    for n in sizes:
        for mode in args.modes.split(","):
            if mode == "dense" and mode in last_ms:
                n0, ms0 = last_ms[mode]
                projected_s = ms0 * (n / n0) ** 2 / 1e3
                if projected_s > args.cap_s / 3:
                    print(json.dumps({"impl": "pytorch", "mode": mode, "tokens": n, "skipped":
                                      f"projected {projected_s:.0f} s per forward > cap {args.cap_s / 3:.0f} s"}),
                          flush=True)
                    continue
            cmd = [sys.executable, os.path.join(HERE, "bench_torch.py"), "--tokens", str(n),
                   "--threads", str(args.threads), "--mode", mode.split("-")[0]]
            if mode == "dilated-fused":
                cmd.append("--fused")
            try:
                out = subprocess.run(cmd, capture_output=True, text=True, timeout=args.cap_s * 3)
            except subprocess.TimeoutExpired:
                print(json.dumps({"impl": "pytorch", "mode": mode, "tokens": n, "error": "timeout"}), flush=True)
                last_ms[mode] = (n, args.cap_s * 3e3)
                continue
            line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
            if out.returncode != 0 or not line:
                print(json.dumps({"impl": "pytorch", "mode": mode, "tokens": n,
                                  "error": out.stderr.strip().splitlines()[-1:]}), flush=True)
                continue
            print(line, flush=True)
            last_ms[mode] = (n, json.loads(line)["ms"])


if __name__ == "__main__":
    main()
