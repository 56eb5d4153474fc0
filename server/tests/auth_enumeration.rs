//! No account enumeration (local identity): every step that takes an email — sign-up,
//! confirming it, resending the code, forgot password, setting a new one with a code, and
//! signing in — answers an email that has an account exactly as one that has none, and in
//! about the same time (the password-hash work is done on both paths).

use std::sync::Arc;
use std::time::{Duration, Instant};

use app::api::ports::{ClientAddr, Identity, Store};
use app::domain::sign_in_guard::SignUpLimits;
use server::identity::{LocalIdentity, LocalIdentityConfig, SigningKey};
use server::store::SqliteStore;

const TRIES: usize = 10;
const PASSWORD: &str = "Corr3ct-horse";

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Each step's answer (as text, so different result types compare alike) and time.
async fn steps(identity: &LocalIdentity, email: &str, from: ClientAddr) -> Vec<(String, Duration)> {
    let mut out = Vec::new();
    macro_rules! step {
        ($call:expr) => {{
            let started = Instant::now();
            let answer = format!("{:?}", $call.await);
            out.push((answer, started.elapsed()));
        }};
    }
    step!(identity.confirm_sign_up(email, "123456", from));
    step!(identity.resend_confirmation(email, from));
    step!(identity.forgot_password(email, from));
    step!(identity.confirm_forgot_password(email, "Zm9vYmFyYmF6cXV4", "N3w-passw0rd!", from));
    step!(identity.sign_in(email, "Wr0ng-passw0rd!", from));
    // Last: for the unknown email this creates the account.
    step!(identity.sign_up(email, "An0ther-passw0rd!", from));
    out
}

const STEP_NAMES: [&str; 6] = [
    "confirm_sign_up",
    "resend_confirmation",
    "forgot_password",
    "confirm_forgot_password",
    "sign_in",
    "sign_up",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn known_and_unknown_emails_get_the_same_answers_in_about_the_same_time() {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let (key, _) = SigningKey::generate().unwrap();
    // Sign-up limits out of the way: this test is about the answers, not the throttle.
    let config = LocalIdentityConfig {
        sign_up: SignUpLimits {
            per_address: 1000,
            global: 1000,
            window: Duration::from_secs(3600),
        },
        ..LocalIdentityConfig::new("http://127.0.0.1:3000".into())
    };
    let identity = LocalIdentity::new(
        config,
        store.clone(),
        Arc::new(server::clock::SystemClock),
        Arc::new(key),
    )
    .await
    .unwrap();
    // Both kinds mask to `k***@example.com`, so even the masked destinations compare.
    let known = |i: usize| format!("kate{i}@example.com");
    let unknown = |i: usize| format!("kim{i}@example.com");
    for i in 0..TRIES {
        identity
            .sign_up(
                &known(i),
                PASSWORD,
                ClientAddr("198.51.100.1".parse().unwrap()),
            )
            .await
            .unwrap();
        assert!(store.user_by_email(&known(i)).await.unwrap().is_some());
        assert!(store.user_by_email(&unknown(i)).await.unwrap().is_none());
    }

    let mut times = vec![(Vec::new(), Vec::new()); STEP_NAMES.len()];
    for i in 0..TRIES {
        // An address per try, so the per-address throttle is the same for both.
        let from = |n: usize| ClientAddr(format!("192.0.2.{}", 2 * i + n).parse().unwrap());
        // Alternate which goes first, so a warm cache favours neither.
        let (k, u) = if i % 2 == 0 {
            let k = steps(&identity, &known(i), from(0)).await;
            (k, steps(&identity, &unknown(i), from(1)).await)
        } else {
            let u = steps(&identity, &unknown(i), from(1)).await;
            (steps(&identity, &known(i), from(0)).await, u)
        };
        for (n, ((ka, kt), (ua, ut))) in k.into_iter().zip(u).enumerate() {
            assert_eq!(ka, ua, "{} answers differ", STEP_NAMES[n]);
            times[n].0.push(kt);
            times[n].1.push(ut);
        }
    }
    // The unknown emails got accounts (sign-up really ran), the known kept their password.
    assert!(store.user_by_email(&unknown(0)).await.unwrap().is_some());
    assert!(identity
        .sign_in(
            &known(0),
            PASSWORD,
            ClientAddr("198.51.100.2".parse().unwrap())
        )
        .await
        .is_ok());

    for (n, (k, u)) in times.into_iter().enumerate() {
        let (k, u) = (median(k), median(u));
        let ratio = k.as_secs_f64() / u.as_secs_f64().max(1e-9);
        eprintln!(
            "{}: known {k:?}, unknown {u:?}, ratio {ratio:.2}",
            STEP_NAMES[n]
        );
        // Steps with no hashing take microseconds, where scheduling noise is the difference;
        // a password hash takes tens of milliseconds, so a path that skips it fails here.
        let both_quick = k < Duration::from_millis(2) && u < Duration::from_millis(2);
        assert!(
            both_quick || (0.5..=2.0).contains(&ratio),
            "{}: known {k:?} vs unknown {u:?}",
            STEP_NAMES[n]
        );
    }
}
