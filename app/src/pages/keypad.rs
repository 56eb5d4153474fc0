//! The dial pad: type, paste or tap a number; see it formatted and judged as you go.

use leptos::ev;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::browser;
use crate::components::icons::{Icon, Svg};
use crate::components::messages::{kind_text, refusal_text};
use crate::domain::numbers::{
    check, format_e164, format_partial, Country, NumberCheck, RefusalReason, RuleTable,
};
use crate::i18n::T;
use crate::phone::{dial_error_text, phone, DialError};
use crate::prefs::{country_name, prefs, tx, use_tr, use_trf};

const LAST_DIALLED: &str = "softphone.last_dialled";
const LONG_PRESS_MS: u64 = 600;
const KEYS: [(char, &str); 12] = [
    ('1', ""),
    ('2', "ABC"),
    ('3', "DEF"),
    ('4', "GHI"),
    ('5', "JKL"),
    ('6', "MNO"),
    ('7', "PQRS"),
    ('8', "TUV"),
    ('9', "WXYZ"),
    ('*', ""),
    ('0', "+"),
    ('#', ""),
];

/// What the field shows after pasting: a recognised number in international form, otherwise
/// exactly what was pasted (so the verdict can say what is wrong with it).
fn pasted(text: &str, country: Country) -> String {
    match check(text, Some(country), &RuleTable) {
        NumberCheck {
            country: Some(_),
            e164: Some(e164),
            ..
        } => format_e164(&e164),
        _ => text.trim().chars().take(64).collect(),
    }
}

#[component]
pub fn Keypad() -> impl IntoView {
    let tr = use_tr();
    let trf = use_trf();
    let prefs = prefs();
    let (lang, country) = (prefs.lang, prefs.country);
    let initial = use_query_map()
        .get_untracked()
        .get("number")
        .map(|n| pasted(&n, country.get_untracked()))
        .unwrap_or_default();
    let text = RwSignal::new(initial);
    let last = RwSignal::new(None::<String>);
    let outcome = RwSignal::new(None::<DialError>);
    let phone = phone();
    let input_ref = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| last.set(browser::local_get(LAST_DIALLED).filter(|s| !s.is_empty())));

    let verdict = Memo::new(move |_| check(&text.get(), Some(country.get()), &RuleTable));
    let set_text = move |value: String| {
        outcome.set(None);
        text.set(value);
    };
    let append = move |key: char| {
        browser::key_tone(key);
        let next = format!("{}{}", text.get_untracked(), key);
        set_text(format_partial(&next, Some(country.get_untracked())));
        if let Some(input) = input_ref.get_untracked() {
            let _ = input.focus();
        }
    };
    let backspace = move || {
        let mut current = text.get_untracked();
        while let Some(c) = current.pop() {
            if c.is_ascii_digit() || matches!(c, '+' | '*' | '#') {
                break;
            }
        }
        set_text(format_partial(&current, Some(country.get_untracked())));
    };

    let calling = Action::new_local(move |(input, country): &(String, Country)| {
        let (input, country) = (input.clone(), *country);
        async move { phone.dial(input, country).await }
    });
    Effect::new(move |_| {
        if let Some(result) = calling.value().get() {
            match result {
                // The call is placed; remember the number for recall.
                Ok(()) => {
                    if let Some(e164) = verdict.get_untracked().e164 {
                        browser::local_set(LAST_DIALLED, &e164);
                        last.set(Some(e164));
                    }
                    outcome.set(None);
                }
                Err(e) => {
                    if let DialError::Api(api) = &e {
                        crate::components::messages::redirect_if_signed_out(api);
                    }
                    outcome.set(Some(e));
                }
            }
        }
    });
    let place_call = move || {
        if text.get_untracked().trim().is_empty() {
            if let Some(number) = last.get_untracked() {
                set_text(pasted(&number, country.get_untracked()));
            }
            return;
        }
        if verdict.get_untracked().is_allowed() {
            calling.dispatch((text.get_untracked(), country.get_untracked()));
        }
    };

    // Typing anywhere on the page dials, as on a desk phone.
    let handle = window_event_listener(ev::keydown, move |ev| {
        if browser::targets_a_control(&ev) || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let key = ev.key();
        match key.as_str() {
            "Backspace" => {
                ev.prevent_default();
                backspace();
            }
            "Enter" => {
                ev.prevent_default();
                place_call();
            }
            k if k.len() == 1
                && k.chars()
                    .all(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | '+')) =>
            {
                // The key is ours: without this, focusing the field would type it a second time.
                ev.prevent_default();
                append(k.chars().next().unwrap_or('0'));
            }
            _ => {}
        }
    });
    on_cleanup(move || handle.remove());

    let allowed = move || verdict.get().is_allowed();
    let can_call = move || allowed() || (text.get().trim().is_empty() && last.get().is_some());
    let shown_country = move || verdict.get().country.unwrap_or(country.get());
    // One computation feeds both the text and its colour.
    let message = Memo::new(move |_| {
        let l = lang.get();
        if let Some(error) = outcome.get() {
            return (
                dial_error_text(l, &error),
                "text-amber-800 dark:text-amber-300",
            );
        }
        let v = verdict.get();
        if text.get().trim().is_empty() {
            return match last.get() {
                Some(number) => (
                    trf(T::RecallHint, &[("number", &number)]),
                    "text-slate-600 dark:text-slate-400",
                ),
                None => (
                    tr(T::KeypadHint).to_string(),
                    "text-slate-600 dark:text-slate-400",
                ),
            };
        }
        match (v.reason, v.kind, v.country) {
            (None, Some(kind), Some(c)) => (
                format!("{} · {}", kind_text(l, kind), country_name(l, c)),
                "text-teal-700 dark:text-teal-300",
            ),
            (Some(RefusalReason::TooShort), _, c) => (
                refusal_text(l, RefusalReason::TooShort, c),
                "text-slate-600 dark:text-slate-400",
            ),
            (Some(reason), _, c) => (refusal_text(l, reason, c), "text-red-700 dark:text-red-400"),
            _ => (String::new(), ""),
        }
    });

    // Long presses: 0 gives +, backspace clears.
    let long_fired = StoredValue::new(false);
    let timer = StoredValue::new(None::<leptos::prelude::TimeoutHandle>);
    let start_press = move |on_long: fn(RwSignal<String>, Country) -> ()| {
        long_fired.set_value(false);
        if let Ok(handle) = set_timeout_with_handle(
            move || {
                long_fired.set_value(true);
                on_long(text, country.get_untracked());
            },
            std::time::Duration::from_millis(LONG_PRESS_MS),
        ) {
            timer.set_value(Some(handle));
        }
    };
    let end_press = move || {
        if let Some(handle) = timer.get_value() {
            handle.clear();
        }
        timer.set_value(None);
    };

    view! {
        <super::PageTitle title=T::NavKeypad />
        <section aria-label=tx(T::Dialpad) class="mx-auto max-w-sm">
            <div class="flex items-center gap-2">
                <label for="dial-country" class="sr-only">
                    {tx(T::Country)}
                </label>
                <crate::components::pickers::CountrySelect
                    id="dial-country"
                    class="input w-auto shrink-0"
                />
                <span class="text-2xl" aria-hidden="true" data-testid="dial-flag">
                    {move || shown_country().flag()}
                </span>
            </div>
            <label for="dial-input" class="sr-only">
                {tx(T::PhoneNumber)}
            </label>
            <input
                id="dial-input"
                node_ref=input_ref
                class="mt-3 w-full border-0 border-b-2 border-slate-200 bg-transparent py-3 text-center text-3xl tracking-wide focus:border-teal-600 focus:outline-none dark:border-slate-700"
                type="tel"
                inputmode="tel"
                autocomplete="off"
                placeholder="+65 8123 4567"
                aria-describedby="dial-verdict"
                prop:value=move || text.get()
                on:input=move |ev| set_text(
                    format_partial(&event_target_value(&ev), Some(country.get_untracked())),
                )
                on:paste=move |ev: ev::ClipboardEvent| {
                    if let Some(data) = browser::clipboard_text(&ev) {
                        ev.prevent_default();
                        set_text(pasted(&data, country.get_untracked()));
                    }
                }
                on:keydown=move |ev: ev::KeyboardEvent| {
                    if ev.key() == "Enter" {
                        ev.prevent_default();
                        place_call();
                    }
                }
            />
            <p
                id="dial-verdict"
                aria-live="polite"
                data-testid="dial-verdict"
                class=move || format!("mt-2 min-h-10 text-center text-sm {}", message.with(|m| m.1))
            >
                {move || message.with(|m| m.0.clone())}
            </p>
            <div class="mt-2 grid grid-cols-3 gap-3" role="group" aria-label=tx(T::Dialpad)>
                {KEYS
                    .into_iter()
                    .map(|(key, letters)| {
                        let label = if key == '0' { Some(T::ZeroPlus) } else { None };
                        view! {
                            <button
                                type="button"
                                class="dial-key"
                                data-key=key.to_string()
                                aria-label=move || {
                                    label
                                        .map(|l| tr(l).to_string())
                                        .unwrap_or_else(|| key.to_string())
                                }
                                on:pointerdown=move |_| {
                                    if key == '0' {
                                        start_press(|text, country| {
                                            browser::key_tone('+');
                                            let next = format!("{}+", text.get_untracked());
                                            text.set(format_partial(&next, Some(country)));
                                        });
                                    }
                                }
                                on:pointerup=move |_| end_press()
                                on:pointerleave=move |_| end_press()
                                on:click=move |_| {
                                    if key == '0' && long_fired.get_value() {
                                        long_fired.set_value(false);
                                        return;
                                    }
                                    append(key);
                                }
                            >
                                <span class="text-2xl leading-none">{key.to_string()}</span>
                                <span class="h-3 text-[0.6rem] tracking-widest text-slate-600 dark:text-slate-400">
                                    {letters}
                                </span>
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <div class="mt-5 grid grid-cols-3 items-center gap-3">
                <span></span>
                <button
                    type="button"
                    class="btn-call"
                    data-testid="call-button"
                    disabled=move || {
                        !can_call() || calling.pending().get() || phone.call.get().is_some()
                    }
                    aria-describedby="dial-verdict"
                    on:click=move |_| place_call()
                >
                    <Svg icon=Icon::Phone class="h-7 w-7" />
                    <span class="sr-only">{tx(T::Call)}</span>
                </button>
                <button
                    type="button"
                    class="mx-auto flex h-14 w-14 items-center justify-center rounded-full text-slate-600 hover:bg-slate-100 disabled:opacity-30 dark:text-slate-300 dark:hover:bg-slate-800"
                    aria-label=tx(T::Backspace)
                    data-testid="backspace"
                    disabled=move || text.get().is_empty()
                    on:pointerdown=move |_| start_press(|text, _| text.set(String::new()))
                    on:pointerup=move |_| end_press()
                    on:pointerleave=move |_| end_press()
                    on:click=move |_| {
                        if long_fired.get_value() {
                            long_fired.set_value(false);
                            return;
                        }
                        backspace();
                    }
                >
                    <Svg icon=Icon::Backspace class="h-7 w-7" />
                </button>
            </div>
        </section>
    }
}
