//! One contact: numbers to call, notes, edit and delete (with undo).

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};

use crate::api::contacts::{delete_contact, get_contact, restore_contact};
use crate::api::{api_resource, ApiResource};
use crate::components::icons::{Icon, Svg};
use crate::components::messages::{error_text, redirect_if_signed_out, LoadBoundary};
use crate::components::shell::{notices, Toast};
use crate::domain::contacts::{Contact, NumberLabel};
use crate::domain::numbers::{dial_href, format_e164};
use crate::i18n::{t, T};
use crate::prefs::{prefs, tx, use_trf};

pub fn label_text(label: NumberLabel) -> T {
    match label {
        NumberLabel::Mobile => T::LabelMobile,
        NumberLabel::Work => T::LabelWork,
        NumberLabel::Home => T::LabelHome,
        NumberLabel::Other => T::LabelOther,
    }
}

/// What a contact's page (and its edit page) loads: made by the lazy route before the page's
/// code arrives (so both load at once), or by the page in the one-bundle build.
pub struct ContactData {
    pub contact: ApiResource<Contact>,
}

impl ContactData {
    pub fn load() -> Self {
        let params = use_params_map();
        let id = move || params.with(|p| p.get("id").unwrap_or_default());
        ContactData {
            contact: api_resource(id, get_contact),
        }
    }
}

#[component]
pub fn ContactView() -> impl IntoView {
    view! { <ContactViewPage data=ContactData::load() /> }
}

#[component]
pub fn ContactViewPage(data: ContactData) -> impl IntoView {
    let ContactData { contact } = data;
    let trf = use_trf();
    let lang = prefs().lang;
    let notices = notices();
    let navigate = use_navigate();

    // A callback (Copy), so the page's view can be built again after a retry.
    let delete = Callback::new(move |_: leptos::ev::MouseEvent| {
        let Some(Ok(current)) = contact.get_untracked() else {
            return;
        };
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match delete_contact(current.id.clone()).await {
                Ok(deleted) => {
                    let undo_navigate = navigate.clone();
                    let l = lang.get_untracked();
                    notices.toast(Toast {
                        text: t(l, T::Deleted).into(),
                        action: Some((
                            t(l, T::Undo).into(),
                            Callback::new(move |_| {
                                let deleted = deleted.clone();
                                let navigate = undo_navigate.clone();
                                leptos::task::spawn_local(async move {
                                    match restore_contact(deleted).await {
                                        Ok(restored) => {
                                            notices.announce(t(l, T::Restored));
                                            navigate(
                                                &format!("/contacts/{}", restored.id),
                                                Default::default(),
                                            );
                                        }
                                        Err(e) => notices.announce(error_text(l, &e)),
                                    }
                                });
                            }),
                        )),
                    });
                    navigate("/contacts", Default::default());
                }
                Err(e) => {
                    redirect_if_signed_out(&e);
                    notices.announce(error_text(lang.get_untracked(), &e));
                }
            }
        });
    });

    view! {
        <a class="link mb-4 inline-flex items-center gap-1 text-sm" href="/contacts">
            <Svg icon=Icon::ArrowLeft class="h-4 w-4" />
            {tx(T::ContactsTitle)}
        </a>
        <LoadBoundary
            fallback=move || view! { <p>{tx(T::Loading)}</p> }
            retry=Callback::new(move |_| contact.refetch())
            page=Box::new(move || {
                contact
                    .get()
                    .map(|result| {
                        result
                            .map(|c| {
                                let edit_href = format!("/contacts/{}/edit", c.id);
                                view! {
                                    <leptos_meta::Title text=format!("{} · Softphone", c.name) />
                                    <div class="flex items-start justify-between gap-3">
                                        <div>
                                            <h1 class="text-2xl font-semibold tracking-tight">
                                                {c.name.clone()}
                                                {c
                                                    .favourite
                                                    .then(|| {
                                                        view! {
                                                            <span class="ml-2 text-amber-500" title=tx(T::Favourite)>
                                                                "★"
                                                            </span>
                                                        }
                                                    })}
                                            </h1>
                                            <p class="text-slate-600 dark:text-slate-400">
                                                {c.company.clone()}
                                            </p>
                                        </div>
                                        <div class="flex gap-2">
                                            <a class="btn-secondary" href=edit_href>
                                                <Svg icon=Icon::Pencil class="h-4 w-4" />
                                                {tx(T::Edit)}
                                            </a>
                                            <button
                                                type="button"
                                                class="btn-danger"
                                                on:click=move |ev| delete.run(ev)
                                            >
                                                <Svg icon=Icon::Trash class="h-4 w-4" />
                                                {tx(T::Delete)}
                                            </button>
                                        </div>
                                    </div>
                                    <h2 class="mt-6 text-sm font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">
                                        {tx(T::Numbers)}
                                    </h2>
                                    <ul class="mt-2 divide-y divide-slate-200 dark:divide-slate-800">
                                        {c
                                            .numbers
                                            .iter()
                                            .map(|n| {
                                                let shown = format_e164(&n.e164);
                                                let href = dial_href(&n.e164);
                                                let label = label_text(n.label);
                                                let name = c.name.clone();
                                                view! {
                                                    <li class="flex items-center gap-3 py-3">
                                                        <div class="flex-1">
                                                            <p class="text-xs text-slate-600 dark:text-slate-400">
                                                                {tx(label)}
                                                            </p>
                                                            <p class="text-lg">{shown}</p>
                                                        </div>
                                                        <a
                                                            class="btn-call-small"
                                                            href=href
                                                            aria-label=move || trf(T::CallName, &[("name", &name)])
                                                        >
                                                            <Svg icon=Icon::Phone class="h-5 w-5" />
                                                        </a>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                    {(!c.notes.is_empty())
                                        .then(|| {
                                            view! {
                                                <h2 class="mt-6 text-sm font-semibold uppercase tracking-wide text-slate-600 dark:text-slate-400">
                                                    {tx(T::Notes)}
                                                </h2>
                                                <p class="mt-2 whitespace-pre-wrap">{c.notes.clone()}</p>
                                            }
                                        })}
                                }
                                    .into_any()
                            })
                    })
            })
        />
    }
}
