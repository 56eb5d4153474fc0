//! The REST API's front door, through its real router: Bearer tokens only (missing or wrong
//! tokens are problems with `WWW-Authenticate`), unknown routes, too many requests, and the
//! OpenAPI document covering every route.

use axum::body::Body;
use axum::http::{header, StatusCode};
use serde_json::json;

use crate::common::{api, api_with_limits, assert_problem, get, request, send, user};

#[tokio::test]
async fn tokens_are_required_and_checked() {
    let api = api().await;
    let (access, id_token, _) = user(&api, "agent@example.com").await;

    let reply = send(
        &api,
        request("GET", "/api/v1/me", None)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_problem(&reply, StatusCode::UNAUTHORIZED, "NotSignedIn");
    assert_eq!(
        reply.headers.get(header::WWW_AUTHENTICATE).unwrap(),
        "Bearer"
    );
    for bad in [id_token.as_str(), "not.a.token", "x"] {
        let reply = get(&api, "/api/v1/me", bad).await;
        assert_problem(&reply, StatusCode::UNAUTHORIZED, "NotSignedIn");
        assert_eq!(
            reply.headers.get(header::WWW_AUTHENTICATE).unwrap(),
            "Bearer error=\"invalid_token\""
        );
    }
    // A session cookie is not a credential here.
    let reply = send(
        &api,
        request("GET", "/api/v1/me", None)
            .header(header::COOKIE, format!("sp_access={access}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_problem(&reply, StatusCode::UNAUTHORIZED, "NotSignedIn");

    let reply = get(&api, "/api/v1/me", &access).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json["email"], "agent@example.com");
    assert_eq!(reply.json["roles"], json!([]));

    let reply = get(&api, "/api/v1/nothing-here", &access).await;
    assert_problem(&reply, StatusCode::NOT_FOUND, "NotFound");

    // The spend limits' admin endpoints: not for an agent (no admin group), not even their own.
    let me = reply_sub(&api, &access).await;
    let reply = get(&api, &format!("/api/v1/admin/limits/{me}"), &access).await;
    assert_problem(&reply, StatusCode::FORBIDDEN, "Forbidden");
    let reply = send(
        &api,
        request(
            "POST",
            &format!("/api/v1/admin/limits/{me}/lift"),
            Some(&access),
        )
        .body(Body::empty())
        .unwrap(),
    )
    .await;
    assert_problem(&reply, StatusCode::FORBIDDEN, "Forbidden");
    let reply = send(
        &api,
        request(
            "POST",
            &format!("/api/v1/admin/limits/{me}/approve"),
            Some(&access),
        )
        .body(Body::empty())
        .unwrap(),
    )
    .await;
    assert_problem(&reply, StatusCode::FORBIDDEN, "Forbidden");
    // Nor disabling or enabling accounts (their own included).
    for action in ["disable", "enable"] {
        let reply = send(
            &api,
            request(
                "POST",
                &format!("/api/v1/admin/users/{me}/{action}"),
                Some(&access),
            )
            .body(Body::empty())
            .unwrap(),
        )
        .await;
        assert_problem(&reply, StatusCode::FORBIDDEN, "Forbidden");
    }
}

async fn reply_sub(api: &crate::common::Api, access: &str) -> String {
    let reply = get(api, "/api/v1/me", access).await;
    reply.json["sub"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn too_many_requests_are_refused_with_retry_after() {
    let api = api_with_limits(3, 1).await;
    let (alice, _, _) = user(&api, "alice@example.com").await;
    for _ in 0..3 {
        assert_eq!(get(&api, "/api/v1/me", &alice).await.status, StatusCode::OK);
    }
    let reply = get(&api, "/api/v1/me", &alice).await;
    assert_problem(&reply, StatusCode::TOO_MANY_REQUESTS, "TooManyRequests");
    assert_eq!(reply.headers.get(header::RETRY_AFTER).unwrap(), "1");
    // Another user has their own allowance.
    let (bob, _, _) = user(&api, "bob@example.com").await;
    assert_eq!(get(&api, "/api/v1/me", &bob).await.status, StatusCode::OK);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let api = api().await;
    let reply = send(
        &api,
        request("GET", "/api/v1/openapi.json", None)
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let doc = reply.json;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for path in [
        "/api/v1/me",
        "/api/v1/contacts",
        "/api/v1/contacts/{id}",
        "/api/v1/calls",
        "/api/v1/calls/{id}",
        "/api/v1/recordings",
        "/api/v1/recordings/{id}",
        "/api/v1/recordings/{id}/playback",
        "/api/v1/admin/limits/{sub}",
        "/api/v1/admin/limits/{sub}/lift",
        "/api/v1/admin/limits/{sub}/overrides",
        "/api/v1/admin/limits/{sub}/approve",
        "/api/v1/admin/users/{sub}/disable",
        "/api/v1/admin/users/{sub}/enable",
        "/api/v1/admin/numbers",
        "/api/v1/admin/numbers/{e164}",
        "/api/v1/openapi.json",
    ] {
        assert!(paths.contains(&path), "{path} missing from {paths:?}");
    }
    for method in ["get", "put", "delete"] {
        assert!(
            doc["paths"]["/api/v1/contacts/{id}"][method].is_object(),
            "{method}"
        );
    }
    for method in ["put", "delete"] {
        assert!(
            doc["paths"]["/api/v1/admin/numbers/{e164}"][method].is_object(),
            "{method}"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    // Each operation names the integration-token scope it needs.
    for (path, method, scope) in [
        ("/api/v1/contacts", "get", "contacts:read"),
        ("/api/v1/contacts", "post", "contacts:write"),
        ("/api/v1/calls", "post", "calls:write"),
        ("/api/v1/recordings/{id}/playback", "get", "recordings:read"),
    ] {
        assert_eq!(
            doc["paths"][path][method]["security"],
            json!([{ "bearer": [scope] }]),
            "{method} {path}"
        );
    }
    for schema in [
        "ContactIn",
        "ContactOut",
        "CallOut",
        "RecordingOut",
        "Problem",
        "Me",
        "NumberIn",
        "NumberOut",
        "AccountStateOut",
    ] {
        assert!(doc["components"]["schemas"][schema].is_object(), "{schema}");
    }
}
