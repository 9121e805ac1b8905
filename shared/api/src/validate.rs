//! `ValidateStateMachineDefinition`, and the definition check that `CreateStateMachine`
//! and `UpdateStateMachine` share with it.

use serde_json::{json, Value};
use stepwise_core::definition::{self, Diagnostic};

use crate::errors::{ApiError, Result};
use crate::protocol::Input;

/// AWS's limit on a definition, in bytes.
const DEFINITION_LIMIT: usize = 1_048_576;

/// Parses a definition, as `CreateStateMachine` does: `InvalidDefinition` listing every
/// problem with its JSON path.
pub(crate) fn check(text: &str) -> Result<()> {
    if text.len() > DEFINITION_LIMIT {
        return Err(ApiError::validation(
            "definition",
            &format!("Member must have length less than or equal to {DEFINITION_LIMIT}"),
        ));
    }
    definition::parse(text)
        .map(drop)
        .map_err(|invalid| ApiError::invalid_definition(&invalid))
}

pub(crate) fn validate_definition(input: &Input) -> Result<Value> {
    let text = input.required("definition")?;
    if let Some(kind) = input.string("type")? {
        if !matches!(kind, "STANDARD" | "EXPRESS") {
            return Err(ApiError::validation(
                "type",
                "Member must satisfy enum value set: [STANDARD, EXPRESS]",
            ));
        }
    }
    let limit = input.max_results()?;
    let diagnostics = match definition::parse(text) {
        Ok(_) => Vec::new(),
        Err(invalid) => invalid.diagnostics,
    };
    let truncated = diagnostics.len() > limit;
    let listed: Vec<Value> = diagnostics.iter().take(limit).map(diagnostic).collect();
    let result = if diagnostics.is_empty() { "OK" } else { "FAIL" };
    Ok(json!({"result": result, "diagnostics": listed, "truncated": truncated}))
}

/// One problem as AWS reports it: `severity`, `code`, `message` and `location` (the JSON
/// path of the field, `/States/A/Next`).
fn diagnostic(d: &Diagnostic) -> Value {
    let code = if d.message.starts_with("invalid JSON") {
        "INVALID_JSON_DESCRIPTION"
    } else {
        "SCHEMA_VALIDATION_FAILED"
    };
    let location = if d.path.is_empty() { "/" } else { &d.path };
    json!({"severity": "ERROR", "code": code, "message": d.message, "location": location})
}

#[cfg(test)]
mod tests {
    use super::*;

    fn validate(body: Value) -> Value {
        let input = Input::parse(body.to_string().as_bytes()).unwrap();
        validate_definition(&input).unwrap()
    }

    #[test]
    fn a_valid_definition_is_ok() {
        let ok = validate(
            json!({"definition": r#"{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}"#}),
        );
        assert_eq!(
            ok,
            json!({"result": "OK", "diagnostics": [], "truncated": false})
        );
    }

    #[test]
    fn problems_come_with_their_paths() {
        let failed = validate(
            json!({"definition": r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}"#}),
        );
        assert_eq!(failed["result"], "FAIL");
        let first = &failed["diagnostics"][0];
        assert_eq!(first["severity"], "ERROR");
        assert_eq!(first["code"], "SCHEMA_VALIDATION_FAILED");
        assert_eq!(first["location"], "/States/A/Next");
    }

    #[test]
    fn text_that_is_not_json_is_reported_as_such() {
        let failed = validate(json!({"definition": "{"}));
        assert_eq!(failed["diagnostics"][0]["code"], "INVALID_JSON_DESCRIPTION");
    }

    #[test]
    fn many_problems_are_truncated_at_max_results() {
        let failed = validate(json!({
            "definition": r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"X"},"B":{"Type":"Pass","Next":"Y"}}}"#,
            "maxResults": 1
        }));
        assert_eq!(failed["diagnostics"].as_array().unwrap().len(), 1);
        assert_eq!(failed["truncated"], true);
    }
}
