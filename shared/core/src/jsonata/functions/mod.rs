//! JSONata's built-in functions (jsonata-js `functions.js`) and the ones Step Functions
//! adds (`$partition`, `$range`, `$hash`, `$random`, `$uuid`, `$parse`). `$eval` is left
//! out, as in AWS.
//!
//! Each built-in declares its argument counts and whether a missing first argument is
//! taken from the context (the `-` in a jsonata signature, as in `$uppercase()` on a path).

mod arrays;
mod aws;
mod datetime;
mod higher;
mod numbers;
mod strings;

use std::rc::Rc;

use super::eval::{err, Ev, R};
use super::value::{number_string, stringify, V};

pub(crate) struct Builtin {
    pub name: &'static str,
    pub min_args: usize,
    pub max_args: usize,
    /// A missing first argument is the context value.
    pub context: bool,
    f: fn(&mut Ev<'_>, &[V]) -> R<V>,
}

const fn b(
    name: &'static str,
    min_args: usize,
    max_args: usize,
    context: bool,
    f: fn(&mut Ev<'_>, &[V]) -> R<V>,
) -> Builtin {
    Builtin {
        name,
        min_args,
        max_args,
        context,
        f,
    }
}

static BUILTINS: &[Builtin] = &[
    // Strings.
    b("string", 1, 2, true, strings::string),
    b("length", 1, 1, true, strings::length),
    b("substring", 2, 3, true, strings::substring),
    b("substringBefore", 2, 2, true, strings::substring_before),
    b("substringAfter", 2, 2, true, strings::substring_after),
    b("uppercase", 1, 1, true, strings::uppercase),
    b("lowercase", 1, 1, true, strings::lowercase),
    b("trim", 1, 1, true, strings::trim),
    b("pad", 2, 3, true, strings::pad),
    b("contains", 2, 2, true, strings::contains),
    b("split", 2, 3, true, strings::split),
    b("join", 1, 2, false, strings::join),
    b("match", 2, 3, true, strings::match_),
    b("replace", 3, 4, true, strings::replace),
    b("base64encode", 1, 1, true, strings::base64encode),
    b("base64decode", 1, 1, true, strings::base64decode),
    b(
        "encodeUrlComponent",
        1,
        1,
        true,
        strings::encode_url_component,
    ),
    b("encodeUrl", 1, 1, true, strings::encode_url),
    b("decodeUrlComponent", 1, 1, true, strings::decode_url),
    b("decodeUrl", 1, 1, true, strings::decode_url),
    // Numbers.
    b("number", 1, 1, true, numbers::number),
    b("abs", 1, 1, true, numbers::abs),
    b("floor", 1, 1, true, numbers::floor),
    b("ceil", 1, 1, true, numbers::ceil),
    b("round", 1, 2, true, numbers::round),
    b("power", 2, 2, true, numbers::power),
    b("sqrt", 1, 1, true, numbers::sqrt),
    b("formatBase", 1, 2, true, numbers::format_base),
    b("formatNumber", 2, 3, true, numbers::format_number),
    b("sum", 1, 1, false, numbers::sum),
    b("max", 1, 1, false, numbers::max),
    b("min", 1, 1, false, numbers::min),
    b("average", 1, 1, false, numbers::average),
    b("count", 1, 1, false, arrays::count),
    // Booleans.
    b("boolean", 1, 1, true, arrays::boolean),
    b("not", 1, 1, true, arrays::not),
    b("exists", 1, 1, false, arrays::exists),
    b("type", 1, 1, false, arrays::type_),
    // Arrays and objects.
    b("append", 2, 2, false, arrays::append),
    b("reverse", 1, 1, false, arrays::reverse),
    b("distinct", 1, 1, false, arrays::distinct),
    b("zip", 1, usize::MAX, false, arrays::zip),
    b("keys", 1, 1, true, arrays::keys),
    b("lookup", 2, 2, true, arrays::lookup),
    b("spread", 1, 1, true, arrays::spread),
    b("merge", 1, 1, false, arrays::merge),
    b("error", 0, 1, false, arrays::error),
    b("assert", 1, 2, false, arrays::assert),
    b("shuffle", 1, 1, false, arrays::shuffle),
    // Higher-order.
    b("sort", 1, 2, false, higher::sort),
    b("map", 2, 2, false, higher::map),
    b("filter", 2, 2, false, higher::filter),
    b("single", 1, 2, false, higher::single),
    b("reduce", 2, 3, false, higher::reduce),
    b("each", 1, 2, true, higher::each),
    b("sift", 1, 2, true, higher::sift),
    // Date and time.
    b("now", 0, 2, false, aws::now),
    b("millis", 0, 0, false, aws::millis),
    b("toMillis", 1, 2, true, aws::to_millis),
    b("fromMillis", 1, 3, true, aws::from_millis),
    // Step Functions' additions.
    b("partition", 2, 2, false, aws::partition),
    b("range", 3, 3, false, aws::range),
    b("hash", 1, 2, false, aws::hash),
    b("random", 0, 1, false, aws::random),
    b("uuid", 0, 0, false, aws::uuid),
    b("parse", 1, 1, false, aws::parse),
];

pub(crate) fn lookup(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

pub(crate) fn call(ev: &mut Ev<'_>, f: &Builtin, mut args: Vec<V>, input: &V) -> R<V> {
    if args.len() < f.min_args && f.context {
        args.insert(0, input.clone());
    }
    if args.len() > f.max_args {
        return Err(err(
            "T0410",
            format!(
                "Argument {} of function \"{}\" does not match function signature",
                f.max_args + 1,
                f.name
            ),
        ));
    }
    (f.f)(ev, &args)
}

/// The argument at `i`, undefined when absent.
pub(super) fn arg(args: &[V], i: usize) -> &V {
    args.get(i).unwrap_or(&V::Undef)
}

pub(super) fn bad_arg(name: &str, i: usize) -> super::Error {
    err(
        "T0410",
        format!(
            "Argument {} of function \"{name}\" does not match function signature",
            i + 1
        ),
    )
}

/// A string argument (undefined passes through as `None`).
pub(super) fn str_arg<'a>(args: &'a [V], i: usize, name: &str) -> R<Option<&'a str>> {
    match arg(args, i) {
        V::Undef => Ok(None),
        V::Str(s) => Ok(Some(s)),
        _ => Err(bad_arg(name, i)),
    }
}

pub(super) fn num_arg(args: &[V], i: usize, name: &str) -> R<Option<f64>> {
    match arg(args, i) {
        V::Undef => Ok(None),
        V::Num(n) => Ok(Some(*n)),
        _ => Err(bad_arg(name, i)),
    }
}

/// `$string`'s rendering: strings as is, numbers to 15 digits, the rest as JSON.
pub(crate) fn string_of(v: &V) -> R<String> {
    Ok(match v {
        V::Str(s) => s.to_string(),
        V::Num(n) if !n.is_finite() => {
            return Err(err(
                "D3001",
                "Attempting to invoke string function on Infinity or NaN",
            ))
        }
        V::Num(n) => number_string(*n),
        V::Func(_) => String::new(),
        other => stringify(other, false),
    })
}

/// A regex match object: `{match, index, groups}`.
pub(crate) fn regex_match(re: &regex::Regex, s: &str, from: usize) -> V {
    let Some(caps) = re.captures_at(s, from) else {
        return V::Undef;
    };
    let Some(whole) = caps.get(0) else {
        return V::Undef;
    };
    let groups = caps
        .iter()
        .skip(1)
        .map(|g| V::str(g.map_or("", |m| m.as_str())))
        .collect();
    let mut obj = super::value::ObjMap::default();
    obj.insert("match".to_string(), V::str(whole.as_str()));
    obj.insert(
        "index".to_string(),
        V::Num(s[..whole.start()].chars().count() as f64),
    );
    obj.insert("groups".to_string(), V::array(groups));
    V::Obj(Rc::new(obj))
}
