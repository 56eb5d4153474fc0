#!/usr/bin/env python3
"""Sizes of a release site's bundle, as a browser downloads it.

usage: scripts/bundle-size.py <site folder> <first-load budget> <first-load goal>  (bytes, gzip)

The site is a release build with hashed names (its `hash.txt` names the entry files) and the
precompressed copies scripts/precompress.sh writes. Prints, for the first load (what the keypad
page loads after sign-in: the entry JS, the lazy-module loader and the snippets it imports, the
main WASM module and the stylesheet) and for all pages (every file under pkg/: the first load
plus every lazily loaded page and shared chunk), raw, gzip -9 and brotli (quality 11, the copies
the server sends) bytes per kind; says whether the first load meets the goal, and fails if it
exceeds the budget.
"""
import gzip
import pathlib
import re
import subprocess
import sys

site = pathlib.Path(sys.argv[1])
budget, goal = int(sys.argv[2]), int(sys.argv[3])
pkg = site / "pkg"
hashes = dict(
    (k.strip(), v.strip())
    for k, v in (line.split(":", 1) for line in (site / "hash.txt").read_text().splitlines() if ":" in line)
)
name = "softphone"
entry_js = pkg / f"{name}.{hashes['js']}.js"
main_wasm = pkg / f"{name}.{hashes['wasm']}.wasm"
css = pkg / f"{name}.{hashes['css']}.css"
for f in (entry_js, main_wasm, css):
    if not f.is_file():
        sys.exit(f"{f} is named by {site / 'hash.txt'} but missing")


def imports(js: pathlib.Path) -> list[pathlib.Path]:
    """The modules a JS file imports statically (relative paths), recursively, each once."""
    found, todo = [], [js.resolve()]
    while todo:
        current = todo.pop()
        for rel in re.findall(r"""(?:import|from)\s*["'](\./[^"']+)["']""", current.read_text()):
            path = (current.parent / rel).resolve()
            if path.is_file() and path != js.resolve() and path not in found:
                found.append(path)
                todo.append(path)
    return found


first = [entry_js, *imports(entry_js), main_wasm, css]
every = sorted(p.resolve() for p in pkg.rglob("*") if p.is_file() and p.suffix in (".wasm", ".js", ".css", ".json"))


def brotli_size(path: pathlib.Path) -> int:
    copy = pathlib.Path(str(path) + ".br")
    if copy.is_file():
        return copy.stat().st_size
    return len(subprocess.run(["brotli", "-q", "11", "-c", str(path)], check=True, capture_output=True).stdout)


def sizes(files):
    rows = {}
    for f in files:
        kind = {".wasm": "WASM", ".js": "JS", ".css": "CSS", ".json": "JSON"}[f.suffix]
        data = f.read_bytes()
        r = rows.setdefault(kind, [0, 0, 0, 0])
        r[0] += 1
        r[1] += len(data)
        r[2] += len(gzip.compress(data, 9, mtime=0))
        r[3] += brotli_size(f)
    total = [sum(r[i] for r in rows.values()) for i in range(4)]
    return rows, total


def report(title, files):
    rows, total = sizes(files)
    print(f"{title}")
    print(f"  {'':6} {'files':>5} {'raw B':>10} {'gzip -9 B':>10} {'brotli B':>10}")
    for kind in ("WASM", "JS", "CSS", "JSON"):
        if kind in rows:
            n, raw, gz, br = rows[kind]
            print(f"  {kind:6} {n:5d} {raw:10d} {gz:10d} {br:10d}")
    print(f"  {'total':6} {total[0]:5d} {total[1]:10d} {total[2]:10d} {total[3]:10d}")
    return total


first_total = report("first load (keypad after sign-in):", first)
for f in first:
    print(f"    {f.relative_to(pkg.resolve())}")
report("all pages (first load + every lazy page and shared chunk):", every)
gz = first_total[2]
print(
    f"first load over the wire: {gz} B gzip ({gz / 1024:.1f} KiB), {first_total[3]} B brotli "
    f"({first_total[3] / 1024:.1f} KiB); budget {budget} B gzip"
)
if gz <= goal:
    print(f"goal: first load <= {goal} B gzip: met ({gz} B, {goal - gz} B under)")
else:
    print(f"goal: first load <= {goal} B gzip: not yet ({gz} B, {gz - goal} B over; docs/bench.md)")
if gz > budget:
    sys.exit(f"FAIL: the first load is {gz} B gzipped, over the {budget}-byte budget")
