//! Account rules shared by the sign-up form and the server: email shape and Cognito's default
//! password policy, so the browser can say what is wrong before the server says it again.

use serde::{Deserialize, Serialize};

/// Cognito's default policy: at least 8 characters, with a lower-case letter, an upper-case
/// letter, a digit and a special character; no leading or trailing space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    NoLowercase,
    NoUppercase,
    NoDigit,
    NoSymbol,
    LeadingOrTrailingSpace,
}

pub const PASSWORD_MIN: usize = 8;
/// Cognito's own upper bound.
pub const PASSWORD_MAX: usize = 256;

/// The special characters Cognito counts (its documentation lists exactly these, plus space).
const SYMBOLS: &str = "^$*.[]{}()?-\"!@#%&/\\,><':;|_~`+= ";

/// Every rule the password breaks, in the order the form lists them.
pub fn password_problems(password: &str) -> Vec<PasswordProblem> {
    let mut problems = Vec::new();
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        problems.push(PasswordProblem::TooShort);
    }
    if len > PASSWORD_MAX {
        problems.push(PasswordProblem::TooLong);
    }
    if !password.chars().any(|c| c.is_lowercase()) {
        problems.push(PasswordProblem::NoLowercase);
    }
    if !password.chars().any(|c| c.is_uppercase()) {
        problems.push(PasswordProblem::NoUppercase);
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        problems.push(PasswordProblem::NoDigit);
    }
    let inner = password.trim_matches(' ');
    if !inner.chars().any(|c| SYMBOLS.contains(c)) {
        problems.push(PasswordProblem::NoSymbol);
    }
    if password.starts_with(' ') || password.ends_with(' ') {
        problems.push(PasswordProblem::LeadingOrTrailingSpace);
    }
    problems
}

/// Lower-cased, trimmed email address if it looks deliverable; `None` otherwise.
pub fn normalise_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    if email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = email.rsplit_once('@')?;
    let domain_ok = domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .split('.')
            .all(|label| !label.is_empty() && label.len() <= 63);
    (!local.is_empty() && local.len() <= 64 && !local.contains('@') && domain_ok).then_some(email)
}

/// `a***@example.com`: for logs, where addresses must not appear in full.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_string(),
    }
}

/// The value of `name` in an address fragment such as `#code=abc&x=1` (the leading `#` is
/// optional); `None` when it is absent or empty. Values are taken as they are (the reset code
/// is base64url, which needs no decoding).
pub fn fragment_param(fragment: &str, name: &str) -> Option<String> {
    fragment
        .trim_start_matches('#')
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cognito_default_policy() {
        assert!(password_problems("Str0ng!pass").is_empty());
        assert_eq!(password_problems("Sh0rt!"), vec![PasswordProblem::TooShort]);
        assert_eq!(
            password_problems("alllower1!"),
            vec![PasswordProblem::NoUppercase]
        );
        assert_eq!(
            password_problems("ALLUPPER1!"),
            vec![PasswordProblem::NoLowercase]
        );
        assert_eq!(
            password_problems("NoDigits!!"),
            vec![PasswordProblem::NoDigit]
        );
        assert_eq!(
            password_problems("NoSymbol12"),
            vec![PasswordProblem::NoSymbol]
        );
        assert_eq!(
            password_problems(" Lead1ngspace!"),
            vec![PasswordProblem::LeadingOrTrailingSpace]
        );
        // A space inside counts as a symbol, as in Cognito.
        assert!(password_problems("Has Space1").is_empty());
        assert!(password_problems(&format!("Aa1!{}", "x".repeat(300)))
            .contains(&PasswordProblem::TooLong));
    }

    #[test]
    fn emails() {
        assert_eq!(
            normalise_email("  Agent@Example.COM "),
            Some("agent@example.com".into())
        );
        assert_eq!(normalise_email("no-at-sign"), None);
        assert_eq!(normalise_email("a@b"), None);
        assert_eq!(normalise_email("a@@b.com"), None);
        assert_eq!(normalise_email("a b@c.com"), None);
        assert_eq!(normalise_email("a@.com"), None);
        assert_eq!(mask_email("agent@example.com"), "a***@example.com");
    }

    #[test]
    fn fragment_param_finds_the_named_value() {
        assert_eq!(
            fragment_param("#code=Ab-_9&x=1", "code").as_deref(),
            Some("Ab-_9")
        );
        assert_eq!(fragment_param("x=1&code=z", "code").as_deref(), Some("z"));
        assert_eq!(fragment_param("#code=", "code"), None);
        assert_eq!(fragment_param("#codex=1", "code"), None);
        assert_eq!(fragment_param("", "code"), None);
    }
}
