//! The phone in the browser: the user's live call as the server reports it, and the local
//! audio (microphone, peer connection or Chime meeting, speaker). One [`Phone`] per signed-in
//! page, provided by the shell, so a call survives navigation inside the app. The decisions are
//! in `core` (sans-IO, tested natively); the WebSocket work is in `engine`, the WebRTC and
//! device work in `media` and the Chime meeting in `meeting` (browser only); on the server every
//! action is a no-op.

pub mod chime;
pub mod core;
#[cfg(feature = "hydrate")]
mod engine;
#[cfg(feature = "hydrate")]
mod media;
#[cfg(feature = "hydrate")]
mod meeting;
#[cfg(feature = "hydrate")]
mod network_test;

use leptos::prelude::*;

use crate::api::live::{IncomingCall, LiveCall};
use crate::api::ApiError;
use crate::domain::numbers::Country;
use crate::i18n::{t, Lang, T};

/// Why the microphone could not be used; each says what the user can do.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MicProblem {
    /// Permission denied (by the user or the site settings).
    Blocked,
    /// No input device at all.
    Missing,
    /// Another application holds the device.
    Busy,
    /// The device went away during the call.
    Lost,
    /// Anything else, with the browser's words.
    Other(String),
}

/// Why a dial attempt did not start a call.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DialError {
    Mic(MicProblem),
    Api(ApiError),
    /// The live channel to the server is down (reconnecting).
    NoChannel,
    /// The browser cannot make WebRTC calls.
    Unsupported,
}

/// How a failed dial reads to the user. Every [`DialError`] comes from the phone's code, so with
/// `split` the texts (every API error's, the microphone's) are in the phone's chunk, out of the
/// first load: the chunk hands its function over before a dial through it can fail
/// (`engine::split::dial`; docs/bench.md, "First load").
pub fn dial_error_text(lang: Lang, error: &DialError) -> String {
    #[cfg(all(feature = "hydrate", feature = "split"))]
    return DIAL_ERROR_TEXT
        .get()
        .map_or_else(String::new, |text| text(lang, error));
    #[cfg(not(all(feature = "hydrate", feature = "split")))]
    dial_error_text_here(lang, error)
}

#[cfg(all(feature = "hydrate", feature = "split"))]
static DIAL_ERROR_TEXT: std::sync::OnceLock<fn(Lang, &DialError) -> String> =
    std::sync::OnceLock::new();

fn dial_error_text_here(lang: Lang, error: &DialError) -> String {
    match error {
        DialError::Api(e) => crate::components::messages::error_text(lang, e),
        DialError::Mic(p) => crate::components::call_panel::mic_problem_text(|key| t(lang, key), p),
        DialError::NoChannel => t(lang, T::NoChannel).into(),
        DialError::Unsupported => t(lang, T::NoWebRtc).into(),
    }
}

/// Where the browser lets us send the call's audio.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outputs {
    /// `setSinkId` exists: the output can be chosen.
    pub selectable: bool,
    /// (device id, label) of each output, once the browser lists them.
    pub devices: Vec<(String, String)>,
}

#[derive(Clone, Copy)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub struct Phone {
    /// The user's call (from any tab), as the server last described it.
    pub call: RwSignal<Option<LiveCall>>,
    /// A REST call waiting for the agent to confirm it here (Call or Cancel).
    pub confirm: RwSignal<Option<LiveCall>>,
    /// Calls in ringing for the user, oldest first.
    pub ringing: RwSignal<Vec<IncomingCall>>,
    /// The last call that ended, shown briefly with its reason.
    pub ended: RwSignal<Option<LiveCall>>,
    /// This tab's live-channel connection id (the call's audio is here when it matches).
    pub connection: RwSignal<Option<u64>>,
    pub channel_up: RwSignal<bool>,
    pub muted: RwSignal<bool>,
    /// Calls on this server can be held (the gateway's audio path).
    pub can_hold: RwSignal<bool>,
    pub mic_problem: RwSignal<Option<MicProblem>>,
    /// Microphone level, 0.0–1.0, while a call or a test is running.
    pub mic_level: RwSignal<f32>,
    pub mic_testing: RwSignal<bool>,
    pub outputs: RwSignal<Outputs>,
    pub output: RwSignal<String>,
    pub inputs: RwSignal<Vec<(String, String)>>,
    pub input: RwSignal<String>,
    /// A message from the server about this tab's request.
    pub notice: RwSignal<Option<String>>,
    /// The call's quality as this tab measures it (its audio is here).
    pub quality: RwSignal<CallQuality>,
}

/// What the call screen shows of the call's quality: signal bars from the latest MOS (none
/// before the first round trip is measured) and the warnings raised (`domain::quality`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallQuality {
    pub bars: Option<u8>,
    pub warnings: Vec<crate::domain::quality::Warning>,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub const INPUT_DEVICE: &str = "softphone.input_device";
pub const OUTPUT_DEVICE: &str = "softphone.output_device";

pub fn provide_phone() -> Phone {
    let phone = Phone {
        call: RwSignal::new(None),
        confirm: RwSignal::new(None),
        ringing: RwSignal::new(Vec::new()),
        ended: RwSignal::new(None),
        connection: RwSignal::new(None),
        channel_up: RwSignal::new(false),
        muted: RwSignal::new(false),
        can_hold: RwSignal::new(false),
        mic_problem: RwSignal::new(None),
        mic_level: RwSignal::new(0.0),
        mic_testing: RwSignal::new(false),
        outputs: RwSignal::new(Outputs::default()),
        output: RwSignal::new(String::new()),
        inputs: RwSignal::new(Vec::new()),
        input: RwSignal::new(String::new()),
        notice: RwSignal::new(None),
        quality: RwSignal::new(CallQuality::default()),
    };
    provide_context(phone);
    // With `split` the phone's code (the live channel, the call's state, the audio set-up) is a
    // chunk of its own, out of the first load: fetched once the page has hydrated, while the
    // keypad already works (docs/bench.md, "First load").
    #[cfg(all(feature = "hydrate", feature = "split"))]
    Effect::new(move |_| leptos::task::spawn_local(engine::split::start(phone)));
    #[cfg(all(feature = "hydrate", not(feature = "split")))]
    Effect::new(move |_| engine::start(phone));
    phone
}

pub fn phone() -> Phone {
    expect_context::<Phone>()
}

impl Phone {
    /// Whether this tab holds the audio of the user's call.
    pub fn call_is_here(&self) -> bool {
        let (call, me) = (self.call.get(), self.connection.get());
        matches!((call, me), (Some(c), Some(me)) if c.media_connection == Some(me))
    }

    /// Places a call: microphone first (nothing is dialled without one), then the server's
    /// checks, then the audio offer (or, on the Chime path, the request for the meeting).
    pub async fn dial(&self, input: String, country: Country) -> Result<(), DialError> {
        // Inside the user's gesture, before the phone's chunk is waited for (split builds).
        #[cfg(feature = "hydrate")]
        engine::unlock_audio();
        #[cfg(all(feature = "hydrate", feature = "split"))]
        return engine::split::dial(*self, input, country).await;
        #[cfg(all(feature = "hydrate", not(feature = "split")))]
        return engine::dial(*self, input, country).await;
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = (input, country);
            Err(DialError::Unsupported)
        }
    }

    pub fn hangup(&self) {
        #[cfg(feature = "hydrate")]
        engine::hangup(*self);
    }

    /// The agent's answer to the confirmation of the REST call `call_id`: Call (this tab opens
    /// the microphone and takes the call up) or Cancel (the call ends).
    pub fn confirm(&self, call_id: String, take_up: bool) {
        // Inside the user's gesture: the call's audio may play.
        #[cfg(feature = "hydrate")]
        {
            engine::unlock_audio();
            #[cfg(feature = "split")]
            leptos::task::spawn_local(engine::split::confirm(*self, call_id, take_up));
            #[cfg(not(feature = "split"))]
            engine::confirm(*self, call_id, take_up);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (call_id, take_up);
    }

    /// Answer (`true`) or Decline on the call in `call_id`.
    pub fn answer_incoming(&self, call_id: String, answer: bool) {
        // Inside the user's gesture: the call's audio may play.
        #[cfg(feature = "hydrate")]
        {
            engine::unlock_audio();
            #[cfg(feature = "split")]
            leptos::task::spawn_local(engine::split::answer_incoming(*self, call_id, answer));
            #[cfg(not(feature = "split"))]
            engine::answer_incoming(*self, call_id, answer);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (call_id, answer);
    }

    pub fn set_muted(&self, muted: bool) {
        #[cfg(feature = "hydrate")]
        engine::set_muted(*self, muted);
        #[cfg(not(feature = "hydrate"))]
        let _ = muted;
    }

    /// Hands the call to agent `to` (their account's id), or with `consult` talks with them
    /// first; the call's `transfer` shows how it goes.
    pub fn transfer(&self, to: String, consult: bool) {
        #[cfg(feature = "hydrate")]
        engine::transfer(*self, to, consult);
        #[cfg(not(feature = "hydrate"))]
        let _ = (to, consult);
    }

    /// Sends the call on to a phone number (E.164); with `consult` the agent talks with it
    /// first (a warm transfer). The call's `transfer` shows how it goes.
    pub fn transfer_to_number(&self, number: String, consult: bool) {
        #[cfg(feature = "hydrate")]
        engine::transfer_to_number(*self, number, consult);
        #[cfg(not(feature = "hydrate"))]
        let _ = (number, consult);
    }

    /// Connects the far end with the number being consulted, and leaves the call.
    pub fn complete_transfer(&self) {
        #[cfg(feature = "hydrate")]
        engine::complete_transfer(*self);
    }

    /// Holds the call or takes it back; the call's state shows when the server has done it.
    pub fn set_on_hold(&self, on_hold: bool) {
        #[cfg(feature = "hydrate")]
        engine::set_on_hold(*self, on_hold);
        #[cfg(not(feature = "hydrate"))]
        let _ = on_hold;
    }

    /// The record controls (start, pause, resume, stop); the result shows in the call's state.
    pub fn record(&self, action: crate::api::live::RecordAction) {
        #[cfg(feature = "hydrate")]
        engine::record(*self, action);
        #[cfg(not(feature = "hydrate"))]
        let _ = action;
    }

    /// Sends a key on the call (RFC 4733 in the audio, or `Digits` when the call goes through
    /// a Chime meeting) and plays its tone locally.
    pub fn dtmf(&self, key: char) {
        #[cfg(feature = "hydrate")]
        engine::dtmf(*self, key);
        #[cfg(not(feature = "hydrate"))]
        let _ = key;
    }

    pub fn choose_output(&self, device: String) {
        crate::browser::local_set(OUTPUT_DEVICE, &device);
        self.output.set(device.clone());
        #[cfg(feature = "hydrate")]
        media::apply_output(&device);
    }

    pub fn choose_input(&self, device: String) {
        crate::browser::local_set(INPUT_DEVICE, &device);
        self.input.set(device);
    }

    /// Lists devices (labels appear once the microphone was allowed).
    pub fn refresh_devices(&self) {
        #[cfg(feature = "hydrate")]
        media::refresh_devices(*self);
    }

    /// Starts or stops the microphone test (level meter, nothing sent anywhere).
    pub fn test_mic(&self, on: bool) {
        #[cfg(feature = "hydrate")]
        media::test_mic(*self, on);
        #[cfg(not(feature = "hydrate"))]
        let _ = on;
    }

    /// Runs the pre-call check's network test (a few seconds; `progress` hears each second
    /// measured). Not during a call: its audio comes first.
    pub async fn network_test(
        &self,
        progress: impl Fn(u32) + 'static,
    ) -> Result<crate::domain::precall::NetworkCheck, ApiError> {
        if self.call.get_untracked().is_some() {
            return Err(ApiError::CallInProgress);
        }
        #[cfg(feature = "hydrate")]
        return network_test::run(progress).await;
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = progress;
            Err(ApiError::Unavailable)
        }
    }

    /// Plays the speaker test's two beeps on the chosen output; false if the browser could
    /// not.
    pub fn play_test_sound(&self) -> bool {
        #[cfg(feature = "hydrate")]
        return network_test::play_test_sound(&self.output.get_untracked()).is_ok();
        #[cfg(not(feature = "hydrate"))]
        false
    }

    /// Opens the microphone again during a call (after it was lost or refused) and puts the
    /// new track on the call without renegotiating.
    pub fn retry_mic(&self) {
        #[cfg(feature = "hydrate")]
        if !meeting::retry_mic(*self) {
            media::retry_mic(*self);
        }
    }

    /// Makes sure audio can play (browsers start audio only after a user gesture).
    pub fn unlock_audio() {
        #[cfg(feature = "hydrate")]
        engine::unlock_audio();
    }
}
