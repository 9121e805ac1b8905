//! Top level, graphs, transitions, reachability, names.

use serde_json::json;

use super::{diags, ok, one, rejects};
use crate::definition::{parse, StateKind, Transition};

#[test]
fn minimal_machine_parses() {
    let m = ok(json!({
        "Comment": "c", "Version": "1.0", "TimeoutSeconds": 60,
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}
    }));
    assert_eq!(m.comment.as_deref(), Some("c"));
    assert_eq!(m.version.as_deref(), Some("1.0"));
    assert_eq!(m.timeout_seconds, Some(60));
    assert_eq!(m.graph.start_at, "A");
    let names: Vec<&str> = m.graph.states.keys().map(String::as_str).collect();
    assert_eq!(names, ["A", "B"]);
    assert_eq!(m.graph.states["A"].transition, Transition::Next("B".into()));
    assert_eq!(m.graph.states["B"].transition, Transition::None);
    assert!(matches!(m.graph.states["B"].kind, StateKind::Succeed));
}

#[test]
fn invalid_json_text_is_one_diagnostic_at_the_root() {
    let err = parse("{\"StartAt\": ").unwrap_err();
    assert_eq!(err.diagnostics.len(), 1);
    assert_eq!(err.diagnostics[0].path, "");
    assert!(err.diagnostics[0].message.contains("line 1"), "{err}");
}

#[test]
fn parse_text_works_like_parse_value() {
    let m = parse(r#"{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}"#).unwrap();
    assert_eq!(m.graph.start_at, "A");
}

#[test]
fn top_level_rules() {
    let cases = [
        (json!([]), "", "must be a JSON object"),
        (
            json!({"States": {"A": {"Type": "Succeed"}}}),
            "",
            "missing required field \"StartAt\"",
        ),
        (
            json!({"StartAt": "A"}),
            "",
            "missing required field \"States\"",
        ),
        (
            json!({"StartAt": 1, "States": {"A": {"Type": "Succeed"}}}),
            "/StartAt",
            "must be a string",
        ),
        (
            json!({"StartAt": "A", "States": {}}),
            "/States",
            "at least one state",
        ),
        (
            json!({"StartAt": "A", "States": []}),
            "/States",
            "must be an object",
        ),
        (
            json!({"StartAt": "B", "States": {"A": {"Type": "Succeed"}}}),
            "/StartAt",
            "no state named \"B\"",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}, "Foo": 1}),
            "/Foo",
            "field \"Foo\" is not supported in a state machine definition",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}, "TimeoutSeconds": 0}),
            "/TimeoutSeconds",
            "positive integer",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}, "TimeoutSeconds": 1.5}),
            "/TimeoutSeconds",
            "positive integer",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}, "Version": 1}),
            "/Version",
            "must be a string",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}, "Comment": false}),
            "/Comment",
            "must be a string",
        ),
        (
            json!({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}, "QueryLanguage": "XPath"}),
            "/QueryLanguage",
            "must be \"JSONPath\" or \"JSONata\"",
        ),
    ];
    for (v, path, needle) in cases {
        rejects(v, path, needle);
    }
}

#[test]
fn query_language_is_inherited_and_a_jsonata_machine_cannot_switch_back() {
    ok(
        json!({"QueryLanguage": "JSONPath", "StartAt": "A", "States": {"A": {"Type": "Succeed", "QueryLanguage": "JSONPath"}}}),
    );
    ok(json!({"QueryLanguage": "JSONata", "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Output": "{% 1 %}", "End": true}}}));
    ok(one(
        json!({"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input %}", "End": true}),
    ));
    let d = diags(json!({"QueryLanguage": "JSONata", "StartAt": "A",
        "States": {"A": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": true}}}));
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!(d[0].path, "/States/A/QueryLanguage");
    assert!(d[0].message.contains("cannot use JSONPath"), "{d:#?}");
}

#[test]
fn next_must_name_a_state() {
    let d = diags(json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "Nope"}], "Default": "Done2"},
        "A": {"Type": "Pass", "Next": "Done"}
    }}));
    let has = |p: &str, m: &str| d.iter().any(|d| d.path == p && d.message == m);
    assert!(
        has("/States/Check/Choices/0/Next", "no state named \"Nope\""),
        "{d:#?}"
    );
    assert!(
        has("/States/Check/Default", "no state named \"Done2\""),
        "{d:#?}"
    );
    assert!(has("/States/A/Next", "no state named \"Done\""), "{d:#?}");
}

#[test]
fn unreachable_states_are_errors() {
    rejects(
        json!({"StartAt": "S", "States": {"S": {"Type": "Succeed"}, "A": {"Type": "Pass", "End": true}}}),
        "/States/A",
        "state is not reachable from StartAt",
    );
    // Reached through Catch, Default and Choice Next: all fine.
    ok(json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [{"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}],
              "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "C"}], "Next": "C"},
        "C": {"Type": "Choice", "Choices": [{"Variable": "$.x", "IsPresent": true, "Next": "Y"}], "Default": "Z"},
        "Y": {"Type": "Succeed"},
        "Z": {"Type": "Fail"}
    }}));
    // A cycle not connected to StartAt is unreachable too.
    let d = diags(json!({"StartAt": "S", "States": {
        "S": {"Type": "Succeed"},
        "L1": {"Type": "Pass", "Next": "L2"}, "L2": {"Type": "Pass", "Next": "L1"}
    }}));
    assert!(d.iter().any(|d| d.path == "/States/L1"));
    assert!(d.iter().any(|d| d.path == "/States/L2"));
}

#[test]
fn a_graph_needs_a_terminal_state() {
    rejects(
        json!({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Pass", "Next": "A"}}}),
        "/States",
        "no terminal state",
    );
}

#[test]
fn nested_graphs_cannot_reach_outside() {
    let v = json!({"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "Next": "Out"}}}
        ]},
        "Out": {"Type": "Succeed"}
    }});
    let d = diags(v);
    assert!(
        d.iter()
            .any(|d| d.path == "/States/P/Branches/0/States/B1/Next"
                && d.message == "no state named \"Out\""),
        "{d:#?}"
    );
    assert!(
        d.iter().any(|d| d.path == "/States/Out"),
        "Out is only reachable from inside: {d:#?}"
    );
}

#[test]
fn state_names_are_unique_in_the_whole_machine() {
    rejects(
        json!({"StartAt": "A", "States": {
            "A": {"Type": "Map", "End": true, "ItemProcessor": {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}}
        }}),
        "/States/A/ItemProcessor/States/A",
        "duplicate state name \"A\" (also defined at /States/A)",
    );
    rejects(
        json!({"StartAt": "P", "States": {"P": {"Type": "Parallel", "End": true, "Branches": [
            {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}},
            {"StartAt": "X", "States": {"X": {"Type": "Succeed"}}}
        ]}}}),
        "/States/P/Branches/1/States/X",
        "duplicate state name",
    );
}

#[test]
fn state_name_length_limit_is_80_characters() {
    let ok_name = "n".repeat(80);
    ok(json!({"StartAt": ok_name, "States": {ok_name.clone(): {"Type": "Succeed"}}}));
    let long = "é".repeat(81);
    rejects(
        json!({"StartAt": long, "States": {long.clone(): {"Type": "Succeed"}}}),
        &format!("/States/{long}"),
        "the limit is 80",
    );
}

#[test]
fn pointers_escape_tilde_and_slash() {
    rejects(
        json!({"StartAt": "a/b~c", "States": {"a/b~c": {"Type": "Pass", "Next": "nope"}}}),
        "/States/a~1b~0c/Next",
        "no state named \"nope\"",
    );
}

#[test]
fn several_problems_are_all_reported() {
    let d = diags(json!({"StartAt": "A", "Bogus": true, "States": {
        "A": {"Type": "Pass", "Next": "Missing", "Foo": 1},
        "B": {"Type": "Task", "End": true},
        "C": {"Type": "Wait", "Seconds": -1, "End": true}
    }}));
    let paths: Vec<&str> = d.iter().map(|d| d.path.as_str()).collect();
    for p in [
        "/Bogus",
        "/States/A/Foo",
        "/States/A/Next",
        "/States/B",
        "/States/C/Seconds",
        "/States/C",
    ] {
        assert!(paths.contains(&p), "missing {p} in {d:#?}");
    }
}

#[test]
fn unknown_and_missing_type() {
    rejects(
        one(json!({"End": true})),
        "/States/S",
        "missing required field \"Type\"",
    );
    rejects(
        one(json!({"Type": "Sleep", "End": true})),
        "/States/S/Type",
        "is not a state type",
    );
    rejects(
        one(json!({"Type": 3})),
        "/States/S/Type",
        "must be a string",
    );
    rejects(
        json!({"StartAt": "S", "States": {"S": []}}),
        "/States/S",
        "must be an object",
    );
}

#[test]
fn display_of_diagnostics_uses_the_pointer() {
    let d = diags(one(json!({"Type": "Pass", "End": true, "Foo": 1})));
    assert_eq!(
        d[0].to_string(),
        "/States/S/Foo: field \"Foo\" is not supported in a Pass state"
    );
}
