//! The dialling policy the Lambda re-checks before `CallAndBridge`: the domain's own
//! (`app::domain::numbers::check`, docs/numbers.md) with the PA/SG rule table the browser uses,
//! which a server test proves agrees with the server's libphonenumber classifier. Only a number
//! already in E.164 form passes, so what is checked is exactly what is dialled.

use app::domain::numbers::{check, RefusalReason, RuleTable};

/// `Ok` when the server would dial `e164` too.
pub fn dial_policy(e164: &str) -> Result<(), RefusalReason> {
    let verdict = check(e164, None, &RuleTable);
    match verdict.reason {
        Some(reason) => Err(reason),
        None if verdict.e164.as_deref() == Some(e164) => Ok(()),
        // Allowed, but written differently (spaces, 00): dial only the canonical form.
        None => Err(RefusalReason::Invalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panama_and_singapore_mobiles_pass_premium_and_foreign_do_not() {
        assert_eq!(dial_policy("+50761234567"), Ok(()));
        assert_eq!(dial_policy("+6581234567"), Ok(()));
        assert_eq!(
            dial_policy("+442071234567"),
            Err(RefusalReason::OtherCountry)
        );
        assert_eq!(dial_policy("+5079001234"), Err(RefusalReason::PremiumRate));
        assert_eq!(dial_policy("+65 8123 4567"), Err(RefusalReason::Invalid));
    }
}
