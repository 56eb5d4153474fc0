//! The shared table of number cases (`cases.tsv`), so every [`Classifier`](super::Classifier)
//! is held to the same expected answers.

use super::{Country, Decision, NumberCheck, NumberKind, RefusalReason};

/// One row of `cases.tsv`.
#[derive(Clone, Debug)]
pub struct Case {
    pub line: usize,
    pub input: String,
    pub default_country: Option<Country>,
    pub expected: NumberCheck,
}

pub const CASES_TSV: &str = include_str!("cases.tsv");

fn field<T>(value: &str, parse: impl Fn(&str) -> Option<T>, line: usize) -> Option<T> {
    if value == "-" {
        return None;
    }
    Some(parse(value).unwrap_or_else(|| panic!("cases.tsv line {line}: cannot read {value:?}")))
}

fn kind(value: &str) -> Option<NumberKind> {
    NumberKind::ALL.into_iter().find(|k| k.as_str() == value)
}

fn reason(value: &str) -> Option<RefusalReason> {
    RefusalReason::ALL.into_iter().find(|r| r.as_str() == value)
}

/// Reads `cases.tsv`; a malformed row is a bug in the table, so it panics with the line.
pub fn cases() -> Vec<Case> {
    CASES_TSV
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| {
            let line = i + 1;
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 6, "cases.tsv line {line}: expected 6 columns");
            let input = cols[0].to_string();
            let default_country = field(cols[1], Country::from_iso, line);
            let decision = match cols[4] {
                "allow" => Decision::Allow,
                "refuse" => Decision::Refuse,
                other => panic!("cases.tsv line {line}: decision {other:?}"),
            };
            let e164 = field(cols[2], |v| Some(v.to_string()), line);
            let country = e164.as_deref().and_then(|e| {
                Country::ALL.into_iter().find(|c| {
                    e.strip_prefix('+')
                        .is_some_and(|d| d.starts_with(c.calling_code()))
                })
            });
            Case {
                line,
                expected: NumberCheck {
                    input: input.clone(),
                    e164,
                    country,
                    kind: field(cols[3], kind, line),
                    decision,
                    reason: field(cols[5], reason, line),
                },
                input,
                default_country,
            }
        })
        .collect()
}
