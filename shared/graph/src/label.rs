//! Short, readable renderings of Choice rules and retriers for edge and node labels.

use stepwise_core::definition::{Comparison, Condition, JsonataValue, Operand, Retrier};

/// Labels longer than this are cut (with `…`) so one rule cannot stretch a drawing.
const MAX_LABEL: usize = 60;

/// `$.n < 3`, `$.a is present`, `And($.a is present, $.s == "x")`, or a JSONata rule's
/// expression as written.
pub fn condition(condition: &Condition) -> String {
    shorten(&render(condition))
}

fn render(condition: &Condition) -> String {
    match condition {
        Condition::And(all) => format!("And({})", list(all)),
        Condition::Or(any) => format!("Or({})", list(any)),
        Condition::Not(inner) => format!("Not({})", render(inner)),
        Condition::Compare {
            variable,
            op,
            operand,
        } => compare(variable.source(), *op, operand),
        Condition::Jsonata(value) => jsonata(value),
    }
}

fn list(conditions: &[Condition]) -> String {
    conditions.iter().map(render).collect::<Vec<_>>().join(", ")
}

fn compare(variable: &str, op: Comparison, operand: &Operand) -> String {
    let rhs = match operand {
        Operand::Literal(value) => value.to_string(),
        Operand::Path(path) => path.source().to_owned(),
    };
    // The `Is*` tests take `true` or `false`: `false` negates them.
    let negated = matches!(operand, Operand::Literal(serde_json::Value::Bool(false)));
    let test = |what: &str| {
        let not = if negated { "not " } else { "" };
        format!("{variable} is {not}{what}")
    };
    let symbol = match op {
        Comparison::IsNull => return test("null"),
        Comparison::IsPresent => return test("present"),
        Comparison::IsNumeric => return test("numeric"),
        Comparison::IsString => return test("a string"),
        Comparison::IsBoolean => return test("a boolean"),
        Comparison::IsTimestamp => return test("a timestamp"),
        Comparison::StringMatches => "matches",
        Comparison::StringEquals | Comparison::NumericEquals | Comparison::BooleanEquals => "==",
        Comparison::StringLessThan | Comparison::NumericLessThan => "<",
        Comparison::StringGreaterThan | Comparison::NumericGreaterThan => ">",
        Comparison::StringLessThanEquals | Comparison::NumericLessThanEquals => "<=",
        Comparison::StringGreaterThanEquals | Comparison::NumericGreaterThanEquals => ">=",
        // Timestamps compare as instants, not as the strings they are written as.
        Comparison::TimestampEquals => "== (time)",
        Comparison::TimestampLessThan => "< (time)",
        Comparison::TimestampGreaterThan => "> (time)",
        Comparison::TimestampLessThanEquals => "<= (time)",
        Comparison::TimestampGreaterThanEquals => ">= (time)",
    };
    format!("{variable} {symbol} {rhs}")
}

fn jsonata(value: &JsonataValue) -> String {
    match value {
        JsonataValue::Expr(expr) => format!("{{% {} %}}", expr.expression.source().trim()),
        JsonataValue::Literal(value) => value.to_string(),
        // A condition is one expression or a literal; anything else is shown generically.
        JsonataValue::Object(_) | JsonataValue::Array(_) => "JSONata condition".to_owned(),
    }
}

/// `Retry States.ALL ×3`, or `Retry A, B ×2 every 5s` when the interval is not the default.
pub fn retrier(retrier: &Retrier) -> String {
    let mut text = format!(
        "Retry {} ×{}",
        retrier.error_equals.join(", "),
        retrier.max_attempts
    );
    if retrier.interval_seconds != 1 {
        text.push_str(&format!(" every {}s", retrier.interval_seconds));
    }
    shorten(&text)
}

fn shorten(text: &str) -> String {
    shorten_to(text, MAX_LABEL)
}

/// `text`, cut to at most `max` characters, the last one `…` when cut.
pub fn shorten_to(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(json: &str) -> String {
        let definition = format!(
            r#"{{"StartAt": "C", "States": {{
                "C": {{"Type": "Choice", "Choices": [{json}], "Default": "D"}},
                "D": {{"Type": "Succeed"}}}}}}"#
        );
        let machine = stepwise_core::definition::parse(&definition).expect("valid");
        let Some(stepwise_core::definition::StateKind::Choice(choice)) =
            machine.graph.state("C").map(|s| s.kind.clone())
        else {
            panic!("C is a Choice");
        };
        condition(&choice.choices[0].condition)
    }

    #[test]
    fn comparisons_read_as_operators() {
        assert_eq!(
            rule(r#"{"Variable": "$.n", "NumericGreaterThanEquals": 2.5, "Next": "D"}"#),
            "$.n >= 2.5"
        );
        assert_eq!(
            rule(r#"{"Variable": "$.a", "StringLessThanPath": "$.b", "Next": "D"}"#),
            "$.a < $.b"
        );
        assert_eq!(
            rule(r#"{"Variable": "$.x", "IsNull": false, "Next": "D"}"#),
            "$.x is not null"
        );
        assert_eq!(
            rule(r#"{"Variable": "$.s", "StringMatches": "a*", "Next": "D"}"#),
            "$.s matches \"a*\""
        );
        assert_eq!(
            rule(
                r#"{"Or": [{"Variable": "$.b", "BooleanEquals": true}, {"Variable": "$.t", "TimestampLessThan": "2026-01-01T00:00:00Z"}], "Next": "D"}"#
            ),
            "Or($.b == true, $.t < (time) \"2026-01-01T00:00:00Z\")"
        );
    }

    #[test]
    fn long_rules_are_cut() {
        let long = format!(
            r#"{{"Variable": "$.s", "StringEquals": "{}", "Next": "D"}}"#,
            "x".repeat(200)
        );
        let label = rule(&long);
        assert_eq!(label.chars().count(), MAX_LABEL);
        assert!(label.ends_with('…'));
    }

    #[test]
    fn jsonata_rules_show_their_expression() {
        let definition = r#"{"QueryLanguage": "JSONata", "StartAt": "C", "States": {
            "C": {"Type": "Choice", "Choices": [{"Condition": "{% $states.input.n > 1 %}", "Next": "D"}], "Default": "D"},
            "D": {"Type": "Succeed"}}}"#;
        let machine = stepwise_core::definition::parse(definition).expect("valid");
        let Some(stepwise_core::definition::StateKind::Choice(choice)) =
            machine.graph.state("C").map(|s| s.kind.clone())
        else {
            panic!("C is a Choice");
        };
        assert_eq!(
            condition(&choice.choices[0].condition),
            "{% $states.input.n > 1 %}"
        );
    }
}
