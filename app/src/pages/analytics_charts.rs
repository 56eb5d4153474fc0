//! The analytics page's charts: SVG drawn in the view (so on the server first, then hydrated),
//! coloured by theme classes, each with the same figures as a table behind it
//! (docs/analytics.md, "The page").

use leptos::prelude::*;

use super::analytics_text::AnalyticsText;
use crate::domain::analytics::Tally;
use crate::domain::calls::format_duration;
use crate::i18n::Text;
use crate::prefs::{prefs, tx};

/// The colour of answered calls (or of the only series), and of the rest.
const FILL_MAIN: &str = "fill-sky-600 dark:fill-sky-400";
const FILL_REST: &str = "fill-slate-300 dark:fill-slate-600";

/// The smallest 1, 2 or 5 × 10ⁿ at least `max` (at least 1): the top of a chart's scale.
pub fn scale_top(max: u64) -> u64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if step * m >= max {
                return step * m;
            }
        }
        step *= 10;
    }
}

/// `0.667` as `66.7 %`.
pub fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

/// One column per slot, its series stacked (the first at the bottom), stretched to the width;
/// the scale's top and 0 on the left, `labels` (slot, text) under their slots.
#[component]
pub fn Columns(
    title: AnalyticsText,
    /// Each series' values (one per slot) and its fill.
    series: Vec<(Vec<u64>, &'static str)>,
    labels: Vec<(usize, String)>,
    testid: &'static str,
) -> AnyView {
    let lang = prefs().lang;
    let slots = series.first().map_or(0, |(v, _)| v.len()).max(1);
    let stacked: Vec<u64> = (0..slots)
        .map(|i| {
            series
                .iter()
                .map(|(v, _)| v.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let top = scale_top(stacked.iter().copied().max().unwrap_or(0));
    let mut rects = Vec::new();
    let mut below = vec![0u64; slots];
    for (values, fill) in &series {
        for (i, &v) in values.iter().enumerate().filter(|(_, v)| **v > 0) {
            let (y, h) = (
                100.0 * (top - below[i] - v) as f64 / top as f64,
                100.0 * v as f64 / top as f64,
            );
            below[i] += v;
            rects.push(view! {
                <rect
                    x=format!("{}.1", i * 10)
                    y=format!("{y:.2}")
                    width="9.8"
                    height=format!("{h:.2}")
                    class=*fill
                />
            });
        }
    }
    // Many slots: the first and last labels keep inside the chart.
    let crowded = slots > 12;
    let labels = labels
        .into_iter()
        .map(|(i, text)| {
            let style = if crowded && i == 0 {
                "left:0".to_string()
            } else if crowded && i + 1 == slots {
                "right:0".to_string()
            } else {
                format!(
                    "left:{:.2}%;transform:translateX(-50%)",
                    (i as f64 + 0.5) * 100.0 / slots as f64
                )
            };
            view! {
                <span class="absolute whitespace-nowrap" style=style>
                    {text}
                </span>
            }
        })
        .collect_view();
    view! {
        <div class="flex gap-2 text-xs text-slate-600 dark:text-slate-400" data-testid=testid>
            <div class="flex h-40 flex-col justify-between text-right tabular-nums">
                <span data-testid="chart-top">{top}</span>
                <span>"0"</span>
            </div>
            <div class="min-w-0 flex-1">
                <svg
                    viewBox=format!("0 0 {} 100", slots * 10)
                    preserveAspectRatio="none"
                    class="h-40 w-full border-b border-slate-400 dark:border-slate-500"
                    role="img"
                    aria-label=move || title.text(lang.get())
                >
                    <line
                        x1="0"
                        x2=slots * 10
                        y1="50"
                        y2="50"
                        class="stroke-slate-200 dark:stroke-slate-700"
                        vector-effect="non-scaling-stroke"
                    />
                    {rects}
                </svg>
                <div class="relative h-5 pt-1">{labels}</div>
            </div>
        </div>
    }
    .into_any()
}

/// A bar per row: its label and figure over it, the answered part of its calls darker.
#[component]
pub fn Bars(
    title: AnalyticsText,
    /// Label, calls, answered, and the figure shown.
    rows: Vec<(String, u64, u64, String)>,
    testid: &'static str,
) -> AnyView {
    let lang = prefs().lang;
    let top = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1) as f64;
    let rows = rows
        .into_iter()
        .map(|(label, calls, answered, shown)| {
            let (all, part) = (
                100.0 * calls as f64 / top,
                100.0 * answered.min(calls) as f64 / top,
            );
            view! {
                <li>
                    <div class="flex justify-between gap-2 text-sm">
                        <span class="break-all">{label}</span>
                        <span class="tabular-nums">{shown}</span>
                    </div>
                    <svg
                        viewBox="0 0 100 4"
                        preserveAspectRatio="none"
                        class="h-2 w-full rounded bg-slate-100 dark:bg-slate-800"
                        aria-hidden="true"
                    >
                        <rect width=format!("{all:.2}") height="4" class=FILL_REST />
                        <rect width=format!("{part:.2}") height="4" class=FILL_MAIN />
                    </svg>
                </li>
            }
        })
        .collect_view();
    view! {
        <ul class="space-y-2" aria-label=move || title.text(lang.get()) data-testid=testid>
            {rows}
        </ul>
    }
    .into_any()
}

/// What the legend of a chart of answered and other calls says.
#[component]
pub fn AnsweredLegend() -> AnyView {
    let key = |fill: &'static str, text: AnalyticsText| {
        view! {
            <span class="flex items-center gap-1">
                <svg viewBox="0 0 4 4" class="h-3 w-3" aria-hidden="true">
                    <rect width="4" height="4" class=fill />
                </svg>
                {tx(text)}
            </span>
        }
    };
    view! {
        <p class="mt-2 flex gap-4 text-xs">
            {key(FILL_MAIN, AnalyticsText::Answered)} {key(FILL_REST, AnalyticsText::NotAnswered)}
        </p>
    }
    .into_any()
}

/// The bottom series of a chart of answered calls, and the rest over it.
pub fn answered_series(tallies: &[Tally]) -> Vec<(Vec<u64>, &'static str)> {
    vec![
        (tallies.iter().map(|t| t.answered).collect(), FILL_MAIN),
        (
            tallies.iter().map(|t| t.calls - t.answered).collect(),
            FILL_REST,
        ),
    ]
}

/// A single series.
pub fn one_series(values: Vec<u64>) -> Vec<(Vec<u64>, &'static str)> {
    vec![(values, FILL_MAIN)]
}

/// The figures behind a chart, one row per name: calls, answered, answer rate, talk time.
#[component]
pub fn TallyTable(
    head: AnalyticsText,
    rows: Vec<(String, Tally)>,
    testid: &'static str,
) -> AnyView {
    let rows = rows
        .into_iter()
        .map(|(name, t)| {
            view! {
                <tr class="border-t border-slate-200 dark:border-slate-700">
                    <th scope="row" class="break-all py-1 pr-3 text-left font-normal">
                        {name}
                    </th>
                    <td class="py-1 pr-3 text-right tabular-nums">{t.calls}</td>
                    <td class="py-1 pr-3 text-right tabular-nums">{t.answered}</td>
                    <td class="py-1 pr-3 text-right tabular-nums">
                        {t.answer_rate().map(percent)}
                    </td>
                    <td class="py-1 text-right tabular-nums">{format_duration(t.talk_ms)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable>
            <table class="mt-2 w-full text-sm" data-testid=testid>
                <thead>
                    <tr>
                        <th scope="col" class="pr-3 text-left">
                            {tx(head)}
                        </th>
                        <th scope="col" class="pr-3 text-right">
                            {tx(AnalyticsText::Calls)}
                        </th>
                        <th scope="col" class="pr-3 text-right">
                            {tx(AnalyticsText::Answered)}
                        </th>
                        <th scope="col" class="pr-3 text-right">
                            {tx(AnalyticsText::AnswerRate)}
                        </th>
                        <th scope="col" class="text-right">
                            {tx(AnalyticsText::TalkTime)}
                        </th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </DataTable>
    }
    .into_any()
}

/// The figures behind a chart of calls counted by one thing (an outcome, an hour, a range).
#[component]
pub fn CountTable(head: AnalyticsText, rows: Vec<(String, u64)>, testid: &'static str) -> AnyView {
    let rows = rows
        .into_iter()
        .map(|(name, n)| {
            view! {
                <tr class="border-t border-slate-200 dark:border-slate-700">
                    <th scope="row" class="py-1 pr-3 text-left font-normal">
                        {name}
                    </th>
                    <td class="py-1 text-right tabular-nums">{n}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <DataTable>
            <table class="mt-2 w-full text-sm" data-testid=testid>
                <thead>
                    <tr>
                        <th scope="col" class="pr-3 text-left">
                            {tx(head)}
                        </th>
                        <th scope="col" class="text-right">
                            {tx(AnalyticsText::Calls)}
                        </th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </DataTable>
    }
    .into_any()
}

/// A chart's table, folded under it.
#[component]
fn DataTable(children: Children) -> AnyView {
    view! {
        <details class="mt-3">
            <summary class="link cursor-pointer text-sm">{tx(AnalyticsText::DataTable)}</summary>
            <div class="overflow-x-auto">{children()}</div>
        </details>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scale_tops_at_one_two_or_five() {
        let tops: Vec<u64> = [0, 1, 2, 3, 6, 10, 11, 49, 51, 200, 201]
            .into_iter()
            .map(scale_top)
            .collect();
        assert_eq!(tops, [1, 1, 2, 5, 10, 10, 20, 50, 100, 200, 500]);
        assert_eq!(percent(2.0 / 3.0), "66.7 %");
    }
}
