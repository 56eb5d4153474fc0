//! G.711 μ-law (PCMU) and A-law (PCMA), ITU-T G.711. The gateway relays G.711 as it is; these
//! are for the tones it generates (ringback), the simulator's tones, the rare μ-law ↔ A-law
//! mismatch between the two legs (a lossless-enough table mapping, not transcoding), and tests.

/// The two G.711 laws, with their static RTP payload types (RFC 3551).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum G711 {
    Pcmu,
    Pcma,
}

impl G711 {
    pub fn payload_type(self) -> u8 {
        match self {
            G711::Pcmu => 0,
            G711::Pcma => 8,
        }
    }

    pub fn from_payload_type(pt: u8) -> Option<G711> {
        match pt {
            0 => Some(G711::Pcmu),
            8 => Some(G711::Pcma),
            _ => None,
        }
    }

    /// The SDP encoding name.
    pub fn name(self) -> &'static str {
        match self {
            G711::Pcmu => "PCMU",
            G711::Pcma => "PCMA",
        }
    }

    pub fn encode(self, sample: i16) -> u8 {
        match self {
            G711::Pcmu => linear_to_ulaw(sample),
            G711::Pcma => linear_to_alaw(sample),
        }
    }

    pub fn decode(self, byte: u8) -> i16 {
        match self {
            G711::Pcmu => ulaw_to_linear(byte),
            G711::Pcma => alaw_to_linear(byte),
        }
    }

    /// Re-encodes a frame from `self` to `to` (identity when they match).
    pub fn convert(self, to: G711, frame: &[u8]) -> Vec<u8> {
        if self == to {
            return frame.to_vec();
        }
        frame.iter().map(|&b| to.encode(self.decode(b))).collect()
    }

    /// The encoding of digital silence.
    pub fn silence(self) -> u8 {
        self.encode(0)
    }
}

const BIAS: i32 = 0x84;
const CLIP: i32 = 32635;

pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut s = sample as i32;
    let sign = if s < 0 { 0x80 } else { 0 };
    if s < 0 {
        s = -s;
    }
    s = s.min(CLIP) + BIAS;
    // The segment is the position of the highest set bit above bit 7.
    let mut exponent = 7;
    while exponent > 0 && s & (0x80 << exponent) == 0 {
        exponent -= 1;
    }
    let mantissa = (s >> (exponent + 3)) & 0x0f;
    !(sign | (exponent << 4) | mantissa) as u8
}

pub fn ulaw_to_linear(byte: u8) -> i16 {
    let u = !byte as i32;
    let sign = u & 0x80;
    let exponent = (u >> 4) & 0x07;
    let mantissa = u & 0x0f;
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    (if sign != 0 { -magnitude } else { magnitude }) as i16
}

pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut s = sample as i32 >> 3; // 13-bit
    let sign = if s >= 0 { 0x80 } else { 0 };
    if s < 0 {
        s = -s - 1;
    }
    let s = s.min(0x0fff);
    let (exponent, mantissa) = if s < 32 {
        (0, s >> 1)
    } else {
        let exponent = 31 - (s as u32).leading_zeros() as i32 - 4; // 1..=7
        (exponent, (s >> exponent) & 0x0f)
    };
    ((sign | (exponent << 4) | mantissa) ^ 0x55) as u8
}

pub fn alaw_to_linear(byte: u8) -> i16 {
    let a = (byte ^ 0x55) as i32;
    let sign = a & 0x80;
    let exponent = (a >> 4) & 0x07;
    let mantissa = a & 0x0f;
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    (if sign != 0 { magnitude } else { -magnitude }) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulaw_known_values() {
        assert_eq!(linear_to_ulaw(0), 0xff);
        assert_eq!(linear_to_ulaw(-1), 0x7f);
        assert_eq!(linear_to_ulaw(32767), 0x80);
        assert_eq!(linear_to_ulaw(-32768), 0x00);
        assert_eq!(ulaw_to_linear(0xff), 0);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
    }

    #[test]
    fn alaw_known_values() {
        assert_eq!(linear_to_alaw(0), 0xd5);
        assert_eq!(linear_to_alaw(-8), 0x55);
        assert_eq!(alaw_to_linear(0xd5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xaa), 32256);
        assert_eq!(alaw_to_linear(0x2a), -32256);
    }

    #[test]
    fn every_code_round_trips() {
        for law in [G711::Pcmu, G711::Pcma] {
            for b in 0..=255u8 {
                let back = law.encode(law.decode(b));
                // μ-law has two zeros (0x7f and 0xff); both decode to 0 and re-encode to 0xff.
                if law == G711::Pcmu && b == 0x7f {
                    assert_eq!(back, 0xff);
                } else {
                    assert_eq!(back, b, "{law:?} {b:#04x}");
                }
            }
        }
    }

    #[test]
    fn quantisation_error_is_within_the_segment_step() {
        for law in [G711::Pcmu, G711::Pcma] {
            for s in (-32000i32..32000).step_by(7) {
                let back = law.decode(law.encode(s as i16)) as i32;
                let step = (s.abs() / 16).max(16);
                assert!((back - s).abs() <= step, "{law:?} {s} -> {back}");
            }
        }
    }
}
