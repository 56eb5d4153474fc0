//! SIP over a stream (TCP here; TLS frames the same way) is cut into messages by
//! Content-Length. A length past the largest message, up to one that overflowed rsipstack's
//! addition (with overflow checks, as in debug builds, a panic that left the connection open
//! and unread; without them a wrapped length that cut the header block short: the patched copy
//! in vendor/), closes that connection without a panic, takes nothing from its body, and other
//! connections are served as before.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rsipstack::sip::{HeadersExt, Method};
use telephony::sip::SipEndpoint;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn options(call_id: &str) -> String {
    format!(
        "OPTIONS sip:gateway@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK{call_id}\r\nFrom: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:gateway@127.0.0.1>\r\nCall-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
    )
}

/// An OPTIONS whose body is another whole OPTIONS, announced with `content_length`.
fn smuggler(content_length: &str) -> Vec<u8> {
    let outer = options("outer").replace(
        "Content-Length: 0",
        &format!("Content-Length: {content_length}"),
    );
    format!("{outer}{}", options("smuggled")).into_bytes()
}

/// The endpoint's TCP listener starts listening in a task of its own, just after the bind.
async fn connect(to: std::net::SocketAddr) -> TcpStream {
    for _ in 0..100 {
        if let Ok(stream) = TcpStream::connect(to).await {
            return stream;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("nothing listens on TCP {to}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_content_length_past_the_largest_message_closes_that_connection_only() {
    // Every panic, on any thread (the connection's task is not ours to join).
    let panics = Arc::new(AtomicUsize::new(0));
    let counted = panics.clone();
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        counted.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));

    let (sip, mut requests) = SipEndpoint::bind("127.0.0.1:0".parse().unwrap(), true, "test")
        .await
        .unwrap();
    let header_block = options("outer").len() as u64;
    let lengths = [
        // The largest a usize holds: the addition overflowed.
        u64::MAX.to_string(),
        // The same number written with leading zeros, as the fuzzer found it.
        format!("0000000000000{}", u64::MAX),
        // Wraps to a length inside the header block.
        (u64::MAX - header_block + 1).to_string(),
        // Past the largest message rsipstack frames (65 535 bytes) without overflowing.
        "70000".to_string(),
    ];
    for content_length in &lengths {
        let mut stream = connect(sip.local).await;
        stream.write_all(&smuggler(content_length)).await.unwrap();
        let mut buf = [0u8; 2048];
        let closed = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        })
        .await;
        assert!(
            closed.is_ok(),
            "Content-Length {content_length}: the connection was left open"
        );
    }

    // A well-formed request on a new connection is still taken, and it is the first the
    // endpoint saw: nothing was smuggled in above.
    let mut stream = connect(sip.local).await;
    stream.write_all(options("after").as_bytes()).await.unwrap();
    let tx = tokio::time::timeout(Duration::from_secs(5), requests.recv())
        .await
        .expect("the OPTIONS after the bad connections arrives")
        .expect("the endpoint is running");
    assert_eq!(tx.original.method, Method::Options);
    assert_eq!(
        tx.original
            .call_id_header()
            .map(|h| h.value().to_string())
            .ok(),
        Some("after".to_string())
    );
    assert_eq!(panics.load(Ordering::SeqCst), 0, "a panic while framing");
    sip.stop();
}
