"""Averages trained weights folders of one architecture into a new folder (a "soup"), to
measure whether averaging helps before asking `dvit train` for it (`--ema-decay`). Not part
of the product, and not what ships: weights-v2/ comes from `dvit train`.

  python reference/experiments/average_weights.py OUT RUN_A/best RUN_B/best ...
  python reference/experiments/average_weights.py OUT V2_FOLDER --blend V1_FOLDER 0.4
      # (1 − 0.4)·v2 + 0.4·v1 for every tensor the two share (the v2 pooling keeps v2's)

OUT gets the first folder's config.json and the mean of every tensor, computed in float64.
Needs numpy and safetensors.
"""
import argparse
import os
import shutil

import numpy as np
from safetensors.numpy import load_file, save_file


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output")
    parser.add_argument("folders", nargs="+")
    parser.add_argument("--blend", nargs=2, metavar=("FOLDER", "SHARE"))
    args = parser.parse_args()
    models = [load_file(os.path.join(f, "model.safetensors")) for f in args.folders]
    names = set(models[0])
    for folder, model in zip(args.folders, models):
        if set(model) != names or any(model[k].shape != models[0][k].shape for k in names):
            raise SystemExit(f"{folder}: tensors differ from {args.folders[0]}'s; only one architecture averages")
    mean = {k: sum(m[k].astype(np.float64) for m in models) / len(models) for k in names}
    if args.blend:
        other, share = load_file(os.path.join(args.blend[0], "model.safetensors")), float(args.blend[1])
        for k in names & set(other):
            mean[k] = (1 - share) * mean[k] + share * other[k].astype(np.float64)
    os.makedirs(args.output, exist_ok=True)
    save_file({k: v.astype(models[0][k].dtype) for k, v in mean.items()}, os.path.join(args.output, "model.safetensors"))
    shutil.copy(os.path.join(args.folders[0], "config.json"), os.path.join(args.output, "config.json"))


if __name__ == "__main__":
    main()
