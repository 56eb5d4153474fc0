//! Browser only: the thin layer around [`PhoneCore`]. It turns the live WebSocket, the page's
//! visibility, timers and the outcome of the audio set-up into [`Input`]s, and performs the
//! [`Effect`]s that come back (signals, messages, the peer connection or the meeting, the wake
//! lock). The microphone, devices and peer connection details are in `media`, the Chime path's
//! meeting in `meeting`.
//!
//! Every JS callback is a `Closure` stored next to the object it is attached to and dropped
//! (and detached) with it: a reconnect drops the old socket's handlers, a teardown the call's.

use std::cell::RefCell;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlAudioElement, MessageEvent, RtcSdpType, RtcSessionDescriptionInit, WebSocket};

use super::core::{Effect, Input, PhoneCore, Ringtone};
use super::media::{self, Media, Meter};
use super::meeting::{self, HeldMic, Meeting};
use super::{DialError, Phone, INPUT_DEVICE, OUTPUT_DEVICE};
use crate::api::live::{AudioPath, ClientMessage, ServerMessage, PATH};
use crate::domain::numbers::Country;

#[derive(Default)]
pub(super) struct Engine {
    pub(super) core: PhoneCore,
    channel: Option<Channel>,
    /// The call's audio on the gateway path: peer connection, microphone and their handlers.
    pub(super) media: Option<Media>,
    /// On the Chime path: the microphone opened for the call, until its meeting takes it.
    pub(super) held_mic: Option<HeldMic>,
    /// On the Chime path: the call's meeting session.
    pub(super) meeting: Option<Meeting>,
    /// The hidden `<audio>` element that plays the far end (kept for the page's life).
    pub(super) audio: Option<HtmlAudioElement>,
    wake: Option<JsValue>,
    /// The `<audio>` element that rings for calls in (while one rings).
    ring: Option<HtmlAudioElement>,
    pub(super) meter: Option<Meter>,
    /// The live channel has been up at least once since the phone started.
    connected_once: bool,
    _page: Option<PageListeners>,
}

/// One live channel and its handlers; dropping it detaches them.
struct Channel {
    ws: WebSocket,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_open: Closure<dyn FnMut()>,
    _on_close: Closure<dyn FnMut(JsValue)>,
}

impl Drop for Channel {
    fn drop(&mut self) {
        self.ws.set_onmessage(None);
        self.ws.set_onopen(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

/// The page-wide handlers (device list changes, visibility), kept for the page's life.
struct PageListeners {
    _on_device_change: Option<Closure<dyn FnMut()>>,
    _on_visibility: Option<Closure<dyn FnMut()>>,
}

thread_local! {
    static ENGINE: RefCell<Engine> = RefCell::new(Engine::default());
}

/// Short borrows only: effects are performed outside, so a handler that runs while one is
/// performed never finds the engine borrowed.
pub(super) fn with<T>(f: impl FnOnce(&mut Engine) -> T) -> T {
    ENGINE.with(|e| f(&mut e.borrow_mut()))
}

fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// Feeds one input to the core and performs what it decided; returns the effects.
pub(super) fn run(phone: Phone, input: Input) -> Vec<Effect> {
    let now = now_ms();
    let effects = with(|e| e.core.handle(input, now));
    for effect in &effects {
        perform(phone, effect, now);
    }
    effects
}

fn perform(phone: Phone, effect: &Effect, now: u64) {
    match effect {
        Effect::OpenChannel => connect(phone),
        Effect::Send(message) => {
            send(message);
        }
        Effect::ChannelUp(up) => {
            if *up {
                with(|e| e.connected_once = true);
            }
            phone.channel_up.set(*up);
        }
        Effect::Connection(connection) => {
            phone.connection.set(*connection);
            // The hello named the audio path: only the gateway's calls can be held.
            let path = with(|e| e.core.audio_path());
            phone.can_hold.set(path == AudioPath::Gateway);
        }
        Effect::ShowCall(call) => phone.call.set(call.clone()),
        Effect::AskToConfirm(call) => phone.confirm.set(call.clone()),
        Effect::ShowEnded(call) => phone.ended.set(call.clone()),
        Effect::Notice(notice) => phone.notice.set(notice.clone()),
        Effect::MicProblem(problem) => phone.mic_problem.set(problem.clone()),
        Effect::Muted(muted) => {
            with(|e| {
                if let Some(media) = &e.media {
                    media.enable_mic(!muted);
                }
            });
            meeting::mute(*muted);
            phone.muted.set(*muted);
        }
        Effect::TakeUp { call_id } => take_up(phone, call_id.clone()),
        Effect::SetRemoteAnswer { call_id, sdp } => set_remote_answer(phone, call_id, sdp),
        Effect::OpenMic { call_id } => meeting::open_mic(phone, call_id.clone()),
        Effect::JoinMeeting {
            call_id,
            meeting,
            attendee,
        } => meeting::join(phone, call_id, meeting, attendee),
        Effect::SendTone(key) => with(|e| {
            if let Some(media) = &e.media {
                media.insert_dtmf(*key);
            }
        }),
        Effect::TearDownAudio => teardown(phone),
        Effect::ShowRinging(calls) => phone.ringing.set(calls.clone()),
        Effect::Ringtone(tone) => ring(*tone, &phone.output.get_untracked()),
        Effect::KeepScreenOn => keep_screen_on(),
        Effect::ReleaseScreen => {
            if let Some(wake) = with(|e| e.wake.take()) {
                media::call_and_settle(&wake, "release", &JsValue::UNDEFINED);
            }
        }
        Effect::StartTimer { timer, at } => {
            let timer = timer.clone();
            set_timeout(
                move || {
                    run(phone, Input::TimerFired(timer));
                },
                std::time::Duration::from_millis(at.saturating_sub(now)),
            );
        }
    }
}

pub fn start(phone: Phone) {
    phone
        .input
        .set(crate::browser::local_get(INPUT_DEVICE).unwrap_or_default());
    phone
        .output
        .set(crate::browser::local_get(OUTPUT_DEVICE).unwrap_or_default());
    phone
        .outputs
        .update(|o| o.selectable = media::output_selectable());
    let on_device_change = media::media_devices().map(|devices| {
        let on_change = Closure::<dyn FnMut()>::new(move || media::refresh_devices(phone));
        devices.set_ondevicechange(Some(on_change.as_ref().unchecked_ref()));
        on_change
    });
    let document = web_sys::window().and_then(|w| w.document());
    let on_visibility = document.as_ref().map(|d| {
        let on_change = Closure::<dyn FnMut()>::new(move || {
            run(phone, Input::Visibility { hidden: hidden() });
        });
        d.set_onvisibilitychange(Some(on_change.as_ref().unchecked_ref()));
        on_change
    });
    with(|e| {
        e._page = Some(PageListeners {
            _on_device_change: on_device_change,
            _on_visibility: on_visibility,
        })
    });
    media::refresh_devices(phone);
    run(phone, Input::Visibility { hidden: hidden() });
    run(phone, Input::Start);
}

/// With `split`, the phone's code (the live channel, [`PhoneCore`], the audio set-up, the Chime
/// path's calls) is one WASM chunk, out of the first load: these two are its ways in from the
/// main module, both in the same chunk. The shell starts the phone once the page has hydrated,
/// which fetches the chunk while the agent types a number; a dial before it has arrived waits
/// for it. The call screen's chunk calls into the phone too (hang up, mute, keys, recording),
/// through chunks the two share (docs/bench.md, "First load").
#[cfg(feature = "split")]
pub mod split {
    use std::future::Future;
    use std::pin::Pin;

    use super::{Country, DialError, Phone};

    #[leptos::wasm_split::wasm_split(softphone_phone, wasm_split_path = ::leptos::wasm_split)]
    pub fn start(phone: Phone) {
        super::start(phone)
    }

    #[leptos::wasm_split::wasm_split(
        softphone_phone,
        wasm_split_path = ::leptos::wasm_split,
        return_wrapper(let future = _; { future.await } -> Result<(), DialError>)
    )]
    pub fn dial(
        phone: Phone,
        input: String,
        country: Country,
    ) -> Pin<Box<dyn Future<Output = Result<(), DialError>>>> {
        // What a failure reads as, from this chunk (see `dial_error_text`).
        crate::phone::DIAL_ERROR_TEXT.get_or_init(|| crate::phone::dial_error_text_here);
        Box::pin(super::dial(phone, input, country))
    }

    /// The agent's answer to a REST call's confirmation. The dialog is in the shell (the main
    /// module) and shows only once this chunk runs, so the call costs no fetch; a direct call
    /// would pull the whole phone into the first load.
    #[leptos::wasm_split::wasm_split(softphone_phone, wasm_split_path = ::leptos::wasm_split)]
    pub fn confirm(phone: Phone, call_id: String, take_up: bool) {
        super::confirm(phone, call_id, take_up)
    }

    /// Answer or Decline on a call in: like [`confirm`], its screen shows only once this
    /// chunk runs.
    #[leptos::wasm_split::wasm_split(softphone_phone, wasm_split_path = ::leptos::wasm_split)]
    pub fn answer_incoming(phone: Phone, call_id: String, answer: bool) {
        super::answer_incoming(phone, call_id, answer)
    }
}

fn hidden() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| media::get(&d, "visibilityState").as_string().as_deref() == Some("hidden"))
}

// ---------------------------------------------------------------------------------------------
// The live channel

fn connect(phone: Phone) {
    // The old channel (closed: that is why we reconnect) goes with its handlers.
    with(|e| e.channel.take());
    let Some(location) = web_sys::window().map(|w| w.location()) else {
        return;
    };
    let scheme = if location.protocol().ok().as_deref() == Some("https:") {
        "wss:"
    } else {
        "ws:"
    };
    let host = location.host().unwrap_or_default();
    let Ok(ws) = WebSocket::new(&format!("{scheme}//{host}{PATH}")) else {
        return;
    };
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        if let Some(text) = ev.data().as_string() {
            // `from_slice`, the reader server functions use: the types both carry (the call,
            // its end and refusal reasons) are decoded by one copy of serde's code.
            if let Ok(message) = serde_json::from_slice::<ServerMessage>(text.as_bytes()) {
                run(phone, Input::Server(message));
            }
        }
    });
    let on_open = Closure::<dyn FnMut()>::new(move || {
        run(phone, Input::ChannelOpened);
    });
    let on_close = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        run(phone, Input::ChannelClosed);
        // The server closed the channel because the session ended (signed out everywhere, a
        // password reset): the signed-out state is the sign-in page.
        let code = media::get(&event, "code").as_f64();
        if code == Some(f64::from(crate::api::live::SESSION_ENDED)) {
            crate::browser::go_to("/signin");
        }
    });
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    with(|e| {
        e.channel = Some(Channel {
            ws,
            _on_message: on_message,
            _on_open: on_open,
            _on_close: on_close,
        })
    });
}

fn send(message: &ClientMessage) -> bool {
    let Ok(text) = serde_json::to_string(message) else {
        return false;
    };
    with(|e| {
        e.channel
            .as_ref()
            .map(|c| &c.ws)
            .filter(|ws| ws.ready_state() == WebSocket::OPEN)
            .is_some_and(|ws| ws.send_with_str(&text).is_ok())
    })
}

// ---------------------------------------------------------------------------------------------
// Calls

/// Called through [`Phone::dial`], which has unlocked the audio inside the user's gesture.
pub async fn dial(phone: Phone, input: String, country: Country) -> Result<(), DialError> {
    run(phone, Input::DialPressed);
    // Started inside the user's gesture, so the browser lets it play later.
    let audio = remote_audio();
    media::play(&audio);
    // A call needs the live channel's hello (it names this tab's connection), which comes a
    // moment after the socket opens. A dial right after the page loaded may come before it
    // (with `split` the phone starts once its chunk has arrived), and so may one just as the
    // channel reconnects: the hello is waited for, briefly. A channel that is down after having
    // been up is reconnecting, and the dial is refused at once.
    for _ in 0..HELLO_WAITS {
        let greeted = phone.connection.get_untracked().is_some();
        let reconnecting = with(|e| e.connected_once && !e.core.channel_up());
        if greeted || reconnecting {
            break;
        }
        sleep(HELLO_POLL_MS).await;
    }
    if phone.connection.get_untracked().is_none() {
        return Err(DialError::NoChannel);
    }
    let stream = media::open_mic(&phone.input.get_untracked())
        .await
        .map_err(DialError::Mic)?;
    phone.mic_problem.set(None);
    media::refresh_devices(phone);
    let Some(connection) = phone.connection.get_untracked() else {
        media::stop(&stream);
        return Err(DialError::NoChannel);
    };
    let ticket = match crate::api::calls::start_call(input, Some(country), connection).await {
        Ok(t) => t,
        Err(e) => {
            media::stop(&stream);
            return Err(DialError::Api(e));
        }
    };
    let call_id = ticket.call_id;
    let effects = run(
        phone,
        Input::Dialled {
            call_id: call_id.clone(),
        },
    );
    if with(|e| e.core.audio_path()) == AudioPath::ChimeMeeting {
        // The core asked for the meeting (or, without a channel, hung up): the microphone
        // waits for the meeting.
        let asked = effects
            .iter()
            .any(|e| matches!(e, Effect::Send(ClientMessage::Join { .. })));
        if asked {
            meeting::hold_mic(call_id, stream);
            return Ok(());
        }
        media::stop(&stream);
        leptos::logging::warn!("call setup failed: the live channel closed");
        return Err(DialError::NoChannel);
    }
    match media::offer(phone, stream, audio).await {
        Ok(sdp) => {
            let effects = run(phone, Input::OfferMade { call_id, sdp });
            let sent = effects
                .iter()
                .any(|e| matches!(e, Effect::Send(ClientMessage::Offer { .. })));
            if sent {
                Ok(())
            } else {
                leptos::logging::warn!("call setup failed: the live channel closed");
                Err(DialError::Unsupported)
            }
        }
        Err(detail) => {
            leptos::logging::warn!("call setup failed: {detail:?}");
            run(phone, Input::OfferFailed { call_id, mic: None });
            Err(DialError::Unsupported)
        }
    }
}

/// How long a dial waits for the live channel's hello: 50 × 100 ms.
const HELLO_WAITS: u32 = 50;
const HELLO_POLL_MS: i32 = 100;

/// Resolves after `ms` milliseconds.
pub(super) async fn sleep(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(window) = web_sys::window() {
            let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Takes up a call placed through the REST API: microphone and offer, as if dialled here.
fn take_up(phone: Phone, call_id: String) {
    leptos::task::spawn_local(async move {
        let audio = remote_audio();
        media::play(&audio);
        let stream = match media::open_mic(&phone.input.get_untracked()).await {
            Ok(stream) => stream,
            Err(problem) => {
                let mic = Some(problem);
                run(phone, Input::OfferFailed { call_id, mic });
                return;
            }
        };
        match media::offer(phone, stream, audio).await {
            Ok(sdp) => {
                run(phone, Input::OfferMade { call_id, sdp });
            }
            Err(detail) => {
                leptos::logging::warn!("taking up the call failed: {detail:?}");
                run(phone, Input::OfferFailed { call_id, mic: None });
            }
        }
    });
}

fn set_remote_answer(phone: Phone, call_id: &str, sdp: &str) {
    let Some(pc) = with(|e| e.media.as_ref().map(|m| m.pc.clone())) else {
        return;
    };
    let answer = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
    answer.set_sdp(sdp);
    let call_id = call_id.to_string();
    leptos::task::spawn_local(async move {
        if JsFuture::from(pc.set_remote_description(&answer))
            .await
            .is_err()
        {
            run(phone, Input::AnswerRefused { call_id });
        }
    });
}

pub fn hangup(phone: Phone) {
    run(phone, Input::Hangup);
}

/// The agent's answer to a call in ringing (`answer`) or its refusal.
pub fn answer_incoming(phone: Phone, call_id: String, answer: bool) {
    run(
        phone,
        if answer {
            Input::AnswerIncoming { call_id }
        } else {
            Input::DeclineIncoming { call_id }
        },
    );
}

/// Plays (looped, on the chosen output) or stops the sound of calls in ringing: our own files
/// in `public/sounds/` (made by `telephony::tones`). A browser that refuses to play before any
/// gesture on the page still shows the ringing call.
fn ring(tone: Ringtone, output: &str) {
    if let Some(old) = with(|e| e.ring.take()) {
        let _ = old.pause();
        old.remove();
    }
    let file = match tone {
        Ringtone::Off => return,
        Ringtone::Ring => "/sounds/ringtone.wav",
        Ringtone::Waiting => "/sounds/call-waiting.wav",
    };
    let Ok(audio) = HtmlAudioElement::new_with_src(file) else {
        return;
    };
    audio.set_loop(true);
    let _ = audio.set_attribute("data-testid", "ringtone");
    let _ = audio.set_attribute("data-tone", file);
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.append_child(&audio);
    }
    if !output.is_empty() {
        media::call_and_settle(&audio, "setSinkId", &JsValue::from_str(output));
    }
    media::play(&audio);
    with(|e| e.ring = Some(audio));
}

/// The agent's answer to the confirmation of a REST call.
pub fn confirm(phone: Phone, call_id: String, take_up: bool) {
    run(
        phone,
        if take_up {
            Input::Confirmed { call_id }
        } else {
            Input::Declined { call_id }
        },
    );
}

pub fn set_muted(phone: Phone, muted: bool) {
    run(phone, Input::Mute(muted));
}

pub fn set_on_hold(phone: Phone, on_hold: bool) {
    run(phone, Input::Hold(on_hold));
}

pub fn transfer(phone: Phone, to: String, consult: bool) {
    run(phone, Input::Transfer { to, consult });
}

/// Sends the call on to `number`; with `consult`, the agent talks with it first.
pub fn transfer_to_number(phone: Phone, number: String, consult: bool) {
    run(phone, Input::TransferToNumber { number, consult });
}

/// Connects the far end with the number being consulted.
pub fn complete_transfer(phone: Phone) {
    run(phone, Input::CompleteTransfer);
}

pub fn record(phone: Phone, action: crate::api::live::RecordAction) {
    run(phone, Input::Record(action));
}

pub(super) fn mic_lost(phone: Phone) {
    run(phone, Input::MicLost);
}

/// A key on the call's keypad: its tone here, then the core says how it reaches the far end.
pub fn dtmf(phone: Phone, key: char) {
    crate::browser::key_tone(key);
    run(phone, Input::Key(key));
}

/// Closes this tab's audio for the call.
fn teardown(phone: Phone) {
    // Taken out first and dropped outside the borrow: dropping closes and detaches.
    let (media, meter, audio) = with(|e| (e.media.take(), e.meter.take(), e.audio.clone()));
    // How the call sounded here, kept with it (shown on its page in Recents). A tab closed
    // mid-call sends none.
    if let Some((call_id, summary)) = media.as_ref().and_then(|m| m.quality_summary()) {
        send(&ClientMessage::CallQuality { call_id, summary });
    }
    drop(media);
    drop(meter);
    meeting::close();
    if let Some(audio) = audio {
        audio.set_src_object(None);
    }
    phone.muted.set(false);
    phone.mic_level.set(0.0);
}

/// The hidden `<audio>` element that plays the far end.
pub(super) fn remote_audio() -> HtmlAudioElement {
    if let Some(a) = with(|e| e.audio.clone()) {
        return a;
    }
    let audio = HtmlAudioElement::new().expect("audio elements exist");
    audio.set_autoplay(true);
    let _ = audio.set_attribute("data-testid", "remote-audio");
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.append_child(&audio);
    }
    with(|e| e.audio = Some(audio.clone()));
    audio
}

pub fn unlock_audio() {
    crate::browser::resume_audio();
}

fn keep_screen_on() {
    if with(|e| e.wake.is_some()) {
        return;
    }
    let Some(navigator) = web_sys::window().map(|w| w.navigator()) else {
        return;
    };
    let lock = media::get(&navigator, "wakeLock");
    if lock.is_undefined() {
        return;
    }
    if let Some(p) = media::call_method(&lock, "request", &JsValue::from_str("screen")) {
        if let Ok(p) = p.dyn_into::<js_sys::Promise>() {
            leptos::task::spawn_local(async move {
                if let Ok(sentinel) = JsFuture::from(p).await {
                    // The call may have ended while the browser was granting the lock.
                    if with(|e| e.core.screen_kept()) {
                        with(|e| e.wake = Some(sentinel));
                    } else {
                        media::call_and_settle(&sentinel, "release", &JsValue::UNDEFINED);
                    }
                }
            });
        }
    }
}
