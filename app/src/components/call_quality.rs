//! The call's quality on the call screen: signal bars from the latest MOS and the warnings in
//! plain words (docs/quality.md), from what this tab's audio measures (`phone.quality`).

use leptos::prelude::*;

use crate::domain::quality::Warning;
use crate::i18n::T;
use crate::phone::Phone;
use crate::prefs::{use_tr, use_trf};

/// The warning in plain words (the call screen, and the call's page afterwards).
pub fn warning_text(warning: Warning) -> T {
    match warning {
        Warning::HighRtt => T::WarnHighRtt,
        Warning::HighJitter => T::WarnHighJitter,
        Warning::HighPacketLoss => T::WarnHighPacketLoss,
        Warning::LowMos => T::WarnLowMos,
        Warning::SilentMicrophone => T::WarnSilentMicrophone,
        Warning::MediaStalled => T::WarnMediaStalled,
    }
}

#[component]
pub fn CallQualityNote(phone: Phone) -> impl IntoView {
    let (tr, trf) = (use_tr(), use_trf());
    let quality = phone.quality;
    let bars = Memo::new(move |_| quality.with(|q| q.bars));
    let warnings = Memo::new(move |_| quality.with(|q| q.warnings.clone()));
    view! {
        {move || {
            bars.get()
                .map(|n| {
                    let label = trf(T::QualityBars, &[("bars", &n.to_string())]);
                    let title = label.clone();
                    view! {
                        <p
                            class="mt-1 flex items-center justify-center"
                            data-testid="call-quality"
                            data-bars=n.to_string()
                            title=title
                        >
                            <span aria-hidden="true" class="flex h-4 items-end gap-0.5">
                                {(1..=5u8)
                                    .map(|i| {
                                        let lit = if i <= n {
                                            "bg-green-400"
                                        } else {
                                            "bg-slate-600"
                                        };
                                        view! {
                                            <span
                                                class=format!("w-1 rounded-sm {lit}")
                                                style=format!("height: {}px", 3 + 3 * i)
                                            ></span>
                                        }
                                    })
                                    .collect_view()}
                            </span>
                            <span class="sr-only">{label}</span>
                        </p>
                    }
                })
        }}
        <ul
            class="mt-2 space-y-1 text-amber-300"
            role="status"
            aria-live="polite"
            data-testid="quality-warnings"
        >
            {move || {
                warnings
                    .get()
                    .into_iter()
                    .map(|w| view! { <li data-warning=w.as_str()>{tr(warning_text(w))}</li> })
                    .collect_view()
            }}
        </ul>
    }
    .into_any()
}
