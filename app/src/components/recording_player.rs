//! A call's recording: the player (seek with the controls or by clicking the waveform), the
//! picture of both channels, download, and delete with a confirmation.

use leptos::prelude::*;

use super::icons::{Icon, Svg};
use super::messages::error_text;
use crate::api::recordings::{audio_path, delete_recording, get_recording};
use crate::api::{api_resource, ApiError};
use crate::domain::calls::format_duration;
use crate::domain::recordings::{format_size, Recording, RecordingState, WAVEFORM_COLUMNS};
use crate::i18n::T;
use crate::prefs::{prefs, tx, use_tr, use_trf};

/// The waveform: the called party's lane above, the agent's below, with the play position.
#[component]
fn WaveformPicture(
    recording: Recording,
    progress: RwSignal<f64>,
    audio: NodeRef<leptos::html::Audio>,
) -> impl IntoView {
    let columns = WAVEFORM_COLUMNS;
    let peaks = recording.waveform;
    let lane = |offset: usize, top: f64, class: &'static str| {
        (0..columns)
            .map(|i| {
                let v = peaks.get(offset + i).copied().unwrap_or(0) as f64 / 255.0;
                let h = (v * 28.0).max(0.5);
                view! {
                    <rect
                        x=i.to_string()
                        y=format!("{:.1}", top + (28.0 - h) / 2.0)
                        width="0.8"
                        height=format!("{h:.1}")
                        class=class
                    />
                }
            })
            .collect_view()
    };
    let seek = move |ev: leptos::ev::MouseEvent| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let width = ev
                .current_target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .map(|e| e.client_width() as f64)
                .unwrap_or(0.0);
            if let (Some(a), true) = (audio.get_untracked(), width > 0.0) {
                let d = a.duration();
                if d.is_finite() {
                    a.set_current_time(d * (ev.offset_x() as f64 / width).clamp(0.0, 1.0));
                }
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, audio);
    };
    let tr = use_tr();
    view! {
        <div class="mt-2">
            <div class="flex justify-between text-xs text-slate-600 dark:text-slate-400">
                <span>{tx(T::ChannelThem)}</span>
                <span>{tx(T::ChannelYou)}</span>
            </div>
            <svg
                viewBox=format!("0 0 {columns} 60")
                preserveAspectRatio="none"
                class="h-16 w-full cursor-pointer rounded bg-slate-100 dark:bg-slate-800"
                role="img"
                aria-label=move || {
                    format!("{} ({} / {})", tr(T::Waveform), tr(T::ChannelThem), tr(T::ChannelYou))
                }
                data-testid="waveform"
                on:click=seek
            >
                {lane(0, 1.0, "fill-teal-600")}
                {lane(columns, 31.0, "fill-sky-600")}
                <rect
                    x=move || format!("{:.1}", progress.get() * columns as f64)
                    y="0"
                    width="0.6"
                    height="60"
                    class="fill-red-500"
                />
            </svg>
        </div>
    }
}

#[component]
pub fn RecordingPlayer(
    /// The recording's id.
    id: String,
    /// Called once the recording is deleted.
    #[prop(into)]
    on_deleted: Callback<()>,
) -> impl IntoView {
    let lang = prefs().lang;
    let trf = use_trf();
    let recording = api_resource(move || id.clone(), get_recording);
    let confirming = RwSignal::new(false);
    let deleting = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let progress = RwSignal::new(0.0f64);
    let audio = NodeRef::<leptos::html::Audio>::new();
    let delete = move |id: String| {
        deleting.set(true);
        leptos::task::spawn_local(async move {
            match delete_recording(id).await {
                Ok(()) => on_deleted.run(()),
                Err(e) => error.set(Some(e)),
            }
            deleting.set(false);
            confirming.set(false);
        });
    };
    view! {
        <Suspense fallback=|| {
            view! { <p class="text-sm">"…"</p> }
        }>
            {move || {
                recording
                    .get()
                    .map(|r| match r {
                        Err(e) => {
                            view! {
                                <p role="alert" class="text-sm text-red-700 dark:text-red-400">
                                    {error_text(lang.get(), &e)}
                                </p>
                            }
                                .into_any()
                        }
                        Ok(
                            r,
                        ) if !matches!(
                            r.state,
                            RecordingState::Complete | RecordingState::Interrupted
                        ) => {
                            view! {
                                <p
                                    class="text-sm text-slate-600 dark:text-slate-400"
                                    data-testid="recording-pending"
                                >
                                    {tx(T::InProgress)}
                                </p>
                            }
                                .into_any()
                        }
                        Ok(r) => {
                            let src = audio_path(&r.id);
                            let download = format!("{src}?download=1");
                            let facts = trf(
                                T::RecordingFacts,
                                &[
                                    ("duration", &format_duration(r.duration_ms)),
                                    ("size", &format_size(r.bytes)),
                                ],
                            );
                            let pauses = (!r.pauses.is_empty())
                                .then(|| trf(
                                    T::RecordingPauses,
                                    &[("count", &r.pauses.len().to_string())],
                                ));
                            let interrupted = r.state == RecordingState::Interrupted;
                            let id = r.id.clone();
                            view! {
                                <div
                                    class="mt-2 rounded-xl border border-slate-200 p-3 dark:border-slate-700"
                                    data-testid="recording-player"
                                    data-recording-id=r.id.clone()
                                >
                                    <audio
                                        node_ref=audio
                                        class="w-full"
                                        controls
                                        preload="metadata"
                                        src=src
                                        data-testid="recording-audio"
                                        on:timeupdate=move |_| {
                                            if let Some(a) = audio.get_untracked() {
                                                let d = a.duration();
                                                if d.is_finite() && d > 0.0 {
                                                    progress.set(a.current_time() / d);
                                                }
                                            }
                                        }
                                    ></audio>
                                    <WaveformPicture recording=r.clone() progress audio />
                                    <p
                                        class="mt-2 text-xs text-slate-600 dark:text-slate-400"
                                        data-testid="recording-facts"
                                    >
                                        {facts}
                                        {pauses.map(|p| format!(" · {p}"))}
                                    </p>
                                    {interrupted
                                        .then(|| {
                                            view! {
                                                <p
                                                    class="mt-1 text-xs text-amber-700 dark:text-amber-400"
                                                    data-testid="recording-interrupted"
                                                >
                                                    {tx(T::RecordingInterrupted)}
                                                </p>
                                            }
                                        })}
                                    <div class="mt-3 flex flex-wrap items-center gap-3">
                                        <a
                                            class="btn-secondary inline-flex items-center gap-1"
                                            href=download
                                            download
                                            data-testid="recording-download"
                                        >
                                            <Svg icon=Icon::Download />
                                            {tx(T::DownloadRecording)}
                                        </a>
                                        <button
                                            type="button"
                                            class="btn-secondary inline-flex items-center gap-1 text-red-700 dark:text-red-400"
                                            data-testid="recording-delete"
                                            on:click=move |_| confirming.set(true)
                                        >
                                            <Svg icon=Icon::Trash />
                                            {tx(T::DeleteRecording)}
                                        </button>
                                    </div>
                                    {move || {
                                        confirming
                                            .get()
                                            .then(|| {
                                                let id = id.clone();
                                                view! {
                                                    <div
                                                        role="alertdialog"
                                                        aria-labelledby="delete-recording-question"
                                                        class="mt-3 rounded-lg bg-red-50 p-3 text-sm dark:bg-red-950"
                                                    >
                                                        <p id="delete-recording-question">
                                                            {tx(T::DeleteRecordingConfirm)}
                                                        </p>
                                                        <div class="mt-2 flex gap-3">
                                                            <button
                                                                type="button"
                                                                class="btn-danger"
                                                                data-testid="recording-delete-confirm"
                                                                disabled=move || deleting.get()
                                                                on:click=move |_| delete(id.clone())
                                                            >
                                                                {tx(T::Delete)}
                                                            </button>
                                                            <button
                                                                type="button"
                                                                class="btn-secondary"
                                                                on:click=move |_| confirming.set(false)
                                                            >
                                                                {tx(T::Cancel)}
                                                            </button>
                                                        </div>
                                                    </div>
                                                }
                                            })
                                    }}
                                    <p role="alert" class="text-sm text-red-700 dark:text-red-400">
                                        {move || error.get().map(|e| error_text(lang.get(), &e))}
                                    </p>
                                </div>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}
