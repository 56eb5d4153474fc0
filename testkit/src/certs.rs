//! Test certificates made with openssl, as an operator would make them: a CA, and a leaf it
//! issued for 127.0.0.1 (the PSTN simulator's or another far end's TLS listener).

use std::process::Command;

/// A test CA and a certificate it issued for 127.0.0.1 (openssl, as an operator would):
/// (CA certificate PEM, server certificate PEM, server key PEM).
pub fn certificates(dir: &std::path::Path) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    std::fs::create_dir_all(dir).unwrap();
    let path = |name: &str| dir.join(name).to_string_lossy().to_string();
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    run(&[
        &["req", "-x509"][..],
        &ec,
        &["-days", "1", "-subj", "/CN=softphone test CA"],
    ]
    .concat()
    .into_iter()
    .chain(["-keyout", &path("ca.key"), "-out", &path("ca.pem")])
    .collect::<Vec<_>>());
    run(&[&["req"][..], &ec, &["-subj", "/CN=pstn.test"]]
        .concat()
        .into_iter()
        .chain(["-keyout", &path("leaf.key"), "-out", &path("leaf.csr")])
        .collect::<Vec<_>>());
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        &path("leaf.csr"),
        "-CA",
        &path("ca.pem"),
        "-CAkey",
        &path("ca.key"),
        "-CAcreateserial",
        "-days",
        "1",
        "-out",
        &path("leaf.pem"),
        "-extfile",
        &path("leaf.ext"),
    ]);
    (
        std::fs::read(dir.join("ca.pem")).unwrap(),
        std::fs::read(dir.join("leaf.pem")).unwrap(),
        std::fs::read(dir.join("leaf.key")).unwrap(),
    )
}
