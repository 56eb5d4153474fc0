//! Who may sign up and when a new account may dial, through the real server binary and its
//! command line (`docs/security.md`, "Toll fraud"): `SOFTPHONE_SIGNUP=domains` refuses other
//! domains; `SOFTPHONE_SIGNUP=invite` admits only an invitation from `server users invite`,
//! once, for its email, and refuses everyone else with the same answer whether or not the email
//! has an account; `SOFTPHONE_SIGNUP_APPROVAL=admin` lets a new account sign in but refuses its
//! calls with `AwaitingApproval` until `server users approve`.

#[path = "common/binary.rs"]
mod binary;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use binary::{free_port, http, start_server};
use serde_json::{json, Value};

const PASSWORD: &str = "Corr3ct-horse!";

fn data_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("softphone-signup-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `server <args>` on the running server's data directory (none of the developer's settings).
fn cli(data: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command.current_dir(data).args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("SOFTPHONE_") || name.starts_with("LEPTOS_") {
            command.env_remove(name);
        }
    }
    command
        .env("SOFTPHONE_DATA_DIR", data)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

/// Status, cookies and JSON body of one sign-up.
async fn sign_up(port: u16, email: &str, invite: Option<&str>) -> (u16, Vec<String>, Value) {
    let mut body = json!({"email": email, "password": PASSWORD, "confirm": PASSWORD});
    if let Some(code) = invite {
        body["invite"] = json!(code);
    }
    let (status, cookies, bytes) = http(port, "POST", "/api/auth/sign_up", None, Some(&body))
        .await
        .unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, cookies, body)
}

fn has_session(cookies: &[String]) -> bool {
    cookies
        .iter()
        .any(|c| c.starts_with(&format!("{}=", app::cookies::ACCESS)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_listed_domains_sign_up() {
    let data = data_dir();
    let port = free_port();
    let env = [
        ("SOFTPHONE_SIGNUP", "domains"),
        ("SOFTPHONE_SIGNUP_DOMAINS", "example.com"),
    ];
    let _server = start_server(&data, port, &env).await;
    let (status, cookies, body) = sign_up(port, "agent@example.com", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(has_session(&cookies));
    for other in [
        "agent@example.org",
        "agent@sub.example.com",
        "agent@example.com.evil.net",
    ] {
        let (status, cookies, body) = sign_up(port, other, None).await;
        assert_eq!(
            (status, body),
            (403, json!("SignUpDomainNotAllowed")),
            "{other}"
        );
        assert!(!has_session(&cookies));
    }
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invitation_signs_up_its_email_once_and_refusals_do_not_tell_accounts_apart() {
    let data = data_dir();
    let port = free_port();
    let env = [("SOFTPHONE_SIGNUP", "invite")];
    let _server = start_server(&data, port, &env).await;
    // No invitation, no account.
    let (status, cookies, body) = sign_up(port, "first@example.com", None).await;
    assert_eq!((status, body), (403, json!("InvitationRequired")));
    assert!(!has_session(&cookies));

    let output = cli(&data, &env, &["users", "invite", " First@Example.com "]);
    assert!(output.status.success(), "{output:?}");
    let printed = String::from_utf8_lossy(&output.stdout).into_owned();
    let link = printed
        .lines()
        .find(|l| l.contains("/signup#invite="))
        .unwrap_or_else(|| panic!("no link in {printed}"));
    let code =
        app::domain::auth::fragment_param(link.split_once('#').unwrap().1, "invite").unwrap();
    assert!(code.len() >= 22, "{code}");
    assert!(
        !String::from_utf8_lossy(&output.stderr).contains(&code),
        "the code went to the command's log: {output:?}"
    );
    // Another email cannot use it, nor a wrong code; neither uses it up.
    let (status, _, body) = sign_up(port, "second@example.com", Some(&code)).await;
    assert_eq!((status, body), (403, json!("InvitationRequired")));
    let (status, _, body) = sign_up(port, "first@example.com", Some("wrong-code")).await;
    assert_eq!((status, body), (403, json!("InvitationRequired")));
    let (status, cookies, body) = sign_up(port, "first@example.com", Some(&code)).await;
    assert_eq!(status, 200, "{body}");
    assert!(has_session(&cookies), "signed in with the invitation");
    // Used up.
    let (status, _, body) = sign_up(port, "first@example.com", Some(&code)).await;
    assert_eq!((status, body), (403, json!("InvitationRequired")));

    // No enumeration: without an invitation, an email with an account and one without get the
    // very same answer.
    let known = sign_up(port, "first@example.com", None).await;
    let unknown = sign_up(port, "nobody@example.com", None).await;
    assert_eq!((known.0, &known.2), (unknown.0, &unknown.2));
    assert_eq!(known.0, 403);
    let log = std::fs::read_to_string(data.join("server.log")).unwrap();
    assert!(!log.contains(&code), "the code is in the server log");
    assert!(!log.contains("first@example.com"), "an email is in the log");
    let _ = std::fs::remove_dir_all(&data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_account_dials_only_once_an_administrator_approved_it() {
    let data = data_dir();
    let port = free_port();
    let env = [("SOFTPHONE_SIGNUP_APPROVAL", "admin")];
    let _server = start_server(&data, port, &env).await;
    let (status, cookies, body) = sign_up(port, "new@example.com", None).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        has_session(&cookies),
        "an account awaiting approval signs in"
    );
    let cookie = cookies.join("; ");
    let start = json!({"input": "+6560000001", "default_country": null, "connection": 0});
    let (status, _, bytes) = http(
        port,
        "POST",
        "/api/calls/start",
        Some(&cookie),
        Some(&start),
    )
    .await
    .unwrap();
    let error: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    assert_eq!((status, error), (403, json!("AwaitingApproval")));

    // Approving something else, then the account.
    let output = cli(&data, &env, &["users", "approve", "nobody@example.com"]);
    assert!(!output.status.success(), "{output:?}");
    let output = cli(&data, &env, &["users", "approve", "new@example.com"]);
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("approved"),
        "{output:?}"
    );
    let output = cli(&data, &env, &["users", "approve", "new@example.com"]);
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("not waiting for approval"),
        "{output:?}"
    );
    let (status, _, bytes) = http(
        port,
        "POST",
        "/api/calls/start",
        Some(&cookie),
        Some(&start),
    )
    .await
    .unwrap();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    let _ = std::fs::remove_dir_all(&data);
}
