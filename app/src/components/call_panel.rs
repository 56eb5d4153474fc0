//! The in-call screen: who, the honest state, the timer, and the controls (mute, keypad,
//! speaker, end). It lives in the shell, so the call stays on screen across navigation; on a
//! phone it covers the page and can be folded into a bar.

use leptos::either::Either;
use leptos::prelude::*;

use super::icons::{Icon, Svg};
use super::messages::end_reason_text;
use super::output_choice::OutputChoice;
use super::recording_controls::RecordingControls;
use super::transfer::{TransferButton, TransferPanel};
use crate::api::live::{LiveCall, TransferState};
use crate::domain::call::{CallState, NO_RESPONSE};
use crate::domain::calls::{format_duration, EndReason};
use crate::domain::numbers::format_e164;
use crate::i18n::T;
use crate::phone::{phone, MicProblem};
use crate::prefs::{prefs, tx, use_tr};

const DTMF_KEYS: [char; 12] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

pub(super) fn now_ms() -> u64 {
    #[cfg(feature = "hydrate")]
    return js_sys::Date::now() as u64;
    #[cfg(not(feature = "hydrate"))]
    0
}

fn state_key(state: &CallState) -> (&'static str, Option<T>) {
    match state {
        CallState::Idle | CallState::Dialing => ("dialing", Some(T::CallCalling)),
        CallState::Ringing => ("ringing", Some(T::CallRinging)),
        CallState::Connected { on_hold: true, .. } => ("held", Some(T::CallOnHold)),
        CallState::Connected {
            held_by_far_end: true,
            ..
        } => ("connected", Some(T::HeldByFarEnd)),
        CallState::Connected { .. } => ("connected", Some(T::CallConnected)),
        CallState::Ending => ("ending", Some(T::CallEnding)),
        CallState::Ended { .. } => ("ended", None),
    }
}

pub fn mic_problem_text(tr: impl Fn(T) -> &'static str, problem: &MicProblem) -> String {
    match problem {
        MicProblem::Blocked => tr(T::MicBlocked).into(),
        MicProblem::Missing => tr(T::MicMissing).into(),
        MicProblem::Busy => tr(T::MicBusy).into(),
        MicProblem::Lost => tr(T::MicLost).into(),
        MicProblem::Other(detail) => format!("{} {detail}", tr(T::MicFailed)),
    }
}

#[component]
pub fn CallPanel() -> impl IntoView {
    let phone = phone();
    // The call on screen: the live one, else the one that just ended.
    let shown = Memo::new(move |_| phone.call.get().or_else(|| phone.ended.get()));
    let call_id = Memo::new(move |_| shown.with(|c| c.as_ref().map(|c| c.id.clone())));
    // Kept here, keyed by call id, so the answer outlives anything below.
    let asked = RwSignal::new(None::<String>);
    // One screen per call: built when a call appears and kept, elements and all, until another
    // call replaces it. Every part below follows only the fields it shows, so the server
    // re-sending the call (a state change, a mute, the recording) never rebuilds a button
    // between a press and its release.
    //
    // With `split`, the call screen's code is its own WASM chunk, out of the first load: fetched
    // as soon as the page is hydrated (the keypad works meanwhile), and the screens are built
    // once it is there, so building one never waits on the network (docs/bench.md, "First
    // load"). The chunk's part is made once, when it has loaded: a part made per call was a
    // future still pending when the next call's id replaced it (answering a call back while the
    // last call's end showed), which then built its screen in a disposed owner and panicked.
    #[cfg(feature = "split")]
    let loaded = leptos::lazy_preload!(call_screens_split);
    #[cfg(feature = "split")]
    return view! {
        {move || { loaded.get().then(|| Suspend::new(call_screens_split(shown, call_id, asked))) }}
    }
    .into_any();
    #[cfg(not(feature = "split"))]
    view! { <CallScreens shown call_id asked /> }.into_any()
}

#[cfg(feature = "split")]
#[leptos::lazy]
async fn call_screens_split(
    shown: Memo<Option<LiveCall>>,
    call_id: Memo<Option<String>>,
    asked: RwSignal<Option<String>>,
) -> AnyView {
    view! { <CallScreens shown call_id asked /> }.into_any()
}

/// One screen per call: built when a call appears and kept, elements and all, until another
/// call replaces it (synchronously: the code is there once this is).
#[component]
fn CallScreens(
    shown: Memo<Option<LiveCall>>,
    call_id: Memo<Option<String>>,
    asked: RwSignal<Option<String>>,
) -> impl IntoView {
    move || call_id.get().map(|_| view! { <CallScreen shown asked /> })
}

#[component]
fn CallScreen(shown: Memo<Option<LiveCall>>, asked: RwSignal<Option<String>>) -> impl IntoView {
    let phone = phone();
    let tr = use_tr();
    let lang = prefs().lang;
    let folded = RwSignal::new(false);
    let keypad = RwSignal::new(false);
    let transfer_open = RwSignal::new(false);
    // When this tab first saw the call connected: the timer runs on this clock.
    let since = RwSignal::new(None::<(String, u64)>);
    let tick = RwSignal::new(0u64);
    Effect::new(move |_| {
        if let Some(c) = phone.call.get() {
            if matches!(c.state, CallState::Connected { .. })
                && since.get_untracked().is_none_or(|(id, _)| id != c.id)
            {
                let start = if c.answered_at.is_some()
                    && c.media_connection != phone.connection.get_untracked()
                {
                    c.answered_at.unwrap_or(0)
                } else {
                    now_ms()
                };
                since.set(Some((c.id.clone(), start)));
            }
        }
    });
    #[cfg(feature = "hydrate")]
    if let Ok(handle) = set_interval_with_handle(
        move || tick.set(now_ms()),
        std::time::Duration::from_millis(500),
    ) {
        on_cleanup(move || handle.clear());
    }

    let field = move |f: fn(&LiveCall) -> bool| shown.with(|c| c.as_ref().is_some_and(f));
    let over = Memo::new(move |_| field(|c| matches!(c.state, CallState::Ended { .. })));
    let connected = Memo::new(move |_| field(|c| matches!(c.state, CallState::Connected { .. })));
    let here = Memo::new(move |_| phone.call_is_here());
    // Each part below appears while its condition holds and is built again only when it
    // changes (memos notify on a change of value, never on a re-sent call).
    let live_here = Memo::new(move |_| here.get() && !over.get());
    let elsewhere = Memo::new(move |_| !here.get() && !over.get());
    let no_channel = Memo::new(move |_| !over.get() && !phone.channel_up.get());
    let keypad_open = Memo::new(move |_| live_here.get() && keypad.get());
    let show_bar = Memo::new(move |_| folded.get() && !over.get());
    let state =
        Memo::new(move |_| shown.with(|c| c.as_ref().map_or("ended", |c| state_key(&c.state).0)));
    let name = Memo::new(move |_| {
        shown.with(|c| {
            c.as_ref().map_or_else(String::new, |c| {
                c.contact_name
                    .clone()
                    .unwrap_or_else(|| format_e164(&c.e164))
            })
        })
    });
    let number = Memo::new(move |_| {
        shown.with(|c| {
            c.as_ref()
                .and_then(|c| c.contact_name.as_ref().map(|_| format_e164(&c.e164)))
        })
    });
    let transferred_to = |c: &Option<LiveCall>| {
        c.as_ref()
            .and_then(|c| c.transfer.as_ref())
            .map(|t| t.name.clone())
            .filter(|name| !name.is_empty())
    };
    let state_text = Memo::new(move |_| {
        let lang = lang.get();
        // A colleague consults this agent about their call (a warm transfer).
        let consulting_with = shown.with(|c| {
            c.as_ref()
                .filter(|c| !matches!(c.state, CallState::Ended { .. }))
                .and_then(|c| c.consult_with.clone())
        });
        if let Some(with) = consulting_with {
            return format!("{} · {with}", tr(T::TransferConsultation));
        }
        shown.with(|c| match c.as_ref().map(|c| &c.state) {
            // A call in being answered: the audio is being set up, nothing is dialled.
            Some(CallState::Idle | CallState::Dialing) if c.as_ref().is_some_and(|c| c.inbound) => {
                tr(T::CallConnecting).to_string()
            }
            // The trunk never answered: say so, and what to do, rather than a bare "failed".
            Some(CallState::Ended {
                reason: EndReason::Failed,
                cause: Some(cause),
                ..
            }) if cause == NO_RESPONSE => {
                format!("{} · {}", tr(T::CallEnded), tr(T::EndNoResponse))
            }
            // Handed on: to whom (a colleague, or the number it was sent on to).
            Some(CallState::Ended {
                reason: EndReason::Transferred,
                ..
            }) if transferred_to(c).is_some() => format!(
                "{} · {} {}",
                tr(T::CallEnded),
                tr(T::TransferredTo),
                transferred_to(c).unwrap_or_default()
            ),
            Some(CallState::Ended { reason, .. }) => {
                format!("{} · {}", tr(T::CallEnded), end_reason_text(lang, *reason))
            }
            Some(s) => state_key(s)
                .1
                .map(|k| tr(k).to_string())
                .unwrap_or_default(),
            None => String::new(),
        })
    });
    let timer = move || {
        tick.track();
        match (call_id_of(shown), since.get()) {
            (Some(id), Some((since_id, start))) if connected.get() && id == since_id => {
                format_duration(now_ms().saturating_sub(start))
            }
            _ => String::new(),
        }
    };
    let muted = phone.muted;
    let muted_now = Memo::new(move |_| muted.get());
    let on_hold = Memo::new(move |_| {
        field(|c| matches!(c.state, CallState::Connected { on_hold: true, .. }))
    });
    let consulting = Memo::new(move |_| {
        field(|c| {
            c.transfer
                .as_ref()
                .is_some_and(|t| t.state == TransferState::Consulting)
        })
    });
    // Hold is offered once the call is answered, where the audio path can hold.
    // (Not a colleague's call this agent is consulted about: it is still theirs.)
    let consulted = Memo::new(move |_| field(|c| c.consult_with.is_some()));
    let can_hold = Memo::new(move |_| connected.get() && phone.can_hold.get() && !consulted.get());
    let round = |on: bool| {
        if on {
            "flex h-14 w-14 items-center justify-center rounded-full bg-white text-slate-900"
        } else {
            "flex h-14 w-14 items-center justify-center rounded-full bg-slate-700"
        }
    };

    let bar = move || {
        view! {
            <button
                type="button"
                class="fixed inset-x-0 top-0 z-40 flex items-center justify-center gap-3 bg-green-700 px-4 py-2 text-sm font-semibold text-white"
                data-testid="call-bar"
                on:click=move |_| folded.set(false)
            >
                <span>{move || name.get()}</span>
                <span>{timer}</span>
                <span class="underline">{tx(T::ReturnToCall)}</span>
            </button>
        }
    };
    let panel = move || {
        // The header and the controls are erased so the panel's view type stays within the
        // compiler's query depth limit (the server build fails past it).
        let header = view! {
            <div class="w-full text-center">
                <div class="flex justify-end">
                    <button
                        type="button"
                        class="rounded px-2 py-1 text-sm text-slate-300 hover:text-white md:hidden"
                        on:click=move |_| folded.set(true)
                    >
                        {tx(T::HideCall)}
                    </button>
                </div>
                <h2 class="mt-2 text-2xl font-semibold" data-testid="call-name">
                    {move || name.get()}
                </h2>
                {move || {
                    number
                        .get()
                        .map(|n| {
                            view! {
                                <p class="text-slate-300" data-testid="call-number">
                                    {n}
                                </p>
                            }
                        })
                }}
                <p
                    class="mt-3 text-lg text-slate-200"
                    role="status"
                    aria-live="polite"
                    data-testid="call-state"
                >
                    {move || state_text.get()}
                </p>
                <p class="mt-1 font-mono text-3xl tabular-nums" data-testid="call-timer">
                    {timer}
                </p>
                <super::call_quality::CallQualityNote phone />
                {move || {
                    muted_now
                        .get()
                        .then(|| {
                            view! {
                                <p class="mt-2 text-amber-300" data-testid="muted-note">
                                    {tx(T::MutedNote)}
                                </p>
                            }
                        })
                }}
                {move || {
                    (on_hold.get() && !consulting.get())
                        .then(|| {
                            // While consulting a number the agent does hear it: the transfer says so.
                            view! {
                                <p class="mt-2 text-amber-300" data-testid="hold-note">
                                    {tx(T::OnHoldNote)}
                                </p>
                            }
                        })
                }}
                <TransferPanel shown open=transfer_open />
                {move || {
                    phone
                        .mic_problem
                        .get()
                        .filter(|_| here.get())
                        .map(|p| {
                            view! {
                                <p
                                    class="mt-2 text-amber-300"
                                    role="alert"
                                    data-testid="mic-problem"
                                >
                                    {mic_problem_text(tr, &p)}
                                </p>
                                <button
                                    type="button"
                                    class="mt-2 rounded-lg border border-amber-300 px-3 py-1 text-sm text-amber-200 hover:bg-amber-300/10"
                                    data-testid="mic-retry"
                                    on:click=move |_| phone.retry_mic()
                                >
                                    {tx(T::Retry)}
                                </button>
                            }
                        })
                }}
                {move || {
                    elsewhere
                        .get()
                        .then(|| {
                            view! {
                                <p class="mt-4 text-slate-300" data-testid="call-elsewhere">
                                    {tx(T::OnCallElsewhere)}
                                </p>
                            }
                        })
                }}
                {move || {
                    no_channel
                        .get()
                        .then(|| {
                            view! {
                                <p class="mt-2 text-amber-300" role="alert">
                                    {tx(T::NoChannel)}
                                </p>
                            }
                        })
                }}
                {move || {
                    phone
                        .notice
                        .get()
                        .filter(|_| !over.get())
                        .map(|n| {
                            view! {
                                <p
                                    class="mt-2 text-amber-300"
                                    role="alert"
                                    data-testid="call-notice"
                                >
                                    {n}
                                </p>
                            }
                        })
                }}
                {move || {
                    (!over.get()).then(|| view! { <RecordingControls shown here asked tick /> })
                }}
            </div>
        }
        .into_any();
        // The panel has a fixed height on every screen and the controls keep to its bottom, so
        // what appears above them (the recording question at the answer, a notice) never moves
        // a button from under a finger that is pressing it. The scroll padding keeps what is
        // scrolled to (a key of the keypad) clear of them. Five controls do not fit one row on
        // a phone or in the desktop panel: they have one width and wrap, three to a row (the scroll
        // padding covers both rows and End).
        let controls = view! {
            <div class="sticky bottom-0 w-full bg-slate-900 pt-2">
                {move || {
                    live_here
                        .get()
                        .then(|| {
                            view! {
                                <div class="mx-auto mb-6 flex max-w-xs flex-wrap items-start justify-center gap-x-2 gap-y-4 *:w-24 *:text-center">
                                    <button
                                        type="button"
                                        class="flex flex-col items-center gap-1 text-sm"
                                        data-testid="mute-button"
                                        aria-pressed=move || muted.get().to_string()
                                        on:click=move |_| phone.set_muted(!muted.get_untracked())
                                    >
                                        <span class=move || round(muted.get())>
                                            <Svg icon=Icon::MicOff />
                                        </span>
                                        {tx(T::Mute)}
                                    </button>
                                    {move || {
                                        can_hold
                                            .get()
                                            .then(|| {
                                                view! {
                                                    <button
                                                        type="button"
                                                        class="flex flex-col items-center gap-1 text-sm"
                                                        data-testid="hold-button"
                                                        aria-pressed=move || on_hold.get().to_string()
                                                        on:click=move |_| {
                                                            phone.set_on_hold(!on_hold.get_untracked())
                                                        }
                                                    >
                                                        <span class=move || round(on_hold.get())>
                                                            <Svg icon=Icon::Pause />
                                                        </span>
                                                        {tx(T::Hold)}
                                                    </button>
                                                }
                                            })
                                    }}
                                    {move || {
                                        can_hold
                                            .get()
                                            .then(|| {
                                                view! { <TransferButton open=transfer_open round /> }
                                            })
                                    }}
                                    <button
                                        type="button"
                                        class="flex flex-col items-center gap-1 text-sm"
                                        data-testid="keypad-toggle"
                                        aria-expanded=move || keypad.get().to_string()
                                        on:click=move |_| keypad.update(|k| *k = !*k)
                                    >
                                        <span class=move || round(keypad.get())>
                                            <Svg icon=Icon::Keypad />
                                        </span>
                                        {tx(T::ShowKeypad)}
                                    </button>
                                    <OutputChoice />
                                </div>
                            }
                        })
                }}
                {move || {
                    if over.get() {
                        Either::Left(
                            // The reason stays up a few seconds; the user need not wait for it.
                            view! {
                                <button
                                    type="button"
                                    class="btn-secondary mx-auto flex"
                                    data-testid="dismiss-call"
                                    on:click=move |_| phone.ended.set(None)
                                >
                                    {tx(T::Close)}
                                </button>
                            },
                        )
                    } else {
                        Either::Right(
                            view! {
                                <button
                                    type="button"
                                    class="mx-auto flex h-16 w-16 items-center justify-center rounded-full bg-red-600 hover:bg-red-700"
                                    data-testid="end-call"
                                    on:click=move |_| phone.hangup()
                                >
                                    <Svg icon=Icon::PhoneDown class="h-8 w-8" />
                                    <span class="sr-only">{tx(T::EndCall)}</span>
                                </button>
                            },
                        )
                    }
                }}
            </div>
        }
        .into_any();
        view! {
            <section
                role="dialog"
                aria-label=move || name.get()
                data-testid="call-panel"
                data-state=move || state.get()
                class="fixed inset-0 z-40 flex flex-col items-center justify-between overflow-y-auto scroll-pb-80 bg-slate-900 px-6 pb-[calc(env(safe-area-inset-bottom)+1.5rem)] pt-10 text-white md:inset-auto md:right-6 md:top-6 md:h-[calc(100vh-3rem)] md:w-96 md:rounded-2xl md:pt-6 md:shadow-2xl"
            >
                {header}
                {move || {
                    live_here
                        .get()
                        .then(|| {
                            view! {
                                <div
                                    class="my-4 h-1.5 w-40 overflow-hidden rounded-full bg-slate-700"
                                    role="meter"
                                    aria-label=tx(T::MicLevel)
                                    aria-valuemin="0"
                                    aria-valuemax="100"
                                    aria-valuenow=move || {
                                        ((phone.mic_level.get() * 100.0) as u32).to_string()
                                    }
                                    data-testid="mic-level"
                                >
                                    <div
                                        class="h-full bg-green-400 transition-[width]"
                                        style=move || {
                                            format!("width:{}%", (phone.mic_level.get() * 100.0) as u32)
                                        }
                                    ></div>
                                </div>
                            }
                        })
                }}
                {move || {
                    keypad_open
                        .get()
                        .then(|| {
                            view! {
                                <div
                                    class="grid w-full max-w-xs grid-cols-3 gap-3"
                                    role="group"
                                    aria-label=tx(T::ShowKeypad)
                                >
                                    {DTMF_KEYS
                                        .into_iter()
                                        .map(|key| {
                                            view! {
                                                <button
                                                    type="button"
                                                    class="flex h-14 items-center justify-center rounded-2xl bg-slate-800 text-2xl hover:bg-slate-700"
                                                    data-dtmf=key.to_string()
                                                    on:click=move |_| phone.dtmf(key)
                                                >
                                                    {key.to_string()}
                                                </button>
                                            }
                                        })
                                        .collect_view()}
                                </div>
                            }
                        })
                }}
                {controls}
            </section>
        }
    };
    // Folding swaps the panel for the bar; an ended call always shows its panel (and reason).
    view! { {move || if show_bar.get() { Either::Left(bar()) } else { Either::Right(panel()) }} }
}

pub(super) fn call_id_of(shown: Memo<Option<LiveCall>>) -> Option<String> {
    shown.with(|c| c.as_ref().map(|c| c.id.clone()))
}
