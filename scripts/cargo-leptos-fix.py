#!/usr/bin/env python3
"""Applies our one fix to cargo-leptos's source before scripts/setup.sh installs it from there.

cargo-leptos 0.3.10 (and 0.3.11) panics while hashing a release site whose lazy-loaded chunks
include one shorter than the lazy-module loader's file name (`attempt to subtract with
overflow`, src/compile/hash.rs: it subtracts the name's length from each module's length).
wasm-split leaves such empty chunks (8 bytes) whenever it has to keep the read-only data in the
main module (docs/bench.md, "First load"). The fix scans such a file for nothing instead.

The version gets build metadata (`+softphone.N`), so `cargo leptos --version` tells our build
from the registry's, and the crate's rust-toolchain.toml goes (rustup would otherwise look for
that toolchain instead of using the installed one).

    scripts/cargo-leptos-fix.py <unpacked crate folder> <version to give it>
"""
import pathlib
import sys


def replace_once(path: pathlib.Path, old: str, new: str) -> None:
    text = path.read_text()
    if text.count(old) != 1:
        sys.exit(f"cargo-leptos-fix: {path.name} is not the source this fix was written for")
    path.write_text(text.replace(old, new))


def main() -> None:
    crate, version = pathlib.Path(sys.argv[1]), sys.argv[2]
    base = version.split("+")[0]
    replace_once(
        crate / "src/compile/hash.rs",
        "for i in 0..=contents.len() - old_path.len() {",
        "for i in 0..=contents.len().saturating_sub(old_path.len()) {",
    )
    replace_once(crate / "Cargo.toml", f'\nversion = "{base}"\n', f'\nversion = "{version}"\n')
    replace_once(
        crate / "Cargo.lock",
        f'name = "cargo-leptos"\nversion = "{base}"\n',
        f'name = "cargo-leptos"\nversion = "{version}"\n',
    )
    (crate / "rust-toolchain.toml").unlink(missing_ok=True)


if __name__ == "__main__":
    main()
