//! Panama and Singapore numbering rules, transcribed from libphonenumber metadata 9.0.42
//! (`PhoneNumberMetadata.xml`, territories PA and SG).
//!
//! The browser uses this table instead of the full metadata (which would add ~128 KB gzipped to
//! the WASM bundle). `server/tests/number_rules_agree.rs` proves it gives the same answers as
//! `rlibphonenumber` on every number of a large generated corpus.
//!
//! A rule is a leading-digits pattern and a total length. The pattern language is a tiny subset
//! of regex: a digit, `.` for any digit, or a class such as `[0-24-9]`.

use super::{Classifier, Country, NumberKind};

type Rule = (&'static str, &'static [usize]);

/// libphonenumber checks types in this order; the first match wins.
const KIND_ORDER: [NumberKind; 7] = [
    NumberKind::PremiumRate,
    NumberKind::TollFree,
    NumberKind::SharedCost,
    NumberKind::Voip,
    NumberKind::Uan,
    NumberKind::FixedLine,
    NumberKind::Mobile,
];

const PA_GENERAL: &[Rule] = &[
    ("00800", &[11]),
    ("8", &[10]),
    ("[68]", &[8]),
    ("[1-57-9]", &[7]),
];
const PA_FIXED_LINE: &[Rule] = &[
    ("10.", &[7]),
    ("11[0479]", &[7]),
    ("12[37]", &[7]),
    ("13[0137]", &[7]),
    ("14[147]", &[7]),
    ("15[05]", &[7]),
    ("16[058]", &[7]),
    ("17[0167]", &[7]),
    ("18[2358]", &[7]),
    ("19[1389]", &[7]),
    ("2[0235-79].", &[7]),
    ("21[0-7]", &[7]),
    ("24[013-9]", &[7]),
    ("28[02-9]", &[7]),
    ("3[0147-9].", &[7]),
    ("3[25][0-5]", &[7]),
    ("333", &[7]),
    ("36[068]", &[7]),
    ("400", &[7]),
    ("43[0-579]", &[7]),
    ("44.", &[7]),
    ("47[0-57-9]", &[7]),
    ("5[01].", &[7]),
    ("52[0-7]", &[7]),
    ("5[56]0", &[7]),
    ("579", &[7]),
    ("70[09]", &[7]),
    ("72[0-26-8]", &[7]),
    ("73[03]", &[7]),
    ("74[04]", &[7]),
    ("75[05-9]", &[7]),
    ("76[0156]", &[7]),
    ("77[0-24-9]", &[7]),
    ("78[4-9]", &[7]),
    ("790", &[7]),
    ("809", &[7]),
    ("82[89]", &[7]),
    ("83.", &[7]),
    ("84[0-24-689]", &[7]),
    ("85[014]", &[7]),
    ("88[02]", &[7]),
    ("90[5-9]", &[7]),
    ("91[0-35-8]", &[7]),
    ("92[036-9]", &[7]),
    ("93[35-79]", &[7]),
    ("940", &[7]),
    ("95[0457-9]", &[7]),
    ("96[05-9]", &[7]),
    ("97[04-9]", &[7]),
    ("98[235-8]", &[7]),
    ("99.", &[7]),
];
const PA_MOBILE: &[Rule] = &[
    ("1[16]1", &[7]),
    ("21[89]", &[7]),
    ("6", &[8]),
    ("81[01]", &[7]),
    ("87[23]", &[7]),
];
const PA_TOLL_FREE: &[Rule] = &[("800", &[7, 8, 10]), ("00800", &[11])];
const PA_PREMIUM_RATE: &[Rule] = &[
    ("822", &[7]),
    ("855", &[7]),
    ("860", &[7]),
    ("87[78]", &[7]),
    ("886", &[7]),
    ("900", &[7]),
    ("981", &[7]),
];

const SG_GENERAL: &[Rule] = &[
    ("1.", &[11]),
    ("8", &[10]),
    ("7000", &[11]),
    ("[3689]", &[8]),
];
const SG_FIXED_LINE: &[Rule] = &[
    ("662[0-24-9]", &[8]),
    ("6[0-578]", &[8]),
    ("66[013-57-9]", &[8]),
    ("69[0-35-9]", &[8]),
];
const SG_MOBILE: &[Rule] = &[("80[1-9]", &[8]), ("8[1-9]", &[8]), ("9[0-8]", &[8])];
const SG_TOLL_FREE: &[Rule] = &[("1800", &[11]), ("800", &[10])];
const SG_PREMIUM_RATE: &[Rule] = &[("1900", &[11])];
const SG_VOIP: &[Rule] = &[("3[12]", &[8]), ("666", &[8])];
const SG_UAN: &[Rule] = &[("7000", &[11])];

/// Does `pattern` match the start of `digits`?
fn leading_digits_match(pattern: &str, digits: &[u8]) -> bool {
    let pattern = pattern.as_bytes();
    let (mut p, mut d) = (0, 0);
    while p < pattern.len() {
        let Some(&digit) = digits.get(d) else {
            return false;
        };
        match pattern[p] {
            b'.' => p += 1,
            b'[' => {
                let end = p + pattern[p..].iter().position(|&b| b == b']').unwrap_or(0);
                let class = &pattern[p + 1..end];
                let mut i = 0;
                let mut hit = false;
                while i < class.len() {
                    if i + 2 < class.len() && class[i + 1] == b'-' {
                        hit |= (class[i]..=class[i + 2]).contains(&digit);
                        i += 3;
                    } else {
                        hit |= class[i] == digit;
                        i += 1;
                    }
                }
                if !hit {
                    return false;
                }
                p = end + 1;
            }
            literal => {
                if literal != digit {
                    return false;
                }
                p += 1;
            }
        }
        d += 1;
    }
    true
}

fn any_rule_matches(rules: &[Rule], digits: &[u8]) -> bool {
    rules.iter().any(|(pattern, lengths)| {
        lengths.contains(&digits.len()) && leading_digits_match(pattern, digits)
    })
}

/// Why an invalid number is invalid, when its leading digits say what it was meant to be: a
/// Panama mobile number with nine digits is "too long", not merely "invalid".
pub(super) fn length_hint(country: Country, national: &str) -> Option<super::RefusalReason> {
    let digits = national.as_bytes();
    let lengths: Vec<usize> = [NumberKind::FixedLine, NumberKind::Mobile]
        .into_iter()
        .flat_map(|kind| RuleTable::rules(country, kind))
        .filter(|(pattern, _)| leading_digits_match(pattern, digits))
        .flat_map(|(_, lengths)| lengths.iter().copied())
        .collect();
    if lengths.is_empty() {
        None
    } else if lengths.iter().all(|&l| l < digits.len()) {
        Some(super::RefusalReason::TooLong)
    } else if lengths.iter().all(|&l| l > digits.len()) {
        Some(super::RefusalReason::TooShort)
    } else {
        None
    }
}

/// The PA/SG rule table as a [`Classifier`].
#[derive(Clone, Copy, Debug, Default)]
pub struct RuleTable;

impl RuleTable {
    fn rules(country: Country, kind: NumberKind) -> &'static [Rule] {
        match (country, kind) {
            (Country::PA, NumberKind::FixedLine) => PA_FIXED_LINE,
            (Country::PA, NumberKind::Mobile) => PA_MOBILE,
            (Country::PA, NumberKind::TollFree) => PA_TOLL_FREE,
            (Country::PA, NumberKind::PremiumRate) => PA_PREMIUM_RATE,
            (Country::SG, NumberKind::FixedLine) => SG_FIXED_LINE,
            (Country::SG, NumberKind::Mobile) => SG_MOBILE,
            (Country::SG, NumberKind::TollFree) => SG_TOLL_FREE,
            (Country::SG, NumberKind::PremiumRate) => SG_PREMIUM_RATE,
            (Country::SG, NumberKind::Voip) => SG_VOIP,
            (Country::SG, NumberKind::Uan) => SG_UAN,
            _ => &[],
        }
    }
}

impl Classifier for RuleTable {
    fn classify(&self, country: Country, national: &str) -> Option<NumberKind> {
        let digits = national.as_bytes();
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let general = match country {
            Country::PA => PA_GENERAL,
            Country::SG => SG_GENERAL,
        };
        if !any_rule_matches(general, digits) {
            return None;
        }
        KIND_ORDER
            .into_iter()
            .find(|&kind| any_rule_matches(Self::rules(country, kind), digits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_subset() {
        assert!(leading_digits_match("6[0-578]", b"65"));
        assert!(!leading_digits_match("6[0-578]", b"69"));
        assert!(leading_digits_match("1.", b"19"));
        assert!(!leading_digits_match("1.", b"1"));
        assert!(leading_digits_match("662[0-24-9]", b"6624"));
        assert!(!leading_digits_match("662[0-24-9]", b"6623"));
    }
}
