//! The administrator's page (`/admin`): who is blocked or awaiting approval now, a user looked
//! up by e-mail or sub (account, block, open calls, overrides), and what an administrator does
//! to them: lift a block, approve, set or clear the overrides, disable (after a question) or
//! enable. The work is in `crate::api::admin` (shared with the REST API; the server refuses
//! anyone not an administrator, so a non-administrator sees that refusal here); the form's
//! rules in `crate::domain::overrides`.

use leptos::prelude::*;

use super::admin_text::AdminText;
use super::analytics_text::AnalyticsText;
use crate::api::admin::{
    approve_user, blocked_users, find_user, lift_block, set_disabled, set_overrides, AdminOutcome,
    AdminUser, BlockedUser,
};
use crate::api::{api_resource, ApiError, ApiResource};
use crate::components::call_time::CallTime;
use crate::components::messages::{error_text, redirect_if_signed_out, LoadBoundary};
use crate::domain::overrides::{minutes, LimitField, OverridesText};
use crate::domain::spend::{Block, VelocityRule};
use crate::i18n::{t, Text, T};
use crate::prefs::{prefs, tx};

/// What the page loads first (the list; a refusal says the caller is not an administrator).
pub struct AdminData {
    blocked: ApiResource<Vec<BlockedUser>>,
}

impl AdminData {
    pub fn load() -> Self {
        AdminData {
            blocked: api_resource(|| (), |_| blocked_users()),
        }
    }
}

fn rule_text(rule: VelocityRule) -> AdminText {
    match rule {
        VelocityRule::ShortCalls => AdminText::RuleShortCalls,
        VelocityRule::SequentialNumbers => AdminText::RuleSequential,
        VelocityRule::NewDestinations => AdminText::RuleNewDestinations,
        VelocityRule::AwaitingApproval => AdminText::RuleAwaiting,
    }
}

fn field_label(field: LimitField) -> AdminText {
    match field {
        LimitField::CallsPerMinute => AdminText::LimitPerMinute,
        LimitField::CallsPerHour => AdminText::LimitPerHour,
        LimitField::MinutesPerDay => AdminText::LimitMinutesDay,
        LimitField::LongestCall => AdminText::LimitLongest,
    }
}

#[component]
pub fn Admin() -> impl IntoView {
    view! { <AdminPage data=AdminData::load() /> }
}

#[component]
pub fn AdminPage(data: AdminData) -> AnyView {
    let blocked = data.blocked;
    let lang = prefs().lang;
    let user = RwSignal::new(None::<AdminUser>);
    // One card per user opened; an action updates the card in place.
    let shown = Memo::new(move |_| user.with(|u| u.as_ref().map(|u| u.sub.clone())));
    let query = RwSignal::new(String::new());
    let find_error = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let open = move |who: String| {
        busy.set(true);
        find_error.set(String::new());
        leptos::task::spawn_local(async move {
            match find_user(who).await {
                Ok(found) => user.set(Some(found)),
                Err(e) => {
                    redirect_if_signed_out(&e);
                    let text = if e == ApiError::NotFound {
                        AdminText::NoSuchUser.text(lang.get_untracked()).into()
                    } else {
                        error_text(lang.get_untracked(), &e)
                    };
                    find_error.set(text);
                }
            }
            busy.set(false);
        });
    };
    let hydrated = crate::components::forms::hydrated();
    // The look-up is offered to administrators (as the server rendered the page); the list's
    // answer is the server's own word: to anyone else, "Only administrators can do this."
    let tools = prefs().admin.then(|| {
        view! {
            <section class="card">
                <form
                    method="post"
                    novalidate=true
                    on:submit=move |ev: leptos::ev::SubmitEvent| {
                        ev.prevent_default();
                        let who = query.get_untracked();
                        if !who.trim().is_empty() {
                            open(who);
                        }
                    }
                >
                    <label for="admin-find" class="label">
                        {tx(AdminText::FindLabel)}
                    </label>
                    <div class="flex gap-2">
                        <input
                            id="admin-find"
                            class="input"
                            autocomplete="off"
                            autocapitalize="off"
                            spellcheck="false"
                            aria-describedby="admin-find-error"
                            data-testid="admin-find"
                            prop:value=move || query.get()
                            on:input=move |ev| query.set(event_target_value(&ev))
                        />
                        <button
                            type="submit"
                            class="btn-primary"
                            data-testid="admin-find-button"
                            disabled=move || !hydrated.get() || busy.get()
                        >
                            {tx(AdminText::Find)}
                        </button>
                    </div>
                    <p
                        id="admin-find-error"
                        role="alert"
                        class="field-error"
                        data-testid="admin-find-error"
                    >
                        {move || find_error.get()}
                    </p>
                </form>
            </section>
            {move || {
                shown
                    .get()
                    .map(|_| {
                        view! {
                            <UserCard user changed=Callback::new(move |()| blocked.refetch()) />
                        }
                    })
            }}
        }
        .into_any()
    });
    let open = Callback::new(open);
    view! {
        <super::PageTitle title=T::AdminTitle />
        <p class="mb-4">
            <a class="link" href="/admin/analytics" data-testid="admin-analytics-link">
                {tx(AnalyticsText::Title)}
            </a>
        </p>
        // Kept while it reloads after an action, so the page does not jump.
        <LoadBoundary
            keep_while_reloading=true
            retry=Callback::new(move |_| blocked.refetch())
            page=Box::new(move || {
                blocked
                    .get()
                    .map(|loaded| loaded.map(|list| view! { <BlockedList list open /> }.into_any()))
            })
        />
        {tools}
    }
    .into_any()
}

/// Who is blocked or awaiting approval now, oldest first; a name opens the user.
#[component]
fn BlockedList(list: Vec<BlockedUser>, open: Callback<String>) -> AnyView {
    let rows = if list.is_empty() {
        view! {
            <p class="text-sm text-slate-600 dark:text-slate-400" data-testid="admin-none-blocked">
                {tx(AdminText::NoneBlocked)}
            </p>
        }
        .into_any()
    } else {
        view! {
            <ul class="divide-y divide-slate-200 dark:divide-slate-700" data-testid="admin-blocked">
                {list
                    .into_iter()
                    .map(|b| {
                        let name = b.email.clone().unwrap_or_else(|| b.sub.clone());
                        let sub = b.sub.clone();
                        view! {
                            <li
                                class="flex flex-wrap items-center justify-between gap-2 py-2"
                                data-testid="admin-blocked-row"
                            >
                                <button
                                    type="button"
                                    class="link break-all text-left font-medium"
                                    on:click=move |_| open.run(sub.clone())
                                >
                                    {name}
                                </button>
                                <span class="text-sm text-slate-600 dark:text-slate-400">
                                    {tx(rule_text(b.block.rule))} " · "
                                    <CallTime ms=b.block.at with_time=true />
                                </span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="admin-blocked-title">
            <h2 id="admin-blocked-title" class="card-title">
                {tx(AdminText::BlockedTitle)}
            </h2>
            {rows}
        </section>
    }
    .into_any()
}

/// Whether the user has a velocity block, awaits approval, is disabled, is the administrator.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Standing {
    velocity: bool,
    awaiting: bool,
    disabled: bool,
    is_me: bool,
}

fn standing(u: &AdminUser) -> Standing {
    let awaiting = u
        .block
        .is_some_and(|b| b.rule == VelocityRule::AwaitingApproval);
    Standing {
        velocity: u.block.is_some() && !awaiting,
        awaiting,
        disabled: u.disabled_at.is_some(),
        is_me: u.is_me,
    }
}

/// A time after a state ("Disabled · Today at 10:02").
fn since(label: AdminText, at: Option<u64>) -> AnyView {
    match at {
        None => view! { {tx(label)} }.into_any(),
        Some(at) => view! {
            {tx(label)}
            " · "
            <CallTime ms=at with_time=true />
        }
        .into_any(),
    }
}

/// What the administrator sees of one user, and does to them. Built once per user opened;
/// each action's answer (the user as they are now) updates it in place.
#[component]
fn UserCard(user: RwSignal<Option<AdminUser>>, changed: Callback<()>) -> AnyView {
    let lang = prefs().lang;
    let status = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let confirming = RwSignal::new(false);
    let heading = NodeRef::<leptos::html::H2>::new();
    let focus_heading = move || {
        if let Some(h) = heading.get_untracked() {
            let _ = h.focus();
        }
    };
    // Opened: keyboard and screen-reader users land on the user's name.
    Effect::new(move |_| {
        if heading.get().is_some() {
            focus_heading();
        }
    });
    let with_user = move |read: fn(&AdminUser) -> String| user.with(|u| u.as_ref().map(read));
    let state = Memo::new(move |_| user.with(|u| u.as_ref().map(standing)));
    let is = move |flag: fn(Standing) -> bool| state.get().is_some_and(flag);
    // Every action answers with the user as they are now, and whether anything changed.
    let run = move |action: AdminAction| {
        let Some(sub) = with_user(|u| u.sub.clone()) else {
            return;
        };
        busy.set(true);
        status.set(String::new());
        leptos::task::spawn_local(async move {
            let result = match action {
                AdminAction::Lift => lift_block(sub).await,
                AdminAction::Approve => approve_user(sub).await,
                AdminAction::Disabled(disabled) => set_disabled(sub, disabled).await,
                AdminAction::Overrides(o) => set_overrides(sub, o).await,
            };
            let lang = lang.get_untracked();
            match result {
                Ok(AdminOutcome {
                    changed: done,
                    user: now,
                }) => {
                    status.set(
                        if done {
                            t(lang, T::Saved)
                        } else {
                            AdminText::NoChange.text(lang)
                        }
                        .into(),
                    );
                    user.set(Some(now));
                    // What was done may take the user off the list (or put them on it).
                    changed.run(());
                }
                Err(e) => {
                    redirect_if_signed_out(&e);
                    status.set(error_text(lang, &e));
                }
            }
            busy.set(false);
            // The button pressed may be gone (Lift once lifted): focus stays on this user.
            if !matches!(action, AdminAction::Overrides(_)) {
                focus_heading();
            }
        });
    };
    let initial = user.get_untracked();
    let name = move || with_user(|u| u.email.clone().unwrap_or_else(|| u.sub.clone()));

    view! {
        <section class="card" aria-labelledby="admin-user-title" data-testid="admin-user">
            <h2
                id="admin-user-title"
                class="card-title break-all outline-none"
                tabindex="-1"
                node_ref=heading
                data-testid="admin-user-name"
            >
                {name}
            </h2>
            <p class="break-all text-xs text-slate-600 dark:text-slate-400">
                // The sub under an e-mail (without one, the name is the sub).
                {move || {
                    user.with(|u| u.as_ref().filter(|u| u.email.is_some()).map(|u| u.sub.clone()))
                }}
            </p>
            <dl class="mt-3 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
                <dt class="font-medium">{tx(T::Account)}</dt>
                <dd data-testid="admin-account">
                    {move || {
                        user.with(|u| {
                            u.as_ref()
                                .map(|u| match u.disabled_at {
                                    Some(at) => since(AdminText::Disabled, Some(at)),
                                    None => since(AdminText::Enabled, None),
                                })
                        })
                    }}
                </dd>
                <dt class="font-medium">{tx(AdminText::Calls)}</dt>
                <dd data-testid="admin-calls">
                    {move || {
                        user.with(|u| {
                            u.as_ref()
                                .map(|u| match u.block {
                                    Some(Block { rule, at }) => since(rule_text(rule), Some(at)),
                                    None => since(AdminText::CallsAllowed, None),
                                })
                        })
                    }}
                </dd>
                <dt class="font-medium">{tx(AdminText::OpenCalls)}</dt>
                <dd data-testid="admin-open-calls">
                    {move || with_user(|u| u.open_calls.to_string())}
                </dd>
            </dl>
            <div class="mt-3 flex flex-wrap gap-2">
                {move || {
                    is(|s| s.velocity)
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="btn-primary"
                                    data-testid="admin-lift"
                                    disabled=move || busy.get()
                                    on:click=move |_| run(AdminAction::Lift)
                                >
                                    {tx(AdminText::Lift)}
                                </button>
                            }
                        })
                }}
                {move || {
                    is(|s| s.awaiting)
                        .then(|| {
                            view! {
                                <button
                                    type="button"
                                    class="btn-primary"
                                    data-testid="admin-approve"
                                    disabled=move || busy.get()
                                    on:click=move |_| run(AdminAction::Approve)
                                >
                                    {tx(AdminText::Approve)}
                                </button>
                            }
                        })
                }}
                {move || {
                    if is(|s| s.disabled) {
                        view! {
                            <button
                                type="button"
                                class="btn-secondary"
                                data-testid="admin-enable"
                                disabled=move || busy.get()
                                on:click=move |_| run(AdminAction::Disabled(false))
                            >
                                {tx(AdminText::Enable)}
                            </button>
                        }
                            .into_any()
                    } else {
                        let own = is(|s| s.is_me);
                        // One's own account: the button stays, disabled, with the reason.
                        view! {
                            <button
                                type="button"
                                class="btn-danger"
                                data-testid="admin-disable"
                                aria-describedby=own.then_some("admin-own")
                                disabled=move || busy.get() || own
                                on:click=move |_| confirming.set(true)
                            >
                                {tx(AdminText::Disable)}
                            </button>
                        }
                            .into_any()
                    }
                }}
            </div>
            {move || {
                is(|s| s.is_me)
                    .then(|| {
                        view! {
                            <p
                                id="admin-own"
                                class="mt-1 text-sm text-slate-600 dark:text-slate-400"
                            >
                                {tx(T::ErrOwnAccount)}
                            </p>
                        }
                    })
            }}
            <p class="mt-2 text-sm" role="status" data-testid="admin-result">
                {move || status.get()}
            </p>
            {move || {
                confirming
                    .get()
                    .then(|| {
                        view! {
                            <ConfirmDisable
                                name=name().unwrap_or_default()
                                answer=Callback::new(move |yes: bool| {
                                    confirming.set(false);
                                    if yes {
                                        run(AdminAction::Disabled(true));
                                    } else {
                                        focus_heading();
                                    }
                                })
                            />
                        }
                    })
            }}
            {initial
                .map(|u| {
                    view! {
                        <OverridesForm
                            user=u
                            busy
                            status
                            run=Callback::new(move |o| run(AdminAction::Overrides(o)))
                        />
                    }
                })}
        </section>
    }
    .into_any()
}

#[derive(Clone, Copy)]
enum AdminAction {
    Lift,
    Approve,
    Disabled(bool),
    Overrides(crate::domain::spend::SpendOverrides),
}

/// "Disable ana@…?" before an account is disabled: Cancel has the focus (Escape cancels too).
#[component]
fn ConfirmDisable(name: String, answer: Callback<bool>) -> AnyView {
    let cancel = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(button) = cancel.get() {
            let _ = button.focus();
        }
    });
    view! {
        <div class="fixed inset-0 z-40 flex items-center justify-center bg-slate-900/50 p-4">
            <div
                role="alertdialog"
                aria-modal="true"
                aria-labelledby="admin-confirm-title"
                aria-describedby="admin-confirm-why"
                class="card w-full max-w-sm"
                data-testid="admin-confirm"
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        ev.prevent_default();
                        answer.run(false);
                    }
                }
            >
                <h2 id="admin-confirm-title" class="card-title break-all">
                    {tx(AdminText::Disable)}
                    ": "
                    {name}
                </h2>
                <p id="admin-confirm-why" class="text-sm">
                    {tx(AdminText::ConfirmDisable)}
                </p>
                <div class="mt-4 flex justify-end gap-2">
                    <button
                        type="button"
                        class="btn-secondary"
                        node_ref=cancel
                        on:click=move |_| answer.run(false)
                    >
                        {tx(T::Cancel)}
                    </button>
                    <button
                        type="button"
                        class="btn-danger"
                        data-testid="admin-confirm-disable"
                        on:click=move |_| answer.run(true)
                    >
                        {tx(AdminText::Disable)}
                    </button>
                </div>
            </div>
        </div>
    }
    .into_any()
}

/// The user's overrides: each limit empty (the server's value, its placeholder) or a whole
/// number, checked field by field before anything is sent; Clear empties them all.
#[component]
fn OverridesForm(
    user: AdminUser,
    busy: RwSignal<bool>,
    status: RwSignal<String>,
    run: Callback<crate::domain::spend::SpendOverrides>,
) -> AnyView {
    let form = RwSignal::new(OverridesText::of(&user.overrides));
    let bad = RwSignal::new(Vec::<LimitField>::new());
    let defaults = OverridesText::of(&crate::domain::spend::SpendOverrides {
        max_call_secs: user.defaults.max_call_secs.map(|s| minutes(s) * 60),
        ..user.defaults
    });
    let save = move |text: OverridesText| match text.parse() {
        Ok(o) => {
            bad.set(Vec::new());
            run.run(o);
        }
        Err(fields) => {
            // Nothing was sent: an earlier action's answer no longer applies.
            status.set(String::new());
            bad.set(fields);
        }
    };
    let fields = LimitField::ALL
        .into_iter()
        .map(|field| {
            let id = format!("limit-{}", field.name());
            let error_id = format!("{id}-error");
            let placeholder = defaults.get(field).to_string();
            let is_bad = move || bad.with(|b| b.contains(&field));
            view! {
                <div>
                    <label for=id.clone() class="label">
                        {tx(field_label(field))}
                    </label>
                    <input
                        id=id
                        class="input w-28"
                        inputmode="numeric"
                        autocomplete="off"
                        placeholder=placeholder
                        aria-invalid=move || is_bad().to_string()
                        aria-describedby=error_id.clone()
                        data-testid=format!("limit-{}", field.name())
                        prop:value=move || form.with(|f| f.get(field).to_string())
                        on:input=move |ev| {
                            let value = event_target_value(&ev);
                            form.update(|f| f.set(field, value));
                        }
                    />
                    <p id=error_id class="field-error">
                        {move || is_bad().then(|| tx(T::ErrWholeNumber))}
                    </p>
                </div>
            }
        })
        .collect_view();
    view! {
        <form
            method="post"
            novalidate=true
            class="mt-4 border-t border-slate-200 pt-3 dark:border-slate-700"
            aria-labelledby="admin-limits-title"
            data-testid="admin-limits"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                save(form.get_untracked());
            }
        >
            <h3 id="admin-limits-title" class="font-semibold">
                {tx(AdminText::LimitsTitle)}
            </h3>
            <p class="text-sm text-slate-600 dark:text-slate-400">{tx(AdminText::LimitsHint)}</p>
            <div class="mt-2 flex flex-wrap gap-3">{fields}</div>
            <label class="mt-2 flex items-center gap-2">
                <input
                    type="checkbox"
                    data-testid="limit-velocity-exempt"
                    prop:checked=move || form.with(|f| f.velocity_exempt)
                    on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        form.update(|f| f.velocity_exempt = on);
                    }
                />
                {tx(AdminText::LimitVelocityOff)}
            </label>
            <div class="mt-3 flex flex-wrap gap-2">
                <button
                    type="submit"
                    class="btn-primary"
                    data-testid="admin-save-limits"
                    disabled=move || busy.get()
                >
                    {tx(AdminText::SaveLimits)}
                </button>
                <button
                    type="button"
                    class="btn-secondary"
                    data-testid="admin-clear-limits"
                    disabled=move || busy.get()
                    on:click=move |_| {
                        form.set(OverridesText::default());
                        save(OverridesText::default());
                    }
                >
                    {tx(AdminText::ClearLimits)}
                </button>
            </div>
        </form>
    }
    .into_any()
}
