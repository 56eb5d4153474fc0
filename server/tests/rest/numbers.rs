//! `/api/v1/admin/numbers` through the real router: administrators only (the embedded
//! identity's role, granted and revoked from the CLI's function), the settings kept and shown
//! with the agents' e-mails, 422s that name the field at fault, removal, and the audit trail.

use app::api::ports::{ClientAddr, Identity};
use app::domain::inbound::{Assignment, Strategy};
use axum::body::Body;
use axum::http::StatusCode;
use serde_json::json;
use server::clock::SystemClock;
use server::identity::admin::set_admin;

use crate::common::{assert_problem, get, request, send, user, with_json, Api, PASSWORD};

const SG: &str = "/api/v1/admin/numbers/%2B6561234567";

/// A fresh access token for `email` (roles are read when a token is minted).
async fn sign_in(api: &Api, email: &str) -> String {
    let from = ClientAddr("192.0.2.1".parse().unwrap());
    api.identity
        .sign_in(email, PASSWORD, from)
        .await
        .unwrap()
        .access_token
}

async fn delete(api: &Api, path: &str, token: &str) -> crate::common::Reply {
    send(
        api,
        request("DELETE", path, Some(token))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn only_administrators_manage_numbers_and_the_role_comes_and_goes_with_the_cli() {
    let api = crate::common::api().await;
    let (agent, _, _) = user(&api, "agent@example.com").await;
    user(&api, "root@example.com").await;
    let body = json!({"assignment": null});
    for reply in [
        get(&api, "/api/v1/admin/numbers", &agent).await,
        with_json(&api, "PUT", SG, &agent, &body).await,
        delete(&api, SG, &agent).await,
    ] {
        assert_problem(&reply, StatusCode::FORBIDDEN, "Forbidden");
    }

    let granted = set_admin(api.store.as_ref(), &SystemClock, "Root@Example.com", true).await;
    assert_eq!(granted, Ok(true));
    assert_eq!(
        set_admin(api.store.as_ref(), &SystemClock, "root@example.com", true).await,
        Ok(false),
        "already one"
    );
    let root = sign_in(&api, "root@example.com").await;
    let me = get(&api, "/api/v1/me", &root).await;
    assert_eq!(me.json["roles"], json!(["admin"]));
    let reply = get(&api, "/api/v1/admin/numbers", &root).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(reply.json, json!({"items": []}));

    // Revoked: the token minted with the role loses it at once.
    set_admin(api.store.as_ref(), &SystemClock, "root@example.com", false)
        .await
        .unwrap();
    assert!(!api.identity.verify_access(&root).await.unwrap().is_admin());
    let reply = get(&api, "/api/v1/admin/numbers", &root).await;
    assert_problem(&reply, StatusCode::FORBIDDEN, "Forbidden");
    // Granted: a token minted before does not carry it; the next sign-in's does.
    set_admin(api.store.as_ref(), &SystemClock, "agent@example.com", true)
        .await
        .unwrap();
    let reply = get(&api, "/api/v1/admin/numbers", &agent).await;
    assert_problem(&reply, StatusCode::FORBIDDEN, "Forbidden");
    let agent = sign_in(&api, "agent@example.com").await;
    assert_eq!(
        get(&api, "/api/v1/admin/numbers", &agent).await.status,
        StatusCode::OK
    );
    let sub = api.identity.verify_access(&agent).await.unwrap().sub;
    let root_sub = me.json["sub"].as_str().unwrap().to_string();
    assert_eq!(
        admin_actions(&api, &root_sub, "admin_role").await,
        ["admin_role_revoked", "admin_role_granted"]
    );
    assert_eq!(
        admin_actions(&api, &sub, "admin_role").await,
        ["admin_role_granted"]
    );
}

/// The actions of `sub`'s audit trail that start with `prefix`, newest first.
async fn admin_actions(api: &Api, sub: &str, prefix: &str) -> Vec<String> {
    let events = api.store.list_audit(sub, 50).await.unwrap();
    events
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.starts_with(prefix))
        .collect()
}

async fn admin(api: &Api) -> String {
    user(api, "root@example.com").await;
    set_admin(api.store.as_ref(), &SystemClock, "root@example.com", true)
        .await
        .unwrap();
    sign_in(api, "root@example.com").await
}

#[tokio::test]
async fn a_number_is_set_listed_and_removed() {
    let api = crate::common::api().await;
    let root = admin(&api).await;
    let (_, _, ana) = user(&api, "ana@example.com").await;
    let (_, _, ben) = user(&api, "ben@example.com").await;
    let body = json!({
        "assignment": {"members": ["ANA@example.com", ben], "strategy": "in_order",
            "ring_secs": 40, "per_agent_secs": 10},
        "hours": {"ranges": [{"day": "mon", "open": "09:00", "close": "18:00"},
            {"day": "sat", "open": "22:00", "close": "24:00"}]},
        "unassigned": "refuse"
    });
    let reply = with_json(
        &api,
        "PUT",
        "/api/v1/admin/numbers/+65%206123%204567",
        &root,
        &body,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    let expected = json!({
        "e164": "+6561234567",
        "assignment": {"members": [{"sub": ana, "email": "ana@example.com"},
            {"sub": ben, "email": "ben@example.com"}],
            "strategy": "in_order", "ring_secs": 40, "per_agent_secs": 10},
        "hours": body["hours"],
        "unassigned": "refuse",
        "updated_at": reply.json["updated_at"],
    });
    assert_eq!(reply.json, expected);
    // Kept as the domain's settings: members by sub.
    let kept = api.store.get_number("+6561234567").await.unwrap().unwrap();
    assert_eq!(
        kept.assignment,
        Assignment::Agents {
            members: vec![ana.clone(), ben.clone()],
            strategy: Strategy::InOrder { per_agent_secs: 10 },
            ring_secs: 40
        }
    );
    let list = get(&api, "/api/v1/admin/numbers", &root).await;
    assert_eq!(list.json, json!({"items": [expected]}));

    // A put replaces: defaults for what is left out.
    let reply = with_json(
        &api,
        "PUT",
        SG,
        &root,
        &json!({"assignment": {"members": [ana]}}),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(
        reply.json["assignment"],
        json!({"members": [{"sub": ana, "email": "ana@example.com"}],
            "strategy": "ring_all", "ring_secs": 30, "per_agent_secs": null})
    );
    assert_eq!(reply.json["hours"], json!(null));
    assert_eq!(reply.json["unassigned"], "message");

    let reply = delete(&api, SG, &root).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_problem(
        &delete(&api, SG, &root).await,
        StatusCode::NOT_FOUND,
        "NotFound",
    );
    assert_eq!(
        get(&api, "/api/v1/admin/numbers", &root).await.json,
        json!({"items": []})
    );
    let sub = api.identity.verify_access(&root).await.unwrap().sub;
    assert_eq!(
        admin_actions(&api, &sub, "admin_number").await,
        [
            "admin_number_deleted",
            "admin_number_set",
            "admin_number_set"
        ]
    );
}

#[tokio::test]
async fn bad_settings_are_refused_naming_the_field() {
    let api = crate::common::api().await;
    let root = admin(&api).await;
    user(&api, "ana@example.com").await;
    let cases = [
        ("/api/v1/admin/numbers/%2B14155550100", json!({}), "e164"),
        ("/api/v1/admin/numbers/12345", json!({}), "e164"),
        (
            SG,
            json!({"assignment": {"members": ["nobody@example.com"]}}),
            "assignment.members[0]",
        ),
        (
            SG,
            json!({"assignment": {"members": ["ana@example.com", "no-such-sub"]}}),
            "assignment.members[1]",
        ),
        (
            SG,
            json!({"assignment": {"members": []}}),
            "assignment.members",
        ),
        (
            SG,
            json!({"assignment": {"members": ["ana@example.com"], "strategy": "random"}}),
            "assignment.strategy",
        ),
        (
            SG,
            json!({"assignment": {"members": ["ana@example.com"], "ring_secs": 1}}),
            "assignment.ring_secs",
        ),
        (
            SG,
            json!({"assignment": {"members": ["ana@example.com"], "strategy": "in_order",
                "ring_secs": 20, "per_agent_secs": 25}}),
            "assignment.per_agent_secs",
        ),
        (
            SG,
            json!({"hours": {"ranges": [{"day": "mon", "open": "09:00", "close": "18:00"},
                {"day": "tue", "open": "18:00", "close": "09:00"}]}}),
            "hours.ranges[1].close",
        ),
        (
            SG,
            json!({"hours": {"ranges": [{"day": "funday", "open": "09:00", "close": "18:00"}]}}),
            "hours.ranges[0].day",
        ),
        (SG, json!({"hours": {"ranges": []}}), "hours.ranges"),
        (SG, json!({"unassigned": "voicemail"}), "unassigned"),
    ];
    for (path, body, field) in cases {
        let reply = with_json(&api, "PUT", path, &root, &body).await;
        assert_problem(
            &reply,
            StatusCode::UNPROCESSABLE_ENTITY,
            "NumberSettingsInvalid",
        );
        assert_eq!(
            reply.json["errors"]["field"], field,
            "{body} → {}",
            reply.json
        );
    }
    assert!(api.store.list_numbers().await.unwrap().is_empty());
}

/// Telephony that takes every call and does nothing with it: enough for `start` to write the
/// record (and the last agent).
struct AcceptAll;

#[async_trait::async_trait]
impl app::api::ports::Telephony for AcceptAll {
    fn available(&self) -> bool {
        true
    }
    fn has_live_connection(&self, _owner: &str) -> bool {
        true
    }
    async fn begin(
        &self,
        _owner: &str,
        _record: app::domain::calls::CallRecord,
        _origin: app::api::ports::CallOrigin,
        _max_duration_ms: u64,
    ) {
    }
}

#[tokio::test]
async fn a_call_back_rings_the_agent_who_dialled_with_no_set_up() {
    use app::domain::inbound::{RingPlan, Route, Stage, DEFAULT_RING_SECS};
    let api = crate::common::api().await;
    let (token, _, lee) = user(&api, "lee@example.com").await;
    let me = api.identity.verify_access(&token).await.unwrap();
    let services = app::api::ports::Services {
        telephony: std::sync::Arc::new(AcceptAll),
        ..api.services.clone()
    };
    // The simulator's call-back test number, dialled from the app.
    app::api::calls::ops::start(
        &services,
        &me,
        "+65 6000 0008",
        None,
        app::api::ports::CallOrigin::App { connection: 1 },
    )
    .await
    .unwrap();
    let last = api.store.last_agent("+6560000008").await.unwrap().unwrap();
    assert_eq!(last.owner, lee);

    // It calls back the configured caller ID: lee rings, alone, for the whole ring time.
    let caller_ids = ["+6560000000".to_string()];
    let route = app::api::inbound::route_call(
        api.store.as_ref(),
        &caller_ids,
        "+6560000000",
        Some("+6560000008"),
        last.at + 5_000,
    )
    .await
    .unwrap();
    assert_eq!(
        route,
        Route::Ring(RingPlan {
            stages: vec![Stage {
                agents: vec![lee.clone()],
                secs: DEFAULT_RING_SECS
            }],
            ring_secs: DEFAULT_RING_SECS
        })
    );
    // A number that is neither stored nor configured is refused; another caller, with no
    // last agent, gets the unassigned number's message.
    let not_ours = app::api::inbound::route_call(
        api.store.as_ref(),
        &caller_ids,
        "+6560000001",
        Some("+6560000008"),
        last.at,
    )
    .await
    .unwrap();
    assert_eq!(not_ours, Route::Refuse(app::domain::inbound::NOT_OURS));
    let stranger = app::api::inbound::route_call(
        api.store.as_ref(),
        &caller_ids,
        "+6560000000",
        Some("+6581234567"),
        last.at,
    )
    .await
    .unwrap();
    assert_eq!(
        stranger,
        Route::Message(app::domain::inbound::MessageKind::Unassigned)
    );
}
