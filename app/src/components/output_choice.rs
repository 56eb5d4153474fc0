//! The call screen's speaker control: a choice of output device where the browser lets a page
//! choose one, otherwise a note that the device decides.

use leptos::prelude::*;

use super::icons::{Icon, Svg};
use super::pickers::DeviceOptions;
use crate::i18n::T;
use crate::phone::phone;
use crate::prefs::tx;

/// The speaker choice, where the browser lets a page choose; otherwise says who decides.
#[component]
pub(super) fn OutputChoice() -> impl IntoView {
    let phone = phone();
    view! {
        {move || {
            let outputs = phone.outputs.get();
            if outputs.selectable && !outputs.devices.is_empty() {
                view! {
                    <label class="flex flex-col items-center gap-1 text-sm">
                        <span class="flex h-14 w-14 items-center justify-center rounded-full bg-slate-700">
                            <Svg icon=Icon::Speaker />
                        </span>
                        <span class="sr-only">{tx(T::Speaker)}</span>
                        <select
                            class="w-full rounded bg-slate-800 text-xs"
                            data-testid="output-select"
                            on:change=move |ev| phone.choose_output(event_target_value(&ev))
                        >
                            <DeviceOptions devices=outputs.devices chosen=phone.output />
                        </select>
                    </label>
                }
                    .into_any()
            } else {
                view! {
                    <p
                        class="flex w-24 flex-col items-center gap-1 text-center text-xs text-slate-300"
                        data-testid="output-fixed"
                    >
                        <span class="flex h-14 w-14 items-center justify-center rounded-full bg-slate-800 text-slate-400">
                            <Svg icon=Icon::Speaker />
                        </span>
                        {tx(T::OutputFixed)}
                    </p>
                }
                    .into_any()
            }
        }}
    }
}
