//! Missed-call push notifications (Web Push, RFC 8030/8291/8292), the parts that are rules: what
//! a device's subscription must look like before it is stored, the agent's quiet hours, and the
//! notification's payload. Plain Rust; the server encrypts and sends (`server/src/push/`), the
//! service worker shows it (`public/sw.js`).

use serde::{Deserialize, Serialize};

/// The longest endpoint URL we keep. Push services' endpoints are a few hundred characters
/// (FCM about 180, Mozilla's about 200, Apple's about 150).
pub const MAX_ENDPOINT_LEN: usize = 1024;
/// The longest device label kept (a shortened user agent, shown in Settings).
pub const MAX_LABEL_LEN: usize = 120;
/// Subscriptions one user may hold (devices and browsers); the oldest goes when one more comes.
pub const MAX_PER_USER: usize = 20;
/// The browser's P-256 public key: an uncompressed point, 65 bytes (87 base64url characters).
pub const P256DH_LEN: usize = 65;
/// The authentication secret: 16 bytes (22 base64url characters).
pub const AUTH_LEN: usize = 16;

/// What the page posts after `pushManager.subscribe` (the subscription's `toJSON()`, flattened),
/// with the device's label.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubscribeRequest {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    /// e.g. "Chrome on Android"; free text, shortened.
    #[serde(default)]
    pub label: String,
}

/// A subscription the store keeps: where to post and the keys to encrypt for. The endpoint is a
/// capability (anyone holding it can push to the device): stored, never logged, never shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSubscription {
    /// The SHA-256 of the endpoint, base64url: what logs and the UI name it by.
    pub id: String,
    pub owner: String,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
    pub label: String,
    pub created_at: u64,
}

/// Why a subscription was refused; each says what to fix.
#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubscriptionError {
    #[error("the endpoint must be an https:// URL")]
    EndpointNotHttps,
    #[error("the endpoint is longer than {MAX_ENDPOINT_LEN} characters")]
    EndpointTooLong,
    #[error("the endpoint is not a URL with a host")]
    EndpointMalformed,
    #[error("the p256dh key must be a {P256DH_LEN}-byte uncompressed P-256 point, base64url")]
    BadP256dh,
    #[error("the auth secret must be {AUTH_LEN} bytes, base64url")]
    BadAuth,
}

/// Whether plain `http://127.0.0.1` endpoints are allowed: only in tests, which run a fake push
/// service on loopback (`SOFTPHONE_PUSH_TEST_LOOPBACK`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Endpoints {
    #[default]
    HttpsOnly,
    AlsoLoopbackHttp,
}

impl SubscribeRequest {
    /// Checks every field; the label is trimmed, stripped of control characters and shortened.
    pub fn validated(&self, endpoints: Endpoints) -> Result<SubscribeRequest, SubscriptionError> {
        let endpoint = self.endpoint.trim();
        if endpoint.len() > MAX_ENDPOINT_LEN {
            return Err(SubscriptionError::EndpointTooLong);
        }
        let rest = if let Some(rest) = endpoint.strip_prefix("https://") {
            rest
        } else if let (Endpoints::AlsoLoopbackHttp, Some(rest)) =
            (endpoints, endpoint.strip_prefix("http://127.0.0.1:"))
        {
            rest
        } else {
            return Err(SubscriptionError::EndpointNotHttps);
        };
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let printable = endpoint.chars().all(|c| c.is_ascii_graphic());
        if host.is_empty() || host.contains('@') || !printable {
            return Err(SubscriptionError::EndpointMalformed);
        }
        let p256dh = unpadded(&self.p256dh);
        match base64url_decode(p256dh) {
            Some(bytes) if bytes.len() == P256DH_LEN && bytes[0] == 0x04 => {}
            _ => return Err(SubscriptionError::BadP256dh),
        }
        let auth = unpadded(&self.auth);
        match base64url_decode(auth) {
            Some(bytes) if bytes.len() == AUTH_LEN => {}
            _ => return Err(SubscriptionError::BadAuth),
        }
        Ok(SubscribeRequest {
            endpoint: endpoint.to_string(),
            p256dh: p256dh.to_string(),
            auth: auth.to_string(),
            label: label(&self.label),
        })
    }
}

fn unpadded(text: &str) -> &str {
    text.trim().trim_end_matches('=')
}

fn label(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_LABEL_LEN)
        .collect::<String>()
        .trim()
        .to_string()
}

/// Decodes unpadded base64url (RFC 4648 §5); `None` on any other character or a bad length.
pub fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    }
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// Quiet hours: no missed-call notifications between `start` and `end`, minutes after midnight
/// in the agent's time, which is UTC plus `utc_offset_minutes` (the browser's offset when the
/// agent saved them; `time_zone` is its IANA name, kept to show). A window that ends before it
/// starts runs past midnight (22:00–07:00). `start == end` is never quiet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub start: u16,
    pub end: u16,
    pub utc_offset_minutes: i16,
    #[serde(default)]
    pub time_zone: String,
}

/// The longest IANA zone name kept ("America/Argentina/ComodRivadavia" is 32).
pub const MAX_TIME_ZONE_LEN: usize = 64;
const MINUTES_PER_DAY: i64 = 24 * 60;
/// UTC−14:00 to UTC+14:00, every offset in use.
const MAX_OFFSET_MINUTES: i16 = 14 * 60;

#[derive(Clone, Debug, thiserror::Error, PartialEq, Eq, Serialize, Deserialize)]
pub enum QuietHoursError {
    #[error("times must be between 00:00 and 23:59")]
    BadTime,
    #[error("the time zone offset must be within ±14 hours")]
    BadOffset,
    #[error("the time zone name is not valid")]
    BadTimeZone,
}

impl QuietHours {
    pub fn validated(&self) -> Result<QuietHours, QuietHoursError> {
        let day = MINUTES_PER_DAY as u16;
        if self.start >= day || self.end >= day {
            return Err(QuietHoursError::BadTime);
        }
        // unsigned_abs: i16::MIN has no positive counterpart (abs would overflow).
        if self.utc_offset_minutes.unsigned_abs() > MAX_OFFSET_MINUTES.unsigned_abs() {
            return Err(QuietHoursError::BadOffset);
        }
        let zone = self.time_zone.trim();
        let zone_ok = zone.len() <= MAX_TIME_ZONE_LEN
            && zone
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
        if !zone_ok {
            return Err(QuietHoursError::BadTimeZone);
        }
        Ok(QuietHours {
            time_zone: zone.to_string(),
            ..self.clone()
        })
    }

    /// Whether `now_ms` (Unix time) falls inside the window, in the agent's time.
    pub fn is_quiet(&self, now_ms: u64) -> bool {
        let (start, end) = (self.start as i64, self.end as i64);
        if start == end {
            return false;
        }
        let local_minutes = (now_ms / 60_000) as i64 + self.utc_offset_minutes as i64;
        let minute = local_minutes.rem_euclid(MINUTES_PER_DAY);
        if start < end {
            start <= minute && minute < end
        } else {
            minute >= start || minute < end
        }
    }

    /// `HH:MM` of a minute of the day.
    pub fn clock(minute: u16) -> String {
        format!("{:02}:{:02}", minute / 60, minute % 60)
    }

    /// A minute of the day from `HH:MM`.
    pub fn parse_clock(text: &str) -> Option<u16> {
        let (h, m) = text.trim().split_once(':')?;
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    }
}

/// A user's push settings (none stored: no quiet hours).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushSettings {
    pub quiet_hours: Option<QuietHours>,
}

impl PushSettings {
    pub fn is_quiet(&self, now_ms: u64) -> bool {
        self.quiet_hours
            .as_ref()
            .is_some_and(|q| q.is_quiet(now_ms))
    }
}

/// A call nobody answered, as the inbound call path reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissedCall {
    pub call_id: String,
    /// The caller, E.164; none when withheld.
    pub from: Option<String>,
    /// The owner's contact with that number, if any.
    pub contact_name: Option<String>,
    /// The business number that was called, E.164.
    pub to: String,
    /// When it rang, ms since the Unix epoch.
    pub at: u64,
}

/// What the service worker receives (JSON inside the encrypted payload; small, so it fits the
/// 4 KB every push service takes).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PushPayload {
    MissedCall {
        call_id: String,
        from: Option<String>,
        contact_name: Option<String>,
        to: String,
        at: u64,
    },
    /// Settings' "Send a test notification".
    Test { at: u64 },
}

/// The longest contact name put in a payload (the rest is cut).
const MAX_NAME_IN_PAYLOAD: usize = 80;

impl From<&MissedCall> for PushPayload {
    fn from(call: &MissedCall) -> Self {
        PushPayload::MissedCall {
            call_id: call.call_id.clone(),
            from: call.from.clone(),
            contact_name: call
                .contact_name
                .as_ref()
                .map(|n| n.chars().take(MAX_NAME_IN_PAYLOAD).collect()),
            to: call.to.clone(),
            at: call.at,
        }
    }
}

/// How a send to a user's devices went (the test button shows it).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushOutcome {
    /// Accepted by the push service.
    pub sent: u32,
    /// Gone (404/410 from the push service): removed.
    pub removed: u32,
    pub failed: u32,
    /// Not sent: inside the user's quiet hours.
    pub quiet: bool,
}

/// What Settings shows of one of the user's subscriptions (never the endpoint).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub id: String,
    pub label: String,
    pub created_at: u64,
}

/// What Settings loads: the server's VAPID public key (none: push is off on this server),
/// the user's devices and settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushState {
    pub public_key: Option<String>,
    pub devices: Vec<DeviceInfo>,
    pub settings: PushSettings,
}

#[cfg(test)]
mod tests {
    use super::*;

    const P256DH: &str =
        "BLn9b-VR0ca83knDNZ32dCHGyjJp-1riX9ZTN40MqV8K_LpQmLqxC_DoHvqvFXO_nGdAB4W9dogZb_sM-uV4JbY";
    const AUTH: &str = "_ordMnz7uTCmrpBTeUV4Bw";

    fn request(endpoint: &str) -> SubscribeRequest {
        SubscribeRequest {
            endpoint: endpoint.into(),
            p256dh: P256DH.into(),
            auth: AUTH.into(),
            label: " Chrome\u{7} on Android ".into(),
        }
    }

    #[test]
    fn base64url_decodes_unpadded_text_and_refuses_others() {
        assert_eq!(base64url_decode("").unwrap(), b"");
        assert_eq!(base64url_decode("Zg").unwrap(), b"f");
        assert_eq!(base64url_decode("Zm8").unwrap(), b"fo");
        assert_eq!(base64url_decode("Zm9v").unwrap(), b"foo");
        assert_eq!(base64url_decode("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(base64url_decode(AUTH).unwrap().len(), 16);
        assert_eq!(base64url_decode(P256DH).unwrap().len(), 65);
        for bad in ["Z", "Zm9v+", "Zm9v/", "Zm9=", "Zm 9"] {
            assert!(base64url_decode(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_browsers_subscription_is_taken_with_its_label_cleaned() {
        let ok = request("https://fcm.googleapis.com/fcm/send/abc:def")
            .validated(Endpoints::HttpsOnly)
            .unwrap();
        assert_eq!(ok.endpoint, "https://fcm.googleapis.com/fcm/send/abc:def");
        assert_eq!(ok.label, "Chrome on Android");
        let padded = SubscribeRequest {
            auth: format!("{AUTH}=="),
            ..request("https://push.example/x")
        };
        assert_eq!(
            padded.validated(Endpoints::HttpsOnly).unwrap().auth,
            AUTH,
            "padding is dropped"
        );
        let long = SubscribeRequest {
            label: "x".repeat(1000),
            ..request("https://push.example/x")
        };
        assert_eq!(
            long.validated(Endpoints::HttpsOnly).unwrap().label.len(),
            MAX_LABEL_LEN
        );
    }

    #[test]
    fn endpoints_are_https_unless_a_test_allows_loopback() {
        use SubscriptionError::*;
        let check = |e: &str, mode| request(e).validated(mode).map(|_| ());
        assert_eq!(
            check("http://push.example/x", Endpoints::HttpsOnly),
            Err(EndpointNotHttps)
        );
        assert_eq!(
            check("http://127.0.0.1:9/x", Endpoints::HttpsOnly),
            Err(EndpointNotHttps)
        );
        assert_eq!(
            check("http://127.0.0.1:9/x", Endpoints::AlsoLoopbackHttp),
            Ok(())
        );
        assert_eq!(
            check(
                "http://127.0.0.1.evil.example:9/x",
                Endpoints::AlsoLoopbackHttp
            ),
            Err(EndpointNotHttps),
            "the port's colon comes right after the loopback address"
        );
        assert_eq!(
            check("http://10.0.0.1:9/x", Endpoints::AlsoLoopbackHttp),
            Err(EndpointNotHttps)
        );
        assert_eq!(
            check("javascript:alert(1)", Endpoints::HttpsOnly),
            Err(EndpointNotHttps)
        );
        assert_eq!(
            check("https:///x", Endpoints::HttpsOnly),
            Err(EndpointMalformed)
        );
        assert_eq!(
            check("https://user@host/x", Endpoints::HttpsOnly),
            Err(EndpointMalformed)
        );
        assert_eq!(
            check("https://a b/x", Endpoints::HttpsOnly),
            Err(EndpointMalformed)
        );
        let long = format!("https://push.example/{}", "a".repeat(MAX_ENDPOINT_LEN));
        assert_eq!(check(&long, Endpoints::HttpsOnly), Err(EndpointTooLong));
    }

    #[test]
    fn keys_must_have_their_lengths() {
        let with = |p256dh: &str, auth: &str| {
            SubscribeRequest {
                p256dh: p256dh.into(),
                auth: auth.into(),
                ..request("https://push.example/x")
            }
            .validated(Endpoints::HttpsOnly)
            .map(|_| ())
        };
        assert_eq!(with(&P256DH[..86], AUTH), Err(SubscriptionError::BadP256dh));
        // 65 bytes that are not an uncompressed point (first byte 0x05).
        let not_a_point = format!("BQ{}", &P256DH[2..]);
        assert_eq!(with(&not_a_point, AUTH), Err(SubscriptionError::BadP256dh));
        assert_eq!(with(P256DH, &AUTH[..21]), Err(SubscriptionError::BadAuth));
        assert_eq!(
            with(P256DH, "not base64!!"),
            Err(SubscriptionError::BadAuth)
        );
        assert_eq!(with(P256DH, AUTH), Ok(()));
    }

    fn at(hours: u64, minutes: u64) -> u64 {
        // A day well after the epoch, at hours:minutes UTC.
        (20_000 * 24 * 60 + hours * 60 + minutes) * 60_000
    }

    fn quiet(start: &str, end: &str, offset: i16) -> QuietHours {
        QuietHours {
            start: QuietHours::parse_clock(start).unwrap(),
            end: QuietHours::parse_clock(end).unwrap(),
            utc_offset_minutes: offset,
            time_zone: String::new(),
        }
    }

    #[test]
    fn quiet_hours_within_a_day_and_past_midnight() {
        let day = quiet("12:00", "13:30", 0);
        assert!(!day.is_quiet(at(11, 59)));
        assert!(day.is_quiet(at(12, 0)));
        assert!(day.is_quiet(at(13, 29)));
        assert!(!day.is_quiet(at(13, 30)), "the end is not quiet");
        let night = quiet("22:00", "07:00", 0);
        assert!(night.is_quiet(at(23, 0)));
        assert!(night.is_quiet(at(0, 0)));
        assert!(night.is_quiet(at(6, 59)));
        assert!(!night.is_quiet(at(7, 0)));
        assert!(!night.is_quiet(at(21, 59)));
        assert!(!quiet("08:00", "08:00", 0).is_quiet(at(8, 0)), "empty");
    }

    #[test]
    fn quiet_hours_are_in_the_agents_time() {
        // Singapore, UTC+8: 22:00–07:00 there is 14:00–23:00 UTC.
        let singapore = quiet("22:00", "07:00", 8 * 60);
        assert!(singapore.is_quiet(at(14, 0)));
        assert!(singapore.is_quiet(at(22, 59)));
        assert!(!singapore.is_quiet(at(23, 0)));
        assert!(!singapore.is_quiet(at(13, 59)));
        // Panama, UTC−5: 22:00–07:00 there is 03:00–12:00 UTC.
        let panama = quiet("22:00", "07:00", -5 * 60);
        assert!(panama.is_quiet(at(3, 0)));
        assert!(!panama.is_quiet(at(2, 59)));
        assert!(panama.is_quiet(at(11, 59)));
        assert!(!panama.is_quiet(at(12, 0)));
        assert!(!PushSettings::default().is_quiet(at(3, 0)));
    }

    #[test]
    fn quiet_hours_are_checked() {
        let ok = QuietHours {
            time_zone: " Asia/Singapore ".into(),
            ..quiet("22:00", "07:00", 480)
        };
        assert_eq!(ok.validated().unwrap().time_zone, "Asia/Singapore");
        let bad_time = QuietHours {
            start: 1440,
            ..ok.clone()
        };
        assert_eq!(bad_time.validated(), Err(QuietHoursError::BadTime));
        let bad_offset = QuietHours {
            utc_offset_minutes: 15 * 60,
            ..ok.clone()
        };
        assert_eq!(bad_offset.validated(), Err(QuietHoursError::BadOffset));
        let lowest = QuietHours {
            utc_offset_minutes: i16::MIN,
            ..ok.clone()
        };
        assert_eq!(lowest.validated(), Err(QuietHoursError::BadOffset));
        let bad_zone = QuietHours {
            time_zone: "<script>".into(),
            ..ok
        };
        assert_eq!(bad_zone.validated(), Err(QuietHoursError::BadTimeZone));
        assert_eq!(QuietHours::parse_clock("7:05"), Some(425));
        assert_eq!(QuietHours::parse_clock("24:00"), None);
        assert_eq!(QuietHours::clock(425), "07:05");
    }

    #[test]
    fn the_payload_is_tagged_and_small() {
        let call = MissedCall {
            call_id: "c1".into(),
            from: Some("+6581234567".into()),
            contact_name: Some("N".repeat(500)),
            to: "+6560000001".into(),
            at: 1_700_000_000_000,
        };
        let json = serde_json::to_string(&PushPayload::from(&call)).unwrap();
        assert!(
            json.starts_with(r#"{"type":"missed_call","call_id":"c1","from":"+6581234567""#),
            "{json}"
        );
        assert!(json.len() < 300, "{}", json.len());
        let test = serde_json::to_string(&PushPayload::Test { at: 5 }).unwrap();
        assert_eq!(test, r#"{"type":"test","at":5}"#);
    }
}
