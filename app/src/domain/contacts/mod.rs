//! Contacts: people an agent calls, each with one or more labelled numbers.

mod csv;
mod vcard;

pub use self::csv::{parse_csv, write_csv};
pub use vcard::{parse_vcards, write_vcards};

use super::numbers::{self, Classifier, Country, RefusalReason};
use serde::{Deserialize, Serialize};

pub const NAME_MAX: usize = 120;
pub const COMPANY_MAX: usize = 120;
pub const NOTES_MAX: usize = 2000;
pub const NUMBERS_MAX: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NumberLabel {
    #[default]
    Mobile,
    Work,
    Home,
    Other,
}

impl NumberLabel {
    pub const ALL: [NumberLabel; 4] = [
        NumberLabel::Mobile,
        NumberLabel::Work,
        NumberLabel::Home,
        NumberLabel::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NumberLabel::Mobile => "mobile",
            NumberLabel::Work => "work",
            NumberLabel::Home => "home",
            NumberLabel::Other => "other",
        }
    }

    /// Reads labels as they appear in forms, vCard `TYPE=` and CSV headers.
    pub fn parse(text: &str) -> NumberLabel {
        let t = text.trim().to_ascii_lowercase();
        if t.contains("cell") || t.contains("mobile") {
            NumberLabel::Mobile
        } else if t.contains("work") {
            NumberLabel::Work
        } else if t.contains("home") {
            NumberLabel::Home
        } else {
            NumberLabel::Other
        }
    }
}

/// A stored number of a contact: always E.164 and always dialable when saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactNumber {
    pub label: NumberLabel,
    pub e164: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub id: String,
    pub name: String,
    pub company: String,
    pub notes: String,
    pub favourite: bool,
    pub numbers: Vec<ContactNumber>,
    /// Milliseconds since the Unix epoch.
    pub created_at: u64,
    pub updated_at: u64,
    /// Bumped on every change; updates must name the version they change (optimistic locking).
    pub version: u64,
}

/// What a user typed into the contact form (numbers as typed, not yet E.164).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ContactDraft {
    pub name: String,
    pub company: String,
    pub notes: String,
    pub favourite: bool,
    pub numbers: Vec<DraftNumber>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DraftNumber {
    pub label: NumberLabel,
    pub input: String,
}

/// A draft that passed validation, ready to be stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidContact {
    pub name: String,
    pub company: String,
    pub notes: String,
    pub favourite: bool,
    pub numbers: Vec<ContactNumber>,
}

/// Everything wrong with a draft, so the form can show each problem next to its field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ContactProblems {
    pub name_missing: bool,
    pub name_too_long: bool,
    pub company_too_long: bool,
    pub notes_too_long: bool,
    pub no_numbers: bool,
    pub too_many_numbers: bool,
    /// (index in the draft, why that number is refused)
    pub numbers: Vec<(usize, RefusalReason)>,
    /// Indexes of numbers that repeat an earlier one.
    pub duplicates: Vec<usize>,
}

impl ContactProblems {
    pub fn is_empty(&self) -> bool {
        *self == ContactProblems::default()
    }
}

impl ContactDraft {
    /// Validates the draft against the dialling policy. Blank number rows are ignored.
    pub fn validate(
        &self,
        default_country: Option<Country>,
        classifier: &dyn Classifier,
    ) -> Result<ValidContact, ContactProblems> {
        let mut problems = ContactProblems::default();
        let name = self.name.trim().to_string();
        problems.name_missing = name.is_empty();
        problems.name_too_long = name.chars().count() > NAME_MAX;
        let company = self.company.trim().to_string();
        problems.company_too_long = company.chars().count() > COMPANY_MAX;
        let notes = self.notes.trim().to_string();
        problems.notes_too_long = notes.chars().count() > NOTES_MAX;
        let mut numbers = Vec::new();
        for (i, draft) in self.numbers.iter().enumerate() {
            if draft.input.trim().is_empty() {
                continue;
            }
            match numbers::dialable(&draft.input, default_country, classifier) {
                Ok(n) => {
                    if numbers.iter().any(|c: &ContactNumber| c.e164 == n.e164()) {
                        problems.duplicates.push(i);
                    } else {
                        numbers.push(ContactNumber {
                            label: draft.label,
                            e164: n.e164().to_string(),
                        });
                    }
                }
                Err(reason) => problems.numbers.push((i, reason)),
            }
        }
        problems.no_numbers = numbers.is_empty() && problems.numbers.is_empty();
        problems.too_many_numbers = numbers.len() > NUMBERS_MAX;
        if problems.is_empty() {
            Ok(ValidContact {
                name,
                company,
                notes,
                favourite: self.favourite,
                numbers,
            })
        } else {
            Err(problems)
        }
    }
}

impl From<&Contact> for ContactDraft {
    fn from(c: &Contact) -> Self {
        ContactDraft {
            name: c.name.clone(),
            company: c.company.clone(),
            notes: c.notes.clone(),
            favourite: c.favourite,
            numbers: c
                .numbers
                .iter()
                .map(|n| DraftNumber {
                    label: n.label,
                    input: n.e164.clone(),
                })
                .collect(),
        }
    }
}

/// One contact read from an import file, or why a row was skipped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// 1-based record number in the file (vCard: the n-th card; CSV: the line).
    pub row: usize,
    pub draft: ContactDraft,
}

/// Something an import left out: a whole row, or one number of a row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportSkip {
    pub row: usize,
    /// Why, in words (file structure problems), or the contact's name for refused numbers.
    pub reason: String,
    /// Numbers the dialling policy refused, with the reason for each.
    #[serde(default)]
    pub refused: Vec<(String, RefusalReason)>,
}

impl ImportSkip {
    pub fn new(row: usize, reason: impl Into<String>) -> Self {
        ImportSkip {
            row,
            reason: reason.into(),
            refused: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::numbers::RuleTable;

    fn draft(name: &str, numbers: &[&str]) -> ContactDraft {
        ContactDraft {
            name: name.into(),
            numbers: numbers
                .iter()
                .map(|n| DraftNumber {
                    label: NumberLabel::Mobile,
                    input: n.to_string(),
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn valid_contact_numbers_become_e164() {
        let valid = draft("  Ana Pérez ", &["6123 4567", "", "+65 6123 4567"])
            .validate(Some(Country::PA), &RuleTable)
            .unwrap();
        assert_eq!(valid.name, "Ana Pérez");
        let numbers: Vec<_> = valid.numbers.iter().map(|n| n.e164.as_str()).collect();
        assert_eq!(numbers, ["+50761234567", "+6561234567"]);
    }

    #[test]
    fn every_problem_is_reported() {
        let problems = draft("", &["+65 1900 123 4567", "6123 4567", "+507 6123-4567"])
            .validate(Some(Country::PA), &RuleTable)
            .unwrap_err();
        assert!(problems.name_missing);
        assert_eq!(problems.numbers, vec![(0, RefusalReason::PremiumRate)]);
        assert_eq!(problems.duplicates, vec![2]);
        assert!(!problems.no_numbers);
        let problems = draft("Bob", &[""]).validate(None, &RuleTable).unwrap_err();
        assert!(problems.no_numbers);
    }

    #[test]
    fn labels_from_other_apps() {
        assert_eq!(NumberLabel::parse("CELL"), NumberLabel::Mobile);
        assert_eq!(NumberLabel::parse("Work Phone"), NumberLabel::Work);
        assert_eq!(NumberLabel::parse("voice"), NumberLabel::Other);
    }
}
