//! A recorded call through the real server binary, as the browser places it (a str0m peer
//! plays the browser), and a recording fetched as its owner plays it.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use testkit::peer::{BrowserPeer, PeerCommand, Source};
use tokio_tungstenite::tungstenite::Message;

use crate::binary::{call_api, http, next_message, open_live, LiveSocket};

const LOOPBACK: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Signs `email` up, sets recording to "always" and calls the echo number over the live
/// channel with a str0m peer sending a 1 kHz tone; returns once the recording runs.
pub async fn recorded_call(port: u16, email: String) -> (String, String, LiveSocket, BrowserPeer) {
    let cookie = sign_up_recording(port, &email).await;
    recorded_call_as(port, &cookie).await
}

/// Signs `email` up with recording set to "always"; the session's cookies.
pub async fn sign_up_recording(port: u16, email: &str) -> String {
    let (status, cookies, body) = http(
        port,
        "POST",
        "/api/auth/sign_up",
        None,
        Some(&json!({"email": email, "password": "Corr3ct-horse!", "confirm": "Corr3ct-horse!"})),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let cookie = cookies.join("; ");
    call_api(
        port,
        &cookie,
        "/api/preferences/recording",
        json!({"mode": "always"}),
    )
    .await;
    cookie
}

/// [`recorded_call`] for a user already signed in (and recording every call).
pub async fn recorded_call_as(
    port: u16,
    cookie: &str,
) -> (String, String, LiveSocket, BrowserPeer) {
    let cookie = cookie.to_string();
    // The live channel, as the browser opens it; the call is dialled from it (only that
    // connection's offer is taken) and our peer makes the offer.
    let mut ws = open_live(port, &cookie).await;
    let hello = next_message(&mut ws).await;
    assert_eq!(hello["type"], "hello", "{hello}");
    let ticket = call_api(
        port,
        &cookie,
        "/api/calls/start",
        json!({"input": "+6560000001", "default_country": null, "connection": hello["connection"]}),
    )
    .await;
    let call_id = ticket["call_id"].as_str().unwrap().to_string();
    let mut peer = BrowserPeer::new(LOOPBACK, true).await.unwrap();
    let offer = json!({"type": "offer", "call_id": call_id, "sdp": peer.offer});
    ws.send(Message::Text(offer.to_string().into()))
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut answered = false;
    loop {
        let m = tokio::time::timeout_at(deadline, ws.next())
            .await
            .expect("the call was never recorded")
            .unwrap()
            .unwrap();
        let Message::Text(text) = m else { continue };
        let m: Value = serde_json::from_str(&text).unwrap();
        match m["type"].as_str() {
            Some("answer") => {
                peer.accept_answer(m["sdp"].as_str().unwrap().to_string());
                peer.command(PeerCommand::Source(Source::Tone(1000.0)));
                answered = true;
            }
            Some("call") if m["call"]["recording"]["state"] == "recording" => break,
            Some("error") => panic!("{m}"),
            _ => {}
        }
    }
    assert!(answered);
    (cookie, call_id, ws, peer)
}

/// Fetches a recording's audio as its owner plays it and checks it is a WAV file a player
/// takes: the header's sizes match the file and the metadata, stereo, as long as the metadata
/// says. Returns its frames (left: the far end, right: the agent).
pub async fn playable(
    port: u16,
    cookie: &str,
    recording_id: &str,
    meta: &Value,
) -> Vec<(i16, i16)> {
    let (status, _, wav) = http(
        port,
        "GET",
        &format!("/api/recordings/{recording_id}/audio"),
        Some(cookie),
        None,
    )
    .await
    .unwrap();
    assert_eq!(status, 200);
    assert_eq!(meta["bytes"].as_u64(), Some(wav.len() as u64));
    assert_eq!(&wav[0..4], b"RIFF");
    assert_eq!(
        u32::from_le_bytes(wav[4..8].try_into().unwrap()) as usize,
        wav.len() - 8
    );
    assert_eq!(
        u32::from_le_bytes(wav[40..44].try_into().unwrap()) as usize,
        wav.len() - 44
    );
    assert_eq!(u16::from_le_bytes(wav[22..24].try_into().unwrap()), 2);
    let frames: Vec<(i16, i16)> = wav[44..]
        .chunks_exact(4)
        .map(|f| {
            (
                i16::from_le_bytes([f[0], f[1]]),
                i16::from_le_bytes([f[2], f[3]]),
            )
        })
        .collect();
    assert_eq!(
        Some(frames.len() as u64 * 1000 / 8000),
        meta["duration_ms"].as_u64()
    );
    frames
}
