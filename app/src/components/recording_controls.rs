//! The call screen's recording part: the REC indicator (every tab) and the record controls (the
//! tab with the call's audio).

use leptos::prelude::*;

use super::call_panel::{call_id_of, now_ms};
use crate::api::live::{LiveCall, LiveRecordingState, RecordAction};
use crate::domain::call::CallState;
use crate::domain::calls::format_duration;
use crate::domain::recordings::RecordingMode;
use crate::i18n::T;
use crate::phone::phone;
use crate::prefs::{tx, use_tr};

/// What the recording part of the call screen shows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RecordView {
    Hidden,
    /// "Record this call?" (the user chose "ask" and has not answered for this call).
    Ask,
    /// A record button.
    Offer,
    /// REC (or paused) with the recorded time, and its controls in the tab with the audio.
    Running,
    Stopped,
}

/// The REC indicator (every tab) and the record controls (the tab with the call's audio):
/// the question when the user chose "ask", then record / pause / resume / stop.
#[component]
pub(super) fn RecordingControls(
    shown: Memo<Option<LiveCall>>,
    here: Memo<bool>,
    asked: RwSignal<Option<String>>,
    tick: RwSignal<u64>,
) -> impl IntoView {
    let phone = phone();
    let tr = use_tr();
    let recording =
        Memo::new(move |_| shown.with(|c| c.as_ref().and_then(|c| c.recording.clone())));
    let paused = Memo::new(move |_| {
        recording.with(|r| {
            r.as_ref()
                .is_some_and(|r| r.state == LiveRecordingState::Paused)
        })
    });
    let view_kind = Memo::new(move |_| {
        let here = here.get();
        let asked = asked.get();
        shown.with(|c| {
            let Some(c) = c.as_ref() else {
                return RecordView::Hidden;
            };
            if !matches!(c.state, CallState::Connected { .. })
                || c.recording_mode == RecordingMode::Never && c.recording.is_none()
            {
                return RecordView::Hidden;
            }
            match &c.recording {
                None if !here => RecordView::Hidden,
                None if c.recording_mode == RecordingMode::Ask
                    && asked.as_deref() != Some(c.id.as_str()) =>
                {
                    RecordView::Ask
                }
                None => RecordView::Offer,
                Some(r) if r.state == LiveRecordingState::Stopped => RecordView::Stopped,
                Some(_) => RecordView::Running,
            }
        })
    });
    let not_now = move || asked.set(call_id_of(shown));
    let elapsed = move || {
        tick.track();
        recording.with(|r| r.as_ref().map(|r| format_duration(r.elapsed_ms(now_ms()))))
    };
    let control = "rounded-lg border border-slate-500 px-3 py-1.5 text-sm hover:bg-slate-800";
    view! {
        {move || match view_kind.get() {
            RecordView::Hidden => None,
            RecordView::Ask => {
                Some(
                    view! {
                        <div
                            class="mt-4 rounded-xl bg-slate-800 p-3 text-sm"
                            data-testid="record-ask"
                        >
                            <p>{tx(T::RecordAsk)}</p>
                            <div class="mt-2 flex justify-center gap-3">
                                <button
                                    type="button"
                                    class="rounded-lg bg-red-600 px-3 py-1.5 font-semibold hover:bg-red-700"
                                    data-testid="record-start"
                                    on:click=move |_| phone.record(RecordAction::Start)
                                >
                                    {tx(T::RecordCall)}
                                </button>
                                <button
                                    type="button"
                                    class=control
                                    data-testid="record-not-now"
                                    on:click=move |_| not_now()
                                >
                                    {tx(T::NotNow)}
                                </button>
                            </div>
                        </div>
                    }
                        .into_any(),
                )
            }
            RecordView::Offer => {
                Some(
                    view! {
                        <button
                            type="button"
                            class=format!("mt-4 {control}")
                            data-testid="record-start"
                            on:click=move |_| phone.record(RecordAction::Start)
                        >
                            <span
                                class="mr-1 inline-block h-2.5 w-2.5 rounded-full bg-red-500"
                                aria-hidden="true"
                            ></span>
                            {tx(T::RecordCall)}
                        </button>
                    }
                        .into_any(),
                )
            }
            RecordView::Stopped => {
                Some(
                    view! {
                        <p
                            class="mt-4 text-sm text-slate-300"
                            data-testid="rec-indicator"
                            data-state="stopped"
                        >
                            {tx(T::RecStopped)}
                        </p>
                    }
                        .into_any(),
                )
            }
            RecordView::Running => {
                Some(
                    // Kept across pause and resume: only the texts and the one toggle follow `paused`.
                    view! {
                        <div class="mt-4 flex flex-col items-center gap-2">
                            <p
                                class="flex items-center gap-2 font-semibold"
                                role="status"
                                data-testid="rec-indicator"
                                data-state=move || if paused.get() { "paused" } else { "recording" }
                            >
                                <span
                                    class=move || {
                                        if paused.get() {
                                            "inline-block h-3 w-3 rounded-full bg-slate-400"
                                        } else {
                                            "inline-block h-3 w-3 animate-pulse rounded-full bg-red-500"
                                        }
                                    }
                                    aria-hidden="true"
                                ></span>
                                {move || tr(if paused.get() { T::RecPaused } else { T::RecLive })}
                                <span class="font-mono tabular-nums" data-testid="rec-elapsed">
                                    {elapsed}
                                </span>
                            </p>
                            {move || {
                                here.get()
                                    .then(|| {
                                        view! {
                                            <div class="flex gap-3">
                                                <button
                                                    type="button"
                                                    class=control
                                                    data-testid=move || {
                                                        if paused.get() { "record-resume" } else { "record-pause" }
                                                    }
                                                    on:click=move |_| {
                                                        phone
                                                            .record(
                                                                if paused.get_untracked() {
                                                                    RecordAction::Resume
                                                                } else {
                                                                    RecordAction::Pause
                                                                },
                                                            )
                                                    }
                                                >
                                                    {move || tr(
                                                        if paused.get() {
                                                            T::ResumeRecording
                                                        } else {
                                                            T::PauseRecording
                                                        },
                                                    )}
                                                </button>
                                                <button
                                                    type="button"
                                                    class=control
                                                    data-testid="record-stop"
                                                    on:click=move |_| phone.record(RecordAction::Stop)
                                                >
                                                    {tx(T::StopRecording)}
                                                </button>
                                            </div>
                                        }
                                    })
                            }}
                        </div>
                    }
                        .into_any(),
                )
            }
        }}
    }
}
