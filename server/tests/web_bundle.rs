//! The bundle as a release site serves it: hashed file names (from the site's `hash.txt`) in the
//! page, the stylesheet and the service worker; hashed files cached for a year; the bundle's
//! precompressed copies and compressed pages by `Accept-Encoding`; a debug site's plain names
//! revalidated; a hash file that does not match the site stops the server with its name.

#[path = "common/binary.rs"]
mod binary;

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use binary::{free_port, start_server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const JS: &str = "Jjjjjjjjjjjjjjjjjjjjj1";
const WASM: &str = "Wwwwwwwwwwwwwwwwwwww-2";
const CSS: &str = "Cccccccccccccccccccc_3";

struct Answer {
    status: u16,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }

    /// The body as sent, decoded by its `Content-Encoding`.
    fn decoded(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self.header("content-encoding") {
            "br" => {
                brotli::Decompressor::new(&self.body[..], 4096)
                    .read_to_end(&mut out)
                    .unwrap();
            }
            "gzip" => {
                flate2::read::GzDecoder::new(&self.body[..])
                    .read_to_end(&mut out)
                    .unwrap();
            }
            "" => out.clone_from(&self.body),
            other => panic!("unexpected content-encoding {other}"),
        }
        out
    }
}

/// One HTTP/1.0 GET (the body ends with the connection), with `Accept-Encoding` if given.
async fn get(port: u16, path: &str, accept_encoding: Option<&str>) -> Answer {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let mut request =
        format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nAccept: text/html\r\n");
    if let Some(e) = accept_encoding {
        request.push_str(&format!("Accept-Encoding: {e}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        w.write_all(data).unwrap();
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut w = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    w.write_all(data).unwrap();
    w.finish().unwrap()
}

/// A site as scripts/package.sh leaves it: hashed names, their precompressed copies, the hash
/// file and the service worker template; or, with `hashed` false, a debug site's plain names.
fn site(root: &Path, hashed: bool) -> Vec<(String, Vec<u8>)> {
    let pkg = root.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let name = |hash: &str, ext: &str| match hashed {
        true => format!("softphone.{hash}.{ext}"),
        false => format!("softphone.{ext}"),
    };
    let files = vec![
        (
            name(JS, "js"),
            b"export default function init() {}\n".repeat(200),
        ),
        (
            name(WASM, "wasm"),
            b"\0asm\x01\0\0\0 module bytes ".repeat(300),
        ),
        (name(CSS, "css"), b"body { color: #0f172a; }\n".repeat(200)),
    ];
    for (file, bytes) in &files {
        std::fs::write(pkg.join(file), bytes).unwrap();
        if hashed {
            std::fs::write(pkg.join(format!("{file}.br")), brotli(bytes)).unwrap();
            std::fs::write(pkg.join(format!("{file}.gz")), gzip(bytes)).unwrap();
        }
    }
    if hashed {
        std::fs::write(
            root.join("hash.txt"),
            format!("js: {JS}\nwasm: {WASM}\ncss: {CSS}\n"),
        )
        .unwrap();
    }
    let template =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/sw.js"))
            .unwrap();
    std::fs::write(root.join("sw.js"), template).unwrap();
    files
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("softphone-{name}-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The server binary started on a site made by [`site`] in a fresh data folder: the folder,
/// the site's bundle files, the port and the running server.
async fn serve_site(
    name: &str,
    hashed: bool,
) -> (
    std::path::PathBuf,
    Vec<(String, Vec<u8>)>,
    u16,
    binary::Server,
) {
    let data = temp_dir(name);
    let root = data.join("site");
    let files = site(&root, hashed);
    let port = free_port();
    let server = start_server(
        &data,
        port,
        &[
            ("LEPTOS_SITE_ROOT", root.to_str().unwrap()),
            ("LEPTOS_SITE_PKG_DIR", "pkg"),
        ],
    )
    .await;
    (data, files, port, server)
}

#[tokio::test]
async fn a_release_site_is_served_hashed_cached_and_compressed() {
    let (data, files, port, _server) = serve_site("bundle", true).await;

    // The page names the hashed files and comes compressed by what the browser accepts.
    let plain = get(port, "/signin", None).await;
    assert_eq!(plain.status, 200);
    assert_eq!(plain.header("content-encoding"), "");
    let page = String::from_utf8(plain.body.clone()).unwrap();
    for (file, _) in &files {
        assert!(
            page.contains(&format!("/pkg/{file}")),
            "{file} not in {page}"
        );
    }
    assert_eq!(plain.header("cache-control"), "private, no-store");
    for encoding in ["br", "gzip"] {
        let answer = get(port, "/signin", Some(encoding)).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("content-encoding"), encoding);
        assert!(
            answer.body.len() < plain.body.len() / 2,
            "{encoding}: {} of {}",
            answer.body.len(),
            plain.body.len()
        );
        let decoded = String::from_utf8(answer.decoded()).unwrap();
        assert!(
            decoded.contains(&format!("/pkg/softphone.{WASM}.wasm")),
            "{decoded}"
        );
    }

    // Each file: its precompressed copy, decoding to the file; a year in any cache.
    for (file, bytes) in &files {
        for encoding in [None, Some("br"), Some("gzip"), Some("gzip, deflate, br")] {
            let answer = get(port, &format!("/pkg/{file}"), encoding).await;
            assert_eq!(answer.status, 200, "{file} {encoding:?}");
            assert_eq!(
                answer.header("cache-control"),
                "public, max-age=31536000, immutable",
                "{file}"
            );
            assert_eq!(answer.header("vary"), "accept-encoding", "{file}");
            let expected = match encoding {
                None => "",
                Some("gzip") => "gzip",
                Some(_) => "br",
            };
            assert_eq!(
                answer.header("content-encoding"),
                expected,
                "{file} {encoding:?}"
            );
            assert_eq!(&answer.decoded(), bytes, "{file} {encoding:?}");
        }
    }
    let wasm = get(port, &format!("/pkg/softphone.{WASM}.wasm"), Some("br")).await;
    assert_eq!(wasm.header("content-type"), "application/wasm");

    // The service worker precaches the hashed files and is itself always revalidated.
    let sw = get(port, "/sw.js", None).await;
    assert_eq!(sw.status, 200);
    assert_eq!(sw.header("cache-control"), "no-cache");
    let sw = String::from_utf8(sw.decoded()).unwrap();
    assert!(sw.contains(&format!("\"softphone-{WASM}\"")), "{sw}");
    for (file, _) in &files {
        assert!(
            sw.contains(&format!("\"/pkg/{file}\"")),
            "{file} not in {sw}"
        );
    }
    assert!(!sw.contains("__BUNDLE_"), "{sw}");
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test]
async fn a_debug_site_keeps_plain_names_and_revalidates_them() {
    let (data, files, port, _server) = serve_site("bundle-debug", false).await;
    let page = String::from_utf8(get(port, "/signin", None).await.body).unwrap();
    for (file, bytes) in &files {
        // The wasm's plain name is `softphone_bg.wasm` in a build without LEPTOS_OUTPUT_NAME.
        let bg = file.replace(".wasm", "_bg.wasm");
        assert!(
            page.contains(&format!("/pkg/{file}")) || page.contains(&format!("/pkg/{bg}")),
            "{file} not in {page}"
        );
        let answer = get(port, &format!("/pkg/{file}"), None).await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.header("cache-control"), "no-cache", "{file}");
        assert_eq!(&answer.body, bytes);
    }
    let sw = String::from_utf8(get(port, "/sw.js", None).await.body).unwrap();
    assert!(sw.contains("\"softphone-dev\""), "{sw}");
    assert!(sw.contains("\"/pkg/softphone.wasm\""), "{sw}");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_hash_file_from_another_build_stops_the_server() {
    let data = temp_dir("bundle-stale");
    let root = data.join("site");
    site(&root, true);
    // A rebuilt site whose hash file names a wasm that is not there.
    std::fs::remove_file(root.join("pkg").join(format!("softphone.{WASM}.wasm"))).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .current_dir(&data)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("LEPTOS_OUTPUT_NAME", "softphone")
        .env("LEPTOS_SITE_ROOT", &root)
        .env("SOFTPHONE_DATA_DIR", &data)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started with a hash file naming a missing wasm");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(!status.success());
    assert!(
        stderr.contains("hash.txt") && stderr.contains(&format!("softphone.{WASM}.wasm")),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&data);
}
