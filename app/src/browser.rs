//! Everything that needs the browser (cookies the page writes, local storage, the service
//! worker, key tones, files). Compiled to no-ops on the server, so components can call it
//! unconditionally; the real work happens only after hydration.

#[cfg(feature = "hydrate")]
mod imp {
    use crate::domain::numbers::Country;
    use crate::i18n::Lang;
    use crate::prefs::{Initial, Theme};
    use wasm_bindgen::{JsCast, JsValue};

    fn window() -> Option<web_sys::Window> {
        web_sys::window()
    }

    fn html() -> Option<web_sys::Element> {
        window()?.document()?.document_element()
    }

    pub fn initial_prefs() -> Option<Initial> {
        let html = html()?;
        Some(Initial {
            lang: html
                .get_attribute("lang")
                .and_then(|l| Lang::from_tag(&l))
                .unwrap_or_default(),
            theme: Theme::parse(&html.get_attribute("data-theme").unwrap_or_default()),
            country: html
                .get_attribute("data-country")
                .and_then(|c| Country::from_iso(&c))
                .unwrap_or(Country::SG),
            admin: html.has_attribute("data-admin"),
        })
    }

    /// Remembers a preference in a cookie; `false` when the browser did not keep it (cookies
    /// blocked), which is read back rather than trusted.
    pub fn set_preference_cookie(name: &str, value: &str) -> bool {
        let Some(doc) = window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
        else {
            return false;
        };
        if doc
            .set_cookie(&crate::cookies::preference(name, value))
            .is_err()
        {
            return false;
        }
        let kept = format!("{name}={value}");
        doc.cookie()
            .is_ok_and(|all| all.split("; ").any(|c| c == kept))
    }

    pub fn apply_to_html(attribute: &str, value: &str) {
        if let Some(html) = html() {
            let _ = html.set_attribute(attribute, value);
        }
    }

    pub fn local_get(key: &str) -> Option<String> {
        window()?.local_storage().ok()??.get_item(key).ok()?
    }

    pub fn local_set(key: &str, value: &str) {
        if let Some(Ok(Some(storage))) = window().map(|w| w.local_storage()) {
            let _ = storage.set_item(key, value);
        }
    }

    pub fn register_service_worker() {
        leptos::prelude::Effect::new(move |_| {
            if let Some(w) = window() {
                let container = w.navigator().service_worker();
                let _ = container.register("/sw.js");
            }
        });
    }

    /// Takes `name`'s value from the address's fragment (`#name=value`) and removes the
    /// fragment from the address and this history entry, so a one-time secret does not stay
    /// in the history.
    pub fn take_fragment_param(name: &str) -> Option<String> {
        let w = window()?;
        let hash = w.location().hash().ok()?;
        let value = crate::domain::auth::fragment_param(&hash, name)?;
        let path = w.location().pathname().ok()?;
        if let Ok(history) = w.history() {
            let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&path));
        }
        Some(value)
    }

    pub fn go_to(path: &str) {
        if let Some(w) = window() {
            let _ = w.location().set_href(path);
        }
    }

    thread_local! {
        static AUDIO: std::cell::RefCell<Option<web_sys::AudioContext>> = const { std::cell::RefCell::new(None) };
    }

    /// The DTMF frequency pair of a key (ITU-T Q.23).
    fn dtmf(key: char) -> Option<(f32, f32)> {
        let (row, col) = match key {
            '1' => (0, 0),
            '2' => (0, 1),
            '3' => (0, 2),
            '4' => (1, 0),
            '5' => (1, 1),
            '6' => (1, 2),
            '7' => (2, 0),
            '8' => (2, 1),
            '9' => (2, 2),
            '*' => (3, 0),
            '0' | '+' => (3, 1),
            '#' => (3, 2),
            _ => return None,
        };
        Some((
            [697.0, 770.0, 852.0, 941.0][row],
            [1209.0, 1336.0, 1477.0][col],
        ))
    }

    /// Creates (or resumes) the page's audio context inside a user gesture, so sounds played
    /// later (key tones, ringback) are not blocked by the browser's autoplay rules.
    pub fn resume_audio() {
        AUDIO.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                *slot = web_sys::AudioContext::new().ok();
            }
            if let Some(ctx) = slot.as_ref() {
                let _ = ctx.resume();
            }
        });
    }

    /// A short local key tone, as a desk phone gives (no sound is sent anywhere).
    pub fn key_tone(key: char) {
        let Some((low, high)) = dtmf(key) else { return };
        AUDIO.with(|cell| {
            let mut slot = cell.borrow_mut();
            if slot.is_none() {
                *slot = web_sys::AudioContext::new().ok();
            }
            let Some(ctx) = slot.as_ref() else { return };
            let now = ctx.current_time();
            let Ok(gain) = ctx.create_gain() else { return };
            gain.gain().set_value(0.08);
            let _ = gain.connect_with_audio_node(&ctx.destination());
            for f in [low, high] {
                if let Ok(osc) = ctx.create_oscillator() {
                    osc.frequency().set_value(f);
                    let _ = osc.connect_with_audio_node(&gain);
                    let _ = osc.start_with_when(now);
                    let _ = osc.stop_with_when(now + 0.12);
                }
            }
        });
    }

    /// Offers `text` as a file download.
    pub fn download(file_name: &str, mime: &str, text: &str) {
        let parts = js_sys::Array::of1(&JsValue::from_str(text));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(mime);
        let Ok(blob) = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options) else {
            return;
        };
        let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
            return;
        };
        if let Some(doc) = window().and_then(|w| w.document()) {
            if let Ok(a) = doc.create_element("a") {
                if let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>() {
                    a.set_href(&url);
                    a.set_download(file_name);
                    a.click();
                }
            }
        }
        let _ = web_sys::Url::revoke_object_url(&url);
    }

    pub fn clipboard_text(ev: &web_sys::ClipboardEvent) -> Option<String> {
        ev.clipboard_data()?.get_data("text").ok()
    }

    /// Puts `text` on the clipboard (`navigator.clipboard.writeText`); whether the browser
    /// took it.
    pub async fn copy_text(text: &str) -> bool {
        let Some(navigator) = window().map(|w| w.navigator()) else {
            return false;
        };
        let Ok(clipboard) = js_sys::Reflect::get(&navigator, &JsValue::from_str("clipboard"))
        else {
            return false;
        };
        let Ok(write) = js_sys::Reflect::get(&clipboard, &JsValue::from_str("writeText")) else {
            return false;
        };
        let Ok(write) = write.dyn_into::<js_sys::Function>() else {
            return false;
        };
        let Ok(promise) = write.call1(&clipboard, &JsValue::from_str(text)) else {
            return false;
        };
        let Ok(promise) = promise.dyn_into::<js_sys::Promise>() else {
            return false;
        };
        wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
    }

    /// Whether a key press is meant for a form control rather than the page.
    pub fn targets_a_control(ev: &web_sys::KeyboardEvent) -> bool {
        ev.target()
            .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
            .is_some_and(|el| {
                matches!(
                    el.tag_name().as_str(),
                    "INPUT" | "SELECT" | "TEXTAREA" | "BUTTON" | "A"
                )
            })
    }

    pub async fn file_text(file: web_sys::File) -> Result<String, String> {
        let promise = file.text();
        wasm_bindgen_futures::JsFuture::from(promise)
            .await
            .map_err(|e| format!("{e:?}"))?
            .as_string()
            .ok_or_else(|| "not text".to_string())
    }
}

#[cfg(not(feature = "hydrate"))]
mod imp {
    use crate::prefs::Initial;

    #[allow(dead_code)] // the server reads preferences from the request instead
    pub fn initial_prefs() -> Option<Initial> {
        None
    }
    pub fn set_preference_cookie(_: &str, _: &str) -> bool {
        true
    }
    pub fn apply_to_html(_: &str, _: &str) {}
    pub fn local_get(_: &str) -> Option<String> {
        None
    }
    pub fn local_set(_: &str, _: &str) {}
    pub fn register_service_worker() {}
    pub fn go_to(_: &str) {}
    pub fn take_fragment_param(_: &str) -> Option<String> {
        None
    }
    pub fn key_tone(_: char) {}
    #[allow(dead_code)] // only the browser engine unlocks audio
    pub fn resume_audio() {}
    pub fn download(_: &str, _: &str, _: &str) {}
    pub fn clipboard_text(_: &leptos::ev::ClipboardEvent) -> Option<String> {
        None
    }
    #[allow(dead_code)] // a button's action: runs in the browser only
    pub async fn copy_text(_: &str) -> bool {
        false
    }
    pub fn targets_a_control(_: &leptos::ev::KeyboardEvent) -> bool {
        true
    }
}

pub use imp::*;
