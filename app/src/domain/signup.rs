//! Who may create an account (`SOFTPHONE_SIGNUP`) and whether a new account may dial at once
//! (`SOFTPHONE_SIGNUP_APPROVAL`): plain rules over a normalised email, the same for every
//! identity provider.

use serde::{Deserialize, Serialize};

/// Who may sign up.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "mode", content = "domains")]
pub enum SignUpMode {
    /// Anyone (the sign-up throttle still applies).
    #[default]
    Open,
    /// Emails of these domains (lower case, no `@`); subdomains are other domains.
    Domains(Vec<String>),
    /// Only with an administrator's invitation (`server users invite <email>`).
    Invite,
}

/// The sign-up rules of a server.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignUpPolicy {
    pub mode: SignUpMode,
    /// New accounts may sign in but not dial until an administrator approves them.
    pub approval_required: bool,
}

/// Why a sign-up is refused before any account is looked at (so the answer never depends on
/// whether the email has one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignUpRefusal {
    /// The email's domain is not one of the allowed ones.
    DomainNotAllowed,
    /// Invitation-only, and no valid invitation for this email came with the request.
    InvitationRequired,
}

impl SignUpPolicy {
    /// Whether `email` (already normalised: lower case, one `@`) may sign up, given whether a
    /// valid invitation for it came with the request (looked at only in invitation mode).
    pub fn admits(&self, email: &str, invited: bool) -> Result<(), SignUpRefusal> {
        match &self.mode {
            SignUpMode::Open => Ok(()),
            SignUpMode::Domains(domains) => {
                let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
                if domains.iter().any(|d| d == domain) {
                    Ok(())
                } else {
                    Err(SignUpRefusal::DomainNotAllowed)
                }
            }
            SignUpMode::Invite if invited => Ok(()),
            SignUpMode::Invite => Err(SignUpRefusal::InvitationRequired),
        }
    }
}

/// A domain list as written in `SOFTPHONE_SIGNUP_DOMAINS` (`example.com, @Example.org`): lower
/// case, without a leading `@`, empty entries dropped; `Err` names an entry that is no domain.
pub fn parse_domains(list: &[String]) -> Result<Vec<String>, String> {
    let mut domains = Vec::new();
    for entry in list {
        let domain = entry.trim().trim_start_matches('@').to_ascii_lowercase();
        if domain.is_empty() {
            continue;
        }
        let valid = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
        if !valid {
            return Err(entry.trim().to_string());
        }
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    Ok(domains)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_admits_anyone() {
        let policy = SignUpPolicy::default();
        assert_eq!(policy.admits("a@anywhere.net", false), Ok(()));
    }

    #[test]
    fn domains_admit_exactly_the_listed_domains() {
        let policy = SignUpPolicy {
            mode: SignUpMode::Domains(vec!["example.com".into(), "example.org".into()]),
            approval_required: false,
        };
        for ok in ["a@example.com", "b@example.org"] {
            assert_eq!(policy.admits(ok, false), Ok(()), "{ok}");
        }
        for refused in [
            "a@sub.example.com",
            "a@example.com.evil.net",
            "a@evilexample.com",
            "a@example.net",
            "no-at-sign",
        ] {
            assert_eq!(
                policy.admits(refused, true),
                Err(SignUpRefusal::DomainNotAllowed),
                "{refused}"
            );
        }
    }

    #[test]
    fn invite_mode_needs_the_invitation() {
        let policy = SignUpPolicy {
            mode: SignUpMode::Invite,
            approval_required: true,
        };
        assert_eq!(policy.admits("a@example.com", true), Ok(()));
        assert_eq!(
            policy.admits("a@example.com", false),
            Err(SignUpRefusal::InvitationRequired)
        );
    }

    #[test]
    fn domain_lists_are_normalised_and_checked() {
        let list = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            parse_domains(&list(&[" Example.COM", "@example.org", "", "example.com"])),
            Ok(vec!["example.com".to_string(), "example.org".to_string()])
        );
        for bad in ["localhost", "exa mple.com", ".example.com", "a@b.com"] {
            assert_eq!(parse_domains(&list(&[bad])), Err(bad.to_string()), "{bad}");
        }
    }
}
