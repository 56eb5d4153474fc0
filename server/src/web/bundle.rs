//! The browser bundle's file names and how long browsers may keep them.
//!
//! A release site is built with content-hashed names (`softphone.<hash>.wasm`, the lazy
//! modules and `__wasm_split.<hash>.js` too) and a `hash.txt` in the site folder that names
//! the entry files' hashes (scripts/package.sh). Such files never change under their name, so
//! they are cached for a year (`immutable`); a new release has new names. A debug site has
//! plain names and no `hash.txt`: its files are revalidated on every use. See
//! docs/architecture.md, "Bundle and caching".

use std::path::{Path, PathBuf};
use std::sync::Arc;

use leptos::config::LeptosOptions;

/// The file, in the site folder, that names the hashed entry files (cargo-leptos's format:
/// `js: <hash>`, `wasm: <hash>`, `css: <hash>`, `split: <hash>`, `manifest: <hash>`).
pub const HASH_FILE: &str = "hash.txt";

/// The bundle's entry files, as the site names them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    pub js: String,
    pub wasm: String,
    pub css: String,
    /// The lazy-module loader (`--split` sites only).
    pub split_js: Option<String>,
    /// Names this build of the bundle (the service worker's cache), `dev` for plain names.
    pub version: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BundleError {
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{path} line {line}: expected `<file>: <22-character hash>`, found {found:?}")]
    BadLine {
        path: String,
        line: usize,
        found: String,
    },
    #[error("{path} names no hash for the {kind} file")]
    Missing { path: String, kind: &'static str },
    #[error("{path} names {file}, which is not in {pkg}: the site and its hash file are from different builds")]
    NotInSite {
        path: String,
        file: String,
        pkg: String,
    },
}

/// Reads the site's hash file, if it has one, and points Leptos at it so the pages name the
/// hashed files. Without one the site's names are plain (a debug build).
pub fn configure(options: &mut LeptosOptions) -> Result<Bundle, BundleError> {
    let site = PathBuf::from(&*options.site_root);
    let pkg = site.join(&*options.site_pkg_dir);
    let hash_path = site.join(HASH_FILE);
    let name = options.output_name.to_string();
    if !hash_path.exists() {
        return Ok(Bundle {
            js: format!("{name}.js"),
            wasm: format!("{name}.wasm"),
            css: format!("{name}.css"),
            split_js: pkg
                .join(SPLIT_JS_PLAIN)
                .exists()
                .then(|| SPLIT_JS_PLAIN.to_string()),
            version: "dev".to_string(),
        });
    }
    let shown = hash_path.display().to_string();
    let text = std::fs::read_to_string(&hash_path).map_err(|e| BundleError::Unreadable {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let bundle = parse(&text, &name, &shown)?;
    let mut files = vec![&bundle.js, &bundle.wasm, &bundle.css];
    files.extend(bundle.split_js.as_ref());
    for file in files {
        if !pkg.join(file).is_file() {
            return Err(BundleError::NotInSite {
                path: shown,
                file: file.clone(),
                pkg: pkg.display().to_string(),
            });
        }
    }
    // Leptos reads the file relative to the executable's folder; an absolute path replaces that.
    options.hash_files = true;
    options.hash_file = Arc::from(absolute(&hash_path).to_string_lossy().as_ref());
    Ok(bundle)
}

const SPLIT_JS_PLAIN: &str = "__wasm_split.______________________.js";

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn parse(text: &str, name: &str, path: &str) -> Result<Bundle, BundleError> {
    let (mut js, mut wasm, mut css, mut split) = (None, None, None, None);
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = || BundleError::BadLine {
            path: path.to_string(),
            line: i + 1,
            found: line.chars().take(80).collect(),
        };
        let (kind, hash) = line.split_once(':').ok_or_else(bad)?;
        let hash = hash.trim();
        if !is_hash(hash) {
            return Err(bad());
        }
        let slot = match kind.trim() {
            "js" => &mut js,
            "wasm" => &mut wasm,
            "css" => &mut css,
            "split" => &mut split,
            // The lazy-module manifest: Leptos reads it itself.
            "manifest" => continue,
            _ => return Err(bad()),
        };
        *slot = Some(hash.to_string());
    }
    let need = |hash: Option<String>, kind: &'static str| {
        hash.ok_or_else(|| BundleError::Missing {
            path: path.to_string(),
            kind,
        })
    };
    let (js, wasm, css) = (need(js, "js")?, need(wasm, "wasm")?, need(css, "css")?);
    Ok(Bundle {
        version: wasm.clone(),
        js: format!("{name}.{js}.js"),
        wasm: format!("{name}.{wasm}.wasm"),
        css: format!("{name}.{css}.css"),
        split_js: split.map(|h| format!("__wasm_split.{h}.js")),
    })
}

/// cargo-leptos's hashes: MD5, base64url without padding (22 characters).
fn is_hash(s: &str) -> bool {
    s.len() == 22 && is_base64url(s)
}

/// The lazy modules' hashes, cut to their first 8 characters (scripts/wasm-split-loader.py).
fn is_module_hash(s: &str) -> bool {
    s.len() == 8 && is_base64url(s)
}

fn is_base64url(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        // The unhashed loader's placeholder has the same shape.
        && s.bytes().any(|b| b != b'_')
}

/// Whether a `/pkg/` file's name carries its content's hash (`name.<hash>.ext`, also before a
/// `.br`/`.gz` suffix): such a file never changes.
pub fn is_hashed_asset(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    let module = file.ends_with(".wasm") || file.contains(".wasm.");
    file.split('.')
        .skip(1)
        .any(|part| is_hash(part) || (module && is_module_hash(part)))
}

/// The service worker, with the bundle's names and version filled in (`public/sw.js` holds
/// `__BUNDLE_VERSION__` and `__BUNDLE_SHELL__`).
pub fn service_worker(template: &str, bundle: &Bundle, pkg_dir: &str) -> String {
    let mut shell = vec![
        format!("/{pkg_dir}/{}", bundle.js),
        format!("/{pkg_dir}/{}", bundle.wasm),
        format!("/{pkg_dir}/{}", bundle.css),
    ];
    shell.extend(bundle.split_js.iter().map(|f| format!("/{pkg_dir}/{f}")));
    let shell = shell
        .iter()
        .map(|u| format!("{u:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    template
        .replace("__BUNDLE_VERSION__", &bundle.version)
        .replace("__BUNDLE_SHELL__", &shell)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: &str = "AbCdEfGhIjKlMnOpQr-_12";

    #[test]
    fn parses_cargo_leptos_hash_file() {
        let text = format!("js: {H}\nwasm: {H}\ncss: {H}\nmanifest: {H}\nsplit: {H}\n");
        let b = parse(&text, "softphone", "hash.txt").unwrap();
        assert_eq!(b.js, format!("softphone.{H}.js"));
        assert_eq!(b.wasm, format!("softphone.{H}.wasm"));
        assert_eq!(b.css, format!("softphone.{H}.css"));
        assert_eq!(b.split_js, Some(format!("__wasm_split.{H}.js")));
        assert_eq!(b.version, H);
    }

    #[test]
    fn refuses_bad_hash_files() {
        let e = parse("js: short\n", "softphone", "hash.txt").unwrap_err();
        assert!(matches!(e, BundleError::BadLine { line: 1, .. }), "{e}");
        let e = parse(&format!("js: {H}\nwasm: {H}\n"), "s", "h").unwrap_err();
        assert_eq!(
            e,
            BundleError::Missing {
                path: "h".into(),
                kind: "css"
            }
        );
        let e = parse(&format!("js: {H}\nwasm {H}\n"), "s", "h").unwrap_err();
        assert!(matches!(e, BundleError::BadLine { line: 2, .. }), "{e}");
        let e = parse(&format!("img: {H}\n"), "s", "h").unwrap_err();
        assert!(matches!(e, BundleError::BadLine { line: 1, .. }), "{e}");
    }

    #[test]
    fn hashed_assets_are_told_apart() {
        assert!(is_hashed_asset(&format!("/pkg/softphone.{H}.wasm")));
        assert!(is_hashed_asset(&format!("/pkg/chunk_12.{H}.wasm.br")));
        assert!(is_hashed_asset("/pkg/chunk_12.EU8kx-6d.wasm"));
        assert!(is_hashed_asset("/pkg/chunk_12.EU8kx-6d.wasm.gz"));
        assert!(!is_hashed_asset("/pkg/chunk_12.EU8kx-6.wasm"));
        assert!(!is_hashed_asset("/pkg/softphone.EU8kx-6d.js"));
        assert!(is_hashed_asset(&format!("/pkg/__wasm_split.{H}.js")));
        assert!(!is_hashed_asset("/pkg/softphone.wasm"));
        assert!(!is_hashed_asset(
            "/pkg/__wasm_split.______________________.js"
        ));
        assert!(!is_hashed_asset(
            "/pkg/split_settings_view_3958885850529139608.wasm"
        ));
    }

    #[test]
    fn service_worker_gets_the_names() {
        let b = parse(&format!("js: {H}\nwasm: {H}\ncss: {H}\n"), "sp", "h").unwrap();
        let sw = service_worker(
            "const VERSION = \"softphone-__BUNDLE_VERSION__\";\nconst SHELL = [\"/offline.html\", __BUNDLE_SHELL__];",
            &b,
            "pkg",
        );
        assert!(sw.contains(&format!("softphone-{H}\"")), "{sw}");
        assert!(
            sw.contains(&format!(
                "\"/offline.html\", \"/pkg/sp.{H}.js\", \"/pkg/sp.{H}.wasm\", \"/pkg/sp.{H}.css\"]"
            )),
            "{sw}"
        );
    }
}
