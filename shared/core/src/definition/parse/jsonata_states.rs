//! The state fields whose JSONata form differs from the JSONPath one: a Wait's `Seconds`
//! / `Timestamp` and a Fail's `Error` / `Cause`, each a literal or an expression.

use super::ctx::{Ctx, Obj};
use super::{jsonata, timestamp_millis, MAX_SECONDS};
use crate::definition::{FailField, FailState, WaitState};

pub(crate) fn wait(cx: &mut Ctx, obj: &Obj<'_>) -> Option<WaitState> {
    match (obj.has("Seconds"), obj.has("Timestamp")) {
        (true, true) => {
            cx.err(
                &obj.ptr,
                "a Wait state must have exactly one of \"Seconds\", \"Timestamp\"",
            );
            None
        }
        (false, false) => {
            cx.err(
                &obj.ptr,
                "a Wait state needs one of \"Seconds\", \"Timestamp\"",
            );
            None
        }
        (true, false) => jsonata::expr_or(
            cx,
            obj,
            "Seconds",
            |cx, obj, key| obj.integer(cx, key, 0, MAX_SECONDS).map(WaitState::Seconds),
            WaitState::SecondsExpr,
        ),
        (false, true) => jsonata::expr_or(
            cx,
            obj,
            "Timestamp",
            |cx, obj, key| {
                let text = obj.string(cx, key)?;
                match timestamp_millis(text) {
                    Some(epoch_millis) => Some(WaitState::Timestamp {
                        text: text.to_owned(),
                        epoch_millis,
                    }),
                    None => {
                        cx.err(
                            &obj.at(key),
                            format!("\"{text}\" is not a timestamp (RFC 3339, e.g. \"2016-03-14T01:59:00Z\")"),
                        );
                        None
                    }
                }
            },
            WaitState::TimestampExpr,
        ),
    }
}

pub(crate) fn fail(cx: &mut Ctx, obj: &Obj<'_>) -> Option<FailState> {
    let field = |cx: &mut Ctx, key: &str| -> Option<Option<FailField>> {
        if !obj.has(key) {
            return Some(None);
        }
        jsonata::expr_or(
            cx,
            obj,
            key,
            |cx, obj, key| {
                obj.string(cx, key)
                    .map(|s| FailField::Literal(s.to_owned()))
            },
            FailField::Jsonata,
        )
        .map(Some)
    };
    let error = field(cx, "Error");
    let cause = field(cx, "Cause");
    Some(FailState {
        error: error?,
        cause: cause?,
    })
}
