//! Turning typed or pasted text into a country and national digits.
//!
//! libphonenumber alone misreads some forms people really paste here (with Singapore as the
//! default region, `0065 8123 4567` is read as Venezuela because `006` fits Singapore's IDD
//! pattern; `(65) 8123-4567` without a region is refused), so the clean-up is ours and the same
//! on both sides; only the final validity question goes to the [`Classifier`].

use super::{Classifier, Country, RefusalReason};

/// The outcome of reading an input, before the policy judges it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A Panama or Singapore number (not necessarily valid).
    Number { country: Country, national: String },
    /// A number in another country (its digits as typed, after the calling code).
    Foreign { e164: String },
}

/// Every country calling code in libphonenumber's metadata (9.0.42). They are prefix-free.
const CALLING_CODES: &[u16] = &[
    1, 7, 20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54,
    55, 56, 57, 58, 60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98, 211,
    212, 213, 216, 218, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234,
    235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253,
    254, 255, 256, 257, 258, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 290, 291, 297, 298,
    299, 350, 351, 352, 353, 354, 355, 356, 357, 358, 359, 370, 371, 372, 373, 374, 375, 376, 377,
    378, 380, 381, 382, 383, 385, 386, 387, 389, 420, 421, 423, 500, 501, 502, 503, 504, 505, 506,
    507, 508, 509, 590, 591, 592, 593, 594, 595, 596, 597, 598, 599, 670, 672, 673, 674, 675, 676,
    677, 678, 679, 680, 681, 682, 683, 685, 686, 687, 688, 689, 690, 691, 692, 800, 808, 850, 852,
    853, 855, 856, 870, 878, 880, 881, 882, 883, 886, 888, 960, 961, 962, 963, 964, 965, 966, 967,
    968, 970, 971, 972, 973, 974, 975, 976, 977, 979, 992, 993, 994, 995, 996, 998,
];

/// Longest input we look at; anything longer is not a phone number.
const MAX_INPUT_CHARS: usize = 64;

/// Maps any Unicode decimal digit people paste (ASCII, fullwidth, Arabic-Indic) to ASCII.
fn ascii_digit(c: char) -> Option<char> {
    let zero = match c {
        '0'..='9' => '0',
        '\u{FF10}'..='\u{FF19}' => '\u{FF10}',
        '\u{0660}'..='\u{0669}' => '\u{0660}',
        '\u{06F0}'..='\u{06F9}' => '\u{06F0}',
        _ => return None,
    };
    char::from_digit(c as u32 - zero as u32, 10)
}

fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '-' | '.' | '(' | ')' | '/' | '[' | ']'
            | '\u{00A0}' | '\u{2000}'..='\u{200B}' | '\u{2010}'..='\u{2015}' | '\u{2212}'
            | '\u{3000}' | '\u{30FC}' | '\u{FF0D}' | '\u{FF0E}' | '\u{FF08}' | '\u{FF09}'
    )
}

fn is_plus(c: char) -> bool {
    c == '+' || c == '\u{FF0B}'
}

/// The digits of `text`, whether it starts with `+`, or the reason it is no phone number.
fn digits_of(text: &str) -> Result<(bool, String), RefusalReason> {
    let mut plus = false;
    let mut digits = String::new();
    for c in text.chars() {
        if let Some(d) = ascii_digit(c) {
            digits.push(d);
        } else if is_plus(c) && digits.is_empty() && !plus {
            plus = true;
        } else if c == '*' || c == '#' {
            return Err(RefusalReason::ShortCode);
        } else if !is_separator(c) {
            return Err(RefusalReason::NotANumber);
        }
    }
    Ok((plus, digits))
}

/// Splits a `tel:` URI (RFC 3966) into the number and its `phone-context`, if any.
fn strip_tel_uri(text: &str) -> (&str, Option<&str>) {
    let Some(scheme) = text.get(..4) else {
        return (text, None);
    };
    if !scheme.eq_ignore_ascii_case("tel:") {
        return (text, None);
    }
    let mut parts = text[4..].split(';');
    let number = parts.next().unwrap_or_default();
    let context = parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("phone-context")
            .then_some(v.trim())
    });
    (number, context)
}

/// Reads `+CC…` digits (the `+` or international prefix already removed).
fn international(digits: &str) -> Result<Parsed, RefusalReason> {
    if let Some(country) = Country::from_calling_code_prefix(digits) {
        let national = digits[country.calling_code().len()..].to_string();
        return Ok(Parsed::Number { country, national });
    }
    let known = (1..=3.min(digits.len())).any(|n| {
        digits[..n]
            .parse::<u16>()
            .is_ok_and(|code| CALLING_CODES.contains(&code))
    });
    if known {
        Ok(Parsed::Foreign {
            e164: format!("+{digits}"),
        })
    } else {
        Err(RefusalReason::InvalidCountryCode)
    }
}

/// Reads what people type or paste into a country and national digits.
///
/// `default_country` is the country the user picked for numbers typed without a country code.
pub fn parse_input(
    input: &str,
    default_country: Option<Country>,
    classifier: &dyn Classifier,
) -> Result<Parsed, RefusalReason> {
    let text = input.trim();
    if text.is_empty() {
        return Err(RefusalReason::Empty);
    }
    if text.chars().count() > MAX_INPUT_CHARS {
        return Err(RefusalReason::NotANumber);
    }
    let (number, context) = strip_tel_uri(text);
    let (mut plus, mut digits) = digits_of(number)?;
    if !plus {
        if let Some(context) = context {
            let (context_plus, context_digits) = digits_of(context)?;
            if context_plus {
                plus = true;
                digits = context_digits + &digits;
            }
        }
    }
    if digits.is_empty() {
        return Err(if plus {
            RefusalReason::TooShort
        } else {
            RefusalReason::NotANumber
        });
    }
    if plus {
        return international(&digits);
    }
    if let Some(rest) = digits.strip_prefix("00") {
        // Singapore carriers' own international prefixes (001, 002, 008, 018, 019…): only when
        // what follows is one of our countries, so `0065…` still means +65.
        if default_country == Some(Country::SG) && digits.len() > 3 {
            let after_carrier_prefix = &digits[3..];
            if Country::from_calling_code_prefix(after_carrier_prefix).is_some()
                && Country::from_calling_code_prefix(rest).is_none()
            {
                return international(after_carrier_prefix);
            }
        }
        return international(rest);
    }
    let valid_in =
        |country: Country, national: &str| classifier.classify(country, national).is_some();
    if let Some(country) = default_country {
        if valid_in(country, &digits) {
            return Ok(Parsed::Number {
                country,
                national: digits,
            });
        }
    }
    // `(65) 8123-4567`, `507 6123 4567`: a country code written without `+`.
    for country in Country::ALL {
        if let Some(rest) = digits.strip_prefix(country.calling_code()) {
            if valid_in(country, rest) {
                return Ok(Parsed::Number {
                    country,
                    national: rest.to_string(),
                });
            }
        }
    }
    match default_country {
        Some(country) => Ok(Parsed::Number {
            country,
            national: digits,
        }),
        None => Err(RefusalReason::NeedsCountry),
    }
}
