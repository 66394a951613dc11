#!/usr/bin/python3
"""render.py - draws every ```mermaid block of Markdown files with the real
Mermaid library and checks that each shows what it declares.

Usage: render.py [--keep DIR] [--if-there PATH]... PATH...

A PATH is a Markdown file, or a folder whose *.md files are taken; a PATH
after --if-there may be missing (../shared is not always there). Every
block of every file is drawn to SVG by @mermaid-js/mermaid-cli (mmdc, from
tools/mermaid/node_modules, put there by tools/deps-mermaid) in Debian's
chromium (tools/mermaid/puppeteer.json): the blocks shared among one mmdc
call per core (at most 2; MERMAID_JOBS=N sets it), each call drawing its
share in a row, and called again from the block after one that failed.
--keep DIR keeps the SVGs there as blockN.svg.

A block fails when mmdc fails on it, when its SVG is not a sequence diagram
(Mermaid draws an error diagram for a syntax error or a text over its
maxTextSize), or when the SVG does not show, line for line:
  - each participant's name (the text after "as", else its id),
  - each arrow's text, in order,
  - each note's text, in order,
as Mermaid reads them: the text trimmed as JavaScript's trim() does, split
at <br>, entity codes (#59; #lt;) decoded. The SVG escapes & < > and holds
a zero-width space for an empty text.

When FILE.md.expect.json is beside a file (test_mermaid writes one), it
holds for each block, in order, null or {"actors": [...], "messages": [...],
"notes": [...]}, each a list of texts given as their lines: what the block
must show as its writer meant it, checked against the SVG the same way.

Exit status: 0 when every block passed; 1 when any failed; 77 (skip) when
node, chromium or the npm packages are missing, unless CI=true, where that
is a failure too.
"""
import concurrent.futures
import html.entities
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = os.path.join(TOP, "tools", "mermaid")
MMDC = os.path.join(TOOLS, "node_modules", ".bin", "mmdc")
PUPPETEER = os.path.join(TOOLS, "puppeteer.json")
SKIP = 77

# What JavaScript's String.prototype.trim() removes (ECMAScript WhiteSpace
# and LineTerminator): Mermaid trims message, note and actor texts with it.
JS_BLANK = "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008" \
           "\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"

FENCE_OPEN = re.compile(r"^[ \t]*```mermaid[ \t]*$")
FENCE_CLOSE = re.compile(r"^[ \t]*```[ \t]*$")
BR = re.compile(r"<br\s*/?>", re.I)
ENTITY = re.compile(r"#(\w+);")
ID = r"[^\s:;<>+\-,]+?"
PARTICIPANT = re.compile(r"^(?:participant|actor)\s+(" + ID + r")(?:\s+as\s+(.*))?$", re.I)
ARROW = re.compile(r"^(" + ID + r")\s*(<<-->>|<<->>|-->>|->>|-->|->|--x|-x|--\)|-\))\s*[+-]?\s*("
                   + ID + r")\s*:(.*)$")
NOTE = re.compile(r"^note\s+(?:over|left of|right of)\s+[^:]+?:(.*)$", re.I)


def fail_setup(why):
    ci = os.environ.get("CI", "").lower() == "true"
    print("render: %s; tools/deps-mermaid installs what is needed" % why)
    if ci:
        print("render: CI=true, so that is a failure, not a skip")
        sys.exit(1)
    sys.exit(SKIP)


def chromium_path():
    try:
        with open(PUPPETEER) as f:
            return json.load(f).get("executablePath", "/usr/bin/chromium")
    except (OSError, ValueError) as e:
        fail_setup("cannot read %s: %s" % (PUPPETEER, e))


def decode_entity(m):
    name = m.group(1)
    if re.fullmatch(r"\+?\d+", name):
        n = int(name)
        try:
            return chr(n) if 0 < n <= 0x10FFFF else "\ufffd"
        except ValueError:
            return "\ufffd"
    return html.entities.html5.get(name + ";", "&" + name + ";")


def shown(raw):
    """The lines Mermaid shows for a text as written in a block."""
    return [ENTITY.sub(decode_entity, line) for line in BR.split(raw.strip(JS_BLANK))]


def parse_block(lines):
    """What a sequence diagram declares: participants' lines (in order of
    appearance, undeclared ids included), arrows' and notes' lines."""
    actors, ids, messages, notes = [], set(), [], []

    def actor(id_, text=None):
        if id_ not in ids:
            ids.add(id_)
            actors.append(shown(text) if text is not None else [id_])

    for line in lines:
        s = line.strip()
        if not s or s.startswith("%%"):
            continue
        m = PARTICIPANT.match(s)
        if m:
            actor(m.group(1), m.group(2))
            continue
        m = NOTE.match(s)
        if m:
            notes.append(shown(m.group(1)))
            continue
        m = ARROW.match(s)
        if m:
            actor(m.group(1))
            actor(m.group(3))
            messages.append(shown(m.group(4)))
    return {"actors": actors, "messages": messages, "notes": notes}


def blocks_of(path):
    """The mermaid blocks of a Markdown file: (first line number, lines)."""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read().split("\n")
    out, cur, start = [], None, 0
    for i, line in enumerate(text, 1):
        if cur is None:
            if FENCE_OPEN.match(line):
                cur, start = [], i
        elif FENCE_CLOSE.match(line):
            out.append((start, cur))
            cur = None
        else:
            cur.append(line)
    if cur is not None:
        out.append((start, cur))  # mmdc draws an unclosed block too
    return out


def svg_texts(svg):
    """The lines of text the SVG shows: actors, messages, notes."""
    root = ET.fromstring(svg)
    got = {"actors": [], "messages": [], "notes": []}
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag.rsplit("}", 1)[-1] != "text":
            continue
        cls = (el.get("class") or "").split()
        t = "".join(el.itertext())
        t = "" if t == "\u200b" else t
        if "messageText" in cls:
            got["messages"].append(t)
        elif "noteText" in cls:
            got["notes"].append(t)
        elif "actor" in cls:
            got["actors"].append(t)
    return root, got


def flat(lists):
    return [line for text in lists for line in text]


def compare(want, got, what):
    """Differences between what a block declares (or its writer meant) and
    the SVG's lines."""
    errs = []
    for key in ("messages", "notes"):
        w, g = flat(want[key]), got[key]
        if w != g:
            for i in range(max(len(w), len(g))):
                a = w[i] if i < len(w) else None
                b = g[i] if i < len(g) else None
                if a != b:
                    errs.append("%s: %s line %d: %s %r, drawn %r" % (what, key, i + 1,
                                                                     "declared" if what == "block" else "meant", a, b))
                    break
            if len(w) != len(g):
                errs.append("%s: %d %s lines, drawn %d" % (what, len(w), key, len(g)))
    have = set(got["actors"])
    for a in want["actors"]:
        for line in a:
            if line not in have:
                errs.append("%s: participant line %r not drawn (drawn: %r)" % (what, line,
                                                                               sorted(have)[:8]))
    return errs


def run_mmdc(blocks, workdir, keep, base=0):
    """Draws blocks (lists of lines) in as few mmdc calls as it can; returns
    for each block its SVG text or an error string (starting "mmdc"), and
    the number of calls. base: the first block's number, for --keep."""
    results = [None] * len(blocks)
    first, calls = 0, 0
    while first < len(blocks):
        calls += 1
        src = os.path.join(workdir, "in%d.md" % calls)
        with open(src, "w", encoding="utf-8", errors="surrogateescape") as f:
            for lines in blocks[first:]:
                f.write("```mermaid\n" + "\n".join(lines) + "\n```\n\n")
        out = os.path.join(workdir, "out%d.md" % calls)
        try:
            p = subprocess.run([MMDC, "-p", PUPPETEER, "-i", src, "-o", out],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
            log, rc = p.stdout.decode("utf-8", "replace"), p.returncode
        except subprocess.TimeoutExpired:
            log, rc = "mmdc took over 300 s", -1
        done = 0
        for k in range(len(blocks) - first):
            svg = os.path.join(workdir, "out%d-%d.svg" % (calls, k + 1))
            if not os.path.exists(svg):
                break
            with open(svg, encoding="utf-8", errors="replace") as f:
                results[first + k] = f.read()
            if keep:
                shutil.copy(svg, os.path.join(keep, "block%d.svg" % (base + first + k + 1)))
            done += 1
        if first + done == len(blocks) and rc == 0:
            break
        if first + done < len(blocks):
            # the first block not drawn is the one that failed
            msg = [l for l in log.splitlines() if l.strip() and "✅" not in l
                   and not l.startswith("Found ")]
            results[first + done] = "mmdc failed (status %d): %s" % (rc, " | ".join(msg[:6]))
            first += done + 1
        else:
            results[-1] = "mmdc failed (status %d) after drawing every block: %s" % (rc, log[-400:])
            break
    return results, calls


def main(argv):
    keep, paths, i = None, [], 0
    while i < len(argv):
        a = argv[i]
        if a == "--keep" and i + 1 < len(argv):
            keep = argv[i + 1]
            i += 2
            continue
        if a == "--if-there" and i + 1 < len(argv):
            if os.path.exists(argv[i + 1]):
                paths.append(argv[i + 1])
            else:
                print("render: %s is not there; left out" % argv[i + 1])
            i += 2
            continue
        if a.startswith("--"):
            print(__doc__)
            return 2
        paths.append(a)
        i += 1
    if not paths:
        print(__doc__)
        return 2

    if not shutil.which("node"):
        fail_setup("node is not installed")
    chromium = chromium_path()
    if not os.access(chromium, os.X_OK):
        fail_setup("%s is not installed" % chromium)
    if not os.access(MMDC, os.X_OK):
        fail_setup("%s is missing (npm ci in tools/mermaid)" % MMDC)

    files = []
    for p in paths:
        if os.path.isdir(p):
            files += sorted(os.path.join(p, n) for n in os.listdir(p) if n.endswith(".md"))
        elif os.path.exists(p):
            files.append(p)
        else:
            print("render: FAIL %s: no such file" % p)
            return 1

    # Every block of every file, with where it came from.
    todo = []
    for f in files:
        want = None
        if os.path.exists(f + ".expect.json"):
            with open(f + ".expect.json", encoding="utf-8") as e:
                want = json.load(e)
        blocks = blocks_of(f)
        if not blocks:
            print("render: FAIL %s: no mermaid block" % f)
            return 1
        if want is not None and len(want) != len(blocks):
            print("render: FAIL %s: %d blocks, %s.expect.json has %d" % (f, len(blocks), f, len(want)))
            return 1
        for k, (line, lines) in enumerate(blocks):
            todo.append((f, k + 1, line, lines, want[k] if want else None))

    if keep:
        os.makedirs(keep, exist_ok=True)
    # One mmdc (one browser) per core, each on a share of the blocks in a
    # row: the browser's start is paid once per share, the drawing in parallel.
    jobs = max(1, min(int(os.environ.get("MERMAID_JOBS", "0")) or os.cpu_count() or 1, 2, len(todo)))
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mermaid-render.") as work:
        share = (len(todo) + jobs - 1) // jobs
        parts = []
        for j in range(jobs):
            d = os.path.join(work, str(j))
            os.mkdir(d)
            parts.append(([t[3] for t in todo[j * share:(j + 1) * share]], d, keep, j * share))
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            done = list(pool.map(lambda a: run_mmdc(*a), parts))
    svgs = [svg for r in done for svg in r[0]]
    calls = sum(r[1] for r in done)
    took = time.monotonic() - t0

    bad = 0
    per_file = {}
    for (f, k, line, lines, meant), svg in zip(todo, svgs):
        where = "%s block %d (line %d)" % (os.path.basename(f), k, line)
        declared = parse_block(lines)
        errs = []
        if svg is None or svg.startswith("mmdc"):
            errs.append(svg or "not drawn")
        elif "Syntax error" in svg:
            errs.append("the SVG says Syntax error")
        else:
            try:
                root, got = svg_texts(svg)
            except ET.ParseError as e:
                errs.append("the SVG is not XML: %s" % e)
            else:
                kind = root.get("aria-roledescription")
                first = next((l.strip() for l in lines if l.strip() and not l.strip().startswith("%%")), "")
                if first.startswith("sequenceDiagram") and kind != "sequence":
                    errs.append("drawn as %r, not a sequence diagram (an error diagram?)" % kind)
                else:
                    errs += compare(declared, got, "block")
                    if meant:
                        errs += compare(meant, got, "meant")
        n = per_file.setdefault(f, [0, 0, 0, 0])
        n[0] += 1
        n[1] += len(declared["actors"])
        n[2] += len(declared["messages"])
        n[3] += len(declared["notes"])
        if errs:
            bad += 1
            for e in errs:
                print("render: FAIL %s: %s" % (where, e))
    for f, (b, a, m, nt) in per_file.items():
        print("render: %s: %d blocks, %d participants, %d arrows, %d notes" % (f, b, a, m, nt))
    print("render: %d blocks in %d files, %d mmdc call%s, %.1f s; %d failed" %
          (len(todo), len(files), calls, "" if calls == 1 else "s", took, bad))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
