//! Cognito identity against moto's cognito-idp: the whole account cycle through the adapter,
//! tokens that must be refused (another pool, another app client, an ID token, an expired
//! token signed with the pool's own key), and the same cycle through the real server binary's
//! server functions with Cognito and DynamoDB behind it.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/moto.rs"]
mod moto;

use std::sync::Arc;

use app::api::ports::{
    AuthError, ClientAddr, ContactStore, Identity, ResetDelivery, SignUpNext, Store,
};
use serde_json::{json, Value};
use server::clock::SystemClock;
use server::identity::{CognitoIdentity, CognitoSettings};
use server::store::SqliteStore;

const PASSWORD: &str = "Corr3ct-horse!";

fn from() -> ClientAddr {
    ClientAddr("192.0.2.10".parse().unwrap())
}

fn settings(moto: &moto::Moto, pool_id: &str, client_id: &str) -> CognitoSettings {
    let mut s = CognitoSettings::new(pool_id, client_id);
    // moto's tokens name the real AWS issuer; its keys are at its own address.
    s.jwks_url = format!("{}/{pool_id}/.well-known/jwks.json", moto.endpoint);
    s
}

async fn cognito_identity(
    moto: &moto::Moto,
    pool_id: &str,
    client_id: &str,
) -> (CognitoIdentity, Arc<dyn Store>) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let identity = CognitoIdentity::with_client(
        moto::cognito_client(&moto.endpoint),
        settings(moto, pool_id, client_id),
        store.clone(),
        Arc::new(SystemClock),
    )
    .unwrap();
    (identity, store)
}

/// Signs up and confirms (moto takes any code that is not one of its own).
async fn confirmed_user(identity: &CognitoIdentity, email: &str) {
    identity.sign_up(email, PASSWORD, from()).await.unwrap();
    identity
        .confirm_sign_up(email, "123456", from())
        .await
        .unwrap();
}

#[tokio::test]
async fn the_account_cycle_through_the_cognito_adapter() {
    let moto = moto::moto();
    let (pool_id, client_id) = moto::user_pool(&moto.endpoint).await;
    let (identity, store) = cognito_identity(&moto, &pool_id, &client_id).await;
    assert_eq!(identity.kind(), "cognito");
    identity.ping().await.expect("the pool's JWKS is reachable");

    // Sign-up asks for the emailed code; signing in before it is refused as unconfirmed.
    let next = identity
        .sign_up("Agent@Example.com", PASSWORD, from())
        .await
        .unwrap();
    assert!(
        matches!(next, SignUpNext::ConfirmCode { ref destination } if !destination.is_empty()),
        "{next:?}"
    );
    assert_eq!(
        identity
            .sign_in("agent@example.com", PASSWORD, from())
            .await,
        Err(AuthError::NotConfirmed)
    );
    // A taken email gets the very answer a free one got (no enumeration).
    assert_eq!(
        identity
            .sign_up("agent@example.com", PASSWORD, from())
            .await,
        Ok(next.clone())
    );
    assert_eq!(
        identity
            .sign_up("fresh@example.com", PASSWORD, from())
            .await,
        Ok(SignUpNext::ConfirmCode {
            destination: app::domain::auth::mask_email("fresh@example.com")
        })
    );
    assert_eq!(
        next,
        SignUpNext::ConfirmCode {
            destination: app::domain::auth::mask_email("agent@example.com")
        }
    );
    assert!(matches!(
        identity.sign_up("b@example.com", "weak", from()).await,
        Err(AuthError::WeakPassword(p)) if p.len() >= 3
    ));
    // (moto has no ResendConfirmationCode: answering 500, it cannot be exercised here.)
    identity
        .confirm_sign_up("agent@example.com", "123456", from())
        .await
        .unwrap();

    // Sign-in: tokens, and the principal with the email Cognito holds.
    let tokens = identity
        .sign_in("agent@example.com", PASSWORD, from())
        .await
        .unwrap();
    assert!(tokens.refresh_token.is_some());
    assert_eq!(tokens.expires_in, 3600);
    let me = identity.verify_access(&tokens.access_token).await.unwrap();
    assert_eq!(me.email, "agent@example.com");
    assert!(me.groups.is_empty() && !me.is_admin());
    assert_eq!(
        identity
            .sign_in("agent@example.com", "Wr0ng-horse!", from())
            .await,
        Err(AuthError::InvalidCredentials)
    );
    assert_eq!(
        identity
            .sign_in("nobody@example.com", PASSWORD, from())
            .await,
        Err(AuthError::InvalidCredentials),
        "an unknown account reads like a wrong password"
    );

    // Groups are roles.
    moto::cognito_client(&moto.endpoint)
        .admin_add_user_to_group()
        .user_pool_id(&pool_id)
        .username(&me.sub)
        .group_name("admin")
        .send()
        .await
        .unwrap();
    let admin_tokens = identity
        .sign_in("agent@example.com", PASSWORD, from())
        .await
        .unwrap();
    let admin = identity
        .verify_access(&admin_tokens.access_token)
        .await
        .unwrap();
    assert_eq!(admin.groups, ["admin"]);
    assert!(admin.is_admin());

    // Refresh gives a new access token for the same user.
    let refreshed = identity
        .refresh(tokens.refresh_token.as_deref().unwrap())
        .await
        .unwrap();
    assert_ne!(refreshed.access_token, tokens.access_token);
    assert_eq!(
        identity
            .verify_access(&refreshed.access_token)
            .await
            .unwrap()
            .sub,
        me.sub
    );
    assert_eq!(
        identity.refresh("not-a-refresh-token").await,
        Err(AuthError::SessionExpired)
    );

    // Sign-out everywhere: the access token (even one already checked) and the refresh
    // token stop working.
    identity
        .sign_out(&me, &refreshed.access_token)
        .await
        .unwrap();
    assert_eq!(
        identity.verify_access(&refreshed.access_token).await,
        Err(AuthError::SessionExpired)
    );
    assert_eq!(
        identity
            .refresh(tokens.refresh_token.as_deref().unwrap())
            .await,
        Err(AuthError::SessionExpired)
    );

    // Password reset: the code goes by email; a wrong code is refused.
    assert_eq!(
        identity
            .forgot_password("agent@example.com", from())
            .await
            .unwrap(),
        ResetDelivery::Email
    );
    assert_eq!(
        identity
            .forgot_password("nobody@example.com", from())
            .await
            .unwrap(),
        ResetDelivery::Email,
        "the same answer for an unknown account"
    );
    assert_eq!(
        identity
            .confirm_forgot_password(
                "agent@example.com",
                "moto-confirmation-code:wrong",
                "N3w-horse-staple",
                from()
            )
            .await,
        Err(AuthError::InvalidResetCode)
    );

    // The trail is in the store, under the user's sub.
    let actions: Vec<String> = store
        .list_audit(&me.sub, 20)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in ["sign_up", "sign_in", "sign_out"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

#[tokio::test]
async fn an_account_disabled_by_an_administrator_is_refused_by_cognito_and_the_store() {
    use server::identity::admin::{set_disabled, UsersError};

    let moto = moto::moto();
    let (pool_id, client_id) = moto::user_pool(&moto.endpoint).await;
    let (identity, store) = cognito_identity(&moto, &pool_id, &client_id).await;
    let cognito = moto::cognito_client(&moto.endpoint);
    confirmed_user(&identity, "ana@example.com").await;
    confirmed_user(&identity, "bob@example.com").await;
    let tokens = identity
        .sign_in("ana@example.com", PASSWORD, from())
        .await
        .unwrap();
    // Checked with Cognito once: remembered for a minute, which must not let it through.
    let ana = identity.verify_access(&tokens.access_token).await.unwrap();
    let bob = identity
        .sign_in("bob@example.com", PASSWORD, from())
        .await
        .unwrap();
    let enabled_at_cognito = || async {
        cognito
            .admin_get_user()
            .user_pool_id(&pool_id)
            .username(&ana.sub)
            .send()
            .await
            .unwrap()
            .enabled()
    };

    // A sub the pool does not have, or one that could not be a sub: not found, nothing kept.
    for unknown in ["6f9619ff-8b86-d011-b42d-00c04fc964ff", "x\" or sub ^= \""] {
        assert_eq!(
            set_disabled(store.as_ref(), &identity, unknown, true, 1, "cli").await,
            Err(UsersError::NoSuchAccount),
            "{unknown}"
        );
        assert_eq!(store.account_disabled(unknown).await.unwrap(), None);
    }

    let change = set_disabled(store.as_ref(), &identity, &ana.sub, true, 1_000, "cli")
        .await
        .unwrap();
    assert!(change.changed);
    assert!(!enabled_at_cognito().await, "disabled in the pool");
    assert_eq!(store.account_disabled(&ana.sub).await.unwrap(), Some(1_000));
    // The token minted before is refused at once, though it verifies for another hour.
    assert_eq!(
        identity.verify_access(&tokens.access_token).await,
        Err(AuthError::AccountDisabled)
    );
    assert!(identity
        .refresh(tokens.refresh_token.as_deref().unwrap())
        .await
        .is_err());
    assert_eq!(
        identity
            .sign_in("ana@example.com", PASSWORD, from())
            .await
            .err(),
        Some(AuthError::AccountDisabled)
    );
    // Another user goes on.
    identity.verify_access(&bob.access_token).await.unwrap();

    let change = set_disabled(store.as_ref(), &identity, &ana.sub, false, 2_000, "cli")
        .await
        .unwrap();
    assert!(change.changed);
    assert!(enabled_at_cognito().await, "enabled in the pool");
    let back = identity
        .sign_in("ana@example.com", PASSWORD, from())
        .await
        .unwrap();
    identity.verify_access(&back.access_token).await.unwrap();
    // The sign-in the disable ended stays ended.
    assert!(identity
        .refresh(tokens.refresh_token.as_deref().unwrap())
        .await
        .is_err());

    // Disabled in the store alone (Cognito was not told, or enabled it again there): the
    // store still refuses sign-in and tokens.
    store
        .set_account_disabled(&ana.sub, Some(3_000))
        .await
        .unwrap();
    assert_eq!(
        identity
            .sign_in("ana@example.com", PASSWORD, from())
            .await
            .err(),
        Some(AuthError::AccountDisabled)
    );
    assert_eq!(
        identity.verify_access(&back.access_token).await,
        Err(AuthError::AccountDisabled)
    );
    let actions: Vec<String> = store
        .list_audit(&ana.sub, 20)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in ["account_disabled", "account_enabled", "sign_in_refused"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

/// Signs `claims` with moto's own Cognito key (shipped inside moto), through moto's Python.
fn sign_with_motos_key(claims: &Value) -> String {
    let home = std::env::var("HOME").unwrap_or_default();
    let venv =
        std::env::var("MOTO_VENV").unwrap_or_else(|_| format!("{home}/.cache/softphone/moto"));
    let script = r#"
import json, sys
from joserfc import jwk, jwt
from moto.utilities.utils import load_resource
key = jwk.RSAKey.import_key(load_resource("cognitoidp/resources/jwks-private.json"))
print(jwt.encode({"kid": "dummy", "alg": "RS256"}, json.loads(sys.argv[1]), key))
"#;
    let out = std::process::Command::new(format!("{venv}/bin/python"))
        .args(["-c", script, &claims.to_string()])
        .output()
        .expect("moto's python");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[tokio::test]
async fn tokens_of_another_pool_or_client_id_tokens_and_expired_tokens_are_refused() {
    let moto = moto::moto();
    let (pool_id, client_id) = moto::user_pool(&moto.endpoint).await;
    let (identity, _) = cognito_identity(&moto, &pool_id, &client_id).await;
    confirmed_user(&identity, "agent@example.com").await;
    let good = identity
        .sign_in("agent@example.com", PASSWORD, from())
        .await
        .unwrap();
    let me = identity.verify_access(&good.access_token).await.unwrap();

    // The same user through another app client of the same pool.
    let other_client = moto::app_client(&moto.endpoint, &pool_id).await;
    let (via_other_client, _) = cognito_identity(&moto, &pool_id, &other_client).await;
    let foreign_client = via_other_client
        .sign_in("agent@example.com", PASSWORD, from())
        .await
        .unwrap();
    // Another pool entirely (moto signs every pool with the same key).
    let (other_pool, other_pool_client) = moto::user_pool(&moto.endpoint).await;
    let (in_other_pool, _) = cognito_identity(&moto, &other_pool, &other_pool_client).await;
    confirmed_user(&in_other_pool, "agent@example.com").await;
    let foreign_pool = in_other_pool
        .sign_in("agent@example.com", PASSWORD, from())
        .await
        .unwrap();

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let expired = sign_with_motos_key(&json!({
        "sub": me.sub, "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"),
        "client_id": client_id, "token_use": "access", "scope": "aws.cognito.signin.user.admin",
        "auth_time": now - 7200, "iat": now - 7200, "exp": now - 3600,
        "jti": "j", "origin_jti": "o", "username": me.sub,
    }));

    for (what, token) in [
        ("another app client", foreign_client.access_token.as_str()),
        ("another pool", foreign_pool.access_token.as_str()),
        ("an ID token", good.id_token.as_str()),
        ("an expired token", expired.as_str()),
        ("garbage", "not.a.token"),
    ] {
        let result = identity.verify_access(token).await;
        assert!(
            matches!(
                result,
                Err(AuthError::InvalidToken(_) | AuthError::SessionExpired)
            ),
            "{what}: {result:?}"
        );
    }
    // The control: the key signs tokens this verifier does accept when all else is right.
    let fresh = sign_with_motos_key(&json!({
        "sub": me.sub, "iss": format!("https://cognito-idp.us-east-1.amazonaws.com/{pool_id}"),
        "client_id": client_id, "token_use": "access", "scope": "aws.cognito.signin.user.admin",
        "auth_time": now, "iat": now, "exp": now + 600,
        "jti": "j", "origin_jti": "o", "username": me.sub,
    }));
    assert!(matches!(
        identity.verify_access(&fresh).await,
        // Signature and claims pass; Cognito itself does not know this token.
        Err(AuthError::SessionExpired)
    ));
    assert!(identity.verify_access(&good.access_token).await.is_ok());
}

async fn post(
    port: u16,
    cookie: Option<&str>,
    path: &str,
    body: Value,
) -> (u16, Vec<String>, Value) {
    let (status, cookies, bytes) = binary::http(port, "POST", path, cookie, Some(&body))
        .await
        .unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, cookies, value)
}

fn cookie_named<'a>(cookies: &'a [String], name: &str) -> Option<&'a str> {
    cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")) && c.len() > name.len() + 1)
        .map(String::as_str)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_functions_run_on_cognito_and_dynamodb() {
    let moto = moto::moto();
    let (pool_id, client_id) = moto::user_pool(&moto.endpoint).await;
    let table = format!("softphone-test-{}", uuid::Uuid::new_v4());
    server::store::DynamoStore::with_client(moto::dynamodb_client(&moto.endpoint), &table)
        .create_table()
        .await
        .unwrap();
    let data = std::env::temp_dir().join(format!("softphone-cognito-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data).unwrap();
    let jwks = format!("{}/{pool_id}/.well-known/jwks.json", moto.endpoint);
    let port = binary::free_port();
    let _server = binary::start_server(
        &data,
        port,
        &[
            ("AWS_ENDPOINT_URL", &moto.endpoint),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("SOFTPHONE_STORE", "dynamodb"),
            ("SOFTPHONE_DYNAMODB_TABLE", &table),
            ("SOFTPHONE_IDENTITY", "cognito"),
            ("SOFTPHONE_COGNITO_USER_POOL_ID", &pool_id),
            ("SOFTPHONE_COGNITO_CLIENT_ID", &client_id),
            ("SOFTPHONE_COGNITO_JWKS_URL", &jwks),
        ],
    )
    .await;

    let (status, _, ready) = binary::http(port, "GET", "/readyz", None, None)
        .await
        .map(|(s, c, b)| (s, c, serde_json::from_slice::<Value>(&b).unwrap()))
        .unwrap();
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["store_kind"], "dynamodb");
    assert_eq!(ready["identity_kind"], "cognito");
    assert_eq!(ready["identity"], "ok");
    let (status, _, _) = binary::http(port, "GET", "/.well-known/jwks.json", None, None)
        .await
        .unwrap();
    assert_eq!(status, 404, "no local keys are published with Cognito");

    let account = json!({"email": "agent@example.com", "password": PASSWORD, "confirm": PASSWORD});
    let (status, cookies, body) = post(port, None, "/api/auth/sign_up", account.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["ConfirmCode"]["destination"].is_string(), "{body}");
    assert!(
        cookie_named(&cookies, "sp_access").is_none(),
        "not signed in yet"
    );

    let sign_in = json!({"email": "agent@example.com", "password": PASSWORD});
    let (status, _, body) = post(port, None, "/api/auth/sign_in", sign_in.clone()).await;
    assert_eq!(
        (status, body.clone()),
        (403, json!("NotConfirmed")),
        "{body}"
    );

    let (status, cookies, body) = post(
        port,
        None,
        "/api/auth/confirm_sign_up",
        json!({"email": "agent@example.com", "code": "123456", "password": PASSWORD}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "agent@example.com");
    let access = cookie_named(&cookies, "sp_access")
        .expect("access cookie")
        .to_string();
    let refresh = cookie_named(&cookies, "sp_refresh")
        .expect("refresh cookie")
        .to_string();
    let session = cookies.join("; ");

    // Contacts are stored in DynamoDB and read back through the same server functions.
    let (status, _, saved) = post(
        port,
        Some(&session),
        "/api/contacts/save",
        json!({"id": null, "expected_version": null, "default_country": null, "draft": {
            "name": "Ana Pérez", "company": "Banco", "notes": "", "favourite": false,
            "numbers": [{"label": "mobile", "input": "+507 6123 4567"}]}}),
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    let (status, _, list) = post(
        port,
        Some(&session),
        "/api/contacts/list",
        json!({"search": "ana", "favourites_only": false, "cursor": null}),
    )
    .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["items"][0]["id"], saved["id"], "{list}");
    let store =
        server::store::DynamoStore::with_client(moto::dynamodb_client(&moto.endpoint), &table);
    let sub = cognito_identity(&moto, &pool_id, &client_id)
        .await
        .0
        .verify_access(access.trim_start_matches("sp_access="))
        .await
        .unwrap()
        .sub;
    assert_eq!(
        store
            .get_contact(&sub, saved["id"].as_str().unwrap())
            .await
            .unwrap()
            .map(|c| c.name),
        Some("Ana Pérez".into())
    );

    // The refresh cookie alone signs the browser back in.
    let (status, cookies, body) = post(port, Some(&refresh), "/api/account", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["email"], "agent@example.com");
    assert!(
        cookie_named(&cookies, "sp_access").is_some(),
        "a new access token"
    );

    // Sign out everywhere: neither the old access token nor the refresh token works after.
    let (status, _, body) = post(port, Some(&session), "/api/auth/sign_out", json!({})).await;
    assert_eq!(status, 200, "{body}");
    let (_, _, body) = post(port, Some(&access), "/api/account", json!({})).await;
    assert_eq!(body, Value::Null, "the revoked access token is refused");
    let (_, _, body) = post(port, Some(&refresh), "/api/account", json!({})).await;
    assert_eq!(body, Value::Null, "the revoked refresh token is refused");
    let _ = std::fs::remove_dir_all(&data);
}
