"""How much of a model's accuracy loss on enlarged photos is a shift of the labels' balance
(every photo's log-probabilities moved by the same per-label amount) rather than lost
evidence. Not part of the product.

  python3 reference/experiments/label_shift.py upscale HELDOUT UP600 600    # needs pillow
  dvit classify --json -k 6 --weights W HELDOUT > small.jsonl
  dvit classify --json -k 6 --max-tokens 0 --weights W UP600 > large.jsonl
  python3 reference/experiments/label_shift.py compare small.jsonl large.jsonl

`upscale` writes each photo of a labelled folder, short side resized (bilinear) to SIDE
pixels, as PNG into the same label folders. `compare` estimates the mean per-label shift of
log-probabilities (large minus small reading, centred) on one half of the photos and
subtracts it from the large reading of the other half, both ways round: what a per-grid
correction of the labels' balance would recover, measured on photos it was not fitted on.
"""
import math
import os
import sys


def upscale(source, target, side):
    from PIL import Image

    for label in sorted(os.listdir(source)):
        os.makedirs(os.path.join(target, label), exist_ok=True)
        for name in sorted(os.listdir(os.path.join(source, label))):
            image = Image.open(os.path.join(source, label, name)).convert("RGB")
            scale = side / min(image.size)
            size = (round(image.width * scale), round(image.height * scale))
            stem = os.path.splitext(name)[0]
            image.resize(size, Image.BILINEAR).save(os.path.join(target, label, stem + ".png"))


def log_probabilities(path):
    from ensemble_accuracy import read_classifications

    return {photo: {label: math.log(max(p, 1e-12)) for label, p in row.items()}
            for photo, row in read_classifications(path).items()}


def compare(small_path, large_path):
    small, large = log_probabilities(small_path), log_probabilities(large_path)
    photos = sorted(small)
    if sorted(large) != photos:
        raise SystemExit("the two readings are not of the same photos")
    labels = sorted(small[photos[0]])

    def right(reading, keys, shift=None):
        return sum(max(labels, key=lambda l: reading[k][l] - (shift[l] if shift else 0.0)) == k.split("/")[0]
                   for k in keys)

    print(f"all {len(photos)}: small reading {right(small, photos)}, large {right(large, photos)}")
    halves = photos[0::2], photos[1::2]
    for fit, test in (halves, halves[::-1]):
        shift = {l: sum(large[k][l] - small[k][l] for k in fit) / len(fit) for l in labels}
        mean = sum(shift.values()) / len(labels)
        shift = {l: v - mean for l, v in shift.items()}
        print(f"fitted on {len(fit)}, tested on {len(test)}: small {right(small, test)}, large {right(large, test)}, "
              f"large corrected {right(large, test, shift)}; shift " +
              " ".join(f"{l} {v:+.2f}" for l, v in shift.items()))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "upscale":
        upscale(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) == 4 and sys.argv[1] == "compare":
        compare(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
