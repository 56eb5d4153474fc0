//! The browser's PA/SG rule table and libphonenumber's full metadata (the server's authority)
//! give the same answer on a large generated corpus: every 3-digit prefix at every length from
//! 3 to 12 digits, every 4-digit prefix at the lengths numbers really have, with decorated
//! inputs (spaces, dashes, `+`, `00`, `tel:`) on top.

use app::domain::numbers::{check, Classifier, Country, RuleTable};
use server::numbers::Libphonenumber;

/// A small deterministic generator (no test randomness: failures must reproduce).
struct Lcg(u64);

impl Lcg {
    fn digit(&mut self) -> char {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        char::from(b'0' + ((self.0 >> 33) % 10) as u8)
    }
    fn fill(&mut self, prefix: &str, len: usize) -> String {
        let mut s: String = prefix.chars().take(len).collect();
        while s.len() < len {
            s.push(self.digit());
        }
        s
    }
}

#[test]
fn rule_table_agrees_with_libphonenumber_on_every_generated_number() {
    let mut rng = Lcg(0x5eed);
    let mut compared = 0usize;
    let mut disagreements = Vec::new();
    for country in Country::ALL {
        let mut compare = |national: String| {
            compared += 1;
            let (table, lib) = (
                RuleTable.classify(country, &national),
                Libphonenumber.classify(country, &national),
            );
            if table != lib && disagreements.len() < 20 {
                disagreements.push(format!(
                    "{country:?} {national}: table {table:?}, libphonenumber {lib:?}"
                ));
            }
        };
        for prefix in 0..1000 {
            let prefix = format!("{prefix:03}");
            for len in 3..=12 {
                for _ in 0..2 {
                    compare(rng.fill(&prefix, len));
                }
            }
        }
        for prefix in 0..10000 {
            let prefix = format!("{prefix:04}");
            for len in [7, 8, 10, 11] {
                compare(rng.fill(&prefix, len));
            }
        }
    }
    assert!(compared > 100_000, "corpus too small: {compared}");
    assert!(
        disagreements.is_empty(),
        "{} disagreements, first:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

#[test]
fn full_policy_agrees_on_decorated_inputs() {
    let mut rng = Lcg(42);
    let mut compared = 0usize;
    let mut disagreements = Vec::new();
    for country in Country::ALL {
        for prefix in 0..1000 {
            let prefix = format!("{prefix:03}");
            for len in [7, 8, 9, 10, 11] {
                let national = rng.fill(&prefix, len);
                let cc = country.calling_code();
                let spaced = format!("{} {}", &national[..len / 2], &national[len / 2..]);
                let inputs = [
                    (national.clone(), Some(country)),
                    (format!("+{cc} {spaced}"), None),
                    (format!("00{cc}-{}", national), Some(Country::PA)),
                    (format!("({cc}) {spaced}"), None),
                    (format!("tel:+{cc}-{national}"), None),
                    (national.clone(), None),
                ];
                for (input, default) in inputs {
                    compared += 1;
                    let (table, lib) = (
                        check(&input, default, &RuleTable),
                        check(&input, default, &Libphonenumber),
                    );
                    if table != lib && disagreements.len() < 20 {
                        disagreements.push(format!(
                            "{input:?} {default:?}:\n  table {table:?}\n  lib   {lib:?}"
                        ));
                    }
                }
            }
        }
    }
    assert!(compared > 50_000);
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
