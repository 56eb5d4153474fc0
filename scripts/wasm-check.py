"""Checks the WASM modules of a release site after `cargo leptos build --release`:

- wasm-bindgen's tables are exported with the right element type: `__wbindgen_externrefs` an
  externref table, `__indirect_function_table` a funcref one. Debian's binaryen 108 rewrites the
  first export to table 0, the function table, and the app then dies at start-up in
  `WebAssembly.Table.set()`.
- no custom section a browser never reads is left: `producers`, `target_features` (wasm-opt's
  `--strip-*` passes in Cargo.toml remove them) and `name`, source-map or DWARF sections.

Both catch a release built with another wasm-opt than the pinned npm binaryen (docs/decisions.md,
"Bundle size"). Prints one line; exits 1 naming each module that fails.

Usage: python3 wasm-check.py <site pkg directory>
"""
import pathlib
import sys

UNREAD = {"producers", "target_features", "name", "sourceMappingURL", "external_debug_info"}
EXTERNREF, FUNCREF = 0x6F, 0x70
TABLE_TYPES = {"__wbindgen_externrefs": EXTERNREF, "__indirect_function_table": FUNCREF}


class Reader:
    def __init__(self, data: bytes, at: int = 0):
        self.data, self.at = data, at

    def byte(self) -> int:
        self.at += 1
        return self.data[self.at - 1]

    def uleb(self) -> int:
        value = shift = 0
        while True:
            byte = self.byte()
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    def name(self) -> str:
        length = self.uleb()
        self.at += length
        return self.data[self.at - length:self.at].decode("utf-8")

    def limits(self) -> None:
        flags = self.byte()
        self.uleb()
        if flags & 1:
            self.uleb()

    def value_type(self) -> None:
        if self.byte() in (0x63, 0x64):  # (ref null? <heap type>)
            self.uleb()


def problems(data: bytes) -> list[str]:
    if data[:4] != b"\0asm":
        return ["not a WASM module"]
    found, tables, table_exports = [], [], {}
    module = Reader(data, 8)
    while module.at < len(data):
        section_id, size = module.byte(), module.uleb()
        body = Reader(data, module.at)
        module.at += size
        if section_id == 0:
            name = body.name()
            if name in UNREAD or name.startswith(".debug_"):
                found.append(f"keeps the custom section `{name}`")
        elif section_id == 2:  # imports: imported tables come first in the table index space
            for _ in range(body.uleb()):
                body.name(), body.name()
                kind = body.byte()
                if kind == 0:
                    body.uleb()
                elif kind == 1:
                    tables.append(body.byte())
                    body.limits()
                elif kind == 2:
                    body.limits()
                elif kind == 3:
                    body.value_type()
                    body.byte()
                elif kind == 4:
                    body.byte(), body.uleb()
                else:
                    return [f"an import of unknown kind {kind}"]
        elif section_id == 4:
            for _ in range(body.uleb()):
                tables.append(body.byte())
                body.limits()
        elif section_id == 7:
            for _ in range(body.uleb()):
                name, kind, index = body.name(), body.byte(), body.uleb()
                if kind == 1:
                    table_exports[name] = index
    for name, index in table_exports.items():
        wanted = TABLE_TYPES.get(name)
        if wanted is not None and (index >= len(tables) or tables[index] != wanted):
            found.append(f"exports `{name}` as table {index}, which is not "
                         f"{'an externref' if wanted == EXTERNREF else 'a funcref'} table")
    return found


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    modules = sorted(pathlib.Path(sys.argv[1]).glob("*.wasm"))
    if not modules:
        print(f"no .wasm files in {sys.argv[1]}", file=sys.stderr)
        return 1
    failed = 0
    for module in modules:
        try:
            found = problems(module.read_bytes())
        except (IndexError, UnicodeDecodeError):
            found = ["cannot be read (truncated or malformed)"]
        for problem in found:
            print(f"{module.name}: {problem}", file=sys.stderr)
        failed += bool(found)
    if failed:
        print(f"{failed} of {len(modules)} WASM modules fail the release checks; is "
              "node_modules/.bin/wasm-opt (npm binaryen) first on PATH?", file=sys.stderr)
        return 1
    print(f"release checks: {len(modules)} WASM modules, tables exported with their types, "
          "no unread custom sections")
    return 0


if __name__ == "__main__":
    sys.exit(main())
