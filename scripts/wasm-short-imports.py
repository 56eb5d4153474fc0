#!/usr/bin/env python3
"""Gives the main WASM module's JavaScript imports short names, in the module and in its JS.

usage: scripts/wasm-short-imports.py <site folder>

wasm-bindgen names each import after its Rust shim plus a 16-digit hash (`__wbg_then_3a4f…`),
and the module imports them from `./softphone_bg.js`; the entry JS defines each under the same
name in the imports object it instantiates the module with. The hashes are random to gzip: 324
imports cost about 5 KB gzipped in the module and 4 KB in the JS, both in the first load
(docs/bench.md, "First load"). This renames each of them, in the module's import section and
as the imports object's key in the entry JS, to a short name (the same for the same position,
so a second run changes nothing), and the import module to `w`: what Emscripten's
import minification does. Nothing else in either file names them (checked: each old name must
be in the JS exactly once, as the object's key, or the script fails and changes nothing).

Runs on the release site after `cargo leptos build`, before the files are checked and
precompressed (scripts/release-site.sh). The files keep their hashed names: those come from the
content before the rename, which determines the content after it.
"""
import pathlib
import re
import sys

MODULE = "./softphone_bg.js"
SHORT_MODULE = "w"
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def leb(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def uleb(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def name_bytes(text: str) -> bytes:
    raw = text.encode()
    return uleb(len(raw)) + raw


def short(index: int) -> str:
    """a … Z, then aa, ba, …: JS identifiers (no digit first)."""
    name = ""
    while True:
        name += LETTERS[index % len(LETTERS)]
        index //= len(LETTERS)
        if not index:
            return name


def value_type_end(data: bytes, i: int) -> int:
    if data[i] in (0x63, 0x64):  # (ref null? <heap type>)
        _, i = leb(data, i + 1)
        return i
    return i + 1


def import_desc_end(data: bytes, i: int) -> int:
    """The end of one import's description (after its two names)."""
    kind = data[i]
    i += 1
    if kind == 0:  # function: type index
        _, i = leb(data, i)
    elif kind == 1:  # table: reference type, limits
        i = value_type_end(data, i)
        flags, i = leb(data, i)
        _, i = leb(data, i)
        if flags & 1:
            _, i = leb(data, i)
    elif kind == 2:  # memory: limits
        flags, i = leb(data, i)
        _, i = leb(data, i)
        if flags & 1:
            _, i = leb(data, i)
    elif kind == 3:  # global: value type, mutability
        i = value_type_end(data, i) + 1
    elif kind == 4:  # tag
        i += 1
        _, i = leb(data, i)
    else:
        sys.exit(f"wasm-short-imports: unknown import kind {kind}")
    return i


def rename_imports(wasm: bytes) -> tuple[bytes, dict[str, str]]:
    """The module with MODULE's imports renamed, and the renames (old name → new)."""
    if wasm[:8] != b"\0asm\1\0\0\0":
        sys.exit("wasm-short-imports: not a WASM module")
    out = bytearray(wasm[:8])
    renames: dict[str, str] = {}
    i = 8
    while i < len(wasm):
        section = wasm[i]
        size, body = leb(wasm, i + 1)
        end = body + size
        if section != 2:
            out += wasm[i:end]
            i = end
            continue
        count, j = leb(wasm, body)
        entries = bytearray(uleb(count))
        ours = 0
        for _ in range(count):
            length, j = leb(wasm, j)
            module = wasm[j : j + length].decode()
            j += length
            length, j = leb(wasm, j)
            field = wasm[j : j + length].decode()
            j += length
            desc_end = import_desc_end(wasm, j)
            if module in (MODULE, SHORT_MODULE):
                new = short(ours)
                ours += 1
                if field != new:
                    renames[field] = new
                module, field = SHORT_MODULE, new
            entries += name_bytes(module) + name_bytes(field) + wasm[j:desc_end]
            j = desc_end
        if j != end:
            sys.exit("wasm-short-imports: the import section did not parse to its end")
        out += bytes([2]) + uleb(len(entries)) + entries
        i = end
    return bytes(out), renames


def rename_in_js(js: str, renames: dict[str, str]) -> str:
    module_key = f'"{MODULE}":'
    if renames:
        if js.count(module_key) != 1:
            sys.exit(f"wasm-short-imports: the entry JS does not key its imports by {MODULE} once")
        js = js.replace(module_key, f"{SHORT_MODULE}:")
    for old, new in renames.items():
        # As the imports object's key: `old:` or `"old":`, nowhere else.
        pattern = re.compile(r'(?<![\w$])"?' + re.escape(old) + r'"?(?=:)')
        found = len(pattern.findall(js))
        if found != 1 or js.count(old) != 1:
            sys.exit(f"wasm-short-imports: {old} is not in the entry JS exactly once as a key")
        js = pattern.sub(new, js)
    return js


def main() -> None:
    site = pathlib.Path(sys.argv[1])
    hashes = dict(
        (k.strip(), v.strip())
        for k, v in (line.split(":", 1) for line in (site / "hash.txt").read_text().splitlines() if ":" in line)
    )
    pkg = site / "pkg"
    wasm_path = pkg / f"softphone.{hashes['wasm']}.wasm"
    js_path = pkg / f"softphone.{hashes['js']}.js"
    wasm, renames = rename_imports(wasm_path.read_bytes())
    js = rename_in_js(js_path.read_text(), renames)
    # Both checked before either is written.
    wasm_path.write_bytes(wasm)
    js_path.write_text(js)
    print(f"short imports: {len(renames)} renamed in {wasm_path.name} and {js_path.name}")


if __name__ == "__main__":
    main()
