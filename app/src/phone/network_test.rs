//! The pre-call check in the browser (docs/quality.md, "Pre-call check"): the network test, a
//! peer connection to this server's gateway carrying a quiet tone that comes straight back,
//! sampled each second as a call is (`domain::quality`), and the speaker test's beeps on the
//! chosen output. Neither opens the microphone.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AudioContext, HtmlAudioElement, MediaStream, MediaStreamTrack, RtcPeerConnection,
    RtcRtpTransceiverDirection, RtcRtpTransceiverInit, RtcSdpType, RtcSessionDescriptionInit,
};

use super::engine::sleep;
use super::media::{call_and_settle, get, play, prefer_g711, read_stats, rtc_configuration, stop};
use crate::api::ApiError;
use crate::domain::precall::{NetworkCheck, CONNECT_SECONDS, TEST_SECONDS};
use crate::domain::quality::{Monitor, Sampler};

/// A tone made by Web Audio, as a stream: `beeps` of a quarter second each (none: steady).
/// Its context closes, and its track stops, when it is dropped.
struct Tone {
    ctx: AudioContext,
    stream: MediaStream,
}

impl Tone {
    // Only Web Audio calls the app makes elsewhere (the key tones), but two: each new one is
    // an import in the first load's JS (docs/bench.md, "First load").
    fn new(frequency: f32, level: f32, beeps: u32) -> Result<Tone, JsValue> {
        let ctx = AudioContext::new()?;
        let destination = ctx.create_media_stream_destination()?;
        let gain = ctx.create_gain()?;
        gain.gain().set_value(level);
        gain.connect_with_audio_node(&destination)?;
        let now = ctx.current_time();
        // Steady: one oscillator from now on; beeps: one a quarter second long for each.
        let times: Vec<(f64, Option<f64>)> = if beeps == 0 {
            vec![(now, None)]
        } else {
            (0..beeps)
                .map(|i| now + 0.1 + f64::from(i) * 0.45)
                .map(|at| (at, Some(at + 0.25)))
                .collect()
        };
        for (start, end) in times {
            let osc = ctx.create_oscillator()?;
            osc.frequency().set_value(frequency);
            osc.connect_with_audio_node(&gain)?;
            osc.start_with_when(start)?;
            if let Some(end) = end {
                osc.stop_with_when(end)?;
            }
        }
        Ok(Tone {
            ctx,
            stream: destination.stream(),
        })
    }
}

impl Drop for Tone {
    fn drop(&mut self) {
        stop(&self.stream);
        let _ = self.ctx.close();
    }
}

/// The test's peer connection, closed whatever way the test ends.
struct Connection(RtcPeerConnection);

impl Drop for Connection {
    fn drop(&mut self) {
        self.0.close();
    }
}

fn refused(_: JsValue) -> ApiError {
    ApiError::Request("the browser could not run the test".into())
}

/// Runs the network test; `progress` hears each second measured (1 to [`TEST_SECONDS`]).
pub(super) async fn run(progress: impl Fn(u32)) -> Result<NetworkCheck, ApiError> {
    // A quiet steady tone: G.711 sends a packet every 20 ms whatever it carries.
    let tone = Tone::new(440.0, 0.05, 0).map_err(refused)?;
    let pc = RtcPeerConnection::new_with_configuration(&rtc_configuration()).map_err(refused)?;
    let pc = Connection(pc);
    let track = tone
        .stream
        .get_audio_tracks()
        .get(0)
        .dyn_into::<MediaStreamTrack>()
        .map_err(refused)?;
    let init = RtcRtpTransceiverInit::new();
    init.set_direction(RtcRtpTransceiverDirection::Sendrecv);
    init.set_streams(&js_sys::Array::of1(&tone.stream));
    prefer_g711(
        &pc.0
            .add_transceiver_with_media_stream_track_and_init(&track, &init),
    );
    let offer = JsFuture::from(pc.0.create_offer()).await.map_err(refused)?;
    let sdp = get(&offer, "sdp").as_string().unwrap_or_default();
    let local = RtcSessionDescriptionInit::new(RtcSdpType::Offer);
    local.set_sdp(&sdp);
    JsFuture::from(pc.0.set_local_description(&local))
        .await
        .map_err(refused)?;
    let answer = crate::api::network_test::network_test(sdp).await?;
    let remote = RtcSessionDescriptionInit::new(RtcSdpType::Answer);
    remote.set_sdp(&answer);
    JsFuture::from(pc.0.set_remote_description(&remote))
        .await
        .map_err(refused)?;
    let connected = || get(&pc.0, "connectionState").as_string().as_deref() == Some("connected");
    let mut waited_ms = 0;
    while !connected() {
        if waited_ms >= CONNECT_SECONDS as i32 * 1000 {
            return Ok(NetworkCheck::default());
        }
        sleep(100).await;
        waited_ms += 100;
    }
    let (mut sampler, mut monitor) = (Sampler::default(), Monitor::new());
    let mut bytes_back = 0;
    for second in 1..=TEST_SECONDS {
        sleep(1000).await;
        let report = JsFuture::from(pc.0.get_stats()).await.map_err(refused)?;
        let (mut counters, _) = read_stats(&report);
        // An echo's `inbound-rtp` counts the losses on the way back only.
        counters.packets_lost += lost_on_the_way(&report);
        let sample = sampler.sample(counters, None);
        bytes_back += sample.bytes_received;
        monitor.push(sample, u64::from(second) * 1000);
        progress(second);
    }
    Ok(NetworkCheck {
        summary: monitor.summary().clone(),
        bytes_back,
        connected: true,
    })
}

/// The packets the gateway's reports say it lost of ours (`remote-inbound-rtp`).
fn lost_on_the_way(report: &JsValue) -> i64 {
    let Ok(Some(entries)) = js_sys::try_iter(report) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| js_sys::Array::from(&entry).get(1))
        .filter(|stat| get(stat, "type").as_string().as_deref() == Some("remote-inbound-rtp"))
        .filter_map(|stat| get(&stat, "packetsLost").as_f64())
        .map(|lost| lost.max(0.0) as i64)
        .sum()
}

/// Two short beeps on the chosen output (`device`; empty: the default).
pub(super) fn play_test_sound(device: &str) -> Result<(), JsValue> {
    let tone = Tone::new(660.0, 0.2, 2)?;
    let audio = HtmlAudioElement::new()?;
    audio.set_src_object(Some(&tone.stream));
    if !device.is_empty() {
        call_and_settle(&audio, "setSinkId", &JsValue::from_str(device));
    }
    play(&audio);
    leptos::task::spawn_local(async move {
        sleep(1500).await;
        let _ = audio.pause();
        audio.set_src_object(None);
        drop(tone);
    });
    Ok(())
}
