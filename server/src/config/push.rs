//! Missed-call push notifications (Web Push): the server's VAPID key and the contact push
//! services see (`README.md`, "Push notifications").

use super::Secret;

#[derive(clap::Args, Debug)]
#[command(next_help_heading = "Push notifications")]
pub(super) struct PushArgs {
    /// The VAPID private key push notifications are signed with: the raw P-256 key, base64url
    /// (what `npx web-push generate-vapid-keys` prints as the private key). Every server on one
    /// store needs the same one (in AWS: a Secrets Manager secret or SSM SecureString injected as
    /// this variable) [default: generated once into <SOFTPHONE_DATA_DIR>/push/vapid-private-key
    /// with the SQLite store; none, push off, with DynamoDB]
    #[arg(
        long,
        env = "SOFTPHONE_VAPID_PRIVATE_KEY",
        value_name = "KEY",
        hide_env_values = true
    )]
    vapid_private_key: Option<Secret<String>>,
    /// How push services reach the operator (the token's `sub`): a mailto: or https: URL
    /// [default: SOFTPHONE_PUBLIC_URL]
    #[arg(long, env = "SOFTPHONE_VAPID_SUBJECT", value_name = "URL", value_parser = subject)]
    vapid_subject: Option<String>,
    /// Tests only: also take subscriptions whose endpoint is plain http on 127.0.0.1 (a fake
    /// push service)
    #[arg(long, env = "SOFTPHONE_PUSH_TEST_LOOPBACK", value_name = "BOOL", default_value_t = false,
          action = clap::ArgAction::Set)]
    push_test_loopback: bool,
}

fn subject(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    let ok = (text.starts_with("mailto:")
        || text.starts_with("https://")
        || text.starts_with("http://"))
        && !text.contains(char::is_whitespace);
    if ok {
        Ok(text.into())
    } else {
        Err("a mailto: or https:// URL such as mailto:ops@example.com")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushConfig {
    /// `SOFTPHONE_VAPID_PRIVATE_KEY`; none: the one in the data directory (SQLite) or push off.
    pub vapid_private_key: Option<Secret<String>>,
    pub subject: String,
    pub test_loopback: bool,
}

impl PushArgs {
    pub(super) fn resolve(self, public_url: &str) -> PushConfig {
        PushConfig {
            vapid_private_key: self
                .vapid_private_key
                .filter(|k| !k.expose().trim().is_empty()),
            subject: self.vapid_subject.unwrap_or_else(|| public_url.to_string()),
            test_loopback: self.push_test_loopback,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::config;

    #[test]
    fn the_subject_defaults_to_the_public_url_and_is_checked() {
        let c = config(&[("SOFTPHONE_PUBLIC_URL", "https://phone.example.com")]).unwrap();
        assert_eq!(c.push.subject, "https://phone.example.com");
        assert!(c.push.vapid_private_key.is_none());
        assert!(!c.push.test_loopback);
        let c = config(&[
            ("SOFTPHONE_VAPID_SUBJECT", "mailto:ops@example.com"),
            ("SOFTPHONE_VAPID_PRIVATE_KEY", "abc"),
            ("SOFTPHONE_PUSH_TEST_LOOPBACK", "true"),
        ])
        .unwrap();
        assert_eq!(c.push.subject, "mailto:ops@example.com");
        assert_eq!(c.push.vapid_private_key.unwrap().expose(), "abc");
        assert!(c.push.test_loopback);
        let e = config(&[("SOFTPHONE_VAPID_SUBJECT", "ops@example.com")]).unwrap_err();
        assert!(e.to_string().contains("SOFTPHONE_VAPID_SUBJECT"), "{e}");
    }
}
