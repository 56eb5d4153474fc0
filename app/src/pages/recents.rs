//! Recents: the call log, newest first, with filters, search and call-back.

use leptos::prelude::*;

use crate::api::calls::{list_calls, CallEntry};
use crate::api::ApiError;
use crate::components::icons::{Icon, Svg};
use crate::components::lists::{EmptyState, Loading};
use crate::components::messages::{end_reason_text, error_text, redirect_if_signed_out};
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

#[component]
pub fn Recents() -> impl IntoView {
    let tr = use_tr();
    let lang = prefs().lang;
    let filter = RwSignal::new(CallFilter::All);
    let search = RwSignal::new(String::new());
    let more = RwSignal::new(Vec::<CallEntry>::new());
    let cursor = RwSignal::new(None::<String>);
    let loading_more = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiError>);
    let notices = notices();

    let first_page = Resource::new(
        move || (filter.get(), search.get()),
        |(f, s)| list_calls(f, s, None),
    );
    Effect::new(move |_| {
        if let Some(result) = first_page.get() {
            more.set(Vec::new());
            match result {
                Ok(page) => cursor.set(page.next),
                Err(e) => {
                    redirect_if_signed_out(&e);
                    error.set(Some(e));
                }
            }
        }
    });
    let load_more = move |_| {
        let Some(next) = cursor.get_untracked() else {
            return;
        };
        loading_more.set(true);
        leptos::task::spawn_local(async move {
            match list_calls(filter.get_untracked(), search.get_untracked(), Some(next)).await {
                Ok(page) => {
                    more.update(|m| m.extend(page.items));
                    cursor.set(page.next);
                }
                Err(e) => error.set(Some(e)),
            }
            loading_more.set(false);
        });
    };

    let row = move |entry: CallEntry| {
        let l = lang.get();
        let r = &entry.record;
        let number = format_e164(&r.e164);
        let who = entry.contact_name.clone().unwrap_or_else(|| number.clone());
        let status = match r.end_reason {
            Some(reason) => end_reason_text(l, reason).to_string(),
            None => crate::i18n::t(l, T::InProgress).to_string(),
        };
        let duration = r.duration_ms().map(format_duration).unwrap_or_default();
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
            <li class="py-3" data-testid="call-row" data-has-recording=move || recording.get().is_some().to_string()>
                <div class="flex items-center gap-3">
                    <a class="min-w-0 flex-1" href=details data-testid="call-details">
                        <p class=if failed { "truncate font-medium text-red-700 dark:text-red-400" } else { "truncate font-medium" }>{who}</p>
                        <p class="truncate text-sm text-slate-600 dark:text-slate-400">
                            {entry.contact_name.is_some().then(|| format!("{number} · "))}
                            {status}
                            {(!duration.is_empty()).then(|| format!(" · {duration}"))}
                        </p>
                    </a>
                    {move || recording.get().map(|_| view! {
                        <button
                            type="button"
                            class="icon-btn text-red-600"
                            data-testid="recording-toggle"
                            aria-expanded=move || open.get().to_string()
                            aria-label=move || tr(if open.get() { T::HideRecording } else { T::PlayRecording })
                            on:click=move |_| open.update(|o| *o = !*o)
                        >
                            <Svg icon=Icon::Record/>
                        </button>
                    })}
                    <a class="icon-btn" href=href aria-label=move || format!("{} {}", tr(T::CallBack), entry.contact_name.clone().unwrap_or_default())>
                        <Svg icon=Icon::Phone/>
                    </a>
                </div>
                {move || recording.get().filter(|_| open.get()).map(|id| view! { <RecordingPlayer id on_deleted/> })}
            </li>
        }
    };

    view! {
        <super::PageTitle title=T::RecentsTitle/>
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
        <label for="call-search" class="sr-only">{tx(T::SearchCalls)}</label>
        <input
            id="call-search"
            class="input mb-2"
            type="search"
            placeholder=tx(T::SearchCalls)
            on:input=move |ev| search.set(event_target_value(&ev))
        />
        <p role="alert" class="text-sm text-red-700 dark:text-red-400">{move || error.get().map(|e| error_text(lang.get(), &e))}</p>
        <Transition fallback=Loading>
            {move || {
                first_page
                    .get()
                    .map(|result| {
                        let items = result.map(|p| p.items).unwrap_or_default();
                        if items.is_empty() {
                            let searching = !search.get_untracked().is_empty() || filter.get_untracked() != CallFilter::All;
                            view! { <EmptyState icon=Icon::Clock searching title=T::NoCalls hint=T::NoCallsHint/> }
                                .into_any()
                        } else {
                            view! {
                                <ul class="divide-y divide-slate-200 dark:divide-slate-800">
                                    {items.into_iter().map(row).collect_view()}
                                    {move || more.get().into_iter().map(row).collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                    })
            }}
        </Transition>
        <Show when=move || cursor.get().is_some()>
            <button type="button" class="btn-secondary mx-auto mt-4 block" on:click=load_more disabled=move || loading_more.get()>
                {tx(T::LoadMore)}
            </button>
        </Show>
    }
}
