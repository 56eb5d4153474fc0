//! The REST API's public shapes: what integrations send and receive. They are mapped from the
//! domain's records here, so the stored and UI formats can change without breaking the API.

use app::api::calls::CallEntry;
use app::domain::calls::{CallFilter, Direction};
use app::domain::contacts::{Contact, ContactDraft, DraftNumber, NumberLabel};
use app::domain::numbers::Country;
use app::domain::recordings::{ConsentNotice, Recording};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// The signed-in user.
#[derive(Serialize, ToSchema)]
pub struct Me {
    /// The user's stable id (Cognito `sub`).
    pub sub: String,
    pub email: String,
    /// Roles (Cognito groups), e.g. `admin`.
    pub roles: Vec<String>,
}

#[derive(Clone, Copy, Serialize, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    #[default]
    Mobile,
    Work,
    Home,
    Other,
}

impl From<NumberLabel> for Label {
    fn from(l: NumberLabel) -> Self {
        match l {
            NumberLabel::Mobile => Label::Mobile,
            NumberLabel::Work => Label::Work,
            NumberLabel::Home => Label::Home,
            NumberLabel::Other => Label::Other,
        }
    }
}

impl From<Label> for NumberLabel {
    fn from(l: Label) -> Self {
        match l {
            Label::Mobile => NumberLabel::Mobile,
            Label::Work => NumberLabel::Work,
            Label::Home => NumberLabel::Home,
            Label::Other => NumberLabel::Other,
        }
    }
}

/// A contact's stored number: always E.164, always dialable when saved.
#[derive(Serialize, ToSchema)]
pub struct ContactNumberOut {
    pub label: Label,
    /// E.164, e.g. `+50761234567`.
    pub e164: String,
}

#[derive(Serialize, ToSchema)]
pub struct ContactOut {
    pub id: String,
    pub name: String,
    pub company: String,
    pub notes: String,
    pub favourite: bool,
    pub numbers: Vec<ContactNumberOut>,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
    pub updated_at: u64,
    /// Bumped on every change; send it back in `If-Match` to update or delete.
    pub version: u64,
}

impl From<Contact> for ContactOut {
    fn from(c: Contact) -> Self {
        ContactOut {
            id: c.id,
            name: c.name,
            company: c.company,
            notes: c.notes,
            favourite: c.favourite,
            numbers: c
                .numbers
                .into_iter()
                .map(|n| ContactNumberOut {
                    label: n.label.into(),
                    e164: n.e164,
                })
                .collect(),
            created_at: c.created_at,
            updated_at: c.updated_at,
            version: c.version,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactNumberIn {
    #[serde(default)]
    pub label: Label,
    /// As typed: E.164 (`+507 6123-4567`) or national with `default_country`.
    #[schema(min_length = 1, max_length = 40)]
    pub number: String,
}

#[derive(Clone, Copy, Deserialize, ToSchema)]
pub enum CountryCode {
    PA,
    SG,
}

impl From<CountryCode> for Country {
    fn from(c: CountryCode) -> Self {
        match c {
            CountryCode::PA => Country::PA,
            CountryCode::SG => Country::SG,
        }
    }
}

/// A contact to create or replace. Validated like the app's form: a name, 1–10 numbers
/// dialable in Panama or Singapore.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactIn {
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    #[serde(default)]
    #[schema(max_length = 120)]
    pub company: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub notes: String,
    #[serde(default)]
    pub favourite: bool,
    #[schema(min_items = 1, max_items = 10)]
    pub numbers: Vec<ContactNumberIn>,
    /// How national numbers are read.
    #[serde(default)]
    pub default_country: Option<CountryCode>,
}

impl ContactIn {
    pub fn draft(&self) -> ContactDraft {
        ContactDraft {
            name: self.name.clone(),
            company: self.company.clone(),
            notes: self.notes.clone(),
            favourite: self.favourite,
            numbers: self
                .numbers
                .iter()
                .map(|n| DraftNumber {
                    label: n.label.into(),
                    input: n.number.clone(),
                })
                .collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ContactPageOut {
    pub items: Vec<ContactOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactListParams {
    /// Name, company, or digits of a number.
    pub search: Option<String>,
    /// Only favourites.
    pub favourites: Option<bool>,
    pub cursor: Option<String>,
    /// 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[derive(Clone, Copy, Deserialize, ToSchema, Default)]
#[serde(rename_all = "snake_case")]
pub enum CallFilterIn {
    #[default]
    All,
    Answered,
    NotAnswered,
    Failed,
}

impl From<CallFilterIn> for CallFilter {
    fn from(f: CallFilterIn) -> Self {
        match f {
            CallFilterIn::All => CallFilter::All,
            CallFilterIn::Answered => CallFilter::Answered,
            CallFilterIn::NotAnswered => CallFilter::NotAnswered,
            CallFilterIn::Failed => CallFilter::Failed,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallListParams {
    #[param(inline)]
    pub filter: Option<CallFilterIn>,
    /// Digits of the number, or the name of the contact.
    pub search: Option<String>,
    pub cursor: Option<String>,
    /// 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A call of the log, newest first in lists.
#[derive(Serialize, ToSchema)]
pub struct CallOut {
    pub id: String,
    /// `outbound` or `inbound`.
    pub direction: String,
    /// E.164.
    pub number: String,
    /// Milliseconds since the Unix epoch, as every time below.
    pub started_at: u64,
    pub ringing_at: Option<u64>,
    pub answered_at: Option<u64>,
    pub ended_at: Option<u64>,
    /// `completed`, `busy`, `no_answer`, `not_found`, `cancelled`, `refused`, `failed`,
    /// `interrupted`, `missed` or `transferred`; absent while the call goes on.
    pub end_reason: Option<String>,
    /// `agent`, `remote` or `system`.
    pub hangup_by: Option<String>,
    /// The SIP status or cause that ended the call.
    pub sip_cause: Option<String>,
    pub recording_id: Option<String>,
    /// The contact with this number, if any.
    pub contact_id: Option<String>,
    pub contact_name: Option<String>,
    /// A transferred call: the colleague (e-mail) the agent handed it to, or the number (E.164)
    /// it was sent on to, with `end_reason` `transferred`. The colleague's own record of the call, under the same id, names the
    /// agent in `transferred_from`.
    pub transferred_to: Option<String>,
    /// The colleague (e-mail) who handed this call to the agent.
    pub transferred_from: Option<String>,
}

impl From<CallEntry> for CallOut {
    fn from(e: CallEntry) -> Self {
        let r = e.record;
        CallOut {
            id: r.id,
            direction: match r.direction {
                Direction::Outbound => "outbound",
                Direction::Inbound => "inbound",
            }
            .into(),
            number: r.e164,
            started_at: r.started_at,
            ringing_at: r.ringing_at,
            answered_at: r.answered_at,
            ended_at: r.ended_at,
            end_reason: r.end_reason.map(|x| x.as_str().to_string()),
            hangup_by: r.hangup_by,
            sip_cause: r.sip_cause,
            recording_id: r.recording_id,
            contact_id: e.contact_id,
            contact_name: e.contact_name,
            transferred_to: r.transferred_to,
            transferred_from: r.transferred_from,
        }
    }
}

/// A call to place. The agent's app (open and signed in, in any tab) carries its audio: it
/// takes the call up as soon as it is placed, as if dialled there.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallIn {
    /// As typed: E.164 or national with `default_country`; Panama and Singapore only.
    #[schema(min_length = 1, max_length = 40)]
    pub number: String,
    #[serde(default)]
    pub default_country: Option<CountryCode>,
}

#[derive(Serialize, ToSchema)]
pub struct CallPageOut {
    pub items: Vec<CallOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    pub cursor: Option<String>,
    /// 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub struct PauseOut {
    /// Where in the recording the pause is.
    pub offset_ms: u64,
    /// How long the call went on unrecorded.
    pub duration_ms: u64,
}

/// A call recording's metadata (the audio: `GET /recordings/{id}/playback`).
#[derive(Serialize, ToSchema)]
pub struct RecordingOut {
    pub id: String,
    pub call_id: String,
    pub started_at: u64,
    pub ended_at: Option<u64>,
    /// Recorded time, pauses excluded.
    pub duration_ms: u64,
    pub bytes: u64,
    /// SHA-256 of the stored file, hex, once it is complete.
    pub sha256: Option<String>,
    /// e.g. `wav/pcm16/8000/stereo` (left: the called party, right: the agent).
    pub format: String,
    /// The notice the called party heard: `tone` or `tone_and_spoken`.
    pub consent: String,
    /// `silence` or `skip`: what a pause is in the file.
    pub pause_mode: String,
    pub pauses: Vec<PauseOut>,
    /// `recording`, `complete`, `interrupted` or `deleting`.
    pub state: String,
    /// When the retention job deletes it.
    pub retain_until: u64,
}

impl From<Recording> for RecordingOut {
    fn from(r: Recording) -> Self {
        RecordingOut {
            id: r.id,
            call_id: r.call_id,
            started_at: r.started_at,
            ended_at: r.ended_at,
            duration_ms: r.duration_ms,
            bytes: r.bytes,
            sha256: r.sha256,
            format: r.format,
            consent: match r.consent {
                ConsentNotice::Tone => "tone",
                ConsentNotice::ToneAndSpoken => "tone_and_spoken",
            }
            .into(),
            pause_mode: r.pause_mode,
            pauses: r
                .pauses
                .into_iter()
                .map(|p| PauseOut {
                    offset_ms: p.offset_ms,
                    duration_ms: p.duration_ms,
                })
                .collect(),
            state: r.state.as_str().into(),
            retain_until: r.retain_until,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct RecordingPageOut {
    pub items: Vec<RecordingOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Where to fetch the audio: this server's endpoint (send the same `Authorization`), or a
/// presigned URL that needs none and expires at `expires_at`.
#[derive(Serialize, ToSchema)]
pub struct PlaybackOut {
    pub url: String,
    pub expires_at: Option<u64>,
}

/// An error, as RFC 9457 problem details (`application/problem+json`).
#[derive(Serialize, ToSchema)]
pub struct Problem {
    /// Identifies the kind of problem; `code` names it in short.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// A stable name to act on, e.g. `NotFound`, `Conflict`, `ContactInvalid`.
    pub code: String,
    /// The details, for codes that have them: per field for `ContactInvalid`, the reason for
    /// `NumberRefused` (e.g. `premium_rate`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<serde_json::Value>,
}
