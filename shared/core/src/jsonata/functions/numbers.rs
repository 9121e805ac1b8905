//! Numeric functions and aggregates.

use super::super::eval::{err, Ev, R};
use super::super::value::V;
use super::{arg, bad_arg, num_arg};

fn finite(n: f64) -> R<V> {
    if n.is_finite() {
        Ok(V::Num(n))
    } else {
        Err(err("D1001", format!("Number out of range: {n}")))
    }
}

pub(super) fn number(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(match arg(args, 0) {
        V::Undef => V::Undef,
        V::Num(n) => V::Num(*n),
        V::Bool(b) => V::Num(if *b { 1.0 } else { 0.0 }),
        V::Str(s) => {
            let t = s.trim();
            let radix = |p: &str, r: u32| {
                t.strip_prefix(p)
                    .and_then(|d| i64::from_str_radix(d, r).ok())
                    .map(|n| n as f64)
            };
            let json_number = t
                .parse::<serde_json::Number>()
                .ok()
                .and_then(|n| n.as_f64());
            match json_number
                .or_else(|| radix("0x", 16))
                .or_else(|| radix("0X", 16))
                .or_else(|| radix("0o", 8))
                .or_else(|| radix("0O", 8))
                .or_else(|| radix("0b", 2))
                .or_else(|| radix("0B", 2))
            {
                Some(n) if n.is_finite() => V::Num(n),
                _ => {
                    return Err(err(
                        "D3030",
                        format!("Unable to cast value to a number: \"{s}\""),
                    ))
                }
            }
        }
        _ => return Err(bad_arg("number", 0)),
    })
}

fn unary(args: &[V], name: &str, f: fn(f64) -> f64) -> R<V> {
    match num_arg(args, 0, name)? {
        None => Ok(V::Undef),
        Some(n) => finite(f(n)),
    }
}

pub(super) fn abs(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    unary(args, "abs", f64::abs)
}

pub(super) fn floor(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    unary(args, "floor", f64::floor)
}

pub(super) fn ceil(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    unary(args, "ceil", f64::ceil)
}

/// Round half to even, at `precision` decimal places (negative: tens, hundreds…).
pub(super) fn round(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(n) = num_arg(args, 0, "round")? else {
        return Ok(V::Undef);
    };
    let precision = num_arg(args, 1, "round")?.unwrap_or(0.0) as i32;
    // Shift through the decimal text, as jsonata-js does, to avoid binary drift.
    let shifted: f64 = format!("{n}e{precision}").parse().unwrap_or(n);
    let mut r = shifted.round();
    if (r - shifted).abs() == 0.5 && r % 2.0 != 0.0 {
        r -= r.signum();
    } else if (shifted - shifted.trunc()).abs() == 0.5 {
        let t = shifted.trunc();
        r = if t % 2.0 == 0.0 {
            t
        } else {
            t + shifted.signum()
        };
    }
    let back: f64 = format!("{r}e{}", -precision).parse().unwrap_or(r);
    finite(if back == 0.0 { 0.0 } else { back })
}

pub(super) fn power(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let (Some(b), Some(e)) = (num_arg(args, 0, "power")?, num_arg(args, 1, "power")?) else {
        return Ok(V::Undef);
    };
    let r = b.powf(e);
    if !r.is_finite() {
        return Err(err("D3061", format!("The power function has resulted in a value that cannot be represented as a JSON number: base={b}, exponent={e}")));
    }
    Ok(V::Num(r))
}

pub(super) fn sqrt(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(n) = num_arg(args, 0, "sqrt")? else {
        return Ok(V::Undef);
    };
    if n < 0.0 {
        return Err(err(
            "D3060",
            format!("The sqrt function cannot be applied to a negative number: {n}"),
        ));
    }
    Ok(V::Num(n.sqrt()))
}

pub(super) fn format_base(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(n) = num_arg(args, 0, "formatBase")? else {
        return Ok(V::Undef);
    };
    let radix = num_arg(args, 1, "formatBase")?.unwrap_or(10.0);
    if !(2.0..=36.0).contains(&radix) {
        return Err(err("D3100", format!("The radix of the formatBase function must be between 2 and 36.  It was given {radix}")));
    }
    let mut v = n.round().abs() as u64;
    let radix = radix as u64;
    let mut digits = Vec::new();
    loop {
        digits.push(std::char::from_digit((v % radix) as u32, radix as u32).unwrap_or('0'));
        v /= radix;
        if v == 0 {
            break;
        }
    }
    if n.round() < 0.0 {
        digits.push('-');
    }
    Ok(V::str(&digits.iter().rev().collect::<String>()))
}

/// The numbers of an aggregate's argument; `None` for undefined.
fn numbers(args: &[V], name: &str) -> R<Option<Vec<f64>>> {
    let v = arg(args, 0);
    if v.is_undef() {
        return Ok(None);
    }
    v.to_items()
        .iter()
        .map(|i| match i {
            V::Num(n) => Ok(*n),
            _ => Err(err(
                "T0412",
                format!("Argument 1 of function \"{name}\" must be an array of \"numbers\""),
            )),
        })
        .collect::<R<Vec<_>>>()
        .map(Some)
}

pub(super) fn sum(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(numbers(args, "sum")?.map_or(V::Undef, |ns| V::Num(ns.iter().sum())))
}

pub(super) fn max(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(match numbers(args, "max")? {
        Some(ns) if !ns.is_empty() => V::Num(ns.iter().copied().fold(f64::NEG_INFINITY, f64::max)),
        _ => V::Undef,
    })
}

pub(super) fn min(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(match numbers(args, "min")? {
        Some(ns) if !ns.is_empty() => V::Num(ns.iter().copied().fold(f64::INFINITY, f64::min)),
        _ => V::Undef,
    })
}

pub(super) fn average(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(match numbers(args, "average")? {
        Some(ns) if !ns.is_empty() => V::Num(ns.iter().sum::<f64>() / ns.len() as f64),
        _ => V::Undef,
    })
}

/// `$formatNumber(n, picture)`: XPath `format-number` with the default decimal format
/// (`.` decimal, `,` grouping, `0` / `#` digits, `%` percent, `‰` per mille; a `;`
/// separates the negative sub-picture). Exponent pictures and the options argument are
/// not supported.
pub(super) fn format_number(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(n) = num_arg(args, 0, "formatNumber")? else {
        return Ok(V::Undef);
    };
    let picture = match arg(args, 1) {
        V::Str(p) => p.clone(),
        _ => return Err(bad_arg("formatNumber", 1)),
    };
    if !arg(args, 2).is_undef() {
        return Err(err(
            "D3137",
            "The options argument of $formatNumber is not supported in this engine",
        ));
    }
    let (positive, negative) = match picture.split_once(';') {
        Some((p, q)) => (p, Some(q)),
        None => (&*picture, None),
    };
    let (sub, prefix_minus) = match (n < 0.0, negative) {
        (true, Some(q)) => (q, false),
        (true, None) => (positive, true),
        _ => (positive, false),
    };
    let out = format_sub_picture(n.abs(), sub)?;
    Ok(V::str(&if prefix_minus { format!("-{out}") } else { out }))
}

fn format_sub_picture(n: f64, picture: &str) -> R<String> {
    let is_active = |c: char| matches!(c, '0'..='9' | '#' | '.' | ',');
    let start = picture.find(is_active).ok_or_else(|| {
        err(
            "D3085",
            "The picture string must contain at least one digit or '#'",
        )
    })?;
    let end = picture.rfind(is_active).map_or(start, |i| i + 1);
    let (prefix, body, suffix) = (&picture[..start], &picture[start..end], &picture[end..]);
    if body.contains('e') {
        return Err(err(
            "D3137",
            "Exponent pictures in $formatNumber are not supported in this engine",
        ));
    }
    let scale = if prefix.contains('%') || suffix.contains('%') {
        100.0
    } else if prefix.contains('‰') || suffix.contains('‰') {
        1000.0
    } else {
        1.0
    };
    let (int_pic, frac_pic) = body.split_once('.').unwrap_or((body, ""));
    let min_int = int_pic.chars().filter(|c| c.is_ascii_digit()).count();
    let min_frac = frac_pic.chars().filter(|c| c.is_ascii_digit()).count();
    let max_frac = frac_pic
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '#')
        .count();
    // A regular grouping: the distance from the last `,` to the end of the integer part.
    let group = int_pic
        .rfind(',')
        .map(|i| int_pic.len() - i - 1)
        .filter(|g| *g > 0);

    let text = format!("{:.*}", max_frac, round_half_even(n * scale, max_frac));
    let (int_digits, frac_digits) = text.split_once('.').unwrap_or((&text, ""));
    let mut frac = frac_digits.to_string();
    while frac.len() > min_frac && frac.ends_with('0') {
        frac.pop();
    }
    let int_digits = int_digits.trim_start_matches('0');
    let int_digits = format!("{int_digits:0>min_int$}");
    let int_digits = match group {
        Some(g) => {
            let chars: Vec<char> = int_digits.chars().collect();
            let mut grouped = String::new();
            for (i, c) in chars.iter().enumerate() {
                if i > 0 && (chars.len() - i).is_multiple_of(g) {
                    grouped.push(',');
                }
                grouped.push(*c);
            }
            grouped
        }
        None => int_digits,
    };
    let number = if frac.is_empty() {
        if int_digits.is_empty() {
            "0".to_string()
        } else {
            int_digits
        }
    } else {
        format!("{int_digits}.{frac}")
    };
    Ok(format!("{prefix}{number}{suffix}"))
}

/// Rounds half to even at `digits` decimal places, through the decimal text.
fn round_half_even(n: f64, digits: usize) -> f64 {
    let shifted: f64 = format!("{n}e{digits}").parse().unwrap_or(n);
    let floor = shifted.floor();
    let rounded = match shifted - floor {
        d if d > 0.5 => floor + 1.0,
        d if d < 0.5 => floor,
        _ if floor % 2.0 == 0.0 => floor,
        _ => floor + 1.0,
    };
    format!("{rounded}e-{digits}").parse().unwrap_or(n)
}
