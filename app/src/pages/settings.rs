//! Settings: account, theme, language, default country, audio, recording, missed-call
//! notifications (`settings_push.rs`) and integration tokens (`settings_tokens.rs`).

use leptos::prelude::*;

use super::settings_text::SettingsText;
use crate::api::auth::{current_account, sign_out, Account};
use crate::api::recordings::{
    get_preferences, set_confirm_api_calls, set_do_not_disturb, set_recording_mode,
};
use crate::api::{api_resource, ApiError, ApiResource};
use crate::browser;
use crate::components::messages::{error_text, redirect_if_signed_out, LoadBoundary};
use crate::components::pickers::DeviceOptions;
use crate::domain::recordings::{Preferences, RecordingMode};
use crate::i18n::{Lang, Text, T};
use crate::prefs::{prefs, tx, NotRemembered, Theme};

fn theme_label(theme: Theme) -> SettingsText {
    match theme {
        Theme::System => SettingsText::ThemeSystem,
        Theme::Light => SettingsText::ThemeLight,
        Theme::Dark => SettingsText::ThemeDark,
    }
}

/// What Settings loads: made by the lazy route before the page's code arrives (so both load
/// at once), or by [`Settings`] in the one-bundle build.
pub struct SettingsData {
    account: ApiResource<Option<Account>>,
    preferences: ApiResource<Preferences>,
    tokens: ApiResource<Vec<crate::domain::tokens::TokenInfo>>,
    push: ApiResource<crate::domain::push::PushState>,
}

impl SettingsData {
    pub fn load() -> Self {
        SettingsData {
            account: api_resource(|| (), |_| current_account()),
            preferences: api_resource(|| (), |_| get_preferences()),
            tokens: api_resource(|| (), |_| crate::api::tokens::list_tokens()),
            push: api_resource(|| (), |_| crate::api::push::load_push_state()),
        }
    }
}

#[component]
pub fn Settings() -> impl IntoView {
    view! { <SettingsPage data=SettingsData::load() /> }
}

#[component]
pub fn SettingsPage(data: SettingsData) -> impl IntoView {
    let SettingsData {
        account,
        preferences,
        tokens,
        push,
    } = data;
    let prefs = prefs();
    let lang = prefs.lang;
    let signing_out = RwSignal::new(false);
    let sign_out_error = RwSignal::new(None::<ApiError>);
    let on_sign_out = move |_| {
        signing_out.set(true);
        sign_out_error.set(None);
        leptos::task::spawn_local(async move {
            match sign_out().await {
                // Signed out now, or already: the session is over, go to sign-in.
                Ok(()) | Err(ApiError::NotSignedIn) => browser::go_to("/signin"),
                // The session may still be alive on the server: say so, and let them try again.
                Err(e) => {
                    signing_out.set(false);
                    sign_out_error.set(Some(e));
                }
            }
        });
    };
    // Theme, language and country apply at once; this says when the browser did not keep them.
    let not_remembered = RwSignal::new(false);
    let saved = move |result: Result<(), NotRemembered>| not_remembered.set(result.is_err());

    view! {
        <super::PageTitle title=SettingsText::SettingsTitle />
        <section class="card" aria-labelledby="settings-account">
            <h2 id="settings-account" class="card-title">
                {tx(T::Account)}
            </h2>
            <p class="text-sm text-slate-600 dark:text-slate-400">{tx(SettingsText::SignedInAs)}</p>
            <LoadBoundary
                fallback=|| {
                    view! {
                        <p class="font-medium" data-testid="account-email">
                            "…"
                        </p>
                    }
                }
                retry=Callback::new(move |_| account.refetch())
                page=Box::new(move || {
                    account
                        .get()
                        .map(|result| {
                            result
                                .map(|a| {
                                    let admin = a
                                        .as_ref()
                                        .is_some_and(|a| a.roles.iter().any(|r| r == "admin"));
                                    view! {
                                        <p class="font-medium" data-testid="account-email">
                                            {a.map(|a| a.email)}
                                        </p>
                                        {admin
                                            .then(|| {
                                                view! {
                                                    <a class="link" href="/admin" data-testid="admin-link">
                                                        {tx(T::AdminTitle)}
                                                    </a>
                                                }
                                            })}
                                    }
                                        .into_any()
                                })
                        })
                })
            />
            <button
                type="button"
                class="btn-secondary mt-3"
                disabled=move || signing_out.get()
                on:click=on_sign_out
            >
                {tx(SettingsText::SignOut)}
            </button>
            <p
                role="alert"
                class="mt-1 text-sm text-red-700 dark:text-red-400"
                data-testid="sign-out-error"
            >
                {move || sign_out_error.get().map(|e| error_text(lang.get(), &e))}
            </p>
        </section>
        <section class="card" aria-labelledby="settings-appearance">
            <h2 id="settings-appearance" class="card-title">
                {tx(SettingsText::Appearance)}
            </h2>
            <fieldset>
                <legend class="label">{tx(SettingsText::Theme)}</legend>
                <div class="flex flex-wrap gap-2">
                    {Theme::ALL
                        .into_iter()
                        .map(|theme| {
                            view! {
                                <label class="chip cursor-pointer has-[:checked]:border-teal-700 has-[:checked]:bg-teal-50 dark:has-[:checked]:bg-teal-950">
                                    <input
                                        type="radio"
                                        name="theme"
                                        class="accent-teal-700"
                                        value=theme.as_str()
                                        prop:checked=move || prefs.theme.get() == theme
                                        on:change=move |_| saved(prefs.set_theme(theme))
                                    />
                                    {tx(theme_label(theme))}
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
            </fieldset>
            <div class="mt-4">
                <label for="settings-language" class="label">
                    {tx(SettingsText::Language)}
                </label>
                <select
                    id="settings-language"
                    class="input w-auto"
                    on:change=move |ev| {
                        if let Some(lang) = Lang::from_tag(&event_target_value(&ev)) {
                            leptos::task::spawn_local(async move {
                                crate::i18n::load(lang).await;
                                saved(prefs.set_lang(lang));
                            });
                        }
                    }
                >
                    {Lang::ALL
                        .into_iter()
                        .map(|lang| {
                            view! {
                                <option value=lang.tag() selected=move || prefs.lang.get() == lang>
                                    {lang.native_name()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="mt-4">
                <label for="settings-country" class="label">
                    {tx(SettingsText::DefaultCountry)}
                </label>
                <crate::components::pickers::CountrySelect
                    id="settings-country"
                    class="input w-auto"
                    on_saved=Callback::new(saved)
                />
            </div>
            <p
                class="mt-2 text-sm text-red-700 dark:text-red-400"
                role="status"
                data-testid="appearance-status"
            >
                {move || {
                    not_remembered.get().then(|| SettingsText::ErrNotRemembered.text(lang.get()))
                }}
            </p>
        </section>
        <AudioSettings />
        <super::settings_check::PreCallCheck />
        <DoNotDisturbSettings preferences />
        <RecordingSettings preferences />
        <super::settings_push::PushSettingsSection state=push />
        <super::settings_tokens::TokenSettings tokens />
        <IntegrationSettings preferences />
        <super::settings_numbers::NumberSettings account />
    }
}

/// Whether calls placed by other apps through the REST API wait for the agent's Call in the
/// app before the microphone opens (kept on the server).
#[component]
fn IntegrationSettings(preferences: ApiResource<Preferences>) -> impl IntoView {
    view! {
        <PreferenceSwitch
            preferences
            name="confirm-api-calls"
            section_id="settings-integrations"
            title=SettingsText::ConfirmCallsSetting
            label=SettingsText::ConfirmCallsAsk
            hint=SettingsText::ConfirmCallsHint
            current=|p| p.confirm_api_calls
            save=|on| Box::pin(set_confirm_api_calls(on))
        />
    }
}

/// Do not disturb: inbound calls skip this agent (kept on the server).
#[component]
fn DoNotDisturbSettings(preferences: ApiResource<Preferences>) -> impl IntoView {
    view! {
        <PreferenceSwitch
            preferences
            name="do-not-disturb"
            section_id="settings-incoming"
            title=SettingsText::DoNotDisturbSetting
            label=SettingsText::DoNotDisturbOn
            hint=SettingsText::DoNotDisturbHint
            current=|p| p.do_not_disturb
            save=|on| Box::pin(set_do_not_disturb(on))
        />
    }
}

/// Saving one on/off preference: the server function's answer.
type SavePreference =
    fn(bool) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Preferences, ApiError>>>>;

/// One on/off preference kept on the server, in its own card: the checkbox appears once the
/// preferences loaded (inside the load boundary, so the server-rendered page and the hydrated
/// one agree on it), and a change is saved at once with "Saved." or why not.
#[component]
fn PreferenceSwitch(
    preferences: ApiResource<Preferences>,
    /// The checkbox's test id; `{name}-status` is the status line's.
    name: &'static str,
    section_id: &'static str,
    title: SettingsText,
    label: SettingsText,
    hint: SettingsText,
    current: fn(&Preferences) -> bool,
    save: SavePreference,
) -> AnyView {
    let lang = prefs().lang;
    let chosen = RwSignal::new(None::<bool>);
    let status = RwSignal::new(String::new());
    let choose = move |on: bool| {
        chosen.set(Some(on));
        leptos::task::spawn_local(async move {
            let text = match save(on).await {
                Ok(_) => crate::i18n::t(lang.get_untracked(), T::Saved).to_string(),
                Err(e) => {
                    redirect_if_signed_out(&e);
                    error_text(lang.get_untracked(), &e)
                }
            };
            status.set(text);
        });
    };
    let hint_id = format!("{section_id}-hint");
    let described_by = hint_id.clone();
    view! {
        <section class="card" aria-labelledby=section_id>
            <h2 id=section_id class="card-title">
                {tx(title)}
            </h2>
            <LoadBoundary
                fallback=|| "…"
                retry=Callback::new(move |_| preferences.refetch())
                page=Box::new(move || {
                    let described_by = described_by.clone();
                    preferences
                        .get()
                        .map(|loaded| {
                            loaded
                                .map(|loaded| {
                                    let saved = current(&loaded);
                                    view! {
                                        <label class="flex items-center gap-2">
                                            <input
                                                type="checkbox"
                                                class="accent-teal-700"
                                                data-testid=name
                                                aria-describedby=described_by
                                                prop:checked=move || { chosen.get().unwrap_or(saved) }
                                                on:change=move |ev| choose(event_target_checked(&ev))
                                            />
                                            {tx(label)}
                                        </label>
                                    }
                                        .into_any()
                                })
                        })
                })
            />
            <p id=hint_id class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                {tx(hint)}
            </p>
            <p class="mt-1 text-sm" role="status" data-testid=format!("{name}-status")>
                {move || status.get()}
            </p>
        </section>
    }
    .into_any()
}

/// When calls are recorded (kept on the server: "always" starts recording at the answer).
#[component]
fn RecordingSettings(preferences: ApiResource<Preferences>) -> impl IntoView {
    let lang = prefs().lang;
    let chosen = RwSignal::new(None::<RecordingMode>);
    let status = RwSignal::new(String::new());
    let choose = move |mode: RecordingMode| {
        chosen.set(Some(mode));
        leptos::task::spawn_local(async move {
            let text = match set_recording_mode(mode).await {
                Ok(_) => crate::i18n::t(lang.get_untracked(), T::Saved).to_string(),
                Err(e) => {
                    redirect_if_signed_out(&e);
                    error_text(lang.get_untracked(), &e)
                }
            };
            status.set(text);
        });
    };
    let mode = move || {
        chosen
            .get()
            .or_else(|| preferences.get().and_then(|p| p.ok()).map(|p| p.recording))
    };
    let options = [
        (RecordingMode::Always, SettingsText::RecordAlways),
        (RecordingMode::Ask, SettingsText::RecordAskEach),
        (RecordingMode::Never, SettingsText::RecordNever),
    ];
    view! {
        <section class="card" aria-labelledby="settings-recording">
            <h2 id="settings-recording" class="card-title">
                {tx(SettingsText::RecordingSetting)}
            </h2>
            <LoadBoundary
                fallback=|| "…"
                retry=Callback::new(move |_| preferences.refetch())
                page=Box::new(move || {
                    preferences
                        .get()
                        .map(|loaded| {
                            loaded
                                .map(|_| {
                                    view! {
                                        <fieldset data-testid="recording-mode">
                                            <legend class="sr-only">
                                                {tx(SettingsText::RecordingSetting)}
                                            </legend>
                                            <div class="flex flex-wrap gap-2">
                                                {options
                                                    .into_iter()
                                                    .map(|(m, label)| {
                                                        view! {
                                                            <label class="chip cursor-pointer has-[:checked]:border-teal-700 has-[:checked]:bg-teal-50 dark:has-[:checked]:bg-teal-950">
                                                                <input
                                                                    type="radio"
                                                                    name="recording-mode"
                                                                    class="accent-teal-700"
                                                                    value=m.as_str()
                                                                    prop:checked=move || mode() == Some(m)
                                                                    on:change=move |_| choose(m)
                                                                />
                                                                {tx(label)}
                                                            </label>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </div>
                                        </fieldset>
                                    }
                                        .into_any()
                                })
                        })
                })
            />
            <p class="mt-2 text-sm text-slate-600 dark:text-slate-400">
                {tx(SettingsText::RecordingHint)}
            </p>
            <p class="mt-1 text-sm" role="status" data-testid="recording-mode-status">
                {move || status.get()}
            </p>
        </section>
    }
}

/// Microphone and speaker choice (remembered in this browser) and a microphone test.
#[component]
fn AudioSettings() -> impl IntoView {
    let phone = crate::phone::phone();
    let tr = crate::prefs::use_tr();
    phone.refresh_devices();
    on_cleanup(move || phone.test_mic(false));
    view! {
        <section class="card" aria-labelledby="settings-audio">
            <h2 id="settings-audio" class="card-title">
                {tx(SettingsText::AudioTitle)}
            </h2>
            <label for="settings-mic" class="label">
                {tx(SettingsText::Microphone)}
            </label>
            <select
                id="settings-mic"
                class="input"
                data-testid="mic-select"
                on:change=move |ev| phone.choose_input(event_target_value(&ev))
            >
                {move || view! { <DeviceOptions devices=phone.inputs.get() chosen=phone.input /> }}
            </select>
            {move || {
                phone
                    .inputs
                    .get()
                    .is_empty()
                    .then(|| {
                        view! {
                            <p class="mt-1 text-sm text-slate-600 dark:text-slate-400">
                                {tx(SettingsText::DevicesHidden)}
                            </p>
                        }
                    })
            }}
            <div class="mt-4">
                <label for="settings-output" class="label">
                    {tx(T::Speaker)}
                </label>
                {move || {
                    if phone.outputs.get().selectable {
                        view! {
                            <select
                                id="settings-output"
                                class="input"
                                data-testid="output-settings"
                                on:change=move |ev| phone.choose_output(event_target_value(&ev))
                            >
                                <DeviceOptions
                                    devices=phone.outputs.get().devices
                                    chosen=phone.output
                                />
                            </select>
                        }
                            .into_any()
                    } else {
                        view! {
                            <p
                                id="settings-output"
                                class="text-sm text-slate-600 dark:text-slate-400"
                            >
                                {tx(T::OutputFixed)}
                            </p>
                        }
                            .into_any()
                    }
                }}
            </div>
            <div class="mt-4 flex items-center gap-4">
                <button
                    type="button"
                    class="btn-secondary"
                    data-testid="mic-test"
                    aria-pressed=move || phone.mic_testing.get().to_string()
                    on:click=move |_| phone.test_mic(!phone.mic_testing.get_untracked())
                >
                    {move || {
                        if phone.mic_testing.get() {
                            tx(SettingsText::StopTest).get()
                        } else {
                            tx(SettingsText::TestMic).get()
                        }
                    }}
                </button>
                <div
                    class="h-2 flex-1 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-700"
                    role="meter"
                    aria-label=tx(T::MicLevel)
                    aria-valuemin="0"
                    aria-valuemax="100"
                    aria-valuenow=move || ((phone.mic_level.get() * 100.0) as u32).to_string()
                    data-testid="settings-mic-level"
                >
                    <div
                        class="h-full bg-teal-600"
                        style=move || format!("width:{}%", (phone.mic_level.get() * 100.0) as u32)
                    ></div>
                </div>
            </div>
            {move || {
                phone
                    .mic_problem
                    .get()
                    .map(|p| {
                        view! {
                            <p class="field-error" role="alert">
                                {crate::components::call_panel::mic_problem_text(tr, &p)}
                            </p>
                        }
                    })
            }}
        </section>
    }
}
