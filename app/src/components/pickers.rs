//! The country picker, shared by the dial pad and Settings: one default country everywhere.

use leptos::prelude::*;

use crate::domain::numbers::Country;
use crate::i18n::T;
use crate::prefs::{country_name, prefs, tx, NotRemembered};

/// A `<select>` of the callable countries bound to the default country preference;
/// `on_saved` hears whether the browser remembered the choice.
#[component]
pub fn CountrySelect(
    id: &'static str,
    #[prop(into)] class: String,
    #[prop(optional)] on_saved: Option<Callback<Result<(), NotRemembered>>>,
) -> impl IntoView {
    let prefs = prefs();
    view! {
        <select
            id=id
            class=class
            on:change=move |ev| {
                if let Some(c) = Country::from_iso(&event_target_value(&ev)) {
                    let saved = prefs.set_country(c);
                    if let Some(on_saved) = on_saved {
                        on_saved.run(saved);
                    }
                }
            }
        >
            {Country::ALL
                .into_iter()
                .map(|c| {
                    view! {
                        <option value=c.iso() selected=move || prefs.country.get() == c>
                            {move || {
                                format!(
                                    "{} {} +{}",
                                    c.flag(),
                                    country_name(prefs.lang.get(), c),
                                    c.calling_code(),
                                )
                            }}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}

/// The options of a device `<select>`: the browser's default first, then each device by its
/// label; `chosen` is the device in use (empty for the default).
#[component]
pub fn DeviceOptions(devices: Vec<(String, String)>, chosen: RwSignal<String>) -> impl IntoView {
    view! {
        <option value="" selected=move || chosen.get().is_empty()>
            {tx(T::DeviceDefault)}
        </option>
        {devices
            .into_iter()
            .map(|(id, label)| {
                let this = id.clone();
                view! {
                    <option value=id selected=move || chosen.get() == this>
                        {label}
                    </option>
                }
            })
            .collect_view()}
    }
}
