//! Picture strings for `$now` and `$fromMillis` (XPath `format-dateTime` components, as
//! jsonata uses them), in UTC: `[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001]Z`,
//! `[FNn], [D1o] [MNn]`, `[h]:[m01][P]`. Time zones other than UTC are not supported.

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::super::eval::{err, R};

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
const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Formats `t` with an XPath date-time picture.
pub(super) fn format(t: &DateTime<Utc>, picture: &str) -> R<String> {
    let mut out = String::new();
    let mut chars = picture.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '[' if chars.peek() == Some(&'[') => {
                chars.next();
                out.push('[');
            }
            ']' if chars.peek() == Some(&']') => {
                chars.next();
                out.push(']');
            }
            '[' => {
                let mut marker = String::new();
                loop {
                    match chars.next() {
                        Some(']') => break,
                        Some(c) if !c.is_whitespace() => marker.push(c),
                        Some(_) => {}
                        None => {
                            return Err(err(
                                "D3135",
                                "No matching closing bracket ']' in date/time picture string",
                            ))
                        }
                    }
                }
                out.push_str(&component(t, &marker)?);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

/// One `[…]` marker: a component letter, a presentation, an optional `,width`.
fn component(t: &DateTime<Utc>, marker: &str) -> R<String> {
    let mut chars = marker.chars();
    let Some(letter) = chars.next() else {
        return Err(err("D3134", "Empty component in date/time picture string"));
    };
    let rest: String = chars.collect();
    let (presentation, width) = match rest.split_once(',') {
        Some((p, w)) => (p.to_string(), Some(w.to_string())),
        None => (rest, None),
    };
    let number = |n: u32, default_digits: usize| {
        let digits = presentation
            .chars()
            .filter(char::is_ascii_digit)
            .count()
            .max(if presentation.is_empty() { 1 } else { 0 });
        let min = width
            .as_deref()
            .and_then(|w| w.split('-').next())
            .and_then(|w| w.parse::<usize>().ok())
            .unwrap_or(digits.max(if presentation.is_empty() {
                default_digits
            } else {
                1
            }));
        let text = n.to_string();
        let text = if presentation.ends_with('o') {
            ordinal(n)
        } else {
            text
        };
        format!("{text:0>min$}")
    };
    let name = |full: &str| match presentation.as_str() {
        "N" => full.to_uppercase(),
        "n" => full.to_lowercase(),
        _ => full.to_string(),
    };
    let by_name = presentation.starts_with('N') || presentation.starts_with('n');
    Ok(match letter {
        'Y' => {
            let year = u32::try_from(t.year()).unwrap_or(0);
            if presentation.chars().filter(char::is_ascii_digit).count() == 2 {
                format!("{:02}", year % 100)
            } else {
                number(year, 1)
            }
        }
        'M' if by_name => name(MONTHS[t.month0() as usize]),
        'M' => number(t.month(), 1),
        'D' => number(t.day(), 1),
        'd' => number(t.ordinal(), 1),
        'F' if by_name || presentation.is_empty() => {
            name(DAYS[t.weekday().num_days_from_monday() as usize])
        }
        'F' => number(t.weekday().number_from_monday(), 1),
        'W' => number(t.iso_week().week(), 1),
        'H' => number(t.hour(), 1),
        'h' => number(
            match t.hour() % 12 {
                0 => 12,
                h => h,
            },
            1,
        ),
        'P' => {
            let am = if t.hour() < 12 { "am" } else { "pm" };
            if presentation == "N" {
                am.to_uppercase()
            } else {
                am.to_string()
            }
        }
        'm' => number(t.minute(), 2),
        's' => number(t.second(), 2),
        'f' => {
            let digits = presentation
                .chars()
                .filter(char::is_ascii_digit)
                .count()
                .max(3);
            let nanos = format!("{:09}", t.nanosecond());
            nanos[..digits.min(9)].to_string()
        }
        'Z' => {
            if presentation.contains(':') || presentation.is_empty() {
                "+00:00".to_string()
            } else {
                "+0000".to_string()
            }
        }
        'z' => "GMT+00:00".to_string(),
        other => {
            return Err(err(
                "D3132",
                format!("Unknown component specifier {other} in date/time picture string"),
            ))
        }
    })
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
