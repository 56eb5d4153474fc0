//! Browser only: the live WebSocket, the microphone, the RTCPeerConnection (G.711 +
//! telephone-event only), the speaker, the level meter and the screen wake lock.

use std::cell::RefCell;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AnalyserNode, AudioContext, HtmlAudioElement, MediaDeviceInfo, MediaDeviceKind, MediaStream,
    MediaStreamConstraints, MediaStreamTrack, MediaTrackConstraints, MessageEvent,
    RtcConfiguration, RtcIceServer, RtcPeerConnection, RtcRtpReceiver, RtcRtpSender,
    RtcRtpTransceiverDirection, RtcRtpTransceiverInit, RtcSdpType, RtcSessionDescriptionInit,
    RtcTrackEvent, WebSocket,
};

use super::{DialError, MicProblem, Phone, INPUT_DEVICE, OUTPUT_DEVICE};
use crate::api::live::{ClientMessage, IceServer, ServerMessage, PATH};
use crate::domain::call::CallState;
use crate::domain::numbers::Country;

#[derive(Default)]
struct Engine {
    ws: Option<WebSocket>,
    ice_servers: Vec<IceServer>,
    pc: Option<RtcPeerConnection>,
    sender: Option<RtcRtpSender>,
    stream: Option<MediaStream>,
    audio: Option<HtmlAudioElement>,
    wake: Option<JsValue>,
    meter: Option<Meter>,
    call_id: Option<String>,
    /// A call placed through the REST API that this tab is taking up (its offer is out).
    taking_up: Option<String>,
    backoff_ms: u32,
}

struct Meter {
    _ctx: AudioContext,
    timer: IntervalHandle,
    /// The stream opened only for a microphone test (stopped with the meter).
    test_stream: Option<MediaStream>,
}

thread_local! {
    static ENGINE: RefCell<Engine> = RefCell::new(Engine::default());
}

fn with<T>(f: impl FnOnce(&mut Engine) -> T) -> T {
    ENGINE.with(|e| f(&mut e.borrow_mut()))
}

fn get(target: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Calls `target[method](arg)` if the browser has it.
fn call_method(target: &JsValue, method: &str, arg: &JsValue) -> Option<JsValue> {
    let f = get(target, method).dyn_into::<js_sys::Function>().ok()?;
    f.call1(target, arg).ok()
}

pub fn start(phone: Phone) {
    phone
        .input
        .set(crate::browser::local_get(INPUT_DEVICE).unwrap_or_default());
    phone
        .output
        .set(crate::browser::local_get(OUTPUT_DEVICE).unwrap_or_default());
    let selectable = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("audio").ok())
        .is_some_and(|a| {
            js_sys::Reflect::has(&a, &JsValue::from_str("setSinkId")).unwrap_or(false)
        });
    phone.outputs.update(|o| o.selectable = selectable);
    if let Some(devices) = media_devices() {
        let on_change = Closure::<dyn FnMut()>::new(move || refresh_devices(phone));
        devices.set_ondevicechange(Some(on_change.as_ref().unchecked_ref()));
        on_change.forget();
    }
    refresh_devices(phone);
    connect(phone);
}

fn media_devices() -> Option<web_sys::MediaDevices> {
    web_sys::window()?.navigator().media_devices().ok()
}

// ---------------------------------------------------------------------------------------------
// The live channel

fn connect(phone: Phone) {
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
    // The handlers live as long as the page: one small closure set per (re)connection.
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |ev: MessageEvent| {
        if let Some(text) = ev.data().as_string() {
            if let Ok(message) = serde_json::from_str::<ServerMessage>(&text) {
                on_server_message(phone, message);
            }
        }
    });
    let on_open = Closure::<dyn FnMut()>::new(move || {
        with(|e| e.backoff_ms = 0);
        phone.channel_up.set(true);
    });
    let on_close = Closure::<dyn FnMut()>::new(move || {
        phone.channel_up.set(false);
        phone.connection.set(None);
        let delay = with(|e| {
            e.ws = None;
            e.backoff_ms = (e.backoff_ms * 2).clamp(1000, 15_000);
            e.backoff_ms
        });
        set_timeout(
            move || connect(phone),
            std::time::Duration::from_millis(delay as u64),
        );
    });
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    on_message.forget();
    on_open.forget();
    on_close.forget();
    with(|e| e.ws = Some(ws));
}

fn send(message: &ClientMessage) -> bool {
    let Ok(text) = serde_json::to_string(message) else {
        return false;
    };
    with(|e| {
        e.ws.as_ref()
            .filter(|ws| ws.ready_state() == WebSocket::OPEN)
            .is_some_and(|ws| ws.send_with_str(&text).is_ok())
    })
}

fn on_server_message(phone: Phone, message: ServerMessage) {
    match message {
        ServerMessage::Hello {
            connection,
            call,
            ice_servers,
        } => {
            // A new connection: any audio this tab held belonged to the old one, whose
            // closing ended that call on the server.
            teardown(phone);
            with(|e| e.ice_servers = ice_servers);
            phone.connection.set(Some(connection));
            phone.call.set(call);
        }
        ServerMessage::Answer { call_id, sdp } => {
            with(|e| {
                if e.taking_up.as_deref() == Some(call_id.as_str()) {
                    e.taking_up = None;
                }
            });
            let pc = with(|e| {
                e.pc.clone()
                    .filter(|_| e.call_id.as_deref() == Some(call_id.as_str()))
            });
            if let Some(pc) = pc {
                let answer = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
                answer.set_sdp(&sdp);
                leptos::task::spawn_local(async move {
                    if JsFuture::from(pc.set_remote_description(&answer))
                        .await
                        .is_err()
                    {
                        phone
                            .notice
                            .set(Some("the server's audio answer was not accepted".into()));
                        hangup(phone);
                    }
                });
            }
        }
        ServerMessage::Call { call } => {
            let mine = with(|e| e.call_id.as_deref() == Some(call.id.as_str()));
            match &call.state {
                CallState::Ended { .. } => {
                    if mine {
                        teardown(phone);
                    }
                    let id = call.id.clone();
                    phone.call.set(None);
                    phone.ended.set(Some(call));
                    set_timeout(
                        move || {
                            if phone.ended.get_untracked().is_some_and(|c| c.id == id) {
                                phone.ended.set(None);
                            }
                        },
                        std::time::Duration::from_secs(6),
                    );
                }
                state => {
                    if mine && matches!(state, CallState::Connected { .. }) {
                        keep_screen_on();
                    }
                    let unclaimed = call.from_api && call.media_connection.is_none();
                    let id = call.id.clone();
                    phone.ended.set(None);
                    phone.call.set(Some(call));
                    if unclaimed {
                        offer_to_take_up(phone, id);
                    }
                }
            }
        }
        ServerMessage::Error { call_id, message } => {
            let lost =
                call_id.is_some() && with(|e| e.taking_up.is_some() && e.taking_up == call_id);
            if lost {
                // Another tab took the call up first: it has the audio, this tab shows the call.
                with(|e| e.taking_up = None);
                teardown(phone);
            } else {
                phone.notice.set(Some(message));
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Calls

pub async fn dial(phone: Phone, input: String, country: Country) -> Result<(), DialError> {
    unlock_audio();
    // A message about the last call's requests does not belong to this one.
    phone.notice.set(None);
    // Started inside the user's gesture, so the browser lets it play later.
    let audio = remote_audio();
    let _ = audio.play();
    if !phone.channel_up.get_untracked() {
        return Err(DialError::NoChannel);
    }
    let stream = open_mic(&phone.input.get_untracked())
        .await
        .map_err(DialError::Mic)?;
    phone.mic_problem.set(None);
    refresh_devices(phone);
    let ticket = match crate::api::calls::start_call(input, Some(country)).await {
        Ok(t) => t,
        Err(e) => {
            stop(&stream);
            return Err(DialError::Api(e));
        }
    };
    with(|e| e.call_id = Some(ticket.call_id.clone()));
    match offer(phone, &ticket.call_id, stream, audio).await {
        Ok(()) => Ok(()),
        Err(detail) => {
            leptos::logging::warn!("call setup failed: {detail:?}");
            hangup(phone);
            Err(DialError::Unsupported)
        }
    }
}

/// A call placed through the REST API (click to dial from another app): a visible tab takes
/// it up at once, a tab in the background a moment later if no other tab has, just as if it had
/// been dialled here. The server gives the audio to the first offer.
fn offer_to_take_up(phone: Phone, call_id: String) {
    let busy = with(|e| e.call_id.is_some() || e.taking_up.is_some());
    if busy {
        return;
    }
    let visible = web_sys::window()
        .and_then(|w| w.document())
        .is_none_or(|d| get(&d, "visibilityState").as_string().as_deref() != Some("hidden"));
    let delay = if visible { 0 } else { 1500 };
    set_timeout(
        move || {
            let still_unclaimed = phone.call.get_untracked().is_some_and(|c| {
                c.id == call_id
                    && c.media_connection.is_none()
                    && !matches!(c.state, CallState::Ended { .. })
            });
            let busy = with(|e| e.call_id.is_some() || e.taking_up.is_some());
            if !still_unclaimed || busy {
                return;
            }
            with(|e| {
                e.call_id = Some(call_id.clone());
                e.taking_up = Some(call_id.clone());
            });
            leptos::task::spawn_local(async move {
                let audio = remote_audio();
                let _ = audio.play();
                let stream = match open_mic(&phone.input.get_untracked()).await {
                    Ok(stream) => stream,
                    Err(problem) => {
                        phone.mic_problem.set(Some(problem));
                        with(|e| e.taking_up = None);
                        hangup(phone);
                        return;
                    }
                };
                if let Err(detail) = offer(phone, &call_id, stream, audio).await {
                    leptos::logging::warn!("taking up the call failed: {detail:?}");
                    with(|e| e.taking_up = None);
                    hangup(phone);
                }
            });
        },
        std::time::Duration::from_millis(delay),
    );
}

async fn offer(
    phone: Phone,
    call_id: &str,
    stream: MediaStream,
    audio: HtmlAudioElement,
) -> Result<(), JsValue> {
    let config = RtcConfiguration::new();
    let servers = js_sys::Array::new();
    for s in with(|e| e.ice_servers.clone()) {
        let server = RtcIceServer::new();
        let urls: js_sys::Array = s.urls.iter().map(|u| JsValue::from_str(u)).collect();
        server.set_urls(&urls);
        if let Some(u) = &s.username {
            server.set_username(u);
        }
        if let Some(c) = &s.credential {
            server.set_credential(c);
        }
        servers.push(&server);
    }
    config.set_ice_servers(&servers);
    let pc = RtcPeerConnection::new_with_configuration(&config)?;
    let track: MediaStreamTrack = stream.get_audio_tracks().get(0).dyn_into()?;
    let on_ended = Closure::<dyn FnMut()>::new(move || {
        phone.mic_problem.set(Some(MicProblem::Lost));
    });
    track.set_onended(Some(on_ended.as_ref().unchecked_ref()));
    on_ended.forget();
    let init = RtcRtpTransceiverInit::new();
    init.set_direction(RtcRtpTransceiverDirection::Sendrecv);
    init.set_streams(&js_sys::Array::of1(&stream));
    let transceiver = pc.add_transceiver_with_media_stream_track_and_init(&track, &init);
    prefer_g711(&transceiver);
    let on_track = Closure::<dyn FnMut(RtcTrackEvent)>::new(move |ev: RtcTrackEvent| {
        if let Ok(remote) = ev.streams().get(0).dyn_into::<MediaStream>() {
            audio.set_src_object(Some(&remote));
            let _ = audio.play();
        }
    });
    pc.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
    on_track.forget();
    let offer = JsFuture::from(pc.create_offer()).await?;
    let sdp = get(&offer, "sdp").as_string().unwrap_or_default();
    let local = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
    local.set_sdp(&sdp);
    JsFuture::from(pc.set_local_description(&local)).await?;
    start_meter(phone, &stream, None);
    with(|e| {
        e.pc = Some(pc);
        e.sender = Some(transceiver.sender());
        e.stream = Some(stream);
    });
    apply_output(&phone.output.get_untracked());
    if !send(&ClientMessage::Offer {
        call_id: call_id.to_string(),
        sdp,
    }) {
        return Err(JsValue::from_str("the live channel closed"));
    }
    Ok(())
}

/// Offers only what the telephone network carries: G.711 (μ-law first) and DTMF events.
fn prefer_g711(transceiver: &web_sys::RtcRtpTransceiver) {
    let Some(caps) = RtcRtpReceiver::get_capabilities("audio") else {
        return;
    };
    let wanted = ["audio/pcmu", "audio/pcma", "audio/telephone-event"];
    let mut picked: Vec<(usize, JsValue)> = js_sys::Array::from(&get(&caps, "codecs"))
        .iter()
        .filter_map(|c| {
            let mime = get(&c, "mimeType").as_string()?.to_ascii_lowercase();
            let rate = get(&c, "clockRate").as_f64()?;
            let rank = wanted.iter().position(|w| *w == mime)?;
            (rate == 8000.0).then_some((rank, c))
        })
        .collect();
    picked.sort_by_key(|(rank, _)| *rank);
    let list: js_sys::Array = picked.into_iter().map(|(_, c)| c).collect();
    if list.length() > 0 {
        call_method(transceiver, "setCodecPreferences", &list);
    }
}

pub fn hangup(phone: Phone) {
    let id = phone
        .call
        .get_untracked()
        .map(|c| c.id)
        .or_else(|| with(|e| e.call_id.clone()));
    let sent = id.is_some_and(|call_id| send(&ClientMessage::Hangup { call_id }));
    if !sent {
        // No channel: the server ends the call when it notices; stop our side now.
        teardown(phone);
        phone.call.set(None);
    }
}

pub fn set_muted(phone: Phone, muted: bool) {
    let tracks = with(|e| e.stream.as_ref().map(|s| s.get_audio_tracks()));
    if let Some(tracks) = tracks {
        for t in tracks.iter() {
            if let Ok(t) = t.dyn_into::<MediaStreamTrack>() {
                // A disabled track sends silence: the far end really hears nothing.
                t.set_enabled(!muted);
            }
        }
    }
    phone.muted.set(muted);
    if let Some(call) = phone.call.get_untracked() {
        send(&ClientMessage::Mute {
            call_id: call.id,
            muted,
        });
    }
}

pub fn record(phone: Phone, action: crate::api::live::RecordAction) {
    // Without a channel nothing is sent; the call screen says the channel is down.
    if let Some(call) = phone.call.get_untracked() {
        phone.notice.set(None);
        send(&ClientMessage::Record {
            call_id: call.id,
            action,
        });
    }
}

pub fn retry_mic(phone: Phone) {
    leptos::task::spawn_local(async move {
        let stream = match open_mic(&phone.input.get_untracked()).await {
            Ok(s) => s,
            Err(p) => {
                phone.mic_problem.set(Some(p));
                return;
            }
        };
        let Ok(track) = stream
            .get_audio_tracks()
            .get(0)
            .dyn_into::<MediaStreamTrack>()
        else {
            return;
        };
        track.set_enabled(!phone.muted.get_untracked());
        let on_ended = Closure::<dyn FnMut()>::new(move || {
            phone.mic_problem.set(Some(MicProblem::Lost));
        });
        track.set_onended(Some(on_ended.as_ref().unchecked_ref()));
        on_ended.forget();
        let Some(sender) = with(|e| e.sender.clone()) else {
            stop(&stream);
            return;
        };
        // replaceTrack swaps the audio without a new offer/answer.
        let Some(promise) = call_method(&sender, "replaceTrack", &track)
            .and_then(|p| p.dyn_into::<js_sys::Promise>().ok())
        else {
            stop(&stream);
            return;
        };
        if JsFuture::from(promise).await.is_err() {
            stop(&stream);
            phone.mic_problem.set(Some(MicProblem::Other(
                "the new microphone could not be used".into(),
            )));
            return;
        }
        let old = with(|e| e.stream.replace(stream.clone()));
        if let Some(old) = old {
            stop(&old);
        }
        start_meter(phone, &stream, None);
        phone.mic_problem.set(None);
    });
}

pub fn dtmf(key: char) {
    crate::browser::key_tone(key);
    let sender = with(|e| e.sender.as_ref().map(|s| get(s, "dtmf")));
    if let Some(dtmf) = sender.filter(|d| !d.is_null() && !d.is_undefined()) {
        // Through Reflect: insertDTMF throws when the sender cannot send tones, and an
        // exception must not cross into Rust.
        if let Ok(f) = get(&dtmf, "insertDTMF").dyn_into::<js_sys::Function>() {
            let _ = f.call2(
                &dtmf,
                &JsValue::from_str(&key.to_string()),
                &JsValue::from(100),
            );
        }
    }
}

/// Closes this tab's audio for the call.
fn teardown(phone: Phone) {
    let (pc, stream, audio, wake) = with(|e| {
        e.call_id = None;
        e.taking_up = None;
        e.sender = None;
        e.meter = None;
        (e.pc.take(), e.stream.take(), e.audio.clone(), e.wake.take())
    });
    if let Some(pc) = pc {
        pc.close();
    }
    if let Some(stream) = stream {
        stop(&stream);
    }
    if let Some(audio) = audio {
        audio.set_src_object(None);
    }
    if let Some(wake) = wake {
        call_method(&wake, "release", &JsValue::UNDEFINED);
    }
    phone.muted.set(false);
    phone.mic_level.set(0.0);
}

fn stop(stream: &MediaStream) {
    for t in stream.get_tracks().iter() {
        if let Ok(t) = t.dyn_into::<MediaStreamTrack>() {
            t.stop();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Devices

async fn open_mic(device: &str) -> Result<MediaStream, MicProblem> {
    let devices = media_devices()
        .ok_or_else(|| MicProblem::Other("no media devices in this browser".into()))?;
    let audio = MediaTrackConstraints::new();
    audio.set_echo_cancellation_bool(true);
    audio.set_noise_suppression_bool(true);
    audio.set_auto_gain_control_bool(true);
    if !device.is_empty() {
        // `ideal`: a device that went away falls back to the default one.
        let ideal = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&ideal, &"ideal".into(), &JsValue::from_str(device));
        audio.set_device_id(&ideal);
    }
    let constraints = MediaStreamConstraints::new();
    constraints.set_audio(&audio);
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| mic_problem(&e))?;
    let stream = JsFuture::from(promise).await.map_err(|e| mic_problem(&e))?;
    stream
        .dyn_into::<MediaStream>()
        .map_err(|_| MicProblem::Other("no stream".into()))
}

fn mic_problem(error: &JsValue) -> MicProblem {
    let name = get(error, "name").as_string().unwrap_or_default();
    match name.as_str() {
        "NotAllowedError" | "SecurityError" => MicProblem::Blocked,
        "NotFoundError" | "OverconstrainedError" => MicProblem::Missing,
        "NotReadableError" | "AbortError" => MicProblem::Busy,
        _ => MicProblem::Other(get(error, "message").as_string().unwrap_or(name)),
    }
}

pub fn refresh_devices(phone: Phone) {
    let Some(devices) = media_devices() else {
        return;
    };
    let Ok(promise) = devices.enumerate_devices() else {
        return;
    };
    leptos::task::spawn_local(async move {
        let Ok(list) = JsFuture::from(promise).await else {
            return;
        };
        let (mut inputs, mut outputs) = (Vec::new(), Vec::new());
        for d in js_sys::Array::from(&list).iter() {
            let Ok(d) = d.dyn_into::<MediaDeviceInfo>() else {
                continue;
            };
            // Without permission the browser hides labels (and ids): nothing useful to list.
            if d.label().is_empty() || d.device_id().is_empty() {
                continue;
            }
            match d.kind() {
                MediaDeviceKind::Audioinput => inputs.push((d.device_id(), d.label())),
                MediaDeviceKind::Audiooutput => outputs.push((d.device_id(), d.label())),
                _ => {}
            }
        }
        phone.inputs.set(inputs);
        phone.outputs.update(|o| o.devices = outputs);
    });
}

/// Sends the call's audio to `device` (where the browser allows choosing).
pub fn apply_output(device: &str) {
    if let Some(audio) = with(|e| e.audio.clone()) {
        if let Some(p) = call_method(&audio, "setSinkId", &JsValue::from_str(device)) {
            if let Ok(p) = p.dyn_into::<js_sys::Promise>() {
                leptos::task::spawn_local(async move {
                    let _ = JsFuture::from(p).await;
                });
            }
        }
    }
}

/// The hidden `<audio>` element that plays the far end.
fn remote_audio() -> HtmlAudioElement {
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
    let lock = get(&navigator, "wakeLock");
    if lock.is_undefined() {
        return;
    }
    if let Some(p) = call_method(&lock, "request", &JsValue::from_str("screen")) {
        if let Ok(p) = p.dyn_into::<js_sys::Promise>() {
            leptos::task::spawn_local(async move {
                if let Ok(sentinel) = JsFuture::from(p).await {
                    with(|e| e.wake = Some(sentinel));
                }
            });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Level meter

fn start_meter(phone: Phone, stream: &MediaStream, test_stream: Option<MediaStream>) {
    let Ok(ctx) = AudioContext::new() else { return };
    let Ok(source) = ctx.create_media_stream_source(stream) else {
        return;
    };
    let Ok(analyser) = AnalyserNode::new(&ctx) else {
        return;
    };
    analyser.set_fft_size(512);
    let _ = source.connect_with_audio_node(&analyser);
    let buf = RefCell::new(vec![0f32; 512]);
    let reader = analyser.clone();
    let Ok(timer) = set_interval_with_handle(
        move || {
            let mut buf = buf.borrow_mut();
            reader.get_float_time_domain_data(&mut buf);
            let rms = (buf.iter().map(|v| v * v).sum::<f32>() / buf.len() as f32).sqrt();
            phone.mic_level.set((rms * 5.0).min(1.0));
        },
        std::time::Duration::from_millis(100),
    ) else {
        return;
    };
    with(|e| {
        e.meter = Some(Meter {
            _ctx: ctx,
            timer,
            test_stream,
        })
    });
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.timer.clear();
        let _ = self._ctx.close();
        if let Some(s) = &self.test_stream {
            stop(s);
        }
    }
}

pub fn test_mic(phone: Phone, on: bool) {
    if !on || with(|e| e.pc.is_some()) {
        if with(|e| e.pc.is_none()) {
            with(|e| e.meter = None);
        }
        phone.mic_testing.set(false);
        phone.mic_level.set(0.0);
        return;
    }
    leptos::task::spawn_local(async move {
        match open_mic(&phone.input.get_untracked()).await {
            Ok(stream) => {
                phone.mic_problem.set(None);
                phone.mic_testing.set(true);
                start_meter(phone, &stream, Some(stream.clone()));
                refresh_devices(phone);
            }
            Err(p) => phone.mic_problem.set(Some(p)),
        }
    });
}
