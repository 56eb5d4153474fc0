//! Settings' "Numbers" (administrators only): the numbers the business owns and who a call to
//! each rings (agents by e-mail, all at once or in order, ring times), business hours, and what
//! a number with no one to ring does. The rules are in `crate::domain::inbound`, the work in
//! `crate::api::numbers`.

use leptos::prelude::*;

use super::settings_numbers_text::NumbersText;
use crate::api::auth::Account;
use crate::api::numbers::{
    delete_number, list_numbers, save_number, AssignmentForm, NumberForm, NumberView, RangeForm,
};
use crate::api::{api_resource, ApiResource};
use crate::components::messages::{error_text, redirect_if_signed_out, LoadBoundary};
use crate::domain::inbound::{hours_text, split_hours_text};
use crate::i18n::{t, T};
use crate::prefs::{prefs, tx};

/// The form's fields, as text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Draft {
    e164: String,
    members: String,
    in_order: bool,
    ring_secs: String,
    per_agent_secs: String,
    hours: String,
    refuse: bool,
}

impl Draft {
    fn of(n: &NumberView) -> Draft {
        let a = n.assignment.as_ref();
        Draft {
            e164: n.e164.clone(),
            members: a
                .map(|a| {
                    a.members
                        .iter()
                        .map(|m| m.email.clone().unwrap_or_else(|| m.sub.clone()))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
            in_order: a.is_some_and(|a| a.strategy == "in_order"),
            ring_secs: a.map(|a| a.ring_secs.to_string()).unwrap_or_default(),
            per_agent_secs: a
                .and_then(|a| a.per_agent_secs)
                .map(|s| s.to_string())
                .unwrap_or_default(),
            hours: n
                .hours
                .as_ref()
                .map(|h| {
                    hours_text(
                        h.iter()
                            .map(|r| (r.day.as_str(), r.open.as_str(), r.close.as_str())),
                    )
                })
                .unwrap_or_default(),
            refuse: n.unassigned == "refuse",
        }
    }

    /// The form to send; a malformed hours text is refused here, naming the range.
    fn form(&self) -> Result<NumberForm, String> {
        let members: Vec<String> = self
            .members
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(String::from)
            .collect();
        let secs = |text: &str| text.trim().parse::<u32>().ok();
        let assignment = (!members.is_empty()).then(|| AssignmentForm {
            members,
            strategy: Some(
                if self.in_order {
                    "in_order"
                } else {
                    "ring_all"
                }
                .into(),
            ),
            ring_secs: secs(&self.ring_secs),
            per_agent_secs: if self.in_order {
                secs(&self.per_agent_secs)
            } else {
                None
            },
        });
        let ranges = split_hours_text(&self.hours).map_err(|e| e.to_string())?;
        let hours = (!ranges.is_empty()).then(|| {
            ranges
                .into_iter()
                .map(|(day, open, close)| RangeForm { day, open, close })
                .collect()
        });
        Ok(NumberForm {
            assignment,
            hours,
            unassigned: Some(if self.refuse { "refuse" } else { "message" }.into()),
        })
    }
}

/// Shown only to administrators (the account's `admin` role).
#[component]
pub fn NumberSettings(account: ApiResource<Option<Account>>) -> AnyView {
    let is_admin = move || {
        account
            .get()
            .and_then(|a| a.ok())
            .flatten()
            .is_some_and(|a| a.roles.iter().any(|r| r == "admin"))
    };
    // Asked only for an administrator: anyone else's answer would be a refusal.
    let numbers: ApiResource<Vec<NumberView>> = api_resource(is_admin, |admin| async move {
        if admin {
            list_numbers().await
        } else {
            Ok(Vec::new())
        }
    });
    // Inside the load boundary, so the server-rendered page and the hydrated one agree on
    // whether the section is there; an account that did not load shows nothing here (the
    // account card says why).
    view! {
        <LoadBoundary
            retry=Callback::new(move |_| account.refetch())
            page=Box::new(move || {
                account
                    .get()
                    .map(|_| Ok(is_admin().then(|| view! { <NumberAdmin numbers /> }).into_any()))
            })
        />
    }
    .into_any()
}

#[component]
fn NumberAdmin(numbers: ApiResource<Vec<NumberView>>) -> impl IntoView {
    let lang = prefs().lang;
    let draft = RwSignal::new(Draft::default());
    let status = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let save = move |_| {
        let d = draft.get_untracked();
        let form = match d.form() {
            Ok(form) => form,
            Err(problem) => {
                status.set(problem);
                return;
            }
        };
        busy.set(true);
        status.set(String::new());
        leptos::task::spawn_local(async move {
            match save_number(d.e164.clone(), form).await {
                Ok(saved) => {
                    draft.set(Draft::of(&saved));
                    status.set(t(lang.get_untracked(), T::Saved).into());
                    numbers.refetch();
                }
                Err(e) => {
                    redirect_if_signed_out(&e);
                    status.set(error_text(lang.get_untracked(), &e));
                }
            }
            busy.set(false);
        });
    };
    let remove = move |e164: String| {
        status.set(String::new());
        leptos::task::spawn_local(async move {
            match delete_number(e164).await {
                Ok(()) => numbers.refetch(),
                Err(e) => {
                    redirect_if_signed_out(&e);
                    status.set(error_text(lang.get_untracked(), &e));
                }
            }
        });
    };

    let list = move || {
        numbers.get().map(|loaded| {
            loaded.map(|list| {
                if list.is_empty() {
                    return view! { <p class="text-sm text-slate-600 dark:text-slate-400">{tx(NumbersText::NumbersEmpty)}</p> }
                    .into_any();
                }
                view! {
                    <ul
                        class="divide-y divide-slate-200 dark:divide-slate-700"
                        data-testid="number-list"
                    >
                        {list
                            .into_iter()
                            .map(|n| {
                                let e164 = n.e164.clone();
                                let summary = Draft::of(&n);
                                let edit = Draft::of(&n);
                                view! {
                                    <li class="py-2" data-testid="number-row">
                                        <div class="flex items-center justify-between gap-2">
                                            <span class="font-medium tabular-nums">
                                                {crate::domain::numbers::format_e164(&n.e164)}
                                            </span>
                                            <span class="flex gap-2">
                                                <button
                                                    type="button"
                                                    class="btn-secondary"
                                                    data-testid="number-edit"
                                                    on:click=move |_| draft.set(edit.clone())
                                                >
                                                    {tx(NumbersText::NumberEdit)}
                                                </button>
                                                <button
                                                    type="button"
                                                    class="btn-secondary"
                                                    data-testid="number-remove"
                                                    on:click=move |_| remove(e164.clone())
                                                >
                                                    {tx(NumbersText::NumberRemove)}
                                                </button>
                                            </span>
                                        </div>
                                        <p class="text-sm">{summary.members.clone()}</p>
                                        <p class="text-sm text-slate-600 dark:text-slate-400">
                                            {summary.hours.clone()}
                                        </p>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            })
        })
    };

    view! {
        <section class="card" aria-labelledby="settings-numbers" data-testid="number-settings">
            <h2 id="settings-numbers" class="card-title">
                {tx(NumbersText::NumbersTitle)}
            </h2>
            <p class="text-sm text-slate-600 dark:text-slate-400">{tx(NumbersText::NumbersHint)}</p>
            <div class="mt-3">
                <LoadBoundary
                    fallback=|| "…"
                    retry=Callback::new(move |_| numbers.refetch())
                    page=Box::new(list)
                />
            </div>
            <div class="mt-3">
                <label for="number-e164" class="label">
                    {tx(NumbersText::NumberField)}
                </label>
                <input
                    id="number-e164"
                    class="input"
                    inputmode="tel"
                    autocomplete="off"
                    placeholder="+65 6123 4567"
                    data-testid="number-e164"
                    prop:value=move || draft.get().e164
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        draft.update(|d| d.e164 = value);
                    }
                />
            </div>
            <div class="mt-3">
                <label for="number-members" class="label">
                    {tx(NumbersText::NumberAgents)}
                </label>
                <input
                    id="number-members"
                    class="input"
                    autocomplete="off"
                    data-testid="number-members"
                    prop:value=move || draft.get().members
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        draft.update(|d| d.members = value);
                    }
                />
            </div>
            <div class="mt-3 flex flex-wrap items-end gap-3">
                <div>
                    <label for="number-strategy" class="label">
                        {tx(NumbersText::NumberStrategy)}
                    </label>
                    <select
                        id="number-strategy"
                        class="input w-auto"
                        data-testid="number-strategy"
                        on:change=move |ev| {
                            let in_order = event_target_value(&ev) == "in_order";
                            draft.update(|d| d.in_order = in_order);
                        }
                    >
                        <option value="ring_all" selected=move || !draft.get().in_order>
                            {tx(NumbersText::NumberRingAll)}
                        </option>
                        <option value="in_order" selected=move || draft.get().in_order>
                            {tx(NumbersText::NumberInOrder)}
                        </option>
                    </select>
                </div>
                <div>
                    <label for="number-ring-secs" class="label">
                        {tx(NumbersText::NumberRingSecs)}
                    </label>
                    <input
                        id="number-ring-secs"
                        class="input w-24"
                        inputmode="numeric"
                        placeholder="30"
                        data-testid="number-ring-secs"
                        prop:value=move || draft.get().ring_secs
                        on:input=move |ev| {
                            let value = event_target_value(&ev);
                            draft.update(|d| d.ring_secs = value);
                        }
                    />
                </div>
                <div>
                    <label for="number-per-agent" class="label">
                        {tx(NumbersText::NumberPerAgentSecs)}
                    </label>
                    <input
                        id="number-per-agent"
                        class="input w-24"
                        inputmode="numeric"
                        placeholder="15"
                        data-testid="number-per-agent"
                        disabled=move || !draft.get().in_order
                        prop:value=move || draft.get().per_agent_secs
                        on:input=move |ev| {
                            let value = event_target_value(&ev);
                            draft.update(|d| d.per_agent_secs = value);
                        }
                    />
                </div>
            </div>
            <div class="mt-3">
                <label for="number-hours" class="label">
                    {tx(NumbersText::NumberHours)}
                </label>
                <input
                    id="number-hours"
                    class="input"
                    autocomplete="off"
                    placeholder="mon 09:00-18:00, tue 09:00-18:00"
                    data-testid="number-hours"
                    prop:value=move || draft.get().hours
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        draft.update(|d| d.hours = value);
                    }
                />
            </div>
            <div class="mt-3">
                <label for="number-unassigned" class="label">
                    {tx(NumbersText::NumberUnassigned)}
                </label>
                <select
                    id="number-unassigned"
                    class="input w-auto"
                    data-testid="number-unassigned"
                    on:change=move |ev| {
                        let refuse = event_target_value(&ev) == "refuse";
                        draft.update(|d| d.refuse = refuse);
                    }
                >
                    <option value="message" selected=move || !draft.get().refuse>
                        {tx(NumbersText::NumberMessage)}
                    </option>
                    <option value="refuse" selected=move || draft.get().refuse>
                        {tx(NumbersText::NumberRefuse)}
                    </option>
                </select>
            </div>
            <button
                type="button"
                class="btn-primary mt-3"
                data-testid="number-save"
                disabled=move || busy.get()
                on:click=save
            >
                {tx(NumbersText::NumberSave)}
            </button>
            <p class="mt-2 text-sm" role="status" data-testid="number-status">
                {move || status.get()}
            </p>
        </section>
    }
}
