//! The administrator's page (`/admin`) and its server functions (`app::api::admin`): an
//! administrator lists who is blocked or awaiting approval, looks users up by e-mail or sub,
//! lifts, approves, sets overrides, disables and enables; an agent is refused every one of
//! them (`AdminOnly`) and leaves no trace; an administrator cannot disable their own account
//! (`OwnAccount`); each action writes the audit trails the REST API writes for it.
//! In process through the shared `ops`, and through the real binary: the server functions'
//! statuses and the page as the server renders it.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/rest.rs"]
mod rest;

use app::api::admin::ops as admin;
use app::api::admin::{AdminUser, BlockedUser};
use app::api::ports::{AuditStore, AuthError, ClientAddr, Clock, Identity, Principal};
use app::api::ApiError;
use app::domain::calls::CallRecord;
use app::domain::spend::{Block, SpendOverrides, SpendPolicy, VelocityRule};
use axum::body::Body;
use axum::http::StatusCode;
use serde_json::{json, Value};
use server::clock::SystemClock;
use server::identity::admin::set_admin;

use rest::{request, send, user, with_json, Api, PASSWORD};

fn from() -> ClientAddr {
    ClientAddr("192.0.2.1".parse().unwrap())
}

/// Signs `email` up as an administrator; their principal (roles are read at sign-in).
async fn administrator(api: &Api, email: &str) -> (String, Principal) {
    user(api, email).await;
    set_admin(api.store.as_ref(), &SystemClock, email, true)
        .await
        .unwrap();
    let access = api
        .identity
        .sign_in(email, PASSWORD, from())
        .await
        .unwrap()
        .access_token;
    let me = api.identity.verify_access(&access).await.unwrap();
    assert!(me.is_admin());
    (access, me)
}

/// Trips the sequential-numbers rule for `sub` as two calls in a row do (the rule at 2).
async fn blocked_by_sequential_numbers(api: &Api, sub: &str, now: u64) {
    let policy = SpendPolicy {
        sequential_calls: 2,
        ..SpendPolicy::default()
    };
    let mut first = CallRecord::outbound(format!("{sub}-1"), "+6561110001".into(), now);
    api.store
        .admit_call(sub, &first, &policy, None, now)
        .await
        .unwrap();
    first.ended_at = Some(now + 1000);
    api.store.update_call(sub, &first).await.unwrap();
    let second = CallRecord::outbound(format!("{sub}-2"), "+6561110002".into(), now + 2000);
    assert!(api
        .store
        .admit_call(sub, &second, &policy, None, now + 2000)
        .await
        .is_err());
}

async fn trail(api: &Api, sub: &str) -> Vec<(String, String)> {
    api.store
        .list_audit(sub, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect()
}

#[tokio::test]
async fn only_administrators_use_the_admin_page_and_it_audits_as_the_rest_api_does() {
    let api = rest::api().await;
    let s = &api.services;
    let (root_token, root) = administrator(&api, "root@example.com").await;
    let (bob_token, _, _) = user(&api, "bob@example.com").await;
    let bob = api.identity.verify_access(&bob_token).await.unwrap();
    let (_, _, ana) = user(&api, "ana@example.com").await;
    let (_, _, cleo) = user(&api, "cleo@example.com").await;
    let (_, _, newcomer) = user(&api, "new@example.com").await;
    let now = SystemClock.now_ms();
    blocked_by_sequential_numbers(&api, &ana, now - 60_000).await;
    blocked_by_sequential_numbers(&api, &cleo, now - 50_000).await;
    let awaiting = Block {
        rule: VelocityRule::AwaitingApproval,
        at: now - 40_000,
    };
    api.store.block_calls(&newcomer, awaiting).await.unwrap();
    let overrides = SpendOverrides {
        calls_per_minute: Some(2),
        max_call_secs: Some(300),
        ..SpendOverrides::default()
    };

    // An agent: every operation refused, nothing changed, nothing in anyone's trail.
    let refused = [
        admin::find(s, &bob, "ana@example.com").await.err(),
        admin::blocked(s.store.as_ref(), &bob, now).await.err(),
        admin::lift(s.store.as_ref(), &bob, &ana, now).await.err(),
        admin::approve(s.store.as_ref(), &bob, &newcomer, now)
            .await
            .err(),
        admin::set_overrides(s.store.as_ref(), &bob, &ana, overrides, now)
            .await
            .err(),
        admin::set_disabled(s, &bob, &ana, true).await.err(),
        admin::set_disabled(s, &bob, &bob.sub, true).await.err(),
    ];
    assert!(
        refused.iter().all(|r| r == &Some(ApiError::AdminOnly)),
        "{refused:?}"
    );
    assert_eq!(ApiError::AdminOnly.http_status(), 403);
    assert!(api.store.spend_state(&ana).await.unwrap().block.is_some());
    assert_eq!(api.store.account_disabled(&ana).await.unwrap(), None);
    assert!(trail(&api, &bob.sub)
        .await
        .iter()
        .all(|(action, _)| !action.contains("admin") && !action.contains("spend")));
    assert!(trail(&api, &ana)
        .await
        .iter()
        .all(|(action, _)| !action.contains("spend_") && !action.starts_with("account_")));

    // Who is blocked now, oldest first, with their e-mails.
    let listed = admin::blocked(s.store.as_ref(), &root, now).await.unwrap();
    let names: Vec<(Option<&str>, VelocityRule)> = listed
        .iter()
        .map(|b: &BlockedUser| (b.email.as_deref(), b.block.rule))
        .collect();
    assert_eq!(
        names,
        [
            (Some("ana@example.com"), VelocityRule::SequentialNumbers),
            (Some("cleo@example.com"), VelocityRule::SequentialNumbers),
            (Some("new@example.com"), VelocityRule::AwaitingApproval),
        ]
    );

    // Looked up by e-mail (as typed) or by sub; an unknown one is not found.
    let found: AdminUser = admin::find(s, &root, " Ana@Example.com ").await.unwrap();
    assert_eq!(found.sub, ana);
    assert_eq!(found.email.as_deref(), Some("ana@example.com"));
    assert_eq!(
        found.block.map(|b| b.rule),
        Some(VelocityRule::SequentialNumbers)
    );
    assert_eq!((found.disabled_at, found.open_calls), (None, 0));
    assert_eq!(found.overrides, SpendOverrides::default());
    assert_eq!(
        found.defaults.calls_per_hour,
        Some(60),
        "the server's policy"
    );
    assert!(!found.is_me);
    assert_eq!(admin::find(s, &root, &ana).await.unwrap(), found);
    assert!(admin::find(s, &root, &root.sub).await.unwrap().is_me);
    for unknown in ["nobody@example.com", "no-such-sub", "  "] {
        assert_eq!(
            admin::find(s, &root, unknown).await.err(),
            Some(ApiError::NotFound),
            "{unknown:?}"
        );
    }

    // The page's actions on Ana; the REST API's same requests on Cleo.
    assert!(admin::lift(s.store.as_ref(), &root, &ana, now)
        .await
        .unwrap());
    assert!(!admin::lift(s.store.as_ref(), &root, &ana, now)
        .await
        .unwrap());
    let state = admin::set_overrides(s.store.as_ref(), &root, &ana, overrides, now)
        .await
        .unwrap();
    assert_eq!(state.overrides, overrides);
    assert_eq!(
        admin::set_disabled(s, &root, &root.sub, true).await.err(),
        Some(ApiError::OwnAccount)
    );
    assert_eq!(ApiError::OwnAccount.http_status(), 409);
    let change = admin::set_disabled(s, &root, &ana, true).await.unwrap();
    assert!(change.changed);
    assert_eq!(
        api.identity
            .sign_in("ana@example.com", PASSWORD, from())
            .await
            .err(),
        Some(AuthError::AccountDisabled),
        "a disabled account's sign-in is refused"
    );
    assert!(
        !admin::set_disabled(s, &root, &ana, true)
            .await
            .unwrap()
            .changed
    );
    assert!(
        admin::set_disabled(s, &root, &ana, false)
            .await
            .unwrap()
            .changed
    );
    api.identity
        .sign_in("ana@example.com", PASSWORD, from())
        .await
        .expect("enabled again");
    assert_eq!(
        admin::set_disabled(s, &root, "no-such-sub", true)
            .await
            .err(),
        Some(ApiError::NotFound)
    );

    let limits = format!("/api/v1/admin/limits/{cleo}");
    for (method, path, body) in [
        ("GET", limits.clone(), None),
        ("GET", limits.clone(), None),
        ("POST", format!("{limits}/lift"), None),
        ("POST", format!("{limits}/lift"), None),
        (
            "PUT",
            format!("{limits}/overrides"),
            Some(json!({"calls_per_minute": 2, "max_call_secs": 300})),
        ),
        ("POST", format!("/api/v1/admin/users/{cleo}/disable"), None),
        ("POST", format!("/api/v1/admin/users/{cleo}/disable"), None),
        ("POST", format!("/api/v1/admin/users/{cleo}/enable"), None),
    ] {
        let reply = match body {
            Some(body) => with_json(&api, method, &path, &root_token, &body).await,
            None => {
                send(
                    &api,
                    request(method, &path, Some(&root_token))
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
            }
        };
        assert_eq!(reply.status, StatusCode::OK, "{path}: {}", reply.json);
    }
    // The newcomer: approved on the page (the REST API's approval has its own test).
    assert!(admin::approve(s.store.as_ref(), &root, &newcomer, now)
        .await
        .unwrap());
    assert!(!admin::approve(s.store.as_ref(), &root, &newcomer, now)
        .await
        .unwrap());
    assert_eq!(api.store.spend_state(&newcomer).await.unwrap().block, None);
    assert!(admin::blocked(s.store.as_ref(), &root, now)
        .await
        .unwrap()
        .is_empty());

    // The same trails either way: the user's names the administrator, the administrator's
    // names the user (sign-ins and the tripped rule aside).
    let kept = |t: Vec<(String, String)>| -> Vec<(String, String)> {
        t.into_iter()
            .filter(|(a, _)| a.starts_with("spend_") || a.starts_with("account_"))
            .collect()
    };
    let ana_trail = kept(trail(&api, &ana).await);
    assert_eq!(ana_trail, kept(trail(&api, &cleo).await));
    let by = format!("admin {}", root.sub);
    let actions: Vec<&str> = ana_trail.iter().map(|(a, _)| a.as_str()).rev().collect();
    assert_eq!(
        actions,
        [
            "spend_limits_viewed",
            "spend_limits_viewed",
            "spend_block_lifted",
            "spend_overrides_set",
            "account_disabled",
            "account_enabled"
        ]
    );
    assert!(
        ana_trail.iter().all(|(_, d)| d.starts_with(&by)),
        "{ana_trail:?}"
    );
    let root_trail = trail(&api, &root.sub).await;
    let about = |sub: &str| -> Vec<String> {
        root_trail
            .iter()
            .filter(|(_, d)| d == sub)
            .map(|(a, _)| a.clone())
            .collect()
    };
    assert_eq!(about(&ana), about(&cleo));
    assert_eq!(about(&ana).len(), 6, "{root_trail:?}");
    assert_eq!(
        about(&newcomer),
        ["admin_account_approved"],
        "the listing and the look-ups are in the admin's trail too"
    );
    assert!(root_trail
        .iter()
        .any(|(a, d)| a == "admin_blocked_listed" && d == "3"));
}

// ----------------------------------------------------------------------------------------------
// Through the real binary: the server functions' statuses, and the page as rendered.

/// Status and JSON body of one server-function call.
async fn call(port: u16, cookie: &str, endpoint: &str, body: Value) -> (u16, Value) {
    let (status, _, bytes) = binary::http(port, "POST", endpoint, Some(cookie), Some(&body))
        .await
        .unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

async fn page(port: u16, cookie: &str, path: &str) -> String {
    let (status, _, bytes) = binary::http(port, "GET", path, Some(cookie), None)
        .await
        .unwrap();
    assert_eq!(status, 200, "{path}");
    String::from_utf8_lossy(&bytes).into_owned()
}

async fn session(port: u16, endpoint: &str, email: &str) -> String {
    let body = json!({"email": email, "password": PASSWORD, "confirm": PASSWORD});
    let (status, cookies, text) = binary::http(port, "POST", endpoint, None, Some(&body))
        .await
        .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&text));
    cookies.join("; ")
}

/// The user (`sub`) of a session: the access token's claims.
fn sub_of(cookie: &str) -> String {
    use base64::Engine;
    let token = cookie
        .split("; ")
        .find_map(|c| {
            c.strip_prefix(app::cookies::ACCESS)
                .and_then(|c| c.strip_prefix('='))
        })
        .expect("an access cookie");
    let payload = token.split('.').nth(1).expect("a JWT");
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    let claims: Value = serde_json::from_slice(&claims).unwrap();
    claims["sub"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_page_and_its_server_functions_are_for_administrators_only() {
    let data = std::env::temp_dir().join(format!("softphone-admin-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data).unwrap();
    let port = binary::free_port();
    let server = binary::start_server(&data, port, &[]).await;
    session(port, "/api/auth/sign_up", "root@example.com").await;
    let agent = session(port, "/api/auth/sign_up", "agent@example.com").await;
    let agent_sub = sub_of(&agent);
    // The operator makes the administrator; the role counts from the next sign-in.
    let granted = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["users", "grant-admin", "root@example.com"])
        .current_dir(&data)
        .env("SOFTPHONE_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(granted.status.success(), "{granted:?}");
    let root = session(port, "/api/auth/sign_in", "root@example.com").await;
    let root_sub = sub_of(&root);

    // An agent: each server function refused with 403 AdminOnly; the page says so, and
    // neither it nor the nav links the admin page.
    for (endpoint, body) in [
        ("/api/admin/blocked", json!({})),
        ("/api/admin/user", json!({"user": "root@example.com"})),
        ("/api/admin/lift", json!({"sub": root_sub})),
        ("/api/admin/approve", json!({"sub": root_sub})),
        (
            "/api/admin/overrides",
            json!({"sub": root_sub, "overrides": {"calls_per_minute": 1}}),
        ),
        (
            "/api/admin/disabled",
            json!({"sub": root_sub, "disabled": true}),
        ),
        (
            "/api/admin/analytics",
            json!({"from": "2026-12-01", "to": "2026-12-06", "filter": {}}),
        ),
        (
            "/api/admin/analytics_csv",
            json!({"from": "", "to": "", "filter": {}}),
        ),
    ] {
        assert_eq!(
            call(port, &agent, endpoint, body).await,
            (403, json!("AdminOnly")),
            "{endpoint}"
        );
    }
    let refused = page(port, &agent, "/admin").await;
    assert!(
        refused.contains("Only administrators can do this."),
        "{refused}"
    );
    assert!(!refused.contains("data-admin") && !refused.contains("href=\"/admin\""));
    assert!(!page(port, &agent, "/settings").await.contains("admin-link"));

    // The administrator: the page and the nav link, then the work.
    let shown = page(port, &root, "/admin").await;
    assert!(shown.contains("data-admin"), "{shown}");
    assert!(shown.contains("href=\"/admin\""));
    assert!(shown.contains("Blocked or awaiting approval") && shown.contains("No one is blocked."));
    assert!(page(port, &root, "/settings")
        .await
        .contains("data-testid=\"admin-link\""));
    // The call analytics: a period that is not one is refused with what to fix.
    for (from, to) in [
        ("2026-12-07", "2026-12-06"),
        ("2026-02-30", "2026-03-01"),
        ("2025-12-01", "2026-12-06"),
    ] {
        assert_eq!(
            call(
                port,
                &root,
                "/api/admin/analytics",
                json!({"from": from, "to": to, "filter": {}})
            )
            .await,
            (422, json!("PeriodInvalid")),
            "{from}..{to}"
        );
    }
    let (status, read) = call(
        port,
        &root,
        "/api/admin/analytics",
        json!({"from": "2026-12-01", "to": "2026-12-06", "filter": {"agent": null, "country": "PA"}}),
    )
    .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["report"]["total"]["calls"], json!(0), "{read}");
    let (status, csv) = call(
        port,
        &root,
        "/api/admin/analytics_csv",
        json!({"from": "2026-12-01", "to": "", "filter": {}}),
    )
    .await;
    assert_eq!(status, 200, "{csv}");
    assert!(
        csv.as_str()
            .is_some_and(|t| t.starts_with("day,agent,email,")),
        "{csv}"
    );
    assert_eq!(
        call(
            port,
            &root,
            "/api/admin/analytics_csv",
            json!({"from": "2026-12-07", "to": "2026-12-06", "filter": {}})
        )
        .await,
        (422, json!("PeriodInvalid"))
    );
    // The analytics page, rendered on the server for the administrator only.
    let analytics = page(port, &root, "/admin/analytics").await;
    assert!(
        analytics.contains("Call analytics")
            && analytics.contains("data-testid=\"analytics-filters\"")
            && analytics.contains("No calls in this period."),
        "{analytics}"
    );
    assert!(page(port, &agent, "/admin/analytics")
        .await
        .contains("Only administrators can do this."));
    let (status, found) = call(
        port,
        &root,
        "/api/admin/user",
        json!({"user": "agent@example.com"}),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["sub"], agent_sub.as_str());
    assert_eq!(found["is_me"], false);
    let (status, set) = call(
        port,
        &root,
        "/api/admin/overrides",
        json!({"sub": agent_sub, "overrides": {"calls_per_hour": 9, "velocity_exempt": true}}),
    )
    .await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(set["changed"], true);
    assert_eq!(set["user"]["overrides"]["calls_per_hour"], 9);
    assert_eq!(
        call(
            port,
            &root,
            "/api/admin/disabled",
            json!({"sub": root_sub, "disabled": true}),
        )
        .await,
        (409, json!("OwnAccount"))
    );
    let (status, off) = call(
        port,
        &root,
        "/api/admin/disabled",
        json!({"sub": agent_sub, "disabled": true}),
    )
    .await;
    assert_eq!((status, &off["changed"]), (200, &json!(true)), "{off}");
    assert!(off["user"]["disabled_at"].is_u64());
    // The disabled agent's session is over at once (the app then sends them to sign in),
    // and signing in is refused.
    assert_eq!(
        call(
            port,
            &agent,
            "/api/contacts/list",
            json!({"search": "", "favourites_only": false, "cursor": null})
        )
        .await,
        (401, json!("NotSignedIn"))
    );
    let body = json!({"email": "agent@example.com", "password": PASSWORD});
    let (status, _, _) = binary::http(port, "POST", "/api/auth/sign_in", None, Some(&body))
        .await
        .unwrap();
    assert_eq!(status, 403);
    let (status, on) = call(
        port,
        &root,
        "/api/admin/disabled",
        json!({"sub": agent_sub, "disabled": false}),
    )
    .await;
    assert_eq!(
        (status, &on["user"]["disabled_at"]),
        (200, &Value::Null),
        "{on}"
    );
    session(port, "/api/auth/sign_in", "agent@example.com").await;

    // Audited in both trails, as the REST API writes them.
    drop(server);
    let store = server::store::SqliteStore::open(&data.join("softphone.sqlite3"))
        .await
        .unwrap();
    let actions = |t: Vec<app::api::ports::AuditEvent>| -> Vec<(String, String)> {
        t.into_iter().map(|e| (e.action, e.detail)).collect()
    };
    let agent_trail = actions(store.list_audit(&agent_sub, 50).await.unwrap());
    let by = format!("admin {root_sub}");
    for action in ["spend_limits_viewed", "account_disabled", "account_enabled"] {
        assert!(
            agent_trail.contains(&(action.to_string(), by.clone())),
            "{action}: {agent_trail:?}"
        );
    }
    assert!(agent_trail
        .iter()
        .any(|(a, d)| a == "spend_overrides_set" && d.starts_with(&by)));
    let root_trail = actions(store.list_audit(&root_sub, 50).await.unwrap());
    for action in [
        "admin_blocked_listed",
        "admin_spend_limits_viewed",
        "admin_spend_overrides_set",
        "admin_account_disabled",
        "admin_account_enabled",
    ] {
        assert!(
            root_trail.iter().any(|(a, _)| a == action),
            "{action}: {root_trail:?}"
        );
    }
    drop(store);
    let _ = std::fs::remove_dir_all(&data);
}
