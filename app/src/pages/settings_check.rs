//! The pre-call check in Settings (docs/quality.md, "Pre-call check"): the speaker's test
//! sound, and the network test to this server's gateway with its verdict and figures (the
//! microphone's level is the audio card's test, just above). The work is the phone's
//! (`Phone::network_test`, `Phone::play_test_sound`); the verdict is
//! `domain::precall::NetworkCheck::verdict`.

use leptos::prelude::*;

use super::settings_check_text::CheckText;
use crate::api::ApiError;
use crate::components::messages::{error_text, redirect_if_signed_out};
use crate::domain::precall::{NetworkCheck, Verdict, TEST_SECONDS};
use crate::domain::quality::bars;
use crate::i18n::{tf, Text};
use crate::prefs::{prefs, tx};

/// Where the network test is.
#[derive(Clone, Debug, PartialEq)]
enum Stage {
    Idle,
    /// Seconds measured so far.
    Running(u32),
    Done(NetworkCheck),
    Failed(ApiError),
}

fn verdict_text(verdict: Verdict) -> CheckText {
    match verdict {
        Verdict::Good => CheckText::Good,
        Verdict::Fair => CheckText::Fair,
        Verdict::Poor => CheckText::Poor,
        Verdict::NoAudio => CheckText::NoAudio,
    }
}

#[component]
pub fn PreCallCheck() -> impl IntoView {
    let phone = crate::phone::phone();
    let lang = prefs().lang;
    let stage = RwSignal::new(Stage::Idle);
    let sound = RwSignal::new(None::<CheckText>);
    let hydrated = crate::components::forms::hydrated();
    let running = move || matches!(stage.get(), Stage::Running(_));
    let test = move |_| {
        stage.set(Stage::Running(0));
        leptos::task::spawn_local(async move {
            let progress = move |s| stage.set(Stage::Running(s));
            let outcome = phone.network_test(progress).await;
            stage.set(match outcome {
                Ok(check) => Stage::Done(check),
                Err(e) => {
                    redirect_if_signed_out(&e);
                    Stage::Failed(e)
                }
            });
        });
    };
    let status = move || {
        let lang = lang.get();
        match stage.get() {
            Stage::Idle => String::new(),
            Stage::Running(s) => tf(
                lang,
                CheckText::Testing,
                &[
                    ("seconds", &s.to_string()),
                    ("total", &TEST_SECONDS.to_string()),
                ],
            ),
            Stage::Done(check) => verdict_text(check.verdict()).text(lang).to_string(),
            Stage::Failed(ApiError::CallingUnavailable) => CheckText::NotHere.text(lang).into(),
            Stage::Failed(e) => error_text(lang, &e),
        }
    };
    let verdict = move || match stage.get() {
        Stage::Done(check) => Some(check.verdict()),
        _ => None,
    };
    view! {
        <section class="card" aria-labelledby="settings-check" data-testid="precall-check">
            <h2 id="settings-check" class="card-title">
                {tx(CheckText::Title)}
            </h2>
            <p class="text-sm text-slate-600 dark:text-slate-400">{tx(CheckText::Hint)}</p>
            <div class="mt-3 flex flex-wrap items-center gap-3">
                <button
                    type="button"
                    class="btn-secondary"
                    data-testid="precall-sound"
                    disabled=move || !hydrated.get()
                    on:click=move |_| {
                        let played = phone.play_test_sound();
                        sound
                            .set(
                                Some(
                                    if played {
                                        CheckText::SoundPlayed
                                    } else {
                                        CheckText::SoundFailed
                                    },
                                ),
                            );
                    }
                >
                    {tx(CheckText::PlaySound)}
                </button>
                <p class="text-sm" role="status" data-testid="precall-sound-status">
                    {move || sound.get().map(tx)}
                </p>
            </div>
            <div class="mt-3 flex flex-wrap items-center gap-3">
                <button
                    type="button"
                    class="btn-primary"
                    data-testid="precall-network"
                    disabled=move || !hydrated.get() || running()
                    on:click=test
                >
                    {tx(CheckText::TestConnection)}
                </button>
                <p
                    class="text-sm font-medium"
                    role="status"
                    data-testid="precall-verdict"
                    data-verdict=move || {
                        verdict()
                            .map(|v| {
                                match v {
                                    Verdict::Good => "good",
                                    Verdict::Fair => "fair",
                                    Verdict::Poor => "poor",
                                    Verdict::NoAudio => "no_audio",
                                }
                            })
                    }
                >
                    {status}
                </p>
            </div>
            {move || match stage.get() {
                Stage::Done(check) if check.verdict() != Verdict::NoAudio => {
                    Some(view! { <Figures check /> })
                }
                _ => None,
            }}
        </section>
    }
}

/// What the test measured: the worst second's round trip, jitter and loss, and the average
/// MOS with its bars.
#[component]
fn Figures(check: NetworkCheck) -> impl IntoView {
    let s = check.summary;
    let ms = |v: f64| format!("{v:.0} ms");
    let dash = || "–".to_string();
    let mos = s.average_mos();
    let bars_shown = mos.map(bars).unwrap_or(0);
    view! {
        <dl
            class="mt-3 grid grid-cols-2 gap-x-4 gap-y-1 text-sm sm:grid-cols-4"
            data-testid="precall-figures"
        >
            <div>
                <dt class="text-slate-600 dark:text-slate-400">{tx(CheckText::RoundTrip)}</dt>
                <dd class="tabular-nums" data-testid="precall-rtt">
                    {s.max_rtt_ms.map(ms).unwrap_or_else(dash)}
                </dd>
            </div>
            <div>
                <dt class="text-slate-600 dark:text-slate-400">{tx(CheckText::Jitter)}</dt>
                <dd class="tabular-nums" data-testid="precall-jitter">
                    {ms(s.max_jitter_ms)}
                </dd>
            </div>
            <div>
                <dt class="text-slate-600 dark:text-slate-400">{tx(CheckText::Lost)}</dt>
                <dd class="tabular-nums" data-testid="precall-loss">
                    {format!("{:.1} %", s.max_loss_percent)}
                </dd>
            </div>
            <div>
                <dt class="text-slate-600 dark:text-slate-400">{tx(CheckText::Quality)}</dt>
                <dd class="tabular-nums" data-testid="precall-mos" data-bars=bars_shown>
                    {mos.map(|m| format!("{m:.2}")).unwrap_or_else(dash)}
                </dd>
            </div>
        </dl>
    }
}
