//! The browser glue: the loader snippet, the module's and the session's JS types, and the
//! handle. With `split`, joining runs in its own WASM chunk (`#[lazy]`): what the caller keeps in
//! the main module is this handle's few calls.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;
use web_sys::{HtmlAudioElement, MediaStream};

use super::{ChimeError, ChimeEvent, BUNDLE_PATH, RECONNECT_TIMEOUT_MS};

#[wasm_bindgen(module = "/js/chime-loader.js")]
extern "C" {
    /// `import(url)` of the bundle: its module namespace.
    #[wasm_bindgen(js_name = loadChime, catch)]
    async fn load_chime(url: &str) -> Result<JsValue, JsValue>;
}

#[wasm_bindgen]
extern "C" {
    /// The bundle's module (`chime-client/src/chime.js`).
    type ChimeModule;
    #[wasm_bindgen(method, catch)]
    async fn join(
        this: &ChimeModule,
        meeting_json: &str,
        attendee_json: &str,
        audio: &HtmlAudioElement,
        options: &Object,
    ) -> Result<JsValue, JsValue>;

    /// A joined session, as `join` resolves it.
    type JsSession;
    #[wasm_bindgen(method)]
    fn mute(this: &JsSession, muted: bool) -> bool;
    #[wasm_bindgen(method, js_name = setInput, catch)]
    async fn set_input(this: &JsSession, stream: &MediaStream) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, js_name = setOutput, catch)]
    async fn set_output(this: &JsSession, device_id: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    async fn leave(this: &JsSession, quiet: bool) -> Result<JsValue, JsValue>;
    // The same, started without waiting for it (an async import runs only when polled).
    #[wasm_bindgen(method, js_name = leave)]
    fn start_leaving(this: &JsSession, quiet: bool) -> js_sys::Promise;
}

/// The microphone the meeting hears.
pub enum ChimeInput {
    /// The stream the phone already opened (the SDK stops its tracks when the session ends).
    Stream(MediaStream),
    /// A device id, opened by the SDK.
    Device(String),
    /// The browser's default microphone.
    Default,
}

/// A joined meeting session. Dropping it leaves the meeting without further events.
pub struct ChimeSession {
    session: JsSession,
    // Called by the module for every event; lives as long as the session.
    _on_event: Closure<dyn FnMut(JsValue)>,
    left: bool,
}

impl ChimeSession {
    /// Loads the bundle (once per page) and joins the meeting's audio, playing it in `audio`.
    /// `meeting_json` and `attendee_json` are the CreateMeeting and CreateAttendee responses.
    /// Returns once the SDK is connecting; `on_event` then hears how it goes, `Ended` last.
    pub async fn join(
        meeting_json: String,
        attendee_json: String,
        audio: HtmlAudioElement,
        input: ChimeInput,
        on_event: impl FnMut(ChimeEvent) + 'static,
    ) -> Result<Self, ChimeError> {
        let on_event: Box<dyn FnMut(ChimeEvent)> = Box::new(on_event);
        #[cfg(feature = "split")]
        return join_split(meeting_json, attendee_json, audio, input, on_event).await;
        #[cfg(not(feature = "split"))]
        join_here(meeting_json, attendee_json, audio, input, on_event).await
    }

    /// Mutes or unmutes what the meeting hears (`realtimeMuteLocalAudio`); `false` when the SDK
    /// refused to unmute.
    pub fn mute(&self, muted: bool) -> bool {
        self.session.mute(muted)
    }

    /// The meeting hears `stream` from now on (the SDK stops the previous input's tracks). The
    /// future does not borrow the handle.
    pub fn set_input(
        &self,
        stream: MediaStream,
    ) -> impl std::future::Future<Output = Result<(), ChimeError>> + 'static {
        let session: JsSession = JsValue::clone(&self.session).unchecked_into();
        async move {
            session
                .set_input(&stream)
                .await
                .map(drop)
                .map_err(|e| ChimeError::Input(words(&e)))
        }
    }

    /// Plays the meeting on this output device. The future does not borrow the handle, so the
    /// session can be left or dropped while the browser switches.
    pub fn set_output(
        &self,
        device_id: &str,
    ) -> impl std::future::Future<Output = Result<(), ChimeError>> + 'static {
        // A second reference to the same JS object (imported types have no `Clone`).
        let session: JsSession = JsValue::clone(&self.session).unchecked_into();
        let device_id = device_id.to_string();
        async move {
            session
                .set_output(&device_id)
                .await
                .map(drop)
                .map_err(|e| ChimeError::Output(words(&e)))
        }
    }

    /// Leaves the meeting; `Ended` with `Left` is heard before this returns.
    pub async fn leave(mut self) -> Result<(), ChimeError> {
        self.left = true;
        self.session
            .leave(false)
            .await
            .map(drop)
            .map_err(|e| ChimeError::Leave(words(&e)))
    }
}

impl Drop for ChimeSession {
    fn drop(&mut self) {
        if !self.left {
            // Quiet: the event callback goes away with this handle.
            drop(self.session.start_leaving(true));
        }
    }
}

#[cfg(feature = "split")]
#[leptos::lazy]
async fn join_split(
    meeting_json: String,
    attendee_json: String,
    audio: HtmlAudioElement,
    input: ChimeInput,
    on_event: Box<dyn FnMut(ChimeEvent)>,
) -> Result<ChimeSession, ChimeError> {
    join_here(meeting_json, attendee_json, audio, input, on_event).await
}

async fn join_here(
    meeting_json: String,
    attendee_json: String,
    audio: HtmlAudioElement,
    input: ChimeInput,
    mut on_event: Box<dyn FnMut(ChimeEvent)>,
) -> Result<ChimeSession, ChimeError> {
    let origin = web_sys::window()
        .ok_or_else(|| ChimeError::Load("no window".into()))?
        .location()
        .origin()
        .map_err(|e| ChimeError::Load(words(&e)))?;
    let module: ChimeModule = load_chime(&format!("{origin}{BUNDLE_PATH}"))
        .await
        .map_err(|e| ChimeError::Load(words(&e)))?
        .unchecked_into();

    let on_event = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let json = js_sys::JSON::stringify(&event).map(String::from);
        // An event this build does not know is skipped.
        if let Some(event) = json.ok().as_deref().and_then(ChimeEvent::from_json) {
            on_event(event);
        }
    });
    let options = Object::new();
    let input = match input {
        ChimeInput::Stream(stream) => stream.into(),
        ChimeInput::Device(id) => JsValue::from_str(&id),
        ChimeInput::Default => JsValue::NULL,
    };
    for (key, value) in [
        ("input", input),
        ("onEvent", on_event.as_ref().clone()),
        ("reconnectTimeoutMs", RECONNECT_TIMEOUT_MS.into()),
    ] {
        Reflect::set(&options, &key.into(), &value).map_err(|e| ChimeError::Join(words(&e)))?;
    }
    let session = module
        .join(&meeting_json, &attendee_json, &audio, &options)
        .await
        .map_err(|e| ChimeError::Join(words(&e)))?;
    Ok(ChimeSession {
        session: session.unchecked_into(),
        _on_event: on_event,
        left: false,
    })
}

/// A JS error's message (or the value as text).
fn words(error: &JsValue) -> String {
    Reflect::get(error, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}

/// How the end-to-end test joins through this glue without a call: joins a meeting with the
/// default microphone and a detached `<audio>`, and calls `on_event` with each event as the
/// Rust side parsed it (re-serialised). The session is kept until the next probe. Debug builds
/// only (the end-to-end tests' build); through the public API, so the lazy join is exercised.
#[cfg(debug_assertions)]
#[wasm_bindgen(js_name = chimeProbe)]
pub async fn probe(
    meeting_json: String,
    attendee_json: String,
    on_event: js_sys::Function,
) -> Result<(), JsValue> {
    thread_local! {
        static PROBE: std::cell::RefCell<Option<ChimeSession>> = const { std::cell::RefCell::new(None) };
    }
    let audio = HtmlAudioElement::new()?;
    let report = move |event: ChimeEvent| {
        let parsed = serde_json::to_string(&event)
            .ok()
            .and_then(|json| js_sys::JSON::parse(&json).ok());
        if let Some(parsed) = parsed {
            let _ = on_event.call1(&JsValue::NULL, &parsed);
        }
    };
    let session = ChimeSession::join(
        meeting_json,
        attendee_json,
        audio,
        ChimeInput::Default,
        report,
    )
    .await
    .map_err(|e| JsValue::from_str(&e.to_string()))?;
    PROBE.with(|slot| slot.replace(Some(session)));
    Ok(())
}
