//! Settings' "Notifications": missed-call push notifications on this device (the browser's
//! permission asked inside the click, `pushManager.subscribe` with the server's VAPID key, the
//! subscription posted), the devices that have them, quiet hours, and a test notification. Says
//! plainly when the browser cannot (no push API; iOS only from the Home Screen, 16.4+) and when
//! subscribing failed (a browser without a push service). In the Settings chunk with the rest of
//! the page; the rules are in `crate::domain::push`, the work in `crate::api::push`.

use leptos::prelude::*;

use super::settings_push_text::PushText;
use crate::api::push::{save_push_settings, send_test_push, subscribe_push, unsubscribe_push};
use crate::api::{ApiError, ApiResource};
use crate::components::messages::{error_text, redirect_if_signed_out, LoadBoundary};
use crate::domain::push::{PushSettings, PushState, QuietHours};
use crate::i18n::{t, tf, Text, T};
use crate::prefs::{prefs, tx};

/// What this browser can do about push.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Not known yet (before hydration, on the server).
    Unknown,
    Available,
    /// iPhone or iPad in the browser: push only from the Home Screen app (iOS 16.4+).
    IosHomeScreenOnly,
    Unsupported,
}

/// Why this device could not be subscribed.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubscribeProblem {
    Denied,
    /// The browser's own error (e.g. no push service), as it said it.
    Browser(String),
}

/// A short label for this device from its user agent: "Chrome on Android".
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn device_label(user_agent: &str) -> String {
    let has = |s: &str| user_agent.contains(s);
    let browser = if has("Edg/") {
        "Edge"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("Chrome/") || has("Chromium/") || has("CriOS/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else {
        "Browser"
    };
    let system = if has("Android") {
        "Android"
    } else if has("iPhone") {
        "iPhone"
    } else if has("iPad") {
        "iPad"
    } else if has("Windows") {
        "Windows"
    } else if has("Mac OS X") || has("Macintosh") {
        "macOS"
    } else if has("CrOS") {
        "ChromeOS"
    } else if has("Linux") {
        "Linux"
    } else {
        return browser.to_string();
    };
    format!("{browser} on {system}")
}

#[cfg(feature = "hydrate")]
mod js {
    //! The browser's push and notification APIs, through `Reflect` (no web-sys features: this
    //! code is only in the Settings chunk).
    use js_sys::{Array, Function, Promise, Reflect, Uint8Array};
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::{device_label, SubscribeProblem, Support};
    use crate::domain::push::{base64url_decode, SubscribeRequest};

    fn global() -> JsValue {
        js_sys::global().into()
    }

    fn get(target: &JsValue, key: &str) -> JsValue {
        Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
    }

    fn has(target: &JsValue, key: &str) -> bool {
        Reflect::has(target, &JsValue::from_str(key)).unwrap_or(false)
    }

    fn call(target: &JsValue, method: &str, args: &[JsValue]) -> Result<JsValue, JsValue> {
        let function: Function = get(target, method)
            .dyn_into()
            .map_err(|_| JsValue::from_str(&format!("{method} is missing")))?;
        let list = Array::new();
        for a in args {
            list.push(a);
        }
        Reflect::apply(&function, target, &list)
    }

    async fn wait(value: JsValue) -> Result<JsValue, JsValue> {
        JsFuture::from(Promise::resolve(&value)).await
    }

    /// "NotAllowedError: …" of a DOM exception, or the thrown text.
    fn describe(error: &JsValue) -> String {
        if let Some(text) = error.as_string() {
            return text;
        }
        let name = get(error, "name").as_string().unwrap_or_default();
        let message = get(error, "message").as_string().unwrap_or_default();
        match (name.is_empty(), message.is_empty()) {
            (false, false) => format!("{name}: {message}"),
            (false, true) => name,
            _ => message,
        }
    }

    fn user_agent() -> String {
        get(&get(&global(), "navigator"), "userAgent")
            .as_string()
            .unwrap_or_default()
    }

    pub fn support() -> Support {
        let g = global();
        let navigator = get(&g, "navigator");
        if has(&g, "PushManager") && has(&navigator, "serviceWorker") && has(&g, "Notification") {
            return Support::Available;
        }
        let ua = user_agent();
        if ua.contains("iPhone") || ua.contains("iPad") || ua.contains("iPod") {
            Support::IosHomeScreenOnly
        } else {
            Support::Unsupported
        }
    }

    async fn registration() -> Result<JsValue, JsValue> {
        let container = get(&get(&global(), "navigator"), "serviceWorker");
        wait(get(&container, "ready")).await
    }

    async fn subscription() -> Result<JsValue, JsValue> {
        let manager = get(&registration().await?, "pushManager");
        wait(call(&manager, "getSubscription", &[])?).await
    }

    /// This device's subscription's endpoint, if it has one.
    pub async fn current_endpoint() -> Option<String> {
        let s = subscription().await.ok()?;
        get(&s, "endpoint").as_string()
    }

    /// Asks for the permission: called in the click itself (browsers ask only then).
    pub fn request_permission() -> Result<JsValue, String> {
        let notification = get(&global(), "Notification");
        call(&notification, "requestPermission", &[]).map_err(|e| describe(&e))
    }

    /// Waits for the permission asked for, subscribes with the server's key and returns what
    /// to post.
    pub async fn subscribe(
        permission: JsValue,
        public_key: &str,
    ) -> Result<SubscribeRequest, SubscribeProblem> {
        let browser = |e: JsValue| SubscribeProblem::Browser(describe(&e));
        let answer = wait(permission).await.map_err(browser)?;
        if answer.as_string().as_deref() != Some("granted") {
            return Err(SubscribeProblem::Denied);
        }
        let key = base64url_decode(public_key)
            .ok_or_else(|| SubscribeProblem::Browser("bad server key".into()))?;
        let options = js_sys::Object::new();
        let _ = Reflect::set(&options, &"userVisibleOnly".into(), &JsValue::TRUE);
        let _ = Reflect::set(
            &options,
            &"applicationServerKey".into(),
            &Uint8Array::from(key.as_slice()),
        );
        let manager = get(&registration().await.map_err(browser)?, "pushManager");
        let s = wait(call(&manager, "subscribe", &[options.into()]).map_err(browser)?)
            .await
            .map_err(browser)?;
        let json = call(&s, "toJSON", &[]).map_err(browser)?;
        let keys = get(&json, "keys");
        let text = |v: JsValue| v.as_string().unwrap_or_default();
        Ok(SubscribeRequest {
            endpoint: text(get(&json, "endpoint")),
            p256dh: text(get(&keys, "p256dh")),
            auth: text(get(&keys, "auth")),
            label: device_label(&user_agent()),
        })
    }

    /// Unsubscribes this device in the browser; the endpoint it had, to forget on the server.
    pub async fn unsubscribe() -> Option<String> {
        let s = subscription().await.ok()?;
        let endpoint = get(&s, "endpoint").as_string()?;
        if let Ok(done) = call(&s, "unsubscribe", &[]) {
            let _ = wait(done).await;
        }
        Some(endpoint)
    }

    /// The browser's UTC offset now, in minutes (east positive), and its IANA zone name.
    pub fn time_zone() -> (i16, String) {
        let offset = -js_sys::Date::new_0().get_timezone_offset() as i16;
        let options = js_sys::Intl::DateTimeFormat::new(&Array::new(), &js_sys::Object::new())
            .resolved_options();
        let zone = get(&options, "timeZone").as_string().unwrap_or_default();
        (offset, zone)
    }
}

#[cfg(not(feature = "hydrate"))]
mod js {
    use super::{SubscribeProblem, Support};
    use crate::domain::push::SubscribeRequest;

    pub fn support() -> Support {
        Support::Unknown
    }
    pub async fn current_endpoint() -> Option<String> {
        None
    }
    /// The permission's answer to come (in the browser, a promise).
    pub struct Pending;
    pub fn request_permission() -> Result<Pending, String> {
        Err("no browser".into())
    }
    pub async fn subscribe(_: Pending, _: &str) -> Result<SubscribeRequest, SubscribeProblem> {
        Err(SubscribeProblem::Browser("no browser".into()))
    }
    pub async fn unsubscribe() -> Option<String> {
        None
    }
    pub fn time_zone() -> (i16, String) {
        (0, String::new())
    }
}

/// `YYYY-MM-DD` (UTC) of a time in ms.
fn day(ms: u64) -> String {
    crate::domain::recordings::format_utc(ms)
        .chars()
        .take(10)
        .collect()
}

#[component]
pub fn PushSettingsSection(state: ApiResource<PushState>) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="settings-push" data-testid="push-settings">
            <h2 id="settings-push" class="card-title">
                {tx(PushText::PushTitle)}
            </h2>
            <p class="text-sm text-slate-600 dark:text-slate-400">{tx(PushText::PushHint)}</p>
            <LoadBoundary
                fallback=|| view! { <p>"…"</p> }
                retry=Callback::new(move |_| state.refetch())
                page=Box::new(move || {
                    state
                        .get()
                        .map(|loaded| {
                            loaded
                                .map(|s| view! { <PushControls state=s reload=state /> }.into_any())
                        })
                })
            />
        </section>
    }
}

#[component]
fn PushControls(state: PushState, reload: ApiResource<PushState>) -> impl IntoView {
    let lang = prefs().lang;
    let support = RwSignal::new(Support::Unknown);
    // This device's endpoint while it is subscribed.
    let here = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let status = RwSignal::new(String::new());
    let public_key = state.public_key.clone();
    Effect::new(move |_| {
        support.set(js::support());
        if support.get_untracked() == Support::Available {
            leptos::task::spawn_local(async move { here.set(js::current_endpoint().await) });
        }
    });
    let api_failed = move |e: ApiError| {
        redirect_if_signed_out(&e);
        error.set(Some(error_text(lang.get_untracked(), &e)));
    };

    let enable = {
        let public_key = public_key.clone();
        move |_| {
            error.set(None);
            status.set(String::new());
            let Some(key) = public_key.clone() else {
                return;
            };
            // Inside the click: browsers show the permission prompt only for a user's action.
            let permission = match js::request_permission() {
                Ok(p) => p,
                Err(detail) => {
                    error.set(Some(tf(
                        lang.get_untracked(),
                        PushText::PushSubscribeFailed,
                        &[("detail", &detail)],
                    )));
                    return;
                }
            };
            busy.set(true);
            leptos::task::spawn_local(async move {
                match js::subscribe(permission, &key).await {
                    Ok(request) => {
                        let endpoint = request.endpoint.clone();
                        match subscribe_push(request).await {
                            Ok(_) => {
                                here.set(Some(endpoint));
                                reload.refetch();
                            }
                            Err(e) => api_failed(e),
                        }
                    }
                    Err(SubscribeProblem::Denied) => {
                        error.set(Some(PushText::PushDenied.text(lang.get_untracked()).into()))
                    }
                    Err(SubscribeProblem::Browser(detail)) => error.set(Some(tf(
                        lang.get_untracked(),
                        PushText::PushSubscribeFailed,
                        &[("detail", &detail)],
                    ))),
                }
                busy.set(false);
            });
        }
    };
    let disable = move |_| {
        error.set(None);
        status.set(String::new());
        busy.set(true);
        leptos::task::spawn_local(async move {
            if let Some(endpoint) = js::unsubscribe().await {
                if let Err(e) = unsubscribe_push(endpoint).await {
                    api_failed(e);
                }
            }
            here.set(None);
            reload.refetch();
            busy.set(false);
        });
    };
    let remove = move |id: String| {
        error.set(None);
        leptos::task::spawn_local(async move {
            match unsubscribe_push(id).await {
                Ok(()) => reload.refetch(),
                Err(e) => api_failed(e),
            }
        });
    };
    let test = move |_| {
        error.set(None);
        status.set(String::new());
        busy.set(true);
        leptos::task::spawn_local(async move {
            match send_test_push().await {
                Ok(o) if o.sent + o.failed + o.removed == 0 => {
                    status.set(PushText::PushNoDevices.text(lang.get_untracked()).into())
                }
                Ok(o) => {
                    status.set(tf(
                        lang.get_untracked(),
                        PushText::PushTestResult,
                        &[
                            ("sent", &o.sent.to_string()),
                            ("failed", &o.failed.to_string()),
                            ("removed", &o.removed.to_string()),
                        ],
                    ));
                    if o.removed > 0 {
                        reload.refetch();
                    }
                }
                Err(e) => api_failed(e),
            }
            busy.set(false);
        });
    };

    let server_off = public_key.is_none();
    let devices = state.devices.clone();
    view! {
        {move || {
            if server_off {
                return view! {
                    <p class="mt-2 text-sm" data-testid="push-support">
                        {tx(T::ErrPushUnavailable)}
                    </p>
                }
                    .into_any();
            }
            match support.get() {
                Support::Unknown => view! { <p class="mt-2">"…"</p> }.into_any(),
                Support::Unsupported => {
                    view! {
                        <p class="mt-2 text-sm" data-testid="push-support">
                            {tx(PushText::PushUnsupported)}
                        </p>
                    }
                        .into_any()
                }
                Support::IosHomeScreenOnly => {
                    view! {
                        <p class="mt-2 text-sm" data-testid="push-support">
                            {tx(PushText::PushIosHint)}
                        </p>
                    }
                        .into_any()
                }
                Support::Available => {
                    let enable = enable.clone();
                    view! {
                        <p class="mt-2 text-sm" data-testid="push-here">
                            {move || {
                                if here.get().is_some() {
                                    tx(PushText::PushOnHere).get()
                                } else {
                                    tx(PushText::PushOffHere).get()
                                }
                            }}
                        </p>
                        <div class="mt-2 flex flex-wrap gap-2">
                            <Show
                                when=move || here.get().is_some()
                                fallback=move || {
                                    let enable = enable.clone();
                                    view! {
                                        <button
                                            type="button"
                                            class="btn-primary"
                                            data-testid="push-enable"
                                            disabled=move || busy.get()
                                            on:click=enable
                                        >
                                            {tx(PushText::PushEnable)}
                                        </button>
                                    }
                                }
                            >
                                <button
                                    type="button"
                                    class="btn-secondary"
                                    data-testid="push-disable"
                                    disabled=move || busy.get()
                                    on:click=disable
                                >
                                    {tx(PushText::PushDisable)}
                                </button>
                            </Show>
                        </div>
                    }
                        .into_any()
                }
            }
        }}
        <p
            role="alert"
            class="mt-1 text-sm text-red-700 dark:text-red-400"
            data-testid="push-error"
        >
            {move || error.get()}
        </p>
        {(!server_off)
            .then(|| {
                view! {
                    <h3 class="label mt-4">{tx(PushText::PushDevices)}</h3>
                    {if devices.is_empty() {
                        view! {
                            <p
                                class="text-sm text-slate-600 dark:text-slate-400"
                                data-testid="push-devices-none"
                            >
                                {tx(PushText::PushNoDevices)}
                            </p>
                        }
                            .into_any()
                    } else {
                        view! {
                            <ul
                                class="divide-y divide-slate-200 dark:divide-slate-700"
                                data-testid="push-devices"
                            >
                                {devices
                                    .iter()
                                    .map(|d| {
                                        let id = d.id.clone();
                                        view! {
                                            <li
                                                class="flex items-center justify-between gap-2 py-2"
                                                data-testid="push-device"
                                            >
                                                <span>{d.label.clone()} " · " {day(d.created_at)}</span>
                                                <button
                                                    type="button"
                                                    class="btn-secondary"
                                                    on:click=move |_| remove(id.clone())
                                                >
                                                    {tx(PushText::PushRemoveDevice)}
                                                </button>
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                            .into_any()
                    }}
                    <button
                        type="button"
                        class="btn-secondary mt-3"
                        data-testid="push-test"
                        disabled=move || busy.get()
                        on:click=test
                    >
                        {tx(PushText::PushTest)}
                    </button>
                    <p class="mt-1 text-sm" role="status" data-testid="push-status">
                        {move || status.get()}
                    </p>
                    <QuietHoursForm settings=state.settings.clone() />
                }
            })}
    }
}

#[component]
fn QuietHoursForm(settings: PushSettings) -> impl IntoView {
    let lang = prefs().lang;
    let saved = settings.quiet_hours.clone();
    let on = RwSignal::new(saved.is_some());
    let from = RwSignal::new(QuietHours::clock(
        saved.as_ref().map_or(22 * 60, |q| q.start),
    ));
    let to = RwSignal::new(QuietHours::clock(saved.as_ref().map_or(7 * 60, |q| q.end)));
    let zone = RwSignal::new(saved.map(|q| q.time_zone).unwrap_or_default());
    Effect::new(move |_| zone.set(js::time_zone().1));
    let status = RwSignal::new(String::new());
    let save = move |_| {
        let (offset, time_zone) = js::time_zone();
        let quiet_hours = if on.get_untracked() {
            let (Some(start), Some(end)) = (
                QuietHours::parse_clock(&from.get_untracked()),
                QuietHours::parse_clock(&to.get_untracked()),
            ) else {
                status.set(t(lang.get_untracked(), T::ErrQuietHoursInvalid).into());
                return;
            };
            Some(QuietHours {
                start,
                end,
                utc_offset_minutes: offset,
                time_zone,
            })
        } else {
            None
        };
        status.set(String::new());
        leptos::task::spawn_local(async move {
            match save_push_settings(PushSettings { quiet_hours }).await {
                Ok(_) => status.set(PushText::QuietSaved.text(lang.get_untracked()).into()),
                Err(e) => {
                    redirect_if_signed_out(&e);
                    status.set(error_text(lang.get_untracked(), &e));
                }
            }
        });
    };
    view! {
        <fieldset class="mt-4" data-testid="quiet-hours">
            <legend class="label">{tx(PushText::QuietHours)}</legend>
            <p class="text-sm text-slate-600 dark:text-slate-400">
                {move || tf(lang.get(), PushText::QuietHoursHint, &[("zone", &zone.get())])}
            </p>
            <label class="mt-2 flex items-center gap-2">
                <input
                    type="checkbox"
                    class="accent-teal-700"
                    data-testid="quiet-on"
                    prop:checked=move || on.get()
                    on:change=move |ev| on.set(event_target_checked(&ev))
                />
                {tx(PushText::QuietHoursOn)}
            </label>
            <div class="mt-2 flex flex-wrap items-center gap-4">
                <label class="flex items-center gap-2">
                    {tx(PushText::QuietFrom)}
                    <input
                        type="time"
                        class="input w-auto"
                        data-testid="quiet-from"
                        prop:value=move || from.get()
                        on:input=move |ev| from.set(event_target_value(&ev))
                    />
                </label>
                <label class="flex items-center gap-2">
                    {tx(PushText::QuietTo)}
                    <input
                        type="time"
                        class="input w-auto"
                        data-testid="quiet-to"
                        prop:value=move || to.get()
                        on:input=move |ev| to.set(event_target_value(&ev))
                    />
                </label>
            </div>
            <button type="button" class="btn-secondary mt-3" data-testid="quiet-save" on:click=save>
                {tx(PushText::QuietSave)}
            </button>
            <p class="mt-1 text-sm" role="status" data-testid="quiet-status">
                {move || status.get()}
            </p>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::device_label;

    #[test]
    fn devices_are_named_by_browser_and_system() {
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36";
        assert_eq!(device_label(android), "Chrome on Android");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1";
        assert_eq!(device_label(iphone), "Safari on iPhone");
        let edge = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0";
        assert_eq!(device_label(edge), "Edge on Windows");
        assert_eq!(device_label("curl/8"), "Browser");
    }
}
