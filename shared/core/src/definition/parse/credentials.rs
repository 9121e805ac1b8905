//! A Task's `Credentials`: the IAM role Step Functions assumes for the task's call.
//!
//! The field is an object with exactly one member (Step Functions developer guide, "Task
//! state" fields and "Accessing cross-account AWS resources"; LocalStack's ASL grammar
//! has the same `credentials_decl: { role_arn_decl }`):
//! - `"RoleArn": "arn:aws:iam::111122223333:role/Name"`, a literal role ARN, or in a
//!   JSONata state a `{% … %}` expression;
//! - `"RoleArn.$"` (JSONPath states only): a path (`$.role`, `$$.Execution.Input.role`,
//!   `$var`) or an intrinsic function (`States.Format('arn:aws:iam::{}:role/R', $.acct)`).
//!
//! It is compiled as a payload template (JSONPath) or a JSONata value, so the interpreter
//! evaluates it as it does `Parameters` / `Arguments` and hands `{"RoleArn": "…"}` on.

use serde_json::Value;

use super::ctx::{type_name, Ctx, Obj};
use super::{jsonata, template};
use crate::definition::Payload;

/// The TaskCredentials `roleArn` length limit of the Step Functions API.
const MAX_ROLE_ARN_CHARS: usize = 2000;

/// `Some(None)` when absent, `None` when invalid (with diagnostics at the field at fault).
pub(crate) fn field(cx: &mut Ctx, obj: &Obj<'_>) -> Option<Option<Payload>> {
    let Some(v) = obj.get("Credentials") else {
        return Some(None);
    };
    let at = obj.at("Credentials");
    let creds = Obj::from_value(cx, v, at.clone())?;
    let before = cx.diags.len();
    for key in creds.map.keys() {
        match key.as_str() {
            "RoleArn" => {}
            "RoleArn.$" if !cx.jsonata() => {}
            "RoleArn.$" => cx.err(
                &creds.at(key),
                "field \"RoleArn.$\" is not supported in JSONata states (use \"RoleArn\" with a {% … %} expression)",
            ),
            _ => cx.err(
                &creds.at(key),
                format!("field \"{key}\" is not supported in Credentials (only \"RoleArn\" or \"RoleArn.$\")"),
            ),
        }
    }
    if !creds.has("RoleArn") && !creds.has("RoleArn.$") {
        creds.missing(cx, "RoleArn");
    }
    creds.at_most_one(cx, &["RoleArn", "RoleArn.$"]);
    if let Some(arn) = creds.get("RoleArn") {
        literal_role_arn(cx, &creds, arn);
    }
    // `RoleArn.$` values (path or intrinsic) are checked by the template compiler.
    let payload = if cx.jsonata() {
        let name = format!("{}Credentials", cx.field_prefix);
        Payload::Jsonata(jsonata::value(cx, &at, v, &name))
    } else {
        Payload::Template(template::compile(cx, &at, v))
    };
    (cx.diags.len() == before).then_some(Some(payload))
}

/// `RoleArn`: a string; unless it is a JSONata expression, an IAM role ARN.
fn literal_role_arn(cx: &mut Ctx, creds: &Obj<'_>, v: &Value) {
    let at = creds.at("RoleArn");
    let Value::String(arn) = v else {
        cx.err(&at, format!("must be a string, not {}", type_name(v)));
        return;
    };
    if cx.jsonata() && jsonata::expression_text(arn).is_some() {
        return;
    }
    if arn.chars().count() > MAX_ROLE_ARN_CHARS {
        cx.err(
            &at,
            format!("is longer than {MAX_ROLE_ARN_CHARS} characters"),
        );
    } else if !is_role_arn(arn) {
        cx.err(
            &at,
            format!(
                "\"{arn}\" is not an IAM role ARN (expected \"arn:<partition>:iam::<account>:role/<name>\")"
            ),
        );
    }
}

/// `arn:<partition>:iam::<account>:role/<path/><name>`: what STS AssumeRole accepts.
fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(
        parts.as_slice(),
        ["arn", partition, "iam", "", account, resource]
            if !partition.is_empty()
                && !account.is_empty()
                && resource.strip_prefix("role/").is_some_and(|name| !name.is_empty())
    )
}

#[cfg(test)]
mod tests {
    use super::is_role_arn;

    #[test]
    fn role_arns_are_recognised() {
        assert!(is_role_arn("arn:aws:iam::222222222222:role/Writer"));
        assert!(is_role_arn("arn:aws-cn:iam::1:role/path/to/Writer"));
        assert!(!is_role_arn("arn:aws:iam::222222222222:user/Writer"));
        assert!(!is_role_arn("arn:aws:sts::222222222222:role/Writer"));
        assert!(!is_role_arn("arn:aws:iam::222222222222:role/"));
        assert!(!is_role_arn(
            "arn:aws:iam:us-east-1:222222222222:role/Writer"
        ));
        assert!(!is_role_arn("Writer"));
    }
}
