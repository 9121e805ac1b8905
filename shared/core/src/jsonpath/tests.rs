//! Syntax, classification, shaping and ResultPath writes. Expected values follow Jayway
//! JsonPath (AWS's behaviour) and recorded AWS executions, not this code.

use serde_json::{json, Value};

use super::*;

fn path(s: &str) -> Path {
    Path::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn accepts_aws_syntax() {
    for s in [
        "$",
        "$$",
        "$.a",
        "$.a.b.c",
        "$.Content-Type",
        "$.foo-bar.baz",
        "$.ñame",
        "$['a']",
        r#"$["a"]"#,
        "$['a b']",
        "$[ 'a' ]",
        "$['a','b']",
        "$['a', 'b']",
        "$['']",
        "$[0]",
        "$[-1]",
        "$[0,2]",
        "$[ 0 , 2 ]",
        "$[1:3]",
        "$[:2]",
        "$[-2:]",
        "$[1:]",
        "$[0:4:2]",
        "$[*]",
        "$[ * ]",
        "$.*",
        "$.*.a",
        "$..a",
        "$..*",
        "$..[0]",
        "$.a[?(@.x > 1)]",
        "$.[0]",
        "$.abc.['def ghi']",
        "$[*][*]",
        "  $.a  ",
        "$$.Execution.Input",
        "$$.Map.Item.Value",
        "$$['State']",
        "$.a.length()",
        "$.a.sum(1, 2)",
        "$.a]",
        // Jayway ignores a single character left after a token.
        "$.a[0]x",
    ] {
        assert!(Path::parse(s).is_ok(), "should parse: {s}");
    }
}

#[test]
fn rejects_invalid_syntax() {
    for s in [
        "",
        "   ",
        "a",
        "a.b",
        "@.a",
        "$$a",
        "$.",
        "$..",
        "$.a.",
        "$...a",
        "$.a b",
        "$. a",
        "$[",
        "$['a'",
        "$['a]",
        "$['a'b]",
        "$['a',]",
        "$['a',,'b']",
        "$[abc]",
        "$[*x]",
        "$[1 :2]",
        "$[:]",
        "$[1,]",
        "$[1-2]",
        "$[99999999999]",
        "$[?(@.a]",
        "$[?@.a]",
        "$.a(",
        "$.a(()",
    ] {
        assert!(Path::parse(s).is_err(), "should be rejected: {s:?}");
    }
}

#[test]
fn parse_error_keeps_source_and_reason() {
    let err = Path::parse("$.a b").expect_err("rejected");
    assert_eq!(err.path, "$.a b");
    assert!(err.reason.contains("bracket"), "{}", err.reason);
}

#[test]
fn roots() {
    assert_eq!(path("$.a").root(), Root::Input);
    assert_eq!(path("$$.Execution.Input").root(), Root::Context);
    assert!(path("$").is_root_only());
    assert!(path("$$").is_root_only());
    assert!(path(" $ ").is_root_only());
    assert!(!path("$.a").is_root_only());
    assert_eq!(path("  $.a ").source(), "  $.a ");
    let ctx = json!({"Execution": {"Input": {"x": 1}}});
    assert_eq!(path("$$.Execution.Input.x").select(&ctx), Ok(json!(1)));
    assert_eq!(path("$$").select(&ctx), Ok(ctx.clone()));
}

#[test]
fn definite_classification() {
    for (s, definite) in [
        ("$", true),
        ("$.a.b", true),
        ("$.a[0]", true),
        ("$.a[-1]", true),
        ("$['a','b']", true),
        ("$.a.length()", true),
        ("$.a[*]", false),
        ("$.*", false),
        ("$..a", false),
        ("$[0,1]", false),
        ("$[1:]", false),
        ("$['a','b'].c", false),
        ("$[?(@.a)]", false),
        ("$.items[*].itemValue", false),
    ] {
        assert_eq!(path(s).is_definite(), definite, "{s}");
    }
}

#[test]
fn reference_classification() {
    for (s, reference) in [
        ("$", true),
        ("$.a", true),
        ("$.a.b", true),
        ("$['a']", true),
        ("$['a,b']", true),
        ("$[0]", true),
        ("$.a[1].b", true),
        ("$$.Execution.Input", true),
        ("$.Content-Type", true),
        ("$.a[-1]", false),
        ("$.a[*]", false),
        ("$.*", false),
        ("$..a", false),
        ("$.a[0,1]", false),
        ("$.a[1:2]", false),
        ("$['a','b']", false),
        ("$.a[?(@.x)]", false),
        ("$.a.length()", false),
        ("$.a*b", false),
        ("$.a@b", false),
        ("$.a:b", false),
    ] {
        assert_eq!(path(s).is_reference(), reference, "{s}");
    }
}

fn doc() -> Value {
    json!({
        "a": {"b": 1, "c": [1, 2, 3]},
        "items": [{"v": 1, "t": "x"}, {"v": 2, "t": "y"}, {"v": 3}],
        "s": "str",
        "n": null,
        "Content-Type": "json",
        "e": [],
        "m": {"x": 1}
    })
}

#[test]
fn shaping_and_no_match() {
    let d = doc();
    let cases: &[(&str, Option<Value>)] = &[
        ("$", Some(d.clone())),
        ("$.a.b", Some(json!(1))),
        ("$.n", Some(Value::Null)),
        ("$.Content-Type", Some(json!("json"))),
        // Definite and missing: an error for the caller.
        ("$.missing", None),
        ("$.a.missing", None),
        ("$.missing.x", None),
        ("$.s.x", None),
        ("$.n.x", None),
        ("$.a[0]", None),
        ("$.a.c.x", None),
        ("$.e[0]", None),
        ("$.a.c[5]", None),
        ("$.a.c[-4]", None),
        ("$.a.c.length()", None),
        // Indices.
        ("$.a.c[0]", Some(json!(1))),
        ("$.a.c[-1]", Some(json!(3))),
        ("$.items[0].v", Some(json!(1))),
        // Indefinite: always an array, even for one match or none.
        ("$.a.c[*]", Some(json!([1, 2, 3]))),
        ("$.a.c[0,2]", Some(json!([1, 3]))),
        ("$.items[1,0].v", Some(json!([2, 1]))),
        ("$.a.c[0,9]", Some(json!([1]))),
        ("$.m.*", Some(json!([1]))),
        ("$.items[:1]", Some(json!([{"v": 1, "t": "x"}]))),
        ("$.items[*].v", Some(json!([1, 2, 3]))),
        ("$.items[*].t", Some(json!(["x", "y"]))),
        ("$.items[*].v[0]", Some(json!([]))),
        ("$.e[*]", Some(json!([]))),
        ("$.missing[*]", Some(json!([]))),
        ("$.missing[*].x", Some(json!([]))),
        ("$.s[*]", Some(json!([]))),
        ("$.s.*", Some(json!([]))),
        // Multi-name: merged into one object when last (definite), iterated otherwise.
        ("$['s','m']", Some(json!({"s": "str", "m": {"x": 1}}))),
        ("$['s','zz']", Some(json!({"s": "str"}))),
        ("$['zz','yy']", Some(json!({}))),
        ("$['a','m'].x", Some(json!([1]))),
        ("$.s['a','b']", None),
    ];
    for (s, expected) in cases {
        let got = path(s).select(&d);
        match expected {
            Some(v) => assert_eq!(got.as_ref(), Ok(v), "{s}"),
            None => assert_eq!(
                got,
                Err(NoMatch {
                    path: (*s).to_owned()
                }),
                "{s}"
            ),
        }
    }
}

#[test]
fn recorded_aws_no_input_cases() {
    // io_processing: `{"item.$": <path>}` on input `{}` gives `{"item": []}`.
    for s in [
        "$.items[*].itemValue",
        "$.items[*]",
        "$.items[:1]",
        "$.items[1:]",
        "$.items[1:].itemValue",
        "$.items[:1].itemValue",
        "$.item.items[1:5].itemValue",
        "$.item.items[1:5]",
        "$.item.items[*]",
        "$[*]",
    ] {
        assert_eq!(path(s).select(&json!({})), Ok(json!([])), "{s}");
    }
}

#[test]
fn slices_follow_jayway() {
    let d = json!([0, 1, 2, 3, 4]);
    for (s, expected) in [
        ("$[1:3]", json!([1, 2])),
        ("$[:2]", json!([0, 1])),
        ("$[-2:]", json!([3, 4])),
        ("$[1:]", json!([1, 2, 3, 4])),
        ("$[:-1]", json!([0, 1, 2, 3])),
        ("$[0:10]", json!([0, 1, 2, 3, 4])),
        ("$[-10:]", json!([0, 1, 2, 3, 4])),
        ("$[7:]", json!([])),
        ("$[3:1]", json!([])),
        ("$[-3:-1]", json!([2, 3])),
        // Jayway reads no step: `[0:4:2]` is `[0:4]`.
        ("$[0:4:2]", json!([0, 1, 2, 3])),
        // Jayway does not wrap the end of `from:to`, so a negative end gives nothing,
        // and a negative start walks from the end then on from index 0.
        ("$[1:-1]", json!([])),
        ("$[-2:2]", json!([3, 4, 0, 1])),
    ] {
        assert_eq!(path(s).select(&d), Ok(expected), "{s}");
    }
    assert_eq!(path("$[:2]").select(&json!([])), Ok(json!([])));
}

#[test]
fn recursive_descent() {
    let d = json!({"a": {"x": 1, "b": {"x": 2}}, "c": [{"x": 3}, {"y": 4}], "x": 0});
    assert_eq!(path("$..x").select(&d), Ok(json!([0, 1, 2, 3])));
    assert_eq!(path("$..missing").select(&d), Ok(json!([])));
    assert_eq!(path("$.a..x").select(&d), Ok(json!([1, 2])));
    assert_eq!(path("$..b.x").select(&d), Ok(json!([2])));
    let d = json!({"a": {"b": 1}, "c": [2]});
    assert_eq!(path("$..*").select(&d), Ok(json!([{"b": 1}, [2], 1, 2])));
    let d = json!({"a": [[1, 2], [3]]});
    assert_eq!(path("$..[0]").select(&d), Ok(json!([[1, 2], 1, 3])));
    // Jayway quirk: after `..[n]` on an array, later steps apply to every element.
    let d = json!({"a": [{"x": 1}, {"x": 2}]});
    assert_eq!(path("$..[0].x").select(&d), Ok(json!([1, 2])));
}

#[test]
fn wildcards() {
    let d = json!({"a": 1, "b": [2]});
    assert_eq!(path("$.*").select(&d), Ok(json!([1, [2]])));
    assert_eq!(path("$[*]").select(&d), Ok(json!([1, [2]])));
    let nested = json!([[1, 2], [3]]);
    assert_eq!(path("$[*][*]").select(&nested), Ok(json!([1, 2, 3])));
    assert_eq!(path("$.*").select(&json!("scalar")), Ok(json!([])));
}

#[test]
fn bracket_names_and_escapes() {
    // Recorded AWS: the backslash stays in the key.
    let d = json!({r#"Test\""Name""#: "Value\"\\"});
    assert_eq!(
        path(r#"$['Test\""Name"']"#).select(&d),
        Ok(json!("Value\"\\"))
    );
    let d = json!({r"it\'s": 1, "it's": 2, "a.b": 3, "a[0]": 4, "a b": 5, "": 6, "$": 7});
    assert_eq!(path(r"$['it\'s']").select(&d), Ok(json!(1)));
    assert_eq!(path(r#"$["it's"]"#).select(&d), Ok(json!(2)));
    assert_eq!(path("$['a.b']").select(&d), Ok(json!(3)));
    assert_eq!(path("$['a[0]']").select(&d), Ok(json!(4)));
    assert_eq!(path("$['a b']").select(&d), Ok(json!(5)));
    assert_eq!(path("$['']").select(&d), Ok(json!(6)));
    assert_eq!(path("$['$']").select(&d), Ok(json!(7)));
    assert_eq!(path("$.['a b']").select(&d), Ok(json!(5)));
    assert!(path("$['a.b']").is_reference());
}

#[test]
fn dot_names_run_to_dot_or_bracket() {
    let d = json!({"foo-bar": {"baz": 1}, "a]": 2, "x": [{"k=v": 3}]});
    assert_eq!(path("$.foo-bar.baz").select(&d), Ok(json!(1)));
    assert_eq!(path("$.a]").select(&d), Ok(json!(2)));
    assert_eq!(path("$.x[0].k=v").select(&d), Ok(json!(3)));
    assert_eq!(path("$.x[0]['k=v']").select(&d), Ok(json!(3)));
}

#[test]
fn exists_for_is_present() {
    let d = json!({"a": null, "b": {"c": [1]}, "s": "x"});
    for (s, present) in [
        ("$", true),
        ("$.a", true),
        ("$.b.c[0]", true),
        ("$.missing", false),
        ("$.s.x", false),
        ("$.b.c[1]", false),
        ("$.b.c[-1]", true),
        ("$.a.length()", false),
        // Indefinite paths select `[]` rather than fail, so they are present.
        ("$.missing[*]", true),
        ("$.b.c[*]", true),
    ] {
        assert_eq!(path(s).exists(&d), present, "{s}");
    }
}

#[test]
fn select_ref_borrows_definite_matches() {
    let d = doc();
    assert!(matches!(path("$.a.c").select_ref(&d), Ok(Cow::Borrowed(_))));
    assert!(matches!(path("$.a.c[*]").select_ref(&d), Ok(Cow::Owned(_))));
}

#[test]
fn normalized_form() {
    assert_eq!(path("$.a[0]['b c'][*]").normalized(), "$['a'][0]['b c'][*]");
    assert_eq!(path("$..x[1:]").normalized(), "$..['x'][1:]");
    assert_eq!(path("$").normalized(), "$");
}

fn set(s: &str, target: Value) -> Result<Value, SetError> {
    path(s).set(target, json!("V"))
}

#[test]
fn set_writes_and_creates_objects() {
    for (s, target, expected) in [
        ("$", json!({"x": 1}), json!("V")),
        ("$.a", json!({"x": 1}), json!({"x": 1, "a": "V"})),
        ("$.a.b.c", json!({}), json!({"a": {"b": {"c": "V"}}})),
        (
            "$.a.b",
            json!({"a": {"c": 1}}),
            json!({"a": {"c": 1, "b": "V"}}),
        ),
        ("$.a", json!({"a": {"old": 1}}), json!({"a": "V"})),
        ("$.arr[1]", json!({"arr": [1, 2]}), json!({"arr": [1, "V"]})),
        (
            "$.arr[0].k",
            json!({"arr": [{}]}),
            json!({"arr": [{"k": "V"}]}),
        ),
        ("$[0].a", json!([{"b": 1}]), json!([{"b": 1, "a": "V"}])),
        ("$['a b'].c", json!({}), json!({"a b": {"c": "V"}})),
    ] {
        assert_eq!(set(s, target), Ok(expected), "{s}");
    }
}

#[test]
fn set_keeps_key_order() {
    let out = set("$.x", json!({"x": 1, "y": 2})).expect("set");
    assert_eq!(
        serde_json::to_string(&out).ok().as_deref(),
        Some(r#"{"x":"V","y":2}"#)
    );
}

#[test]
fn set_failures_use_aws_wording() {
    for (s, target, reason) in [
        (
            "$.a",
            json!("text"),
            r#"Unable to apply ReferencePath $.a to input "text""#,
        ),
        (
            "$.a",
            json!(1),
            "Unable to apply ReferencePath $.a to input 1",
        ),
        (
            "$.a",
            json!(null),
            "Unable to apply ReferencePath $.a to input null",
        ),
        (
            "$.a",
            json!([1]),
            r#"Unable to apply step "a" to input [1]"#,
        ),
        (
            "$.a.b",
            json!({"a": "str"}),
            r#"Unable to apply step "b" to input {"a":"str"}"#,
        ),
        (
            "$.a.b",
            json!({"a": null}),
            r#"Unable to apply step "b" to input {"a":null}"#,
        ),
        (
            "$.a.b",
            json!({"a": [1]}),
            r#"Unable to apply step "b" to input {"a":[1]}"#,
        ),
        (
            "$.arr[2]",
            json!({"arr": [1, 2]}),
            r#"Unable to apply step "2" to input {"arr":[1,2]}"#,
        ),
        (
            "$.missing[0]",
            json!({}),
            r#"Unable to apply step "0" to input {}"#,
        ),
        (
            "$.o[0]",
            json!({"o": {}}),
            r#"Unable to apply step "0" to input {"o":{}}"#,
        ),
    ] {
        let err = set(s, target)
            .err()
            .unwrap_or_else(|| panic!("{s} should fail"));
        assert_eq!(err.reason, reason, "{s}");
        assert_eq!(err.path, s);
    }
}

#[test]
fn set_refuses_non_reference_and_context_paths() {
    for s in ["$.a[*]", "$..a", "$.a[-1]", "$['a','b']", "$$.Execution"] {
        assert!(set(s, json!({})).is_err(), "{s}");
    }
}

#[test]
fn index_after_indefinite_step_stays_in_an_array() {
    let d = json!({"rows": [{"c": [1, 2]}, {"c": [3]}, {"c": []}]});
    assert_eq!(path("$.rows[*].c[0]").select(&d), Ok(json!([1, 3])));
    assert_eq!(path("$.rows[1:].c[0]").select(&d), Ok(json!([3])));
    assert_eq!(path("$.rows[*].c[-1]").select(&d), Ok(json!([2, 3])));
}

#[test]
fn variable_paths_name_the_variable_and_select_into_it() {
    let p = Path::parse("$myVar.items[0]").expect("a variable path");
    assert_eq!(p.root(), Root::Variable);
    assert_eq!(p.variable(), Some("myVar"));
    assert_eq!(p.select(&json!({"items": [7, 8]})), Ok(json!(7)));
    assert!(!p.is_reference());
    let whole = Path::parse("$v").expect("a bare variable");
    assert!(whole.is_root_only());
    assert_eq!(Path::parse("$.a").map(|p| p.root()), Ok(Root::Input));
}
