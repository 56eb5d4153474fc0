//! When a call was, in the user's time zone: "Today 14:05", "Yesterday 09:12", or a date. The
//! server does not know the time zone, so the text is written in the browser after hydration;
//! the server and the first browser render leave it empty, and so agree.

use leptos::prelude::*;

use crate::domain::recordings::format_utc;
use crate::prefs::prefs;

// The day arithmetic is used by the browser build only (the server writes no times); the
// native tests check it.
/// A calendar day in the user's time zone.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Day {
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
    pub day: u32,
}

/// How a list names a call's day, seen from today.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayName {
    Today,
    Yesterday,
    /// Another day of this year: day and month.
    ThisYear,
    /// Day, month and year.
    Earlier,
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
impl Day {
    /// Days since 1970-01-01 (proleptic Gregorian; H. Hinnant's `days_from_civil`).
    fn number(self) -> i64 {
        let year = i64::from(self.year) - i64::from(self.month <= 2);
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month_from_march = (i64::from(self.month) + 9) % 12;
        let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn day_name(call: Day, today: Day) -> DayName {
    match today.number() - call.number() {
        0 => DayName::Today,
        1 => DayName::Yesterday,
        _ if call.year == today.year => DayName::ThisYear,
        _ => DayName::Earlier,
    }
}

/// The call's time as the browser's `Intl` writes it in the user's language and time zone.
#[cfg(feature = "hydrate")]
fn local_text(lang: crate::i18n::Lang, ms: u64, with_time: bool) -> String {
    use crate::i18n::{tf, T};
    use js_sys::{Date, Object, Reflect};
    use wasm_bindgen::JsValue;

    let options = |pairs: &[(&str, &str)]| {
        let object = Object::new();
        for (name, value) in pairs {
            // Setting a plain property on a fresh object cannot fail.
            let _ = Reflect::set(&object, &(*name).into(), &(*value).into());
        }
        JsValue::from(object)
    };
    let day = |date: &Date| Day {
        year: date.get_full_year() as i32,
        month: date.get_month() + 1,
        day: date.get_date(),
    };
    let locale = lang.tag();
    let call = Date::new(&JsValue::from_f64(ms as f64));
    let clock = [("hour", "numeric"), ("minute", "2-digit")];
    let time = String::from(call.to_locale_time_string_with_options(locale, &options(&clock)));
    let mut date = vec![("day", "numeric"), ("month", "short")];
    match day_name(day(&call), day(&Date::new_0())) {
        DayName::Today => return tf(lang, T::TodayAt, &[("time", &time)]),
        DayName::Yesterday => return tf(lang, T::YesterdayAt, &[("time", &time)]),
        DayName::ThisYear => {}
        DayName::Earlier => date.push(("year", "numeric")),
    }
    if with_time {
        date.extend(clock);
        call.to_locale_string(locale, &options(&date)).into()
    } else {
        call.to_locale_date_string(locale, &options(&date)).into()
    }
}

#[cfg(not(feature = "hydrate"))]
fn local_text(_: crate::i18n::Lang, _: u64, _: bool) -> String {
    String::new()
}

/// A call's start (`ms` since the epoch) in the user's time zone; `with_time` adds the time
/// of day to dates before yesterday. The UTC moment is in `datetime` and the tooltip.
#[component]
pub fn CallTime(
    ms: u64,
    #[prop(optional)] with_time: bool,
    #[prop(optional, into)] class: String,
) -> impl IntoView {
    let lang = prefs().lang;
    let text = RwSignal::new(String::new());
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| text.set(local_text(lang.get(), ms, with_time)));
    let utc = format_utc(ms);
    // "2026-11-25 22:20Z" is a valid HTML global date and time.
    let datetime = utc.replace(" UTC", "Z");
    view! {
        <time class=class datetime=datetime title=utc data-testid="call-time">
            {move || text.get()}
        </time>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(year: i32, month: u32, day: u32) -> Day {
        Day { year, month, day }
    }

    #[test]
    fn names_today_yesterday_this_year_and_earlier() {
        let today = day(2026, 12, 3);
        assert_eq!(day_name(day(2026, 12, 3), today), DayName::Today);
        assert_eq!(day_name(day(2026, 12, 2), today), DayName::Yesterday);
        assert_eq!(day_name(day(2026, 11, 30), today), DayName::ThisYear);
        assert_eq!(day_name(day(2025, 12, 3), today), DayName::Earlier);
    }

    #[test]
    fn yesterday_crosses_months_years_and_leap_days() {
        assert_eq!(
            day_name(day(2026, 11, 30), day(2026, 12, 1)),
            DayName::Yesterday
        );
        assert_eq!(
            day_name(day(2025, 12, 31), day(2026, 1, 1)),
            DayName::Yesterday
        );
        assert_eq!(
            day_name(day(2028, 2, 29), day(2028, 3, 1)),
            DayName::Yesterday
        );
        assert_eq!(
            day_name(day(2027, 2, 28), day(2027, 3, 1)),
            DayName::Yesterday
        );
    }

    #[test]
    fn day_numbers_count_from_the_epoch() {
        assert_eq!(day(1970, 1, 1).number(), 0);
        assert_eq!(day(2000, 3, 1).number(), 11_017);
        // 1 795 645 217 s after the epoch is 2026-11-25 (see `format_utc`).
        assert_eq!(day(2026, 11, 25).number(), 1_795_645_217 / 86_400);
    }
}
