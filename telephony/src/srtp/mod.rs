//! SRTP toward the trunk (RFC 3711, with RFC 6188's 256-bit keys and RFC 7714's AES-GCM), keyed
//! by SDES ([`crate::sdes`]). Sans-IO; every cipher is aws-lc-rs's (docs/decisions.md, "SRTP
//! toward the trunk"). Written so far: the key derivation. Next: the packet transforms, the
//! rollover counter and the replay window.

mod kdf;

pub use kdf::{derive, Label, SrtpError};
