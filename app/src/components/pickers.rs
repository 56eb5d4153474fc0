//! The country picker, shared by the dial pad and Settings: one default country everywhere.

use leptos::prelude::*;

use crate::domain::numbers::Country;
use crate::prefs::{country_name, prefs};

/// A `<select>` of the callable countries bound to the default country preference.
#[component]
pub fn CountrySelect(id: &'static str, #[prop(into)] class: String) -> impl IntoView {
    let prefs = prefs();
    view! {
        <select
            id=id
            class=class
            on:change=move |ev| {
                if let Some(c) = Country::from_iso(&event_target_value(&ev)) {
                    prefs.set_country(c);
                }
            }
        >
            {Country::ALL
                .into_iter()
                .map(|c| {
                    view! {
                        <option value=c.iso() selected=move || prefs.country.get() == c>
                            {move || format!("{} {} +{}", c.flag(), country_name(prefs.lang.get(), c), c.calling_code())}
                        </option>
                    }
                })
                .collect_view()}
        </select>
    }
}
