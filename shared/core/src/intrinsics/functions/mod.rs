//! The 18 `States.*` functions: names, arity (checked when parsing) and evaluation.
//!
//! Argument failures at run time (wrong type, out of range, over a size limit, a
//! `{}` count mismatch) raise `States.Runtime`: the AWS developer guide keeps
//! `States.IntrinsicFailure` "reserved for future use" and reports intrinsic processing
//! errors under `States.Runtime`. A path argument that matches nothing is a
//! `States.Runtime` too, like any unresolvable path (see `super::eval`).

mod arrays;
mod encoding;
mod json;
mod json_text;
mod math;
mod strings;
mod unique_id;

use std::borrow::Cow;

use serde_json::Value;

use super::format::type_name;
use super::parse::Piece;
use crate::entropy::Entropy;
use crate::failure::Failure;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Func {
    Format,
    StringToJson,
    JsonToString,
    Array,
    ArrayPartition,
    ArrayContains,
    ArrayRange,
    ArrayGetItem,
    ArrayLength,
    ArrayUnique,
    Base64Encode,
    Base64Decode,
    Hash,
    JsonMerge,
    MathRandom,
    MathAdd,
    StringSplit,
    Uuid,
}

const ALL: [(Func, &str); 18] = [
    (Func::Format, "Format"),
    (Func::StringToJson, "StringToJson"),
    (Func::JsonToString, "JsonToString"),
    (Func::Array, "Array"),
    (Func::ArrayPartition, "ArrayPartition"),
    (Func::ArrayContains, "ArrayContains"),
    (Func::ArrayRange, "ArrayRange"),
    (Func::ArrayGetItem, "ArrayGetItem"),
    (Func::ArrayLength, "ArrayLength"),
    (Func::ArrayUnique, "ArrayUnique"),
    (Func::Base64Encode, "Base64Encode"),
    (Func::Base64Decode, "Base64Decode"),
    (Func::Hash, "Hash"),
    (Func::JsonMerge, "JsonMerge"),
    (Func::MathRandom, "MathRandom"),
    (Func::MathAdd, "MathAdd"),
    (Func::StringSplit, "StringSplit"),
    (Func::Uuid, "UUID"),
];

impl Func {
    /// Names are case-sensitive, as in AWS's grammar.
    pub(crate) fn from_name(name: &str) -> Option<Func> {
        ALL.iter().find(|(_, n)| *n == name).map(|(f, _)| *f)
    }

    /// The full name, `States.Format`.
    pub(crate) fn name(self) -> String {
        let short = ALL.iter().find(|(f, _)| *f == self).map_or("?", |(_, n)| n);
        format!("States.{short}")
    }

    /// Inclusive bounds on the argument count (`None`: unbounded).
    fn arity(self) -> (usize, Option<usize>) {
        use Func::*;
        match self {
            Array => (0, None),
            Format => (1, None),
            Uuid => (0, Some(0)),
            StringToJson | JsonToString | ArrayLength | ArrayUnique | Base64Encode
            | Base64Decode => (1, Some(1)),
            ArrayPartition | ArrayContains | ArrayGetItem | Hash | MathAdd | StringSplit => {
                (2, Some(2))
            }
            ArrayRange | JsonMerge => (3, Some(3)),
            MathRandom => (2, Some(3)),
        }
    }

    /// The argument count is fixed by the text, so a wrong one is a definition error
    /// (LocalStack rejects it when building the function, as AWS does at creation).
    pub(crate) fn check_arity(self, got: usize) -> Result<(), String> {
        let (min, max) = self.arity();
        let ok = got >= min && !matches!(max, Some(m) if got > m);
        if ok {
            return Ok(());
        }
        let expected = match max {
            None => format!("at least {min}"),
            Some(m) if m == min => min.to_string(),
            Some(m) => format!("{min} to {m}"),
        };
        Err(format!(
            "{} expects {expected} argument{}, got {got}",
            self.name(),
            if matches!(expected.as_str(), "1" | "at least 1") {
                ""
            } else {
                "s"
            }
        ))
    }
}

/// Evaluated arguments: path arguments borrow from the input, literals from the
/// definition; only nested calls' results are owned. A function may move an argument out
/// (`std::mem::take`); the caller only drops what is left.
pub(crate) type Args<'a, 'v> = &'a mut [Cow<'v, Value>];

/// Runs `func` on evaluated arguments. `template` is the `States.Format` reading of a
/// literal first argument, when there is one.
pub(crate) fn apply(
    func: Func,
    args: Args<'_, '_>,
    template: Option<&[Piece]>,
    entropy: &mut dyn Entropy,
) -> Result<Value, Failure> {
    let f = Fn_ { func };
    match func {
        Func::Format => strings::format(f, args, template),
        Func::StringSplit => strings::split(f, args),
        Func::StringToJson => json::string_to_json(f, args),
        Func::JsonToString => json::json_to_string(f, args),
        Func::JsonMerge => json::merge(f, args),
        Func::Array => Ok(Value::Array(
            args.iter_mut()
                .map(|arg| std::mem::take(arg).into_owned())
                .collect(),
        )),
        Func::ArrayPartition => arrays::partition(f, args),
        Func::ArrayContains => arrays::contains(f, args),
        Func::ArrayRange => arrays::range(f, args),
        Func::ArrayGetItem => arrays::get_item(f, args),
        Func::ArrayLength => arrays::length(f, args),
        Func::ArrayUnique => arrays::unique(f, args),
        Func::Base64Encode => encoding::base64_encode(f, args),
        Func::Base64Decode => encoding::base64_decode(f, args),
        Func::Hash => encoding::hash(f, args),
        Func::MathRandom => math::random(f, args, entropy),
        Func::MathAdd => math::add(f, args),
        Func::Uuid => Ok(unique_id::generate(entropy)),
    }
}

/// The function being evaluated: words the failures and unpacks arguments.
#[derive(Clone, Copy)]
struct Fn_ {
    func: Func,
}

impl Fn_ {
    /// A `States.Runtime` failure with the cause prefixed by the function's name.
    fn fail(self, detail: impl std::fmt::Display) -> Failure {
        Failure::intrinsic(format!(
            "Invalid arguments in {}: {detail}",
            self.func.name()
        ))
    }

    /// Arity was checked at parse time, but evaluation never trusts an index.
    fn take<'a, 'v, const N: usize>(
        self,
        args: Args<'a, 'v>,
    ) -> Result<&'a mut [Cow<'v, Value>; N], Failure> {
        let got = args.len();
        args.try_into()
            .map_err(|_| self.fail(format!("expected {N} arguments, got {got}")))
    }

    fn string<'v>(self, what: &str, v: &'v Value) -> Result<&'v str, Failure> {
        match v {
            Value::String(s) => Ok(s),
            other => Err(self.fail(format!(
                "the {what} must be a string, got {} {}",
                type_name(other),
                super::format::to_json_text(other)
            ))),
        }
    }

    fn array<'v>(self, what: &str, v: &'v Value) -> Result<&'v [Value], Failure> {
        match v {
            Value::Array(a) => Ok(a),
            other => Err(self.fail(format!(
                "the {what} must be an array, got {}",
                type_name(other)
            ))),
        }
    }

    /// An integer argument. AWS documents that non-integer numbers are "rounded off to
    /// the nearest integer"; the JVM's `Math.round` rounds halves up (`-2.5` → `-2`).
    fn rounded_int(self, what: &str, v: &Value) -> Result<i64, Failure> {
        let n = match v {
            Value::Number(n) => n,
            other => {
                return Err(self.fail(format!(
                    "the {what} must be an integer, got {}",
                    type_name(other)
                )))
            }
        };
        if let Some(i) = n.as_i64() {
            return Ok(i);
        }
        let f = n.as_f64().unwrap_or(f64::NAN);
        // `floor(f + 0.5)` computed without the addition's rounding error (which would
        // turn 0.49999999999999994 into 1, where Java's Math.round gives 0).
        let floor = f.floor();
        let r = if f - floor >= 0.5 { floor + 1.0 } else { floor };
        // i64::MAX as f64 rounds up to 2^63, hence the strict upper bound.
        if r.is_finite() && r >= i64::MIN as f64 && r < i64::MAX as f64 {
            Ok(r as i64)
        } else {
            Err(self.fail(format!("the {what} {f} is out of range")))
        }
    }
}
