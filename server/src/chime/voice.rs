//! `CreateSipMediaApplicationCall` and `UpdateSipMediaApplicationCall` (chime-sdk-voice), with
//! the `ArgumentsMap` and `Arguments` the SMA handler reads (`sma::state::keys`,
//! `sma::flow::update`; docs/chime.md).

use std::collections::HashMap;

use sma::flow::update;
use sma::state::keys;

use super::error::sdk_error;
use super::{ChimeControl, ChimeError};
use crate::config::Secret;

/// What the SIP media application's call needs to join the meeting and dial the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmaCallArguments {
    pub meeting_id: String,
    /// The phone leg attendee's join token.
    pub join_token: Secret<String>,
    /// The E.164 number to call.
    pub target: String,
    /// Our call id.
    pub call_id: String,
    /// The E.164 caller ID for the PSTN leg.
    pub caller_id: String,
    /// `bucket/key` of a WAV the agent hears while the target rings.
    pub ringback_tone: Option<String>,
}

impl SmaCallArguments {
    /// The `ArgumentsMap`, keyed as the handler reads it.
    pub fn to_map(&self) -> HashMap<String, String> {
        let mut map = HashMap::from([
            (keys::MEETING_ID.to_string(), self.meeting_id.clone()),
            (
                keys::JOIN_TOKEN.to_string(),
                self.join_token.expose().clone(),
            ),
            (keys::TARGET.to_string(), self.target.clone()),
            (keys::CALL_ID.to_string(), self.call_id.clone()),
            (keys::CALLER_ID.to_string(), self.caller_id.clone()),
        ]);
        if let Some(tone) = &self.ringback_tone {
            map.insert(keys::RINGBACK_TONE.to_string(), tone.clone());
        }
        map
    }
}

/// The placed call: its transaction, which every later update names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmaCall {
    pub transaction_id: String,
}

/// What an `UpdateSipMediaApplicationCall` asks the handler to do (`CALL_UPDATE_REQUESTED`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallUpdate {
    /// Send these keys (`0-9 * # A-D ,`) to the called party.
    Digits(String),
    Hangup,
    /// Record both parties to `destination` (`bucket` or `bucket/prefix`), after the consent
    /// notice at `consent_tone` (`bucket/key`) when given.
    RecordStart {
        destination: String,
        consent_tone: Option<String>,
    },
    RecordPause,
    RecordResume,
    RecordStop,
    /// A call in: the caller joins the answering agent's meeting as the attendee of
    /// `join_token` (docs/chime.md, "Calls in").
    Answer {
        meeting_id: String,
        join_token: Secret<String>,
        call_id: String,
    },
    /// A call in not answered yet: refused with this SIP code (the caller is not charged).
    Refuse(u16),
}

impl CallUpdate {
    /// The `Arguments`, keyed as the handler reads them.
    pub fn to_arguments(&self) -> HashMap<String, String> {
        let action = |name: &str| (update::ACTION.to_string(), name.to_string());
        match self {
            CallUpdate::Digits(digits) => HashMap::from([
                action(update::DIGITS_ACTION),
                (update::DIGITS.to_string(), digits.clone()),
            ]),
            CallUpdate::Hangup => HashMap::from([action(update::HANGUP_ACTION)]),
            CallUpdate::RecordStart {
                destination,
                consent_tone,
            } => {
                let mut map = HashMap::from([
                    action(update::RECORD_START_ACTION),
                    (update::DESTINATION.to_string(), destination.clone()),
                ]);
                if let Some(tone) = consent_tone {
                    map.insert(update::CONSENT_TONE.to_string(), tone.clone());
                }
                map
            }
            CallUpdate::RecordPause => HashMap::from([action(update::RECORD_PAUSE_ACTION)]),
            CallUpdate::RecordResume => HashMap::from([action(update::RECORD_RESUME_ACTION)]),
            CallUpdate::RecordStop => HashMap::from([action(update::RECORD_STOP_ACTION)]),
            CallUpdate::Answer {
                meeting_id,
                join_token,
                call_id,
            } => HashMap::from([
                action(update::ANSWER_ACTION),
                (update::MEETING_ID.to_string(), meeting_id.clone()),
                (update::JOIN_TOKEN.to_string(), join_token.expose().clone()),
                (update::CALL_ID.to_string(), call_id.clone()),
            ]),
            CallUpdate::Refuse(code) => HashMap::from([
                action(update::HANGUP_ACTION),
                (update::SIP_CODE.to_string(), code.to_string()),
            ]),
        }
    }
}

impl ChimeControl {
    /// Has the configured SIP media application call the meeting bridge number from the
    /// configured caller ID; the handler then joins the meeting and dials the target.
    pub async fn create_sma_call(
        &self,
        arguments: &SmaCallArguments,
    ) -> Result<SmaCall, ChimeError> {
        const OPERATION: &str = "CreateSipMediaApplicationCall";
        let out = self
            .voice
            .create_sip_media_application_call()
            .sip_media_application_id(&self.settings.sip_media_application_id)
            .from_phone_number(&self.settings.caller_id)
            .to_phone_number(&self.settings.bridge_number)
            .set_arguments_map(Some(arguments.to_map()))
            .send()
            .await
            .map_err(|e| sdk_error(OPERATION, e))?;
        let transaction_id = out
            .sip_media_application_call
            .and_then(|call| call.transaction_id)
            .ok_or_else(|| ChimeError::Unavailable {
                operation: OPERATION,
                message: "the response has no TransactionId".into(),
            })?;
        Ok(SmaCall { transaction_id })
    }

    /// Hands `update` to the handler of the call `transaction_id`. The service answers before
    /// the handler runs: success means it was accepted, not done.
    pub async fn update_sma_call(
        &self,
        transaction_id: &str,
        update: &CallUpdate,
    ) -> Result<(), ChimeError> {
        self.voice
            .update_sip_media_application_call()
            .sip_media_application_id(&self.settings.sip_media_application_id)
            .transaction_id(transaction_id)
            .set_arguments(Some(update.to_arguments()))
            .send()
            .await
            .map_err(|e| sdk_error("UpdateSipMediaApplicationCall", e))?;
        Ok(())
    }
}
