//! RTP (RFC 3550) for the SIP leg: the fixed header, G.711 frames and RFC 4733 telephone
//! events. The browser leg's RTP is str0m's; this side is ours.

use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtpHeader {
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RtpError {
    #[error("shorter than an RTP header")]
    TooShort,
    #[error("not RTP version 2")]
    BadVersion,
    #[error("header extension or CSRC list runs past the packet")]
    Truncated,
    #[error("padding longer than the payload")]
    BadPadding,
    /// RTCP shares the port when rtcp-mux is on; it is not media.
    #[error("RTCP, not RTP")]
    Rtcp,
}

/// A parsed packet; `payload` borrows from the datagram.
#[derive(Debug, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub header: RtpHeader,
    pub payload: &'a [u8],
}

pub fn parse(buf: &[u8]) -> Result<RtpPacket<'_>, RtpError> {
    if buf.len() < 12 {
        return Err(RtpError::TooShort);
    }
    if buf[0] >> 6 != 2 {
        return Err(RtpError::BadVersion);
    }
    // RTCP packet types 192..=223 land in the marker+PT byte as 64..=95 with M set (RFC 5761).
    if (192..=223).contains(&buf[1]) {
        return Err(RtpError::Rtcp);
    }
    let padding = buf[0] & 0x20 != 0;
    let extension = buf[0] & 0x10 != 0;
    let csrc_count = (buf[0] & 0x0f) as usize;
    let mut offset = 12 + 4 * csrc_count;
    if buf.len() < offset {
        return Err(RtpError::Truncated);
    }
    if extension {
        if buf.len() < offset + 4 {
            return Err(RtpError::Truncated);
        }
        let words = u16::from_be_bytes([buf[offset + 2], buf[offset + 3]]) as usize;
        offset += 4 + 4 * words;
        if buf.len() < offset {
            return Err(RtpError::Truncated);
        }
    }
    let mut end = buf.len();
    if padding {
        let pad = buf[end - 1] as usize;
        if pad == 0 || offset + pad > end {
            return Err(RtpError::BadPadding);
        }
        end -= pad;
    }
    Ok(RtpPacket {
        header: RtpHeader {
            marker: buf[1] & 0x80 != 0,
            payload_type: buf[1] & 0x7f,
            sequence: u16::from_be_bytes([buf[2], buf[3]]),
            timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
            ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
        },
        payload: &buf[offset..end],
    })
}

/// Writes a 12-byte header and the payload into `out` (cleared first).
pub fn write(header: &RtpHeader, payload: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.push(0x80);
    out.push((header.payload_type & 0x7f) | if header.marker { 0x80 } else { 0 });
    out.extend_from_slice(&header.sequence.to_be_bytes());
    out.extend_from_slice(&header.timestamp.to_be_bytes());
    out.extend_from_slice(&header.ssrc.to_be_bytes());
    out.extend_from_slice(payload);
}

/// One RFC 4733 telephone-event report (the 4-byte payload).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EventReport {
    pub event: u8,
    pub end: bool,
    /// Power in -dBm0 (0..=63).
    pub volume: u8,
    /// In RTP timestamp units (8 kHz).
    pub duration: u16,
}

impl EventReport {
    pub fn parse(payload: &[u8]) -> Option<EventReport> {
        if payload.len() < 4 {
            return None;
        }
        Some(EventReport {
            event: payload[0],
            end: payload[1] & 0x80 != 0,
            volume: payload[1] & 0x3f,
            duration: u16::from_be_bytes([payload[2], payload[3]]),
        })
    }

    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (self.volume & 0x3f) | if self.end { 0x80 } else { 0 },
            d[0],
            d[1],
        ]
    }

    pub fn from_duration(event: u8, end: bool, volume: u8, duration: Duration) -> EventReport {
        let units = (duration.as_micros() * 8 / 1000).min(u16::MAX as u128) as u16;
        EventReport {
            event,
            end,
            volume,
            duration: units,
        }
    }
}

/// The sending side of one RTP stream: a random SSRC, a sequence number that increases by one
/// per packet, and timestamps that follow the media clock (gaps included), never reset.
#[derive(Debug)]
pub struct RtpSender {
    ssrc: u32,
    sequence: u16,
    /// Our timestamp for the first source media time we saw, and that time.
    origin: Option<(u32, u64)>,
    /// The timestamp the next source media time maps to: the source's clock changed.
    restart: Option<u32>,
    /// The furthest timestamp sent so far (a key report may go out at its key's start, before
    /// the latest audio).
    latest: Option<u32>,
    buf: Vec<u8>,
}

impl RtpSender {
    pub fn new(ssrc: u32, first_sequence: u16) -> Self {
        RtpSender {
            ssrc,
            sequence: first_sequence,
            origin: None,
            restart: None,
            latest: None,
            buf: Vec::with_capacity(200),
        }
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Maps a source media time (8 kHz units, monotonic) onto this stream's timestamps.
    pub fn timestamp_for(&mut self, media_time: u64, base: u32) -> u32 {
        if let Some(ts) = self.restart.take() {
            self.origin = Some((ts, media_time));
        }
        let (ts0, t0) = *self.origin.get_or_insert((base, media_time));
        ts0.wrapping_add(media_time.wrapping_sub(t0) as u32)
    }

    /// The source's media clock is a new one (another browser took the call): its next time
    /// maps to `timestamp`, so this stream's own timeline goes on without a jump.
    pub fn restart_at(&mut self, timestamp: u32) {
        self.restart = Some(timestamp);
    }

    /// The furthest timestamp this stream has sent (`None` before its first packet): where a
    /// new source must start after, so the stream never steps back.
    pub fn latest_timestamp(&self) -> Option<u32> {
        self.latest
    }

    /// Builds the next packet; the returned slice lives until the next call.
    pub fn packet(
        &mut self,
        payload_type: u8,
        marker: bool,
        timestamp: u32,
        payload: &[u8],
    ) -> &[u8] {
        let header = RtpHeader {
            marker,
            payload_type,
            sequence: self.sequence,
            timestamp,
            ssrc: self.ssrc,
        };
        self.sequence = self.sequence.wrapping_add(1);
        let ahead = self
            .latest
            .is_none_or(|l| (timestamp.wrapping_sub(l) as i32) > 0);
        if ahead {
            self.latest = Some(timestamp);
        }
        write(&header, payload, &mut self.buf);
        &self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_source_clock_continues_the_stream_s_timeline() {
        let mut s = RtpSender::new(1, 0);
        assert_eq!(s.timestamp_for(1_000, 50), 50);
        assert_eq!(s.timestamp_for(1_160, 50), 210);
        // Another source, its clock far away: the stream goes on from 370.
        s.restart_at(370);
        assert_eq!(s.timestamp_for(900_000, 50), 370);
        assert_eq!(s.timestamp_for(900_160, 50), 530);
    }

    #[test]
    fn the_latest_timestamp_is_the_furthest_sent_across_the_wrap() {
        let mut s = RtpSender::new(1, 0);
        assert_eq!(s.latest_timestamp(), None);
        s.packet(0, false, u32::MAX - 80, &[0]);
        s.packet(0, false, 80, &[0]);
        // A key report at its key's earlier start does not move it back.
        s.packet(101, false, u32::MAX - 200, &[0]);
        assert_eq!(s.latest_timestamp(), Some(80));
    }

    #[test]
    fn header_round_trips() {
        let h = RtpHeader {
            marker: true,
            payload_type: 101,
            sequence: 65535,
            timestamp: 0xdead_beef,
            ssrc: 42,
        };
        let mut out = Vec::new();
        write(&h, &[1, 2, 3], &mut out);
        let p = parse(&out).unwrap();
        assert_eq!(p.header, h);
        assert_eq!(p.payload, &[1, 2, 3]);
    }

    #[test]
    fn csrc_extension_and_padding_are_skipped() {
        let mut b = vec![0x80 | 0x20 | 0x10 | 1, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
        b.extend_from_slice(&[9, 9, 9, 9]); // CSRC
        b.extend_from_slice(&[0xbe, 0xde, 0, 1, 7, 7, 7, 7]); // one-word extension
        b.extend_from_slice(&[0xaa, 0xbb]); // payload
        b.extend_from_slice(&[0, 0, 3]); // 3 bytes of padding
        let p = parse(&b).unwrap();
        assert_eq!(p.payload, &[0xaa, 0xbb]);
    }

    #[test]
    fn malformed_packets_are_errors_not_panics() {
        assert_eq!(parse(&[]), Err(RtpError::TooShort));
        assert_eq!(parse(&[0x40; 12]), Err(RtpError::BadVersion));
        assert_eq!(
            parse(&[0x8f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(RtpError::Truncated)
        );
        let mut ext = vec![
            0x90, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xbe, 0xde, 0xff, 0xff,
        ];
        assert_eq!(parse(&ext), Err(RtpError::Truncated));
        ext.truncate(13);
        assert_eq!(parse(&ext), Err(RtpError::Truncated));
        assert_eq!(
            parse(&[0xa0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200]),
            Err(RtpError::BadPadding)
        );
        assert_eq!(
            parse(&[0x80, 200, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
            Err(RtpError::Rtcp)
        );
    }

    #[test]
    fn every_short_or_random_buffer_parses_without_panicking() {
        // A cheap exhaustive-ish sweep; the property test in tests/parsers.rs goes further.
        let mut state = 0x1234_5678u32;
        for len in 0..64 {
            for _ in 0..200 {
                let buf: Vec<u8> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 17;
                        state ^= state << 5;
                        (state >> 24) as u8
                    })
                    .collect();
                if let Ok(p) = parse(&buf) {
                    assert!(p.payload.len() <= buf.len());
                }
            }
        }
    }

    #[test]
    fn event_reports_round_trip() {
        let r = EventReport::from_duration(11, true, 10, Duration::from_millis(100));
        assert_eq!(r.duration, 800);
        assert_eq!(EventReport::parse(&r.to_bytes()), Some(r));
        assert_eq!(EventReport::parse(&[1, 2, 3]), None);
    }

    #[test]
    fn sender_keeps_sequence_and_timestamp_continuity() {
        let mut s = RtpSender::new(7, 65534);
        let ts1 = s.timestamp_for(1_000, 500);
        let p1 = parse(s.packet(0, false, ts1, &[0; 160])).unwrap().header;
        let ts2 = s.timestamp_for(1_160, 999);
        let p2 = parse(s.packet(0, false, ts2, &[0; 160])).unwrap().header;
        // A 200 ms gap (a DTMF tone) shows in the timestamps, not in the sequence.
        let ts3 = s.timestamp_for(2_920, 0);
        let p3 = parse(s.packet(0, false, ts3, &[0; 160])).unwrap().header;
        assert_eq!((p1.sequence, p2.sequence, p3.sequence), (65534, 65535, 0));
        assert_eq!((p1.timestamp, p2.timestamp, p3.timestamp), (500, 660, 2420));
        assert_eq!((p1.ssrc, p3.ssrc), (7, 7));
    }
}
