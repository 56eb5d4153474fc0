//! The call analytics page (`/admin/analytics`, administrators): a period's calls from the daily
//! rollups (`crate::domain::analytics`), filtered by agent and country: headline figures, calls
//! per day, how they ended, by country, number type and agent, the busiest hours, the post-dial
//! delay and MOS distributions, each chart with its table; and the same as CSV. The period and
//! filters are the page's query (`?from=&to=&agent=&country=`), so a view can be bookmarked and
//! works before the page hydrates (a plain GET form). Its strings and charts are in the admin
//! area's lazy module (`analytics_text`, `analytics_charts`).

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use super::analytics_charts::{
    answered_series, one_series, percent, AnsweredLegend, Bars, Columns, CountTable, TallyTable,
};
use super::analytics_text::AnalyticsText;
use crate::api::admin::{analytics_csv, analytics_report, CallAnalytics};
use crate::api::{api_resource, ApiResource};
use crate::components::messages::LoadBoundary;
use crate::components::messages::{end_reason_text, error_text, redirect_if_signed_out};
use crate::domain::analytics::{period_days, Filter, Tally, MOS_BOUNDS_MILLI, PDD_BOUNDS_MS};
use crate::domain::calls::format_duration;
use crate::domain::numbers::{Country, NumberKind};
use crate::i18n::{Lang, Text, T};
use crate::prefs::{country_name, prefs, tx};

/// The page's query: period (`YYYY-MM-DD`, empty for the last 30 days) and filters.
#[derive(Clone, Debug, Default, PartialEq)]
struct Query {
    from: String,
    to: String,
    agent: String,
    country: String,
}

impl Query {
    fn filter(&self) -> Filter {
        let some = |s: &str| (!s.is_empty()).then(|| s.to_string());
        Filter {
            agent: some(&self.agent),
            country: some(&self.country),
        }
    }

    /// `/admin/analytics?…`, the empty parts left out.
    fn href(&self) -> String {
        let parts: Vec<String> = [
            ("from", &self.from),
            ("to", &self.to),
            ("agent", &self.agent),
            ("country", &self.country),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
        if parts.is_empty() {
            "/admin/analytics".into()
        } else {
            format!("/admin/analytics?{}", parts.join("&"))
        }
    }
}

/// A query value, percent-encoded but for the characters that never need it.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The name of a rollup's country (`PA`, `SG`, `other`, `none`).
fn country_text(lang: Lang, code: &str) -> String {
    match code {
        "PA" => country_name(lang, Country::PA).into(),
        "SG" => country_name(lang, Country::SG).into(),
        "other" => AnalyticsText::OtherCountries.text(lang).into(),
        "none" => AnalyticsText::NoNumber.text(lang).into(),
        code => code.into(),
    }
}

/// The name of a rollup's number type (`NumberKind::as_str`, or `unknown`).
fn number_type_text(lang: Lang, name: &str) -> String {
    let kind = NumberKind::ALL.into_iter().find(|k| k.as_str() == name);
    match kind {
        Some(NumberKind::Mobile) => crate::i18n::t(lang, T::KindMobile),
        Some(NumberKind::FixedLine) => crate::i18n::t(lang, T::KindFixedLine),
        Some(NumberKind::TollFree) => AnalyticsText::TollFree.text(lang),
        Some(NumberKind::PremiumRate) => AnalyticsText::PremiumRate.text(lang),
        Some(NumberKind::SharedCost) => AnalyticsText::SharedCost.text(lang),
        Some(NumberKind::Uan) => AnalyticsText::Uan.text(lang),
        Some(NumberKind::Voip) => AnalyticsText::Voip.text(lang),
        None => AnalyticsText::Unknown.text(lang),
    }
    .into()
}

/// The labels of buckets bounded by `bounds`: `< 1`, `1–2`, … `≥ 8`, each with `unit`.
fn bucket_labels(bounds: &[u64], scale: f64, unit: &str) -> Vec<String> {
    let show = |v: u64| format!("{}", v as f64 / scale);
    let mut labels = vec![format!("< {}{unit}", show(bounds[0]))];
    for pair in bounds.windows(2) {
        labels.push(format!("{}–{}{unit}", show(pair[0]), show(pair[1])));
    }
    labels.push(format!("≥ {}{unit}", show(bounds[bounds.len() - 1])));
    labels
}

#[component]
pub fn Analytics() -> impl IntoView {
    let query = use_query_map();
    let asked = Memo::new(move |_| {
        query.with(|q| {
            let get = |k: &str| q.get(k).unwrap_or_default().trim().to_string();
            Query {
                from: get("from"),
                to: get("to"),
                agent: get("agent"),
                country: get("country"),
            }
        })
    });
    let data: ApiResource<CallAnalytics> = api_resource(
        move || asked.get(),
        |q: Query| analytics_report(q.from.clone(), q.to.clone(), q.filter()),
    );
    view! {
        <leptos_meta::Title text=move || {
            format!("{} · Softphone", AnalyticsText::Title.text(prefs().lang.get()))
        } />
        <h1 class="mb-1 text-2xl font-semibold tracking-tight">{tx(AnalyticsText::Title)}</h1>
        <p class="mb-4 text-sm">
            <a class="link" href="/admin">
                {tx(T::AdminTitle)}
            </a>
        </p>
        <LoadBoundary
            keep_while_reloading=true
            retry=Callback::new(move |_| data.refetch())
            page=Box::new(move || {
                data.get()
                    .map(|loaded| {
                        loaded.map(|a| view! { <Dashboard analytics=a /> }.into_any())
                    })
            })
        />
    }
}

/// The filters, the figures and the charts of what was loaded.
#[component]
fn Dashboard(analytics: CallAnalytics) -> AnyView {
    let r = &analytics.report;
    let days = period_days(&analytics.from, &analytics.to).unwrap_or_default();
    let per_day: Vec<Tally> = days
        .iter()
        .map(|d| {
            r.days
                .iter()
                .find(|(day, _)| day == d)
                .map(|(_, t)| t.clone())
                .unwrap_or_default()
        })
        .collect();
    let figures = view! { <Figures analytics=analytics.clone() /> };
    let form = view! { <Filters analytics=analytics.clone() /> };
    if r.total.calls == 0 {
        return view! {
            {form}
            <p class="card text-sm" data-testid="analytics-no-calls">
                {tx(AnalyticsText::NoCalls)}
            </p>
        }
        .into_any();
    }
    let lang = prefs().lang.get_untracked();
    let day_labels = {
        let last = days.len().saturating_sub(1);
        let mut l = vec![(0, days[0].clone())];
        if last > 0 {
            l.push((last, days[last].clone()));
        }
        l
    };
    let day_rows: Vec<(String, Tally)> = r.days.clone();
    let name_of = |sub: &str| {
        analytics
            .agents
            .iter()
            .find(|a| a.sub == sub)
            .map_or(sub.to_string(), |a| a.name().to_string())
    };
    // Each breakdown's rows named for the page: for its bars, and for its table.
    let named = |rows: &[(String, Tally)], name: &dyn Fn(&str) -> String| {
        rows.iter()
            .map(|(k, t)| (name(k), t.clone()))
            .collect::<Vec<_>>()
    };
    let bars = |rows: &[(String, Tally)]| {
        rows.iter()
            .map(|(k, t)| (k.clone(), t.calls, t.answered, t.calls.to_string()))
            .collect::<Vec<_>>()
    };
    let countries = named(&r.countries, &|c| country_text(lang, c));
    let number_types = named(&r.number_types, &|n| number_type_text(lang, n));
    let agents = named(&r.agents, &name_of);
    let (country_bars, type_bars, agent_bars) =
        (bars(&countries), bars(&number_types), bars(&agents));
    let outcomes: Vec<(String, u64)> = r
        .outcomes
        .iter()
        .map(|(e, n)| (end_reason_text(lang, *e).to_string(), *n))
        .collect();
    let hours: Vec<(String, u64)> = r
        .hours
        .iter()
        .enumerate()
        .map(|(h, n)| (format!("{h:02}"), *n))
        .collect();
    let delays: Vec<(String, u64)> = bucket_labels(&PDD_BOUNDS_MS, 1000.0, " s")
        .into_iter()
        .zip(r.post_dial_delay.buckets)
        .collect();
    let mos: Vec<(String, u64)> = bucket_labels(&MOS_BOUNDS_MILLI, 1000.0, "")
        .into_iter()
        .zip(r.mos.buckets)
        .collect();
    let every = |rows: &[(String, u64)]| {
        rows.iter()
            .enumerate()
            .map(|(i, (l, _))| (i, l.clone()))
            .collect::<Vec<_>>()
    };
    let counts = |rows: &[(String, u64)]| rows.iter().map(|(_, n)| *n).collect::<Vec<_>>();
    let outcome_bars: Vec<_> = outcomes
        .iter()
        .map(|(l, n)| (l.clone(), *n, *n, n.to_string()))
        .collect();
    let (hour_series, delay_series, mos_series) = (
        one_series(counts(&hours)),
        one_series(counts(&delays)),
        one_series(counts(&mos)),
    );
    let (delay_labels, mos_labels) = (every(&delays), every(&mos));
    let hour_labels: Vec<_> = [0, 6, 12, 18, 23]
        .into_iter()
        .map(|h| (h, format!("{h:02}")))
        .collect();
    let day_series = answered_series(&per_day);
    view! {
        {form}
        {figures}
        <Chart title=AnalyticsText::PerDay>
            <Columns
                title=AnalyticsText::PerDay
                series=day_series
                labels=day_labels
                testid="chart-days"
            />
            <AnsweredLegend />
            <TallyTable head=AnalyticsText::Day rows=day_rows testid="table-days" />
        </Chart>
        <Chart title=AnalyticsText::Outcomes>
            <Bars title=AnalyticsText::Outcomes rows=outcome_bars testid="chart-outcomes" />
            <CountTable head=AnalyticsText::Outcome rows=outcomes.clone() testid="table-outcomes" />
        </Chart>
        <Chart title=AnalyticsText::ByCountry>
            <Bars title=AnalyticsText::ByCountry rows=country_bars testid="chart-countries" />
            <AnsweredLegend />
            <TallyTable head=AnalyticsText::Country rows=countries testid="table-countries" />
        </Chart>
        <Chart title=AnalyticsText::ByNumberType>
            <Bars title=AnalyticsText::ByNumberType rows=type_bars testid="chart-number-types" />
            <AnsweredLegend />
            <TallyTable
                head=AnalyticsText::NumberType
                rows=number_types
                testid="table-number-types"
            />
        </Chart>
        <Chart title=AnalyticsText::PerAgent>
            <Bars title=AnalyticsText::PerAgent rows=agent_bars testid="chart-agents" />
            <AnsweredLegend />
            <TallyTable head=AnalyticsText::Agent rows=agents testid="table-agents" />
        </Chart>
        <Chart title=AnalyticsText::BusiestHours>
            <Columns
                title=AnalyticsText::BusiestHours
                series=hour_series
                labels=hour_labels
                testid="chart-hours"
            />
            <CountTable head=AnalyticsText::Hour rows=hours.clone() testid="table-hours" />
        </Chart>
        <Chart title=AnalyticsText::DelayTitle>
            <Columns
                title=AnalyticsText::DelayTitle
                series=delay_series
                labels=delay_labels
                testid="chart-delay"
            />
            <CountTable head=AnalyticsText::Range rows=delays.clone() testid="table-delay" />
        </Chart>
        <Chart title=AnalyticsText::MosTitle>
            <Columns
                title=AnalyticsText::MosTitle
                series=mos_series
                labels=mos_labels
                testid="chart-mos"
            />
            <CountTable head=AnalyticsText::Range rows=mos.clone() testid="table-mos" />
        </Chart>
    }
    .into_any()
}

/// A chart's card: its heading, then the chart and its table.
#[component]
fn Chart(title: AnalyticsText, children: Children) -> AnyView {
    view! {
        <section class="card">
            <h2 class="card-title">{tx(title)}</h2>
            {children()}
        </section>
    }
    .into_any()
}

/// The period's headline figures.
#[component]
fn Figures(analytics: CallAnalytics) -> AnyView {
    let r = analytics.report;
    let figure = |label: AnalyticsText, value: String, testid: &'static str| {
        view! {
            <div class="rounded-lg bg-slate-50 p-3 dark:bg-slate-900">
                <dt class="text-xs text-slate-600 dark:text-slate-400">{tx(label)}</dt>
                <dd class="text-xl font-semibold tabular-nums" data-testid=testid>
                    {value}
                </dd>
            </div>
        }
    };
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "–".into());
    view! {
        <dl class="mb-4 grid grid-cols-2 gap-3 sm:grid-cols-4">
            {figure(AnalyticsText::Calls, r.total.calls.to_string(), "figure-calls")}
            {figure(AnalyticsText::Answered, r.total.answered.to_string(), "figure-answered")}
            {figure(
                AnalyticsText::AnswerRate,
                or_dash(r.total.answer_rate().map(percent)),
                "figure-answer-rate",
            )}
            {figure(AnalyticsText::TalkTime, format_duration(r.total.talk_ms), "figure-talk-time")}
            {figure(
                AnalyticsText::AverageCall,
                or_dash(r.total.average_talk_ms().map(format_duration)),
                "figure-average-call",
            )}
            {figure(
                AnalyticsText::AverageDelay,
                or_dash(
                    r.post_dial_delay.average().map(|ms| format!("{:.1} s", ms as f64 / 1000.0)),
                ),
                "figure-average-delay",
            )}
            {figure(
                AnalyticsText::AverageMos,
                or_dash(r.mos.average().map(|m| format!("{:.2}", m as f64 / 1000.0))),
                "figure-average-mos",
            )} {figure(AnalyticsText::Warned, r.warned.to_string(), "figure-warned")}
        </dl>
    }
    .into_any()
}

/// The period and filters (a GET form: it works before hydration), and the CSV export of what
/// is shown.
#[component]
fn Filters(analytics: CallAnalytics) -> AnyView {
    let lang = prefs().lang;
    let asked = RwSignal::new(Query {
        from: analytics.from.clone(),
        to: analytics.to.clone(),
        agent: analytics.filter.agent.clone().unwrap_or_default(),
        country: analytics.filter.country.clone().unwrap_or_default(),
    });
    let period_error = RwSignal::new(false);
    let status = RwSignal::new(String::new());
    let busy = RwSignal::new(false);
    let navigate = use_navigate();
    let shown = (
        analytics.from.clone(),
        analytics.to.clone(),
        analytics.filter.clone(),
    );
    let download = move |_| {
        let (from, to, filter) = shown.clone();
        busy.set(true);
        status.set(String::new());
        leptos::task::spawn_local(async move {
            match analytics_csv(from.clone(), to.clone(), filter).await {
                Ok(text) => {
                    crate::browser::download(&format!("calls-{from}-{to}.csv"), "text/csv", &text)
                }
                Err(e) => {
                    redirect_if_signed_out(&e);
                    status.set(error_text(lang.get_untracked(), &e));
                }
            }
            busy.set(false);
        });
    };
    let field = |update: fn(&mut Query, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            asked.update(|q| update(q, value));
        }
    };
    let agents = analytics
        .agents
        .iter()
        .map(|a| {
            let selected = analytics.filter.agent.as_deref() == Some(a.sub.as_str());
            view! {
                <option value=a.sub.clone() selected=selected>
                    {a.name().to_string()}
                </option>
            }
        })
        .collect_view();
    let countries = analytics
        .countries
        .iter()
        .map(|c| {
            let selected = analytics.filter.country.as_deref() == Some(c.as_str());
            let code = c.clone();
            view! {
                <option value=c.clone() selected=selected>
                    {move || country_text(lang.get(), &code)}
                </option>
            }
        })
        .collect_view();
    let hydrated = crate::components::forms::hydrated();
    view! {
        <form
            method="get"
            action="/admin/analytics"
            class="card"
            aria-label=move || AnalyticsText::Filters.text(lang.get())
            data-testid="analytics-filters"
            on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                let q = asked.get_untracked();
                let bad = !q.from.is_empty() && !q.to.is_empty()
                    && period_days(&q.from, &q.to).is_none();
                period_error.set(bad);
                if !bad {
                    navigate(&q.href(), Default::default());
                }
            }
        >
            <div class="grid grid-cols-2 gap-3 sm:grid-cols-4">
                <div>
                    <label for="analytics-from" class="label">
                        {tx(AnalyticsText::From)}
                    </label>
                    <input
                        id="analytics-from"
                        name="from"
                        type="date"
                        class="input"
                        aria-invalid=move || period_error.get().to_string()
                        aria-describedby="analytics-period-error"
                        prop:value=move || asked.with(|q| q.from.clone())
                        on:change=field(|q, v| q.from = v)
                    />
                </div>
                <div>
                    <label for="analytics-to" class="label">
                        {tx(AnalyticsText::To)}
                    </label>
                    <input
                        id="analytics-to"
                        name="to"
                        type="date"
                        class="input"
                        aria-invalid=move || period_error.get().to_string()
                        aria-describedby="analytics-period-error"
                        prop:value=move || asked.with(|q| q.to.clone())
                        on:change=field(|q, v| q.to = v)
                    />
                </div>
                <div>
                    <label for="analytics-agent" class="label">
                        {tx(AnalyticsText::Agent)}
                    </label>
                    <select
                        id="analytics-agent"
                        name="agent"
                        class="input"
                        on:change=field(|q, v| q.agent = v)
                    >
                        <option value="">{tx(AnalyticsText::AllAgents)}</option>
                        {agents}
                    </select>
                </div>
                <div>
                    <label for="analytics-country" class="label">
                        {tx(AnalyticsText::Country)}
                    </label>
                    <select
                        id="analytics-country"
                        name="country"
                        class="input"
                        on:change=field(|q, v| q.country = v)
                    >
                        <option value="">{tx(AnalyticsText::AllCountries)}</option>
                        {countries}
                    </select>
                </div>
            </div>
            <p id="analytics-period-error" role="alert" class="field-error">
                {move || period_error.get().then(|| tx(T::ErrPeriodInvalid))}
            </p>
            <div class="mt-2 flex flex-wrap items-center gap-2">
                <button type="submit" class="btn-primary" data-testid="analytics-show">
                    {tx(AnalyticsText::Show)}
                </button>
                <button
                    type="button"
                    class="btn-secondary"
                    data-testid="analytics-csv"
                    disabled=move || !hydrated.get() || busy.get()
                    on:click=download
                >
                    {tx(AnalyticsText::DownloadCsv)}
                </button>
                <span class="text-xs text-slate-600 dark:text-slate-400">
                    {tx(AnalyticsText::InUtc)}
                </span>
            </div>
            <p role="status" class="text-sm" data-testid="analytics-status">
                {move || status.get()}
            </p>
        </form>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_makes_its_link() {
        assert_eq!(Query::default().href(), "/admin/analytics");
        let q = Query {
            from: "2026-11-07".into(),
            to: "2026-12-06".into(),
            agent: "a b&c".into(),
            country: String::new(),
        };
        assert_eq!(
            q.href(),
            "/admin/analytics?from=2026-11-07&to=2026-12-06&agent=a%20b%26c"
        );
        assert_eq!(q.filter().agent.as_deref(), Some("a b&c"));
        assert_eq!(q.filter().country, None);
    }

    #[test]
    fn buckets_are_labelled_by_their_bounds() {
        assert_eq!(
            bucket_labels(&PDD_BOUNDS_MS, 1000.0, " s"),
            ["< 1 s", "1–2 s", "2–3 s", "3–5 s", "5–8 s", "≥ 8 s"]
        );
        assert_eq!(
            bucket_labels(&MOS_BOUNDS_MILLI, 1000.0, ""),
            ["< 2.5", "2.5–3.1", "3.1–3.6", "3.6–4", "4–4.3", "≥ 4.3"]
        );
    }
}
