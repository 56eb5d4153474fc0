//! Create or edit a contact: every field checked as you type, and again by the server.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::contacts::save_contact;
use crate::api::ApiError;
use crate::components::icons::{Icon, Svg};
use crate::components::messages::{
    error_text, kind_text, redirect_if_signed_out, refusal_text, LoadBoundary,
};
use crate::components::shell::notices;
use crate::domain::contacts::{
    Contact, ContactDraft, ContactProblems, DraftNumber, NumberLabel, NUMBERS_MAX,
};
use crate::domain::numbers::format_e164;
use crate::domain::numbers::{check, RuleTable};
use crate::i18n::{t, T};
use crate::pages::contact_view::{label_text, ContactData};
use crate::prefs::{country_name, prefs, tx, use_tr};

#[derive(Clone, Copy)]
struct NumberRow {
    key: u32,
    label: RwSignal<NumberLabel>,
    input: RwSignal<String>,
}

#[component]
pub fn NewContact() -> impl IntoView {
    view! {
        <super::PageTitle title=T::NewContact />
        <ContactForm existing=None />
    }
}

#[component]
pub fn EditContact() -> impl IntoView {
    view! { <EditContactPage data=ContactData::load() /> }
}

#[component]
pub fn EditContactPage(data: ContactData) -> impl IntoView {
    let ContactData { contact } = data;
    view! {
        <super::PageTitle title=T::EditContact />
        <LoadBoundary
            fallback=move || view! { <p>{tx(T::Loading)}</p> }
            retry=Callback::new(move |_| contact.refetch())
            page=Box::new(move || {
                contact
                    .get()
                    .map(|result| {
                        result.map(|c| view! { <ContactForm existing=Some(c) /> }.into_any())
                    })
            })
        />
    }
}

#[component]
fn ContactForm(existing: Option<Contact>) -> impl IntoView {
    let tr = use_tr();
    let prefs = prefs();
    let (lang, country) = (prefs.lang, prefs.country);
    let navigate = use_navigate();
    let notices = notices();
    let draft = existing
        .as_ref()
        .map(ContactDraft::from)
        .unwrap_or_default();
    let name = RwSignal::new(draft.name.clone());
    let company = RwSignal::new(draft.company.clone());
    let notes = RwSignal::new(draft.notes.clone());
    let favourite = RwSignal::new(draft.favourite);
    let next_key = StoredValue::new(0u32);
    let new_row = move |label: NumberLabel, input: String| {
        let key = next_key.get_value();
        next_key.set_value(key + 1);
        NumberRow {
            key,
            label: RwSignal::new(label),
            input: RwSignal::new(input),
        }
    };
    let mut initial_rows: Vec<NumberRow> = draft
        .numbers
        .iter()
        .map(|n| new_row(n.label, format_e164(&n.input)))
        .collect();
    if initial_rows.is_empty() {
        initial_rows.push(new_row(NumberLabel::Mobile, String::new()));
    }
    let rows = RwSignal::new(initial_rows);
    let problems = RwSignal::new(ContactProblems::default());
    let error = RwSignal::new(None::<ApiError>);
    let saving = RwSignal::new(false);
    let (id, version) = (
        existing.as_ref().map(|c| c.id.clone()),
        existing.as_ref().map(|c| c.version),
    );

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let current_rows = rows.get_untracked();
        let draft = ContactDraft {
            name: name.get_untracked(),
            company: company.get_untracked(),
            notes: notes.get_untracked(),
            favourite: favourite.get_untracked(),
            numbers: current_rows
                .iter()
                .map(|r| DraftNumber {
                    label: r.label.get_untracked(),
                    input: r.input.get_untracked(),
                })
                .collect(),
        };
        let default_country = country.get_untracked();
        // The same checks the server makes, so most mistakes never leave the browser.
        if let Err(p) = draft.validate(Some(default_country), &RuleTable) {
            problems.set(p);
            error.set(Some(ApiError::ContactInvalid(ContactProblems::default())));
            return;
        }
        problems.set(ContactProblems::default());
        error.set(None);
        saving.set(true);
        let (id, navigate) = (id.clone(), navigate.clone());
        leptos::task::spawn_local(async move {
            let result = save_contact(id, version, draft, Some(default_country)).await;
            saving.set(false);
            match result {
                Ok(saved) => {
                    notices.announce(t(lang.get_untracked(), T::Saved));
                    navigate(&format!("/contacts/{}", saved.id), Default::default());
                }
                Err(ApiError::ContactInvalid(p)) => {
                    problems.set(p.clone());
                    error.set(Some(ApiError::ContactInvalid(p)));
                }
                Err(e) => {
                    redirect_if_signed_out(&e);
                    error.set(Some(e));
                }
            }
        });
    };

    let cancel_href = existing
        .as_ref()
        .map(|c| format!("/contacts/{}", c.id))
        .unwrap_or_else(|| "/contacts".into());
    let field_error =
        move |bad: bool, key: T| bad.then(|| view! { <p class="field-error">{tx(key)}</p> });
    // Never sent by the browser itself (`components::forms`).
    let hydrated = crate::components::forms::hydrated();

    view! {
        <form
            method="post"
            on:submit=submit
            novalidate=true
            class="space-y-4"
            data-testid="contact-form"
        >
            <div>
                <label for="contact-name" class="label">
                    {tx(T::Name)}
                </label>
                <input
                    id="contact-name"
                    class="input"
                    autocomplete="off"
                    required=true
                    aria-invalid=move || {
                        (problems.get().name_missing || problems.get().name_too_long).to_string()
                    }
                    prop:value=move || name.get()
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                {move || field_error(problems.get().name_missing, T::NameRequired)}
                {move || field_error(problems.get().name_too_long, T::FieldTooLong)}
            </div>
            <div>
                <label for="contact-company" class="label">
                    {tx(T::Company)}
                </label>
                <input
                    id="contact-company"
                    class="input"
                    autocomplete="off"
                    prop:value=move || company.get()
                    on:input=move |ev| company.set(event_target_value(&ev))
                />
                {move || field_error(problems.get().company_too_long, T::FieldTooLong)}
            </div>
            <fieldset>
                <legend class="label">{tx(T::Numbers)}</legend>
                {move || field_error(problems.get().no_numbers, T::NeedNumber)}
                {move || field_error(problems.get().too_many_numbers, T::TooManyNumbers)}
                <For each=move || rows.get() key=|r| r.key let:row>
                    {
                        let index = move || {
                            rows.with(|rs| rs.iter().position(|r| r.key == row.key).unwrap_or(0))
                        };
                        let verdict = move || {
                            let input = row.input.get();
                            if input.trim().is_empty() {
                                return None;
                            }
                            let v = check(&input, Some(country.get()), &RuleTable);
                            let l = lang.get();
                            Some(
                                match (v.reason, v.kind, v.country) {
                                    (None, Some(kind), Some(c)) => {
                                        (
                                            format!("{} · {}", kind_text(l, kind), country_name(l, c)),
                                            false,
                                        )
                                    }
                                    (Some(reason), _, c) => (refusal_text(l, reason, c), true),
                                    _ => (String::new(), false),
                                },
                            )
                        };
                        let duplicate = move || problems.get().duplicates.contains(&index());
                        let input_id = format!("contact-number-{}", row.key);
                        let label_id = format!("contact-label-{}", row.key);
                        view! {
                            <div class="mt-2 flex items-start gap-2" data-testid="number-row">
                                <label for=label_id.clone() class="sr-only">
                                    {tx(T::Label)}
                                </label>
                                <select
                                    id=label_id
                                    class="input w-28 shrink-0"
                                    on:change=move |ev| {
                                        row.label.set(NumberLabel::parse(&event_target_value(&ev)))
                                    }
                                >
                                    {NumberLabel::ALL
                                        .into_iter()
                                        .map(|l| {
                                            view! {
                                                <option
                                                    value=l.as_str()
                                                    selected=move || row.label.get() == l
                                                >
                                                    {tx(label_text(l))}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </select>
                                <div class="min-w-0 flex-1">
                                    <label for=input_id.clone() class="sr-only">
                                        {tx(T::PhoneNumber)}
                                    </label>
                                    <input
                                        id=input_id
                                        class="input"
                                        type="tel"
                                        inputmode="tel"
                                        autocomplete="off"
                                        aria-invalid=move || {
                                            verdict().is_some_and(|v| v.1).to_string()
                                        }
                                        prop:value=move || row.input.get()
                                        on:input=move |ev| row.input.set(event_target_value(&ev))
                                    />
                                    <p class=move || {
                                        if verdict().is_some_and(|v| v.1) {
                                            "field-error"
                                        } else {
                                            "mt-1 text-xs text-teal-700 dark:text-teal-300"
                                        }
                                    }>{move || verdict().map(|v| v.0)}</p>
                                    {move || field_error(duplicate(), T::DuplicateNumber)}
                                </div>
                                <button
                                    type="button"
                                    class="icon-btn"
                                    aria-label=tx(T::RemoveNumber)
                                    on:click=move |_| {
                                        rows.update(|rs| rs.retain(|r| r.key != row.key))
                                    }
                                >
                                    <Svg icon=Icon::Trash class="h-5 w-5" />
                                </button>
                            </div>
                        }
                    }
                </For>
                <button
                    type="button"
                    class="btn-secondary mt-2"
                    disabled=move || rows.with(|r| r.len() >= NUMBERS_MAX)
                    on:click=move |_| {
                        let row = new_row(NumberLabel::Mobile, String::new());
                        rows.update(|rs| rs.push(row));
                    }
                >
                    <Svg icon=Icon::Plus class="h-4 w-4" />
                    {tx(T::AddNumber)}
                </button>
            </fieldset>
            <div>
                <label for="contact-notes" class="label">
                    {tx(T::Notes)}
                </label>
                <textarea
                    id="contact-notes"
                    class="input min-h-24"
                    prop:value=move || notes.get()
                    on:input=move |ev| notes.set(event_target_value(&ev))
                ></textarea>
                {move || field_error(problems.get().notes_too_long, T::FieldTooLong)}
            </div>
            <label class="flex items-center gap-2">
                <input
                    type="checkbox"
                    class="h-5 w-5 accent-teal-700"
                    prop:checked=move || favourite.get()
                    on:change=move |ev| favourite.set(event_target_checked(&ev))
                />
                {tx(T::Favourite)}
            </label>
            <p role="alert" class="text-sm text-red-700 dark:text-red-400" data-testid="form-error">
                {move || error.get().map(|e| error_text(lang.get(), &e))}
            </p>
            <div class="flex gap-2">
                <button
                    type="submit"
                    class="btn-primary"
                    disabled=move || saving.get() || !hydrated.get()
                >
                    {move || if saving.get() { tr(T::Working) } else { tr(T::Save) }}
                </button>
                <a class="btn-secondary" href=cancel_href>
                    {tx(T::Cancel)}
                </a>
            </div>
        </form>
    }
}
