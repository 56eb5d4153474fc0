#!/usr/bin/env python3
"""Writes the lazy-module loader (`pkg/__wasm_split.<hash>.js`) compactly, with short hashes.

usage: scripts/wasm-split-loader.py <site folder>
       scripts/wasm-split-loader.py --self-test   # a small loader rewritten and run in Node

cargo-leptos writes the loader wasm-split asks for: per lazy module and shared chunk, a comment
naming the modules that share it, then the same eight-line fetch-and-instantiate block and the
list of chunks it needs by name (`[__chunk_12, __chunk_13, …]`, up to 60 of them). The loader is
in the first load, and that repetition and each file's 22-character hash were 4.6 KB of it
gzipped (docs/bench.md, "First load"). This keeps the loader's own functions as they are and
writes each module as one line: `k(12, "<hash>")` for `chunk_12.<hash>.wasm`, or
`m("<file>", 13, 18, 20, 21)`, the chunks it needs as ranges of their numbers (13 to 18 and 20
to 21); `m` does what each block did.
The exports (the names the main module imports) and the order of the definitions stay.

Each lazy module's and chunk's file keeps the first 8 characters of its hash (48 bits: they
only tell one build's module from another's of the same name) and is renamed to match, in the loader and in the split manifest
(`pkg/__wasm_split_manifest.<hash>.json`, from which the server names a lazy route's modules
for the browser to preload); nothing else names them. The loader's and the manifest's own names
are kept (the main module and `hash.txt` name them). A second run finds nothing to do.

Fails, changing nothing, unless the whole loader is the header and the blocks as cargo-leptos
0.3 writes them. Runs on the release site after `cargo leptos build` (scripts/release-site.sh).
"""
import json
import pathlib
import re
import subprocess
import sys
import tempfile

HASH_KEPT = 8
BLOCK = re.compile(
    r"(?:/\*[^*]*\*/\n)?"
    r"(?:const __chunk_(?P<chunk>\d+) = |export const (?P<export>\w+) = wrapAsyncCb\()"
    r"makeLoad\(\(\) => \{\n"
    r'    const src = fetch\(new URL\("\./(?P<file>[\w-]+)\.(?P<hash>[\w-]{22})\.wasm", import\.meta\.url\)\);\n'
    r"    src\.catch\(\(\) => \{\}\);\n"
    r"    return async \(imports\) => \(WebAssembly\.instantiateStreaming\(src, imports\)\);\n"
    r"\}\n"
    r", \[(?P<deps>[\w, ]*)\]\)\)?;\n"
)
# The loader's functions, then `m`: the fetch-and-instantiate block each module had, for the
# file named and the chunks in the ranges given.
LOADER = """const c = [];
function m(file, ...ranges) {
    const deps = [];
    for (let i = 0; i < ranges.length; i += 2) for (let n = ranges[i]; n <= ranges[i + 1]; n++) deps.push(c[n]);
    return makeLoad(() => {
        const src = fetch(new URL("./" + file, import.meta.url));
        src.catch(() => {});
        return (imports) => WebAssembly.instantiateStreaming(src, imports);
    }, deps);
}
function k(n, hash, ...ranges) {
    c[n] = m(`chunk_${n}.${hash}.wasm`, ...ranges);
}
"""


def ranges(deps: str, defined: set[int]) -> str:
    numbers = []
    for name in filter(None, (d.strip() for d in deps.split(","))):
        match = re.fullmatch(r"__chunk_(\d+)", name)
        if not match or int(match[1]) not in defined:
            raise ValueError(f"a dependency that is not a chunk defined before it: {name}")
        numbers.append(int(match[1]))
    spans: list[list[int]] = []
    for n in sorted(set(numbers)):
        if spans and spans[-1][1] == n - 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return "".join(f", {a}, {b}" for a, b in spans)


def compact(text: str) -> tuple[str, dict[str, str]]:
    """The loader's new text, and the files to rename (old name to new)."""
    first = BLOCK.search(text)
    if first is None:
        raise ValueError("no module block in the form cargo-leptos writes")
    header, lines, renames, defined = text[: first.start()], [], {}, set()
    if "function makeLoad(" not in header or "function wrapAsyncCb(" not in header:
        raise ValueError("the loader's header has no makeLoad and wrapAsyncCb")
    position = first.start()
    for block in BLOCK.finditer(text, position):
        if block.start() != position:
            raise ValueError(f"unexpected text at byte {position}: {text[position:position + 80]!r}")
        position = block.end()
        old = f"{block['file']}.{block['hash']}.wasm"
        new = f"{block['file']}.{block['hash'][:HASH_KEPT]}.wasm"
        renames[old] = new
        needs = ranges(block["deps"], defined)
        load = f'm("{new}"{needs})'
        chunk = block["chunk"]
        if chunk is not None and block["file"] == f"chunk_{chunk}":
            lines.append(f'k({chunk}, "{block["hash"][:HASH_KEPT]}"{needs});')
            defined.add(int(chunk))
        elif chunk is not None:
            lines.append(f"c[{chunk}] = {load};")
            defined.add(int(chunk))
        else:
            lines.append(f"export const {block['export']} = wrapAsyncCb({load});")
    if position != len(text):
        raise ValueError(f"unexpected text at byte {position}: {text[position:position + 80]!r}")
    if len(set(renames.values())) != len(renames):
        raise ValueError("two files would have the same short name")
    # The header's comment lines and indentation go too (it has no multi-line string).
    if "`" in header:
        raise ValueError("the loader's header has a template string")
    header = re.sub(r"^[ \t]*//.*\n", "", header, flags=re.M)
    code = re.sub(r"^[ \t]+", "", header + LOADER, flags=re.M)
    return code + "\n".join(lines) + "\n", renames


def short_manifest(text: str, renames: dict[str, str]) -> str:
    """The manifest (lazy module -> the files it needs, without `.wasm`) with the new names."""
    manifest = json.loads(text)
    if not isinstance(manifest, dict) or not all(isinstance(v, list) for v in manifest.values()):
        raise ValueError("the split manifest is not an object of lists")
    stems = {old[: -len(".wasm")]: new[: -len(".wasm")] for old, new in renames.items()}
    unknown = [f for files in manifest.values() for f in files if f not in stems]
    if unknown:
        raise ValueError(f"the split manifest names files the loader does not: {unknown[:3]}")
    short = {module: [stems[f] for f in files] for module, files in manifest.items()}
    return json.dumps(short, separators=(",", ":"))


def only(pkg: pathlib.Path, pattern: str) -> pathlib.Path:
    found = sorted(pkg.glob(pattern))
    if len(found) != 1:
        sys.exit(f"wasm-split-loader: expected one {pattern} in {pkg}, found {len(found)}")
    return found[0]


def rewrite(site: pathlib.Path) -> None:
    pkg = site / "pkg"
    loader = only(pkg, "__wasm_split.*.js")
    manifest = only(pkg, "__wasm_split_manifest.*.json")
    text = loader.read_text()
    if "\nfunction m(file, ...ranges)" in text:
        named = [f for files in json.loads(manifest.read_text()).values() for f in files]
        missing = [f for f in named if not (pkg / f"{f}.wasm").is_file()]
        if missing:
            sys.exit(f"wasm-split-loader: {manifest.name} names modules that are not in {pkg}: {missing[:3]}")
        print(f"wasm-split-loader: {loader.name} is already compact")
        return
    try:
        new_text, renames = compact(text)
        new_manifest = short_manifest(manifest.read_text(), renames)
    except ValueError as e:
        sys.exit(f"wasm-split-loader: {loader.name} left as it is: {e}")
    missing = [old for old in renames if not (pkg / old).is_file()]
    if missing:
        sys.exit(f"wasm-split-loader: {loader.name} names files that are not in {pkg}: {missing[:3]}")
    # The new texts first, under other names: they replace the old ones once every module has
    # its new name.
    staged = [(loader, new_text), (manifest, new_manifest)]
    for path, content in staged:
        path.with_name(path.name + ".new").write_text(content)
    for old, new in renames.items():
        (pkg / old).rename(pkg / new)
    for path, _ in staged:
        path.with_name(path.name + ".new").replace(path)
    print(
        f"wasm-split-loader: {loader.name} {len(text)} -> {len(new_text)} B, "
        f"{len(renames)} modules renamed to {HASH_KEPT}-character hashes"
    )


# The self-test's loader: cargo-leptos 0.3's header and blocks, three chunks (the third needs
# the first) and two lazy modules.
FIXTURE_HEADER = """import { initSync } from "./softphone.js";

let sharedImports = undefined;
function getSharedImports() {
    if (sharedImports === undefined) {
        sharedImports = { __wasm_split: {  } };
        const { __indirect_function_table, __wasm_split_shared0, memory,  } = initSync(undefined, undefined);
        Object.assign(sharedImports.__wasm_split, { __indirect_function_table, __wasm_split_shared0, memory,  });
    }
    return sharedImports;
}
function wrapAsyncCb(callee) {
    return async (callbackIndex, callbackData) => {
        let success;
        try {
            await callee();
            success = true;
        } catch (e) {
            console.error(e);
            success = false;
        } finally {
            const sharedImports = getSharedImports();
            sharedImports.__wasm_split.__indirect_function_table.get(callbackIndex)(callbackData, success);
        }
    }
}
function makeLoad(fetcher, deps) {
    const loader = async () => {
        const parallelStuff = deps.map(d => d());
        const instantiate = fetcher();
        await Promise.all(parallelStuff);
        const imports = getSharedImports();
        return instantiate(imports);
    };
    let loadingModule = undefined;
    return () => {
        if (loadingModule === undefined) {
            const thisLoad = loader();
            // Memoize successes only.
            thisLoad.catch(() => {
                if (loadingModule === thisLoad) loadingModule = undefined;
            });
            loadingModule = thisLoad;
        }
        return loadingModule;
    }
}
"""
FIXTURE_MODULES = [  # (chunk number or export name, file, dependencies)
    (1, "chunk_1", []),
    (2, "chunk_2", []),
    (3, "chunk_3", [1]),
    ("__wasm_split_load_a", "split_a", [1, 2, 3]),
    ("__wasm_split_load_b", "split_b", [3]),
]
FIXTURE_RUN = """
const fetched = [], called = [];
globalThis.fetch = (url) => { fetched.push(new URL(url).pathname.split("/").pop()); return Promise.resolve({}); };
WebAssembly.instantiateStreaming = async () => ({});
globalThis.softphoneCalled = called;
const loader = await import(process.argv[1]);
const fetch_for = async (name) => {
    fetched.length = 0;
    await loader[name](7, name);
    return [...fetched].sort().join(" ");
};
console.log(JSON.stringify([await fetch_for("__wasm_split_load_b"), await fetch_for("__wasm_split_load_a"), called]));
"""


def fixture_hash(file: str) -> str:
    return (file.replace("_", "") * 22)[:20] + "Aa"


def self_test() -> None:
    blocks = []
    for key, file, deps in FIXTURE_MODULES:
        head = f"const __chunk_{key} = " if isinstance(key, int) else f"export const {key} = wrapAsyncCb("
        tail = ")" if isinstance(key, str) else ""
        blocks.append(
            f"/* {file} */\n{head}makeLoad(() => {{\n"
            f'    const src = fetch(new URL("./{file}.{fixture_hash(file)}.wasm", import.meta.url));\n'
            "    src.catch(() => {});\n"
            "    return async (imports) => (WebAssembly.instantiateStreaming(src, imports));\n"
            f"}}\n, [{', '.join(f'__chunk_{d}' for d in deps)}]){tail};\n"
        )
    manifest = {
        file: [f"chunk_{d}.{fixture_hash(f'chunk_{d}')}" for d in deps] + [f"{file}.{fixture_hash(file)}"]
        for key, file, deps in FIXTURE_MODULES
        if isinstance(key, str)
    }
    failures = []
    with tempfile.TemporaryDirectory() as tmp:
        pkg = pathlib.Path(tmp) / "pkg"
        pkg.mkdir()
        loader = pkg / "__wasm_split.LoaderLoaderLoaderLoader.js"
        loader.write_text(FIXTURE_HEADER + "".join(blocks))
        (pkg / "__wasm_split_manifest.ManifestManifestManife.json").write_text(json.dumps(manifest))
        (pkg / "softphone.js").write_text(
            "export function initSync() { return { __indirect_function_table: "
            "{ get: (i) => (data, ok) => globalThis.softphoneCalled.push([i, data, ok]) } }; }\n"
        )
        for _, file, _ in FIXTURE_MODULES:
            (pkg / f"{file}.{fixture_hash(file)}.wasm").write_bytes(b"\0asm")
        # A loader with anything else in it is refused, and nothing is renamed.
        loader.write_text(FIXTURE_HEADER + "".join(blocks) + "console.log(1);\n")
        refused = subprocess.run([sys.executable, __file__, tmp], capture_output=True, text=True)
        if refused.returncode == 0 or "left as it is" not in refused.stderr:
            failures.append(f"a loader with unknown text was not refused: {refused.stderr.strip()}")
        if not (pkg / f"chunk_1.{fixture_hash('chunk_1')}.wasm").is_file():
            failures.append("a refused loader's modules were renamed")
        loader.write_text(FIXTURE_HEADER + "".join(blocks))
        rewrite(pathlib.Path(tmp))
        text = loader.read_text()
        if "/*" in text or "Memoize" in text or 'k(3, "chunk3ch", 1, 1);' not in text:
            failures.append(f"the loader is not as expected:\n{text}")
        short = json.loads((pkg / "__wasm_split_manifest.ManifestManifestManife.json").read_text())
        if short.get("split_b") != ["chunk_3.chunk3ch", "split_b.splitbsp"]:
            failures.append(f"the manifest is not as expected: {short}")
        if sorted(p.name for p in pkg.glob("*.wasm")) != sorted(
            f"{file}.{fixture_hash(file)[:HASH_KEPT]}.wasm" for _, file, _ in FIXTURE_MODULES
        ):
            failures.append(f"the modules' names: {sorted(p.name for p in pkg.glob('*.wasm'))}")
        rewrite(pathlib.Path(tmp))  # a second run changes nothing
        if loader.read_text() != text:
            failures.append("a second run changed the loader")
        # Run in Node: each lazy module fetches itself and the chunks it needs, each chunk once.
        run = subprocess.run(
            ["node", "--input-type=module", "-e", FIXTURE_RUN, str(loader)], capture_output=True, text=True
        )
        want = [
            "chunk_1.chunk1ch.wasm chunk_3.chunk3ch.wasm split_b.splitbsp.wasm",
            "chunk_2.chunk2ch.wasm split_a.splitasp.wasm",
            [[7, "__wasm_split_load_b", True], [7, "__wasm_split_load_a", True]],
        ]
        if run.returncode != 0 or json.loads(run.stdout or "null") != want:
            failures.append(f"in Node the loader fetched {run.stdout.strip()} {run.stderr.strip()}, not {want}")
    for failure in failures:
        print(f"wasm-split-loader self-test: {failure}", file=sys.stderr)
    if failures:
        sys.exit(1)
    print("wasm-split-loader self-test: rewritten, refused when unknown, and loads in Node as before")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
    elif len(sys.argv) == 2:
        rewrite(pathlib.Path(sys.argv[1]))
    else:
        sys.exit(__doc__)
