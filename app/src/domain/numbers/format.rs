//! Display formats, in each country's own style (libphonenumber's number formats for PA and SG).

use super::Country;

/// Splits `digits` into groups of the given sizes; the last group takes the rest.
fn grouped(digits: &str, sizes: &[usize], separators: &[char]) -> String {
    let mut out = String::with_capacity(digits.len() + sizes.len());
    let mut rest = digits;
    for (i, &size) in sizes.iter().enumerate() {
        if rest.is_empty() {
            break;
        }
        if i > 0 {
            out.push(separators[(i - 1).min(separators.len() - 1)]);
        }
        let take = if i + 1 == sizes.len() {
            rest.len()
        } else {
            size.min(rest.len())
        };
        out.push_str(&rest[..take]);
        rest = &rest[take..];
    }
    out
}

/// The grouping of a national number, complete or still being typed.
fn groups(country: Country, digits: &str) -> (&'static [usize], &'static [char]) {
    let first = digits.as_bytes().first().copied().unwrap_or(b'0');
    let len = digits.len();
    match country {
        Country::PA => match first {
            b'6' => (&[4, 4], &['-']),
            b'8' if len == 8 => (&[4, 4], &['-']),
            b'8' if len > 8 => (&[3, 3, 4], &[' ']),
            b'0' => (&[5, 6], &[' ']),
            _ => (&[3, 4], &['-']),
        },
        Country::SG => match first {
            b'1' => (&[4, 3, 4], &[' ']),
            b'7' => (&[4, 4, 3], &[' ']),
            b'8' if len > 8 => (&[3, 3, 4], &[' ']),
            _ => (&[4, 4], &[' ']),
        },
    }
}

/// `6123-4567` (PA), `8123 4567` (SG).
pub fn format_national(country: Country, national: &str) -> String {
    let (sizes, separators) = groups(country, national);
    grouped(national, sizes, separators)
}

/// `+507 6123-4567`, `+65 8123 4567`.
pub fn format_international(country: Country, national: &str) -> String {
    format!(
        "+{} {}",
        country.calling_code(),
        format_national(country, national)
    )
}

/// `+65 8123 4567` for an E.164 number of ours; any other string is returned as it is.
pub fn format_e164(e164: &str) -> String {
    let digits = e164.strip_prefix('+').unwrap_or_default();
    match Country::from_calling_code_prefix(digits) {
        Some(country) => format_international(country, &digits[country.calling_code().len()..]),
        None => e164.to_string(),
    }
}

/// The dial pad's address for a number: the keypad opens with it filled in.
pub fn dial_href(e164: &str) -> String {
    format!("/?number={}", e164.replace('+', "%2B"))
}

/// Formats what is being typed on the dial pad without losing anything the user typed: only
/// digits and a leading `+` are kept, and separators are placed as the country writes them.
pub fn format_partial(input: &str, default_country: Option<Country>) -> String {
    if input.contains(['*', '#']) {
        // Service codes are refused, but the user still sees exactly what they typed.
        return input
            .chars()
            .filter(|c| c.is_ascii_digit() || matches!(c, '*' | '#' | '+'))
            .collect();
    }
    let plus = input.trim_start().starts_with('+');
    let digits: String = input.chars().filter(char::is_ascii_digit).collect();
    if plus {
        for country in Country::ALL {
            if let Some(rest) = digits.strip_prefix(country.calling_code()) {
                if rest.is_empty() {
                    return format!("+{}", country.calling_code());
                }
                return format_international(country, rest);
            }
        }
        return format!("+{digits}");
    }
    match default_country {
        Some(country) if !digits.starts_with("00") && digits.len() <= 11 => {
            format_national(country, &digits)
        }
        _ => digits,
    }
}
