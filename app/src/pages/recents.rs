//! Recents: the call log, newest first, with filters, search and call-back.

use leptos::prelude::*;

use crate::api::calls::{list_calls, CallEntry, CallPage};
use crate::components::call_time::CallTime;
use crate::components::icons::{Icon, Svg};
use crate::components::lists::{paged_items, EmptyState, PagedList};
use crate::components::messages::call_status_text;
use crate::components::recording_player::RecordingPlayer;
use crate::components::shell::notices;
use crate::domain::calls::{format_duration, CallFilter};
use crate::domain::numbers::{dial_href, format_e164};
use crate::i18n::T;
use crate::prefs::{prefs, tx, use_tr};

fn filter_label(filter: CallFilter) -> T {
    match filter {
        CallFilter::All => T::FilterAll,
        CallFilter::Answered => T::FilterAnswered,
        CallFilter::NotAnswered => T::FilterNotAnswered,
        CallFilter::Failed => T::FilterFailed,
    }
}

/// What Recents loads: made by the lazy route before the page's code arrives (so both load at
/// once), or by [`Recents`] in the one-bundle build.
pub struct RecentsData {
    filter: RwSignal<CallFilter>,
    search: RwSignal<String>,
    calls: PagedList<CallPage, (CallFilter, String)>,
}

impl RecentsData {
    pub fn load() -> Self {
        let filter = RwSignal::new(CallFilter::All);
        let search = RwSignal::new(String::new());
        let calls = PagedList::new(
            move || (filter.get(), search.get()),
            |(f, s), cursor| list_calls(f, s, cursor),
        );
        RecentsData {
            filter,
            search,
            calls,
        }
    }
}

#[component]
pub fn Recents() -> impl IntoView {
    view! { <RecentsPage data=RecentsData::load() /> }
}

#[component]
pub fn RecentsPage(data: RecentsData) -> impl IntoView {
    let RecentsData {
        filter,
        search,
        calls,
    } = data;
    let tr = use_tr();
    let lang = prefs().lang;
    let notices = notices();

    let row = move |entry: CallEntry| {
        let l = lang.get();
        let r = &entry.record;
        // A call in from a withheld number has none.
        let withheld = r.e164.is_empty();
        let number = format_e164(&r.e164);
        let who = entry.contact_name.clone().unwrap_or_else(|| {
            if withheld {
                crate::i18n::t(l, T::NoCallerId).to_string()
            } else {
                number.clone()
            }
        });
        let status = call_status_text(l, r);
        let inbound = r.direction == crate::domain::calls::Direction::Inbound;
        let direction = if inbound { "inbound" } else { "outbound" };
        let duration = r.duration_ms().map(format_duration).unwrap_or_default();
        let started_at = r.started_at;
        let failed = r
            .end_reason
            .is_some_and(|e| e.is_failure() || !r.was_answered());
        let href = dial_href(&r.e164);
        let details = format!("/recents/{}", r.id);
        // The recording, until it is deleted from here.
        let recording = RwSignal::new(r.recording_id.clone());
        let open = RwSignal::new(false);
        let on_deleted = move |_| {
            recording.set(None);
            notices.announce(crate::i18n::t(lang.get_untracked(), T::RecordingDeleted));
        };
        view! {
            <li
                class="py-3"
                data-testid="call-row"
                data-direction=direction
                data-has-recording=move || recording.get().is_some().to_string()
            >
                <div class="flex items-center gap-3">
                    <a class="min-w-0 flex-1" href=details data-testid="call-details">
                        <div class="flex items-baseline justify-between gap-2">
                            <p class=if failed {
                                "truncate font-medium text-red-700 dark:text-red-400"
                            } else {
                                "truncate font-medium"
                            }>{who}</p>
                            <CallTime
                                ms=started_at
                                class="shrink-0 text-xs text-slate-600 dark:text-slate-400"
                            />
                        </div>
                        <p class="truncate text-sm text-slate-600 dark:text-slate-400">
                            {entry.contact_name.is_some().then(|| format!("{number} · "))} {status}
                            {(!duration.is_empty())
                                .then(|| {
                                    view! {
                                        " · "
                                        <span data-testid="call-duration">{duration}</span>
                                    }
                                })}
                        </p>
                    </a>
                    {move || {
                        recording
                            .get()
                            .map(|_| {
                                view! {
                                    <button
                                        type="button"
                                        class="icon-btn text-red-600"
                                        data-testid="recording-toggle"
                                        aria-expanded=move || open.get().to_string()
                                        aria-label=move || tr(
                                            if open.get() { T::HideRecording } else { T::PlayRecording },
                                        )
                                        on:click=move |_| open.update(|o| *o = !*o)
                                    >
                                        <Svg icon=Icon::Record />
                                    </button>
                                }
                            })
                    }}
                    <a
                        class="icon-btn"
                        href=href
                        aria-label=move || {
                            format!(
                                "{} {}",
                                tr(T::CallBack),
                                entry.contact_name.clone().unwrap_or_default(),
                            )
                        }
                    >
                        <Svg icon=Icon::Phone />
                    </a>
                </div>
                {move || {
                    recording
                        .get()
                        .filter(|_| open.get())
                        .map(|id| view! { <RecordingPlayer id on_deleted /> })
                }}
            </li>
        }
    };

    view! {
        <super::PageTitle title=T::RecentsTitle />
        <div class="mb-3 flex flex-wrap gap-2" role="group" aria-label=tx(T::RecentsTitle)>
            {CallFilter::ALL
                .into_iter()
                .map(|f| {
                    view! {
                        <button
                            type="button"
                            class="chip"
                            aria-pressed=move || (filter.get() == f).to_string()
                            on:click=move |_| filter.set(f)
                        >
                            {tx(filter_label(f))}
                        </button>
                    }
                })
                .collect_view()}
        </div>
        <label for="call-search" class="sr-only">
            {tx(T::SearchCalls)}
        </label>
        <input
            id="call-search"
            class="input mb-2"
            type="search"
            placeholder=tx(T::SearchCalls)
            on:input=move |ev| search.set(event_target_value(&ev))
        />
        {paged_items(
            calls,
            row,
            move || {
                let searching = !search.get_untracked().is_empty()
                    || filter.get_untracked() != CallFilter::All;
                view! {
                    <EmptyState icon=Icon::Clock searching title=T::NoCalls hint=T::NoCallsHint />
                }
                    .into_any()
            },
        )}
    }
}
