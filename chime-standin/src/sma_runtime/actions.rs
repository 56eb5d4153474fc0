//! Carrying out the handler's actions on the meeting's media leg: each one either reports an
//! event at once (success, failure, `HANGUP`) or, for `CallAndBridge`, later from the leg's
//! events (`mod.rs`).

use std::time::Duration;

use serde_json::{json, Value};
use sma::action::{
    Action, CallAndBridge, CallLeg, Hangup, JoinChimeMeeting, PlayAudio, SendDigits,
    StartCallRecording, Track,
};
use telephony::gateway::{LegCommand, LegEvent, RecordCommand};
use tokio::time::Instant;

use super::events::{action_data, Leg, DISCONNECTED, LEG_A, LEG_B};
use super::{
    failed, recording, report, Bridge, MeetingMedia, Runtime, Step, DEFAULT_CALL_TIMEOUT,
    DIGITS_SLACK, JOIN_POLL,
};

impl Runtime {
    pub(super) async fn act(&mut self, action: Action) -> Step {
        let echoed = serde_json::to_value(&action).unwrap_or(Value::Null);
        match action {
            Action::JoinChimeMeeting(join) => self.join(join, echoed).await,
            Action::CallAndBridge(bridge) => self.call_and_bridge(bridge, echoed),
            Action::SendDigits(digits) => self.send_digits(digits, echoed).await,
            Action::Hangup(hangup) => self.hang_up(hangup, echoed),
            Action::StartCallRecording(start) => self.start_recording(start, echoed),
            Action::PauseCallRecording(leg) => {
                self.control_recording(leg, RecordCommand::Pause, echoed)
            }
            Action::ResumeCallRecording(leg) => {
                self.control_recording(leg, RecordCommand::Resume, echoed)
            }
            Action::StopCallRecording(leg) => {
                self.recording = false;
                self.control_recording(leg, RecordCommand::Stop, echoed)
            }
            Action::PlayAudio(play) => self.play_audio(play, echoed),
        }
    }

    /// Takes the meeting's media leg (its browser attendee's), waiting for the browser to
    /// subscribe for at most the configured bound.
    async fn join(&mut self, join: JoinChimeMeeting, echoed: Value) -> Step {
        let fail = |message: &str| failed(&echoed, &[], "ErrorJoiningMeeting", message);
        let Some(meeting) = self.stand_in.meeting(&join.meeting_id) else {
            return fail("the meeting is not found");
        };
        if !meeting
            .attendees
            .iter()
            .any(|attendee| attendee.join_token == join.join_token)
        {
            return fail("the join token is not one of the meeting's attendees'");
        }
        if self.stand_in.gateway().is_none() {
            return fail("the stand-in has no media gateway");
        }
        // A call in: the meeting's next subscription answers its caller.
        let inbound = self.call_in.is_some();
        if let Some(call) = self.call_in.take() {
            if let Err(call) = self.stand_in.answer_in_meeting(&join.meeting_id, call) {
                self.call_in = Some(call);
                return fail("the meeting's audio is already up: the stand-in joins a call in only before the browser subscribes");
            }
            self.ring_until = None;
        }
        let deadline = Instant::now() + self.stand_in.config().runtime.join_wait;
        loop {
            if let (Some(leg), Some(events)) = (
                self.stand_in.meeting_leg(&join.meeting_id),
                self.stand_in.take_leg_events(&join.meeting_id),
            ) {
                self.meeting = Some(MeetingMedia { leg, events });
                if inbound {
                    if let Err(message) = self.answer_caller(deadline).await {
                        return fail(message);
                    }
                }
                return Step::Report {
                    event: report("ACTION_SUCCESSFUL", action_data(&echoed, &[], None)),
                    ends_list: false,
                };
            }
            if Instant::now() >= deadline {
                if let Some(call) = self.stand_in.take_answering(&join.meeting_id) {
                    call.refuse(480);
                }
                return fail("no attendee of the meeting has joined its audio");
            }
            tokio::time::sleep(JOIN_POLL).await;
        }
    }

    /// Once the browser's audio is up, the caller is answered (SIP 200).
    async fn answer_caller(&mut self, deadline: Instant) -> Result<(), &'static str> {
        let Some(media) = self.meeting.as_mut() else {
            return Err("the meeting's media closed");
        };
        loop {
            match tokio::time::timeout_at(deadline, media.events.recv()).await {
                Ok(Some(LegEvent::BrowserConnected)) => {
                    media.leg.command(LegCommand::Accept);
                    return Ok(());
                }
                Ok(Some(LegEvent::Failed { .. } | LegEvent::BrowserLost)) | Ok(None) => {
                    return Err("the meeting's media failed before the caller was answered")
                }
                Ok(Some(other)) => self.backlog.push_back(Some(other)),
                Err(_) => return Err("the meeting's audio did not connect"),
            }
        }
    }

    /// Dials the PSTN from the meeting's leg; the outcome comes later, from its events.
    fn call_and_bridge(&mut self, bridge: CallAndBridge, echoed: Value) -> Step {
        let target = bridge
            .endpoints
            .first()
            .map(|endpoint| endpoint.uri.clone());
        let (Some(media), Some(target)) = (&self.meeting, target) else {
            return failed(
                &echoed,
                &[],
                "InvalidActionParameter",
                "CallAndBridge needs leg A in a meeting and a PSTN endpoint",
            );
        };
        if self.bridge.is_some() || self.leg_b.as_ref().is_some_and(Leg::is_connected) {
            return failed(
                &echoed,
                &[],
                "InvalidActionParameter",
                "the call is already bridged",
            );
        }
        // The gateway's own ringback plays while the target rings (started on its 180 in
        // `on_leg_event`; RingbackTone is not fetched: there is no S3 here).
        media.leg.command(LegCommand::Dial {
            callee: target.clone(),
        });
        let mut timeout = bridge
            .call_timeout_seconds
            .map_or(DEFAULT_CALL_TIMEOUT, |s| Duration::from_secs(u64::from(s)));
        if let Some(limit) = self.stand_in.config().runtime.call_timeout_limit {
            timeout = timeout.min(limit);
        }
        self.leg_b = Some(Leg::new(
            LEG_B,
            &target,
            &bridge.caller_id_number,
            sma::report::now_ms(),
        ));
        self.bridge = Some(Bridge {
            action: echoed,
            deadline: Instant::now() + timeout,
            rang: false,
        });
        Step::Next
    }

    async fn send_digits(&mut self, digits: SendDigits, echoed: Value) -> Step {
        let tone_ms = digits.tone_duration_in_milliseconds.unwrap_or(250);
        if !SendDigits::digits_are_valid(&digits.digits) || !(50..=24_000).contains(&tone_ms) {
            return failed(
                &echoed,
                &[],
                "InvalidActionParameter",
                "Digits or ToneDurationInMilliseconds is invalid",
            );
        }
        let on_pstn_leg = self
            .pstn_leg()
            .is_some_and(|leg| leg.is_connected() && leg.call_id == digits.call_id);
        let Some(media) = self.meeting.as_mut().filter(|_| on_pstn_leg) else {
            return failed(
                &echoed,
                &[],
                "InvalidActionParameter",
                "SendDigits is supported on the connected PSTN leg only",
            );
        };
        let tone = Duration::from_millis(u64::from(tone_ms));
        media.leg.command(LegCommand::SendDigits {
            digits: digits.digits.clone(),
            tone,
        });
        // Each key's tone, the gap after it, and the pauses: well inside this bound.
        let keys = u32::try_from(digits.digits.len()).unwrap_or(u32::MAX);
        let deadline = Instant::now() + (tone + Duration::from_millis(600)) * keys + DIGITS_SLACK;
        loop {
            match tokio::time::timeout_at(deadline, media.events.recv()).await {
                Ok(Some(LegEvent::DigitsSent)) => {
                    return Step::Report {
                        event: report("ACTION_SUCCESSFUL", action_data(&echoed, &[], None)),
                        ends_list: false,
                    }
                }
                Ok(Some(other)) => self.backlog.push_back(Some(other)),
                Ok(None) => {
                    self.backlog.push_back(None);
                    return failed(&echoed, &[], "SystemException", "the leg closed");
                }
                Err(_) => return failed(&echoed, &[], "SystemException", "the keys were not sent"),
            }
        }
    }

    /// The meeting's leg when `call_id` is the connected PSTN leg (where recording happens).
    fn leg_b_media(&self, call_id: &str) -> Option<&MeetingMedia> {
        let on_pstn_leg = self
            .pstn_leg()
            .is_some_and(|leg| leg.is_connected() && leg.call_id == call_id);
        self.meeting.as_ref().filter(|_| on_pstn_leg)
    }

    /// `PlayAudio` followed by `StartCallRecording` on the same leg (our consent notice): the
    /// audio becomes the recording's notice, which the gateway plays to the called party.
    fn play_audio(&mut self, play: PlayAudio, echoed: Value) -> Step {
        let records_next = matches!(
            self.queue.front(),
            Some(Action::StartCallRecording(start)) if play.call_id.as_deref() == Some(start.call_id.as_str())
        );
        if !records_next || play.repeat.is_some() || play.playback_terminators.is_some() {
            return failed(
                &echoed,
                &[],
                "ActionNotSupported",
                "PlayAudio is not supported by the stand-in yet, except as the notice right before StartCallRecording on the same leg",
            );
        }
        let dir = self.stand_in.config().runtime.s3_dir.clone();
        match recording::read_audio(
            dir.as_deref(),
            &play.audio_source.bucket_name,
            &play.audio_source.key,
        ) {
            Ok(samples) => {
                self.notice = samples;
                Step::Next
            }
            Err(error) => failed(&echoed, &[], "InvalidAudioSource", &error.to_string()),
        }
    }

    fn start_recording(&mut self, start: StartCallRecording, echoed: Value) -> Step {
        if start.track != Track::Both || self.recording {
            return failed(
                &echoed,
                &[],
                "InvalidActionParameter",
                "the stand-in records Track BOTH, once at a time",
            );
        }
        let Some(media) = self.leg_b_media(&start.call_id) else {
            return failed(
                &echoed,
                &[],
                "InvalidActionParameter",
                "recording is supported on the connected PSTN leg only",
            );
        };
        let leg = media.leg.clone();
        let dir = self.stand_in.config().runtime.s3_dir.clone();
        match recording::start(
            dir.as_deref(),
            &start.destination.location,
            &self.call.transaction_id,
            &start.call_id,
            &leg,
            std::mem::take(&mut self.notice),
        ) {
            Ok(key) => {
                self.recording = true;
                let destination = json!({"Type": "S3", "Location": key});
                let mut data = action_data(&echoed, &[], None);
                if let Some(object) = data.as_object_mut() {
                    object.insert("CallRecordingDestination".into(), destination);
                }
                Step::Report {
                    event: report("ACTION_SUCCESSFUL", data),
                    ends_list: false,
                }
            }
            Err(error) => failed(&echoed, &[], "SystemException", &error.to_string()),
        }
    }

    fn control_recording(&mut self, leg: CallLeg, command: RecordCommand, echoed: Value) -> Step {
        let Some(media) = self.leg_b_media(&leg.call_id) else {
            return failed(
                &echoed,
                &[],
                "InvalidActionParameter",
                "recording is supported on the connected PSTN leg only",
            );
        };
        media.leg.command(LegCommand::Record(command));
        Step::Report {
            event: report("ACTION_SUCCESSFUL", action_data(&echoed, &[], None)),
            ends_list: false,
        }
    }

    /// A call in's caller: refused while it rings (a code of 400 or more, else 480), hung up
    /// on once answered.
    fn hang_up_caller(&mut self, code: &str) {
        let code = code.trim().parse::<u16>().ok().filter(|c| *c >= 400);
        let waiting = self.call_in.take().or_else(|| {
            self.attributes
                .as_ref()
                .and_then(|a| a.get(sma::state::keys::MEETING_ID))
                .and_then(|meeting| self.stand_in.take_answering(meeting))
        });
        self.ring_until = None;
        match waiting {
            Some(call) => call.refuse(code.unwrap_or(480)),
            None => self.command(LegCommand::Bye),
        }
    }

    /// Ends a leg, by call id or tag, and reports its `HANGUP`.
    fn hang_up(&mut self, hangup: Hangup, echoed: Value) -> Step {
        let by_id = |leg: &Leg| hangup.call_id.as_deref() == Some(leg.call_id.as_str());
        let tag = hangup.participant_tag.as_ref().map(|tag| tag.as_str());
        let is_b = self
            .leg_b
            .as_ref()
            .is_some_and(|leg| by_id(leg) || (hangup.call_id.is_none() && tag == Some(LEG_B)));
        let is_a = by_id(&self.leg_a) || (hangup.call_id.is_none() && tag == Some(LEG_A));
        if is_b {
            self.end_leg_b(true);
        } else if is_a {
            // Leg A leaving stops a bridge still ringing (the target's leg never connected).
            if self.bridge.take().is_some() {
                self.command(LegCommand::Cancel);
                self.leg_b = None;
            }
            if self.is_inbound() && self.leg_a.is_connected() {
                self.hang_up_caller(&hangup.sip_response_code);
            }
            self.leg_a.status = Some(DISCONNECTED);
        } else {
            return failed(&echoed, &[], "InvalidActionParameter", "no such leg");
        }
        let leg = if is_b {
            self.leg_b.as_ref()
        } else {
            Some(&self.leg_a)
        };
        let (call_id, tag) =
            leg.map_or((String::new(), LEG_B), |leg| (leg.call_id.clone(), leg.tag));
        let code: u16 = hangup.sip_response_code.trim().parse().unwrap_or(0);
        let data = json!({"Type": "Hangup", "Parameters": {
            "SipResponseCode": code, "CallId": call_id, "ParticipantTag": tag}});
        Step::Report {
            event: report("HANGUP", data),
            ends_list: true,
        }
    }
}
