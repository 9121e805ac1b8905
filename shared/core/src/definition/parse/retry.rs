//! `Retry` and `Catch`.

use super::ctx::{Ctx, Obj};
use super::{paths, MAX_SECONDS};
use crate::definition::{fields, Catcher, Jitter, Retrier};
use crate::failure::names;

/// AWS's bound on `MaxDelaySeconds` (one year and a second).
const MAX_DELAY_SECONDS: u64 = 31_622_401;

/// `States.*` names AWS defines beyond [`names::PREDEFINED`] (HTTP Task errors).
const EXTRA_PREDEFINED: &[&str] = &["States.Http.Socket"];

/// The `Retry` list of a state (absent → empty).
pub(crate) fn retry(cx: &mut Ctx, state: &Obj<'_>) -> Option<Vec<Retrier>> {
    let Some(items) = state.array(cx, "Retry") else {
        return (!state.has("Retry")).then(Vec::new);
    };
    let list_at = state.at("Retry");
    let mut out = Vec::with_capacity(items.len());
    let mut complete = true;
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = Obj::from_value(cx, item, list_at.index(i)) else {
            complete = false;
            continue;
        };
        obj.check_fields(cx, fields::RETRIER, "a retrier");
        let error_equals = error_equals(cx, &obj, i + 1 == items.len(), "retrier");
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
        let Some(error_equals) = error_equals else {
            complete = false;
            continue;
        };
        out.push(Retrier {
            error_equals,
            interval_seconds: interval_seconds.unwrap_or(1),
            max_attempts: max_attempts
                .and_then(|n| u32::try_from(n).ok())
                .unwrap_or(3),
            backoff_rate: backoff_rate.unwrap_or(2.0),
            max_delay_seconds,
            jitter,
        });
    }
    complete.then_some(out)
}

/// The `Catch` list of a state (absent → empty).
pub(crate) fn catch(cx: &mut Ctx, state: &Obj<'_>) -> Option<Vec<Catcher>> {
    let Some(items) = state.array(cx, "Catch") else {
        return (!state.has("Catch")).then(Vec::new);
    };
    let list_at = state.at("Catch");
    let mut out = Vec::with_capacity(items.len());
    let mut complete = true;
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = Obj::from_value(cx, item, list_at.index(i)) else {
            complete = false;
            continue;
        };
        obj.check_fields(cx, fields::CATCHER, "a catcher");
        let error_equals = error_equals(cx, &obj, i + 1 == items.len(), "catcher");
        let next = obj.req_string(cx, "Next");
        let result_path = paths::result_path(cx, &obj);
        match (error_equals, next, result_path) {
            (Some(error_equals), Some(next), Some(result_path)) => out.push(Catcher {
                error_equals,
                next: next.to_owned(),
                result_path,
            }),
            _ => complete = false,
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
    names::PREDEFINED.contains(&name) || EXTRA_PREDEFINED.contains(&name)
}
