//! SRTP toward the trunk (RFC 3711, with RFC 6188's 256-bit keys and RFC 7714's AES-GCM), keyed
//! by SDES ([`crate::sdes`]). Sans-IO; every cipher is aws-lc-rs's (docs/decisions.md, "SRTP
//! toward the trunk"). Written so far: the key derivation and every suite's RTP packets
//! (rollover counter, replay window). Next: SRTCP, re-keying, the bridge.

mod cm;
mod gcm;
mod kdf;
mod packets;

pub use kdf::{derive, Label, SrtpError, Stream};
pub use packets::{SrtpReceiver, SrtpSender};
