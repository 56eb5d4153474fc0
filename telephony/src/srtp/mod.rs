//! SRTP toward the trunk (RFC 3711, with RFC 6188's 256-bit keys and RFC 7714's AES-GCM), keyed
//! by SDES ([`crate::sdes`]). Sans-IO; every cipher is aws-lc-rs's (docs/decisions.md, "SRTP
//! toward the trunk"): the key derivation, every suite's RTP packets (rollover counter, replay
//! window, re-keying) and SRTCP, and [`SrtpSession`], both directions of one stream.

mod cm;
mod gcm;
mod kdf;
mod packets;
mod rtcp;
mod session;

pub use kdf::{derive, Label, SrtpError, Stream};
pub use packets::{SrtpReceiver, SrtpSender};
pub use rtcp::{SrtcpReceiver, SrtcpSender};
pub use session::{Rekeyed, SrtpKeys, SrtpSession};
