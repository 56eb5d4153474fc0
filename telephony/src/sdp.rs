//! SDP (RFC 4566 / 3264) for the SIP leg: one audio stream, G.711 and telephone-event, in plain
//! RTP (`RTP/AVP`) or SRTP keyed by SDES (`RTP/SAVP` with `a=crypto`, [`crate::sdes`]). The
//! browser leg's SDP is str0m's.

use std::net::IpAddr;

use crate::g711::G711;
use crate::sdes::CryptoAttribute;

/// The media direction attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn attr(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }
}

/// One payload format of the audio m-line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Format {
    pub pt: u8,
    /// Encoding name as written (e.g. `PCMU`, `telephone-event`, `opus`).
    pub name: String,
    pub rate: u32,
}

/// The audio stream a session description offers or answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AudioDescription {
    pub addr: IpAddr,
    /// 0 means the stream is rejected.
    pub port: u16,
    pub proto: String,
    /// In the m-line's order of preference.
    pub formats: Vec<Format>,
    pub direction: Direction,
    /// The stream's `a=crypto` lines we can read, in order (lines with a suite or form we do
    /// not know are ignored, as RFC 4568 §5.1.2 asks).
    pub crypto: Vec<CryptoAttribute>,
}

/// The plain RTP profile.
pub const PLAIN: &str = "RTP/AVP";
/// SRTP, keyed by `a=crypto` (SDES).
pub const SRTP: &str = "RTP/SAVP";

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SdpError {
    #[error("the body is not UTF-8 text")]
    NotText,
    #[error("no audio stream")]
    NoAudio,
    #[error("no usable connection address (c=)")]
    NoConnection,
    #[error("malformed line: {0}")]
    Malformed(String),
    #[error("the audio stream uses {0}, not RTP/AVP or RTP/SAVP")]
    UnsupportedProfile(String),
}

impl AudioDescription {
    pub fn parse(body: &[u8]) -> Result<AudioDescription, SdpError> {
        let text = std::str::from_utf8(body).map_err(|_| SdpError::NotText)?;
        let mut session_addr: Option<IpAddr> = None;
        let mut media: Option<AudioDescription> = None;
        let mut media_addr: Option<IpAddr> = None;
        let mut in_audio = false;
        let mut seen_audio = false;
        let mut session_direction = Direction::SendRecv;
        let mut media_direction: Option<Direction> = None;
        for raw in text.lines() {
            let line = raw.trim_end_matches('\r');
            if line.is_empty() {
                continue;
            }
            let (kind, value) = line
                .split_once('=')
                .filter(|(k, _)| k.len() == 1)
                .ok_or_else(|| SdpError::Malformed(truncate(line)))?;
            match kind {
                "m" => {
                    in_audio = false;
                    if seen_audio {
                        continue; // Only the first audio stream is ours.
                    }
                    let mut parts = value.split_whitespace();
                    let kind = parts.next().unwrap_or_default();
                    if kind != "audio" {
                        continue;
                    }
                    let port = parts
                        .next()
                        .and_then(|p| p.split('/').next())
                        .and_then(|p| p.parse::<u16>().ok())
                        .ok_or_else(|| SdpError::Malformed(truncate(line)))?;
                    let proto = parts
                        .next()
                        .ok_or_else(|| SdpError::Malformed(truncate(line)))?
                        .to_string();
                    let mut formats = Vec::new();
                    for f in parts {
                        let pt = f
                            .parse::<u8>()
                            .ok()
                            .filter(|pt| *pt < 128)
                            .ok_or_else(|| SdpError::Malformed(truncate(line)))?;
                        formats.push(static_format(pt));
                    }
                    in_audio = true;
                    seen_audio = true;
                    media = Some(AudioDescription {
                        addr: IpAddr::from([0, 0, 0, 0]),
                        port,
                        proto,
                        formats,
                        direction: Direction::SendRecv,
                        crypto: Vec::new(),
                    });
                }
                "c" => {
                    let addr = parse_connection(value)
                        .ok_or_else(|| SdpError::Malformed(truncate(line)))?;
                    if in_audio {
                        media_addr = Some(addr);
                    } else if !seen_audio {
                        session_addr = Some(addr);
                    }
                }
                "a" => {
                    let direction = match value {
                        "sendrecv" => Some(Direction::SendRecv),
                        "sendonly" => Some(Direction::SendOnly),
                        "recvonly" => Some(Direction::RecvOnly),
                        "inactive" => Some(Direction::Inactive),
                        _ => None,
                    };
                    if let Some(d) = direction {
                        if in_audio {
                            media_direction = Some(d);
                        } else if !seen_audio {
                            session_direction = d;
                        }
                        continue;
                    }
                    if !in_audio {
                        continue;
                    }
                    if let Some(line) = value.strip_prefix("crypto:") {
                        if let (Ok(crypto), Some(m)) =
                            (CryptoAttribute::parse(line), media.as_mut())
                        {
                            m.crypto.push(crypto);
                        }
                        continue;
                    }
                    if let Some(map) = value.strip_prefix("rtpmap:") {
                        let (pt, enc) = map
                            .split_once(' ')
                            .ok_or_else(|| SdpError::Malformed(truncate(line)))?;
                        let pt: u8 = pt
                            .parse()
                            .map_err(|_| SdpError::Malformed(truncate(line)))?;
                        let mut enc = enc.trim().split('/');
                        let name = enc.next().unwrap_or_default().to_string();
                        let rate = enc
                            .next()
                            .and_then(|r| r.parse().ok())
                            .ok_or_else(|| SdpError::Malformed(truncate(line)))?;
                        if let Some(m) = media.as_mut() {
                            if let Some(f) = m.formats.iter_mut().find(|f| f.pt == pt) {
                                f.name = name;
                                f.rate = rate;
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let mut media = media.ok_or(SdpError::NoAudio)?;
        media.addr = media_addr.or(session_addr).ok_or(SdpError::NoConnection)?;
        media.direction = media_direction.unwrap_or(session_direction);
        if media.proto != PLAIN && media.proto != SRTP {
            return Err(SdpError::UnsupportedProfile(media.proto));
        }
        Ok(media)
    }

    /// Whether the stream is SRTP (`RTP/SAVP`), keyed by its `a=crypto` lines.
    pub fn is_srtp(&self) -> bool {
        self.proto == SRTP
    }

    /// The first G.711 law in the m-line's order, if any.
    pub fn first_g711(&self) -> Option<G711> {
        self.formats.iter().find_map(format_g711)
    }

    /// The first G.711 law both sides have, in `ours` order of preference when answering.
    pub fn common_g711(&self, ours: &[G711]) -> Option<G711> {
        ours.iter()
            .copied()
            .find(|law| self.formats.iter().any(|f| format_g711(f) == Some(*law)))
    }

    /// The payload type of telephone-event/8000, if offered.
    pub fn telephone_event_pt(&self) -> Option<u8> {
        self.formats
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case("telephone-event") && f.rate == 8000)
            .map(|f| f.pt)
    }

    /// Renders a complete session description for this stream.
    pub fn render(&self, session_id: u64, version: u64) -> String {
        let ip = match self.addr {
            IpAddr::V4(_) => "IP4",
            IpAddr::V6(_) => "IP6",
        };
        let mut s = format!(
            "v=0\r\no=- {session_id} {version} IN {ip} {addr}\r\ns=softphone\r\nc=IN {ip} {addr}\r\nt=0 0\r\nm=audio {port} {proto}",
            addr = self.addr,
            port = self.port,
            proto = self.proto,
        );
        for f in &self.formats {
            s.push_str(&format!(" {}", f.pt));
        }
        s.push_str("\r\n");
        for f in &self.formats {
            s.push_str(&format!("a=rtpmap:{} {}/{}\r\n", f.pt, f.name, f.rate));
            if f.name.eq_ignore_ascii_case("telephone-event") {
                s.push_str(&format!("a=fmtp:{} 0-16\r\n", f.pt));
            }
        }
        for crypto in &self.crypto {
            s.push_str(&format!("a=crypto:{}\r\n", crypto.render()));
        }
        s.push_str("a=ptime:20\r\n");
        s.push_str(&format!("a={}\r\n", self.direction.attr()));
        s
    }

    /// A G.711 + telephone-event stream description at `addr:port`.
    pub fn g711(addr: IpAddr, port: u16, laws: &[G711], telephone_event: Option<u8>) -> Self {
        let mut formats: Vec<Format> = laws
            .iter()
            .map(|law| Format {
                pt: law.payload_type(),
                name: law.name().into(),
                rate: 8000,
            })
            .collect();
        if let Some(pt) = telephone_event {
            formats.push(Format {
                pt,
                name: "telephone-event".into(),
                rate: 8000,
            });
        }
        AudioDescription {
            addr,
            port,
            proto: PLAIN.into(),
            formats,
            direction: Direction::SendRecv,
            crypto: Vec::new(),
        }
    }
}

fn format_g711(f: &Format) -> Option<G711> {
    if f.rate != 8000 {
        return None;
    }
    match f.name.to_ascii_uppercase().as_str() {
        "PCMU" => Some(G711::Pcmu),
        "PCMA" => Some(G711::Pcma),
        _ => None,
    }
}

/// The static payload types (RFC 3551) we know without an rtpmap.
fn static_format(pt: u8) -> Format {
    let (name, rate) = match pt {
        0 => ("PCMU", 8000),
        3 => ("GSM", 8000),
        8 => ("PCMA", 8000),
        9 => ("G722", 8000),
        18 => ("G729", 8000),
        _ => ("", 0),
    };
    Format {
        pt,
        name: name.into(),
        rate,
    }
}

fn parse_connection(value: &str) -> Option<IpAddr> {
    let mut parts = value.split_whitespace();
    if parts.next()? != "IN" {
        return None;
    }
    let family = parts.next()?;
    let addr = parts.next()?.split('/').next()?;
    let ip: IpAddr = addr.parse().ok()?;
    match (family, ip) {
        ("IP4", IpAddr::V4(_)) | ("IP6", IpAddr::V6(_)) => Some(ip),
        _ => None,
    }
}

fn truncate(line: &str) -> String {
    line.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const CARRIER_ANSWER: &str = "v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 20000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=sendrecv\r\n";

    #[test]
    fn parses_a_carrier_answer() {
        let d = AudioDescription::parse(CARRIER_ANSWER.as_bytes()).unwrap();
        assert_eq!(d.addr, "10.0.0.1".parse::<IpAddr>().unwrap());
        assert_eq!(d.port, 20000);
        assert_eq!(d.first_g711(), Some(G711::Pcma));
        assert_eq!(d.telephone_event_pt(), Some(101));
        assert_eq!(d.common_g711(&[G711::Pcmu, G711::Pcma]), Some(G711::Pcma));
        assert_eq!(d.direction, Direction::SendRecv);
    }

    #[test]
    fn our_offer_parses_back() {
        let offer = AudioDescription::g711(
            "127.0.0.1".parse().unwrap(),
            40000,
            &[G711::Pcmu, G711::Pcma],
            Some(101),
        );
        let text = offer.render(7, 1);
        assert!(text.contains("m=audio 40000 RTP/AVP 0 8 101\r\n"), "{text}");
        assert!(text.contains("a=ptime:20\r\n"));
        assert_eq!(AudioDescription::parse(text.as_bytes()).unwrap(), offer);
    }

    #[test]
    fn media_level_connection_and_direction_win() {
        let sdp = "v=0\r\nc=IN IP4 1.1.1.1\r\na=sendonly\r\nm=video 9 RTP/AVP 96\r\nc=IN IP4 9.9.9.9\r\nm=audio 5004 RTP/AVP 0\r\nc=IN IP4 2.2.2.2\r\na=inactive\r\n";
        let d = AudioDescription::parse(sdp.as_bytes()).unwrap();
        assert_eq!(d.addr, "2.2.2.2".parse::<IpAddr>().unwrap());
        assert_eq!(d.direction, Direction::Inactive);
        assert_eq!(d.first_g711(), Some(G711::Pcmu)); // static type, no rtpmap needed
    }

    #[test]
    fn an_srtp_stream_keeps_its_crypto_lines_in_order() {
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(4);
        let mut ours =
            AudioDescription::g711(IpAddr::from([192, 0, 2, 1]), 4000, &[G711::Pcmu], Some(101));
        ours.proto = SRTP.into();
        ours.crypto = crate::sdes::offer(&mut rng);
        let text = ours.render(1, 1);
        assert!(text.contains("m=audio 4000 RTP/SAVP 0 101\r\n"), "{text}");
        let back = AudioDescription::parse(text.as_bytes()).unwrap();
        assert_eq!(back, ours);
        assert!(back.is_srtp());
        // A line we cannot read (unknown suite, broken key) is left out, the rest kept.
        let extra = text.replace(
            "a=ptime:20",
            "a=crypto:7 F8_128_HMAC_SHA1_80 inline:AAAA\r\na=crypto:8 AES_CM_128_HMAC_SHA1_80 inline:AAAA\r\na=ptime:20",
        );
        assert_eq!(
            AudioDescription::parse(extra.as_bytes()).unwrap().crypto,
            ours.crypto
        );
        // Session-level crypto lines are not the stream's.
        let session = "v=0\r\nc=IN IP4 1.1.1.1\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\nm=audio 9 RTP/SAVP 0\r\n";
        assert!(AudioDescription::parse(session.as_bytes())
            .unwrap()
            .crypto
            .is_empty());
    }

    #[test]
    fn refuses_what_we_cannot_use() {
        assert_eq!(
            AudioDescription::parse(&[0xff, 0xfe]),
            Err(SdpError::NotText)
        );
        assert_eq!(
            AudioDescription::parse(b"v=0\r\nc=IN IP4 1.1.1.1\r\nm=video 9 RTP/AVP 96\r\n"),
            Err(SdpError::NoAudio)
        );
        assert_eq!(
            AudioDescription::parse(b"v=0\r\nm=audio 9 RTP/AVP 0\r\n"),
            Err(SdpError::NoConnection)
        );
        assert!(matches!(
            AudioDescription::parse(b"v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio x RTP/AVP 0\r\n"),
            Err(SdpError::Malformed(_))
        ));
        assert!(matches!(
            AudioDescription::parse(
                b"v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 9 UDP/TLS/RTP/SAVPF 0\r\n"
            ),
            Err(SdpError::UnsupportedProfile(_))
        ));
        assert!(matches!(
            AudioDescription::parse(b"garbage"),
            Err(SdpError::Malformed(_))
        ));
        let opus_only =
            "v=0\r\nc=IN IP4 1.1.1.1\r\nm=audio 9 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n";
        let d = AudioDescription::parse(opus_only.as_bytes()).unwrap();
        assert_eq!(d.first_g711(), None);
    }
}
