//! Integration tokens on the REST API, through its real router: each operation needs its
//! scope (403 `MissingScope` naming it), the admin operations none of them (403
//! `SessionRequired`), and a token that expired, was revoked or never existed is 401; a user
//! holds at most `MAX_PER_USER`.

use app::api::ports::{Identity, Principal, TokenRecord};
use app::api::tokens::ops;
use app::api::ApiError;
use app::domain::tokens::{Lifetime, Scope, TokenRequest, MAX_PER_USER};
use axum::body::Body;
use axum::http::{header, StatusCode};
use serde_json::json;

use crate::common::{ana, api, assert_problem, get, request, send, user, with_json, Api, Reply};

async fn principal(api: &Api, access: &str) -> Principal {
    api.identity.verify_access(access).await.unwrap()
}

async fn token(api: &Api, me: &Principal, scopes: &[Scope]) -> String {
    let request = TokenRequest {
        name: "script".into(),
        scopes: scopes.to_vec(),
        lifetime: Lifetime::Days30,
    };
    ops::create(&api.services, me, &request)
        .await
        .unwrap()
        .secret
}

async fn call(api: &Api, method: &str, path: &str, token: &str) -> Reply {
    match method {
        "GET" => get(api, path, token).await,
        "DELETE" => {
            send(
                api,
                request("DELETE", path, Some(token))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
        }
        _ => {
            let body = if path.starts_with("/api/v1/calls") {
                json!({"number": "+65 6000 0001"})
            } else {
                ana()
            };
            send(
                api,
                request(method, path, Some(token))
                    .header(header::CONTENT_TYPE, "application/json")
                    .header(header::IF_MATCH, "\"1\"")
                    .body(Body::from(body.to_string()))
                    .unwrap(),
            )
            .await
        }
    }
}

#[tokio::test]
async fn every_operation_needs_its_scope() {
    let api = api().await;
    let (access, _, _) = user(&api, "agent@example.com").await;
    let me = principal(&api, &access).await;
    let routes: [(&str, &str, Scope); 11] = [
        ("GET", "/api/v1/contacts", Scope::ContactsRead),
        ("GET", "/api/v1/contacts/c-1", Scope::ContactsRead),
        ("POST", "/api/v1/contacts", Scope::ContactsWrite),
        ("PUT", "/api/v1/contacts/c-1", Scope::ContactsWrite),
        ("DELETE", "/api/v1/contacts/c-1", Scope::ContactsWrite),
        ("GET", "/api/v1/calls", Scope::CallsRead),
        ("GET", "/api/v1/calls/x", Scope::CallsRead),
        ("POST", "/api/v1/calls", Scope::CallsWrite),
        ("GET", "/api/v1/recordings", Scope::RecordingsRead),
        ("GET", "/api/v1/recordings/r", Scope::RecordingsRead),
        (
            "GET",
            "/api/v1/recordings/r/playback",
            Scope::RecordingsRead,
        ),
    ];
    for (method, path, needed) in routes {
        // Every other scope: refused, naming the one it lacks.
        let others: Vec<Scope> = Scope::ALL.into_iter().filter(|s| *s != needed).collect();
        let without = token(&api, &me, &others).await;
        let reply = call(&api, method, path, &without).await;
        assert_problem(&reply, StatusCode::FORBIDDEN, "MissingScope");
        assert_eq!(
            reply.json["errors"]["scope"],
            needed.as_str(),
            "{method} {path}"
        );
        assert!(
            reply.json["detail"]
                .as_str()
                .unwrap()
                .contains(needed.as_str()),
            "{}",
            reply.json
        );
        // That scope alone: past the check (whatever the operation then answers).
        let with = token(&api, &me, &[needed]).await;
        let reply = call(&api, method, path, &with).await;
        assert_ne!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            reply.json
        );
        assert_ne!(reply.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        for t in [&without, &with] {
            let id = api
                .store
                .token_by_hash(&ops::hash(t))
                .await
                .unwrap()
                .unwrap()
                .id;
            ops::revoke(&api.services, &me, &id).await.unwrap();
        }
    }
    // The session's own token may do everything, as before.
    let reply = get(&api, "/api/v1/calls", &access).await;
    assert_eq!(reply.status, StatusCode::OK);

    // Admin operations: never with an integration token, whatever its scopes.
    let all = token(&api, &me, &Scope::ALL).await;
    let reply = get(&api, "/api/v1/admin/limits/someone", &all).await;
    assert_problem(&reply, StatusCode::FORBIDDEN, "SessionRequired");
    let reply = with_json(
        &api,
        "PUT",
        "/api/v1/admin/limits/someone/overrides",
        &all,
        &json!({}),
    )
    .await;
    assert_problem(&reply, StatusCode::FORBIDDEN, "SessionRequired");
    let reply = get(&api, "/api/v1/admin/numbers", &all).await;
    assert_problem(&reply, StatusCode::FORBIDDEN, "SessionRequired");
    let reply = with_json(
        &api,
        "PUT",
        "/api/v1/admin/numbers/%2B6561234567",
        &all,
        &json!({}),
    )
    .await;
    assert_problem(&reply, StatusCode::FORBIDDEN, "SessionRequired");
    let reply = get(&api, "/api/v1/me", &all).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["sub"], me.sub.as_str());
    assert_eq!(reply.json["roles"], json!([]));
}

#[tokio::test]
async fn expired_revoked_and_unknown_tokens_are_401() {
    let api = api().await;
    let (access, _, _) = user(&api, "agent@example.com").await;
    let me = principal(&api, &access).await;
    let now = api.services.clock.now_ms();

    let live = token(&api, &me, &[Scope::ContactsRead]).await;
    assert_eq!(
        get(&api, "/api/v1/contacts", &live).await.status,
        StatusCode::OK
    );
    // Kept as its hash only.
    let stored = api.store.list_tokens(&me.sub).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].token_hash, ops::hash(&live));
    assert_ne!(stored[0].token_hash, live);
    assert!(stored[0].last_used_at.is_some(), "the use is recorded");

    // One that expired a moment ago.
    let expired = ops::mint();
    api.store
        .create_token(
            &TokenRecord {
                id: "old".into(),
                owner: me.sub.clone(),
                email: me.email.clone(),
                name: "old".into(),
                scopes: "contacts:read".into(),
                token_hash: ops::hash(&expired),
                created_at: now - 10_000,
                expires_at: Some(now - 1),
                last_used_at: None,
            },
            MAX_PER_USER,
        )
        .await
        .unwrap();
    let listed = ops::list(&api.services, &me).await.unwrap();
    assert!(listed.iter().any(|t| t.id == "old" && t.expired));
    assert!(listed.iter().any(|t| t.id != "old" && !t.expired));

    let unknown = ops::mint();
    let mut tampered = live.clone();
    tampered.pop();
    tampered.push(if live.ends_with('A') { 'B' } else { 'A' });
    for bad in [&expired, &unknown, &tampered] {
        let reply = get(&api, "/api/v1/contacts", bad).await;
        assert_problem(&reply, StatusCode::UNAUTHORIZED, "NotSignedIn");
        assert_eq!(
            reply.headers.get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer error=\"invalid_token\""
        );
    }

    let id = stored[0].id.clone();
    ops::revoke(&api.services, &me, &id).await.unwrap();
    let reply = get(&api, "/api/v1/contacts", &live).await;
    assert_problem(&reply, StatusCode::UNAUTHORIZED, "NotSignedIn");
    // Another user cannot revoke (or see) it: theirs only.
    let (bob, _, _) = user(&api, "bob@example.com").await;
    let bob = principal(&api, &bob).await;
    assert_eq!(
        ops::revoke(&api.services, &bob, "old").await,
        Err(ApiError::NotFound)
    );
    assert!(ops::list(&api.services, &bob).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_user_holds_at_most_the_limit() {
    let api = api().await;
    let (access, _, _) = user(&api, "agent@example.com").await;
    let me = principal(&api, &access).await;
    for _ in 0..MAX_PER_USER {
        token(&api, &me, &[Scope::CallsRead]).await;
    }
    let request = TokenRequest {
        name: "one more".into(),
        scopes: vec![Scope::CallsRead],
        lifetime: Lifetime::Days90,
    };
    assert_eq!(
        ops::create(&api.services, &me, &request).await,
        Err(ApiError::TooManyTokens {
            limit: MAX_PER_USER
        })
    );
    let bad = TokenRequest {
        name: " ".into(),
        ..request
    };
    assert!(matches!(
        ops::create(&api.services, &me, &bad).await,
        Err(ApiError::TokenInvalid(_))
    ));
    let trail = api.store.list_audit(&me.sub, 100).await.unwrap();
    assert_eq!(
        trail.iter().filter(|e| e.action == "token_created").count(),
        MAX_PER_USER
    );
}

/// Not a check: what an integration token costs per request next to a session's token (one
/// store look-up by hash; docs/bench.md, "Integration tokens"). Run with
/// `cargo test -p server --test rest -- --ignored --nocapture token_cost`.
#[tokio::test]
#[ignore]
async fn token_cost() {
    let api = crate::common::api_with_limits(1_000_000, 1_000_000).await;
    let (access, _, _) = user(&api, "agent@example.com").await;
    let me = principal(&api, &access).await;
    let pat = token(&api, &me, &[Scope::ContactsRead]).await;
    const N: u32 = 2000;
    for (name, bearer) in [("session", &access), ("integration", &pat)] {
        for _ in 0..100 {
            get(&api, "/api/v1/me", bearer).await;
        }
        let started = std::time::Instant::now();
        for _ in 0..N {
            assert_eq!(get(&api, "/api/v1/me", bearer).await.status, StatusCode::OK);
        }
        let per = started.elapsed() / N;
        println!("{name} token: {per:?} per GET /api/v1/me");
    }
}
