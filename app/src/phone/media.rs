//! Browser only: the microphone, the RTCPeerConnection (G.711 + telephone-event only), the
//! device lists, the speaker choice and the level meter (the meter also on the Chime path). What to do when is decided in `core`;
//! `engine` calls these.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AnalyserNode, AudioContext, HtmlAudioElement, MediaDeviceInfo, MediaDeviceKind, MediaStream,
    MediaStreamConstraints, MediaStreamTrack, MediaTrackConstraints, RtcConfiguration,
    RtcIceServer, RtcPeerConnection, RtcRtpReceiver, RtcRtpSender, RtcRtpTransceiverDirection,
    RtcRtpTransceiverInit, RtcSdpType, RtcSessionDescriptionInit, RtcTrackEvent,
};

use super::engine::{mic_lost, with};
use super::{CallQuality, MicProblem, Phone};
use crate::domain::call::CallState;
use crate::domain::quality::{bars, Counters, Monitor, Sampler, Summary};

pub(super) fn get(target: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// Calls `target[method](arg)` if the browser has it.
pub(super) fn call_method(target: &JsValue, method: &str, arg: &JsValue) -> Option<JsValue> {
    let f = get(target, method).dyn_into::<js_sys::Function>().ok()?;
    f.call1(target, arg).ok()
}

/// Calls `target[method](arg)` for its effect and lets its promise settle. A rejected promise
/// that nobody handles is a page error, and these rejections are expected (an output unplugged
/// since it was chosen, a wake lock already released).
pub(super) fn call_and_settle(target: &JsValue, method: &str, arg: &JsValue) {
    if let Some(Ok(p)) = call_method(target, method, arg).map(|p| p.dyn_into::<js_sys::Promise>()) {
        settle(p);
    }
}

/// Starts `audio` playing. The unlock inside the user's gesture (an element with no source yet)
/// is rejected as soon as the call's stream loads into it ("interrupted by a new load request"):
/// expected, so the promise is left to settle rather than become a page error.
pub(super) fn play(audio: &HtmlAudioElement) {
    if let Ok(playing) = audio.play() {
        settle(playing);
    }
}

fn settle(promise: js_sys::Promise) {
    leptos::task::spawn_local(async move {
        let _ = JsFuture::from(promise).await;
    });
}

pub(super) fn media_devices() -> Option<web_sys::MediaDevices> {
    web_sys::window()?.navigator().media_devices().ok()
}

/// Whether `setSinkId` exists, so the output can be chosen.
pub(super) fn output_selectable() -> bool {
    web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("audio").ok())
        .is_some_and(|a| js_sys::Reflect::has(&a, &JsValue::from_str("setSinkId")).unwrap_or(false))
}

// ---------------------------------------------------------------------------------------------
// The call's audio

/// The call's peer connection and microphone, with their handlers; dropping it closes the
/// connection, stops the microphone and detaches the handlers.
pub(super) struct Media {
    pub(super) pc: RtcPeerConnection,
    sender: Option<RtcRtpSender>,
    stream: MediaStream,
    mic: Option<TrackWatch>,
    _on_track: Option<Closure<dyn FnMut(RtcTrackEvent)>>,
    /// The call's statistics, read each second for its quality (stopped with the call).
    quality: Option<QualityProbe>,
}

impl Media {
    /// How the call sounded in this tab (its id and summary), once it has been sampled.
    pub(super) fn quality_summary(&self) -> Option<(String, Summary)> {
        self.quality.as_ref()?.summary()
    }

    pub(super) fn enable_mic(&self, on: bool) {
        for t in self.stream.get_audio_tracks().iter() {
            if let Ok(t) = t.dyn_into::<MediaStreamTrack>() {
                // A disabled track sends silence: the far end really hears nothing.
                t.set_enabled(on);
            }
        }
    }

    /// Sends a DTMF key (RFC 4733) through the sender's `RTCDTMFSender`.
    pub(super) fn insert_dtmf(&self, key: char) {
        let dtmf = self.sender.as_ref().map(|s| get(s, "dtmf"));
        if let Some(dtmf) = dtmf.filter(|d| !d.is_null() && !d.is_undefined()) {
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
}

impl Drop for Media {
    fn drop(&mut self) {
        self.pc.set_ontrack(None);
        self.pc.close();
        stop(&self.stream);
    }
}

// ---------------------------------------------------------------------------------------------
// Call quality

/// Reads the peer connection's statistics once a second while the call is connected (not on
/// hold), turns them into samples for the quality monitor (`domain::quality`) and shows its
/// bars and warnings on the call screen (`phone.quality`). Dropped with the call's audio.
struct QualityProbe {
    phone: Phone,
    interval: i32,
    /// The samples so far, and the call they were taken on (the summary is kept with it).
    state: Rc<RefCell<ProbeState>>,
    _tick: Closure<dyn FnMut()>,
}

#[derive(Default)]
struct ProbeState {
    sampler: Sampler,
    monitor: Monitor,
    call_id: Option<String>,
}

impl QualityProbe {
    fn start(phone: Phone, pc: RtcPeerConnection) -> Option<QualityProbe> {
        let state = Rc::new(RefCell::new(ProbeState::default()));
        let probe_state = state.clone();
        let tick = Closure::<dyn FnMut()>::new(move || {
            let talking = phone.call.with_untracked(|c| {
                c.as_ref()
                    .filter(|c| matches!(c.state, CallState::Connected { on_hold: false, .. }))
                    .map(|c| c.id.clone())
            });
            let Some(call_id) = talking else {
                return;
            };
            let (pc, state) = (pc.clone(), state.clone());
            leptos::task::spawn_local(async move {
                let Ok(report) = JsFuture::from(pc.get_stats()).await else {
                    return;
                };
                let (counters, level) = read_stats(&report);
                // A muted microphone is silent by choice: its level is not looked at.
                let level = if phone.muted.get_untracked() {
                    None
                } else {
                    level.or(Some(f64::from(phone.mic_level.get_untracked())))
                };
                let shown = {
                    let mut state = state.borrow_mut();
                    let ProbeState {
                        sampler,
                        monitor,
                        call_id: on,
                    } = &mut *state;
                    monitor.push(sampler.sample(counters, level), js_sys::Date::now() as u64);
                    *on = Some(call_id);
                    CallQuality {
                        bars: monitor.latest_mos().map(bars),
                        warnings: monitor.active(),
                    }
                };
                if phone.quality.with_untracked(|q| *q != shown) {
                    let _ = phone.quality.try_set(shown);
                }
            });
        });
        let interval = web_sys::window()?
            .set_interval_with_callback_and_timeout_and_arguments_0(
                tick.as_ref().unchecked_ref(),
                1000,
            )
            .ok()?;
        Some(QualityProbe {
            phone,
            interval,
            state: probe_state,
            _tick: tick,
        })
    }

    /// The call the samples were taken on and their summary; none before the first sample.
    fn summary(&self) -> Option<(String, Summary)> {
        let state = self.state.borrow();
        let call_id = state.call_id.clone()?;
        Some((call_id, state.monitor.summary().clone()))
    }
}

impl Drop for QualityProbe {
    fn drop(&mut self) {
        if let Some(w) = web_sys::window() {
            w.clear_interval_with_handle(self.interval);
        }
        let _ = self.phone.quality.try_set(CallQuality::default());
    }
}

/// The counters of an `RTCStatsReport`: the audio received (`inbound-rtp`), the round trip of
/// the selected candidate pair (else the far end's reports, `remote-inbound-rtp`), and the
/// level of what the microphone sends (`media-source`).
pub(super) fn read_stats(report: &JsValue) -> (Counters, Option<f64>) {
    let mut counters = Counters::default();
    let (mut level, mut pair_rtt, mut remote_rtt) = (None, None, None);
    let Ok(Some(entries)) = js_sys::try_iter(report) else {
        return (counters, None);
    };
    for entry in entries.flatten() {
        let stat = js_sys::Array::from(&entry).get(1);
        let number = |key: &str| get(&stat, key).as_f64();
        let audio = get(&stat, "kind").as_string().as_deref() == Some("audio");
        match get(&stat, "type").as_string().as_deref() {
            Some("inbound-rtp") if audio => {
                counters.packets_received = number("packetsReceived").unwrap_or(0.0) as u64;
                counters.packets_lost = number("packetsLost").unwrap_or(0.0) as i64;
                counters.bytes_received = number("bytesReceived").unwrap_or(0.0) as u64;
                counters.jitter_ms = number("jitter").unwrap_or(0.0) * 1000.0;
            }
            Some("remote-inbound-rtp") if audio => {
                remote_rtt = number("roundTripTime").map(|s| s * 1000.0);
            }
            Some("candidate-pair")
                if get(&stat, "nominated").as_bool() == Some(true)
                    && get(&stat, "state").as_string().as_deref() == Some("succeeded") =>
            {
                pair_rtt = number("currentRoundTripTime").map(|s| s * 1000.0);
            }
            Some("media-source") if audio => level = number("audioLevel"),
            _ => {}
        }
    }
    counters.rtt_ms = pair_rtt.or(remote_rtt);
    (counters, level)
}

/// A microphone track with the handler that reports it lost (unplugged, permission revoked).
pub(super) struct TrackWatch {
    track: MediaStreamTrack,
    _on_ended: Closure<dyn FnMut()>,
}

impl TrackWatch {
    fn new(phone: Phone, track: MediaStreamTrack) -> Self {
        let on_ended = Closure::<dyn FnMut()>::new(move || mic_lost(phone));
        track.set_onended(Some(on_ended.as_ref().unchecked_ref()));
        TrackWatch {
            track,
            _on_ended: on_ended,
        }
    }
}

/// Watches the first audio track of `stream`, if it has one.
pub(super) fn watch_mic(phone: Phone, stream: &MediaStream) -> Option<TrackWatch> {
    let track = stream.get_audio_tracks().get(0);
    track
        .dyn_into::<MediaStreamTrack>()
        .ok()
        .map(|track| TrackWatch::new(phone, track))
}

impl Drop for TrackWatch {
    fn drop(&mut self) {
        self.track.set_onended(None);
    }
}

/// Builds the peer connection for `stream` and returns the local offer's SDP. The connection is
/// the engine's from the start, so a teardown during the set-up closes it.
pub(super) async fn offer(
    phone: Phone,
    stream: MediaStream,
    audio: HtmlAudioElement,
) -> Result<String, JsValue> {
    let pc = match RtcPeerConnection::new_with_configuration(&rtc_configuration()) {
        Ok(pc) => pc,
        Err(e) => {
            stop(&stream);
            return Err(e);
        }
    };
    let track = stream
        .get_audio_tracks()
        .get(0)
        .dyn_into::<MediaStreamTrack>();
    let mic = track
        .as_ref()
        .ok()
        .map(|t| TrackWatch::new(phone, Clone::clone(t)));
    let media = Media {
        pc: pc.clone(),
        sender: None,
        // `Clone::clone`, not `stream.clone()`: web-sys's `clone` is the browser's
        // `MediaStream.clone()`, a second stream with tracks of its own.
        stream: Clone::clone(&stream),
        mic,
        _on_track: None,
        quality: QualityProbe::start(phone, pc.clone()),
    };
    // Replacing a previous call's audio (there is none in practice) closes it.
    let previous = with(|e| e.media.replace(media));
    drop(previous);
    let track = track?;
    let init = RtcRtpTransceiverInit::new();
    init.set_direction(RtcRtpTransceiverDirection::Sendrecv);
    init.set_streams(&js_sys::Array::of1(&stream));
    let transceiver = pc.add_transceiver_with_media_stream_track_and_init(&track, &init);
    prefer_g711(&transceiver);
    let on_track = Closure::<dyn FnMut(RtcTrackEvent)>::new(move |ev: RtcTrackEvent| {
        if let Ok(remote) = ev.streams().get(0).dyn_into::<MediaStream>() {
            audio.set_src_object(Some(&remote));
            play(&audio);
        }
    });
    pc.set_ontrack(Some(on_track.as_ref().unchecked_ref()));
    with(|e| {
        if let Some(media) = e.media.as_mut().filter(|m| m.pc == pc) {
            media.sender = Some(transceiver.sender());
            media._on_track = Some(on_track);
        }
    });
    let offer = JsFuture::from(pc.create_offer()).await?;
    let sdp = get(&offer, "sdp").as_string().unwrap_or_default();
    let local = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
    local.set_sdp(&sdp);
    JsFuture::from(pc.set_local_description(&local)).await?;
    start_meter(phone, &stream, None);
    apply_output(&phone.output.get_untracked());
    Ok(sdp)
}

/// The peer connection's configuration: the ICE servers (STUN, TURN with this user's
/// credentials) the server's hello gave.
pub(super) fn rtc_configuration() -> RtcConfiguration {
    let config = RtcConfiguration::new();
    let servers = js_sys::Array::new();
    for s in with(|e| e.core.ice_servers().to_vec()) {
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
    config
}

/// Offers only what the telephone network carries: G.711 (μ-law first) and DTMF events.
pub(super) fn prefer_g711(transceiver: &web_sys::RtcRtpTransceiver) {
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
        let Some(sender) = with(|e| e.media.as_ref().and_then(|m| m.sender.clone())) else {
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
        let watch = TrackWatch::new(phone, track);
        let swapped = with(|e| {
            e.media.as_mut().map(|m| {
                let old_watch = m.mic.replace(watch);
                (
                    std::mem::replace(&mut m.stream, Clone::clone(&stream)),
                    old_watch,
                )
            })
        });
        let Some((old, old_watch)) = swapped else {
            // The call ended meanwhile.
            stop(&stream);
            return;
        };
        drop(old_watch);
        stop(&old);
        start_meter(phone, &stream, None);
        phone.mic_problem.set(None);
    });
}

pub(super) fn stop(stream: &MediaStream) {
    for t in stream.get_tracks().iter() {
        if let Ok(t) = t.dyn_into::<MediaStreamTrack>() {
            t.stop();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Devices

pub(super) async fn open_mic(device: &str) -> Result<MediaStream, MicProblem> {
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
    // A meeting plays through the Chime SDK, which keeps the choice across its own rebinding.
    if super::meeting::set_output(device) {
        return;
    }
    if let Some(audio) = with(|e| e.audio.clone()) {
        call_and_settle(&audio, "setSinkId", &JsValue::from_str(device));
    }
}

// ---------------------------------------------------------------------------------------------
// Level meter

pub(super) struct Meter {
    ctx: AudioContext,
    timer: IntervalHandle,
    /// The stream opened only for a microphone test (stopped with the meter).
    test_stream: Option<MediaStream>,
}

impl Drop for Meter {
    fn drop(&mut self) {
        self.timer.clear();
        let _ = self.ctx.close();
        if let Some(s) = &self.test_stream {
            stop(s);
        }
    }
}

pub(super) fn start_meter(phone: Phone, stream: &MediaStream, test_stream: Option<MediaStream>) {
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
    let previous = with(|e| {
        e.meter.replace(Meter {
            ctx,
            timer,
            test_stream,
        })
    });
    drop(previous);
}

pub fn test_mic(phone: Phone, on: bool) {
    let in_call = with(|e| e.media.is_some() || e.meeting.is_some() || e.held_mic.is_some());
    if !on || in_call {
        if !in_call {
            let meter = with(|e| e.meter.take());
            drop(meter);
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
                start_meter(phone, &stream, Some(Clone::clone(&stream)));
                refresh_devices(phone);
            }
            Err(p) => phone.mic_problem.set(Some(p)),
        }
    });
}
