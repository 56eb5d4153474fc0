//! The in-call screen: who, the honest state, the timer, and the controls (mute, keypad,
//! speaker, end). It lives in the shell, so the call stays on screen across navigation; on a
//! phone it covers the page and can be folded into a bar.

use leptos::prelude::*;

use super::icons::{Icon, Svg};
use super::messages::end_reason_text;
use crate::api::live::{LiveCall, LiveRecordingState, RecordAction};
use crate::domain::call::CallState;
use crate::domain::calls::format_duration;
use crate::domain::numbers::format_e164;
use crate::domain::recordings::RecordingMode;
use crate::i18n::T;
use crate::phone::{phone, MicProblem};
use crate::prefs::{prefs, tx, use_tr};

const DTMF_KEYS: [char; 12] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

fn now_ms() -> u64 {
    #[cfg(feature = "hydrate")]
    return js_sys::Date::now() as u64;
    #[cfg(not(feature = "hydrate"))]
    0
}

fn state_key(state: &CallState) -> (&'static str, Option<T>) {
    match state {
        CallState::Idle | CallState::Dialing => ("dialing", Some(T::CallCalling)),
        CallState::Ringing => ("ringing", Some(T::CallRinging)),
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
    let tr = use_tr();
    let lang = prefs().lang;
    let folded = RwSignal::new(false);
    let keypad = RwSignal::new(false);
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
    let timer = move || {
        tick.track();
        match (phone.call.get(), since.get()) {
            (Some(c), Some((id, start)))
                if c.id == id && matches!(c.state, CallState::Connected { .. }) =>
            {
                format_duration(now_ms().saturating_sub(start))
            }
            _ => String::new(),
        }
    };
    let shown = move || phone.call.get().or_else(|| phone.ended.get());
    let who = move |c: &LiveCall| {
        c.contact_name
            .clone()
            .unwrap_or_else(|| format_e164(&c.e164))
    };
    let state_text = move |c: &LiveCall| match &c.state {
        CallState::Ended { reason, .. } => format!(
            "{} · {}",
            tr(T::CallEnded),
            end_reason_text(lang.get(), *reason)
        ),
        s => state_key(s)
            .1
            .map(|k| tr(k).to_string())
            .unwrap_or_default(),
    };

    view! {
        {move || shown().map(|c| {
            let here = phone.call_is_here();
            let over = matches!(c.state, CallState::Ended { .. });
            let state = state_key(&c.state).0;
            if folded.get() && !over {
                return view! {
                    <button
                        type="button"
                        class="fixed inset-x-0 top-0 z-40 flex items-center justify-center gap-3 bg-green-700 px-4 py-2 text-sm font-semibold text-white"
                        data-testid="call-bar"
                        on:click=move |_| folded.set(false)
                    >
                        <span>{who(&c)}</span>
                        <span>{timer}</span>
                        <span class="underline">{tx(T::ReturnToCall)}</span>
                    </button>
                }.into_any();
            }
            let name = who(&c);
            let label = name.clone();
            let number = c.contact_name.as_ref().map(|_| format_e164(&c.e164));
            let muted = phone.muted;
            view! {
                <section
                    role="dialog"
                    aria-label=label
                    data-testid="call-panel"
                    data-state=state
                    class="fixed inset-0 z-40 flex flex-col items-center justify-between overflow-y-auto bg-slate-900 px-6 pb-[calc(env(safe-area-inset-bottom)+1.5rem)] pt-10 text-white md:inset-auto md:right-6 md:top-6 md:max-h-[calc(100vh-3rem)] md:w-96 md:rounded-2xl md:pt-6 md:shadow-2xl"
                >
                    <div class="w-full text-center">
                        <div class="flex justify-end">
                            <button type="button" class="rounded px-2 py-1 text-sm text-slate-300 hover:text-white md:hidden" on:click=move |_| folded.set(true)>
                                {tx(T::HideCall)}
                            </button>
                        </div>
                        <h2 class="mt-2 text-2xl font-semibold" data-testid="call-name">{name}</h2>
                        {number.map(|n| view! { <p class="text-slate-300" data-testid="call-number">{n}</p> })}
                        <p class="mt-3 text-lg text-slate-200" role="status" aria-live="polite" data-testid="call-state">{state_text(&c)}</p>
                        <p class="mt-1 font-mono text-3xl tabular-nums" data-testid="call-timer">{timer}</p>
                        {move || muted.get().then(|| view! { <p class="mt-2 text-amber-300" data-testid="muted-note">{tx(T::MutedNote)}</p> })}
                        {move || phone.mic_problem.get().filter(|_| here).map(|p| view! {
                            <p class="mt-2 text-amber-300" role="alert" data-testid="mic-problem">{mic_problem_text(tr, &p)}</p>
                            <button type="button" class="mt-2 rounded-lg border border-amber-300 px-3 py-1 text-sm text-amber-200 hover:bg-amber-300/10" data-testid="mic-retry" on:click=move |_| phone.retry_mic()>
                                {tx(T::Retry)}
                            </button>
                        })}
                        {(!here && !over).then(|| view! { <p class="mt-4 text-slate-300" data-testid="call-elsewhere">{tx(T::OnCallElsewhere)}</p> })}
                        {move || (!over && !phone.channel_up.get()).then(|| view! { <p class="mt-2 text-amber-300" role="alert">{tx(T::NoChannel)}</p> })}
                        {move || phone.notice.get().filter(|_| !over).map(|n| view! { <p class="mt-2 text-amber-300" role="alert" data-testid="call-notice">{n}</p> })}
                        {(!over).then(|| view! { <RecordingControls here tick/> })}
                    </div>
                    {(here && !over).then(|| view! {
                        <div class="my-4 h-1.5 w-40 overflow-hidden rounded-full bg-slate-700" role="meter" aria-label=tx(T::MicLevel) aria-valuemin="0" aria-valuemax="100" aria-valuenow=move || ((phone.mic_level.get() * 100.0) as u32).to_string() data-testid="mic-level">
                            <div class="h-full bg-green-400 transition-[width]" style=move || format!("width:{}%", (phone.mic_level.get() * 100.0) as u32)></div>
                        </div>
                    })}
                    {move || (here && !over && keypad.get()).then(|| view! {
                        <div class="grid w-full max-w-xs grid-cols-3 gap-3" role="group" aria-label=tx(T::ShowKeypad)>
                            {DTMF_KEYS.into_iter().map(|key| view! {
                                <button type="button" class="flex h-14 items-center justify-center rounded-2xl bg-slate-800 text-2xl hover:bg-slate-700" data-dtmf=key.to_string() on:click=move |_| phone.dtmf(key)>
                                    {key.to_string()}
                                </button>
                            }).collect_view()}
                        </div>
                    })}
                    <div class="w-full">
                        {(here && !over).then(|| view! {
                            <div class="mb-6 flex items-start justify-center gap-6">
                                <button type="button" class="flex flex-col items-center gap-1 text-sm" data-testid="mute-button" aria-pressed=move || muted.get().to_string() on:click=move |_| phone.set_muted(!muted.get_untracked())>
                                    <span class=move || if muted.get() { "flex h-14 w-14 items-center justify-center rounded-full bg-white text-slate-900" } else { "flex h-14 w-14 items-center justify-center rounded-full bg-slate-700" }>
                                        <Svg icon=Icon::MicOff/>
                                    </span>
                                    {tx(T::Mute)}
                                </button>
                                <button type="button" class="flex flex-col items-center gap-1 text-sm" data-testid="keypad-toggle" aria-expanded=move || keypad.get().to_string() on:click=move |_| keypad.update(|k| *k = !*k)>
                                    <span class=move || if keypad.get() { "flex h-14 w-14 items-center justify-center rounded-full bg-white text-slate-900" } else { "flex h-14 w-14 items-center justify-center rounded-full bg-slate-700" }>
                                        <Svg icon=Icon::Keypad/>
                                    </span>
                                    {tx(T::ShowKeypad)}
                                </button>
                                <OutputChoice/>
                            </div>
                        })}
                        {if over {
                            // The reason stays up a few seconds; the user need not wait for it.
                            view! {
                                <button type="button" class="btn-secondary mx-auto flex" data-testid="dismiss-call" on:click=move |_| phone.ended.set(None)>
                                    {tx(T::Close)}
                                </button>
                            }.into_any()
                        } else {
                            view! {
                                // Ends on press: the panel redraws on every change of the call (dialing,
                                // ringing…), and a redraw between press and release would swallow a
                                // click. The keyboard (Enter, Space) still clicks (`detail` 0).
                                <button
                                    type="button"
                                    class="mx-auto flex h-16 w-16 items-center justify-center rounded-full bg-red-600 hover:bg-red-700"
                                    data-testid="end-call"
                                    on:pointerdown=move |ev| if ev.button() == 0 { phone.hangup() }
                                    on:click=move |ev| if ev.detail() == 0 { phone.hangup() }
                                >
                                    <Svg icon=Icon::PhoneDown class="h-8 w-8"/>
                                    <span class="sr-only">{tx(T::EndCall)}</span>
                                </button>
                            }.into_any()
                        }}
                    </div>
                </section>
            }.into_any()
        })}
    }
}

/// The speaker choice, where the browser lets a page choose; otherwise says who decides.
#[component]
fn OutputChoice() -> impl IntoView {
    let phone = phone();
    view! {
        {move || {
            let outputs = phone.outputs.get();
            if outputs.selectable && !outputs.devices.is_empty() {
                view! {
                    <label class="flex flex-col items-center gap-1 text-sm">
                        <span class="flex h-14 w-14 items-center justify-center rounded-full bg-slate-700"><Svg icon=Icon::Speaker/></span>
                        <span class="sr-only">{tx(T::Speaker)}</span>
                        <select class="max-w-28 rounded bg-slate-800 text-xs" data-testid="output-select" on:change=move |ev| phone.choose_output(event_target_value(&ev))>
                            <option value="" selected=move || phone.output.get().is_empty()>{tx(T::DeviceDefault)}</option>
                            {outputs.devices.into_iter().map(|(id, label)| {
                                let selected = id.clone();
                                view! { <option value=id selected=move || phone.output.get() == selected>{label}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }.into_any()
            } else {
                view! {
                    <p class="flex w-24 flex-col items-center gap-1 text-center text-xs text-slate-300" data-testid="output-fixed">
                        <span class="flex h-14 w-14 items-center justify-center rounded-full bg-slate-800 text-slate-400"><Svg icon=Icon::Speaker/></span>
                        {tx(T::OutputFixed)}
                    </p>
                }.into_any()
            }
        }}
    }
}

/// The REC indicator (every tab) and the record controls (the tab with the call's audio):
/// the question when the user chose "ask", then record / pause / resume / stop.
#[component]
fn RecordingControls(here: bool, tick: RwSignal<u64>) -> impl IntoView {
    let phone = phone();
    let asked = RwSignal::new(None::<String>);
    let control = "rounded-lg border border-slate-500 px-3 py-1.5 text-sm hover:bg-slate-800";
    view! {
        {move || {
            let c = phone.call.get()?;
            if !matches!(c.state, CallState::Connected { .. }) || c.recording_mode == RecordingMode::Never && c.recording.is_none() {
                return None;
            }
            let view = match c.recording.clone() {
                None if !here => return None,
                None if c.recording_mode == RecordingMode::Ask && asked.get().as_deref() != Some(c.id.as_str()) => {
                    let id = c.id.clone();
                    view! {
                        <div class="mt-4 rounded-xl bg-slate-800 p-3 text-sm" data-testid="record-ask">
                            <p>{tx(T::RecordAsk)}</p>
                            <div class="mt-2 flex justify-center gap-3">
                                <button type="button" class="rounded-lg bg-red-600 px-3 py-1.5 font-semibold hover:bg-red-700" data-testid="record-start" on:click=move |_| phone.record(RecordAction::Start)>
                                    {tx(T::RecordCall)}
                                </button>
                                <button type="button" class=control data-testid="record-not-now" on:click=move |_| asked.set(Some(id.clone()))>
                                    {tx(T::NotNow)}
                                </button>
                            </div>
                        </div>
                    }.into_any()
                }
                None => view! {
                    <button type="button" class=format!("mt-4 {control}") data-testid="record-start" on:click=move |_| phone.record(RecordAction::Start)>
                        <span class="mr-1 inline-block h-2.5 w-2.5 rounded-full bg-red-500" aria-hidden="true"></span>
                        {tx(T::RecordCall)}
                    </button>
                }.into_any(),
                Some(r) if r.state == LiveRecordingState::Stopped => view! {
                    <p class="mt-4 text-sm text-slate-300" data-testid="rec-indicator" data-state="stopped">{tx(T::RecStopped)}</p>
                }.into_any(),
                Some(r) => {
                    let paused = r.state == LiveRecordingState::Paused;
                    let elapsed = move || {
                        tick.track();
                        format_duration(r.elapsed_ms(now_ms()))
                    };
                    view! {
                        <div class="mt-4 flex flex-col items-center gap-2">
                            <p class="flex items-center gap-2 font-semibold" role="status" data-testid="rec-indicator" data-state=if paused { "paused" } else { "recording" }>
                                <span class=if paused { "inline-block h-3 w-3 rounded-full bg-slate-400" } else { "inline-block h-3 w-3 animate-pulse rounded-full bg-red-500" } aria-hidden="true"></span>
                                {tx(if paused { T::RecPaused } else { T::RecLive })}
                                <span class="font-mono tabular-nums" data-testid="rec-elapsed">{elapsed}</span>
                            </p>
                            {here.then(|| view! {
                                <div class="flex gap-3">
                                    {if paused {
                                        view! { <button type="button" class=control data-testid="record-resume" on:click=move |_| phone.record(RecordAction::Resume)>{tx(T::ResumeRecording)}</button> }.into_any()
                                    } else {
                                        view! { <button type="button" class=control data-testid="record-pause" on:click=move |_| phone.record(RecordAction::Pause)>{tx(T::PauseRecording)}</button> }.into_any()
                                    }}
                                    <button type="button" class=control data-testid="record-stop" on:click=move |_| phone.record(RecordAction::Stop)>{tx(T::StopRecording)}</button>
                                </div>
                            })}
                        </div>
                    }.into_any()
                }
            };
            Some(view)
        }}
    }
}
