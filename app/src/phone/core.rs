//! The phone's decisions, sans-IO like the call state machine (`crate::domain::call`): the
//! browser layer (`engine`) feeds in what happened — server messages, the user's actions, socket
//! and page events, timers — with the time, and performs the [`Effect`]s that come out. Nothing
//! here touches the browser, a signal or a clock, so the scenarios run natively
//! (`app/tests/phone_*.rs`).
//!
//! What it decides: which tab takes up a call placed through the REST API (a visible tab at
//! once, a background tab after [`BACKGROUND_TAKE_UP_MS`] unless another tab has; when the
//! user confirms such calls, every tab asks and the one where the agent presses Call takes it
//! up, while Cancel or [`CONFIRM_WINDOW_MS`] without an answer ends it), what a lost
//! take-up race and a new connection's hello tear down, the reconnect backoff, how long an ended
//! call stays on screen, when the screen is kept on, and what hanging up does without a channel.
//! On the Chime path (`AudioPath::ChimeMeeting`, from the hello) also: asking for the call's
//! meeting instead of offering SDP, joining it, keys as `Digits`, and hanging up when the
//! meeting's audio fails (docs/chime.md, "The browser").

use super::chime::{ChimeEnd, ChimeError, ChimeEvent};
use super::MicProblem;
use crate::api::live::{
    AudioPath, ClientMessage, IceServer, IncomingCall, IncomingEnd, LiveCall, RecordAction,
    ServerMessage,
};
use crate::domain::call::CallState;

pub use crate::api::live::CONFIRM_WINDOW_MS;

/// A tab in the background waits this long before taking up a REST call, so that a visible tab
/// of the same user gets it.
pub const BACKGROUND_TAKE_UP_MS: u64 = 1_500;
/// How long the last ended call stays on screen with its reason.
pub const ENDED_SHOWN_MS: u64 = 6_000;
/// The first reconnect delay; each failed attempt doubles it up to [`RECONNECT_MAX_MS`].
pub const RECONNECT_FIRST_MS: u64 = 1_000;
pub const RECONNECT_MAX_MS: u64 = 15_000;
/// The notice when the browser refuses the gateway's SDP answer.
pub const ANSWER_REFUSED: &str = "the server's audio answer was not accepted";
/// The notice when the Chime SDK could not be loaded for the call.
pub const MEETING_NOT_LOADED: &str =
    "the call's audio could not be loaded: check the connection and try again";
/// The notice when the SDK refused the call's meeting or the microphone.
pub const MEETING_NOT_JOINED: &str = "the call's audio could not be started";

/// The notice when the call's meeting audio ended by itself while the call was live.
pub fn meeting_end_notice(reason: ChimeEnd) -> &'static str {
    match reason {
        ChimeEnd::FailedToConnect => "the call's audio could not connect",
        ChimeEnd::ConnectionLost => "the call's audio connection was lost",
        ChimeEnd::MeetingEnded => "the call's audio ended unexpectedly",
        ChimeEnd::Removed => "the call's audio was disconnected by the service",
        ChimeEnd::JoinedElsewhere => "the call's audio was taken over on another device",
        ChimeEnd::Rejected => "the call's audio was refused by the service",
        ChimeEnd::MeetingFull => "the call's audio could not join: the meeting is full",
        ChimeEnd::Left | ChimeEnd::Other => "the call's audio stopped",
    }
}

/// What happened, as the browser layer reports it.
// One input lives at a time (made, handled, dropped): the size of a server message costs
// nothing worth a box on every message.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// The page started the phone: open the live channel.
    Start,
    ChannelOpened,
    ChannelClosed,
    Server(ServerMessage),
    /// The page was hidden or shown (`visibilitychange`).
    Visibility {
        hidden: bool,
    },
    TimerFired(Timer),
    /// The user pressed Call (before the microphone is asked for).
    DialPressed,
    /// The agent pressed Call on the confirmation of the REST call `call_id`.
    Confirmed {
        call_id: String,
    },
    /// The agent pressed Cancel (or Escape) on the confirmation of the REST call `call_id`.
    Declined {
        call_id: String,
    },
    /// The server accepted the dialled call; its audio is this tab's to set up.
    Dialled {
        call_id: String,
    },
    /// The local offer for `call_id` is ready (peer connection and microphone are up).
    OfferMade {
        call_id: String,
        sdp: String,
    },
    /// The audio for `call_id` could not be set up; `mic` says why when the microphone failed.
    OfferFailed {
        call_id: String,
        mic: Option<MicProblem>,
    },
    /// The browser refused the gateway's answer for `call_id`.
    AnswerRefused {
        call_id: String,
    },
    /// Chime path: the microphone for the REST call `call_id` is open (after
    /// [`Effect::OpenMic`]).
    MicOpened {
        call_id: String,
    },
    /// Chime path: the microphone for the REST call `call_id` could not be opened.
    MicFailed {
        call_id: String,
        problem: MicProblem,
    },
    /// The meeting of `call_id` could not be joined (after [`Effect::JoinMeeting`]).
    MeetingFailed {
        call_id: String,
        error: ChimeError,
    },
    /// What the meeting session of `call_id` reported.
    Meeting {
        call_id: String,
        event: ChimeEvent,
    },
    /// A key pressed on the call's keypad.
    Key(char),
    /// The call's microphone track ended (unplugged, revoked).
    MicLost,
    Hangup,
    Mute(bool),
    /// The agent holds the call (`true`) or takes it back; the call's state says when it is.
    Hold(bool),
    /// The agent hands the call to another agent (their account's id); with `consult`, talks
    /// with them first (a warm transfer).
    Transfer {
        to: String,
        consult: bool,
    },
    /// Send the call on to a phone number (E.164; the server checks it as it checks a call);
    /// with `consult`, talk with the number first (a warm transfer).
    TransferToNumber {
        number: String,
        consult: bool,
    },
    /// Connect the far end with the number being consulted, and leave the call.
    CompleteTransfer,
    Record(RecordAction),
    /// The agent pressed Answer on the ringing call `call_id`.
    AnswerIncoming {
        call_id: String,
    },
    /// The agent pressed Decline on the ringing call `call_id`.
    DeclineIncoming {
        call_id: String,
    },
}

/// The sound of calls in ringing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Ringtone {
    #[default]
    Off,
    /// A call in rings and the user is on no call.
    Ring,
    /// A call in rings while the user is on a call: a discreet call-waiting tone.
    Waiting,
}

/// The notice when a colleague answered a call in first.
pub const ANSWERED_ELSEWHERE: &str = "someone else answered the call first";
/// The notice when an answer is pressed with the live channel down.
pub const NOT_CONNECTED: &str = "not connected to the server: the call cannot be answered";

/// A timer the browser layer starts on [`Effect::StartTimer`] and reports back with
/// [`Input::TimerFired`]; timers are never cancelled, each checks on firing whether it still
/// applies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    /// A background tab's turn to take up a REST call.
    TakeUp {
        call_id: String,
    },
    /// Time to stop showing this ended call.
    ClearEnded {
        call_id: String,
    },
    /// The confirmation of this REST call has waited long enough.
    ConfirmExpired {
        call_id: String,
    },
    Reconnect,
}

/// What the browser layer does.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Open a new live channel (WebSocket), dropping the old one and its handlers.
    OpenChannel,
    Send(ClientMessage),
    ChannelUp(bool),
    /// This tab's connection id, from the server's hello.
    Connection(Option<u64>),
    ShowCall(Option<LiveCall>),
    /// Ask the agent to confirm this REST call before the microphone opens (none: stop asking).
    AskToConfirm(Option<LiveCall>),
    ShowEnded(Option<LiveCall>),
    Notice(Option<String>),
    MicProblem(Option<MicProblem>),
    /// Enable or silence the microphone track and show the mute state.
    Muted(bool),
    /// Gateway path: open the microphone and make the offer for a REST call (report back with
    /// [`Input::OfferMade`] or [`Input::OfferFailed`]).
    TakeUp {
        call_id: String,
    },
    /// Give the peer connection the gateway's answer (report a refusal with
    /// [`Input::AnswerRefused`]).
    SetRemoteAnswer {
        call_id: String,
        sdp: String,
    },
    /// Chime path: open the microphone for the REST call `call_id` and keep it for its meeting
    /// (report back with [`Input::MicOpened`] or [`Input::MicFailed`]).
    OpenMic {
        call_id: String,
    },
    /// Chime path: join the call's meeting (the CreateMeeting and CreateAttendee JSON) with the
    /// microphone already open; report a failure with [`Input::MeetingFailed`] and the
    /// session's events with [`Input::Meeting`].
    JoinMeeting {
        call_id: String,
        meeting: String,
        attendee: String,
    },
    /// Gateway path: send a key as RFC 4733 in the call's audio.
    SendTone(char),
    /// Close this tab's audio: peer connection or meeting session (left), microphone, speaker
    /// source, level meter; the mute and level indicators reset.
    TearDownAudio,
    /// The calls in ringing for the user, oldest first (empty: none).
    ShowRinging(Vec<IncomingCall>),
    /// Play (or stop) the ringing sound, on the chosen output device.
    Ringtone(Ringtone),
    /// Hold a screen wake lock.
    KeepScreenOn,
    ReleaseScreen,
    StartTimer {
        timer: Timer,
        at: u64,
    },
}

/// The phone's state; see the module documentation.
#[derive(Debug, Default)]
pub struct PhoneCore {
    channel_up: bool,
    /// The last reconnect delay (0 after a successful open).
    backoff_ms: u64,
    ice_servers: Vec<IceServer>,
    /// How calls' audio flows, from the last hello.
    audio_path: AudioPath,
    hidden: bool,
    /// The user's call as last shown.
    call: Option<LiveCall>,
    /// The id of the ended call on screen.
    ended: Option<String>,
    /// The call whose audio this tab holds or is setting up.
    audio_call: Option<String>,
    /// A REST call this tab is taking up (its offer is out, no answer yet).
    taking_up: Option<String>,
    /// A REST call waiting for this background tab's turn.
    take_up_due: Option<String>,
    /// A REST call this tab is asking the agent to confirm.
    confirming: Option<String>,
    screen_kept: bool,
    /// Calls in ringing for the user, oldest first.
    ringing: Vec<IncomingCall>,
    ringtone: Ringtone,
}

impl PhoneCore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn channel_up(&self) -> bool {
        self.channel_up
    }

    /// The ICE servers of the current connection, for the peer connection.
    pub fn ice_servers(&self) -> &[IceServer] {
        &self.ice_servers
    }

    /// Whether a screen wake lock is wanted (this tab's call is connected).
    pub fn screen_kept(&self) -> bool {
        self.screen_kept
    }

    /// The call whose audio this tab holds or is setting up.
    pub fn audio_call(&self) -> Option<&str> {
        self.audio_call.as_deref()
    }

    /// How calls' audio flows on the server this tab is connected to.
    pub fn audio_path(&self) -> AudioPath {
        self.audio_path
    }

    /// Feeds one input at `now_ms` (milliseconds, any fixed origin) and returns what to do, in
    /// order.
    pub fn handle(&mut self, input: Input, now_ms: u64) -> Vec<Effect> {
        let mut out = Vec::new();
        match input {
            Input::Start => out.push(Effect::OpenChannel),
            Input::ChannelOpened => {
                self.backoff_ms = 0;
                self.channel_up = true;
                out.push(Effect::ChannelUp(true));
            }
            Input::ChannelClosed => {
                self.channel_up = false;
                self.backoff_ms = (self.backoff_ms * 2).clamp(RECONNECT_FIRST_MS, RECONNECT_MAX_MS);
                out.push(Effect::ChannelUp(false));
                out.push(Effect::Connection(None));
                out.push(Effect::StartTimer {
                    timer: Timer::Reconnect,
                    at: now_ms + self.backoff_ms,
                });
            }
            Input::Server(message) => self.server_message(message, now_ms, &mut out),
            Input::Visibility { hidden } => self.hidden = hidden,
            Input::TimerFired(timer) => self.timer_fired(timer, &mut out),
            Input::DialPressed => {
                // A message about the last call's requests does not belong to this one.
                out.push(Effect::Notice(None));
            }
            Input::Confirmed { call_id } => {
                if self.stop_asking(&call_id, &mut out) {
                    self.take_up_if_unclaimed(call_id, &mut out);
                }
            }
            Input::Declined { call_id } => {
                if self.stop_asking(&call_id, &mut out) {
                    let timed_out = false;
                    self.send(ClientMessage::Decline { call_id, timed_out }, &mut out);
                }
            }
            Input::Dialled { call_id } => {
                self.audio_call = Some(call_id.clone());
                // On the gateway path the engine makes the offer (Input::OfferMade); a meeting
                // is asked for at once, the microphone being open already.
                if self.audio_path == AudioPath::ChimeMeeting {
                    let join = ClientMessage::Join {
                        call_id: call_id.clone(),
                    };
                    self.audio_ready(&call_id, join, &mut out);
                }
            }
            Input::OfferMade { call_id, sdp } => {
                let offer = ClientMessage::Offer {
                    call_id: call_id.clone(),
                    sdp,
                };
                self.audio_ready(&call_id, offer, &mut out);
            }
            Input::MicOpened { call_id } => {
                let join = ClientMessage::Join {
                    call_id: call_id.clone(),
                };
                self.audio_ready(&call_id, join, &mut out);
            }
            Input::OfferFailed { call_id, mic } => self.audio_failed(&call_id, mic, &mut out),
            Input::MicFailed { call_id, problem } => {
                self.audio_failed(&call_id, Some(problem), &mut out);
            }
            Input::MeetingFailed { call_id, error } => {
                if self.audio_call.as_deref() == Some(call_id.as_str()) {
                    let notice = match error {
                        ChimeError::Load(_) => MEETING_NOT_LOADED,
                        _ => MEETING_NOT_JOINED,
                    };
                    out.push(Effect::Notice(Some(notice.into())));
                    self.hangup(&mut out);
                }
            }
            Input::Meeting { call_id, event } => self.meeting_event(&call_id, event, &mut out),
            Input::Key(key) => self.key(key, &mut out),
            Input::AnswerRefused { call_id } => {
                if self.audio_call.as_deref() == Some(call_id.as_str()) {
                    out.push(Effect::Notice(Some(ANSWER_REFUSED.into())));
                    self.hangup(&mut out);
                }
            }
            Input::MicLost => out.push(Effect::MicProblem(Some(MicProblem::Lost))),
            Input::Hangup => self.hangup(&mut out),
            Input::Mute(muted) => {
                out.push(Effect::Muted(muted));
                if let Some(call) = &self.call {
                    let call_id = call.id.clone();
                    self.send(ClientMessage::Mute { call_id, muted }, &mut out);
                }
            }
            Input::Hold(on_hold) => {
                if let Some(call) = &self.call {
                    let call_id = call.id.clone();
                    out.push(Effect::Notice(None));
                    self.send(ClientMessage::Hold { call_id, on_hold }, &mut out);
                }
            }
            Input::Transfer { to, consult } => {
                if let Some(call) = &self.call {
                    let call_id = call.id.clone();
                    out.push(Effect::Notice(None));
                    let transfer = ClientMessage::Transfer {
                        call_id,
                        to,
                        consult,
                    };
                    self.send(transfer, &mut out);
                }
            }
            Input::TransferToNumber { number, consult } => {
                if let Some(call) = &self.call {
                    let call_id = call.id.clone();
                    out.push(Effect::Notice(None));
                    self.send(
                        ClientMessage::TransferToNumber {
                            call_id,
                            number,
                            consult,
                        },
                        &mut out,
                    );
                }
            }
            Input::CompleteTransfer => {
                if let Some(call) = &self.call {
                    let call_id = call.id.clone();
                    out.push(Effect::Notice(None));
                    self.send(ClientMessage::CompleteTransfer { call_id }, &mut out);
                }
            }
            Input::Record(action) => {
                // Without a channel nothing is sent; the call screen says the channel is down.
                if let Some(call) = &self.call {
                    let call_id = call.id.clone();
                    out.push(Effect::Notice(None));
                    self.send(ClientMessage::Record { call_id, action }, &mut out);
                }
            }
            Input::AnswerIncoming { call_id } => self.answer_incoming(call_id, &mut out),
            Input::DeclineIncoming { call_id } => {
                if self.stop_ringing(&call_id, &mut out) {
                    self.send(ClientMessage::DeclineIncoming { call_id }, &mut out);
                }
            }
        }
        self.update_ringtone(&mut out);
        out
    }

    /// Answers a ringing call in this tab: the server makes it the user's call (ending the one
    /// they are on, if any) and this tab sets up its audio as for a call dialled here.
    fn answer_incoming(&mut self, call_id: String, out: &mut Vec<Effect>) {
        if !self.ringing.iter().any(|c| c.id == call_id) {
            return;
        }
        if !self.channel_up {
            out.push(Effect::Notice(Some(NOT_CONNECTED.into())));
            return;
        }
        self.stop_ringing(&call_id, out);
        // A waiting call: the current call's audio goes (the server ends that call).
        if self.audio_call.is_some() || self.taking_up.is_some() {
            self.tear_down(out);
        }
        self.stop_asking_any(out);
        out.push(Effect::Notice(None));
        self.send(
            ClientMessage::AnswerIncoming {
                call_id: call_id.clone(),
            },
            out,
        );
        self.audio_call = Some(call_id.clone());
        self.taking_up = Some(call_id.clone());
        out.push(match self.audio_path {
            AudioPath::Gateway => Effect::TakeUp { call_id },
            AudioPath::ChimeMeeting => Effect::OpenMic { call_id },
        });
    }

    /// Takes `call_id` off the ringing list; whether it was there.
    fn stop_ringing(&mut self, call_id: &str, out: &mut Vec<Effect>) -> bool {
        let before = self.ringing.len();
        self.ringing.retain(|c| c.id != call_id);
        let removed = self.ringing.len() != before;
        if removed {
            out.push(Effect::ShowRinging(self.ringing.clone()));
        }
        removed
    }

    /// Stops asking to confirm a REST call, whichever it is.
    fn stop_asking_any(&mut self, out: &mut Vec<Effect>) {
        if let Some(asked) = self.confirming.clone() {
            self.stop_asking(&asked, out);
        }
    }

    /// The ringing sound that fits now: none, the ring, or the call-waiting tone when the user
    /// is on a call.
    fn update_ringtone(&mut self, out: &mut Vec<Effect>) {
        let wanted = match (self.ringing.is_empty(), &self.call) {
            (true, _) => Ringtone::Off,
            (false, Some(_)) => Ringtone::Waiting,
            (false, None) if self.busy() => Ringtone::Waiting,
            (false, None) => Ringtone::Ring,
        };
        if wanted != self.ringtone {
            self.ringtone = wanted;
            out.push(Effect::Ringtone(wanted));
        }
    }

    /// The calls in ringing for the user, oldest first.
    pub fn ringing(&self) -> &[IncomingCall] {
        &self.ringing
    }

    fn server_message(&mut self, message: ServerMessage, now_ms: u64, out: &mut Vec<Effect>) {
        match message {
            ServerMessage::Hello {
                connection,
                call,
                ice_servers,
                audio_path,
                ringing,
            } => {
                if ringing != self.ringing {
                    self.ringing = ringing;
                    out.push(Effect::ShowRinging(self.ringing.clone()));
                }
                // A new connection: any audio this tab held belonged to the old one, whose
                // closing ended that call on the server.
                self.tear_down(out);
                self.ice_servers = ice_servers;
                self.audio_path = audio_path;
                out.push(Effect::Connection(Some(connection)));
                if let Some(asked) = self.confirming.clone() {
                    if call.as_ref().is_none_or(|c| c.id != asked) {
                        self.stop_asking(&asked, out);
                    }
                }
                self.show_call(call, out);
            }
            // Used by the next peer connection; a call's own connection keeps its relay.
            ServerMessage::IceServers { ice_servers } => self.ice_servers = ice_servers,
            ServerMessage::Incoming { incoming } => {
                if !self.ringing.iter().any(|c| c.id == incoming.id) {
                    self.ringing.push(incoming);
                    out.push(Effect::ShowRinging(self.ringing.clone()));
                }
            }
            ServerMessage::IncomingEnded { call_id, end } => {
                self.stop_ringing(&call_id, out);
                // Answered in another tab of this user, or by a colleague before this tab's
                // answer reached the server: this tab's set-up for it goes.
                let answering_here = self.taking_up.as_deref() == Some(call_id.as_str());
                if answering_here && end == IncomingEnd::AnsweredElsewhere {
                    self.tear_down(out);
                    out.push(Effect::Notice(Some(ANSWERED_ELSEWHERE.into())));
                }
            }
            ServerMessage::Answer { call_id, sdp } => {
                if self.taking_up.as_deref() == Some(call_id.as_str()) {
                    self.taking_up = None;
                }
                if self.audio_call.as_deref() == Some(call_id.as_str()) {
                    out.push(Effect::SetRemoteAnswer { call_id, sdp });
                }
            }
            ServerMessage::Call { call } => {
                let mine = self.audio_call.as_deref() == Some(call.id.as_str());
                match &call.state {
                    CallState::Ended { .. } => {
                        if mine {
                            self.tear_down(out);
                        }
                        self.stop_asking(&call.id, out);
                        if self.call.as_ref().is_some_and(|c| c.id != call.id) {
                            // An older call ending after a newer one began (a waiting call
                            // answered): the newer one stays on screen.
                            return;
                        }
                        self.show_call(None, out);
                        let call_id = call.id.clone();
                        self.ended = Some(call_id.clone());
                        out.push(Effect::ShowEnded(Some(call)));
                        out.push(Effect::StartTimer {
                            timer: Timer::ClearEnded { call_id },
                            at: now_ms + ENDED_SHOWN_MS,
                        });
                    }
                    state => {
                        if mine && matches!(state, CallState::Connected { .. }) && !self.screen_kept
                        {
                            self.screen_kept = true;
                            out.push(Effect::KeepScreenOn);
                        }
                        let unclaimed = call.from_api && call.media_connection.is_none();
                        let id = call.id.clone();
                        if self.ended.take().is_some() {
                            out.push(Effect::ShowEnded(None));
                        }
                        if !unclaimed {
                            // Taken up, here or in another tab.
                            self.stop_asking(&id, out);
                        }
                        let ask = call.confirm;
                        self.show_call(Some(call.clone()), out);
                        if unclaimed && ask {
                            self.ask_to_confirm(call, now_ms, out);
                        } else if unclaimed {
                            self.offer_to_take_up(id, now_ms, out);
                        }
                    }
                }
            }
            ServerMessage::Error { call_id, message } => {
                if call_id.is_some() && self.taking_up == call_id {
                    // Another tab took the call up first: it has the audio, this tab shows
                    // the call.
                    self.tear_down(out);
                } else {
                    out.push(Effect::Notice(Some(message)));
                }
            }
            ServerMessage::Join {
                call_id,
                meeting,
                attendee,
            } => {
                if self.taking_up.as_deref() == Some(call_id.as_str()) {
                    self.taking_up = None;
                }
                if self.audio_call.as_deref() == Some(call_id.as_str()) {
                    out.push(Effect::JoinMeeting {
                        call_id,
                        meeting,
                        attendee,
                    });
                }
            }
        }
    }

    /// The audio of `call_id` is ready to be connected: `message` (its offer, or the request
    /// for its meeting) goes to the server, unless the call was torn down meanwhile or the
    /// channel is down.
    fn audio_ready(&mut self, call_id: &str, message: ClientMessage, out: &mut Vec<Effect>) {
        if self.audio_call.as_deref() != Some(call_id) {
            // The call was torn down while its audio was being set up.
            self.close_leftover_audio(out);
        } else if self.channel_up {
            out.push(Effect::Send(message));
        } else {
            self.taking_up = None;
            self.hangup(out);
        }
    }

    /// The audio of `call_id` could not be set up; `mic` says why when the microphone failed.
    fn audio_failed(&mut self, call_id: &str, mic: Option<MicProblem>, out: &mut Vec<Effect>) {
        if self.audio_call.as_deref() != Some(call_id) {
            self.close_leftover_audio(out);
            return;
        }
        if let Some(problem) = mic {
            out.push(Effect::MicProblem(Some(problem)));
        }
        self.taking_up = None;
        self.hangup(out);
    }

    /// A meeting session that ends while its call is live (the server's end tears the audio
    /// down, and our own leave follows that) has failed: the call is hung up, with why.
    fn meeting_event(&mut self, call_id: &str, event: ChimeEvent, out: &mut Vec<Effect>) {
        let ChimeEvent::Ended { reason, .. } = event else {
            return;
        };
        if reason != ChimeEnd::Left && self.audio_call.as_deref() == Some(call_id) {
            out.push(Effect::Notice(Some(meeting_end_notice(reason).into())));
            self.hangup(out);
        }
    }

    /// A key on the call's keypad: a tone in the audio on the gateway path; on the Chime path
    /// (a meeting carries no DTMF) a `Digits` request, once this tab's call is connected.
    fn key(&mut self, key: char, out: &mut Vec<Effect>) {
        match self.audio_path {
            AudioPath::Gateway => out.push(Effect::SendTone(key)),
            AudioPath::ChimeMeeting => {
                let valid = key.is_ascii_digit() || key == '*' || key == '#';
                let call = self.call.as_ref().filter(|c| {
                    self.audio_call.as_deref() == Some(c.id.as_str())
                        && matches!(c.state, CallState::Connected { .. })
                });
                if let Some(call_id) = call.filter(|_| valid).map(|c| c.id.clone()) {
                    let digits = key.to_string();
                    self.send(ClientMessage::Digits { call_id, digits }, out);
                }
            }
        }
    }

    fn timer_fired(&mut self, timer: Timer, out: &mut Vec<Effect>) {
        match timer {
            Timer::TakeUp { call_id } => {
                if self.take_up_due.as_deref() == Some(call_id.as_str()) {
                    self.take_up_due = None;
                }
                self.take_up_if_unclaimed(call_id, out);
            }
            Timer::ClearEnded { call_id } => {
                if self.ended.as_deref() == Some(call_id.as_str()) {
                    self.ended = None;
                    out.push(Effect::ShowEnded(None));
                }
            }
            Timer::ConfirmExpired { call_id } => {
                if self.stop_asking(&call_id, out) {
                    let timed_out = true;
                    self.send(ClientMessage::Decline { call_id, timed_out }, out);
                }
            }
            Timer::Reconnect => out.push(Effect::OpenChannel),
        }
    }

    /// A REST call that the user confirms: every tab asks the agent (no tab opens the
    /// microphone by itself), for at most [`CONFIRM_WINDOW_MS`].
    fn ask_to_confirm(&mut self, call: LiveCall, now_ms: u64, out: &mut Vec<Effect>) {
        if self.busy() || self.confirming.as_deref() == Some(call.id.as_str()) {
            return;
        }
        let call_id = call.id.clone();
        self.confirming = Some(call_id.clone());
        out.push(Effect::AskToConfirm(Some(call)));
        out.push(Effect::StartTimer {
            timer: Timer::ConfirmExpired { call_id },
            at: now_ms + CONFIRM_WINDOW_MS,
        });
    }

    /// Stops asking about `call_id`; whether this tab was asking.
    fn stop_asking(&mut self, call_id: &str, out: &mut Vec<Effect>) -> bool {
        if self.confirming.as_deref() != Some(call_id) {
            return false;
        }
        self.confirming = None;
        out.push(Effect::AskToConfirm(None));
        true
    }

    /// A call placed through the REST API (click to dial from another app): a visible tab
    /// takes it up at once, a tab in the background a moment later if no other tab has, just
    /// as if it had been dialled here. The server gives the audio to the first offer.
    fn offer_to_take_up(&mut self, call_id: String, now_ms: u64, out: &mut Vec<Effect>) {
        if self.busy() {
            return;
        }
        if !self.hidden {
            self.take_up_if_unclaimed(call_id, out);
        } else if self.take_up_due.as_deref() != Some(call_id.as_str()) {
            self.take_up_due = Some(call_id.clone());
            out.push(Effect::StartTimer {
                timer: Timer::TakeUp { call_id },
                at: now_ms + BACKGROUND_TAKE_UP_MS,
            });
        }
    }

    fn take_up_if_unclaimed(&mut self, call_id: String, out: &mut Vec<Effect>) {
        let unclaimed = self.call.as_ref().is_some_and(|c| {
            c.id == call_id
                && c.media_connection.is_none()
                && !matches!(c.state, CallState::Ended { .. })
        });
        if !unclaimed || self.busy() {
            return;
        }
        self.audio_call = Some(call_id.clone());
        self.taking_up = Some(call_id.clone());
        out.push(match self.audio_path {
            AudioPath::Gateway => Effect::TakeUp { call_id },
            AudioPath::ChimeMeeting => Effect::OpenMic { call_id },
        });
    }

    fn busy(&self) -> bool {
        self.audio_call.is_some() || self.taking_up.is_some()
    }

    fn hangup(&mut self, out: &mut Vec<Effect>) {
        let id = self
            .call
            .as_ref()
            .map(|c| c.id.clone())
            .or_else(|| self.audio_call.clone());
        let sent = id.is_some_and(|call_id| self.send(ClientMessage::Hangup { call_id }, out));
        if !sent {
            // No channel: the server ends the call when it notices; stop our side now.
            self.tear_down(out);
            self.show_call(None, out);
        }
    }

    /// Sends when the channel is up; says whether it was.
    fn send(&mut self, message: ClientMessage, out: &mut Vec<Effect>) -> bool {
        if self.channel_up {
            out.push(Effect::Send(message));
        }
        self.channel_up
    }

    /// An audio set-up that finished after its call was torn down leaves a peer connection
    /// and a microphone behind: closed, unless another call's set-up has begun since.
    fn close_leftover_audio(&self, out: &mut Vec<Effect>) {
        if self.audio_call.is_none() {
            out.push(Effect::TearDownAudio);
        }
    }

    fn tear_down(&mut self, out: &mut Vec<Effect>) {
        self.audio_call = None;
        self.taking_up = None;
        out.push(Effect::TearDownAudio);
        if std::mem::take(&mut self.screen_kept) {
            out.push(Effect::ReleaseScreen);
        }
    }

    fn show_call(&mut self, call: Option<LiveCall>, out: &mut Vec<Effect>) {
        self.call = call.clone();
        out.push(Effect::ShowCall(call));
    }
}
