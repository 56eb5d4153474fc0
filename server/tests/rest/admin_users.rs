//! `/api/v1/admin/users/{sub}/disable` and `/enable` through the real router: administrators
//! only (an agent gets 403 `Forbidden`, an integration token 403 `SessionRequired`), 404 for an
//! unknown sub, 409 for an administrator's own account; a disabled account's access token and
//! integration token are refused at once (403 `AccountDisabled`), its refresh and sign-in too,
//! its sessions ended; enabling restores sign-in and the integration token, not the sessions;
//! both audit trails.

use app::api::ports::{AuthError, ClientAddr, Identity, Principal};
use app::api::tokens::ops as tokens;
use app::domain::tokens::{Lifetime, Scope, TokenRequest};
use axum::body::Body;
use axum::http::StatusCode;
use serde_json::json;
use server::clock::SystemClock;
use server::identity::admin::set_admin;

use crate::common::{assert_problem, get, request, send, user, Api, Reply, PASSWORD};

fn from() -> ClientAddr {
    ClientAddr("192.0.2.1".parse().unwrap())
}

async fn post(api: &Api, path: &str, token: &str) -> Reply {
    send(
        api,
        request("POST", path, Some(token))
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// An administrator's fresh access token (roles are read when a token is minted).
async fn administrator(api: &Api, email: &str) -> (String, String) {
    let (_, _, sub) = user(api, email).await;
    set_admin(api.store.as_ref(), &SystemClock, email, true)
        .await
        .unwrap();
    let access = api
        .identity
        .sign_in(email, PASSWORD, from())
        .await
        .unwrap()
        .access_token;
    (access, sub)
}

async fn integration_token(api: &Api, me: &Principal) -> String {
    let request = TokenRequest {
        name: "crm".into(),
        scopes: vec![Scope::ContactsRead],
        lifetime: Lifetime::Days30,
    };
    tokens::create(&api.services, me, &request)
        .await
        .unwrap()
        .secret
}

async fn trail(api: &Api, sub: &str) -> Vec<(String, String)> {
    api.store
        .list_audit(sub, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action, e.detail))
        .collect()
}

#[tokio::test]
async fn only_administrators_disable_and_a_disabled_accounts_tokens_are_refused_at_once() {
    let api = crate::common::api().await;
    let (root, root_sub) = administrator(&api, "root@example.com").await;
    let (agent, _, agent_sub) = user(&api, "agent@example.com").await;
    let (ana, _, ana_sub) = user(&api, "ana@example.com").await;
    let ana_principal = api.identity.verify_access(&ana).await.unwrap();
    let ana_pat = integration_token(&api, &ana_principal).await;
    let ana_refresh = api
        .identity
        .sign_in("ana@example.com", PASSWORD, from())
        .await
        .unwrap()
        .refresh_token
        .unwrap();
    let root_pat = integration_token(&api, &api.identity.verify_access(&root).await.unwrap()).await;
    let disable = format!("/api/v1/admin/users/{ana_sub}/disable");
    let enable = format!("/api/v1/admin/users/{ana_sub}/enable");

    // Not for an agent, not even on their own account, and never with an integration token
    // (an administrator's included).
    for path in [
        &disable,
        &enable,
        &format!("/api/v1/admin/users/{agent_sub}/disable"),
    ] {
        assert_problem(
            &post(&api, path, &agent).await,
            StatusCode::FORBIDDEN,
            "Forbidden",
        );
        assert_problem(
            &post(&api, path, &root_pat).await,
            StatusCode::FORBIDDEN,
            "SessionRequired",
        );
    }
    assert_eq!(api.store.account_disabled(&ana_sub).await.unwrap(), None);
    assert_eq!(get(&api, "/api/v1/me", &ana).await.status, StatusCode::OK);
    // An unknown account is not found (and nothing is kept for it); an administrator's own is
    // refused, so no one locks themselves out.
    for unknown in ["no-such-sub", "6f9619ff-8b86-d011-b42d-00c04fc964ff"] {
        let reply = post(
            &api,
            &format!("/api/v1/admin/users/{unknown}/disable"),
            &root,
        )
        .await;
        assert_problem(&reply, StatusCode::NOT_FOUND, "NotFound");
        assert_eq!(api.store.account_disabled(unknown).await.unwrap(), None);
    }
    let reply = post(
        &api,
        &format!("/api/v1/admin/users/{root_sub}/disable"),
        &root,
    )
    .await;
    assert_problem(&reply, StatusCode::CONFLICT, "OwnAccount");
    assert_eq!(api.store.account_disabled(&root_sub).await.unwrap(), None);

    let reply = post(&api, &disable, &root).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(
        reply.json,
        json!({"sub": ana_sub, "disabled": true, "changed": true, "sessions_revoked": 2})
    );
    // The access token minted before is refused at the next request, and so is the
    // integration token; both say why.
    assert_problem(
        &get(&api, "/api/v1/me", &ana).await,
        StatusCode::FORBIDDEN,
        "AccountDisabled",
    );
    assert_problem(
        &get(&api, "/api/v1/contacts", &ana_pat).await,
        StatusCode::FORBIDDEN,
        "AccountDisabled",
    );
    assert_eq!(
        api.identity.verify_access(&ana).await,
        Err(AuthError::AccountDisabled)
    );
    // Its sessions are ended (a refresh is refused), and signing in is refused by name once
    // the password is right (a wrong one says nothing more than for anyone).
    assert!(api.identity.refresh(&ana_refresh).await.is_err());
    assert_eq!(
        api.identity
            .sign_in("ana@example.com", PASSWORD, from())
            .await
            .err(),
        Some(AuthError::AccountDisabled)
    );
    assert_eq!(
        api.identity
            .sign_in("ana@example.com", "Wr0ng-horse!", from())
            .await
            .err(),
        Some(AuthError::InvalidCredentials)
    );
    // Other accounts go on.
    assert_eq!(get(&api, "/api/v1/me", &agent).await.status, StatusCode::OK);
    // Disabling again changes nothing.
    let again = post(&api, &disable, &root).await;
    assert_eq!(again.json["changed"], false, "{}", again.json);

    let reply = post(&api, &enable, &root).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(
        reply.json,
        json!({"sub": ana_sub, "disabled": false, "changed": true, "sessions_revoked": 0})
    );
    // Sign-in works again and the integration token with it; the ended sessions stay ended.
    let back = api
        .identity
        .sign_in("ana@example.com", PASSWORD, from())
        .await
        .unwrap();
    assert_eq!(
        get(&api, "/api/v1/me", &back.access_token).await.status,
        StatusCode::OK
    );
    assert_eq!(
        get(&api, "/api/v1/contacts", &ana_pat).await.status,
        StatusCode::OK
    );
    assert!(api.identity.refresh(&ana_refresh).await.is_err());
    assert_problem(
        &get(&api, "/api/v1/me", &ana).await,
        StatusCode::UNAUTHORIZED,
        "NotSignedIn",
    );
    let again = post(&api, &enable, &root).await;
    assert_eq!(again.json["changed"], false, "{}", again.json);

    // Both trails: the user's names the administrator, the administrator's the user; the
    // refused agent left nothing.
    let ana_trail: Vec<(String, String)> = trail(&api, &ana_sub)
        .await
        .into_iter()
        .filter(|(action, _)| action.starts_with("account_") || action == "sign_in_refused")
        .collect();
    let by = format!("admin {root_sub}");
    assert_eq!(
        ana_trail,
        [
            ("account_enabled".to_string(), by.clone()),
            (
                "sign_in_refused".to_string(),
                "account disabled".to_string()
            ),
            ("account_disabled".to_string(), by),
        ]
    );
    let root_trail: Vec<(String, String)> = trail(&api, &root_sub)
        .await
        .into_iter()
        .filter(|(action, _)| action.starts_with("admin_account_"))
        .collect();
    assert_eq!(
        root_trail,
        [
            ("admin_account_enabled".to_string(), ana_sub.clone()),
            ("admin_account_disabled".to_string(), ana_sub.clone()),
        ]
    );
    assert!(!trail(&api, &agent_sub)
        .await
        .iter()
        .any(|(action, _)| action.contains("account_")));
}
