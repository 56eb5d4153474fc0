//! The gateway's bridge on a simulated clock: no sockets, no sleeps. Time moves only when a
//! test moves it, and every output is collected in order for exact assertions.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use telephony::g711::G711;
use telephony::gateway::bridge::{Bridge, BridgeConfig, Input, Output, TrunkMedia};
use telephony::gateway::LegEvent;
use telephony::recording::RecordedAudio;
use telephony::rtp::{self, RtpHeader};

pub const SSRC: u32 = 0x5eed_0001;
pub const FIRST_SEQUENCE: u16 = 65_534;
pub const FIRST_TIMESTAMP: u32 = 1_000;
pub const TELEPHONE_EVENT_PT: u8 = 101;

pub fn trunk_addr() -> SocketAddr {
    "192.0.2.10:4000".parse().expect("address")
}

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub struct Sim {
    pub bridge: Bridge,
    pub start: Instant,
    pub now: Instant,
    /// The bridge's last [`Output::Timeout`].
    pub wake: Instant,
}

impl Sim {
    /// A bridge for a call to `callee` from a browser speaking `law`.
    pub fn new(law: G711, callee: &str) -> Sim {
        Sim::build(law, callee, false)
    }

    /// The same, sending silence to the browser while nothing else flows (a meeting leg).
    pub fn with_idle_silence(law: G711, callee: &str) -> Sim {
        Sim::build(law, callee, true)
    }

    fn build(law: G711, callee: &str, idle_silence: bool) -> Sim {
        let start = Instant::now();
        let bridge = Bridge::new(
            BridgeConfig {
                browser_law: law,
                callee: callee.into(),
                idle_silence,
                trunk_ssrc: SSRC,
                trunk_first_sequence: FIRST_SEQUENCE,
                trunk_first_timestamp: FIRST_TIMESTAMP,
            },
            start,
        );
        let mut sim = Sim {
            bridge,
            start,
            now: start,
            wake: start,
        };
        if !idle_silence {
            assert!(sim.drain().is_empty(), "a new bridge has nothing to say");
        } else {
            sim.drain();
        }
        sim
    }

    /// A μ-law call to Singapore whose trunk answered with μ-law and telephone-event.
    pub fn answered() -> Sim {
        let mut sim = Sim::new(G711::Pcmu, "+6560000001");
        sim.input(Input::TrunkMedia(trunk_media(
            G711::Pcmu,
            Some(TELEPHONE_EVENT_PT),
        )));
        sim.input(Input::Answered);
        sim
    }

    /// Milliseconds since the call began on the simulated clock.
    pub fn elapsed_ms(&self) -> u128 {
        (self.now - self.start).as_millis()
    }

    pub fn input(&mut self, input: Input<'_>) -> Vec<Output> {
        self.bridge.handle_input(input, self.now);
        self.drain()
    }

    /// Moves the clock to `start + at`, waking the bridge at each deadline it asked for on the
    /// way (as the run loop does), and returns everything it put out.
    pub fn run_until(&mut self, at: Duration) -> Vec<Output> {
        let until = self.start + at;
        assert!(until >= self.now, "the clock never goes back");
        let mut out = Vec::new();
        while self.wake <= until {
            self.now = self.now.max(self.wake);
            self.bridge.handle_input(Input::Timeout, self.now);
            out.extend(self.drain());
        }
        self.now = until;
        out
    }

    /// Jumps the clock to `start + at` without waking the bridge on the way (a run loop that
    /// was busy), then wakes it once.
    pub fn wake_late(&mut self, at: Duration) -> Vec<Output> {
        self.now = self.start + at;
        self.input(Input::Timeout)
    }

    pub fn trunk_audio(&mut self, seq: u16, ts: u32, payload: &[u8]) -> Vec<Output> {
        let packet = trunk_packet(0, seq, ts, payload);
        self.input(Input::TrunkDatagram {
            source: trunk_addr(),
            contents: &packet,
        })
    }

    pub fn browser_audio(&mut self, time: u64, payload: &[u8]) -> Vec<Output> {
        self.input(Input::BrowserAudio {
            time,
            law: G711::Pcmu,
            payload,
        })
    }

    fn drain(&mut self) -> Vec<Output> {
        let mut out = Vec::new();
        loop {
            match self.bridge.poll_output() {
                Output::Timeout(at) => {
                    self.wake = at;
                    return out;
                }
                o => out.push(o),
            }
        }
    }
}

pub fn trunk_media(law: G711, telephone_event_pt: Option<u8>) -> TrunkMedia {
    TrunkMedia {
        remote: trunk_addr(),
        law,
        telephone_event_pt,
        keys: None,
    }
}

/// Where a transfer's target sends its media from (and ours goes to).
pub fn target_addr() -> SocketAddr {
    "192.0.2.20:5000".parse().expect("address")
}

pub fn target_media(law: G711) -> TrunkMedia {
    TrunkMedia {
        remote: target_addr(),
        law,
        telephone_event_pt: Some(TELEPHONE_EVENT_PT),
        keys: None,
    }
}

/// The RTP packets sent to a transfer's target: (header, payload).
pub fn to_target(out: &[Output]) -> Vec<(RtpHeader, Vec<u8>)> {
    out.iter()
        .filter_map(|o| match o {
            Output::ToTarget {
                destination,
                packet,
            } => {
                assert_eq!(*destination, target_addr(), "only to the target's address");
                let p = rtp::parse(packet).expect("our own RTP parses");
                Some((p.header, p.payload.to_vec()))
            }
            _ => None,
        })
        .collect()
}

pub fn trunk_packet(pt: u8, sequence: u16, timestamp: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let header = RtpHeader {
        marker: false,
        payload_type: pt,
        sequence,
        timestamp,
        ssrc: 0xfeed,
    };
    rtp::write(&header, payload, &mut out);
    out
}

/// The RTP packets sent to the trunk: (header, payload).
pub fn to_trunk(out: &[Output]) -> Vec<(RtpHeader, Vec<u8>)> {
    out.iter()
        .filter_map(|o| match o {
            Output::ToTrunk {
                destination,
                packet,
            } => {
                assert_eq!(*destination, trunk_addr(), "only to the trunk's address");
                let p = rtp::parse(packet).expect("our own RTP parses");
                Some((p.header, p.payload.to_vec()))
            }
            _ => None,
        })
        .collect()
}

/// The frames written toward the browser: (timestamp, payload).
pub fn to_browser(out: &[Output]) -> Vec<(u64, Vec<u8>)> {
    out.iter()
        .filter_map(|o| match o {
            Output::ToBrowser { timestamp, payload } => Some((*timestamp, payload.clone())),
            _ => None,
        })
        .collect()
}

pub fn events(out: &[Output]) -> Vec<LegEvent> {
    out.iter()
        .filter_map(|o| match o {
            // The trunk's reception is reported every second of its audio, whatever the call
            // does: a measurement, checked by `bridge_packets.rs`, not one of the call's events.
            Output::Event(LegEvent::TrunkReception(_)) => None,
            Output::Event(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

pub fn recorded(out: &[Output]) -> Vec<RecordedAudio> {
    out.iter()
        .filter_map(|o| match o {
            Output::Recorded(a) => Some(a.clone()),
            _ => None,
        })
        .collect()
}

/// The recording's two channels, joined.
pub fn channels(audio: &[RecordedAudio]) -> (Vec<i16>, Vec<i16>) {
    let (mut left, mut right) = (Vec::new(), Vec::new());
    for a in audio {
        if let RecordedAudio::Frames { left: l, right: r } = a {
            assert_eq!(l.len(), r.len(), "stereo frames pair up");
            left.extend(l);
            right.extend(r);
        }
    }
    (left, right)
}

/// A μ-law frame of one repeated sample.
pub fn frame(sample: i16) -> Vec<u8> {
    vec![G711::Pcmu.encode(sample); 160]
}

/// What a μ-law frame of `sample` decodes to.
pub fn decoded(sample: i16) -> i16 {
    G711::Pcmu.decode(G711::Pcmu.encode(sample))
}
