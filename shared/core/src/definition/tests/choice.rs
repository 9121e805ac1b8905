//! Choice rules.

use serde_json::{json, Value};

use super::{ok, rejects};
use crate::definition::{Comparison, Condition, Operand, StateKind};

/// A machine whose Choice state `C` has `rules` and leads to `Done`.
fn choice(rules: Value) -> Value {
    json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": rules, "Default": "Done"},
        "Done": {"Type": "Succeed"}
    }})
}

fn rule(r: Value) -> Value {
    let mut r = r;
    r["Next"] = json!("Done");
    choice(json!([r]))
}

#[test]
fn every_operator_accepts_its_documented_operand_type() {
    for &c in Comparison::ALL {
        let literal = match c.name() {
            n if n.starts_with("String") => json!("a*"),
            n if n.starts_with("Numeric") => json!(1.5),
            n if n.starts_with("Timestamp") => json!("2016-03-14T01:59:00Z"),
            _ => json!(true),
        };
        let m = ok(rule(json!({"Variable": "$.v", c.name(): literal.clone()})));
        let StateKind::Choice(ch) = &m.graph.states["C"].kind else {
            panic!()
        };
        match &ch.choices[0].condition {
            Condition::Compare {
                variable,
                op,
                operand,
            } => {
                assert_eq!(variable.source(), "$.v");
                assert_eq!(*op, c);
                assert_eq!(operand, &Operand::Literal(literal));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(ch.choices[0].next, "Done");
        assert_eq!(ch.default.as_deref(), Some("Done"));
        if c.has_path_form() {
            let key = format!("{}Path", c.name());
            let m = ok(rule(
                json!({"Variable": "$$.Execution.Input.v", key: "$.other"}),
            ));
            let StateKind::Choice(ch) = &m.graph.states["C"].kind else {
                panic!()
            };
            assert!(matches!(&ch.choices[0].condition,
                Condition::Compare { op, operand: Operand::Path(p), .. } if *op == c && p.source() == "$.other"));
        }
    }
}

#[test]
fn operand_type_errors() {
    let cases = [
        ("StringEquals", json!(1), "must be a string"),
        ("StringMatches", json!(null), "must be a string"),
        ("NumericEquals", json!("1"), "must be a number"),
        ("NumericLessThan", json!(true), "must be a number"),
        ("BooleanEquals", json!("true"), "must be a boolean"),
        ("TimestampEquals", json!("2016-03-14"), "is not a timestamp"),
        ("TimestampLessThan", json!(5), "must be a timestamp string"),
        ("IsPresent", json!("yes"), "must be a boolean"),
        ("StringEqualsPath", json!(1), "must be a string"),
        ("NumericEqualsPath", json!("x"), "is not a path"),
    ];
    for (op, value, needle) in cases {
        rejects(
            rule(json!({"Variable": "$.v", op: value})),
            &format!("/States/C/Choices/0/{op}"),
            needle,
        );
    }
}

#[test]
fn boolean_expressions() {
    let m = ok(rule(json!({"And": [
        {"Variable": "$.a", "IsPresent": true},
        {"Or": [{"Variable": "$.b", "NumericGreaterThan": 1}, {"Not": {"Variable": "$.c", "StringEquals": "x"}}]}
    ]})));
    let StateKind::Choice(ch) = &m.graph.states["C"].kind else {
        panic!()
    };
    let Condition::And(items) = &ch.choices[0].condition else {
        panic!()
    };
    assert_eq!(items.len(), 2);
    let Condition::Or(inner) = &items[1] else {
        panic!()
    };
    assert!(
        matches!(&inner[1], Condition::Not(c) if matches!(**c, Condition::Compare { op: Comparison::StringEquals, .. }))
    );
}

#[test]
fn rule_structure_errors() {
    let cases = [
        (choice(json!([])), "/States/C/Choices", "must not be empty"),
        (choice(json!({})), "/States/C/Choices", "must be an array"),
        (
            json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Default": "D"}, "D": {"Type": "Succeed"}}}),
            "/States/C",
            "missing required field \"Choices\"",
        ),
        (
            choice(json!([1])),
            "/States/C/Choices/0",
            "must be an object",
        ),
        (
            choice(json!([{"Variable": "$.v", "IsNull": true}])),
            "/States/C/Choices/0",
            "missing required field \"Next\"",
        ),
        (
            rule(json!({"Variable": "$.v"})),
            "/States/C/Choices/0",
            "needs a comparison operator",
        ),
        (
            rule(json!({"Variable": "$.v", "IsNull": true, "IsString": true})),
            "/States/C/Choices/0",
            "exactly one comparison operator",
        ),
        (
            rule(json!({"IsNull": true})),
            "/States/C/Choices/0",
            "missing required field \"Variable\"",
        ),
        (
            rule(json!({"Variable": "v", "IsNull": true})),
            "/States/C/Choices/0/Variable",
            "is not a path",
        ),
        (
            rule(json!({"Variable": 1, "IsNull": true})),
            "/States/C/Choices/0/Variable",
            "must be a string",
        ),
        (
            rule(json!({"Variable": "$.v", "StringEqualz": "x"})),
            "/States/C/Choices/0/StringEqualz",
            "not supported in a Choice rule",
        ),
        (
            rule(json!({"Variable": "$.v", "StringMatchesPath": "$.x"})),
            "/States/C/Choices/0/StringMatchesPath",
            "not supported in a Choice rule",
        ),
        (
            rule(json!({"Variable": "$.v", "IsNullPath": "$.x"})),
            "/States/C/Choices/0/IsNullPath",
            "not supported in a Choice rule",
        ),
        (
            rule(json!({"And": []})),
            "/States/C/Choices/0/And",
            "must not be empty",
        ),
        (
            rule(json!({"Or": {}})),
            "/States/C/Choices/0/Or",
            "must be an array",
        ),
        (
            rule(json!({"Not": []})),
            "/States/C/Choices/0/Not",
            "must be an object",
        ),
        (
            rule(json!({"And": [{"Variable": "$.a", "IsNull": true, "Next": "Done"}]})),
            "/States/C/Choices/0/And/0/Next",
            "cannot have \"Next\"",
        ),
        (
            rule(json!({"Not": {"Variable": "$.a", "IsNull": true, "Next": "Done"}})),
            "/States/C/Choices/0/Not/Next",
            "cannot have \"Next\"",
        ),
        (
            rule(json!({"Variable": "$.a", "And": [{"Variable": "$.a", "IsNull": true}]})),
            "/States/C/Choices/0/Variable",
            "cannot be used with \"And\"",
        ),
        (
            rule(json!({"Variable": "$.a", "IsNull": true, "Assign": {"1x": 1}})),
            "/States/C/Choices/0/Assign/1x",
            "not a valid variable name",
        ),
        (
            rule(json!({"Condition": "{% true %}"})),
            "/States/C/Choices/0/Condition",
            "only supported in JSONata states",
        ),
        (
            choice(json!([{"Variable": "$.v", "IsNull": true, "Next": "Nowhere"}])),
            "/States/C/Choices/0/Next",
            "no state named \"Nowhere\"",
        ),
        (
            json!({"StartAt": "C", "States": {"C": {"Type": "Choice", "Choices": [{"Variable": "$", "IsNull": true, "Next": "D"}], "Default": 1}, "D": {"Type": "Succeed"}}}),
            "/States/C/Default",
            "must be a string",
        ),
    ];
    for (v, path, needle) in cases {
        rejects(v, path, needle);
    }
}

#[test]
fn comments_in_rules_are_accepted_and_default_is_optional() {
    let m = ok(json!({"StartAt": "C", "States": {
        "C": {"Type": "Choice", "Choices": [{"Comment": "c", "Not": {"Comment": "n", "Variable": "$.x", "IsPresent": true}, "Next": "D"}]},
        "D": {"Type": "Succeed"}
    }}));
    let StateKind::Choice(ch) = &m.graph.states["C"].kind else {
        panic!()
    };
    assert!(ch.default.is_none());
}
