//! The REST API's JSON bodies (server/src/rest/model.rs, compiled in as it is): read as the
//! handlers read them, then validated as `contacts::ops::save` and `calls::ops::start` do.
//! Never panics; a contact that validates, sent back as the API returns it, validates to the
//! same contact.
#![no_main]

#[allow(dead_code)]
#[path = "../../server/src/rest/model.rs"]
mod model;

use app::domain::numbers::{check, Country, RuleTable};
use libfuzzer_sys::fuzz_target;
use model::{CallIn, ContactIn, Label};

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    if choice & 1 == 0 {
        let Ok(input) = serde_json::from_slice::<ContactIn>(body) else {
            return;
        };
        let country: Option<Country> = input.default_country.map(Into::into);
        let Ok(valid) = input.draft().validate(country, &RuleTable) else {
            return;
        };
        // The contact as GET returns it, sent back with PUT.
        let numbers: Vec<serde_json::Value> = valid
            .numbers
            .iter()
            .map(|n| {
                let label = serde_json::to_value(Label::from(n.label)).expect("a label");
                serde_json::json!({ "label": label, "number": n.e164 })
            })
            .collect();
        let again = serde_json::json!({
            "name": valid.name, "company": valid.company, "notes": valid.notes,
            "favourite": valid.favourite, "numbers": numbers,
        });
        let again: ContactIn = serde_json::from_value(again).expect("our own contact reads");
        assert_eq!(again.draft().validate(None, &RuleTable), Ok(valid));
    } else {
        let Ok(input) = serde_json::from_slice::<CallIn>(body) else {
            return;
        };
        let verdict = check(
            &input.number,
            input.default_country.map(Into::into),
            &RuleTable,
        );
        if let (true, Some(e164)) = (verdict.is_allowed(), &verdict.e164) {
            assert!(check(e164, None, &RuleTable).is_allowed());
        }
    }
});
