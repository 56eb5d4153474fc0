//! A tab's phone core driven by a simulated clock, for the phone scenarios: timers started by
//! the core fire when the clock passes them, as the browser's would.

use app::api::live::{AudioPath, ClientMessage, LiveCall, ServerMessage};
use app::domain::call::{CallState, HangupBy};
use app::domain::calls::EndReason;
use app::domain::recordings::RecordingMode;
use app::phone::core::{Effect, Input, PhoneCore, Timer};

use super::T0;

/// This tab's connection id.
pub const ME: u64 = 7;
/// Another tab of the same user.
pub const OTHER_TAB: u64 = 8;

pub struct Tab {
    pub core: PhoneCore,
    pub now: u64,
    /// Timers started and not fired yet, in the order they were started.
    pub timers: Vec<(u64, Timer)>,
    pub log: Vec<Effect>,
}

impl Tab {
    /// A tab that has not started its phone.
    pub fn new() -> Self {
        Tab {
            core: PhoneCore::new(),
            now: T0,
            timers: Vec::new(),
            log: Vec::new(),
        }
    }

    /// A started tab whose channel is up and greeted (connection [`ME`], no call) by a server
    /// whose calls go through the gateway; the log is empty.
    pub fn connected(hidden: bool) -> Self {
        Tab::connected_to(AudioPath::Gateway, hidden)
    }

    /// The same, greeted by a server whose calls' audio flows on `audio_path`.
    pub fn connected_to(audio_path: AudioPath, hidden: bool) -> Self {
        let mut tab = Tab::new();
        tab.input(Input::Visibility { hidden });
        tab.input(Input::Start);
        tab.input(Input::ChannelOpened);
        tab.server(hello_on(audio_path, ME, None));
        tab.log.clear();
        tab
    }

    /// Feeds an input at the current time and returns what it produced.
    pub fn input(&mut self, input: Input) -> Vec<Effect> {
        let out = self.core.handle(input, self.now);
        for effect in &out {
            if let Effect::StartTimer { timer, at } = effect {
                self.timers.push((*at, timer.clone()));
            }
        }
        self.log.extend(out.iter().cloned());
        out
    }

    pub fn server(&mut self, message: ServerMessage) -> Vec<Effect> {
        self.input(Input::Server(message))
    }

    /// The server's news about the user's call.
    pub fn call(&mut self, call: LiveCall) -> Vec<Effect> {
        self.server(ServerMessage::Call { call })
    }

    /// Advances the clock by `ms`, firing every timer due on the way at its own time.
    pub fn advance(&mut self, ms: u64) -> Vec<Effect> {
        let end = self.now + ms;
        let mut out = Vec::new();
        while let Some(i) = self
            .timers
            .iter()
            .enumerate()
            .filter(|(_, (at, _))| *at <= end)
            .min_by_key(|(_, (at, _))| *at)
            .map(|(i, _)| i)
        {
            let (at, timer) = self.timers.remove(i);
            self.now = at.max(self.now);
            out.extend(self.input(Input::TimerFired(timer)));
        }
        self.now = end;
        out
    }

    /// What this tab sent on the live channel so far.
    pub fn sent(&self) -> Vec<ClientMessage> {
        self.log
            .iter()
            .filter_map(|e| match e {
                Effect::Send(m) => Some(m.clone()),
                _ => None,
            })
            .collect()
    }
}

pub fn hello(connection: u64, call: Option<LiveCall>) -> ServerMessage {
    hello_on(AudioPath::Gateway, connection, call)
}

pub fn hello_on(audio_path: AudioPath, connection: u64, call: Option<LiveCall>) -> ServerMessage {
    ServerMessage::Hello {
        connection,
        call,
        ice_servers: Vec::new(),
        audio_path,
        ringing: Vec::new(),
    }
}

/// A call dialled in a tab: its audio is on `media_connection`.
pub fn dialled(id: &str, state: CallState, media_connection: Option<u64>) -> LiveCall {
    LiveCall {
        inbound: false,
        id: id.into(),
        e164: "+6560000001".into(),
        contact_name: None,
        state,
        started_at: T0,
        answered_at: None,
        media_connection,
        from_api: false,
        confirm: false,
        recording_mode: RecordingMode::Ask,
        recording: None,
        transfer: None,
        consult_with: None,
    }
}

/// A call placed through the REST API that no tab has taken up yet.
pub fn from_api(id: &str, state: CallState) -> LiveCall {
    LiveCall {
        from_api: true,
        ..dialled(id, state, None)
    }
}

pub fn connected() -> CallState {
    CallState::Connected {
        muted: false,
        on_hold: false,
        held_by_far_end: false,
    }
}

pub fn ended(call: &LiveCall) -> LiveCall {
    LiveCall {
        state: CallState::Ended {
            reason: EndReason::Completed,
            by: HangupBy::Agent,
            cause: None,
        },
        ..call.clone()
    }
}

pub fn offer(call_id: &str) -> ClientMessage {
    ClientMessage::Offer {
        call_id: call_id.into(),
        sdp: "v=0 offer".into(),
    }
}

pub fn join(call_id: &str) -> ClientMessage {
    ClientMessage::Join {
        call_id: call_id.into(),
    }
}

pub fn hangup(call_id: &str) -> Effect {
    Effect::Send(ClientMessage::Hangup {
        call_id: call_id.into(),
    })
}

/// The server's answer to a `Join`: the meeting and this tab's attendee (shortened).
pub fn meeting_for(call_id: &str) -> ServerMessage {
    ServerMessage::Join {
        call_id: call_id.into(),
        meeting: r#"{"Meeting":{"MeetingId":"m1"}}"#.into(),
        attendee: r#"{"Attendee":{"AttendeeId":"a1"}}"#.into(),
    }
}

/// What joining the meeting of [`meeting_for`] looks like.
pub fn join_meeting(call_id: &str) -> Effect {
    Effect::JoinMeeting {
        call_id: call_id.into(),
        meeting: r#"{"Meeting":{"MeetingId":"m1"}}"#.into(),
        attendee: r#"{"Attendee":{"AttendeeId":"a1"}}"#.into(),
    }
}
