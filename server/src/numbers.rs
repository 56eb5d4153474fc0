//! The authoritative number classifier (libphonenumber metadata via `rlibphonenumber`) and the
//! `server numbers check` command for support staff and scripts.

use std::io::{BufRead, Write};

use app::domain::numbers::{check, Classifier, Country, NumberCheck, NumberKind};
use rlibphonenumber::{PhoneNumberType, PHONE_NUMBER_UTIL};

/// libphonenumber's full metadata (9.0.42) as a [`Classifier`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Libphonenumber;

impl Classifier for Libphonenumber {
    fn classify(&self, country: Country, national: &str) -> Option<NumberKind> {
        if national.is_empty() || !national.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number = PHONE_NUMBER_UTIL
            .parse(format!("+{}{}", country.calling_code(), national), None)
            .ok()?;
        // The parsed number must be exactly what we asked about (no digits dropped or added).
        if number.national_number.to_string() != national.trim_start_matches('0')
            || !number.is_valid()
        {
            return None;
        }
        match number.get_type() {
            PhoneNumberType::FixedLine => Some(NumberKind::FixedLine),
            PhoneNumberType::Mobile => Some(NumberKind::Mobile),
            PhoneNumberType::TollFree => Some(NumberKind::TollFree),
            PhoneNumberType::PremiumRate => Some(NumberKind::PremiumRate),
            PhoneNumberType::SharedCost => Some(NumberKind::SharedCost),
            PhoneNumberType::UAN => Some(NumberKind::Uan),
            PhoneNumberType::VoIP => Some(NumberKind::Voip),
            _ => None,
        }
    }
}

/// Checks one input with the authoritative classifier.
pub fn check_number(input: &str, country: Option<Country>) -> NumberCheck {
    check(input, country, &Libphonenumber)
}

const AFTER_HELP: &str = "Prints one JSON object per input:
  {\"input\", \"e164\", \"country\", \"type\", \"decision\": \"allow\"|\"refuse\", \"reason\"}
Exit status: 0 if every input is allowed, 1 if any is refused, 2 on a usage error.
Reasons are listed in docs/numbers.md.";

/// `server numbers check`: one input, or one per line on stdin.
#[derive(clap::Args, Clone, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct CheckArgs {
    /// The number as someone would type it, such as "+65 8123 4567"
    #[arg(required_unless_present = "stdin", conflicts_with = "stdin")]
    input: Option<String>,
    /// Read one input per line; a tab then PA or SG overrides the country for that line
    #[arg(long)]
    stdin: bool,
    /// The country of inputs without a country code
    #[arg(long, value_name = "PA|SG", value_parser = country)]
    country: Option<Country>,
}

fn country(text: &str) -> Result<Country, &'static str> {
    Country::from_iso(text).ok_or("PA or SG")
}

/// Runs `server numbers check`; returns the process exit code.
pub fn run_cli(
    args: &CheckArgs,
    stdin: impl BufRead,
    mut out: impl Write,
    mut err: impl Write,
) -> i32 {
    let country = args.country;
    let mut all_allowed = true;
    let emit = |verdict: NumberCheck, out: &mut dyn Write| -> bool {
        let line =
            serde_json::to_string(&verdict).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
        let _ = writeln!(out, "{line}");
        verdict.is_allowed()
    };
    match (args.stdin, &args.input) {
        (true, _) => {
            for line in stdin.lines() {
                let Ok(line) = line else {
                    let _ = writeln!(err, "stdin is not UTF-8 text");
                    return 2;
                };
                let (text, line_country) = match line.split_once('\t') {
                    Some((text, c)) if c.trim().is_empty() => (text, country),
                    Some((text, c)) => match Country::from_iso(c) {
                        Some(c) => (text, Some(c)),
                        None => {
                            let _ = writeln!(
                                err,
                                "unknown country {c:?} (use PA or SG) for input {text:?}"
                            );
                            all_allowed = false;
                            continue;
                        }
                    },
                    None => (line.as_str(), country),
                };
                all_allowed &= emit(check_number(text, line_country), &mut out);
            }
        }
        (false, Some(text)) => all_allowed &= emit(check_number(text, country), &mut out),
        (false, None) => {
            let _ = writeln!(err, "give one input or --stdin");
            return 2;
        }
    }
    if all_allowed {
        0
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::numbers::cases::cases;

    #[test]
    fn libphonenumber_gives_the_expected_answer_for_every_case() {
        let mut failures = Vec::new();
        for case in cases() {
            let got = check_number(&case.input, case.default_country);
            if got != case.expected {
                failures.push(format!(
                    "line {}: {:?}\n  want {:?}\n  got  {:?}",
                    case.line, case.input, case.expected, got
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// `server numbers <args>`, parsed as the binary parses it.
    fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
        let argv = ["server", "numbers"].iter().chain(args).copied();
        let check = match crate::config::parse(argv, || unreachable!("no configuration")) {
            Ok(crate::config::Invocation::NumbersCheck(check)) => check,
            Ok(other) => panic!("{other:?}"),
            Err(crate::config::CliError::Usage(e)) => {
                return (e.exit_code(), String::new(), e.to_string())
            }
            Err(e) => panic!("{e}"),
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = run_cli(&check, stdin.as_bytes(), &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn cli_single_input() {
        let (code, out, _) = run(&["check", "8123 4567", "--country", "SG"], "");
        assert_eq!(code, 0);
        let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        assert_eq!(v["e164"], "+6581234567");
        assert_eq!(v["country"], "SG");
        assert_eq!(v["type"], "mobile");
        assert_eq!(v["decision"], "allow");
        assert_eq!(v["reason"], serde_json::Value::Null);
        let (code, out, _) = run(&["check", "+507 900-1234"], "");
        assert_eq!(code, 1);
        assert!(out.contains("\"reason\":\"premium_rate\""), "{out}");
    }

    #[test]
    fn cli_stdin_lines_with_country_overrides() {
        let (code, out, err) = run(
            &["check", "--stdin"],
            "+65 8123 4567\n6123 4567\tPA\n999\tSG\nx\tFR\n",
        );
        assert_eq!(code, 1);
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[1]["e164"], "+50761234567");
        assert_eq!(lines[2]["reason"], "short_code");
        assert!(err.contains("unknown country"));
    }

    #[test]
    fn cli_usage_errors() {
        assert_eq!(run(&[], "").0, 2);
        assert_eq!(run(&["check"], "").0, 2);
        assert_eq!(run(&["check", "1", "--country", "FR"], "").0, 2);
        assert_eq!(run(&["check", "1", "--bogus"], "").0, 2);
        assert_eq!(run(&["check", "1", "--stdin"], "").0, 2);
        assert_eq!(run(&["check", "--help"], "").0, 0);
    }
}
