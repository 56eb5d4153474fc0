//! The live channel (`/api/live`): a text frame from a browser as the server reads it, the
//! checks it applies to the message (keys for a Chime call, the SDP offer the gateway answers),
//! and the server's messages as the browser reads them. Never panics; every message reads
//! back as itself once written.
#![no_main]

use app::api::live::{valid_digits, ClientMessage, ServerMessage, MAX_CLIENT_FRAME, MAX_DIGITS};
use libfuzzer_sys::fuzz_target;
use telephony::gateway::fuzzing::answer_browser_offer;

fuzz_target!(|data: &[u8]| {
    if data.len() > MAX_CLIENT_FRAME {
        return;
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(message) = serde_json::from_str::<ClientMessage>(text) {
        let written = serde_json::to_string(&message).expect("a message writes");
        assert_eq!(
            serde_json::from_str::<ClientMessage>(&written).ok(),
            Some(message.clone())
        );
        match message {
            ClientMessage::Offer { sdp, .. } => {
                let _ = answer_browser_offer(&sdp);
            }
            ClientMessage::Digits { digits, .. } => {
                if valid_digits(&digits) {
                    assert!(!digits.is_empty() && digits.len() <= MAX_DIGITS);
                    assert!(digits
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#'));
                }
            }
            _ => {}
        }
    }
    if let Ok(message) = serde_json::from_str::<ServerMessage>(text) {
        let written = serde_json::to_string(&message).expect("a message writes");
        assert_eq!(
            serde_json::from_str::<ServerMessage>(&written).ok(),
            Some(message)
        );
    }
});
