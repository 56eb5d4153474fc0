//! What a search matches, shared by the stores: SQLite turns it into SQL, DynamoDB applies it
//! to the items it reads.

use app::domain::contacts::Contact;

/// The key contacts are sorted and searched by.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The digits to look for in numbers, when the search looks like a number (no letters, at
/// least three digits); empty otherwise, so "Person 1" does not match every number with a 1.
pub fn number_digits(search: &str) -> String {
    let digits: String = search.chars().filter(char::is_ascii_digit).collect();
    if digits.len() >= 3 && !search.chars().any(char::is_alphabetic) {
        digits
    } else {
        String::new()
    }
}

/// A search as typed, normalised once: lower case, trimmed, and the digits it may mean.
pub struct Search {
    pub text: String,
    pub digits: String,
}

impl Search {
    pub fn new(typed: &str) -> Search {
        let text = typed.trim().to_lowercase();
        let digits = number_digits(&text);
        Search { text, digits }
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Name or company contains the text, or a number contains the digits.
    pub fn matches_contact(&self, c: &Contact) -> bool {
        self.is_empty()
            || name_key(&c.name).contains(&self.text)
            || c.company.to_lowercase().contains(&self.text)
            || self.matches_number(c.numbers.iter().map(|n| n.e164.as_str()))
    }

    /// Any of the numbers contains the digits (never, for a search that is not a number).
    pub fn matches_number<'a>(&self, mut numbers: impl Iterator<Item = &'a str>) -> bool {
        !self.digits.is_empty() && numbers.any(|n| n.contains(&self.digits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_searches_need_three_digits_and_no_letters() {
        assert_eq!(number_digits("8123 4507"), "81234507");
        assert_eq!(number_digits("+6 1"), "");
        assert_eq!(number_digits("person 123"), "");
    }

    #[test]
    fn contacts_match_on_name_company_or_number() {
        let c = Contact {
            id: "1".into(),
            name: " Ana Pérez ".into(),
            company: "Banco ÉXITO".into(),
            notes: String::new(),
            favourite: false,
            numbers: vec![app::domain::contacts::ContactNumber {
                label: app::domain::contacts::NumberLabel::Mobile,
                e164: "+50761234567".into(),
            }],
            created_at: 0,
            updated_at: 0,
            version: 1,
        };
        assert!(Search::new("ANA P").matches_contact(&c));
        assert!(Search::new("éxito").matches_contact(&c));
        assert!(Search::new("6123 45").matches_contact(&c));
        assert!(!Search::new("6123 99").matches_contact(&c));
        assert!(!Search::new("%").matches_contact(&c));
        assert!(Search::new("  ").matches_contact(&c));
    }
}
