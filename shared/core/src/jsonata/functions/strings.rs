//! String functions. Positions and lengths count characters (jsonata-js uses
//! `Array.from`, i.e. code points).

use base64::Engine as _;

use super::super::eval::{err, Ev, Func, R};
use super::super::value::{stringify, V};
use super::{arg, bad_arg, num_arg, regex_match, str_arg, string_of};

/// The widest string `$pad` builds (jsonata-js has no bound but memory).
const MAX_PAD: f64 = 10_000_000.0;

pub(super) fn string(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let pretty = matches!(arg(args, 1), V::Bool(true));
    Ok(match arg(args, 0) {
        V::Undef => V::Undef,
        v @ (V::Arr(_) | V::Obj(_)) if pretty => V::str(&stringify(v, true)),
        v => V::str(&string_of(v)?),
    })
}

pub(super) fn length(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(match str_arg(args, 0, "length")? {
        None => V::Undef,
        Some(s) => V::Num(s.chars().count() as f64),
    })
}

pub(super) fn substring(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(s) = str_arg(args, 0, "substring")? else {
        return Ok(V::Undef);
    };
    let start = num_arg(args, 1, "substring")?.unwrap_or(0.0);
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as f64;
    let mut from = if start < 0.0 {
        (len + start).max(0.0)
    } else {
        start.min(len)
    };
    from = from.floor();
    let to = match num_arg(args, 2, "substring")? {
        None => len,
        Some(n) if n <= 0.0 => return Ok(V::str("")),
        Some(n) => (from + n).min(len),
    };
    Ok(V::str(
        &chars[from as usize..(to.max(from)) as usize]
            .iter()
            .collect::<String>(),
    ))
}

pub(super) fn substring_before(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(s) = str_arg(args, 0, "substringBefore")? else {
        return Ok(V::Undef);
    };
    let chars = str_arg(args, 1, "substringBefore")?.unwrap_or("");
    Ok(V::str(s.find(chars).map_or(s, |i| &s[..i])))
}

pub(super) fn substring_after(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(s) = str_arg(args, 0, "substringAfter")? else {
        return Ok(V::Undef);
    };
    let chars = str_arg(args, 1, "substringAfter")?.unwrap_or("");
    Ok(V::str(s.find(chars).map_or(s, |i| &s[i + chars.len()..])))
}

pub(super) fn uppercase(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(str_arg(args, 0, "uppercase")?.map_or(V::Undef, |s| V::str(&s.to_uppercase())))
}

pub(super) fn lowercase(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(str_arg(args, 0, "lowercase")?.map_or(V::Undef, |s| V::str(&s.to_lowercase())))
}

pub(super) fn trim(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(s) = str_arg(args, 0, "trim")? else {
        return Ok(V::Undef);
    };
    let words: Vec<&str> = s
        .split([' ', '\t', '\n', '\r'])
        .filter(|w| !w.is_empty())
        .collect();
    Ok(V::str(&words.join(" ")))
}

pub(super) fn pad(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(s) = str_arg(args, 0, "pad")? else {
        return Ok(V::Undef);
    };
    let width = num_arg(args, 1, "pad")?.ok_or_else(|| bad_arg("pad", 1))?;
    let fill = str_arg(args, 2, "pad")?.unwrap_or(" ");
    let fill: Vec<char> = if fill.is_empty() {
        vec![' ']
    } else {
        fill.chars().collect()
    };
    let len = s.chars().count();
    if width.abs() > MAX_PAD {
        return Err(err(
            "D3137",
            format!("The width of $pad must not exceed {MAX_PAD}"),
        ));
    }
    let target = width.abs().trunc() as usize;
    if target <= len {
        return Ok(V::str(s));
    }
    let padding: String = fill.iter().cycle().take(target - len).collect();
    Ok(V::str(&if width < 0.0 {
        padding + s
    } else {
        format!("{s}{padding}")
    }))
}

/// A pattern argument: a string or a regex (a regex literal evaluates to a function).
enum Pattern<'a> {
    Text(&'a str),
    Regex(&'a regex::Regex),
}

fn pattern<'a>(args: &'a [V], i: usize, name: &str) -> R<Pattern<'a>> {
    match arg(args, i) {
        V::Str(s) => Ok(Pattern::Text(s)),
        V::Func(f) => match &**f {
            Func::Regex(re) => Ok(Pattern::Regex(re)),
            _ => Err(bad_arg(name, i)),
        },
        _ => Err(bad_arg(name, i)),
    }
}

pub(super) fn contains(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(s) = str_arg(args, 0, "contains")? else {
        return Ok(V::Undef);
    };
    Ok(V::Bool(match pattern(args, 1, "contains")? {
        Pattern::Text(t) => s.contains(t),
        Pattern::Regex(re) => re.is_match(s),
    }))
}

fn limit(args: &[V], i: usize, name: &str) -> R<usize> {
    match num_arg(args, i, name)? {
        None => Ok(usize::MAX),
        Some(n) if n < 0.0 => Err(err(
            "D3020",
            format!("Third argument of {name} function must evaluate to a positive number"),
        )),
        Some(n) => Ok(n as usize),
    }
}

pub(super) fn split(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(s) = str_arg(args, 0, "split")? else {
        return Ok(V::Undef);
    };
    let limit = limit(args, 2, "split")?;
    let parts: Vec<String> = match pattern(args, 1, "split")? {
        Pattern::Text("") => s.chars().map(String::from).collect(),
        Pattern::Text(t) => s.split(t).map(String::from).collect(),
        Pattern::Regex(re) => re.split(s).map(String::from).collect(),
    };
    Ok(V::array(
        parts.iter().take(limit).map(|p| V::str(p)).collect(),
    ))
}

pub(super) fn join(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let items = match arg(args, 0) {
        V::Undef => return Ok(V::Undef),
        v => v.to_items(),
    };
    let sep = str_arg(args, 1, "join")?.unwrap_or("");
    let mut parts = Vec::with_capacity(items.len());
    for item in &items {
        match item {
            V::Str(s) => parts.push(s.to_string()),
            _ => return Err(bad_arg("join", 0)),
        }
    }
    Ok(V::str(&parts.join(sep)))
}

pub(super) fn match_(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(s) = str_arg(args, 0, "match")? else {
        return Ok(V::Undef);
    };
    let Pattern::Regex(re) = pattern(args, 1, "match")? else {
        return Err(bad_arg("match", 1));
    };
    let limit = limit(args, 2, "match")?;
    let mut out = Vec::new();
    let mut from = 0;
    while out.len() < limit && from <= s.len() {
        let Some(m) = re.find_at(s, from) else { break };
        out.push(regex_match(re, s, from));
        from = if m.end() == m.start() {
            m.end() + s[m.end()..].chars().next().map_or(1, char::len_utf8)
        } else {
            m.end()
        };
    }
    Ok(V::seq(out))
}

pub(super) fn replace(ev: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(s) = str_arg(args, 0, "replace")? else {
        return Ok(V::Undef);
    };
    let pat = pattern(args, 1, "replace")?;
    if let Pattern::Text("") = pat {
        return Err(err(
            "D3010",
            "Second argument of replace function cannot be an empty string",
        ));
    }
    let limit = limit(args, 3, "replace")?;
    let replacement = arg(args, 2).clone();
    let mut out = String::new();
    let mut last = 0;
    let mut count = 0;
    let mut from = 0;
    while count < limit && from <= s.len() {
        let (start, end, groups): (usize, usize, Vec<String>) = match &pat {
            Pattern::Text(t) => match s[from..].find(t) {
                Some(i) => (from + i, from + i + t.len(), Vec::new()),
                None => break,
            },
            Pattern::Regex(re) => match re.captures_at(s, from) {
                Some(c) => {
                    let Some(m) = c.get(0) else { break };
                    if m.start() == m.end() {
                        return Err(err(
                            "D1004",
                            "Regular expression matches zero length string",
                        ));
                    }
                    (
                        m.start(),
                        m.end(),
                        c.iter()
                            .skip(1)
                            .map(|g| g.map_or(String::new(), |g| g.as_str().to_string()))
                            .collect(),
                    )
                }
                None => break,
            },
        };
        out.push_str(&s[last..start]);
        let matched = &s[start..end];
        match &replacement {
            V::Str(r) => out.push_str(&substitute(r, matched, &groups)),
            V::Func(_) => {
                let m = match &pat {
                    Pattern::Regex(re) => regex_match(re, s, start),
                    Pattern::Text(_) => V::str(matched),
                };
                match ev.apply(&replacement, vec![m], &V::Undef)? {
                    V::Str(r) => out.push_str(&r),
                    _ => {
                        return Err(err(
                            "D3012",
                            "Attempted to replace a matched string with a non-string value",
                        ))
                    }
                }
            }
            _ => return Err(bad_arg("replace", 2)),
        }
        last = end;
        from = end;
        count += 1;
    }
    out.push_str(&s[last..]);
    Ok(V::str(&out))
}

/// `$0`, `$1`… and `$$` in a replacement string.
fn substitute(template: &str, matched: &str, groups: &[String]) -> String {
    let mut out = String::new();
    let chars: Vec<char> = template.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '$' && i + 1 < chars.len() {
            if chars[i + 1] == '$' {
                out.push('$');
                i += 2;
                continue;
            }
            if let Some(d) = chars[i + 1].to_digit(10) {
                let d = d as usize;
                if d == 0 {
                    out.push_str(matched);
                } else if let Some(g) = groups.get(d - 1) {
                    out.push_str(g);
                }
                i += 2;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

pub(super) fn base64encode(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(str_arg(args, 0, "base64encode")?.map_or(V::Undef, |s| {
        V::str(&base64::engine::general_purpose::STANDARD.encode(s))
    }))
}

pub(super) fn base64decode(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(s) = str_arg(args, 0, "base64decode")? else {
        return Ok(V::Undef);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|_| err("D3137", "Invalid base64 string"))?;
    Ok(V::str(&String::from_utf8_lossy(&bytes)))
}

fn percent_encode(s: &str, keep: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || keep.as_bytes().contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(super) fn encode_url_component(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(str_arg(args, 0, "encodeUrlComponent")?
        .map_or(V::Undef, |s| V::str(&percent_encode(s, "-_.!~*'()"))))
}

pub(super) fn encode_url(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(str_arg(args, 0, "encodeUrl")?.map_or(V::Undef, |s| {
        V::str(&percent_encode(s, "-_.!~*'();/?:@&=+$,#"))
    }))
}

pub(super) fn decode_url(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(s) = str_arg(args, 0, "decodeUrl")? else {
        return Ok(V::Undef);
    };
    let b = s.as_bytes();
    let mut bytes = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match hex {
                Some(v) => {
                    bytes.push(v);
                    i += 3;
                    continue;
                }
                None => {
                    return Err(err(
                        "D3140",
                        format!("Malformed URL passed to $decodeUrl(): \"{s}\""),
                    ))
                }
            }
        }
        bytes.push(b[i]);
        i += 1;
    }
    String::from_utf8(bytes).map(|s| V::str(&s)).map_err(|_| {
        err(
            "D3140",
            format!("Malformed URL passed to $decodeUrl(): \"{s}\""),
        )
    })
}
