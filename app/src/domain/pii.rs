//! Personal data on its way into a log line (docs/security.md, docs/operating.md "Logs"): an
//! e-mail address or a phone number is logged only through [`Pii`], whose `Display` and `Debug`
//! both mask it, so the full value cannot reach a log by accident (`email = %Pii::email(&e)`).
//! The test command scans every log of its end-to-end run for unmasked ones
//! (`scripts/scan-logs.py`).

use std::fmt;

/// A masked e-mail address (`a***@example.com`) or phone number (`+65…01`, the country code's
/// first digits and the last two: enough to tell two calls apart in a log, not to dial).
#[derive(Clone, Copy)]
pub struct Pii<'a> {
    kind: Kind,
    value: &'a str,
}

#[derive(Clone, Copy)]
enum Kind {
    Email,
    Number,
}

impl<'a> Pii<'a> {
    pub fn email(value: &'a str) -> Pii<'a> {
        Pii {
            kind: Kind::Email,
            value,
        }
    }

    pub fn number(value: &'a str) -> Pii<'a> {
        Pii {
            kind: Kind::Number,
            value,
        }
    }
}

impl fmt::Display for Pii<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Email => f.write_str(&super::auth::mask_email(self.value)),
            Kind::Number => {
                let digits: Vec<char> = self.value.chars().filter(char::is_ascii_digit).collect();
                if digits.len() < 6 {
                    return f.write_str("***");
                }
                let head: String = digits[..2].iter().collect();
                let tail: String = digits[digits.len() - 2..].iter().collect();
                write!(f, "+{head}…{tail}")
            }
        }
    }
}

impl fmt::Debug for Pii<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_and_numbers_are_masked_in_display_and_debug() {
        for (pii, shown) in [
            (Pii::email("bob.smith@example.com"), "b***@example.com"),
            (Pii::email("not an address"), "***"),
            (Pii::number("+6560000001"), "+65…01"),
            (Pii::number("+507 6123-4567"), "+50…67"),
            (Pii::number("12345"), "***"),
        ] {
            assert_eq!(pii.to_string(), shown);
            assert_eq!(format!("{pii:?}"), shown);
        }
        // Nothing of the middle of a number survives.
        assert!(!Pii::number("+6560000001").to_string().contains("6000"));
    }
}
