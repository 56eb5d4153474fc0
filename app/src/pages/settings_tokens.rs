//! Settings' "Integration tokens": make a token for the REST API (name, scopes, lifetime; the
//! secret shown once, with a copy button), see the ones held (name, scopes, dates) and revoke
//! them. The rules are in `crate::domain::tokens`, the work in `crate::api::tokens`.

use leptos::prelude::*;

use super::settings_tokens_text::TokensText;
use crate::api::tokens::{create_token, revoke_token};
use crate::api::ApiResource;
use crate::components::messages::{error_text, redirect_if_signed_out, LoadBoundary};
use crate::domain::tokens::{Lifetime, NewToken, Scope, TokenInfo, TokenRequest, MAX_NAME_CHARS};
use crate::i18n::{tf, Text};
use crate::prefs::{prefs, tx};

fn scope_label(scope: Scope) -> TokensText {
    match scope {
        Scope::ContactsRead => TokensText::ScopeContactsRead,
        Scope::ContactsWrite => TokensText::ScopeContactsWrite,
        Scope::CallsRead => TokensText::ScopeCallsRead,
        Scope::CallsWrite => TokensText::ScopeCallsWrite,
        Scope::RecordingsRead => TokensText::ScopeRecordingsRead,
    }
}

/// `YYYY-MM-DD` (UTC) of a time in ms.
fn day(ms: u64) -> String {
    crate::domain::recordings::format_utc(ms)
        .chars()
        .take(10)
        .collect()
}

#[component]
pub fn TokenSettings(tokens: ApiResource<Vec<TokenInfo>>) -> impl IntoView {
    let lang = prefs().lang;
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(Vec::<Scope>::new());
    let lifetime = RwSignal::new(Lifetime::Days90);
    let created = RwSignal::new(None::<NewToken>);
    let copied = RwSignal::new(false);
    let status = RwSignal::new(String::new());
    let busy = RwSignal::new(false);

    let create = move |_| {
        let request = TokenRequest {
            name: name.get_untracked(),
            scopes: scopes.get_untracked(),
            lifetime: lifetime.get_untracked(),
        };
        busy.set(true);
        status.set(String::new());
        created.set(None);
        copied.set(false);
        leptos::task::spawn_local(async move {
            match create_token(request).await {
                Ok(token) => {
                    created.set(Some(token));
                    name.set(String::new());
                    scopes.set(Vec::new());
                    tokens.refetch();
                }
                Err(e) => {
                    redirect_if_signed_out(&e);
                    status.set(error_text(lang.get_untracked(), &e));
                }
            }
            busy.set(false);
        });
    };
    let revoke = move |id: String| {
        status.set(String::new());
        leptos::task::spawn_local(async move {
            match revoke_token(id).await {
                Ok(()) => {
                    status.set(TokensText::TokenRevoked.text(lang.get_untracked()).into());
                    tokens.refetch();
                }
                Err(e) => {
                    redirect_if_signed_out(&e);
                    status.set(error_text(lang.get_untracked(), &e));
                }
            }
        });
    };
    let copy = move |_| {
        if let Some(token) = created.get_untracked() {
            leptos::task::spawn_local(async move {
                copied.set(crate::browser::copy_text(&token.secret).await);
            });
        }
    };

    let list = move || {
        tokens.get().map(|loaded| {
            loaded.map(|list| {
                if list.is_empty() {
                    return view! { <p class="text-sm text-slate-600 dark:text-slate-400">{tx(TokensText::TokensNone)}</p> }
                        .into_any();
                }
                view! {
                    <ul
                        class="divide-y divide-slate-200 dark:divide-slate-700"
                        data-testid="token-list"
                    >
                        {list
                            .into_iter()
                            .map(|token| {
                                let id = token.id.clone();
                                let scopes_text = token
                                    .scopes
                                    .iter()
                                    .map(|s| s.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ");
                                let created_at = day(token.created_at);
                                let used = token.last_used_at.map(day);
                                let expires = token.expires_at.map(day);
                                let expired = token.expired;
                                view! {
                                    <li class="py-2" data-testid="token-row">
                                        <div class="flex items-center justify-between gap-2">
                                            <span class="font-medium" data-testid="token-name">
                                                {token.name.clone()}
                                            </span>
                                            <button
                                                type="button"
                                                class="btn-secondary"
                                                data-testid="token-revoke"
                                                on:click=move |_| revoke(id.clone())
                                            >
                                                {tx(TokensText::TokenRevoke)}
                                            </button>
                                        </div>
                                        <p class="text-sm" data-testid="token-scopes">
                                            {scopes_text}
                                        </p>
                                        <p class="text-sm text-slate-600 dark:text-slate-400">
                                            {move || {
                                                let l = lang.get();
                                                let mut parts = vec![
                                                    tf(l, TokensText::TokenCreatedOn, &[("date", &created_at)]),
                                                ];
                                                parts
                                                    .push(
                                                        match &used {
                                                            Some(d) => tf(l, TokensText::TokenLastUsed, &[("date", d)]),
                                                            None => TokensText::TokenNeverUsed.text(l).into(),
                                                        },
                                                    );
                                                if let Some(d) = &expires {
                                                    parts
                                                        .push(
                                                            if expired {
                                                                TokensText::TokenExpired.text(l).into()
                                                            } else {
                                                                tf(l, TokensText::TokenExpires, &[("date", d)])
                                                            },
                                                        );
                                                }
                                                parts.join(" · ")
                                            }}
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
        <section class="card" aria-labelledby="settings-tokens" data-testid="token-settings">
            <h2 id="settings-tokens" class="card-title">
                {tx(TokensText::TokensTitle)}
            </h2>
            <p class="text-sm text-slate-600 dark:text-slate-400">{tx(TokensText::TokensHint)}</p>
            <div class="mt-3">
                <label for="token-name" class="label">
                    {tx(TokensText::TokenName)}
                </label>
                <input
                    id="token-name"
                    class="input"
                    data-testid="token-name-input"
                    maxlength=MAX_NAME_CHARS.to_string()
                    autocomplete="off"
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
            </div>
            <fieldset class="mt-3">
                <legend class="label">{tx(TokensText::TokenScopes)}</legend>
                <div class="flex flex-wrap gap-2">
                    {Scope::ALL
                        .into_iter()
                        .map(|scope| {
                            view! {
                                <label class="chip cursor-pointer has-[:checked]:border-teal-700 has-[:checked]:bg-teal-50 dark:has-[:checked]:bg-teal-950">
                                    <input
                                        type="checkbox"
                                        class="accent-teal-700"
                                        value=scope.as_str()
                                        data-testid=format!("token-scope-{}", scope.as_str())
                                        prop:checked=move || scopes.get().contains(&scope)
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            scopes
                                                .update(|s| {
                                                    s.retain(|x| *x != scope);
                                                    if on {
                                                        s.push(scope);
                                                    }
                                                });
                                        }
                                    />
                                    {tx(scope_label(scope))}
                                    " "
                                    <code class="text-xs">{scope.as_str()}</code>
                                </label>
                            }
                        })
                        .collect_view()}
                </div>
            </fieldset>
            <div class="mt-3">
                <label for="token-lifetime" class="label">
                    {tx(TokensText::TokenLifetime)}
                </label>
                <select
                    id="token-lifetime"
                    class="input w-auto"
                    data-testid="token-lifetime"
                    on:change=move |ev| {
                        let days: u64 = event_target_value(&ev).parse().unwrap_or(90);
                        if let Some(l) = Lifetime::ALL.into_iter().find(|l| l.days() == days) {
                            lifetime.set(l);
                        }
                    }
                >
                    {Lifetime::ALL
                        .into_iter()
                        .map(|l| {
                            let days = l.days().to_string();
                            let value = days.clone();
                            view! {
                                <option value=value selected=move || lifetime.get() == l>
                                    {move || tf(
                                        lang.get(),
                                        TokensText::TokenDays,
                                        &[("days", &days)],
                                    )}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <button
                type="button"
                class="btn-primary mt-3"
                data-testid="token-create"
                disabled=move || busy.get()
                on:click=create
            >
                {tx(TokensText::TokenCreate)}
            </button>
            {move || {
                created
                    .get()
                    .map(|token| {
                        view! {
                            <div
                                class="mt-3 rounded border border-amber-500 p-3"
                                role="status"
                                data-testid="token-created"
                            >
                                <p class="text-sm font-medium">{tx(TokensText::TokenShownOnce)}</p>
                                <div class="mt-2 flex items-center gap-2">
                                    <code class="break-all text-sm" data-testid="token-secret">
                                        {token.secret.clone()}
                                    </code>
                                    <button
                                        type="button"
                                        class="btn-secondary"
                                        data-testid="token-copy"
                                        on:click=copy
                                    >
                                        {move || {
                                            if copied.get() {
                                                tx(TokensText::TokenCopied).get()
                                            } else {
                                                tx(TokensText::TokenCopy).get()
                                            }
                                        }}
                                    </button>
                                </div>
                            </div>
                        }
                    })
            }}
            <p class="mt-2 text-sm" role="status" data-testid="token-status">
                {move || status.get()}
            </p>
            <div class="mt-3">
                <LoadBoundary
                    fallback=|| "…"
                    retry=Callback::new(move |_| tokens.refetch())
                    page=Box::new(list)
                />
            </div>
        </section>
    }
}
