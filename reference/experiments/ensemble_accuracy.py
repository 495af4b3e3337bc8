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


def probabilities(path):
    rows = {}
    with open(path) as lines:
        for line in lines:
            row = json.loads(line)
            rows[row["path"]] = {entry["label"]: entry["probability"] for entry in row["labels"]}
    return rows


def main():
    files = sys.argv[1:]
    if not files:
        raise SystemExit(__doc__)
    models = {os.path.basename(f): probabilities(f) for f in files}
    photos = sorted(next(iter(models.values())))
    for name, rows in models.items():
        if sorted(rows) != photos:
            raise SystemExit(f"{name}: not the same photos as {files[0]}")
    truth = {photo: os.path.basename(os.path.dirname(photo)) for photo in photos}

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
    for a, b in itertools.combinations(names, 2):
        only_a = sum(predicted([a], p) == truth[p] != predicted([b], p) for p in photos)
        only_b = sum(predicted([b], p) == truth[p] != predicted([a], p) for p in photos)
        neither = sum(predicted([a], p) != truth[p] and predicted([b], p) != truth[p] for p in photos)
        print(f"{a} right, {b} wrong: {only_a}; the reverse: {only_b}; both wrong: {neither}")


if __name__ == "__main__":
    main()
