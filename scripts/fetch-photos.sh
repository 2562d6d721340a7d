#!/usr/bin/env bash
# Rebuild data/photos/: three small real photographs (not from CIFAR-10) that
# `scratchml explain image` classifies and explains. Sources and licences: data/photos/README.md.
# Needs apt-get (only `apt-get download`: fetches the .deb, installs nothing), dpkg-deb,
# sha256sum and ImageMagick's `convert` (apt-get install imagemagick).
#   chelsea.png    scikit-image 0.19.3's data/chelsea.png (Debian python3-skimage 0.19.3-8),
#                  the 300×300 square at x = 60 (the cat's face), resized to 224×224
#   dog.jpg        darknet's data/dog.jpg (Debian darknet 0.0.0+git20180914.61c9d02e-2+b4),
#                  the 340×340 square at (50, 200) around the dog, resized to 224×224
#   dog-field.jpg  darknet's data/person.jpg, the 180×180 square at (40, 215) around the dog
set -euo pipefail
cd "$(dirname "$0")/.."
out=data/photos
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && apt-get download -q darknet=0.0.0+git20180914.61c9d02e-2+b4 python3-skimage=0.19.3-8 >/dev/null 2>&1)
dpkg-deb -x "$tmp"/darknet_*.deb "$tmp/x"
dpkg-deb -x "$tmp"/python3-skimage_*.deb "$tmp/x"
skimage="$tmp/x/usr/lib/python3/dist-packages/skimage/data"
darknet="$tmp/x/usr/share/darknet/data"
sha256sum -c --quiet <<SUMS
596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb  $skimage/chelsea.png
5a9522051c3cec2bbd2f6323fccba32e8fbf3ddcc2b3e2fd46b04c720bc6f866  $darknet/dog.jpg
cdcbab947e46110fc2b77784ac54ddbbab2640f1e44cb5e91fc8984a9793a7d1  $darknet/person.jpg
SUMS

mkdir -p "$out"
# -strip drops metadata (dates), so the same ImageMagick writes the same bytes.
convert "$skimage/chelsea.png" -crop 300x300+60+0 +repage -resize 224x224 -strip "$out/chelsea.png"
convert "$darknet/dog.jpg" -crop 340x340+50+200 +repage -resize 224x224 -strip -quality 92 "$out/dog.jpg"
convert "$darknet/person.jpg" -crop 180x180+40+215 +repage -strip -quality 92 "$out/dog-field.jpg"
cp "$tmp/x/usr/share/doc/darknet/copyright" "$out/LICENSE.darknet"
for f in chelsea.png dog.jpg dog-field.jpg; do echo "$out/$f ($(stat -c %s "$out/$f") bytes)"; done
