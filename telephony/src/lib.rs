//! Telephony for the softphone: the media gateway (browser WebRTC ↔ SIP/RTP), its SIP leg
//! toward a Voice Connector-compatible trunk, and the built-in PSTN simulator. Native only.

pub mod cidr;
pub mod g711;
pub mod gateway;
pub mod reception;
pub mod recording;
pub mod rtp;
pub mod sdes;
pub mod sdp;
pub mod simulator;
pub mod sip;
pub mod srtp;
mod tasks;

pub use tasks::redact_numbers;
pub mod tones;
pub mod wav;
