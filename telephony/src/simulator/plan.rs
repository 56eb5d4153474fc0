//! The simulated carrier's numbers: its calling plan and what each test number does.

use rsipstack::sip::StatusCode;

/// What a number does when called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Rings, answers and sends your audio straight back.
    Echo,
    /// Rings, answers, plays a short greeting, then plays back every DTMF key you press.
    ReadBack,
    /// 486 Busy Here at once.
    Busy,
    /// Rings until the network gives up (480 Temporarily Unavailable).
    NoAnswer,
    /// 404 Not Found: the number is not assigned.
    NotFound,
    /// Rings, answers (echo), then hangs up on its own.
    HangsUp,
    /// Rings, answers (echo) and refreshes the session with a re-INVITE; a refresh that is
    /// not answered with 200 ends the call (BYE), as a carrier's session timer would.
    Refreshes,
    /// Answers nothing at all, not even 100 Trying: a trunk that is down or unreachable.
    Silent,
    /// Rings, answers (echo), hangs up after a moment, then calls the caller's number back
    /// (the From of the INVITE: one of the business's numbers) through the origination route,
    /// as a customer returning a call would.
    CallsBack,
    /// Rings, answers and plays a steady [`TONE_HZ`] tone (it hears you, but sends no echo):
    /// a party whose voice a test can tell from an echo, such as a transfer's target.
    Tone,
}

/// The tone [`Behaviour::Tone`] plays.
pub const TONE_HZ: f32 = 1400.0;

/// The test numbers, in E.164. Any other number inside the calling plan behaves like `Echo`.
pub const TEST_NUMBERS: &[(&str, Behaviour)] = &[
    ("+6560000001", Behaviour::Echo),
    ("+6560000002", Behaviour::ReadBack),
    ("+6560000003", Behaviour::Busy),
    ("+6560000004", Behaviour::NoAnswer),
    ("+6560000005", Behaviour::NotFound),
    ("+6560000006", Behaviour::HangsUp),
    ("+6560000007", Behaviour::Refreshes),
    ("+6560000008", Behaviour::CallsBack),
    ("+6560000009", Behaviour::Silent),
    ("+6560000010", Behaviour::Tone),
    ("+5072000001", Behaviour::Echo),
    ("+5072000002", Behaviour::ReadBack),
    ("+5072000003", Behaviour::Busy),
    ("+5072000004", Behaviour::NoAnswer),
    ("+5072000005", Behaviour::NotFound),
    ("+5072000006", Behaviour::HangsUp),
    ("+5072000007", Behaviour::Refreshes),
    ("+5072000008", Behaviour::CallsBack),
    ("+5072000009", Behaviour::Silent),
    ("+5072000010", Behaviour::Tone),
];

pub fn behaviour_of(e164: &str) -> Behaviour {
    TEST_NUMBERS
        .iter()
        .find(|(n, _)| *n == e164)
        .map(|(_, b)| *b)
        .unwrap_or(Behaviour::Echo)
}

/// Why the simulated carrier refuses a destination before ringing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlanRefusal {
    /// Not `+` and 8–15 digits (a Voice Connector takes E.164 only).
    NotE164,
    /// The country is not in the calling plan.
    OutsideCallingPlan,
    /// Premium-rate ranges are barred.
    Premium,
}

impl PlanRefusal {
    pub(super) fn status(self) -> (StatusCode, &'static str) {
        match self {
            PlanRefusal::NotE164 => (StatusCode::AddressIncomplete, "Request-URI is not E.164"),
            PlanRefusal::OutsideCallingPlan => {
                (StatusCode::Forbidden, "Destination not in the calling plan")
            }
            PlanRefusal::Premium => (StatusCode::Forbidden, "Premium-rate destination barred"),
        }
    }
}

/// The calling plan: Panama and Singapore, premium ranges barred.
pub fn check_calling_plan(user: &str) -> Result<(), PlanRefusal> {
    let digits = user.strip_prefix('+').ok_or(PlanRefusal::NotE164)?;
    if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PlanRefusal::NotE164);
    }
    const PA_PREMIUM: [&str; 8] = ["822", "855", "860", "877", "878", "886", "900", "981"];
    if let Some(national) = digits.strip_prefix("507") {
        if PA_PREMIUM.iter().any(|p| national.starts_with(p)) {
            return Err(PlanRefusal::Premium);
        }
        return Ok(());
    }
    if let Some(national) = digits.strip_prefix("65") {
        if national.starts_with("1900") {
            return Err(PlanRefusal::Premium);
        }
        return Ok(());
    }
    Err(PlanRefusal::OutsideCallingPlan)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calling_plan() {
        assert_eq!(check_calling_plan("+6560000001"), Ok(()));
        assert_eq!(check_calling_plan("+50761234567"), Ok(()));
        assert_eq!(
            check_calling_plan("+14155550100"),
            Err(PlanRefusal::OutsideCallingPlan)
        );
        assert_eq!(
            check_calling_plan("+6519001234567"),
            Err(PlanRefusal::Premium)
        );
        assert_eq!(check_calling_plan("+5079001234"), Err(PlanRefusal::Premium));
        assert_eq!(check_calling_plan("6560000001"), Err(PlanRefusal::NotE164));
        assert_eq!(check_calling_plan("+65"), Err(PlanRefusal::NotE164));
        assert_eq!(check_calling_plan("+65abc00001"), Err(PlanRefusal::NotE164));
        assert_eq!(check_calling_plan(""), Err(PlanRefusal::NotE164));
    }

    #[test]
    fn test_numbers_are_unique_and_in_plan() {
        let mut seen = std::collections::HashSet::new();
        for (n, _) in TEST_NUMBERS {
            assert!(seen.insert(*n));
            assert_eq!(check_calling_plan(n), Ok(()), "{n}");
        }
        assert_eq!(behaviour_of("+6560000003"), Behaviour::Busy);
        assert_eq!(behaviour_of("+5072000009"), Behaviour::Silent);
        assert_eq!(behaviour_of("+6560000008"), Behaviour::CallsBack);
        assert_eq!(behaviour_of("+5072000010"), Behaviour::Tone);
        assert_eq!(behaviour_of("+6591234567"), Behaviour::Echo);
    }
}
