//! What the cases store: owners, contacts, calls and recordings made to order.

use app::domain::calls::{CallRecord, Direction, EndReason};
use app::domain::contacts::{Contact, ContactNumber, NumberLabel};
use app::domain::recordings::{ConsentNotice, Recording, RecordingState};

pub(super) const ALICE: &str = "sub-alice";
pub(super) const BOB: &str = "sub-bob";

pub(super) fn contact(id: &str, name: &str, company: &str, numbers: &[&str]) -> Contact {
    Contact {
        id: id.into(),
        name: name.into(),
        company: company.into(),
        notes: String::new(),
        favourite: false,
        numbers: numbers
            .iter()
            .map(|n| ContactNumber {
                label: NumberLabel::Mobile,
                e164: n.to_string(),
            })
            .collect(),
        created_at: 1,
        updated_at: 1,
        version: 1,
    }
}

pub(super) fn call(
    id: &str,
    e164: &str,
    started_at: u64,
    answered: bool,
    reason: Option<EndReason>,
) -> CallRecord {
    CallRecord {
        id: id.into(),
        direction: Direction::Outbound,
        e164: e164.into(),
        started_at,
        ringing_at: Some(started_at + 900),
        answered_at: answered.then_some(started_at + 5_000),
        ended_at: reason.map(|_| started_at + 65_000),
        end_reason: reason,
        hangup_by: reason.map(|_| "agent".into()),
        sip_cause: None,
        recording_id: None,
        provider_call_id: None,
        server: None,
        transferred_to: None,
        transferred_from: None,
    }
}

pub(super) fn recording(id: &str, call_id: &str, started_at: u64, retain_until: u64) -> Recording {
    Recording {
        id: id.into(),
        call_id: call_id.into(),
        started_at,
        ended_at: None,
        duration_ms: 0,
        bytes: 44,
        sha256: None,
        format: app::domain::recordings::FORMAT.into(),
        consent: ConsentNotice::Tone,
        pause_mode: "silence".into(),
        pauses: vec![],
        location: format!("disk:{}", Recording::key_for(id, started_at)),
        key: Recording::key_for(id, started_at),
        retain_until,
        state: RecordingState::Recording,
        upload_id: Some("upload-1".into()),
        waveform: vec![],
    }
}
