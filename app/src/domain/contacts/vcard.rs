//! vCard 2.1 / 3.0 / 4.0 reading and vCard 3.0 writing (RFC 6350, RFC 2426), enough for what
//! phones and address books export: FN/N, ORG, NOTE, TEL with types, CATEGORIES.

use super::{Contact, ContactDraft, DraftNumber, ImportRow, ImportSkip, NumberLabel};

/// Joins folded lines (a line starting with a space or tab continues the previous one).
fn unfold(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for raw in text.split('\n') {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(rest) = line.strip_prefix([' ', '\t']) {
            if let Some(last) = lines.last_mut() {
                last.push_str(rest);
                continue;
            }
        }
        lines.push(line.to_string());
    }
    lines
}

fn unescape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') | Some('N') => out.push('\n'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The components of a structured value (`N`, `ORG`), split at `;` but not at an escaped `\;`,
/// each unescaped.
fn components(value: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            ';' => parts.push(String::new()),
            _ => {
                let Some(part) = parts.last_mut() else {
                    continue;
                };
                part.push(c);
                if c == '\\' {
                    part.extend(chars.next());
                }
            }
        }
    }
    parts.iter().map(|p| unescape(p)).collect()
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace(',', "\\,")
        .replace(';', "\\;")
}

/// Splits `NAME;PARAM=…;PARAM:value` into the upper-cased name (group prefix removed), the
/// parameters and the value.
fn split_property(line: &str) -> Option<(String, Vec<String>, &str)> {
    let colon = line.find(':')?;
    let (head, value) = (&line[..colon], &line[colon + 1..]);
    let mut parts = head.split(';');
    let name = parts
        .next()?
        .rsplit('.')
        .next()?
        .trim()
        .to_ascii_uppercase();
    let params = parts.map(|p| p.trim().to_string()).collect();
    Some((name, params, value))
}

fn label_from_params(params: &[String]) -> NumberLabel {
    let types: Vec<String> = params
        .iter()
        .flat_map(|p| {
            let value = p.split_once('=').map_or(p.as_str(), |(_, v)| v);
            value
                .trim_matches('"')
                .split(',')
                .map(|t| t.to_ascii_lowercase())
                .collect::<Vec<_>>()
        })
        .collect();
    if types
        .iter()
        .any(|t| t == "cell" || t == "mobile" || t == "iphone")
    {
        NumberLabel::Mobile
    } else if types.iter().any(|t| t == "work") {
        NumberLabel::Work
    } else if types.iter().any(|t| t == "home") {
        NumberLabel::Home
    } else {
        NumberLabel::Other
    }
}

fn is_favourite_category(value: &str) -> bool {
    value.split(',').any(|c| {
        let c = c.trim().to_ascii_lowercase();
        c == "favourite" || c == "favorite" || c == "starred"
    })
}

/// Reads every card; a card without a name or a number is skipped with the reason.
pub fn parse_vcards(text: &str) -> (Vec<ImportRow>, Vec<ImportSkip>) {
    let mut rows = Vec::new();
    let mut skips = Vec::new();
    let mut current: Option<(ContactDraft, String)> = None;
    let mut card = 0;
    for line in unfold(text) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let Some((name, params, value)) = split_property(trimmed) else {
            continue;
        };
        match name.as_str() {
            "BEGIN" if value.eq_ignore_ascii_case("VCARD") => {
                card += 1;
                current = Some((ContactDraft::default(), String::new()));
            }
            "END" if value.eq_ignore_ascii_case("VCARD") => {
                let Some((mut draft, structured_name)) = current.take() else {
                    skips.push(ImportSkip::new(card, "END:VCARD without BEGIN:VCARD"));
                    continue;
                };
                if draft.name.trim().is_empty() {
                    draft.name = structured_name;
                }
                if draft.name.trim().is_empty() && draft.company.trim().is_empty() {
                    skips.push(ImportSkip::new(card, "no name"));
                } else if draft.numbers.is_empty() {
                    skips.push(ImportSkip::new(card, "no phone number"));
                } else {
                    if draft.name.trim().is_empty() {
                        draft.name = draft.company.clone();
                    }
                    rows.push(ImportRow { row: card, draft });
                }
            }
            _ => {
                let Some((draft, structured_name)) = current.as_mut() else {
                    continue;
                };
                let quoted_printable = params
                    .iter()
                    .any(|p| p.to_ascii_uppercase().contains("QUOTED-PRINTABLE"));
                if quoted_printable {
                    // vCard 2.1 encoded text: keep what is plain ASCII, drop the encoding marks.
                    continue;
                }
                match name.as_str() {
                    "FN" => draft.name = unescape(value).trim().to_string(),
                    "N" => {
                        let parts = components(value);
                        let given = parts.get(1).map(String::as_str).unwrap_or("");
                        let family = parts.first().map(String::as_str).unwrap_or("");
                        *structured_name = format!("{given} {family}").trim().to_string();
                    }
                    "ORG" => {
                        let organisation = components(value).into_iter().next();
                        draft.company = organisation.unwrap_or_default().trim().to_string()
                    }
                    "NOTE" => draft.notes = unescape(value).trim().to_string(),
                    "CATEGORIES" if is_favourite_category(value) => draft.favourite = true,
                    "TEL" => {
                        let number = value.trim();
                        let number = number
                            .get(..4)
                            .filter(|s| s.eq_ignore_ascii_case("tel:"))
                            .map_or(number, |_| &number[4..]);
                        if !number.is_empty() {
                            draft.numbers.push(DraftNumber {
                                label: label_from_params(&params),
                                input: number.to_string(),
                            });
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    if current.is_some() {
        skips.push(ImportSkip::new(card, "card not closed (missing END:VCARD)"));
    }
    (rows, skips)
}

/// Writes contacts as vCard 3.0, one card each, CRLF line ends.
pub fn write_vcards(contacts: &[Contact]) -> String {
    let mut out = String::new();
    for c in contacts {
        out.push_str("BEGIN:VCARD\r\nVERSION:3.0\r\n");
        out.push_str(&format!("FN:{}\r\n", escape(&c.name)));
        out.push_str(&format!("N:;{};;;\r\n", escape(&c.name)));
        if !c.company.is_empty() {
            out.push_str(&format!("ORG:{}\r\n", escape(&c.company)));
        }
        for n in &c.numbers {
            let t = match n.label {
                NumberLabel::Mobile => "CELL",
                NumberLabel::Work => "WORK",
                NumberLabel::Home => "HOME",
                NumberLabel::Other => "VOICE",
            };
            out.push_str(&format!("TEL;TYPE={t}:{}\r\n", n.e164));
        }
        if !c.notes.is_empty() {
            out.push_str(&format!("NOTE:{}\r\n", escape(&c.notes)));
        }
        if c.favourite {
            out.push_str("CATEGORIES:favourite\r\n");
        }
        out.push_str("END:VCARD\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contacts::ContactNumber;

    #[test]
    fn reads_cards_from_phones_and_skips_with_reasons() {
        let text = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana P\\, Pérez\r\nORG:Banco;Ventas\r\nTEL;TYPE=CELL:+507 6123-4567\r\nitem1.TEL;type=WORK;type=pref:+65 6123 4567\r\nNOTE:first line\\nsecond\r\n line folded\r\nEND:VCARD\r\n\
BEGIN:VCARD\nVERSION:2.1\nN:Tan;Wei;;;\nTEL;CELL:8123 4567\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:4.0\nFN:No Number\nEND:VCARD\n\
BEGIN:VCARD\nVERSION:4.0\nTEL;VALUE=uri;TYPE=home:tel:+65-6511-7637\nEND:VCARD\n\
BEGIN:VCARD\nFN:Unclosed\nTEL:+6581234567\n";
        let (rows, skips) = parse_vcards(text);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].draft.name, "Ana P, Pérez");
        assert_eq!(rows[0].draft.company, "Banco");
        assert_eq!(rows[0].draft.notes, "first line\nsecondline folded");
        assert_eq!(rows[0].draft.numbers[0].label, NumberLabel::Mobile);
        assert_eq!(rows[0].draft.numbers[1].label, NumberLabel::Work);
        assert_eq!(rows[1].draft.name, "Wei Tan");
        assert_eq!(rows[1].row, 2);
        let reasons: Vec<_> = skips.iter().map(|s| (s.row, s.reason.as_str())).collect();
        assert_eq!(
            reasons,
            [
                (3, "no phone number"),
                (4, "no name"),
                (5, "card not closed (missing END:VCARD)")
            ]
        );
    }

    #[test]
    fn escaped_semicolons_stay_in_the_company_and_the_name() {
        // Seen writing the contacts_import fuzz target's round trip: a company with `;` was cut
        // at it on the way back in (the value was split before it was unescaped).
        let contact = Contact {
            id: "x".into(),
            name: "Ng; Wei".into(),
            company: "Ventas; Norte\\".into(),
            notes: String::new(),
            favourite: false,
            numbers: vec![ContactNumber {
                label: NumberLabel::Mobile,
                e164: "+6581234567".into(),
            }],
            created_at: 0,
            updated_at: 0,
            version: 1,
        };
        let (rows, _) = parse_vcards(&write_vcards(std::slice::from_ref(&contact)));
        assert_eq!(rows[0].draft.company, "Ventas; Norte\\");
        assert_eq!(rows[0].draft.name, "Ng; Wei");
        let (rows, _) =
            parse_vcards("BEGIN:VCARD\nN:Lim\\;Tan;Ah\\, Kow;;\nTEL:+6581234567\nEND:VCARD\n");
        assert_eq!(rows[0].draft.name, "Ah, Kow Lim;Tan");
    }

    #[test]
    fn round_trip() {
        let contact = Contact {
            id: "x".into(),
            name: "Lee; Ah Kow, Jr".into(),
            company: "ACME".into(),
            notes: "line1\nline2".into(),
            favourite: true,
            numbers: vec![ContactNumber {
                label: NumberLabel::Work,
                e164: "+6561234567".into(),
            }],
            created_at: 0,
            updated_at: 0,
            version: 1,
        };
        let (rows, skips) = parse_vcards(&write_vcards(std::slice::from_ref(&contact)));
        assert!(skips.is_empty());
        let draft = &rows[0].draft;
        assert_eq!(draft.name, contact.name);
        assert_eq!(draft.notes, contact.notes);
        assert!(draft.favourite);
        assert_eq!(draft.numbers[0].input, "+6561234567");
        assert_eq!(draft.numbers[0].label, NumberLabel::Work);
    }
}
