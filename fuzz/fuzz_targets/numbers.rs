//! The number input reader: whatever a user types or pastes into the dial pad or a contact's
//! number field. Never panics; a number the policy allows reads back as itself from its E.164
//! and its display form, with or without a default country; the dial pad's live formatting
//! loses no digit.
#![no_main]

use app::domain::numbers::{
    self, check, dialable, format_e164, format_partial, parse_input, Country, Decision, RuleTable,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let Ok(input) = std::str::from_utf8(rest) else {
        return;
    };
    let country = match choice % 3 {
        0 => None,
        1 => Some(Country::PA),
        _ => Some(Country::SG),
    };
    let _ = parse_input(input, country, &RuleTable);
    let verdict = check(input, country, &RuleTable);
    assert_eq!(verdict.input, input);
    assert_eq!(
        verdict.decision == Decision::Allow,
        verdict.reason.is_none()
    );
    if let Ok(number) = dialable(input, country, &RuleTable) {
        let e164 = number.e164();
        assert!(e164.starts_with('+') && e164[1..].bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(format_e164(e164), number.international());
        for again in [e164.to_string(), number.international()] {
            for other in [None, Some(Country::PA), Some(Country::SG)] {
                assert_eq!(
                    dialable(&again, other, &RuleTable).as_ref(),
                    Ok(&number),
                    "{input:?} read as {e164}, but {again:?} with {other:?} does not"
                );
            }
        }
        // Typed digit by digit on the dial pad, the formatted text still dials the same.
        let shown = format_partial(e164, country);
        assert_eq!(
            dialable(&shown, country, &RuleTable).as_ref(),
            Ok(&number),
            "{shown:?}"
        );
        let national = numbers::format_national(number.country(), number.national());
        assert_eq!(
            dialable(&national, Some(number.country()), &RuleTable).as_ref(),
            Ok(&number),
            "{national:?}"
        );
    }
    let shown = format_partial(input, country);
    let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    assert_eq!(
        digits(&shown),
        digits(input),
        "{input:?} shown as {shown:?}"
    );
});
