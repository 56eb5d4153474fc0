//! One call of the log: who, when, how it ended, and its recording (player, waveform,
//! download, delete).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use crate::api::calls::{get_call, get_call_quality, CallEntry};
use crate::api::{api_resource, ApiResource};
use crate::components::call_quality::warning_text;
use crate::components::call_time::CallTime;
use crate::components::icons::{Icon, Svg};
use crate::components::messages::{call_status_text, LoadBoundary};
use crate::components::recording_player::RecordingPlayer;
use crate::components::shell::notices;
use crate::domain::calls::format_duration;
use crate::domain::numbers::{dial_href, format_e164};
use crate::domain::quality::{CallQuality, Summary, TrunkReception};
use crate::i18n::{t, T};
use crate::prefs::{prefs, tx, use_trf};

/// What the call page loads: made by the lazy route before the page's code arrives (so both
/// load at once), or by [`CallView`] in the one-bundle build.
pub struct CallData {
    call: ApiResource<CallEntry>,
    quality: ApiResource<Option<CallQuality>>,
}

impl CallData {
    pub fn load() -> Self {
        let params = use_params_map();
        let id = move || params.with(|p| p.get("id").unwrap_or_default());
        CallData {
            call: api_resource(id, get_call),
            quality: api_resource(id, get_call_quality),
        }
    }
}

#[component]
pub fn CallView() -> impl IntoView {
    view! { <CallViewPage data=CallData::load() /> }
}

#[component]
pub fn CallViewPage(data: CallData) -> impl IntoView {
    let CallData { call, quality } = data;
    let lang = prefs().lang;
    // "Started {time}" around the local time, which only the browser can write.
    let started_at = move |ms: u64| {
        let part = move |after: bool| {
            let text = t(lang.get(), T::StartedAt);
            let (before_time, after_time) = text.split_once("{time}").unwrap_or((text, ""));
            if after {
                after_time
            } else {
                before_time
            }
        };
        view! {
            {move || part(false)}
            <CallTime ms with_time=true />
            {move || part(true)}
        }
    };
    let notices = notices();
    // Cleared when the recording is deleted here.
    let recording = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        if let Some(Ok(entry)) = call.get() {
            recording.set(entry.record.recording_id);
        }
    });
    let on_deleted = move |_| {
        recording.set(None);
        notices.announce(t(lang.get_untracked(), T::RecordingDeleted));
    };
    view! {
        <a class="link mb-4 inline-flex items-center gap-1 text-sm" href="/recents">
            <Svg icon=Icon::ArrowLeft class="h-4 w-4" />
            {tx(T::RecentsTitle)}
        </a>
        <LoadBoundary
            fallback=move || view! { <p>{tx(T::Loading)}</p> }
            retry=Callback::new(move |_| call.refetch())
            page=Box::new(move || {
                call.get()
                    .map(|result| {
                        result
                            .map(|entry| {
                                let r = entry.record;
                                let number = format_e164(&r.e164);
                                let who = entry
                                    .contact_name
                                    .clone()
                                    .unwrap_or_else(|| number.clone());
                                let status = call_status_text(lang.get(), &r);
                                let duration = r.duration_ms().map(format_duration);
                                let href = dial_href(&r.e164);
                                view! {
                                    <leptos_meta::Title text=format!("{who} · Softphone") />
                                    <div class="flex items-start justify-between gap-3">
                                        <div>
                                            <h1
                                                class="text-2xl font-semibold tracking-tight"
                                                data-testid="call-view-name"
                                            >
                                                {who}
                                            </h1>
                                            {entry
                                                .contact_name
                                                .is_some()
                                                .then(|| {
                                                    view! {
                                                        <p class="text-slate-600 dark:text-slate-400">
                                                            {number.clone()}
                                                        </p>
                                                    }
                                                })}
                                        </div>
                                        <a
                                            class="btn-call-small"
                                            href=href
                                            aria-label=tx(T::CallBack)
                                        >
                                            <Svg icon=Icon::Phone class="h-5 w-5" />
                                        </a>
                                    </div>
                                    <p class="mt-3 text-sm text-slate-600 dark:text-slate-400">
                                        {started_at(r.started_at)}
                                    </p>
                                    <p class="mt-1" data-testid="call-view-status">
                                        {status}
                                        {duration.map(|d| format!(" · {d}"))}
                                    </p>
                                    <h2 class="mt-6 text-sm font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">
                                        {tx(T::Recording)}
                                    </h2>
                                    {move || match recording.get() {
                                        Some(id) => {
                                            view! { <RecordingPlayer id on_deleted /> }.into_any()
                                        }
                                        None => {
                                            view! {
                                                <p
                                                    class="mt-2 text-sm text-slate-600 dark:text-slate-400"
                                                    data-testid="no-recording"
                                                >
                                                    "—"
                                                </p>
                                            }
                                                .into_any()
                                        }
                                    }}
                                    <CallQualitySummary quality />
                                }
                                    .into_any()
                            })
                    })
            })
        />
    }
}

/// How the call sounded (docs/quality.md, "The summary"): the agent's side (MOS, the network's
/// worst, the warnings they saw) and the phone network's side as the gateway received it.
/// Loads beside the call; shows nothing until it has.
#[component]
fn CallQualitySummary(quality: ApiResource<Option<CallQuality>>) -> impl IntoView {
    let trf = use_trf();
    let agent_side = move |s: Summary| {
        let mos = s.average_mos().zip(s.worst_mos).map(|(average, worst)| {
            let (average, worst) = (format!("{average:.1}"), format!("{worst:.1}"));
            trf(T::QualityMos, &[("average", &average), ("worst", &worst)])
        });
        let (loss, jitter) = (
            format!("{:.1}", s.max_loss_percent),
            format!("{:.0}", s.max_jitter_ms),
        );
        let rtt = s.max_rtt_ms.map_or("—".into(), |r| format!("{r:.0}"));
        let network = trf(
            T::QualityNetwork,
            &[("loss", &loss), ("jitter", &jitter), ("rtt", &rtt)],
        );
        let warnings = (!s.warnings.is_empty()).then(|| {
            view! {
                <p>{tx(T::QualityWarned)}</p>
                <ul class="list-disc pl-5">
                    {s
                        .warnings
                        .iter()
                        .map(|w| {
                            view! { <li data-warning=w.as_str()>{tx(warning_text(*w))}</li> }
                        })
                        .collect_view()}
                </ul>
            }
        });
        let calm = s
            .warnings
            .is_empty()
            .then(|| view! { <p>{tx(T::QualityNoWarning)}</p> });
        view! {
            {mos.map(|m| view! { <p data-testid="call-view-mos">{m}</p> })}
            <p>{network}</p>
            {warnings}
            {calm}
        }
    };
    let trunk_side = move |t: TrunkReception| {
        let (loss, lost, expected, jitter) = (
            format!("{:.1}", t.loss_percent()),
            t.lost.to_string(),
            (t.received + t.lost).to_string(),
            format!("{:.0}", t.max_jitter_ms),
        );
        let text = trf(
            T::QualityTrunk,
            &[
                ("loss", &loss),
                ("lost", &lost),
                ("expected", &expected),
                ("jitter", &jitter),
            ],
        );
        view! { <p data-testid="call-view-trunk">{text}</p> }
    };
    let not_measured = || {
        view! { <p class="text-slate-600 dark:text-slate-400">{tx(T::QualityNotMeasured)}</p> }
    };
    view! {
        <h2 class="mt-6 text-sm font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">
            {tx(T::CallQualityTitle)}
        </h2>
        <div class="mt-2 space-y-1 text-sm" data-testid="call-view-quality">
            {move || match quality.get() {
                Some(Ok(Some(CallQuality { agent, trunk }))) => {
                    view! {
                        {match agent {
                            Some(s) => agent_side(s).into_any(),
                            None => not_measured().into_any(),
                        }}
                        {trunk.map(trunk_side)}
                    }
                        .into_any()
                }
                Some(Ok(None)) => not_measured().into_any(),
                _ => ().into_any(),
            }}
        </div>
    }
}
