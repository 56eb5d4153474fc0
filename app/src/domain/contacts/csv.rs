//! CSV contacts: our own export format and the common address-book exports (Google, Outlook),
//! recognised by their header row.

use super::{Contact, ContactDraft, DraftNumber, ImportRow, ImportSkip, NumberLabel};
use crate::domain::csv::field;

/// Splits CSV text into records (RFC 4180: quotes, doubled quotes, newlines inside quotes).
fn records(text: &str) -> Result<Vec<(usize, Vec<String>)>, String> {
    let mut out = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.trim_start_matches('\u{FEFF}').chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push('\n');
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => in_quotes = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                if record.iter().any(|f| !f.trim().is_empty()) {
                    out.push((record_line, std::mem::take(&mut record)));
                } else {
                    record.clear();
                }
                line += 1;
                record_line = line;
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(format!(
            "line {record_line}: a quoted field is never closed"
        ));
    }
    record.push(field);
    if record.iter().any(|f| !f.trim().is_empty()) {
        out.push((record_line, record));
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Column {
    Name,
    GivenName,
    FamilyName,
    Company,
    Notes,
    Favourite,
    /// A phone number column with a fixed label.
    Phone(NumberLabel),
    /// Google's `Phone N - Value`, labelled by the column `Phone N - Type`.
    PhoneValue(usize),
    PhoneType(usize),
    Ignored,
}

fn classify_header(header: &str) -> Column {
    let h = header.trim().to_ascii_lowercase();
    let google_phone = |suffix: &str| {
        h.strip_prefix("phone ")
            .and_then(|rest| rest.strip_suffix(suffix))
            .and_then(|n| n.trim().parse::<usize>().ok())
    };
    if let Some(n) = google_phone(" - value") {
        return Column::PhoneValue(n);
    }
    if let Some(n) = google_phone(" - type") {
        return Column::PhoneType(n);
    }
    match h.as_str() {
        "name" | "full name" | "display name" | "nombre" | "姓名" => Column::Name,
        "given name" | "first name" => Column::GivenName,
        "family name" | "last name" | "surname" => Column::FamilyName,
        "company"
        | "organization"
        | "organisation"
        | "organization 1 - name"
        | "empresa"
        | "公司" => Column::Company,
        "notes" | "note" | "notas" | "备注" => Column::Notes,
        "favourite" | "favorite" | "starred" => Column::Favourite,
        "mobile" | "mobile phone" | "cell" | "phone" | "telephone" | "number" | "móvil"
        | "手机" => Column::Phone(NumberLabel::Mobile),
        "work" | "work phone" | "business phone" | "business phone 2" => {
            Column::Phone(NumberLabel::Work)
        }
        "home" | "home phone" | "home phone 2" => Column::Phone(NumberLabel::Home),
        "other" | "other phone" => Column::Phone(NumberLabel::Other),
        _ => Column::Ignored,
    }
}

fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "y" | "x" | "*" | "sí" | "si"
    )
}

/// Reads contacts from CSV with a header row; every row that cannot become a contact is
/// reported with its line number and the reason.
pub fn parse_csv(text: &str) -> (Vec<ImportRow>, Vec<ImportSkip>) {
    let records = match records(text) {
        Ok(r) => r,
        Err(reason) => return (Vec::new(), vec![ImportSkip::new(0, reason)]),
    };
    let mut records = records.into_iter();
    let Some((_, header)) = records.next() else {
        return (Vec::new(), vec![ImportSkip::new(0, "the file is empty")]);
    };
    let columns: Vec<Column> = header.iter().map(|h| classify_header(h)).collect();
    let has_phone = columns
        .iter()
        .any(|c| matches!(c, Column::Phone(_) | Column::PhoneValue(_)));
    let has_name = columns.iter().any(|c| {
        matches!(
            c,
            Column::Name | Column::GivenName | Column::FamilyName | Column::Company
        )
    });
    if !has_phone || !has_name {
        return (
            Vec::new(),
            vec![ImportSkip::new(
                1,
                "header row needs a name column and a phone column (e.g. name,mobile)",
            )],
        );
    }
    let mut rows = Vec::new();
    let mut skips = Vec::new();
    for (line, fields) in records {
        if fields.len() > columns.len() {
            skips.push(ImportSkip::new(
                line,
                format!(
                    "{} fields, but the header has {}",
                    fields.len(),
                    columns.len()
                ),
            ));
            continue;
        }
        let mut draft = ContactDraft::default();
        let (mut given, mut family) = (String::new(), String::new());
        let mut google: Vec<(usize, String, String)> = Vec::new();
        for (column, value) in columns.iter().zip(fields.iter()) {
            let value = value.trim();
            match *column {
                Column::Name => draft.name = value.to_string(),
                Column::GivenName => given = value.to_string(),
                Column::FamilyName => family = value.to_string(),
                Column::Company => draft.company = value.to_string(),
                Column::Notes => draft.notes = value.to_string(),
                Column::Favourite => draft.favourite = truthy(value),
                Column::Phone(label) => {
                    for number in value.split(":::").map(str::trim).filter(|n| !n.is_empty()) {
                        draft.numbers.push(DraftNumber {
                            label,
                            input: number.to_string(),
                        });
                    }
                }
                Column::PhoneValue(n) => match google.iter_mut().find(|(i, _, _)| *i == n) {
                    Some(entry) => entry.2 = value.to_string(),
                    None => google.push((n, String::new(), value.to_string())),
                },
                Column::PhoneType(n) => match google.iter_mut().find(|(i, _, _)| *i == n) {
                    Some(entry) => entry.1 = value.to_string(),
                    None => google.push((n, value.to_string(), String::new())),
                },
                Column::Ignored => {}
            }
        }
        for (_, kind, value) in google {
            for number in value.split(":::").map(str::trim).filter(|n| !n.is_empty()) {
                draft.numbers.push(DraftNumber {
                    label: NumberLabel::parse(&kind),
                    input: number.to_string(),
                });
            }
        }
        if draft.name.is_empty() {
            draft.name = format!("{given} {family}").trim().to_string();
        }
        if draft.name.is_empty() {
            draft.name = draft.company.clone();
        }
        if draft.name.is_empty() {
            skips.push(ImportSkip::new(line, "no name"));
        } else if draft.numbers.is_empty() {
            skips.push(ImportSkip::new(line, "no phone number"));
        } else {
            rows.push(ImportRow { row: line, draft });
        }
    }
    (rows, skips)
}

/// Our export: `name,company,notes,favourite,mobile,work,home,other` (several numbers with the
/// same label are joined with ` ::: `, as Google does).
pub fn write_csv(contacts: &[Contact]) -> String {
    let mut out = String::from("name,company,notes,favourite,mobile,work,home,other\r\n");
    for c in contacts {
        let by_label = |label: NumberLabel| {
            c.numbers
                .iter()
                .filter(|n| n.label == label)
                .map(|n| n.e164.as_str())
                .collect::<Vec<_>>()
                .join(" ::: ")
        };
        let fields = [
            field(&c.name),
            field(&c.company),
            field(&c.notes),
            if c.favourite {
                "yes".into()
            } else {
                "no".into()
            },
            field(&by_label(NumberLabel::Mobile)),
            field(&by_label(NumberLabel::Work)),
            field(&by_label(NumberLabel::Home)),
            field(&by_label(NumberLabel::Other)),
        ];
        out.push_str(&fields.join(","));
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contacts::ContactNumber;

    #[test]
    fn our_format_round_trips() {
        let contact = Contact {
            id: "1".into(),
            name: "Tan, \"Ah\" Kow".into(),
            company: "=HYPERLINK()".into(),
            notes: "two\nlines".into(),
            favourite: true,
            numbers: vec![
                ContactNumber {
                    label: NumberLabel::Mobile,
                    e164: "+6581234567".into(),
                },
                ContactNumber {
                    label: NumberLabel::Mobile,
                    e164: "+6591234567".into(),
                },
                ContactNumber {
                    label: NumberLabel::Home,
                    e164: "+6561234567".into(),
                },
            ],
            created_at: 0,
            updated_at: 0,
            version: 1,
        };
        let text = write_csv(&[contact]);
        let (rows, skips) = parse_csv(&text);
        assert!(skips.is_empty(), "{skips:?}");
        let d = &rows[0].draft;
        assert_eq!(d.name, "Tan, \"Ah\" Kow");
        assert_eq!(d.company, "'=HYPERLINK()");
        assert_eq!(d.notes, "two\nlines");
        assert!(d.favourite);
        assert_eq!(d.numbers.len(), 3);
        assert_eq!(d.numbers[2].label, NumberLabel::Home);
    }

    #[test]
    fn google_export_and_skips() {
        let text = "Given Name,Family Name,Organization 1 - Name,Phone 1 - Type,Phone 1 - Value,Phone 2 - Type,Phone 2 - Value\n\
Ana,Pérez,Banco,Mobile,+507 6123-4567,Work,+507 200-1234\n\
,,,,,,\n\
Nobody,,,,,,\n\
,,,Mobile,+65 8123 4567,,\n\
Too,Many,Fields,a,b,c,d,e,f\n";
        let (rows, skips) = parse_csv(text);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].draft.name, "Ana Pérez");
        assert_eq!(rows[0].draft.numbers[1].label, NumberLabel::Work);
        let reasons: Vec<_> = skips.iter().map(|s| (s.row, s.reason.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (4, "no phone number"),
                (5, "no name"),
                (6, "9 fields, but the header has 7")
            ]
        );
    }

    #[test]
    fn bad_files_say_why() {
        assert_eq!(parse_csv("").1[0].reason, "the file is empty");
        assert!(parse_csv("foo,bar\n1,2\n").1[0]
            .reason
            .contains("header row"));
        assert!(parse_csv("name,mobile\n\"open,1\n").1[0]
            .reason
            .contains("never closed"));
    }
}
