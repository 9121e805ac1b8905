use std::borrow::Cow;

use serde_json::{json, Value};

use super::{Expression, Host};
use crate::entropy::SplitMix64;

struct Vars(Value);

impl Host for Vars {
    fn variable(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.0.get(name).map(Cow::Borrowed)
    }
}

fn eval_with(src: &str, vars: Value) -> Result<Option<Value>, super::Error> {
    let e = Expression::parse(src).unwrap_or_else(|e| panic!("{e}"));
    e.evaluate(&Vars(vars), 1_700_000_000_000, &mut SplitMix64::new(1))
}

fn ev(src: &str) -> Option<Value> {
    let input = json!({
        "states": {"input": {
            "a": 1, "b": [1, 2, 3], "s": "hello",
            "o": {"x": {"y": 5}, "z": [{"k": 1}, {"k": 2}, {"k": [3, 4]}]},
            "people": [{"name": "ann", "age": 30}, {"name": "bob", "age": 25}],
        }},
        "v": 42,
    });
    eval_with(src, input).unwrap_or_else(|e| panic!("{src}: {e}"))
}

#[test]
fn paths_flatten_and_collapse_singletons() {
    assert_eq!(ev("$states.input.a"), Some(json!(1)));
    assert_eq!(ev("$states.input.o.z.k"), Some(json!([1, 2, 3, 4])));
    assert_eq!(ev("$states.input.o.z[0].k"), Some(json!(1)));
    assert_eq!(
        ev("$states.input.people[age > 26].name"),
        Some(json!("ann"))
    );
    assert_eq!(
        ev("$states.input.people[age > 26].name[]"),
        Some(json!(["ann"]))
    );
    assert_eq!(ev("$states.input.nothing"), None);
    assert_eq!(ev("$states.input.b[-1]"), Some(json!(3)));
    assert_eq!(ev("$states.input.b[[0,2]]"), Some(json!([1, 3])));
    assert_eq!(ev("$states.input.o.*.y"), Some(json!(5)));
    assert_eq!(
        ev("$states.input.people^(age).name"),
        Some(json!(["bob", "ann"]))
    );
    assert_eq!(ev("$v"), Some(json!(42)));
    // An array reached by a field step is kept whole; several are flattened together.
    assert_eq!(ev("{'a': [1]}.a"), Some(json!([1])));
    assert_eq!(ev("{'a': [[1, 2]]}.a"), Some(json!([[1, 2]])));
    assert_eq!(ev("[{'a': [1, 2]}, {'a': [3]}].a"), Some(json!([1, 2, 3])));
    assert_eq!(ev("{'a': {'b': [1]}}.a.b"), Some(json!([1])));
    assert_eq!(ev("($x := [{'a': 1}]; $x.a)"), Some(json!(1)));
    assert_eq!(ev("$states.input.o.z[k = 2]"), Some(json!({"k": 2})));
    assert_eq!(ev("$states.input.b.($ * 2)"), Some(json!([2, 4, 6])));
}

#[test]
fn operators_and_undefined() {
    assert_eq!(ev("1 + 2 * 3"), Some(json!(7)));
    assert_eq!(ev("$nothing + 1"), None);
    assert_eq!(ev("$nothing = 1"), Some(json!(false)));
    assert_eq!(ev("'a' & 1 & $nothing & true"), Some(json!("a1true")));
    assert_eq!(ev("[1..3]"), Some(json!([1, 2, 3])));
    assert_eq!(ev("3 in [1,2,3]"), Some(json!(true)));
    assert_eq!(
        ev("$states.input.a > 0 ? 'pos' : 'neg'"),
        Some(json!("pos"))
    );
    assert_eq!(ev("$nothing ?? 'dflt'"), Some(json!("dflt")));
    assert_eq!(ev("1 = 1 and 'x' or false"), Some(json!(true)));
    assert_eq!(ev("{'k': [1]}"), Some(json!({"k": [1]})));
    assert_eq!(ev("{'k': $nothing}"), Some(json!({})));
    assert_eq!(ev("[[1,2],[3]]"), Some(json!([[1, 2], [3]])));
    assert_eq!(ev("[1,[2,3]]"), Some(json!([1, [2, 3]])));
    let e = eval_with("1 + 'a'", json!({})).unwrap_err();
    assert_eq!(e.code, "T2002");
    assert_eq!(eval_with("1 < 'a'", json!({})).unwrap_err().code, "T2009");
}

#[test]
fn lambdas_blocks_and_higher_order_functions() {
    assert_eq!(ev("($f := function($x) { $x * 2 }; $f(4))"), Some(json!(8)));
    assert_eq!(
        ev("$map([1,2,3], function($v, $i) { $v + $i })"),
        Some(json!([1, 3, 5]))
    );
    assert_eq!(
        ev("$filter([1,2,3,4], function($v) { $v % 2 = 0 })"),
        Some(json!([2, 4]))
    );
    assert_eq!(
        ev("$reduce([1,2,3,4], function($a, $b) { $a + $b })"),
        Some(json!(10))
    );
    assert_eq!(ev("$sort([3,1,2])"), Some(json!([1, 2, 3])));
    assert_eq!(ev("$states.input.s ~> $uppercase()"), Some(json!("HELLO")));
    assert_eq!(
        ev("$states.input.people{name: age}"),
        Some(json!({"ann": 30, "bob": 25}))
    );
    assert_eq!(
        ev("($fact := function($n) { $n <= 1 ? 1 : $n * $fact($n - 1) }; $fact(5))"),
        Some(json!(120))
    );
}

#[test]
fn string_and_number_functions() {
    assert_eq!(ev("$string(0.1 + 0.2)"), Some(json!("0.3")));
    assert_eq!(
        ev("$string({'a': [1, 'x']})"),
        Some(json!("{\"a\":[1,\"x\"]}"))
    );
    assert_eq!(ev("$substring('hello', -3, 2)"), Some(json!("ll")));
    assert_eq!(ev("$split('a,b,c', ',')"), Some(json!(["a", "b", "c"])));
    assert_eq!(ev("$join(['a','b'], '-')"), Some(json!("a-b")));
    assert_eq!(ev("$replace('abcabc', 'b', 'X', 1)"), Some(json!("aXcabc")));
    assert_eq!(ev("$replace('abc', /(b)/, '[$1]')"), Some(json!("a[b]c")));
    assert_eq!(ev("$contains('abc', /B/i)"), Some(json!(true)));
    assert_eq!(ev("$number('2')"), Some(json!(2)));
    assert_eq!(ev("$round(2.5)"), Some(json!(2)));
    assert_eq!(ev("$round(3.5)"), Some(json!(4)));
    assert_eq!(ev("$round(1.255, 2)"), Some(json!(1.26)));
    assert_eq!(ev("$sum($states.input.b)"), Some(json!(6)));
    assert_eq!(ev("$count($states.input.nothing)"), Some(json!(0)));
    assert_eq!(ev("$pad('x', -3, '0')"), Some(json!("00x")));
    assert_eq!(ev("$trim('  a   b ')"), Some(json!("a b")));
    assert_eq!(ev("1 / 0"), Some(json!("Infinity")));
    assert_eq!(
        ev("$formatNumber(1234.5678, '#,##0.00')"),
        Some(json!("1,234.57"))
    );
    assert_eq!(ev("$formatNumber(0.14, '0%')"), Some(json!("14%")));
    assert_eq!(ev("$formatNumber(-7, '000')"), Some(json!("-007")));
    assert_eq!(ev("$formatNumber(12.5, '#.#')"), Some(json!("12.5")));
    assert_eq!(ev("$formatNumber(12, '#.##')"), Some(json!("12")));
    assert_eq!(ev("$keys({'a':1,'b':2})"), Some(json!(["a", "b"])));
    assert_eq!(
        ev("$merge([{'a':1},{'b':2}])"),
        Some(json!({"a": 1, "b": 2}))
    );
    assert_eq!(ev("$type(null)"), Some(json!("null")));
    assert_eq!(ev("$exists($nothing)"), Some(json!(false)));
}

#[test]
fn step_functions_additions_and_pure_clock() {
    assert_eq!(ev("$range(0, 10, 3)"), Some(json!([0, 3, 6, 9])));
    assert_eq!(ev("$range(1, 9, 9)"), Some(json!(1)));
    assert_eq!(
        ev("$partition([1,2,3,4,5], 2)"),
        Some(json!([[1, 2], [3, 4], [5]]))
    );
    assert_eq!(ev("$parse('{\"a\": [1]}')"), Some(json!({"a": [1]})));
    assert_eq!(
        ev("$hash('hello', 'SHA-256')"),
        Some(json!(
            "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        ))
    );
    assert_eq!(ev("$random(7) = $random(7)"), Some(json!(true)));
    // Seeded as java.util.Random is, so the values match AWS's (which runs on the JVM).
    assert_eq!(ev("$random(42)"), Some(json!(0.7275636800328681)));
    assert_eq!(ev("$range(5, 1, -2)"), Some(json!([5, 3, 1])));
    assert_eq!(ev("$range(1, 5, -1)"), None);
    assert_eq!(ev("$range(3, 3, 1)"), Some(json!(3)));
    assert_eq!(ev("$partition([1,2,3])"), Some(json!([[1, 2, 3]])));
    assert_eq!(ev("$partition([], 2)"), None);
    assert_eq!(ev("$hash('a')"), None);
    assert_eq!(ev("$now()"), Some(json!("2023-11-14T22:13:20.000Z")));
    assert_eq!(ev("$millis()"), Some(json!(1_700_000_000_000_i64)));
    assert_eq!(ev("$now('[Y0001]-[M01]-[D01]')"), Some(json!("2023-11-14")));
    assert_eq!(
        ev("$fromMillis(1700000000123, '[FNn], [D1o] [MNn] [Y] [h]:[m01][P] [f001]')"),
        Some(json!("Tuesday, 14th November 2023 10:13pm 123"))
    );
    assert_eq!(
        ev("$fromMillis(0)"),
        Some(json!("1970-01-01T00:00:00.000Z"))
    );
    let uuid = ev("$uuid()")
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    assert_eq!(uuid.len(), 36);
    // `$eval` is not available in Step Functions.
    assert_eq!(
        eval_with("$eval('1')", json!({})).unwrap_err().code,
        "T1006"
    );
}

#[test]
fn recursion_and_nesting_are_bounded() {
    // A recursion nests several evaluation levels per call: AWS refuses this one too.
    assert_eq!(
        ev("($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(20))"),
        Some(json!(20))
    );
    let refused = eval_with(
        "($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(90))",
        json!({}),
    );
    assert_eq!(refused.map_err(|e| e.code), Err("U1001"));
    // The deepest nesting allowed runs within a test thread's 2 MiB stack.
    let chain = vec!["1"; 99].join(" + ");
    assert_eq!(ev(&chain), Some(json!(99)));
}

#[test]
fn runaway_recursion_is_an_error_not_a_crash() {
    let deep = eval_with("($f := function($n) { $f($n + 1) }; $f(0))", json!({}));
    assert_eq!(deep.map_err(|e| e.code), Err("U1001"));
}

/// Regression (found while fuzzing `jsonata`): the depth bound let short expressions run
/// for a minute and more (`$f` calling itself three times per level, nested ranges). The
/// evaluation budget stops them; it is lowered here so the test runs quickly in a debug
/// build, where the real budget takes minutes to exhaust.
#[test]
fn runaway_work_is_an_error_not_a_hang() {
    let budgeted = |src: &str, budget: u64| {
        let ast = super::parser::parse(src).expect("parses");
        let mut entropy = crate::entropy::SplitMix64::new(1);
        let mut ev = super::eval::Ev::new(&(), &mut entropy, 0, super::value::V::Undef);
        ev.budget = budget;
        let env = std::rc::Rc::new(super::eval::Env::default());
        ev.eval(&ast, &super::value::V::Undef, &env)
            .map(|v| v.to_json())
    };
    let exponential =
        "($f := function($n) { $n > 0 ? $f($n-1) + $f($n-1) + $f($n-1) : 1 }; $f(14))";
    let nested_ranges = "$sum([1..2000].($sum([1..2000].($sum([1..2000])))))";
    for src in [exponential, nested_ranges] {
        let refused = budgeted(src, 100_000);
        assert_eq!(refused.map_err(|e| e.code), Err("U1001"), "{src}");
    }
    // Work within the budget completes, and the budget is per evaluation.
    assert_eq!(
        budgeted("$count([1..1000].($ * 2))", 100_000).ok(),
        Some(Some(json!(1000)))
    );
}

#[test]
fn pathological_nesting_and_sizes_are_refused() {
    let nested = format!("{}1{}", "(".repeat(500), ")".repeat(500));
    assert!(Expression::parse(&nested).is_err());
    assert_eq!(
        eval_with("$pad('x', 1e12)", json!({})).map_err(|e| e.code),
        Err("D3137")
    );
}

#[test]
fn syntax_errors_are_reported_at_parse_time() {
    for bad in ["1 +", "(", "[1,2", "'abc", "$f(", "{'a' 1}", "a.1"] {
        assert!(Expression::parse(bad).is_err(), "{bad} should not parse");
    }
}

mod props {
    use proptest::prelude::*;
    use serde_json::json;

    use super::{eval_with, Expression};

    /// Fragments that combine into plausible and implausible expressions.
    const PIECES: &[&str] = &[
        "$states.input",
        ".a",
        ".b",
        "[0]",
        "[-1]",
        "[a > 1]",
        "[]",
        "$v",
        "1",
        "2.5",
        "'s'",
        "\"t\"",
        " + ",
        " - ",
        " * ",
        " / ",
        " % ",
        " & ",
        " = ",
        " != ",
        " < ",
        " and ",
        " or ",
        " in ",
        " ? ",
        " : ",
        " ?? ",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        ",",
        ";",
        ":=",
        "$x",
        "$string(",
        "$sum(",
        "$map(",
        "function($a){",
        "$a",
        "^(",
        "..",
        "*",
        "**",
        "~>",
        "$uppercase",
        "/[a-z]+/i",
        "null",
        "true",
        "$range(",
        "$partition(",
    ];

    proptest! {
        // No `proptest-regressions/` files in the source tree.
        #![proptest_config(ProptestConfig {
            failure_persistence: None,
            ..ProptestConfig::with_cases(2000)
        })]
        /// Whatever the text, parsing and evaluating return a value or an error, never
        /// panic.
        #[test]
        fn arbitrary_expressions_never_panic(indices in prop::collection::vec(0..PIECES.len(), 1..12)) {
            let source: String = indices.iter().map(|&i| PIECES[i]).collect();
            if Expression::parse(&source).is_ok() {
                let _ = eval_with(&source, json!({
                    "states": {"input": {"a": [1, 2, {"b": 3}], "b": "x"}},
                    "v": [{"a": 2}, {"a": 0}],
                }));
            }
        }
    }
}
