//! Contact import: a vCard or CSV file as the import reads it, each card's numbers through the
//! dialling policy and the contact form's validation. Never panics; every row read has a row
//! number; a contact that validates,
//! once exported in either format and imported again, is the same contact.
#![no_main]

use app::domain::contacts::{
    parse_csv, parse_vcards, write_csv, write_vcards, Contact, ImportRow, ValidContact,
    COMPANY_MAX, NAME_MAX, NOTES_MAX,
};
use app::domain::numbers::{Country, RuleTable};
use libfuzzer_sys::fuzz_target;

fn contact(valid: &ValidContact) -> Contact {
    Contact {
        id: "00000000-0000-4000-8000-000000000000".into(),
        name: valid.name.clone(),
        company: valid.company.clone(),
        notes: valid.notes.clone(),
        favourite: valid.favourite,
        numbers: valid.numbers.clone(),
        created_at: 1,
        updated_at: 1,
        version: 1,
    }
}

/// A text field as the CSV export writes it: one that a spreadsheet would take for a formula
/// gets a leading `'` (CSV injection).
fn defused(value: &str) -> String {
    let formula = value.starts_with(['=', '@', '-', '\t'])
        || (value.starts_with('+') && !value[1..].starts_with(|c: char| c.is_ascii_digit()));
    if formula {
        format!("'{value}")
    } else {
        value.to_string()
    }
}

/// The one row a file of one contact reads as, validated.
fn reread(rows: Vec<ImportRow>, file: &str) -> ValidContact {
    assert_eq!(rows.len(), 1, "{file:?}");
    rows[0]
        .draft
        .validate(None, &RuleTable)
        .unwrap_or_else(|problems| panic!("{problems:?} for {file:?}"))
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    // Skips name their row, or row 0 for the file as a whole (an unclosed quote, no header).
    let (rows, _skips) = if choice & 1 == 0 {
        parse_vcards(text)
    } else {
        parse_csv(text)
    };
    let country = [None, Some(Country::PA), Some(Country::SG)][usize::from(choice >> 1) % 3];
    for row in rows {
        assert!(row.row >= 1);
        let Ok(valid) = row.draft.validate(country, &RuleTable) else {
            continue;
        };
        let exported = [contact(&valid)];
        let vcard = write_vcards(&exported);
        assert_eq!(reread(parse_vcards(&vcard).0, &vcard), valid);
        let csv = write_csv(&exported);
        let expected = ValidContact {
            name: defused(&valid.name),
            company: defused(&valid.company),
            notes: defused(&valid.notes),
            ..valid
        };
        // The `'` may take a field over its limit; such a contact is refused on the way back in.
        let fits = |v: &str, max: usize| v.chars().count() <= max;
        if fits(&expected.name, NAME_MAX)
            && fits(&expected.company, COMPANY_MAX)
            && fits(&expected.notes, NOTES_MAX)
        {
            // CSV has a column per label, so numbers come back grouped by label.
            let by_label = |mut c: ValidContact| {
                c.numbers.sort_by_key(|n| n.label.as_str());
                c
            };
            let got = reread(parse_csv(&csv).0, &csv);
            assert_eq!(by_label(got), by_label(expected));
        }
    }
});
