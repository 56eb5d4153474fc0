//! Property tests for every parser we own (RTP, RFC 4733 reports, SIP-leg SDP, SDES `a=crypto`,
//! the calling plan): generated valid values round-trip exactly, and random, truncated and mutated input is
//! either parsed or refused with an error — never a panic. A seeded generator keeps failures
//! reproducible.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use telephony::g711::G711;
use telephony::rtp::{self, EventReport, RtpHeader};
use telephony::sdes::{self, CryptoAttribute};
use telephony::sdp::{AudioDescription, Direction};
use telephony::simulator::{check_calling_plan, PlanRefusal};

struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
    /// Up to `max` random bytes.
    fn some_bytes(&mut self, max: u64) -> Vec<u8> {
        let len = self.below(max) as usize;
        self.bytes(len)
    }
    fn bool(&mut self) -> bool {
        self.next() & 1 == 1
    }
}

const CASES: usize = 20_000;

/// Truncations, byte flips, insertions and deletions of `valid`.
fn mutations(g: &mut Gen, valid: &[u8]) -> Vec<u8> {
    let mut v = valid.to_vec();
    match g.below(4) {
        0 => v.truncate(g.below(v.len() as u64 + 1) as usize),
        1 => {
            for _ in 0..=g.below(4) {
                if !v.is_empty() {
                    let i = g.below(v.len() as u64) as usize;
                    v[i] = g.next() as u8;
                }
            }
        }
        2 => {
            let i = g.below(v.len() as u64 + 1) as usize;
            let extra = g.some_bytes(8).into_iter().chain([0]).collect::<Vec<u8>>();
            v.splice(i..i, extra);
        }
        _ => {
            if !v.is_empty() {
                let i = g.below(v.len() as u64) as usize;
                let n = (g.below(8) as usize + 1).min(v.len() - i);
                v.drain(i..i + n);
            }
        }
    }
    v
}

#[test]
fn rtp_round_trips_and_never_panics() {
    let mut g = Gen(0x5eed_0001);
    let mut out = Vec::new();
    for _ in 0..CASES {
        let header = RtpHeader {
            marker: g.bool(),
            payload_type: g.below(128) as u8,
            sequence: g.next() as u16,
            timestamp: g.next() as u32,
            ssrc: g.next() as u32,
        };
        let payload = g.some_bytes(200);
        rtp::write(&header, &payload, &mut out);
        match rtp::parse(&out) {
            Ok(p) => {
                assert_eq!(p.header, header);
                assert_eq!(p.payload, &payload[..]);
            }
            // Marker + PT 72..=95 is how RTCP looks on a muxed port: refused as RTCP.
            Err(rtp::RtpError::Rtcp) => assert!((192..=223).contains(&out[1])),
            Err(e) => panic!("{e:?} for a packet we wrote"),
        }
        let mutated = mutations(&mut g, &out);
        if let Ok(p) = rtp::parse(&mutated) {
            assert!(p.payload.len() <= mutated.len());
        }
        let random = g.some_bytes(64);
        let _ = rtp::parse(&random);
    }
}

#[test]
fn telephone_event_reports_round_trip() {
    let mut g = Gen(0x5eed_0002);
    for _ in 0..CASES {
        let r = EventReport {
            event: g.next() as u8,
            end: g.bool(),
            volume: g.below(64) as u8,
            duration: g.next() as u16,
        };
        assert_eq!(EventReport::parse(&r.to_bytes()), Some(r));
        let short = g.some_bytes(4);
        assert_eq!(EventReport::parse(&short), None);
    }
}

fn random_description(g: &mut Gen) -> AudioDescription {
    let addr = if g.bool() {
        IpAddr::V4(Ipv4Addr::from(g.next() as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(
            ((g.next() as u128) << 64) | g.next() as u128,
        ))
    };
    let laws: Vec<G711> = match g.below(4) {
        0 => vec![G711::Pcmu],
        1 => vec![G711::Pcma],
        2 => vec![G711::Pcmu, G711::Pcma],
        _ => vec![G711::Pcma, G711::Pcmu],
    };
    let tele = g.bool().then(|| 96 + g.below(32) as u8);
    let mut d = AudioDescription::g711(addr, 1 + g.below(65_535) as u16, &laws, tele);
    d.direction = [
        Direction::SendRecv,
        Direction::SendOnly,
        Direction::RecvOnly,
        Direction::Inactive,
    ][g.below(4) as usize];
    if g.bool() {
        use rand::SeedableRng;
        let lines = sdes::offer(&mut rand::rngs::StdRng::seed_from_u64(g.next()));
        d.proto = telephony::sdp::SRTP.into();
        d.crypto = lines[..1 + g.below(lines.len() as u64) as usize].to_vec();
    }
    d
}

#[test]
fn sdp_round_trips_and_never_panics() {
    let mut g = Gen(0x5eed_0003);
    for _ in 0..CASES / 4 {
        let d = random_description(&mut g);
        let text = d.render(g.next(), g.next());
        assert_eq!(
            AudioDescription::parse(text.as_bytes()),
            Ok(d.clone()),
            "{text}"
        );
        // Damaged descriptions are parsed or refused with a reason.
        let mutated = mutations(&mut g, text.as_bytes());
        let _ = AudioDescription::parse(&mutated);
        // Shuffled lines: still no panic.
        let mut lines: Vec<&str> = text.split("\r\n").collect();
        let i = g.below(lines.len() as u64) as usize;
        let j = g.below(lines.len() as u64) as usize;
        lines.swap(i, j);
        let _ = AudioDescription::parse(lines.join("\r\n").as_bytes());
        let random = g.some_bytes(300);
        let _ = AudioDescription::parse(&random);
    }
}

#[test]
fn sdes_lines_round_trip_and_never_panic() {
    use rand::SeedableRng;
    let mut g = Gen(0x5eed_0005);
    let mut keys = rand::rngs::StdRng::seed_from_u64(5);
    let alphabet: &[u8] = b"0123456789 |:;^+/=AEGHMSC_inlme\t-xyz";
    for _ in 0..CASES {
        // Our own lines, with fresh keys, read back as they were.
        let ours = sdes::offer(&mut keys);
        let line = &ours[g.below(ours.len() as u64) as usize];
        let text = line.render();
        assert_eq!(CryptoAttribute::parse(&text).as_ref(), Ok(line));
        // Damaged and random lines are read or refused with a reason; what is read holds a
        // whole key and salt for its suite, and reads back the same once written.
        let mutated = String::from_utf8_lossy(&mutations(&mut g, text.as_bytes())).into_owned();
        let len = g.below(90) as usize;
        let random: String = (0..len)
            .map(|_| alphabet[g.below(alphabet.len() as u64) as usize] as char)
            .collect();
        for candidate in [mutated, random] {
            if let Ok(read) = CryptoAttribute::parse(&candidate) {
                assert_eq!(
                    read.key.key().len() + read.key.salt().len(),
                    read.suite.key_len() + read.suite.salt_len()
                );
                if read.is_usable() && read.lifetime.is_none() {
                    assert_eq!(
                        CryptoAttribute::parse(&read.render()),
                        Ok(read),
                        "{candidate}"
                    );
                }
            }
        }
    }
}

#[test]
fn calling_plan_accepts_exactly_panama_and_singapore_outside_premium() {
    let mut g = Gen(0x5eed_0004);
    for _ in 0..CASES {
        let len = g.below(18) as usize;
        let digits: String = (0..len)
            .map(|_| (b'0' + g.below(10) as u8) as char)
            .collect();
        let with_plus = format!("+{digits}");
        let verdict = check_calling_plan(&with_plus);
        let e164 = (8..=15).contains(&digits.len());
        let expected = if !e164 {
            Err(PlanRefusal::NotE164)
        } else if let Some(n) = digits.strip_prefix("507") {
            if ["822", "855", "860", "877", "878", "886", "900", "981"]
                .iter()
                .any(|p| n.starts_with(p))
            {
                Err(PlanRefusal::Premium)
            } else {
                Ok(())
            }
        } else if let Some(n) = digits.strip_prefix("65") {
            if n.starts_with("1900") {
                Err(PlanRefusal::Premium)
            } else {
                Ok(())
            }
        } else {
            Err(PlanRefusal::OutsideCallingPlan)
        };
        assert_eq!(verdict, expected, "{with_plus}");
        // Without the plus, or with anything but digits, it is never E.164.
        assert_eq!(check_calling_plan(&digits), Err(PlanRefusal::NotE164));
        let junk = String::from_utf8_lossy(&g.some_bytes(20)).to_string();
        if !junk.starts_with('+') || !junk[1..].bytes().all(|b| b.is_ascii_digit()) {
            assert!(check_calling_plan(&junk).is_err(), "{junk:?}");
        }
    }
}
