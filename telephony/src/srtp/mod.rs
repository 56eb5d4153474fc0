//! SRTP toward the trunk (RFC 3711, with RFC 6188's 256-bit keys and RFC 7714's AES-GCM), keyed
//! by SDES ([`crate::sdes`]). Sans-IO; every cipher is aws-lc-rs's (docs/decisions.md, "SRTP
//! toward the trunk"). Written so far: the key derivation, every suite's RTP packets (rollover
//! counter, replay window) and SRTCP. Next: re-keying, the bridge.

mod cm;
mod gcm;
mod kdf;
mod packets;
mod rtcp;

pub use kdf::{derive, Label, SrtpError, Stream};
pub use packets::{SrtpReceiver, SrtpSender};
pub use rtcp::{SrtcpReceiver, SrtcpSender};
