//! An administrator's per-user spend overrides ([`SpendOverrides`]) as typed on the admin
//! page: each limit a whole number or empty (the server's value), the longest call in minutes
//! (as `server limits set --max-call-minutes`). What cannot be read is named by field, as the
//! REST API names a body's field it cannot read (`422 InvalidBody`).

use super::spend::SpendOverrides;

/// A limit of the form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitField {
    CallsPerMinute,
    CallsPerHour,
    MinutesPerDay,
    LongestCall,
}

impl LimitField {
    pub const ALL: [LimitField; 4] = [
        LimitField::CallsPerMinute,
        LimitField::CallsPerHour,
        LimitField::MinutesPerDay,
        LimitField::LongestCall,
    ];

    /// The field's name in the REST API's body (`OverridesIo`), for the page's ids.
    pub fn name(self) -> &'static str {
        match self {
            LimitField::CallsPerMinute => "calls_per_minute",
            LimitField::CallsPerHour => "calls_per_hour",
            LimitField::MinutesPerDay => "minutes_per_day",
            LimitField::LongestCall => "max_call_secs",
        }
    }
}

/// The overrides as text, one per [`LimitField`], and the velocity rules' switch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OverridesText {
    pub calls_per_minute: String,
    pub calls_per_hour: String,
    pub minutes_per_day: String,
    /// Minutes.
    pub longest_call: String,
    pub velocity_exempt: bool,
    /// The stored longest call (seconds), kept as it is while its text is not changed: one
    /// set through the REST API need not be whole minutes.
    kept_longest_secs: Option<u64>,
}

fn text(v: Option<u32>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// Empty: none (the server's value); else a whole number of 0 or more that fits.
fn number(text: &str) -> Result<Option<u32>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    text.parse().map(Some).map_err(|_| ())
}

impl OverridesText {
    pub fn of(o: &SpendOverrides) -> OverridesText {
        OverridesText {
            calls_per_minute: text(o.calls_per_minute),
            calls_per_hour: text(o.calls_per_hour),
            minutes_per_day: text(o.minutes_per_day),
            longest_call: o
                .max_call_secs
                .map(|s| minutes(s).to_string())
                .unwrap_or_default(),
            velocity_exempt: o.velocity_exempt,
            kept_longest_secs: o.max_call_secs,
        }
    }

    pub fn get(&self, field: LimitField) -> &str {
        match field {
            LimitField::CallsPerMinute => &self.calls_per_minute,
            LimitField::CallsPerHour => &self.calls_per_hour,
            LimitField::MinutesPerDay => &self.minutes_per_day,
            LimitField::LongestCall => &self.longest_call,
        }
    }

    pub fn set(&mut self, field: LimitField, value: String) {
        match field {
            LimitField::CallsPerMinute => self.calls_per_minute = value,
            LimitField::CallsPerHour => self.calls_per_hour = value,
            LimitField::MinutesPerDay => self.minutes_per_day = value,
            LimitField::LongestCall => self.longest_call = value,
        }
    }

    /// The overrides, or every field that is not a whole number (nor empty).
    pub fn parse(&self) -> Result<SpendOverrides, Vec<LimitField>> {
        let mut bad = Vec::new();
        let mut read = |field: LimitField| {
            number(self.get(field)).unwrap_or_else(|()| {
                bad.push(field);
                None
            })
        };
        let calls_per_minute = read(LimitField::CallsPerMinute);
        let calls_per_hour = read(LimitField::CallsPerHour);
        let minutes_per_day = read(LimitField::MinutesPerDay);
        let longest = read(LimitField::LongestCall);
        if !bad.is_empty() {
            return Err(bad);
        }
        let max_call_secs = match (longest, self.kept_longest_secs) {
            (Some(m), Some(kept)) if minutes(kept) == u64::from(m) => Some(kept),
            (m, _) => m.map(|m| u64::from(m) * 60),
        };
        Ok(SpendOverrides {
            calls_per_minute,
            calls_per_hour,
            minutes_per_day,
            max_call_secs,
            velocity_exempt: self.velocity_exempt,
        })
    }
}

/// Seconds as whole minutes, rounded up (a 90 s limit reads as 2 minutes).
pub fn minutes(secs: u64) -> u64 {
    secs.div_ceil(60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_fields_are_the_servers_values_and_numbers_are_kept() {
        assert_eq!(
            OverridesText::default().parse(),
            Ok(SpendOverrides::default())
        );
        let mut form = OverridesText::default();
        form.set(LimitField::CallsPerMinute, " 3 ".into());
        form.set(LimitField::CallsPerHour, "0".into());
        form.set(LimitField::LongestCall, "5".into());
        form.velocity_exempt = true;
        assert_eq!(
            form.parse(),
            Ok(SpendOverrides {
                calls_per_minute: Some(3),
                calls_per_hour: Some(0),
                minutes_per_day: None,
                max_call_secs: Some(300),
                velocity_exempt: true,
            })
        );
    }

    #[test]
    fn every_field_that_is_not_a_whole_number_is_named() {
        let mut form = OverridesText::default();
        form.set(LimitField::CallsPerMinute, "-1".into());
        form.set(LimitField::CallsPerHour, "10".into());
        form.set(LimitField::MinutesPerDay, "1.5".into());
        form.set(LimitField::LongestCall, "99999999999".into());
        assert_eq!(
            form.parse(),
            Err(vec![
                LimitField::CallsPerMinute,
                LimitField::MinutesPerDay,
                LimitField::LongestCall
            ])
        );
        form.set(LimitField::CallsPerMinute, "ten".into());
        form.set(LimitField::MinutesPerDay, "+5".into());
        form.set(LimitField::LongestCall, "4294967295".into());
        assert_eq!(
            form.parse(),
            Err(vec![LimitField::CallsPerMinute, LimitField::MinutesPerDay])
        );
    }

    #[test]
    fn a_stored_longest_call_of_odd_seconds_survives_an_unchanged_form() {
        let stored = SpendOverrides {
            max_call_secs: Some(90),
            minutes_per_day: Some(100),
            ..SpendOverrides::default()
        };
        let mut form = OverridesText::of(&stored);
        assert_eq!(form.longest_call, "2");
        assert_eq!(form.minutes_per_day, "100");
        assert_eq!(form.parse(), Ok(stored));
        // Changed: whole minutes from then on; emptied: the server's value.
        form.set(LimitField::LongestCall, "3".into());
        assert_eq!(form.parse().unwrap().max_call_secs, Some(180));
        form.set(LimitField::LongestCall, String::new());
        assert_eq!(form.parse().unwrap().max_call_secs, None);
    }
}
