//! Payload templates: Parameters, ResultSelector, ItemSelector.

use serde_json::{json, Value};

use super::{ok, one, rejects};
use crate::definition::{Template, TemplateValue};

fn parameters(params: Value) -> Option<Template> {
    let m = ok(one(
        json!({"Type": "Pass", "Parameters": params, "End": true}),
    ));
    m.graph.states["S"].parameters.clone()
}

#[test]
fn static_templates_stay_literal() {
    let p = json!({"a": 1, "b": {"c": [1, {"d": "$.not.a.path"}]}});
    assert_eq!(parameters(p.clone()), Some(Template::Literal(p)));
    assert_eq!(parameters(json!({})), Some(Template::Literal(json!({}))));
}

#[test]
fn dollar_keys_are_compiled_and_stripped() {
    let t = parameters(json!({
        "lit": {"x": 1},
        "path.$": "$.a.b",
        "ctx.$": "$$.Execution.Id",
        "fn.$": "States.Format('{}', $.x)",
        "nested": {"inner.$": "$.y", "keep": [1]},
        "list": [{"z.$": "$.z"}, 2, {"static": true}]
    }))
    .unwrap();
    let Template::Object(fields) = t else {
        panic!("{t:?}")
    };
    let keys: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["lit", "path", "ctx", "fn", "nested", "list"]);
    assert_eq!(
        fields[0].1,
        TemplateValue::Template(Template::Literal(json!({"x": 1})))
    );
    assert!(matches!(&fields[1].1, TemplateValue::Path(p) if p.source() == "$.a.b"));
    assert!(matches!(&fields[2].1, TemplateValue::Path(p) if p.source() == "$$.Execution.Id"));
    assert!(
        matches!(&fields[3].1, TemplateValue::Intrinsic(i) if i.source() == "States.Format('{}', $.x)")
    );
    let TemplateValue::Template(Template::Object(nested)) = &fields[4].1 else {
        panic!()
    };
    assert!(matches!(&nested[0], (k, TemplateValue::Path(_)) if k == "inner"));
    assert_eq!(
        nested[1],
        (
            "keep".to_owned(),
            TemplateValue::Template(Template::Literal(json!([1])))
        )
    );
    let TemplateValue::Template(Template::Array(items)) = &fields[5].1 else {
        panic!()
    };
    assert!(
        matches!(&items[0], Template::Object(o) if matches!(&o[0], (k, TemplateValue::Path(_)) if k == "z"))
    );
    assert_eq!(items[1], Template::Literal(json!(2)));
    assert_eq!(items[2], Template::Literal(json!({"static": true})));
}

#[test]
fn template_errors() {
    let cases = [
        (
            json!({"Type": "Pass", "End": true, "Parameters": [1]}),
            "/States/S/Parameters",
            "must be an object",
        ),
        (
            json!({"Type": "Pass", "End": true, "Parameters": "x"}),
            "/States/S/Parameters",
            "must be an object",
        ),
        (
            json!({"Type": "Pass", "End": true, "Parameters": {"a.$": 1}}),
            "/States/S/Parameters/a.$",
            "must be a string holding a path or an intrinsic function",
        ),
        (
            json!({"Type": "Pass", "End": true, "Parameters": {"a.$": "hello"}}),
            "/States/S/Parameters/a.$",
            "must be a path or an intrinsic function",
        ),
        (
            json!({"Type": "Pass", "End": true, "Parameters": {"a.$": "$.x[0"}}),
            "/States/S/Parameters/a.$",
            "is not a valid path",
        ),
        (
            json!({"Type": "Pass", "End": true, "Parameters": {"a.$": "States.Nope("}}),
            "/States/S/Parameters/a.$",
            "is not a valid intrinsic function",
        ),
        (
            json!({"Type": "Pass", "End": true, "Parameters": {"l": [{"b": {"c.$": 2}}]}}),
            "/States/S/Parameters/l/0/b/c.$",
            "must be a string",
        ),
        (
            json!({"Type": "Task", "Resource": "arn:x", "End": true, "ResultSelector": 5}),
            "/States/S/ResultSelector",
            "must be an object",
        ),
        (
            json!({"Type": "Map", "End": true, "ItemSelector": [], "ItemProcessor": {"StartAt": "I", "States": {"I": {"Type": "Succeed"}}}}),
            "/States/S/ItemSelector",
            "must be an object",
        ),
    ];
    for (state, path, needle) in cases {
        rejects(one(state), path, needle);
    }
}
