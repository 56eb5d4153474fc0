//! Contacts: search, favourites, import and export.

use leptos::prelude::*;

#[cfg(feature = "hydrate")]
use crate::api::contacts::import_contacts;
use crate::api::contacts::{
    export_contacts, list_contacts, set_favourite, ContactPage, FileFormat, ImportReport,
};
use crate::api::ApiError;
use crate::browser;
use crate::components::icons::{Icon, Svg};
use crate::components::lists::{paged_items, EmptyState, PagedList};
use crate::components::messages::{error_text, redirect_if_signed_out, refusal_text};
use crate::domain::contacts::Contact;
use crate::domain::numbers::{dial_href, format_e164};
use crate::i18n::T;
use crate::prefs::{prefs, tx, use_tr, use_trf};

/// What the contact list loads: made by the lazy route before the page's code arrives (so
/// both load at once), or by [`ContactList`] in the one-bundle build.
pub struct ContactsData {
    search: RwSignal<String>,
    favourites_only: RwSignal<bool>,
    /// Bumped to reload the list after a change made here (favourite, import).
    version: RwSignal<u32>,
    contacts: PagedList<ContactPage, (String, bool, u32)>,
}

impl ContactsData {
    pub fn load() -> Self {
        let search = RwSignal::new(String::new());
        let favourites_only = RwSignal::new(false);
        let version = RwSignal::new(0u32);
        let contacts = PagedList::new(
            move || (search.get(), favourites_only.get(), version.get()),
            |(s, f, _), cursor| list_contacts(s, f, cursor),
        );
        ContactsData {
            search,
            favourites_only,
            version,
            contacts,
        }
    }
}

#[component]
pub fn ContactList() -> impl IntoView {
    view! { <ContactsPage data=ContactsData::load() /> }
}

#[component]
pub fn ContactsPage(data: ContactsData) -> impl IntoView {
    let ContactsData {
        search,
        favourites_only,
        version,
        contacts,
    } = data;
    let tr = use_tr();
    let trf = use_trf();
    let prefs = prefs();
    let lang = prefs.lang;
    let error = RwSignal::new(None::<ApiError>);
    let report = RwSignal::new(None::<ImportReport>);
    let fail = move |e: ApiError| {
        redirect_if_signed_out(&e);
        error.set(Some(e));
    };

    let toggle_favourite = move |id: String, favourite: bool| {
        leptos::task::spawn_local(async move {
            match set_favourite(id, favourite).await {
                Ok(_) => version.update(|v| *v += 1),
                Err(e) => fail(e),
            }
        });
    };
    let export = move |format: FileFormat| {
        leptos::task::spawn_local(async move {
            match export_contacts(format).await {
                Ok(text) => match format {
                    FileFormat::VCard => browser::download("contacts.vcf", "text/vcard", &text),
                    FileFormat::Csv => browser::download("contacts.csv", "text/csv", &text),
                },
                Err(e) => fail(e),
            }
        });
    };
    #[allow(unused_variables)]
    let import = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(input) = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            input.set_value("");
            let format = if file.name().to_ascii_lowercase().ends_with(".csv") {
                FileFormat::Csv
            } else {
                FileFormat::VCard
            };
            let country = prefs.country.get_untracked();
            if file.size() > crate::api::contacts::IMPORT_MAX_BYTES as f64 {
                error.set(Some(ApiError::FileTooLarge {
                    limit_bytes: crate::api::contacts::IMPORT_MAX_BYTES,
                }));
                return;
            }
            leptos::task::spawn_local(async move {
                let text = match browser::file_text(file).await {
                    Ok(t) => t,
                    Err(e) => {
                        error.set(Some(ApiError::FileUnreadable(e)));
                        return;
                    }
                };
                match import_contacts(format, text, Some(country)).await {
                    Ok(r) => {
                        error.set(None);
                        report.set(Some(r));
                        version.update(|v| *v += 1);
                    }
                    Err(e) => fail(e),
                }
            });
        }
    };

    let row = move |contact: Contact| {
        let first = contact
            .numbers
            .first()
            .map(|n| format_e164(&n.e164))
            .unwrap_or_default();
        let call_href = contact
            .numbers
            .first()
            .map(|n| dial_href(&n.e164))
            .unwrap_or_else(|| "/".into());
        let (id, fav, name) = (contact.id.clone(), contact.favourite, contact.name.clone());
        let name_for_call = name.clone();
        view! {
            <li class="flex items-center gap-2 py-2" data-testid="contact-row">
                <button
                    type="button"
                    class="icon-btn text-amber-500"
                    aria-pressed=fav.to_string()
                    aria-label=move || {
                        if fav { tr(T::RemoveFavourite) } else { tr(T::AddFavourite) }
                    }
                    on:click=move |_| toggle_favourite(id.clone(), !fav)
                >
                    <Svg icon=if fav { Icon::StarFilled } else { Icon::Star } />
                </button>
                <a
                    class="min-w-0 flex-1 rounded-lg px-1 py-1 hover:bg-slate-50 dark:hover:bg-slate-900"
                    href=format!("/contacts/{}", contact.id)
                >
                    <p class="truncate font-medium">{name}</p>
                    <p class="truncate text-sm text-slate-600 dark:text-slate-400">
                        {first}
                        {(!contact.company.is_empty()).then(|| format!(" · {}", contact.company))}
                    </p>
                </a>
                <a
                    class="icon-btn text-teal-700 dark:text-teal-300"
                    href=call_href
                    aria-label=move || trf(T::CallName, &[("name", &name_for_call)])
                >
                    <Svg icon=Icon::Phone />
                </a>
            </li>
        }
    };

    view! {
        <div class="mb-4 flex items-center justify-between gap-2">
            <super::PageTitle title=T::ContactsTitle />
            <a class="btn-primary" href="/contacts/new">
                <Svg icon=Icon::Plus class="h-5 w-5" />
                {tx(T::NewContact)}
            </a>
        </div>
        <div class="mb-3 flex flex-wrap items-center gap-2">
            <label for="contact-search" class="sr-only">
                {tx(T::SearchContacts)}
            </label>
            <input
                id="contact-search"
                class="input min-w-0 flex-1"
                type="search"
                placeholder=tx(T::SearchContacts)
                on:input=move |ev| search.set(event_target_value(&ev))
            />
            <button
                type="button"
                class="chip"
                aria-pressed=move || favourites_only.get().to_string()
                on:click=move |_| favourites_only.update(|f| *f = !*f)
            >
                {tx(T::Favourites)}
            </button>
        </div>
        <div class="mb-3 flex flex-wrap gap-2 text-sm">
            <label class="btn-secondary cursor-pointer">
                <Svg icon=Icon::Upload class="h-4 w-4" />
                <span>{tx(T::Import)}</span>
                <input
                    type="file"
                    class="sr-only"
                    accept=".vcf,.vcard,.csv,text/vcard,text/csv"
                    aria-label=tx(T::ImportFile)
                    data-testid="import-file"
                    on:change=import
                />
            </label>
            <button type="button" class="btn-secondary" on:click=move |_| export(FileFormat::VCard)>
                <Svg icon=Icon::Download class="h-4 w-4" />
                {tx(T::ExportVcf)}
            </button>
            <button type="button" class="btn-secondary" on:click=move |_| export(FileFormat::Csv)>
                <Svg icon=Icon::Download class="h-4 w-4" />
                {tx(T::ExportCsv)}
            </button>
        </div>
        <p role="alert" class="text-sm text-red-700 dark:text-red-400">
            {move || error.get().map(|e| error_text(lang.get(), &e))}
        </p>
        {move || {
            report
                .get()
                .map(|r| {
                    let summary = trf(
                        T::ImportResult,
                        &[
                            ("imported", &r.imported.to_string()),
                            ("skipped", &r.skipped.len().to_string()),
                        ],
                    );
                    view! {
                        <div
                            role="status"
                            class="mb-3 rounded-lg bg-slate-100 p-3 text-sm dark:bg-slate-900"
                            data-testid="import-report"
                        >
                            <p class="font-medium">{summary}</p>
                            <ul class="mt-1 list-disc pl-5">
                                {r
                                    .skipped
                                    .into_iter()
                                    .map(|s| {
                                        let l = lang.get();
                                        let text = if s.refused.is_empty() {
                                            s.reason.clone()
                                        } else {
                                            let numbers: Vec<String> = s
                                                .refused
                                                .iter()
                                                .map(|(n, why)| {
                                                    format!("{n} — {}", refusal_text(l, *why, None))
                                                })
                                                .collect();
                                            format!("{}: {}", s.reason, numbers.join("; "))
                                        };
                                        view! {
                                            <li>{format!("{} {}: {}", tr(T::Row), s.row, text)}</li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        </div>
                    }
                })
        }}
        {paged_items(
            contacts,
            row,
            move || {
                let searching = !search.get_untracked().is_empty()
                    || favourites_only.get_untracked();
                view! {
                    <EmptyState
                        icon=Icon::Users
                        searching
                        title=T::NoContacts
                        hint=T::NoContactsHint
                    />
                }
                    .into_any()
            },
        )}
    }
}
