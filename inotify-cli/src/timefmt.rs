//! `--timefmt`: a small strftime for `%T` in `--format` (C locale), and the
//! RFC 3339 stamps of `--json`. Local time and zone names come from the
//! `jiff` crate (the system time zone database, `TZ` honoured), so no libc
//! call is needed.

use std::fmt::Write as _;

use jiff::Zoned;

/// The current local time.
pub fn now() -> Zoned {
    Zoned::now()
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Formats `time` like C's `strftime` in the C locale. Supported:
/// `%a %A %b %h %B %c %C %d %D %e %F %H %I %j %k %l %m %M %n %p %r %R %s
/// %S %t %T %u %w %x %X %y %Y %z %Z %%`; any other conversion is copied
/// unchanged, as glibc does.
pub fn strftime(fmt: &str, time: &Zoned) -> String {
    let mut out = String::new();
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(spec) => {
                if !conversion(&mut out, spec, time) {
                    out.push('%');
                    out.push(spec);
                }
            }
            None => out.push('%'),
        }
    }
    out
}

/// Appends one conversion; `false` when `spec` is not one we know.
fn conversion(out: &mut String, spec: char, t: &Zoned) -> bool {
    let weekday = usize::try_from(t.weekday().to_sunday_zero_offset()).unwrap_or(0);
    let month = usize::try_from(t.month() - 1).unwrap_or(0);
    let hour12 = match t.hour() % 12 {
        0 => 12,
        h => h,
    };
    // Writing into a String cannot fail; the results are ignored on purpose.
    let _ = match spec {
        'a' => write!(out, "{}", &DAYS[weekday][..3]),
        'A' => write!(out, "{}", DAYS[weekday]),
        'b' | 'h' => write!(out, "{}", &MONTHS[month][..3]),
        'B' => write!(out, "{}", MONTHS[month]),
        'c' => write!(out, "{}", strftime("%a %b %e %H:%M:%S %Y", t)),
        'C' => write!(out, "{:02}", t.year() / 100),
        'd' => write!(out, "{:02}", t.day()),
        'D' | 'x' => write!(out, "{}", strftime("%m/%d/%y", t)),
        'e' => write!(out, "{:2}", t.day()),
        'F' => write!(out, "{}", strftime("%Y-%m-%d", t)),
        'H' => write!(out, "{:02}", t.hour()),
        'I' => write!(out, "{hour12:02}"),
        'j' => write!(out, "{:03}", t.day_of_year()),
        'k' => write!(out, "{:2}", t.hour()),
        'l' => write!(out, "{hour12:2}"),
        'm' => write!(out, "{:02}", t.month()),
        'M' => write!(out, "{:02}", t.minute()),
        'n' => out.write_char('\n'),
        'p' => write!(out, "{}", if t.hour() < 12 { "AM" } else { "PM" }),
        'r' => write!(out, "{}", strftime("%I:%M:%S %p", t)),
        'R' => write!(out, "{}", strftime("%H:%M", t)),
        's' => write!(out, "{}", t.timestamp().as_second()),
        'S' => write!(out, "{:02}", t.second()),
        't' => write!(out, "\t"),
        'T' | 'X' => write!(out, "{}", strftime("%H:%M:%S", t)),
        'u' => write!(out, "{}", t.weekday().to_monday_one_offset()),
        'w' => write!(out, "{weekday}"),
        'y' => write!(out, "{:02}", t.year().rem_euclid(100)),
        'Y' => write!(out, "{}", t.year()),
        'z' => {
            let secs = t.offset().seconds();
            let sign = if secs < 0 { '-' } else { '+' };
            let abs = secs.unsigned_abs();
            write!(out, "{sign}{:02}{:02}", abs / 3600, abs / 60 % 60)
        }
        'Z' => write!(out, "{}", zone_abbreviation(t)),
        '%' => write!(out, "%"),
        _ => return false,
    };
    true
}

/// The zone's abbreviation at `t` (`UTC`, `CET`, `+0530`).
fn zone_abbreviation(t: &Zoned) -> String {
    let info = t.time_zone().to_offset_info(t.timestamp());
    info.abbreviation().to_owned()
}

/// An RFC 3339 stamp with microseconds and the local offset, for `--json`:
/// `2026-11-22T22:16:23.123456+00:00`.
pub fn rfc3339(t: &Zoned) -> String {
    let secs = t.offset().seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.unsigned_abs();
    format!(
        "{}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}{sign}{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.subsec_nanosecond() / 1000,
        abs / 3600,
        abs / 60 % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed() -> Zoned {
        "2026-03-05T07:08:09.5+00:00[UTC]"
            .parse()
            .expect("valid stamp")
    }

    #[test]
    fn strftime_common_specifiers() {
        let t = fixed();
        assert_eq!(strftime("%Y-%m-%d %H:%M:%S", &t), "2026-03-05 07:08:09");
        assert_eq!(strftime("%F %T %D", &t), "2026-03-05 07:08:09 03/05/26");
        assert_eq!(strftime("%a %b %e %j %y", &t), "Thu Mar  5 064 26");
        assert_eq!(strftime("%s %z %Z %%", &t), "1772694489 +0000 UTC %");
        assert_eq!(strftime("%I %p %A %B", &t), "07 AM Thursday March");
    }

    #[test]
    fn strftime_unknown_and_trailing_percent_are_literal() {
        let t = fixed();
        assert_eq!(strftime("%Q %", &t), "%Q %");
    }

    #[test]
    fn rfc3339_has_micros_and_offset() {
        assert_eq!(rfc3339(&fixed()), "2026-03-05T07:08:09.500000+00:00");
    }
}
