//! Requests for files that are the same for everyone (the bundle, the service worker, icons,
//! sounds) neither renew nor end the session (`docs/security.md`, "Web and sessions"), against
//! the real server binary. A service worker installing in the background while the page renews
//! its access token used to spend the refresh token, or, carrying a stale one, clear the
//! session's cookies; the page's own request then raced it.

#[path = "common/binary.rs"]
mod binary;

use binary::{free_port, http, start_server};
use serde_json::json;

const PASSWORD: &str = "Corr3ct-horse!";
const STATIC_FILES: &[&str] = &[
    "/sw.js",
    "/manifest.webmanifest",
    "/offline.html",
    "/favicon.ico",
    "/pkg/softphone.js",
    "/icons/icon-192.png",
    "/sounds/ringtone.wav",
    "/chime/amazon-chime-sdk.min.js",
];

/// The cookies' names only: a failure prints no token.
fn names(set: &[String]) -> Vec<&str> {
    set.iter().filter_map(|c| c.split('=').next()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_neither_renew_nor_end_the_session() {
    let data = std::env::temp_dir().join(format!("softphone-static-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&data).unwrap();
    let port = free_port();
    let _server = start_server(&data, port, &[]).await;
    let account = json!({"email": "static@example.com", "password": PASSWORD, "confirm": PASSWORD});
    let (status, cookies, _) = http(port, "POST", "/api/auth/sign_up", None, Some(&account))
        .await
        .unwrap();
    assert_eq!(status, 200);
    let refresh = cookies
        .iter()
        .find(|c| c.starts_with("sp_refresh="))
        .expect("a refresh cookie")
        .clone();

    // The access token gone (expired), the refresh token still good: no file renews with it.
    for path in STATIC_FILES {
        let (_, set, _) = http(port, "GET", path, Some(&refresh), None).await.unwrap();
        assert!(set.is_empty(), "{path} set {:?}", names(&set));
        // A stale or forged one clears nothing either.
        let (_, set, _) = http(port, "GET", path, Some("sp_refresh=forged"), None)
            .await
            .unwrap();
        assert!(set.is_empty(), "{path} set {:?}", names(&set));
    }

    // The refresh token was not spent: the page renews the session with it, once.
    let (status, set, _) = http(port, "GET", "/contacts", Some(&refresh), None)
        .await
        .unwrap();
    assert_eq!(status, 200, "{:?}", names(&set));
    assert!(
        set.iter()
            .any(|c| c.starts_with("sp_access=") && c.len() > 40),
        "{:?}",
        names(&set)
    );
    assert!(
        set.iter()
            .any(|c| c.starts_with("sp_refresh=") && *c != refresh),
        "{:?}",
        names(&set)
    );

    // A page still needs the session: a forged refresh token sends it to sign-in and is cleared.
    let (status, set, _) = http(port, "GET", "/contacts", Some("sp_refresh=forged"), None)
        .await
        .unwrap();
    assert_eq!(status, 303, "{:?}", names(&set));
    assert!(set.iter().any(|c| c == "sp_refresh="), "{:?}", names(&set));
    let _ = std::fs::remove_dir_all(&data);
}
