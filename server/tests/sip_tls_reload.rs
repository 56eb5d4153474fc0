//! The real server binary takes a renewed certificate for its SIP TLS listener (calls in from an
//! encrypted Voice Connector, `SOFTPHONE_SIP_TLS_*`) on SIGHUP, as the AWS instance's
//! `cert-sync` sends it after copying Caddy's renewed certificate (docs/deploy-gateway.md): new
//! handshakes present the new certificate, the server keeps running (a restart would end every
//! call), and a file that does not parse leaves the certificate in use. The gateway's own test
//! (`telephony/tests/tls.rs`) shows a call in progress over TLS keeps its audio across a reload.

#[path = "common/binary.rs"]
mod binary;

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use binary::{free_port, http, start_server};
use testkit::certs::{certificate_text, certificates, presented, renewed};

/// Waits until the listener at `addr` presents `want` (the listener starts, a reload lands).
async fn until_presented(addr: SocketAddr, want: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if presented(addr) == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the listener at {addr} does not present the certificate: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn hang_up(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success());
}

#[tokio::test]
async fn sighup_reloads_the_sip_tls_certificate_and_keeps_the_old_one_when_the_new_one_is_broken() {
    let dir = std::env::temp_dir().join(format!("softphone-sip-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.as_path();
    let certs = data.join("certs");
    let (_ca, first, first_key) = certificates(&certs);
    let (cert_file, key_file) = (data.join("sip.pem"), data.join("sip.key"));
    std::fs::write(&cert_file, &first).unwrap();
    std::fs::write(&key_file, &first_key).unwrap();
    let tls: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let port = free_port();
    let server = start_server(
        data,
        port,
        &[
            ("SOFTPHONE_SIP_TLS_ADDR", &tls.to_string()),
            ("SOFTPHONE_SIP_TLS_CERT_FILE", cert_file.to_str().unwrap()),
            ("SOFTPHONE_SIP_TLS_KEY_FILE", key_file.to_str().unwrap()),
        ],
    )
    .await;
    let log = data.join("server.log");
    until_presented(tls, &certificate_text(&first), &log).await;

    // Renewed: the files replaced, then SIGHUP.
    let (second, second_key) = renewed(&certs);
    std::fs::write(&cert_file, &second).unwrap();
    std::fs::write(&key_file, &second_key).unwrap();
    hang_up(server.child.id());
    until_presented(tls, &certificate_text(&second), &log).await;
    let reloaded = "SIP TLS certificate reloaded";
    assert!(std::fs::read_to_string(&log).unwrap().contains(reloaded));

    // A key file cut short: refused, said so in the log, the renewed certificate stays.
    std::fs::write(&key_file, &second_key[..second_key.len() / 2]).unwrap();
    hang_up(server.child.id());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&log)
        .unwrap()
        .contains("SIP TLS certificate not reloaded")
    {
        assert!(Instant::now() < deadline, "no refusal in the log");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(presented(tls), certificate_text(&second));
    let (status, _, _) = http(port, "GET", "/healthz", None, None).await.unwrap();
    assert_eq!(status, 200, "the server runs on after both signals");

    // Nothing of the keys reaches the log.
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("PRIVATE KEY"), "{text}");
    drop(server);
    let _ = std::fs::remove_dir_all(dir);
}
