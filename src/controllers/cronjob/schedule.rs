//! Cron schedules as the CronJob controller evaluates them (`robfig/cron/v3` `ParseStandard`):
//! five fields (minute, hour, day of month, month, day of week) with lists, ranges, steps and
//! month/weekday names, the `@yearly`…`@hourly` descriptors and `@every <duration>`. Times are
//! computed on the wall clock of a time zone (`spec.timeZone`, else UTC).
//!
//! Syntax errors are reported by API validation (`api::validation::cron`), which rejects
//! `TZ=`/`CRON_TZ=` prefixes; here a prefix is tolerated for objects stored before that rule.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

/// A parsed schedule.
#[derive(Clone, Debug, PartialEq)]
pub enum Schedule {
    Cron(Fields),
    /// `@every <duration>` (at least one second).
    Every(SignedDuration),
}

/// Bit sets of the allowed values of each field; `*` in day-of-month or day-of-week is
/// remembered, since it changes how the two combine.
#[derive(Clone, Debug, PartialEq)]
pub struct Fields {
    minute: u64,
    hour: u64,
    dom: u64,
    month: u64,
    dow: u64,
    dom_star: bool,
    dow_star: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ParseError {
    #[error("invalid schedule {0:?}: {1}")]
    Invalid(String, String),
}

const MONTH_NAMES: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const DOW_NAMES: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn field(
    expr: &str,
    min: u32,
    max: u32,
    names: &[&str],
    name_base: u32,
) -> Result<(u64, bool), String> {
    let mut bits = 0u64;
    let mut star = false;
    for part in expr.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (
                r,
                Some(
                    s.parse::<u32>()
                        .map_err(|_| format!("bad step in {part}"))?,
                ),
            ),
            None => (part, None),
        };
        let value = |s: &str| -> Result<u32, String> {
            let lower = s.to_ascii_lowercase();
            if let Some(i) = names.iter().position(|n| *n == lower) {
                return Ok(u32::try_from(i).unwrap_or(0) + name_base);
            }
            s.parse::<u32>().map_err(|_| format!("bad value {s}"))
        };
        let (start, mut end, is_star) = if range == "*" || range == "?" {
            (min, max, true)
        } else if let Some((a, b)) = range.split_once('-') {
            (value(a)?, value(b)?, false)
        } else {
            let v = value(range)?;
            (v, v, false)
        };
        if step.is_some() && !is_star && !range.contains('-') {
            end = max;
        }
        let step = step.unwrap_or(1);
        if step == 0 || start < min || end > max || start > end {
            return Err(format!("bad range {part}"));
        }
        if is_star && step == 1 {
            star = true;
        }
        let mut v = start;
        while v <= end {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok((bits, star))
}

/// Parses a schedule.
pub fn parse(spec: &str) -> Result<Schedule, ParseError> {
    let err = |m: String| ParseError::Invalid(spec.to_string(), m);
    let mut s = spec.trim();
    if s.starts_with("TZ=") || s.starts_with("CRON_TZ=") {
        s = s.split_once(' ').map(|(_, r)| r.trim()).unwrap_or("");
    }
    let s = match s {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        other => other,
    };
    if let Some(d) = s.strip_prefix("@every ") {
        let nanos = crate::api::validation::cron::parse_go_duration(d.trim()).map_err(err)?;
        let secs = (nanos / 1e9).floor().max(1.0);
        return Ok(Schedule::Every(SignedDuration::from_secs(secs as i64)));
    }
    let parts: Vec<&str> = s.split_whitespace().collect();
    if parts.len() != 5 {
        return Err(err(format!(
            "expected exactly 5 fields, found {}",
            parts.len()
        )));
    }
    let (minute, _) = field(parts[0], 0, 59, &[], 0).map_err(err)?;
    let (hour, _) = field(parts[1], 0, 23, &[], 0).map_err(err)?;
    let (dom, dom_star) = field(parts[2], 1, 31, &[], 0).map_err(err)?;
    let (month, _) = field(parts[3], 1, 12, &MONTH_NAMES, 1).map_err(err)?;
    let (dow, dow_star) = field(parts[4], 0, 6, &DOW_NAMES, 0).map_err(err)?;
    Ok(Schedule::Cron(Fields {
        minute,
        hour,
        dom,
        month,
        dow,
        dom_star,
        dow_star,
    }))
}

impl Fields {
    fn day_matches(&self, d: Date) -> bool {
        let dom_ok = self.dom & (1 << d.day()) != 0;
        let dow_ok = self.dow & (1 << d.weekday().to_sunday_zero_offset()) != 0;
        // robfig: either field unrestricted (`*`) → both must match; else either may.
        if self.dom_star || self.dow_star {
            dom_ok && dow_ok
        } else {
            dom_ok || dow_ok
        }
    }
}

impl Schedule {
    /// The first activation strictly after `after`, on `tz`'s wall clock. A wall time skipped by
    /// a DST jump fires at the matching instant after the jump; a repeated one fires once.
    pub fn next(&self, after: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let f = match self {
            Schedule::Every(d) => {
                let t = after.checked_add(*d).ok()?;
                return Timestamp::new(t.as_second(), 0).ok();
            }
            Schedule::Cron(f) => f,
        };
        let start = after.to_zoned(tz.clone()).datetime();
        let mut day = start.date();
        // Five years covers every satisfiable schedule (Feb 29 included).
        for _ in 0..(366 * 5 + 2) {
            if f.month & (1 << day.month()) != 0 && f.day_matches(day) {
                for h in 0..24i8 {
                    if f.hour & (1 << h) == 0 {
                        continue;
                    }
                    for m in 0..60i8 {
                        if f.minute & (1 << m) == 0 {
                            continue;
                        }
                        let dt =
                            DateTime::new(day.year(), day.month(), day.day(), h, m, 0, 0).ok()?;
                        let Ok(ts) = tz
                            .to_ambiguous_zoned(dt)
                            .compatible()
                            .map(|z| z.timestamp())
                        else {
                            continue;
                        };
                        if ts > after {
                            return Some(ts);
                        }
                    }
                }
            }
            day = day.tomorrow().ok()?;
        }
        None
    }
}

/// Upstream's `mostRecentScheduleTime`: the latest activation in (`earliest`, `now`] and how
/// many activations fell in that window (counting stops a little above 100: only "more than
/// 100" matters).
pub fn most_recent(
    schedule: &Schedule,
    tz: &TimeZone,
    earliest: Timestamp,
    now: Timestamp,
) -> (Option<Timestamp>, u32) {
    let mut t = earliest;
    let mut last = None;
    let mut missed = 0u32;
    while let Some(next) = schedule.next(t, tz) {
        if next > now {
            break;
        }
        last = Some(next);
        missed += 1;
        t = next;
        if missed > 101 {
            // Jump to the window's end: only the latest activation is needed now.
            let window_start = now
                .checked_sub(SignedDuration::from_hours(24 * 366))
                .unwrap_or(now)
                .max(t);
            let (l, _) = most_recent_bounded(schedule, tz, window_start, now);
            return (l.or(last), missed);
        }
    }
    (last, missed)
}

fn most_recent_bounded(
    schedule: &Schedule,
    tz: &TimeZone,
    earliest: Timestamp,
    now: Timestamp,
) -> (Option<Timestamp>, u32) {
    // Walk back from `now` in growing windows to find the latest activation quickly.
    let mut span = SignedDuration::from_mins(2);
    loop {
        let from = now.checked_sub(span).unwrap_or(earliest).max(earliest);
        let mut t = from;
        let mut last = None;
        while let Some(next) = schedule.next(t, tz) {
            if next > now {
                break;
            }
            last = Some(next);
            t = next;
        }
        if last.is_some() || from <= earliest {
            return (last, 0);
        }
        span = span.checked_mul(4).unwrap_or(SignedDuration::MAX);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn next_utc(spec: &str, after: &str) -> String {
        parse(spec)
            .unwrap()
            .next(utc(after), &TimeZone::UTC)
            .unwrap()
            .to_string()
    }

    #[test]
    fn fields_and_descriptors() {
        assert_eq!(
            next_utc("*/1 * * * *", "2024-01-01T00:00:30Z"),
            "2024-01-01T00:01:00Z"
        );
        assert_eq!(
            next_utc("*/15 * * * *", "2024-01-01T00:01:00Z"),
            "2024-01-01T00:15:00Z"
        );
        assert_eq!(
            next_utc("5 4 * * *", "2024-01-01T04:05:00Z"),
            "2024-01-02T04:05:00Z"
        );
        assert_eq!(
            next_utc("0 12 * * MON-FRI", "2024-01-06T00:00:00Z"),
            "2024-01-08T12:00:00Z"
        );
        assert_eq!(
            next_utc("15,45 */2 * * *", "2024-01-01T00:20:00Z"),
            "2024-01-01T00:45:00Z"
        );
        assert_eq!(
            next_utc("15,45 */2 * * *", "2024-01-01T00:50:00Z"),
            "2024-01-01T02:15:00Z"
        );
        assert_eq!(
            next_utc("0 0 1 */3 ?", "2024-02-10T00:00:00Z"),
            "2024-04-01T00:00:00Z"
        );
        assert_eq!(
            next_utc("0 0 29 feb *", "2025-01-01T00:00:00Z"),
            "2028-02-29T00:00:00Z"
        );
        assert_eq!(
            next_utc("30 9 5/10 * *", "2024-01-06T00:00:00Z"),
            "2024-01-15T09:30:00Z"
        );
        assert_eq!(
            next_utc("@hourly", "2024-01-01T00:00:00Z"),
            "2024-01-01T01:00:00Z"
        );
        assert_eq!(
            next_utc("@daily", "2024-01-01T00:00:00Z"),
            "2024-01-02T00:00:00Z"
        );
        assert_eq!(
            next_utc("@midnight", "2024-01-01T10:00:00Z"),
            "2024-01-02T00:00:00Z"
        );
        assert_eq!(
            next_utc("@weekly", "2024-01-01T00:00:00Z"),
            "2024-01-07T00:00:00Z"
        );
        assert_eq!(
            next_utc("@monthly", "2024-01-31T00:00:00Z"),
            "2024-02-01T00:00:00Z"
        );
        assert_eq!(
            next_utc("@yearly", "2024-06-01T00:00:00Z"),
            "2025-01-01T00:00:00Z"
        );
        assert_eq!(
            next_utc("@annually", "2024-06-01T00:00:00Z"),
            "2025-01-01T00:00:00Z"
        );
        assert_eq!(
            next_utc("@every 90s", "2024-01-01T00:00:00.500Z"),
            "2024-01-01T00:01:30Z"
        );
    }

    #[test]
    fn day_of_month_and_week_combine_like_robfig() {
        // Both restricted: either matches (the 13th, or any Friday).
        assert_eq!(
            next_utc("0 0 13 * 5", "2024-01-01T00:00:00Z"),
            "2024-01-05T00:00:00Z"
        );
        // Day of week unrestricted: only the 13th.
        assert_eq!(
            next_utc("0 0 13 * *", "2024-01-01T00:00:00Z"),
            "2024-01-13T00:00:00Z"
        );
        // `*/1` counts as unrestricted, `*/2` does not.
        assert_eq!(
            next_utc("0 0 13 * */1", "2024-01-01T00:00:00Z"),
            "2024-01-13T00:00:00Z"
        );
        assert_eq!(
            next_utc("0 0 13 * */2", "2024-01-01T00:00:00Z"),
            "2024-01-02T00:00:00Z"
        );
    }

    #[test]
    fn rejects_bad_schedules() {
        for bad in [
            "",
            "* * * *",
            "61 * * * *",
            "* * * * 7",
            "5-1 * * * *",
            "*/0 * * * *",
            "@every",
            "@reboot",
            "* * * foo *",
        ] {
            assert!(parse(bad).is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn time_zones_and_dst() {
        let ny = TimeZone::get("America/New_York").unwrap();
        let s = parse("30 2 * * *").unwrap();
        // 2024-03-10: 02:30 does not exist in New York; it fires at 03:30 EDT (07:30Z).
        assert_eq!(
            s.next(utc("2024-03-10T05:00:00Z"), &ny)
                .unwrap()
                .to_string(),
            "2024-03-10T07:30:00Z"
        );
        // A normal day: 02:30 EST = 07:30Z.
        assert_eq!(
            s.next(utc("2024-03-09T05:00:00Z"), &ny)
                .unwrap()
                .to_string(),
            "2024-03-09T07:30:00Z"
        );
        // 2024-11-03: 01:30 happens twice; fire once, at the first (EDT, 05:30Z).
        let s = parse("30 1 * * *").unwrap();
        let first = s.next(utc("2024-11-03T04:00:00Z"), &ny).unwrap();
        assert_eq!(first.to_string(), "2024-11-03T05:30:00Z");
        assert_eq!(
            s.next(first, &ny).unwrap().to_string(),
            "2024-11-04T06:30:00Z"
        );
        // Midnight in Tokyo is 15:00Z.
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        assert_eq!(
            parse("@daily")
                .unwrap()
                .next(utc("2024-01-01T00:00:00Z"), &tokyo)
                .unwrap()
                .to_string(),
            "2024-01-01T15:00:00Z"
        );
    }

    #[test]
    fn missed_activations() {
        let s = parse("*/1 * * * *").unwrap();
        let (last, n) = most_recent(
            &s,
            &TimeZone::UTC,
            utc("2024-01-01T00:00:00Z"),
            utc("2024-01-01T00:05:30Z"),
        );
        assert_eq!(last.unwrap().to_string(), "2024-01-01T00:05:00Z");
        assert_eq!(n, 5);
        let (last, n) = most_recent(
            &s,
            &TimeZone::UTC,
            utc("2024-01-01T00:00:00Z"),
            utc("2024-01-01T00:00:30Z"),
        );
        assert_eq!((last, n), (None, 0));
        // Days of missed minutes: more than 100, and the latest is still found.
        let (last, n) = most_recent(
            &s,
            &TimeZone::UTC,
            utc("2024-01-01T00:00:00Z"),
            utc("2024-01-03T07:08:09Z"),
        );
        assert_eq!(last.unwrap().to_string(), "2024-01-03T07:08:00Z");
        assert!(n > 100);
    }
}
