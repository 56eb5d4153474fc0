//! The signalling frames we read and write, by hand with `prost` (no code generation): only the
//! messages and fields the stand-in uses, numbered as `proto/SignalingProtocol.proto` (the
//! SDK's schema, rebuilt from its npm package) has them. Every field is optional here, even the
//! schema's `required` ones, so a frame missing one is noticed and logged rather than
//! silently defaulted. The test below holds each struct to the schema's numbers and types.

/// `SdkSignalFrame.Type`: the values we handle or name in logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum FrameType {
    Join = 1,
    JoinAck = 2,
    Subscribe = 3,
    SubscribeAck = 4,
    Index = 5,
    Leave = 9,
    LeaveAck = 10,
    AudioControl = 16,
    PingPong = 19,
    AudioStatus = 20,
    ClientMetric = 21,
    MeetingSessionTiming = 43,
}

/// `SdkPingPongType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum PingPongType {
    Ping = 1,
    Pong = 2,
}

/// `SdkStreamServiceType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum StreamServiceType {
    Rx = 1,
    Tx = 2,
    Duplex = 3,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SdkSignalFrame {
    #[prost(uint64, optional, tag = "1")]
    pub timestamp_ms: Option<u64>,
    #[prost(enumeration = "FrameType", optional, tag = "2")]
    pub r#type: Option<i32>,
    #[prost(message, optional, tag = "3")]
    pub error: Option<SdkErrorFrame>,
    #[prost(message, optional, tag = "4")]
    pub join: Option<SdkJoinFrame>,
    #[prost(message, optional, tag = "5")]
    pub joinack: Option<SdkJoinAckFrame>,
    #[prost(message, optional, tag = "6")]
    pub sub: Option<SdkSubscribeFrame>,
    #[prost(message, optional, tag = "7")]
    pub suback: Option<SdkSubscribeAckFrame>,
    #[prost(message, optional, tag = "8")]
    pub index: Option<SdkIndexFrame>,
    #[prost(message, optional, tag = "11")]
    pub leave: Option<SdkLeaveFrame>,
    #[prost(message, optional, tag = "12")]
    pub leave_ack: Option<SdkLeaveAckFrame>,
    #[prost(message, optional, tag = "20")]
    pub ping_pong: Option<SdkPingPongFrame>,
    #[prost(message, optional, tag = "21")]
    pub audio_status: Option<SdkAudioStatusFrame>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SdkErrorFrame {
    #[prost(uint32, optional, tag = "1")]
    pub status: Option<u32>,
    #[prost(string, optional, tag = "2")]
    pub description: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SdkJoinFrame {
    #[prost(uint32, optional, tag = "1")]
    pub protocol_version: Option<u32>,
    #[prost(uint32, optional, tag = "3")]
    pub flags: Option<u32>,
    #[prost(bool, optional, tag = "7")]
    pub wants_compressed_sdp: Option<bool>,
}

/// Sent empty: no TURN credentials (the SDK then uses host candidates), no compressed SDP.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SdkJoinAckFrame {}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SdkSubscribeFrame {
    #[prost(enumeration = "StreamServiceType", optional, tag = "1")]
    pub duplex: Option<i32>,
    #[prost(string, optional, tag = "4")]
    pub sdp_offer: Option<String>,
    #[prost(string, optional, tag = "5")]
    pub audio_host: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SdkSubscribeAckFrame {
    #[prost(enumeration = "StreamServiceType", optional, tag = "1")]
    pub duplex: Option<i32>,
    #[prost(string, optional, tag = "3")]
    pub sdp_answer: Option<String>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SdkIndexFrame {
    #[prost(bool, optional, tag = "1")]
    pub at_capacity: Option<bool>,
    #[prost(uint32, optional, tag = "4")]
    pub num_participants: Option<u32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SdkLeaveFrame {}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SdkLeaveAckFrame {}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SdkPingPongFrame {
    #[prost(enumeration = "PingPongType", optional, tag = "1")]
    pub r#type: Option<i32>,
    #[prost(uint32, optional, tag = "2")]
    pub ping_id: Option<u32>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct SdkAudioStatusFrame {
    #[prost(uint32, optional, tag = "1")]
    pub audio_status: Option<u32>,
}

/// The byte before every protobuf frame on the socket (`FRAME_TYPE_RTC`).
pub const FRAME_TYPE_RTC: u8 = 0x05;

#[cfg(test)]
mod tests {
    //! Drift: each struct, encoded with every field set, must put each field under the number
    //! and wire type the vendored schema gives the field of that name; each enum value we use
    //! must have the schema's number.

    use std::collections::HashMap;

    use prost::Message;

    use super::*;

    const SCHEMA: &str = include_str!("../../proto/SignalingProtocol.proto");

    /// Message → field name → (number, type).
    type Messages = HashMap<String, HashMap<String, (u32, String)>>;
    /// Enum (nested ones as `Outer.Inner`) → value name → number.
    type Enums = HashMap<String, HashMap<String, i32>>;

    /// The schema text's messages and enums (`[label] type name = n;` and `NAME = n;` lines).
    fn schema() -> (Messages, Enums) {
        let (mut messages, mut enums) = (HashMap::new(), HashMap::new());
        let mut stack: Vec<(bool, String)> = Vec::new(); // (is an enum, qualified name)
        for line in SCHEMA.lines().map(str::trim) {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["message", name, "{"] => stack.push((false, name.to_string())),
                ["enum", name, "{"] => {
                    let name = match stack.last() {
                        Some((_, outer)) => format!("{outer}.{name}"),
                        None => name.to_string(),
                    };
                    stack.push((true, name));
                }
                ["}"] => {
                    stack.pop();
                }
                [value, "=", n] if stack.last().is_some_and(|(e, _)| *e) => {
                    let (_, name) = stack.last().cloned().unwrap_or_default();
                    let n: i32 = n.trim_end_matches(';').parse().expect("an enum number");
                    enums
                        .entry(name)
                        .or_insert_with(HashMap::new)
                        .insert(value.to_string(), n);
                }
                [_label, ty, field, "=", n] => {
                    let (_, name) = stack.last().cloned().unwrap_or_default();
                    let n: u32 = n.trim_end_matches(';').parse().expect("a field number");
                    messages
                        .entry(name)
                        .or_insert_with(HashMap::new)
                        .insert(field.to_string(), (n, ty.to_string()));
                }
                _ => {}
            }
        }
        (messages, enums)
    }

    /// The top-level (number, wire type) pairs of an encoded message, in order.
    fn keys(mut bytes: &[u8]) -> Vec<(u32, u32)> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            let key = prost::encoding::decode_varint(&mut bytes).expect("a key");
            let (number, wire) = ((key >> 3) as u32, (key & 7) as u32);
            match wire {
                0 => {
                    prost::encoding::decode_varint(&mut bytes).expect("a varint");
                }
                2 => {
                    let len = prost::encoding::decode_varint(&mut bytes).expect("a length");
                    bytes = &bytes[len as usize..];
                }
                other => panic!("wire type {other} is not used here"),
            }
            out.push((number, wire));
        }
        out
    }

    /// The wire type a schema type is encoded with.
    fn wire_of(ty: &str, enums: &Enums) -> u32 {
        match ty {
            "uint64" | "uint32" | "int32" | "bool" => 0,
            "string" | "bytes" => 2,
            t if enums.contains_key(t) => 0,
            _ => 2, // a message
        }
    }

    fn check(message: &str, encoded: Vec<u8>, fields: &[&str]) {
        let (messages, enums) = schema();
        let schema = messages
            .get(message)
            .unwrap_or_else(|| panic!("{message} is not in the schema"));
        let expected: Vec<(u32, u32)> = fields
            .iter()
            .map(|f| {
                let (n, ty) = schema
                    .get(*f)
                    .unwrap_or_else(|| panic!("{message}.{f} is not in the schema"));
                (*n, wire_of(ty, &enums))
            })
            .collect();
        assert_eq!(keys(&encoded), expected, "{message}: {fields:?}");
    }

    #[test]
    fn the_structs_match_the_vendored_schema() {
        let s = || Some(String::from("x"));
        check(
            "SdkSignalFrame",
            SdkSignalFrame {
                timestamp_ms: Some(1),
                r#type: Some(FrameType::Join as i32),
                error: Some(SdkErrorFrame::default()),
                join: Some(SdkJoinFrame::default()),
                joinack: Some(SdkJoinAckFrame {}),
                sub: Some(SdkSubscribeFrame::default()),
                suback: Some(SdkSubscribeAckFrame::default()),
                index: Some(SdkIndexFrame::default()),
                leave: Some(SdkLeaveFrame {}),
                leave_ack: Some(SdkLeaveAckFrame {}),
                ping_pong: Some(SdkPingPongFrame::default()),
                audio_status: Some(SdkAudioStatusFrame::default()),
            }
            .encode_to_vec(),
            &[
                "timestamp_ms",
                "type",
                "error",
                "join",
                "joinack",
                "sub",
                "suback",
                "index",
                "leave",
                "leave_ack",
                "ping_pong",
                "audio_status",
            ],
        );
        check(
            "SdkErrorFrame",
            SdkErrorFrame {
                status: Some(1),
                description: s(),
            }
            .encode_to_vec(),
            &["status", "description"],
        );
        check(
            "SdkJoinFrame",
            SdkJoinFrame {
                protocol_version: Some(2),
                flags: Some(2),
                wants_compressed_sdp: Some(true),
            }
            .encode_to_vec(),
            &["protocol_version", "flags", "wants_compressed_sdp"],
        );
        check(
            "SdkSubscribeFrame",
            SdkSubscribeFrame {
                duplex: Some(1),
                sdp_offer: s(),
                audio_host: s(),
            }
            .encode_to_vec(),
            &["duplex", "sdp_offer", "audio_host"],
        );
        check(
            "SdkSubscribeAckFrame",
            SdkSubscribeAckFrame {
                duplex: Some(1),
                sdp_answer: s(),
            }
            .encode_to_vec(),
            &["duplex", "sdp_answer"],
        );
        check(
            "SdkIndexFrame",
            SdkIndexFrame {
                at_capacity: Some(false),
                num_participants: Some(1),
            }
            .encode_to_vec(),
            &["at_capacity", "num_participants"],
        );
        check(
            "SdkPingPongFrame",
            SdkPingPongFrame {
                r#type: Some(1),
                ping_id: Some(1),
            }
            .encode_to_vec(),
            &["type", "ping_id"],
        );
        check(
            "SdkAudioStatusFrame",
            SdkAudioStatusFrame {
                audio_status: Some(1),
            }
            .encode_to_vec(),
            &["audio_status"],
        );
        // The enum-typed fields name the enums below.
        let (messages, _) = schema();
        let type_of = |m: &str, f: &str| messages[m][f].1.clone();
        assert_eq!(type_of("SdkSignalFrame", "type"), "SdkSignalFrame.Type");
        assert_eq!(type_of("SdkPingPongFrame", "type"), "SdkPingPongType");
        assert_eq!(
            type_of("SdkSubscribeFrame", "duplex"),
            "SdkStreamServiceType"
        );
        assert_eq!(
            type_of("SdkSubscribeAckFrame", "duplex"),
            "SdkStreamServiceType"
        );
    }

    #[test]
    fn the_enum_values_match_the_vendored_schema() {
        let (_, enums) = schema();
        let value = |e: &str, v: &str| {
            *enums
                .get(e)
                .and_then(|values| values.get(v))
                .unwrap_or_else(|| panic!("{e}.{v} is not in the schema"))
        };
        let frame_types = [
            (FrameType::Join, "JOIN"),
            (FrameType::JoinAck, "JOIN_ACK"),
            (FrameType::Subscribe, "SUBSCRIBE"),
            (FrameType::SubscribeAck, "SUBSCRIBE_ACK"),
            (FrameType::Index, "INDEX"),
            (FrameType::Leave, "LEAVE"),
            (FrameType::LeaveAck, "LEAVE_ACK"),
            (FrameType::AudioControl, "AUDIO_CONTROL"),
            (FrameType::PingPong, "PING_PONG"),
            (FrameType::AudioStatus, "AUDIO_STATUS"),
            (FrameType::ClientMetric, "CLIENT_METRIC"),
            (FrameType::MeetingSessionTiming, "MEETING_SESSION_TIMING"),
        ];
        for (ours, name) in frame_types {
            assert_eq!(ours as i32, value("SdkSignalFrame.Type", name), "{name}");
        }
        assert_eq!(PingPongType::Ping as i32, value("SdkPingPongType", "PING"));
        assert_eq!(PingPongType::Pong as i32, value("SdkPingPongType", "PONG"));
        for (ours, name) in [
            (StreamServiceType::Rx, "RX"),
            (StreamServiceType::Tx, "TX"),
            (StreamServiceType::Duplex, "DUPLEX"),
        ] {
            assert_eq!(ours as i32, value("SdkStreamServiceType", name), "{name}");
        }
    }
}
