//! Call analytics for administrators (`app::api::admin::ops::analytics`): the calls agents end
//! are counted in their day's rollup and reported for a period, filtered by agent and country,
//! with the agents' e-mails; a period that is not one is refused (`PeriodInvalid`), an agent
//! is refused (`AdminOnly`), and the reading is in the administrator's audit trail. In process
//! on the SQLite store (the rollups of both stores: `testkit::store::rollups_count_each_call_once`;
//! the server function's statuses: `admin_page.rs`).

#[path = "common/rest.rs"]
mod rest;

use app::api::admin::ops as admin;
use app::api::ports::{ClientAddr, Identity};
use app::api::ApiError;
use app::domain::analytics::{day_of, Filter};
use app::domain::calls::{CallRecord, EndReason};
use server::identity::admin::set_admin;

use rest::{user, PASSWORD};

/// 2026-12-06 15:00 UTC.
const AFTERNOON: u64 = 1_796_569_200_000;

/// `sub`'s call to `e164` at `at`: placed, ringing after 1.5 s, answered or not, ended as `reason`.
async fn ended_call(api: &rest::Api, sub: &str, id: &str, e164: &str, at: u64, reason: EndReason) {
    let mut call = CallRecord::outbound(id.into(), e164.into(), at);
    api.store.insert_call(sub, &call).await.unwrap();
    call.ringing_at = Some(at + 1_500);
    if reason == EndReason::Completed {
        call.answered_at = Some(at + 6_000);
    }
    call.ended_at = Some(at + 96_000);
    call.end_reason = Some(reason);
    api.store.update_call(sub, &call).await.unwrap();
}

#[tokio::test]
async fn administrators_read_the_calls_of_a_period_by_agent_and_country() {
    let api = rest::api().await;
    let (agent_token, _, ana) = user(&api, "ana@example.com").await;
    let (_, _, ben) = user(&api, "ben@example.com").await;
    user(&api, "root@example.com").await;
    set_admin(
        api.store.as_ref(),
        &server::clock::SystemClock,
        "root@example.com",
        true,
    )
    .await
    .unwrap();
    let from = ClientAddr("192.0.2.1".parse().unwrap());
    let root_access = api
        .identity
        .sign_in("root@example.com", PASSWORD, from)
        .await
        .unwrap()
        .access_token;
    let root = api.identity.verify_access(&root_access).await.unwrap();
    let agent = api.identity.verify_access(&agent_token).await.unwrap();

    ended_call(
        &api,
        &ana,
        "a1",
        "+6581234567",
        AFTERNOON,
        EndReason::Completed,
    )
    .await;
    ended_call(
        &api,
        &ana,
        "a2",
        "+50761234567",
        AFTERNOON + 60_000,
        EndReason::Busy,
    )
    .await;
    ended_call(
        &api,
        &ben,
        "b1",
        "+6561234567",
        AFTERNOON + 120_000,
        EndReason::Completed,
    )
    .await;
    // The next day: outside a one-day period.
    ended_call(
        &api,
        &ben,
        "b2",
        "+6561234567",
        AFTERNOON + 86_400_000,
        EndReason::NoAnswer,
    )
    .await;

    let day = day_of(AFTERNOON);
    let read =
        |filter: Filter| admin::analytics(api.store.as_ref(), &root, &day, &day, filter, AFTERNOON);
    let all = read(Filter::default()).await.unwrap();
    assert_eq!((all.report.total.calls, all.report.total.answered), (3, 2));
    assert_eq!(all.report.total.talk_ms, 2 * 90_000);
    assert_eq!(
        all.report.outcomes,
        [(EndReason::Completed, 2), (EndReason::Busy, 1)]
    );
    assert_eq!(all.report.post_dial_delay.average(), Some(1_500));
    assert_eq!(all.report.hours[15], 3);
    let agents: Vec<(&str, Option<&str>)> = all
        .agents
        .iter()
        .map(|a| (a.sub.as_str(), a.email.as_deref()))
        .collect();
    // Ana has more calls: first.
    assert_eq!(
        agents,
        [
            (ana.as_str(), Some("ana@example.com")),
            (ben.as_str(), Some("ben@example.com"))
        ]
    );
    assert_eq!(all.countries, ["SG", "PA"]);

    let ana_only = read(Filter {
        agent: Some(ana.clone()),
        country: None,
    })
    .await
    .unwrap();
    assert_eq!(ana_only.report.total.calls, 2);
    // The filters still offer the whole period's agents and countries.
    assert_eq!(ana_only.agents, all.agents);
    assert_eq!(ana_only.countries, all.countries);
    let panama = read(Filter {
        agent: None,
        country: Some("PA".into()),
    })
    .await
    .unwrap();
    assert_eq!(
        (panama.report.total.calls, panama.report.total.answered),
        (1, 0)
    );
    let two_days = admin::analytics(
        api.store.as_ref(),
        &root,
        &day,
        &day_of(AFTERNOON + 86_400_000),
        Filter::default(),
        AFTERNOON,
    )
    .await
    .unwrap();
    assert_eq!(two_days.report.days.len(), 2);
    assert_eq!(two_days.report.total.calls, 4);

    // No period asked: the 30 days up to today.
    let recent = admin::analytics(
        api.store.as_ref(),
        &root,
        "",
        "",
        Filter::default(),
        AFTERNOON + 86_400_000,
    )
    .await
    .unwrap();
    assert_eq!(
        (recent.from.as_str(), recent.to.as_str()),
        ("2026-11-08", "2026-12-07")
    );
    assert_eq!(recent.report.total.calls, 4);

    // The export: the rows the filter keeps, summing to the report's figures.
    let csv = admin::analytics_csv(
        api.store.as_ref(),
        &root,
        &day,
        &day,
        Filter {
            agent: Some(ana.clone()),
            country: None,
        },
        AFTERNOON,
    )
    .await
    .unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("day,agent,email,direction,country,number_type,measure,calls,"));
    assert_eq!(lines.len(), 3, "ana's completed and busy rows: {csv}");
    assert!(lines[1..]
        .iter()
        .all(|l| l.starts_with(&format!("{day},{ana},ana@example.com,outbound,"))));
    let calls: u64 = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(7).unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(calls, ana_only.report.total.calls);
    assert_eq!(
        admin::analytics_csv(
            api.store.as_ref(),
            &agent,
            "",
            "",
            Filter::default(),
            AFTERNOON
        )
        .await,
        Err(ApiError::AdminOnly)
    );

    // What is refused, and what is audited.
    for (from, to) in [
        ("2026-12-07", "2026-12-06"),
        ("2026-12-6", "2026-12-07"),
        ("2025-01-01", "2026-12-06"),
        ("2026-12-07", ""),
    ] {
        assert_eq!(
            admin::analytics(
                api.store.as_ref(),
                &root,
                from,
                to,
                Filter::default(),
                AFTERNOON
            )
            .await,
            Err(ApiError::PeriodInvalid),
            "{from}..{to}"
        );
    }
    assert_eq!(
        admin::analytics(
            api.store.as_ref(),
            &agent,
            &day,
            &day,
            Filter::default(),
            AFTERNOON
        )
        .await,
        Err(ApiError::AdminOnly)
    );
    let trail = api.store.list_audit(&root.sub, 100).await.unwrap();
    assert!(trail
        .iter()
        .any(|e| e.action == "admin_analytics_read" && e.detail == format!("{day}..{day}")));
    assert!(trail
        .iter()
        .any(|e| e.action == "admin_analytics_export" && e.detail == format!("{day}..{day}")));
    assert!(api
        .store
        .list_audit(&agent.sub, 100)
        .await
        .unwrap()
        .iter()
        .all(|e| !e.action.contains("analytics")));
}
