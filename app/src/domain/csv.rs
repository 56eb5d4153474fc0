//! Writing CSV for spreadsheets (RFC 4180, CRLF line ends), shared by every export.

/// One field: quoted when it holds a comma, a quote or a line break, and a formula defused by a
/// leading `'` (CSV injection: `=`, `@`, `-`, a tab, or `+` not starting a phone number).
pub fn field(value: &str) -> String {
    let formula = value.starts_with(['=', '@', '-', '\t'])
        || (value.starts_with('+') && !value[1..].starts_with(|c: char| c.is_ascii_digit()));
    let value = if formula {
        format!("'{value}")
    } else {
        value.to_string()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_are_quoted_and_formulas_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=1+1"), "'=1+1");
        assert_eq!(field("-2"), "'-2");
        assert_eq!(field("+6581234567"), "+6581234567");
        assert_eq!(field("+SUM(A1)"), "'+SUM(A1)");
    }
}
