#!/usr/bin/env bash
# Rebuild docs/katex/: the parts of KaTeX 0.19.1 (npm package katex, MIT) that the docs pages
# load to typeset their LaTeX — katex.min.js, contrib/auto-render.min.js, katex.min.css, the
# woff2 fonts (every browser that runs KaTeX reads woff2, so the css's woff/ttf fallbacks are
# never fetched) and the LICENSE. docs/_template.html links them with relative paths.
# Needs npm (only `npm pack`: downloads the tarball, installs nothing), tar, sha256sum.
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/katex
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent katex@0.19.1 >/dev/null)
echo "24da5a599eb2fcede2e270b99a6ff48bca816beecc95feeb84e8cccbd1bb34fd  $tmp/katex-0.19.1.tgz" \
  | sha256sum -c --quiet
tar xzf "$tmp/katex-0.19.1.tgz" -C "$tmp"

# Every file we ship, with its checksum; paths relative to the package root.
sums='766ccc1f306c885aa45542a9846bbd0a505b27a0374f146778171c2254ce18e3  LICENSE
fa140498b8cfc8302cbe5e7cb1bdbc1f952bc38b3fa258ede09e73edbf9a74bc  dist/katex.min.js
00e0b094171b07f58422075f469b4feac2b2f7bce1aeec943c08da4d697f4dcf  dist/katex.min.css
e5372d199bcdae8b4de71d0f7ceba72a4ba12774a27c60a6f1f77d03b3228ee4  dist/contrib/auto-render.min.js
0cdd387c9590a1a9f9794560022dbb59654a7d86f187aa0c81495ad42d3a7308  dist/fonts/KaTeX_AMS-Regular.woff2
de7701e42cf1f4cf0b766c03fb27977207eee2f4fd5d76fa82188406da43ea4c  dist/fonts/KaTeX_Caligraphic-Bold.woff2
5d53e70ad607c2352162dec9e0923fb54ecdafaccbf604cd8dcf7d00facb989b  dist/fonts/KaTeX_Caligraphic-Regular.woff2
74444efd593c005e3f4573b44524704c0af0a937fe911cca9e94068d0d140d3f  dist/fonts/KaTeX_Fraktur-Bold.woff2
51814d270d06ff0255dba0799994fa4d8c84d11f09951d47595f4abb1f3602dc  dist/fonts/KaTeX_Fraktur-Regular.woff2
0f60d1b897938ec918c8ce073092411baf9438f6739465693ff18b0f9d20b021  dist/fonts/KaTeX_Main-Bold.woff2
99cd42a3c072d918f2f44984a807cf7aa16e13545fd0875fc07c6c65f99e715b  dist/fonts/KaTeX_Main-BoldItalic.woff2
97479ca6cce906abc961ecac96faa5f9ca2e61b8e7670d475826bcdee9a7c267  dist/fonts/KaTeX_Main-Italic.woff2
c2342cd8b869e01752a9321dc17213fc40d4d04c79688c1d43f2cf316abd7866  dist/fonts/KaTeX_Main-Regular.woff2
dc47344dbb6cb5b655c8460d561f4df5f501b90c804ad3c6cec65fe322351ab1  dist/fonts/KaTeX_Math-BoldItalic.woff2
7af58c5ec8f132a2ddde9027c6d7814decce4d3b822a11192a42a20e2e973264  dist/fonts/KaTeX_Math-Italic.woff2
e99ae51144bf1232efcc1bfe5add36262c6866b0faab24fa75740e1b98577a62  dist/fonts/KaTeX_SansSerif-Bold.woff2
00b26ac825e2095056396e0553b8ac26d3f8ad158c3826e28b4c45b385c4714a  dist/fonts/KaTeX_SansSerif-Italic.woff2
68e8c73ef42afd3ccec58bf0fba302cce448938e7fc020a5e31f8a952eee1342  dist/fonts/KaTeX_SansSerif-Regular.woff2
036d4e95149b69ff9bcc0cd55771efeb25ffa3947293e69acd78d5ac328c684b  dist/fonts/KaTeX_Script-Regular.woff2
6b47c40166b6dbe21a5dfca7718413f2147fd2399be1ba605d8ad39cedf25dfe  dist/fonts/KaTeX_Size1-Regular.woff2
d04c54219f9eaec6d4d4fd42dfb28785975a4794d6b2fc71e566b9cd6db842dd  dist/fonts/KaTeX_Size2-Regular.woff2
73d591271b1604960cb10bb90fee021670af7297017e0e98480b332d11f51995  dist/fonts/KaTeX_Size3-Regular.woff2
a4af7d414440a1c1790825cfb700cf9cf43b0f2c4b04f0ebc523011ad9853ec0  dist/fonts/KaTeX_Size4-Regular.woff2
71d517d67827787cfabdf186914cc3358eda539e37931941f2b2fd4a21f68c0b  dist/fonts/KaTeX_Typewriter-Regular.woff2'
(cd "$tmp/package" && sha256sum -c --quiet <<<"$sums")

# Replace the folder wholesale, so a file dropped from the list does not linger.
rm -rf "$out"
while read -r _ path; do
  dest="$out/${path#dist/}"
  mkdir -p "$(dirname "$dest")"
  cp "$tmp/package/$path" "$dest"
done <<<"$sums"
echo "$out: $(find "$out" -type f | wc -l) files, $(du -sb "$out" | cut -f1) bytes"
