use super::cases::cases;
use super::*;

#[test]
fn the_case_table_is_big_enough_and_covers_every_reason() {
    let all = cases();
    assert!(all.len() >= 60, "only {} cases", all.len());
    for reason in RefusalReason::ALL {
        let covered = all.iter().any(|c| c.expected.reason == Some(reason));
        let unreachable_here = matches!(reason, RefusalReason::SharedCost);
        assert!(
            covered || unreachable_here,
            "no case refuses with {reason:?}"
        );
    }
}

#[test]
fn rule_table_gives_the_expected_answer_for_every_case() {
    let mut failures = Vec::new();
    for case in cases() {
        let got = check(&case.input, case.default_country, &RuleTable);
        if got != case.expected {
            failures.push(format!(
                "line {}: {:?}\n  want {:?}\n  got  {:?}",
                case.line, case.input, case.expected, got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn exact_lengths_one_digit_more_or_less_is_refused() {
    for (valid, country) in [
        ("61234567", Country::PA),
        ("2001234", Country::PA),
        ("81234567", Country::SG),
        ("61234567", Country::SG),
    ] {
        assert!(
            check(valid, Some(country), &RuleTable).is_allowed(),
            "{valid}"
        );
        let longer = format!("{valid}0");
        let shorter = &valid[..valid.len() - 1];
        let intl_longer = format!("+{}{}", country.calling_code(), longer);
        let intl_shorter = format!("+{}{}", country.calling_code(), shorter);
        for input in [intl_longer.as_str(), intl_shorter.as_str()] {
            let verdict = check(input, None, &RuleTable);
            assert_eq!(
                verdict.decision,
                Decision::Refuse,
                "{input} must be refused"
            );
        }
    }
}

#[test]
fn dialable_numbers_carry_e164_and_format() {
    let n = dialable("6123 4567", Some(Country::PA), &RuleTable).unwrap();
    assert_eq!(n.e164(), "+50761234567");
    assert_eq!(n.international(), "+507 6123-4567");
    assert_eq!(n.national(), "61234567");
    let n = dialable("(65) 8123-4567", None, &RuleTable).unwrap();
    assert_eq!(n.international(), "+65 8123 4567");
    assert_eq!(
        dialable("+65 1900 123 4567", None, &RuleTable),
        Err(RefusalReason::PremiumRate)
    );
}

#[test]
fn formatting_as_typed() {
    assert_eq!(format_partial("6", Some(Country::PA)), "6");
    assert_eq!(format_partial("61234", Some(Country::PA)), "6123-4");
    assert_eq!(format_partial("61234567", Some(Country::PA)), "6123-4567");
    assert_eq!(format_partial("2001234", Some(Country::PA)), "200-1234");
    assert_eq!(format_partial("81234567", Some(Country::SG)), "8123 4567");
    assert_eq!(
        format_partial("18001234567", Some(Country::SG)),
        "1800 123 4567"
    );
    assert_eq!(format_partial("+", None), "+");
    assert_eq!(format_partial("+6", None), "+6");
    assert_eq!(format_partial("+65", None), "+65");
    assert_eq!(format_partial("+6581", None), "+65 81");
    assert_eq!(format_partial("+65 8123-4567", None), "+65 8123 4567");
    assert_eq!(format_partial("+5076123", None), "+507 6123");
    assert_eq!(format_partial("+44207", None), "+44207");
    assert_eq!(format_partial("*123#", Some(Country::SG)), "*123#");
    assert_eq!(format_partial("0065", Some(Country::SG)), "0065");
}

#[test]
fn input_is_bounded() {
    let long = "1".repeat(500);
    assert_eq!(
        check(&long, Some(Country::SG), &RuleTable).reason,
        Some(RefusalReason::NotANumber)
    );
}

#[test]
fn stored_numbers_display_internationally() {
    assert_eq!(format_e164("+50761234567"), "+507 6123-4567");
    assert_eq!(format_e164("+6518001234567"), "+65 1800 123 4567");
    assert_eq!(format_e164("+12025550173"), "+12025550173");
    assert_eq!(dial_href("+6581234567"), "/?number=%2B6581234567");
}
