//! Test certificates made with openssl, as an operator would make them: a CA, and a leaf it
//! issued for 127.0.0.1 (the PSTN simulator's or another far end's TLS listener).

use std::path::Path;
use std::process::Command;

/// The P-256 key options of every key made here.
const EC: [&str; 5] = [
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
];

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn path(dir: &Path, file: &str) -> String {
    dir.join(file).to_string_lossy().to_string()
}

/// A test CA and a certificate it issued for 127.0.0.1 (openssl, as an operator would):
/// (CA certificate PEM, server certificate PEM, server key PEM).
pub fn certificates(dir: &Path) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    std::fs::create_dir_all(dir).unwrap();
    let (ca_key, ca_pem) = (path(dir, "ca.key"), path(dir, "ca.pem"));
    let mut args = vec!["req", "-x509"];
    args.extend(EC);
    args.extend(["-days", "1", "-subj", "/CN=softphone test CA"]);
    args.extend(["-keyout", &ca_key, "-out", &ca_pem]);
    openssl(&args);
    let (cert, key) = issue(dir, "leaf");
    (std::fs::read(dir.join("ca.pem")).unwrap(), cert, key)
}

/// Another certificate for 127.0.0.1 from the CA [`certificates`] made in `dir` (a renewal, as
/// a gateway's certificate is every few months): (certificate PEM, key PEM).
pub fn renewed(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    issue(dir, "renewed")
}

/// A certificate for 127.0.0.1 and its key, issued by the CA in `dir`, in files named `name`.
fn issue(dir: &Path, name: &str) -> (Vec<u8>, Vec<u8>) {
    let (key, csr, ext, pem) = (
        path(dir, &format!("{name}.key")),
        path(dir, &format!("{name}.csr")),
        path(dir, &format!("{name}.ext")),
        path(dir, &format!("{name}.pem")),
    );
    let mut args = vec!["req"];
    args.extend(EC);
    args.extend(["-subj", "/CN=pstn.test", "-keyout", &key, "-out", &csr]);
    openssl(&args);
    std::fs::write(
        &ext,
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    let (ca_pem, ca_key) = (path(dir, "ca.pem"), path(dir, "ca.key"));
    openssl(&[
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &ca_pem,
        "-CAkey",
        &ca_key,
        "-CAcreateserial",
        "-days",
        "1",
        "-out",
        &pem,
        "-extfile",
        &ext,
    ]);
    (std::fs::read(&pem).unwrap(), std::fs::read(&key).unwrap())
}

/// The certificate a TLS client is shown at `addr` (the first of the chain), as
/// [`certificate_text`] gives it; openssl's client, as an operator would check it.
pub fn presented(addr: std::net::SocketAddr) -> String {
    let out = Command::new("openssl")
        .args(["s_client", "-connect", &addr.to_string(), "-showcerts"])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("openssl runs");
    let shown = String::from_utf8_lossy(&out.stdout);
    let Some(begin) = shown.find("-----BEGIN CERTIFICATE-----") else {
        return String::new();
    };
    certificate_text(shown[begin..].as_bytes())
}

/// The first certificate of a PEM chain, without its line breaks (for comparing).
pub fn certificate_text(pem: &[u8]) -> String {
    let text = String::from_utf8_lossy(pem);
    let end = text
        .find("-----END CERTIFICATE-----")
        .expect("a PEM certificate");
    text[..end].split_whitespace().collect()
}
