//! Date/time functions (on the step's clock) and Step Functions' added functions. Time and
//! randomness come from the evaluation's `now` and entropy source, never the system.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::super::eval::{err, Ev, R};
use super::super::value::V;
use super::{arg, bad_arg, num_arg, str_arg};

/// The longest array `$range` builds (jsonata's own range operator limit).
const MAX_RANGE_ITEMS: i128 = 10_000_000;

fn iso(ms: i64) -> R<String> {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .ok_or_else(|| err("D3137", format!("Timestamp out of range: {ms}")))
}

/// `ms` formatted with `picture` (at index `i` of `args`), or as ISO 8601 without one. Only
/// UTC is supported as a time zone.
fn formatted(ms: i64, args: &[V], i: usize, name: &str) -> R<V> {
    match arg(args, i + 1) {
        V::Undef => {}
        V::Str(tz) if matches!(&**tz, "0000" | "+0000" | "+00:00" | "Z") => {}
        _ => {
            return Err(err(
                "D3137",
                format!("Time zones other than UTC are not supported by ${name}"),
            ))
        }
    }
    match arg(args, i) {
        V::Undef => Ok(V::str(&iso(ms)?)),
        V::Str(picture) => {
            let t = chrono::DateTime::from_timestamp_millis(ms)
                .ok_or_else(|| err("D3137", format!("Timestamp out of range: {ms}")))?;
            Ok(V::str(&super::datetime::format(&t, picture)?))
        }
        _ => Err(bad_arg(name, i)),
    }
}

pub(super) fn now(ev: &mut Ev<'_>, args: &[V]) -> R<V> {
    formatted(ev.now_ms, args, 0, "now")
}

pub(super) fn millis(ev: &mut Ev<'_>, _: &[V]) -> R<V> {
    Ok(V::Num(ev.now_ms as f64))
}

pub(super) fn to_millis(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(s) = str_arg(args, 0, "toMillis")? else {
        return Ok(V::Undef);
    };
    if !arg(args, 1).is_undef() {
        return Err(err(
            "D3137",
            "Picture strings are not supported by $toMillis in this engine",
        ));
    }
    let parsed = chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.timestamp_millis())
        .or_else(|_| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map(|d| {
                d.and_hms_opt(0, 0, 0)
                    .map_or(0, |t| t.and_utc().timestamp_millis())
            })
        })
        .map_err(|_| err("D3110", format!("Failed to parse timestamp: {s}")))?;
    Ok(V::Num(parsed as f64))
}

pub(super) fn from_millis(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(ms) = num_arg(args, 0, "fromMillis")? else {
        return Ok(V::Undef);
    };
    #[allow(clippy::cast_possible_truncation)]
    formatted(ms as i64, args, 1, "fromMillis")
}

/// An integer argument as AWS reads it: truncated towards zero (`-1.7` is `-1`).
fn towards_zero(args: &[V], i: usize, name: &str) -> R<Option<i64>> {
    match arg(args, i) {
        V::Undef => Ok(None),
        #[allow(clippy::cast_possible_truncation)]
        V::Num(n) => Ok(Some(n.trunc() as i64)),
        _ => Err(bad_arg(name, i)),
    }
}

/// `$partition(array, size)`: consecutive chunks of `size` items, the last one shorter. No
/// size: one chunk; an empty array or a size of zero: undefined; a negative size: an error.
pub(super) fn partition(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let items = match arg(args, 0) {
        V::Undef => return Ok(V::Undef),
        V::Arr(a) => a.items.clone(),
        _ => {
            return Err(err(
                "T0412",
                "Argument 1 of function \"partition\" must be an array of undefined",
            ))
        }
    };
    if items.is_empty() {
        return Ok(V::Undef);
    }
    let size = match towards_zero(args, 1, "partition")? {
        None => return Ok(V::array(vec![V::array(items)])),
        Some(n) if n < 0 => return Err(err("D3137", "Second argument must be zero or greater")),
        Some(0) => return Ok(V::Undef),
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
    };
    Ok(V::array(
        items.chunks(size).map(|c| V::array(c.to_vec())).collect(),
    ))
}

/// `$range(start, end, step)`: from start towards end in steps, end included when a step
/// lands on it; one item collapses to the item. A zero step, or one pointing away from the
/// end, gives undefined.
pub(super) fn range(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let start = towards_zero(args, 0, "range")?.ok_or_else(|| bad_arg("range", 0))?;
    let end = towards_zero(args, 1, "range")?.ok_or_else(|| bad_arg("range", 1))?;
    let Some(step) = towards_zero(args, 2, "range")? else {
        return Ok(V::Undef);
    };
    if step == 0 || (step > 0 && start > end) || (step < 0 && start < end) {
        return Ok(V::Undef);
    }
    let count = (i128::from(end) - i128::from(start)) / i128::from(step) + 1;
    if count > MAX_RANGE_ITEMS {
        return Err(err(
            "D2014",
            format!("The size of the sequence allocated by $range must not exceed 1e7.  Attempted to allocate {count}."),
        ));
    }
    #[allow(clippy::cast_precision_loss)]
    let out = (0..count)
        .map(|k| V::Num((i128::from(start) + k * i128::from(step)) as f64))
        .collect();
    Ok(V::seq(out))
}

/// `$hash(text, algorithm)`: the lower-case hex digest. No algorithm: undefined.
pub(super) fn hash(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let V::Str(data) = arg(args, 0) else {
        return Err(bad_arg("hash", 0));
    };
    let algorithm = match arg(args, 1) {
        V::Undef => return Ok(V::Undef),
        V::Str(a) => a.clone(),
        _ => return Err(bad_arg("hash", 1)),
    };
    let b = data.as_bytes();
    let digest: Vec<u8> = match &*algorithm {
        "MD5" => Md5::digest(b).to_vec(),
        "SHA-1" => Sha1::digest(b).to_vec(),
        "SHA-256" => Sha256::digest(b).to_vec(),
        "SHA-384" => Sha384::digest(b).to_vec(),
        "SHA-512" => Sha512::digest(b).to_vec(),
        other => {
            return Err(err(
                "D3137",
                format!(
                    "Hash algorithm '{other}' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5"
                ),
            ))
        }
    };
    Ok(V::str(
        &digest
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    ))
}

/// `$random()` from the step's entropy; `$random(seed)` is `java.util.Random(seed)
/// .nextDouble()`, as on AWS (which runs on the JVM), so seeded values match AWS's.
pub(super) fn random(ev: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(V::Num(match towards_zero(args, 0, "random")? {
        None => ev.entropy.next_f64(),
        Some(seed) => java_random_double(seed),
    }))
}

/// The first `nextDouble()` of `java.util.Random` seeded with `seed` (its 48-bit LCG).
fn java_random_double(seed: i64) -> f64 {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;
    #[allow(clippy::cast_sign_loss)]
    let mut state = (seed as u64 ^ MULTIPLIER) & MASK;
    let mut next = |bits: u32| {
        state = (state.wrapping_mul(MULTIPLIER).wrapping_add(0xB)) & MASK;
        state >> (48 - bits)
    };
    let high = next(26);
    let low = next(27);
    #[allow(clippy::cast_precision_loss)]
    let n = ((high << 27) + low) as f64;
    n * (1.0 / (1u64 << 53) as f64)
}

pub(super) fn uuid(ev: &mut Ev<'_>, _: &[V]) -> R<V> {
    let mut bytes = [0u8; 16];
    ev.entropy.fill_bytes(&mut bytes);
    Ok(V::str(
        &::uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .to_string(),
    ))
}

pub(super) fn parse(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let s = match arg(args, 0) {
        V::Undef => return Ok(V::Undef),
        V::Str(s) => s.clone(),
        _ => return Err(bad_arg("parse", 0)),
    };
    let v: serde_json::Value =
        serde_json::from_str(&s).map_err(|_| err("D3137", "Invalid JSON"))?;
    Ok(V::from_json(&v))
}
