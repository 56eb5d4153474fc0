//! The REST API's contacts, through its real router: create, read, replace and delete with
//! ETag / If-Match, owner scoping (another user's ids are 404), cursor pages and search, and
//! problem details for bad JSON, unknown fields, wrong content types, huge bodies, bad cursors
//! and bad parameters, none of which change anything.

use axum::body::Body;
use axum::http::{header, StatusCode};
use serde_json::{json, Value};

use crate::common::{ana, api, assert_problem, get, request, send, user, with_json};

#[tokio::test]
async fn contacts_crud_with_etags_and_owner_scoping() {
    let api = api().await;
    let (alice, _, _) = user(&api, "alice@example.com").await;
    let (bob, _, _) = user(&api, "bob@example.com").await;

    let created = with_json(&api, "POST", "/api/v1/contacts", &alice, &ana()).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["id"].as_str().unwrap().to_string();
    assert_eq!(
        created.headers.get(header::LOCATION).unwrap(),
        &format!("/api/v1/contacts/{id}")
    );
    assert_eq!(created.headers.get(header::ETAG).unwrap(), "\"1\"");
    assert_eq!(
        created.json["numbers"],
        json!([{"label": "mobile", "e164": "+50761234567"}, {"label": "work", "e164": "+50761234568"}])
    );

    let fetched = get(&api, &format!("/api/v1/contacts/{id}"), &alice).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.json, created.json);

    // Bob: 404 for Alice's contact, whatever he tries; his list is empty.
    let path = format!("/api/v1/contacts/{id}");
    assert_problem(
        &get(&api, &path, &bob).await,
        StatusCode::NOT_FOUND,
        "NotFound",
    );
    let mut put = request("PUT", &path, Some(&bob))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::IF_MATCH, "\"1\"")
        .body(Body::from(ana().to_string()))
        .unwrap();
    assert_problem(&send(&api, put).await, StatusCode::NOT_FOUND, "NotFound");
    let reply = send(
        &api,
        request("DELETE", &path, Some(&bob))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_problem(&reply, StatusCode::NOT_FOUND, "NotFound");
    let list = get(&api, "/api/v1/contacts", &bob).await;
    assert_eq!(list.json["items"], json!([]));

    // Replacing needs If-Match; a stale version fails the precondition.
    let mut edited = ana();
    edited["name"] = json!("Ana P. Pérez");
    let reply = with_json(&api, "PUT", &path, &alice, &edited).await;
    assert_problem(&reply, StatusCode::PRECONDITION_REQUIRED, "IfMatchRequired");
    put = request("PUT", &path, Some(&alice))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::IF_MATCH, "\"1\"")
        .body(Body::from(edited.to_string()))
        .unwrap();
    let updated = send(&api, put).await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.json);
    assert_eq!(updated.json["version"], 2);
    assert_eq!(updated.headers.get(header::ETAG).unwrap(), "\"2\"");
    put = request("PUT", &path, Some(&alice))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::IF_MATCH, "\"1\"")
        .body(Body::from(edited.to_string()))
        .unwrap();
    assert_problem(
        &send(&api, put).await,
        StatusCode::PRECONDITION_FAILED,
        "Conflict",
    );
    put = request("PUT", &path, Some(&alice))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::IF_MATCH, "yesterday")
        .body(Body::from(edited.to_string()))
        .unwrap();
    assert_problem(
        &send(&api, put).await,
        StatusCode::BAD_REQUEST,
        "InvalidIfMatch",
    );

    // Invalid contacts say what is wrong, per field.
    let reply = with_json(
        &api,
        "POST",
        "/api/v1/contacts",
        &alice,
        &json!({"name": "", "numbers": [{"number": "+65 1900 123 4567"}]}),
    )
    .await;
    assert_problem(&reply, StatusCode::UNPROCESSABLE_ENTITY, "ContactInvalid");
    assert!(reply.json["errors"].is_object(), "{}", reply.json);

    // Delete: a stale If-Match is refused, then it goes, then it is gone.
    let stale = request("DELETE", &path, Some(&alice))
        .header(header::IF_MATCH, "\"1\"")
        .body(Body::empty())
        .unwrap();
    assert_problem(
        &send(&api, stale).await,
        StatusCode::PRECONDITION_FAILED,
        "Conflict",
    );
    let reply = send(
        &api,
        request("DELETE", &path, Some(&alice))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_problem(
        &get(&api, &path, &alice).await,
        StatusCode::NOT_FOUND,
        "NotFound",
    );
}

#[tokio::test]
async fn lists_page_with_cursors_and_search() {
    let api = api().await;
    let (alice, _, _) = user(&api, "alice@example.com").await;
    for i in 0..5 {
        let body = json!({"name": format!("Person {i}"), "numbers": [{"number": format!("+65 8123 450{i}")}]});
        let reply = with_json(&api, "POST", "/api/v1/contacts", &alice, &body).await;
        assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
    }
    let mut names = Vec::new();
    let mut path = "/api/v1/contacts?limit=2".to_string();
    loop {
        let page = get(&api, &path, &alice).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.json);
        let items = page.json["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        names.extend(
            items
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_string()),
        );
        match page.json.get("next_cursor").and_then(Value::as_str) {
            Some(cursor) => path = format!("/api/v1/contacts?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        names,
        (0..5).map(|i| format!("Person {i}")).collect::<Vec<_>>()
    );
    let found = get(&api, "/api/v1/contacts?search=8123%204503", &alice).await;
    assert_eq!(found.json["items"][0]["name"], "Person 3");
    assert_eq!(found.json["items"].as_array().unwrap().len(), 1);

    for (path, code) in [
        ("/api/v1/contacts?cursor=garbage", "BadCursor"),
        ("/api/v1/contacts?limit=0", "InvalidQuery"),
        ("/api/v1/contacts?limit=1000", "InvalidQuery"),
        ("/api/v1/contacts?limit=two", "InvalidQuery"),
        ("/api/v1/contacts?favourites=maybe", "InvalidQuery"),
        ("/api/v1/calls?filter=missed", "InvalidQuery"),
        ("/api/v1/calls?cursor=%%%", "BadCursor"),
        ("/api/v1/recordings?cursor=garbage", "BadCursor"),
    ] {
        let reply = get(&api, path, &alice).await;
        assert_problem(&reply, StatusCode::BAD_REQUEST, code);
    }
}

#[tokio::test]
async fn bad_bodies_are_problems_and_change_nothing() {
    let api = api().await;
    let (alice, _, sub) = user(&api, "alice@example.com").await;
    let post = |body: Body, content_type: Option<&str>| {
        let mut r = request("POST", "/api/v1/contacts", Some(&alice));
        if let Some(t) = content_type {
            r = r.header(header::CONTENT_TYPE, t);
        }
        r.body(body).unwrap()
    };
    let cases = [
        (
            post(Body::from("{\"name\": "), Some("application/json")),
            StatusCode::BAD_REQUEST,
            "MalformedJson",
        ),
        (
            post(Body::from("[1, 2]"), Some("application/json")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "InvalidBody",
        ),
        (
            post(
                Body::from(json!({"name": "A", "numbers": [], "admin": true}).to_string()),
                Some("application/json"),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            "InvalidBody",
        ),
        (
            post(Body::from(ana().to_string()), Some("text/plain")),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
        ),
        (
            post(Body::from(ana().to_string()), None),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
        ),
        (
            post(
                Body::from(format!(
                    "{{\"name\": \"{}\", \"numbers\": []}}",
                    "x".repeat(server::rest::MAX_BODY_BYTES)
                )),
                Some("application/json"),
            ),
            StatusCode::PAYLOAD_TOO_LARGE,
            "BodyTooLarge",
        ),
    ];
    for (request, status, code) in cases {
        let reply = send(&api, request).await;
        assert_problem(&reply, status, code);
    }
    let stored = api
        .store
        .list_contacts(&sub, &Default::default(), None, 10)
        .await
        .unwrap();
    assert!(stored.items.is_empty(), "nothing was stored");
}
