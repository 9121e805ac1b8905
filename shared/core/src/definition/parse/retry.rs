//! `Retry` and `Catch`.

use super::ctx::{Ctx, Obj};
use super::{paths, MAX_SECONDS};
use crate::definition::{fields, Catcher, Jitter, Retrier};
use crate::failure::names;

/// AWS's bound on `MaxDelaySeconds` (one year and a second).
const MAX_DELAY_SECONDS: u64 = 31_622_401;

/// The `Retry` list of a state (absent → empty).
pub(crate) fn retry(cx: &mut Ctx, state: &Obj<'_>) -> Option<Vec<Retrier>> {
    list(cx, state, "Retry", |cx, obj, is_last| {
        obj.check_fields(cx, fields::RETRIER, "a retrier");
        let error_equals = error_equals(cx, obj, is_last, "retrier");
        let interval_seconds = obj.integer(cx, "IntervalSeconds", 1, MAX_SECONDS);
        let max_attempts = obj.integer(cx, "MaxAttempts", 0, MAX_SECONDS);
        let backoff_rate = obj.number(cx, "BackoffRate");
        if let Some(rate) = backoff_rate {
            if rate < 1.0 {
                cx.err(&obj.at("BackoffRate"), "must be a number at least 1.0");
            }
        }
        let max_delay_seconds = obj.integer(cx, "MaxDelaySeconds", 1, MAX_DELAY_SECONDS);
        let jitter = match obj.string(cx, "JitterStrategy") {
            None | Some("NONE") => Jitter::None,
            Some("FULL") => Jitter::Full,
            Some(other) => {
                cx.err(
                    &obj.at("JitterStrategy"),
                    format!("must be \"FULL\" or \"NONE\", not \"{other}\""),
                );
                Jitter::None
            }
        };
        Some(Retrier {
            error_equals: error_equals?,
            interval_seconds: interval_seconds.unwrap_or(1),
            max_attempts: max_attempts
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(3),
            backoff_rate: backoff_rate.unwrap_or(2.0),
            max_delay_seconds,
            jitter,
        })
    })
}

/// The `Catch` list of a state (absent → empty).
pub(crate) fn catch(cx: &mut Ctx, state: &Obj<'_>) -> Option<Vec<Catcher>> {
    list(cx, state, "Catch", |cx, obj, is_last| {
        let allowed = if cx.jsonata() {
            fields::CATCHER_JSONATA
        } else {
            fields::CATCHER
        };
        obj.check_fields(cx, allowed, "a catcher");
        let error_equals = error_equals(cx, obj, is_last, "catcher");
        let next = obj.req_string(cx, "Next");
        let result_path = if cx.jsonata() {
            Some(crate::definition::ResultPath::Whole)
        } else {
            paths::result_path(cx, obj)
        };
        cx.error_output_available = true;
        // AWS names a catcher's fields by its index: `Catch[1]/Output`.
        let index = obj.ptr.as_str().rsplit('/').next().unwrap_or("0");
        cx.field_prefix = format!("Catch[{index}]/");
        let assign = super::jsonata::assign(cx, obj);
        let output = if cx.jsonata() {
            super::jsonata::field(cx, obj, "Output")
        } else {
            None
        };
        cx.error_output_available = false;
        cx.field_prefix.clear();
        Some(Catcher {
            error_equals: error_equals?,
            next: next?.to_owned(),
            result_path: result_path?,
            assign: assign?,
            output,
        })
    })
}

/// A list of objects (`Retry`, `Catch`): every entry is parsed so all problems are
/// reported; the list is returned only when every entry parsed.
fn list<T>(
    cx: &mut Ctx,
    state: &Obj<'_>,
    field: &str,
    mut entry: impl FnMut(&mut Ctx, &Obj<'_>, bool) -> Option<T>,
) -> Option<Vec<T>> {
    let Some(items) = state.array(cx, field) else {
        return (!state.has(field)).then(Vec::new);
    };
    let list_at = state.at(field);
    let mut out = Vec::with_capacity(items.len());
    let mut complete = true;
    for (i, item) in items.iter().enumerate() {
        let parsed = Obj::from_value(cx, item, list_at.index(i))
            .and_then(|obj| entry(cx, &obj, i + 1 == items.len()));
        match parsed {
            Some(value) => out.push(value),
            None => complete = false,
        }
    }
    complete.then_some(out)
}

/// `ErrorEquals`: a non-empty array of error names; `States.ALL` alone and last.
fn error_equals(cx: &mut Ctx, obj: &Obj<'_>, is_last: bool, what: &str) -> Option<Vec<String>> {
    let items = obj.req_nonempty_array(cx, "ErrorEquals")?;
    let at = obj.at("ErrorEquals");
    let mut out = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(name) => {
                if name.starts_with("States.") && !is_predefined(name) {
                    cx.err(
                        &at.index(i),
                        format!("\"{name}\" is not a predefined error name (names starting with \"States.\" are reserved)"),
                    );
                }
                out.push(name.to_owned());
            }
            None => cx.err(&at.index(i), "must be a string"),
        }
    }
    if out.len() != items.len() {
        return None;
    }
    if out.iter().any(|n| n == names::ALL) && (out.len() > 1 || !is_last) {
        cx.err(
            &at,
            format!("States.ALL must appear alone in the last {what}"),
        );
    }
    Some(out)
}

fn is_predefined(name: &str) -> bool {
    // HTTP Task errors are a family: `States.Http.Socket`, `States.Http.StatusCode.404`, …
    names::PREDEFINED.contains(&name) || name.starts_with("States.Http.")
}
