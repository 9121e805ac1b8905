//! A Distributed Map's `ResultWriter`, checked here so a bad writer fails validation, not
//! the execution after every child has run. AWS's rules: the writer is not empty; it has
//! a `WriterConfig`, or a `Resource` (the one writer, `s3:putObject`) with `Parameters`
//! (`Arguments` in JSONata) naming the `Bucket`, or all three.

use super::ctx::{Ctx, Obj};
use super::{jsonata, template};
use crate::interp::result_records::{OUTPUT_TYPES, TRANSFORMATIONS};
use crate::interp::RESULT_WRITER_RESOURCE;

const FIELDS: &[&str] = &["Resource", "Parameters", "Arguments", "WriterConfig"];
const WRITER_CONFIG: &[&str] = &["OutputType", "Transformation"];
/// What `Parameters` / `Arguments` may name (`Bucket.$` / `Prefix.$` in JSONPath).
const PARAMETERS: &[&str] = &["Bucket", "Prefix"];

pub(crate) fn check(cx: &mut Ctx, obj: &Obj<'_>) {
    obj.check_fields(cx, FIELDS, "a ResultWriter");
    let payload = if cx.jsonata() {
        "Arguments"
    } else {
        "Parameters"
    };
    let has_resource = obj.has("Resource");
    if !has_resource && !obj.has("WriterConfig") {
        cx.err(
            &obj.at("Resource"),
            format!("a ResultWriter needs a WriterConfig, or a Resource and {payload}"),
        );
    }
    if let Some(resource) = obj.string(cx, "Resource") {
        if resource != RESULT_WRITER_RESOURCE {
            cx.err(
                &obj.at("Resource"),
                format!(
                    "\"{resource}\" is not a result writer (expected {RESULT_WRITER_RESOURCE})"
                ),
            );
        }
    }
    // Checked for their own errors (a bad path, a bad expression).
    match cx.jsonata() {
        true => drop(jsonata::field(cx, obj, "Arguments")),
        false => drop(template::field(cx, obj, "Parameters")),
    }
    if has_resource && !obj.has(payload) {
        cx.err(&obj.at(payload), "is required with a Resource");
    }
    if !has_resource && obj.has(payload) {
        cx.err(&obj.at("Resource"), format!("is required with {payload}"));
    }
    if let Some(fields) = obj.get(payload).and_then(|v| v.as_object()) {
        let named =
            |key: &str| fields.contains_key(key) || fields.contains_key(&format!("{key}.$"));
        if !named("Bucket") {
            cx.err(&obj.at(payload).key("Bucket"), "is required");
        }
        for key in fields.keys() {
            if !PARAMETERS.contains(&key.strip_suffix(".$").unwrap_or(key)) {
                cx.err(
                    &obj.at(payload).key(key),
                    format!(
                        "is not a ResultWriter field (expected one of {})",
                        PARAMETERS.join(", ")
                    ),
                );
            }
        }
    }
    if let Some(config) = obj.object(cx, "WriterConfig") {
        config.check_fields(cx, WRITER_CONFIG, "a WriterConfig");
        for (key, allowed) in [
            ("OutputType", &OUTPUT_TYPES[..]),
            ("Transformation", &TRANSFORMATIONS[..]),
        ] {
            if let Some(value) = config.string(cx, key) {
                if !allowed.contains(&value) {
                    cx.err(
                        &config.at(key),
                        format!("must be one of {}", allowed.join(", ")),
                    );
                }
            }
        }
    }
}
