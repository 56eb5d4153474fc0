//! Call records: the call log. Written only by the call lifecycle; read by Recents.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Outbound,
    Inbound,
}

impl Direction {
    /// The name stored and shown in metrics and analytics.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Outbound => "outbound",
            Direction::Inbound => "inbound",
        }
    }

    pub fn parse(s: &str) -> Option<Direction> {
        [Direction::Outbound, Direction::Inbound]
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

/// How a call ended. The same names are shown to the user, stored and counted in metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    /// Answered, then one side hung up normally.
    Completed,
    /// The agent cancelled before the far end answered.
    Cancelled,
    Busy,
    NoAnswer,
    NotFound,
    /// The carrier or our own guards refused the call.
    Refused,
    /// Network, media or server failure.
    Failed,
    /// The server stopped while the call was up; closed at the next start.
    Interrupted,
    /// A call in that nobody answered: the caller hung up or gave up, or it rang out, or every
    /// agent declined it.
    Missed,
    /// The agent handed the call to another agent, who took it: it goes on in theirs.
    Transferred,
}

impl EndReason {
    pub const ALL: [EndReason; 10] = [
        EndReason::Completed,
        EndReason::Cancelled,
        EndReason::Busy,
        EndReason::NoAnswer,
        EndReason::NotFound,
        EndReason::Refused,
        EndReason::Failed,
        EndReason::Interrupted,
        EndReason::Missed,
        EndReason::Transferred,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Completed => "completed",
            EndReason::Cancelled => "cancelled",
            EndReason::Busy => "busy",
            EndReason::NoAnswer => "no_answer",
            EndReason::NotFound => "not_found",
            EndReason::Refused => "refused",
            EndReason::Failed => "failed",
            EndReason::Interrupted => "interrupted",
            EndReason::Missed => "missed",
            EndReason::Transferred => "transferred",
        }
    }

    pub fn parse(text: &str) -> Option<EndReason> {
        EndReason::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Failures of the system (as opposed to the far end not answering).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            EndReason::Refused | EndReason::Failed | EndReason::Interrupted
        )
    }
}

/// One call in the log. The serde fields are also the attributes the DynamoDB store keeps
/// (docs/dynamodb.md): renaming one changes stored items.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    pub id: String,
    pub direction: Direction,
    pub e164: String,
    /// Milliseconds since the Unix epoch.
    pub started_at: u64,
    /// When the far end started alerting (180/183).
    #[serde(default)]
    pub ringing_at: Option<u64>,
    pub answered_at: Option<u64>,
    pub ended_at: Option<u64>,
    pub end_reason: Option<EndReason>,
    /// Who hung up: "agent", "remote" or "system".
    pub hangup_by: Option<String>,
    /// The SIP status or cause that ended the call, e.g. `486 Busy Here`.
    pub sip_cause: Option<String>,
    pub recording_id: Option<String>,
    /// The telephony provider's own id for the call, to act on it later (Chime PSTN Audio: the
    /// SIP media application call's `TransactionId`); none for the media gateway.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_call_id: Option<String>,
    /// The id of the server process that carries the call (its media and session); none for
    /// calls written before servers had ids. A server whose lease in the store runs out has its
    /// open calls closed by another (docs/architecture.md, "Several servers").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// A transfer (docs/telephony.md, "Transfer"): the giver's record of the call ends as
    /// transferred and names the colleague who took it (their e-mail, as it was then) or the
    /// number it was sent on to (E.164, `+` first); the
    /// taker's record, with the same call id, names the colleague who gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transferred_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transferred_from: Option<String>,
}

impl CallRecord {
    /// A call the agent is placing now (written before any SIP is sent).
    pub fn outbound(id: String, e164: String, started_at: u64) -> CallRecord {
        CallRecord {
            id,
            direction: Direction::Outbound,
            e164,
            started_at,
            ringing_at: None,
            answered_at: None,
            ended_at: None,
            end_reason: None,
            hangup_by: None,
            sip_cause: None,
            recording_id: None,
            provider_call_id: None,
            server: None,
            transferred_to: None,
            transferred_from: None,
        }
    }

    /// A call in from `from` (E.164; empty when the caller withheld the number), taken by the
    /// agent who owns the record.
    pub fn inbound(id: String, from: String, started_at: u64) -> CallRecord {
        CallRecord {
            direction: Direction::Inbound,
            ..CallRecord::outbound(id, from, started_at)
        }
    }

    pub fn duration_ms(&self) -> Option<u64> {
        Some(self.ended_at?.saturating_sub(self.answered_at?))
    }

    pub fn was_answered(&self) -> bool {
        self.answered_at.is_some()
    }

    pub fn matches(&self, filter: CallFilter) -> bool {
        match filter {
            CallFilter::All => true,
            CallFilter::Answered => self.was_answered(),
            CallFilter::NotAnswered => {
                !self.was_answered() && !self.end_reason.is_some_and(EndReason::is_failure)
            }
            CallFilter::Failed => {
                !self.was_answered() && self.end_reason.is_some_and(EndReason::is_failure)
            }
        }
    }
}

/// The Recents filters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallFilter {
    #[default]
    All,
    Answered,
    NotAnswered,
    Failed,
}

impl CallFilter {
    pub const ALL: [CallFilter; 4] = [
        CallFilter::All,
        CallFilter::Answered,
        CallFilter::NotAnswered,
        CallFilter::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CallFilter::All => "all",
            CallFilter::Answered => "answered",
            CallFilter::NotAnswered => "not_answered",
            CallFilter::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> CallFilter {
        CallFilter::ALL
            .into_iter()
            .find(|f| f.as_str() == text)
            .unwrap_or_default()
    }
}

/// `1:05`, `12:00`, `1:02:03`.
pub fn format_duration(ms: u64) -> String {
    let s = ms / 1000;
    let (h, m, s) = (s / 3600, (s / 60) % 60, s % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(answered: bool, reason: EndReason) -> CallRecord {
        CallRecord {
            ringing_at: None,
            id: "c".into(),
            direction: Direction::Outbound,
            e164: "+6581234567".into(),
            started_at: 1_000,
            answered_at: answered.then_some(3_000),
            ended_at: Some(65_000),
            end_reason: Some(reason),
            hangup_by: None,
            sip_cause: None,
            recording_id: None,
            provider_call_id: None,
            server: None,
            transferred_to: None,
            transferred_from: None,
        }
    }

    #[test]
    fn filters_partition_ended_calls() {
        let cases = [
            (record(true, EndReason::Completed), CallFilter::Answered),
            (record(false, EndReason::Busy), CallFilter::NotAnswered),
            (record(false, EndReason::NoAnswer), CallFilter::NotAnswered),
            (record(false, EndReason::Cancelled), CallFilter::NotAnswered),
            (record(false, EndReason::Refused), CallFilter::Failed),
            (record(false, EndReason::Failed), CallFilter::Failed),
            (record(true, EndReason::Interrupted), CallFilter::Answered),
        ];
        for (rec, only) in cases {
            for filter in [
                CallFilter::Answered,
                CallFilter::NotAnswered,
                CallFilter::Failed,
            ] {
                assert_eq!(
                    rec.matches(filter),
                    filter == only,
                    "{:?} {filter:?}",
                    rec.end_reason
                );
            }
            assert!(rec.matches(CallFilter::All));
        }
    }

    #[test]
    fn durations() {
        assert_eq!(
            record(true, EndReason::Completed).duration_ms(),
            Some(62_000)
        );
        assert_eq!(record(false, EndReason::Busy).duration_ms(), None);
        assert_eq!(format_duration(62_000), "1:02");
        assert_eq!(format_duration(3_723_000), "1:02:03");
        assert_eq!(CallFilter::parse("bogus"), CallFilter::All);
    }
}
