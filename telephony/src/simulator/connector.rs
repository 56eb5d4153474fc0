//! The simulator's `voice-connector` rules: what an Amazon Chime SDK Voice Connector's
//! termination settings check before a call is taken, on top of what the simulator always
//! checks (digest credentials, E.164 numbers in the PA/SG calling plan, G.711). Sans-IO: the
//! caller passes the source address, the offer's media profile and the time.
//!
//! The SIP codes a connector answers with are not documented; the ones here are our choice
//! (docs/telephony.md, "PSTN simulator"): a source outside `CidrAllowedList` gets `403`, a call
//! over `CpsLimit` gets `503` with `Retry-After: 1`, an unencrypted offer to a connector with
//! encryption on gets `488` (the service "blocks unencrypted calls").

use std::collections::VecDeque;
use std::net::IpAddr;
use std::time::{Duration, Instant};

pub use crate::cidr::Cidr;

/// A connector's termination settings, as the simulator enforces them.
#[derive(Clone, Debug)]
pub struct ConnectorRules {
    /// `CidrAllowedList`: the networks calls may come from.
    pub allowed: Vec<Cidr>,
    /// `CpsLimit`: new calls per second.
    pub cps_limit: u32,
    /// Encryption on: offers must be SRTP (`RTP/SAVP` with `a=crypto`).
    pub require_srtp: bool,
}

/// Why a connector refuses a call before looking at its number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectorRefusal {
    SourceNotAllowed,
    OverCpsLimit,
    NotEncrypted,
}

impl ConnectorRefusal {
    /// The SIP status and reason phrase sent.
    pub fn status(self) -> (u16, &'static str) {
        match self {
            ConnectorRefusal::SourceNotAllowed => (403, "Forbidden"),
            ConnectorRefusal::OverCpsLimit => (503, "Service Unavailable"),
            ConnectorRefusal::NotEncrypted => (488, "Not Acceptable Here"),
        }
    }
}

/// The rules and the recent calls the CPS limit counts.
#[derive(Debug)]
pub struct Admission {
    rules: ConnectorRules,
    recent: VecDeque<Instant>,
}

impl Admission {
    pub fn new(rules: ConnectorRules) -> Admission {
        Admission {
            rules,
            recent: VecDeque::new(),
        }
    }

    /// Checks where a request comes from, before anything else (even the credentials).
    pub fn source_allowed(&self, source: IpAddr) -> Result<(), ConnectorRefusal> {
        if self.rules.allowed.iter().any(|net| net.contains(source)) {
            Ok(())
        } else {
            Err(ConnectorRefusal::SourceNotAllowed)
        }
    }

    /// Counts a call (one whose credentials were accepted: a digest challenge is not a call)
    /// against the calls-per-second limit; refused calls are not counted.
    pub fn count_call(&mut self, now: Instant) -> Result<(), ConnectorRefusal> {
        while self
            .recent
            .front()
            .is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(1))
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= self.rules.cps_limit as usize {
            return Err(ConnectorRefusal::OverCpsLimit);
        }
        self.recent.push_back(now);
        Ok(())
    }

    /// Checks the offer's media profile (`RTP/AVP`, `RTP/SAVP`…): with encryption on, only SRTP.
    pub fn media_allowed(&self, profile: &str) -> Result<(), ConnectorRefusal> {
        if self.rules.require_srtp && !profile.eq_ignore_ascii_case("RTP/SAVP") {
            return Err(ConnectorRefusal::NotEncrypted);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(allowed: &[&str], cps_limit: u32) -> ConnectorRules {
        ConnectorRules {
            allowed: allowed.iter().map(|n| n.parse().unwrap()).collect(),
            cps_limit,
            require_srtp: true,
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_source_outside_the_allow_list_is_refused_first() {
        let admission = Admission::new(rules(&["10.0.0.0/8"], 1));
        assert_eq!(
            admission.source_allowed(ip("127.0.0.1")),
            Err(ConnectorRefusal::SourceNotAllowed)
        );
        assert_eq!(admission.source_allowed(ip("10.1.2.3")), Ok(()));
    }

    #[test]
    fn calls_over_the_limit_in_one_second_are_refused() {
        let mut admission = Admission::new(rules(&["127.0.0.0/8"], 2));
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        assert_eq!(admission.count_call(at(0)), Ok(()));
        assert_eq!(admission.count_call(at(400)), Ok(()));
        assert_eq!(
            admission.count_call(at(999)),
            Err(ConnectorRefusal::OverCpsLimit)
        );
        // A second after the first, there is room for one again.
        assert_eq!(admission.count_call(at(1000)), Ok(()));
        assert_eq!(
            admission.count_call(at(1100)),
            Err(ConnectorRefusal::OverCpsLimit)
        );
    }

    #[test]
    fn plain_rtp_is_refused_when_encryption_is_on() {
        let admission = Admission::new(rules(&["127.0.0.0/8"], 10));
        assert_eq!(
            admission.media_allowed("RTP/AVP"),
            Err(ConnectorRefusal::NotEncrypted)
        );
        assert_eq!(admission.media_allowed("RTP/SAVP"), Ok(()));
        assert_eq!(
            ConnectorRefusal::NotEncrypted.status(),
            (488, "Not Acceptable Here")
        );
        let open = Admission::new(ConnectorRules {
            require_srtp: false,
            ..rules(&["127.0.0.0/8"], 10)
        });
        assert_eq!(open.media_allowed("RTP/AVP"), Ok(()));
    }
}
