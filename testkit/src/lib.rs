//! Test-only code shared by telephony's and the server's tests and benches; never a normal
//! dependency of a production crate (see `docs/testing.md`).
//!
//! - [`baresip`]: baresip as an independent SIP far end with SDES-SRTP (interoperability tests).
//! - [`certs`]: a test CA and a certificate for 127.0.0.1 (SIP over TLS).
//! - `chime` (feature `chime`): the browser's part in a Chime meeting through the stand-in's
//!   signalling.
//! - `metrics` (feature `conformance`): a sample read from Prometheus text, and CloudWatch
//!   Embedded Metric Format lines checked against the specification (the server's metrics
//!   tests).
//! - [`impair`]: a lossy, jittery network on loopback (a userspace stand-in for `tc netem`).
//! - [`outage`]: a TCP front that can be cut (a back end going down and coming back).
//! - [`peer`]: a WebRTC peer playing the browser's part.
//! - [`rig`]: the PSTN simulator and a gateway on loopback, and calls through them.
//! - `store` and `recordings` (feature `conformance`): the suites every `Store` and
//!   `Recordings` adapter passes, one test per case.

pub mod baresip;
pub mod certs;
#[cfg(feature = "chime")]
pub mod chime;
pub mod impair;
#[cfg(feature = "conformance")]
pub mod metrics;
pub mod outage;
pub mod peer;
#[cfg(feature = "conformance")]
pub mod recordings;
pub mod rig;
#[cfg(feature = "conformance")]
pub mod store;
