//! Filter expressions, after Jayway's FilterCompiler and evaluators, with AWS's
//! documented restriction that `@` only matches objects.

use serde_json::{json, Value};

use super::*;

fn doc() -> Value {
    json!({
        "items": [
            {"id": 1, "name": "a", "price": 10, "tags": ["x"], "ok": true},
            {"id": 2, "name": "b", "price": 20.5, "ok": false, "sub": {"v": 1}},
            {"id": 3, "name": "c", "price": 5, "n": null}
        ],
        "limit": 10,
        "nums": [1, 2, 3],
        "obj": {"k": 1}
    })
}

fn ids(filter: &str) -> Value {
    let source = format!("$.items[?({filter})].id");
    let path = Path::parse(&source).unwrap_or_else(|e| panic!("{source}: {e}"));
    path.select(&doc())
        .unwrap_or_else(|e| panic!("{source}: {e}"))
}

#[test]
fn comparisons() {
    for (filter, expected) in [
        ("@.price > 10", json!([2])),
        ("@.price >= 10", json!([1, 2])),
        ("@.price < 10", json!([3])),
        ("@.price <= 10.0", json!([1, 3])),
        ("@.price == 10", json!([1])),
        ("@.price != 10", json!([2, 3])),
        ("@.price>10", json!([2])),
        ("@.price == 20.5", json!([2])),
        ("@.price > -1", json!([1, 2, 3])),
        ("@.name == 'b'", json!([2])),
        (r#"@.name == "b""#, json!([2])),
        ("@.name != 'b'", json!([1, 3])),
        ("@.name > 'a'", json!([2, 3])),
        ("@.ok == true", json!([1])),
        ("@.ok == false", json!([2])),
        ("@.n == null", json!([3])),
        ("@['name'] == 'c'", json!([3])),
        ("@.sub.v == 1", json!([2])),
        ("@.price > $.limit", json!([2])),
        // A missing value equals nothing, so `!=` holds (Jayway's UNDEFINED).
        ("@.missing == null", json!([])),
        ("@.missing != 1", json!([1, 2, 3])),
        ("@.missing > 0", json!([])),
        // Jayway compares a number with a numeric string as numbers.
        ("@.id == '1'", json!([1])),
        ("@.id === '1'", json!([])),
        ("@.id === 1", json!([1])),
        ("@.id !== 1", json!([2, 3])),
        // Strings and numbers are not ordered against each other.
        ("@.name < 5", json!([])),
    ] {
        assert_eq!(ids(filter), expected, "{filter}");
    }
}

#[test]
fn logic_and_existence() {
    for (filter, expected) in [
        ("@.price > 5 && @.price < 20", json!([1])),
        ("@.price < 6 || @.price > 20", json!([2, 3])),
        // `&&` binds tighter than `||`.
        ("@.id == 1 || @.id == 2 && @.ok == true", json!([1])),
        ("(@.id == 1 || @.id == 2) && @.ok == false", json!([2])),
        ("!(@.id == 1)", json!([2, 3])),
        ("@.sub", json!([2])),
        ("!@.sub", json!([1, 3])),
        ("@.n", json!([3])),
        ("@.tags && @.ok", json!([1])),
        ("@.sub.v", json!([2])),
        ("@.sub.missing", json!([])),
    ] {
        assert_eq!(ids(filter), expected, "{filter}");
    }
}

#[test]
fn list_operators() {
    for (filter, expected) in [
        ("@.id in [1, 3]", json!([1, 3])),
        ("@.name nin ['a', 'b']", json!([3])),
        (r#"@.name in ["a"]"#, json!([1])),
        ("@.tags contains 'x'", json!([1])),
        ("@.name contains 'b'", json!([2])),
        ("@.tags size 1", json!([1])),
        ("@.name size 1", json!([1, 2, 3])),
        ("@.tags empty false", json!([1])),
        ("@.tags subsetof ['x', 'y']", json!([1])),
        ("@.tags anyof ['x']", json!([1])),
        ("@.tags noneof ['x']", json!([])),
        ("@.sub == {'v': 1}", json!([2])),
    ] {
        assert_eq!(ids(filter), expected, "{filter}");
    }
}

#[test]
fn filter_shapes() {
    let d = doc();
    let select = |s: &str| Path::parse(s).map(|p| p.select(&d));
    // Always an array, even for one match or none.
    assert_eq!(select("$.items[?(@.id == 2)].name"), Ok(Ok(json!(["b"]))));
    assert_eq!(select("$.items[?(@.id == 9)]"), Ok(Ok(json!([]))));
    assert_eq!(select("$.missing[?(@.id == 9)]"), Ok(Ok(json!([]))));
    // Jayway tests an object itself.
    assert_eq!(select("$.obj[?(@.k == 1)]"), Ok(Ok(json!([{"k": 1}]))));
    // AWS: "@ ... does not match scalar values. It only matches objects."
    assert_eq!(select("$.nums[?(@ > 1)]"), Ok(Ok(json!([]))));
    // Recursive descent hands every object to the filter, pre-order.
    assert_eq!(select("$..[?(@.v)]"), Ok(Ok(json!([{"v": 1}]))));
    assert_eq!(select("$..[?(@.id > 2)].name"), Ok(Ok(json!(["c"]))));
}

#[test]
fn aws_documentation_example() {
    let d = json!({"jar": [{"a": 1}, {"a": 5}, {"a": 2}, {"a": 7}, {"a": 3}]});
    let got = Path::parse("$.jar[?(@.a >= 5)]").map(|p| p.select(&d));
    assert_eq!(got, Ok(Ok(json!([{"a": 5}, {"a": 7}]))));
}

#[test]
fn string_literals_unescape() {
    let d = json!({"l": [{"s": "it's"}, {"s": "a\"b"}, {"s": "x)y"}, {"s": "é"}]});
    for (source, expected) in [
        (r"$.l[?(@.s == 'it\'s')].s", json!(["it's"])),
        (r#"$.l[?(@.s == "a\"b")].s"#, json!(["a\"b"])),
        ("$.l[?(@.s == 'x)y')].s", json!(["x)y"])),
        (r"$.l[?(@.s == '\u00e9')].s", json!(["é"])),
    ] {
        let got = Path::parse(source).map(|p| p.select(&d));
        assert_eq!(got, Ok(Ok(expected)), "{source}");
    }
}

#[test]
fn rejects_bad_filters() {
    for s in [
        "$[?(@.a =~ /x/)]",
        "$[?(@.a ==)]",
        "$[?(@.a == 'x)]",
        "$[?(1)]",
        "$[?(@.a foo 1)]",
        "$[?(@.a == 1]",
        "$[?(@.a == 1) x]",
        "$[?()]",
        "$[?(@.a == 1 &&)]",
        "$[?($$.a)]",
        "$[?(! 1)]",
    ] {
        assert!(Path::parse(s).is_err(), "should be rejected: {s}");
    }
}

#[test]
fn filter_paths_are_indefinite() {
    let p = Path::parse("$.items[?(@.ok)]").map(|p| (p.is_definite(), p.is_reference()));
    assert_eq!(p, Ok((false, false)));
}
