"""How much two or more models would gain by averaging their probabilities, and where they
disagree: a ceiling for distilling one from the others. Reads `dvit classify --json -k 6`
output (one JSON line per photo, every label's probability) of each model on the same
labelled folder (a photo's label is its parent folder's name). Standard library only; not
part of the product.

  dvit classify --json -k 6 --weights weights HELDOUT > v8.jsonl
  dvit classify --json -k 6 --weights weights-v2 HELDOUT > v2.jsonl
  python3 reference/experiments/ensemble_accuracy.py v8.jsonl v2.jsonl
"""
import itertools
import json
import os
import sys


def read_classifications(path):
    """`dvit classify --json -k 6` output as photo → label → probability. A photo is named by its
    label folder and file name without extension ("sea/10114"), so readings of re-encoded copies
    of the same photos (label_shift.py) match; its label is the part before the slash."""
    rows = {}
    with open(path) as lines:
        for line in lines:
            row = json.loads(line)
            label = os.path.basename(os.path.dirname(row["path"]))
            stem = os.path.splitext(os.path.basename(row["path"]))[0]
            rows[f"{label}/{stem}"] = {entry["label"]: entry["probability"] for entry in row["labels"]}
    return rows


def main():
    files = sys.argv[1:]
    if not files:
        raise SystemExit(__doc__)
    models = {os.path.basename(f): read_classifications(f) for f in files}
    photos = sorted(next(iter(models.values())))
    for name, rows in models.items():
        if sorted(rows) != photos:
            raise SystemExit(f"{name}: not the same photos as {files[0]}")
    truth = {photo: photo.split("/")[0] for photo in photos}

    def predicted(names, photo):
        total = {}
        for name in names:
            for label, p in models[name][photo].items():
                total[label] = total.get(label, 0.0) + p
        return max(total, key=total.get)

    def report(names):
        right = sum(predicted(names, photo) == truth[photo] for photo in photos)
        print(f"{' + '.join(names)}: {right} of {len(photos)} ({100 * right / len(photos):.2f}%)")

    names = list(models)
    for size in range(1, len(names) + 1):
        for group in itertools.combinations(names, size):
            report(group)
    alone = {name: {p: predicted([name], p) for p in photos} for name in names}
    for a, b in itertools.combinations(names, 2):
        only_a = sum(alone[a][p] == truth[p] != alone[b][p] for p in photos)
        only_b = sum(alone[b][p] == truth[p] != alone[a][p] for p in photos)
        neither = sum(alone[a][p] != truth[p] != alone[b][p] for p in photos)
        print(f"{a} right, {b} wrong: {only_a}; the reverse: {only_b}; both wrong: {neither}")

if __name__ == "__main__":
    main()
