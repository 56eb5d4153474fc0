//! Phone numbers: what people type or paste, turned into E.164 and judged by the dialling policy.
//!
//! Sans-IO and shared by the browser and the server. The one thing that differs between them is
//! the [`Classifier`]: the server asks libphonenumber's full metadata (`rlibphonenumber`), the
//! browser asks the small PA/SG [`RuleTable`] compiled from the same metadata. A test in the
//! server crate proves the two agree on a large generated corpus.

pub mod cases;
mod format;
mod input;
mod rules;

pub use format::{dial_href, format_e164, format_international, format_national, format_partial};
pub use input::{parse_input, Parsed};
pub use rules::RuleTable;

use serde::{Deserialize, Serialize};

/// The countries agents may call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Country {
    PA,
    SG,
}

impl Country {
    pub const ALL: [Country; 2] = [Country::PA, Country::SG];

    /// The country calling code, without `+`.
    pub fn calling_code(self) -> &'static str {
        match self {
            Country::PA => "507",
            Country::SG => "65",
        }
    }

    pub fn iso(self) -> &'static str {
        match self {
            Country::PA => "PA",
            Country::SG => "SG",
        }
    }

    pub fn flag(self) -> &'static str {
        match self {
            Country::PA => "🇵🇦",
            Country::SG => "🇸🇬",
        }
    }

    pub fn from_iso(code: &str) -> Option<Country> {
        match code.trim().to_ascii_uppercase().as_str() {
            "PA" => Some(Country::PA),
            "SG" => Some(Country::SG),
            _ => None,
        }
    }

    /// Shortest and longest national significant number in the metadata.
    pub fn length_range(self) -> (usize, usize) {
        match self {
            Country::PA => (7, 11),
            Country::SG => (8, 11),
        }
    }

    pub(crate) fn from_calling_code_prefix(digits: &str) -> Option<Country> {
        Country::ALL
            .into_iter()
            .find(|c| digits.starts_with(c.calling_code()))
    }
}

/// The far end's country of an E.164 number as metrics and analytics name it: the ISO code
/// (`PA`, `SG`), `other`, or `none` for no number.
pub fn country_label(e164: &str) -> &'static str {
    let digits = e164.strip_prefix('+').unwrap_or(e164);
    if digits.is_empty() {
        return "none";
    }
    Country::from_calling_code_prefix(digits).map_or("other", Country::iso)
}

/// What kind of line a valid number is, in libphonenumber's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberKind {
    FixedLine,
    Mobile,
    TollFree,
    PremiumRate,
    SharedCost,
    Uan,
    Voip,
}

impl NumberKind {
    pub const ALL: [NumberKind; 7] = [
        NumberKind::FixedLine,
        NumberKind::Mobile,
        NumberKind::TollFree,
        NumberKind::PremiumRate,
        NumberKind::SharedCost,
        NumberKind::Uan,
        NumberKind::Voip,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NumberKind::FixedLine => "fixed_line",
            NumberKind::Mobile => "mobile",
            NumberKind::TollFree => "toll_free",
            NumberKind::PremiumRate => "premium_rate",
            NumberKind::SharedCost => "shared_cost",
            NumberKind::Uan => "uan",
            NumberKind::Voip => "voip",
        }
    }
}

/// Why a number may not be dialled or saved as dialable. The names are part of the API
/// (`numbers check` output, server errors) and are documented in `docs/numbers.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalReason {
    /// Nothing was entered.
    Empty,
    /// Letters or symbols that are not part of a phone number.
    NotANumber,
    /// A national number with no country chosen and no country code.
    NeedsCountry,
    /// `+` or `00` followed by digits that are no country's calling code.
    InvalidCountryCode,
    /// A real country, but not Panama or Singapore.
    OtherCountry,
    /// Service and emergency codes (3–6 digits, or containing `*` / `#`).
    ShortCode,
    /// Fewer digits than any number of the country has.
    TooShort,
    /// More digits than any number of the country has.
    TooLong,
    /// A plausible length, but no number of the country looks like this.
    Invalid,
    PremiumRate,
    TollFree,
    SharedCost,
    Uan,
    Voip,
}

impl RefusalReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalReason::Empty => "empty",
            RefusalReason::NotANumber => "not_a_number",
            RefusalReason::NeedsCountry => "needs_country",
            RefusalReason::InvalidCountryCode => "invalid_country_code",
            RefusalReason::OtherCountry => "other_country",
            RefusalReason::ShortCode => "short_code",
            RefusalReason::TooShort => "too_short",
            RefusalReason::TooLong => "too_long",
            RefusalReason::Invalid => "invalid",
            RefusalReason::PremiumRate => "premium_rate",
            RefusalReason::TollFree => "toll_free",
            RefusalReason::SharedCost => "shared_cost",
            RefusalReason::Uan => "uan",
            RefusalReason::Voip => "voip",
        }
    }

    pub const ALL: [RefusalReason; 14] = [
        RefusalReason::Empty,
        RefusalReason::NotANumber,
        RefusalReason::NeedsCountry,
        RefusalReason::InvalidCountryCode,
        RefusalReason::OtherCountry,
        RefusalReason::ShortCode,
        RefusalReason::TooShort,
        RefusalReason::TooLong,
        RefusalReason::Invalid,
        RefusalReason::PremiumRate,
        RefusalReason::TollFree,
        RefusalReason::SharedCost,
        RefusalReason::Uan,
        RefusalReason::Voip,
    ];

    fn for_kind(kind: NumberKind) -> Option<RefusalReason> {
        match kind {
            NumberKind::FixedLine | NumberKind::Mobile => None,
            NumberKind::TollFree => Some(RefusalReason::TollFree),
            NumberKind::PremiumRate => Some(RefusalReason::PremiumRate),
            NumberKind::SharedCost => Some(RefusalReason::SharedCost),
            NumberKind::Uan => Some(RefusalReason::Uan),
            NumberKind::Voip => Some(RefusalReason::Voip),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allow,
    Refuse,
}

/// Tells whether a national significant number is a valid number of the country, and which kind.
pub trait Classifier {
    /// `None` when the digits are no valid number of `country`.
    fn classify(&self, country: Country, national: &str) -> Option<NumberKind>;
}

/// The verdict on one input: the shape printed by `server numbers check`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberCheck {
    pub input: String,
    pub e164: Option<String>,
    pub country: Option<Country>,
    #[serde(rename = "type")]
    pub kind: Option<NumberKind>,
    pub decision: Decision,
    pub reason: Option<RefusalReason>,
}

impl NumberCheck {
    pub fn is_allowed(&self) -> bool {
        self.decision == Decision::Allow
    }
}

/// A number that passed the policy: the only way to get an E.164 string the app will dial or
/// store as dialable.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DialableNumber {
    e164: String,
    country: Country,
    kind: NumberKind,
}

impl DialableNumber {
    pub fn e164(&self) -> &str {
        &self.e164
    }
    pub fn country(&self) -> Country {
        self.country
    }
    pub fn kind(&self) -> NumberKind {
        self.kind
    }
    pub fn national(&self) -> &str {
        &self.e164[1 + self.country.calling_code().len()..]
    }
    /// `+507 6123-4567`, `+65 8123 4567`.
    pub fn international(&self) -> String {
        format_international(self.country, self.national())
    }
}

/// Checks one input against the dialling policy.
pub fn check(
    input: &str,
    default_country: Option<Country>,
    classifier: &dyn Classifier,
) -> NumberCheck {
    let refuse = |e164: Option<String>, country, kind, reason| NumberCheck {
        input: input.to_string(),
        e164,
        country,
        kind,
        decision: Decision::Refuse,
        reason: Some(reason),
    };
    let parsed = match parse_input(input, default_country, classifier) {
        Ok(p) => p,
        Err(reason) => return refuse(None, None, None, reason),
    };
    let (country, national) = match parsed {
        Parsed::Foreign { e164 } => {
            return refuse(Some(e164), None, None, RefusalReason::OtherCountry)
        }
        Parsed::Number { country, national } => (country, national),
    };
    let e164 = format!("+{}{}", country.calling_code(), national);
    let (min, max) = country.length_range();
    let len = national.len();
    let length_reason = if len < 3 {
        Some(RefusalReason::TooShort)
    } else if len < 7 {
        Some(RefusalReason::ShortCode)
    } else if len < min {
        Some(RefusalReason::TooShort)
    } else if len > max {
        Some(RefusalReason::TooLong)
    } else {
        None
    };
    if let Some(reason) = length_reason {
        return refuse(Some(e164), Some(country), None, reason);
    }
    match classifier.classify(country, &national) {
        None => {
            let reason = rules::length_hint(country, &national).unwrap_or(RefusalReason::Invalid);
            refuse(Some(e164), Some(country), None, reason)
        }
        Some(kind) => match RefusalReason::for_kind(kind) {
            Some(reason) => refuse(Some(e164), Some(country), Some(kind), reason),
            None => NumberCheck {
                input: input.to_string(),
                e164: Some(e164),
                country: Some(country),
                kind: Some(kind),
                decision: Decision::Allow,
                reason: None,
            },
        },
    }
}

/// Like [`check`], but returns the dialable number or the reason it is refused.
pub fn dialable(
    input: &str,
    default_country: Option<Country>,
    classifier: &dyn Classifier,
) -> Result<DialableNumber, RefusalReason> {
    let verdict = check(input, default_country, classifier);
    match (
        verdict.decision,
        verdict.e164,
        verdict.country,
        verdict.kind,
    ) {
        (Decision::Allow, Some(e164), Some(country), Some(kind)) => Ok(DialableNumber {
            e164,
            country,
            kind,
        }),
        _ => Err(verdict.reason.unwrap_or(RefusalReason::Invalid)),
    }
}

#[cfg(test)]
mod tests;
