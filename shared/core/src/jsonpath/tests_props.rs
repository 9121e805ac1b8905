//! Property tests. Paths are generated as abstract steps, rendered once in our (Jayway)
//! syntax and once in RFC 9535 syntax, and checked against `serde_json_path` on the
//! subset where the two agree: names, indices, `*` and slices with non-negative bounds
//! and no step. Left out on purpose (documented Jayway/AWS behaviour, see `mod.rs`,
//! `eval.rs` and `tests.rs`): negative slice bounds (`[-2:2]` wraps per element), slice
//! steps (ignored), multi-name steps (merged into one object), `..` (pre-order with the
//! array quirk), filters, and names written in a way whose escapes RFC reads differently
//! (a backslash stays in the key here).
//!
//! Walks are steered through the generated document so most steps exist; some steps
//! are perturbed (missing key, index out of range, step on the wrong type).

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value};
use serde_json_path::JsonPath;

use super::*;

fn config() -> Config {
    Config {
        // No `proptest-regressions/` files in the source tree.
        failure_persistence: None,
        ..Config::with_cases(256)
    }
}

/// One abstract step.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Name(String),
    Index(i64),
    Wild,
    /// `[from:to]`, `[from:]`, `[:to]`, all bounds non-negative.
    Slice(Option<i64>, Option<i64>),
}

/// One decision of a walk: what kind of step, which child, how to write it.
#[derive(Debug, Clone, Copy)]
struct Choice {
    op: u8,
    pick: u16,
    style: u8,
}

fn arb_choice() -> impl Strategy<Value = Choice> {
    (any::<u8>(), any::<u16>(), any::<u8>()).prop_map(|(op, pick, style)| Choice {
        op,
        pick,
        style,
    })
}

/// Mostly a few short keys (so walks and perturbations collide), sometimes keys full of
/// characters that matter to the tokeniser. `~` never occurs: it marks fresh keys.
fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec!["a", "b", "c", "ab", "x y", "0", ""]).prop_map(String::from),
        2 => "[a-c0-9 _.\\[\\],'\"\\\\$@*:?()é€-]{0,4}",
    ]
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (-3i64..20).prop_map(Value::from),
        (-1e3f64..1e3).prop_map(Value::from),
        "[a-c ]{0,3}".prop_map(Value::from),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A document to walk: an object or array at the root most of the time.
fn arb_doc() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => arb_object(),
        2 => prop::collection::vec(arb_json(), 1..5).prop_map(Value::Array),
        1 => arb_json(),
    ]
}

fn arb_object() -> impl Strategy<Value = Value> {
    prop::collection::vec((arb_key(), arb_json()), 0..6)
        .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>()))
}

/// Keys that are never in a generated document.
const MISSING: [&str; 3] = ["~zz", "~a b", "~0"];

/// Where a step leads, used only to steer the walk (the oracle is `serde_json_path`).
fn child<'a>(node: Option<&'a Value>, step: &Step, pick: usize) -> Option<&'a Value> {
    let node = node?;
    match (step, node) {
        (Step::Name(k), Value::Object(m)) => m.get(k),
        (Step::Index(i), Value::Array(a)) => eval::get_index(a, *i),
        (Step::Wild, Value::Object(m)) if !m.is_empty() => m.values().nth(pick % m.len()),
        (Step::Wild, Value::Array(a)) if !a.is_empty() => a.get(pick % a.len()),
        (Step::Slice(from, to), Value::Array(a)) => {
            let from = from.unwrap_or(0) as usize;
            let to = to.map_or(a.len(), |t| t as usize).min(a.len());
            (from < to).then(|| &a[from + pick % (to - from)])
        }
        _ => None,
    }
}

/// A name or index step: usually an existing child (one time in eight a perturbed one:
/// a missing key, or an index that may be out of range or misplaced).
fn definite_step(node: Option<&Value>, c: Choice, negative: bool) -> Step {
    let pick = usize::from(c.pick);
    match (c.op % 8, node) {
        (0..=6, Some(Value::Object(m))) if !m.is_empty() => {
            Step::Name(m.keys().nth(pick % m.len()).cloned().unwrap_or_default())
        }
        (5, Some(Value::Array(a))) if !a.is_empty() && negative => {
            Step::Index(-((pick % a.len()) as i64) - 1)
        }
        (0..=6, Some(Value::Array(a))) if !a.is_empty() => Step::Index((pick % a.len()) as i64),
        _ if pick % 2 == 0 => Step::Name(MISSING[pick / 2 % MISSING.len()].to_owned()),
        _ => Step::Index((pick / 2 % 7) as i64),
    }
}

/// Whether a walk can go on from `node` (a non-empty object or array).
fn has_children(node: Option<&Value>) -> bool {
    match node {
        Some(Value::Object(m)) => !m.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        _ => false,
    }
}

/// A walk through `doc`. It mostly stops where there is nothing to go into (one time
/// in four it goes on with a step that cannot match). With `indefinite`, a quarter of
/// the steps are `*`, and on an array another quarter are slices.
fn walk(doc: &Value, choices: &[Choice], indefinite: bool) -> Vec<Step> {
    let mut node = Some(doc);
    let mut steps = Vec::new();
    for c in choices {
        if !has_children(node) && c.op / 8 % 4 != 0 {
            break;
        }
        let pick = usize::from(c.pick);
        let step = match (c.op / 32, node) {
            (0..=1, _) if indefinite => Step::Wild,
            (2..=3, Some(Value::Array(a))) if indefinite => {
                let from = (pick % (a.len() + 1)) as i64;
                let to = from + (pick / 8 % 4) as i64;
                match pick / 64 % 3 {
                    0 => Step::Slice(Some(from), Some(to)),
                    1 => Step::Slice(Some(from), None),
                    _ => Step::Slice(None, Some(to)),
                }
            }
            _ => definite_step(node, *c, true),
        };
        node = child(node, &step, pick);
        steps.push(step);
    }
    steps
}

/// Whether `['k']` (with `delim`) reads back as `k`: a backslash escapes the next
/// character and stays in the key, so only an unescaped delimiter or a trailing lone
/// backslash breaks it.
fn quotable(k: &str, delim: char) -> bool {
    let mut escaped = false;
    for c in k.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == delim {
            return false;
        }
    }
    !escaped
}

/// Whether `.k` reads back as the one name `k`. In a reference path, AWS refuses dot
/// names holding `@ , : ? *`.
fn dottable(k: &str, reference: bool) -> bool {
    let bad_first = |c: char| matches!(c, '*' | '.' | '[');
    let forbidden = |c: char| matches!(c, ' ' | '.' | '[' | '(') || c.is_whitespace();
    let operator = |c: char| matches!(c, '@' | ',' | ':' | '?' | '*');
    k.chars().next().is_some_and(|c| !bad_first(c))
        && !k.chars().any(forbidden)
        && !(reference && k.chars().any(operator))
}

/// Our syntax, each step written in one of the ways Jayway accepts (picked by `styles`).
/// `None` when a name cannot be written at all.
fn render_ours(steps: &[Step], styles: &[u8], reference: bool) -> Option<String> {
    use std::fmt::Write;
    let mut out = String::from("$");
    for (i, step) in steps.iter().enumerate() {
        let style = usize::from(styles.get(i % styles.len().max(1)).copied().unwrap_or(0));
        match step {
            Step::Name(k) => {
                let mut forms = Vec::new();
                if dottable(k, reference) {
                    forms.push(format!(".{k}"));
                }
                if quotable(k, '\'') {
                    forms.push(format!("['{k}']"));
                    forms.push(format!("[ '{k}' ]"));
                }
                if quotable(k, '"') {
                    forms.push(format!("[\"{k}\"]"));
                }
                if forms.is_empty() {
                    return None;
                }
                out.push_str(&forms[style % forms.len()]);
            }
            Step::Index(n) if style % 4 == 0 => write!(out, "[ {n} ]").ok()?,
            Step::Index(n) => write!(out, "[{n}]").ok()?,
            Step::Wild => out.push_str(["[*]", ".*", "[ * ]"][style % 3]),
            Step::Slice(from, to) => {
                let bound = |b: &Option<i64>| b.map(|b| b.to_string()).unwrap_or_default();
                write!(out, "[{}:{}]", bound(from), bound(to)).ok()?;
            }
        }
    }
    Some(out)
}

/// RFC 9535 syntax: names as JSON strings (RFC escapes are JSON's), all in brackets.
fn render_rfc(steps: &[Step]) -> String {
    let mut out = String::from("$");
    for step in steps {
        out.push('[');
        match step {
            Step::Name(k) => out.push_str(&Value::from(k.as_str()).to_string()),
            Step::Index(n) => out.push_str(&n.to_string()),
            Step::Wild => out.push('*'),
            Step::Slice(from, to) => {
                let bound = |b: &Option<i64>| b.map(|b| b.to_string()).unwrap_or_default();
                out.push_str(&format!("{}:{}", bound(from), bound(to)));
            }
        }
        out.push(']');
    }
    out
}

fn rfc_query<'a>(steps: &[Step], doc: &'a Value) -> Vec<&'a Value> {
    let source = render_rfc(steps);
    let path = JsonPath::parse(&source).unwrap_or_else(|e| panic!("RFC rejects {source}: {e}"));
    path.query(doc).all()
}

fn sorted(values: &[Value]) -> Vec<String> {
    let mut out: Vec<String> = values.iter().map(Value::to_string).collect();
    out.sort();
    out
}

proptest! {
    #![proptest_config(config())]

    /// 1. Definite names and indices. A name or index selects at most one child in both
    /// Jayway and RFC 9535 (negative indices count from the end in both), and a step that
    /// does not apply selects nothing in both; so RFC's node list has 0 or 1 node, and
    /// our shaping turns that into the value or `NoMatch`.
    #[test]
    fn definite_paths_agree_with_rfc9535(
        doc in arb_doc(),
        choices in prop::collection::vec(arb_choice(), 0..6),
    ) {
        let steps = walk(&doc, &choices, false);
        let styles: Vec<u8> = choices.iter().map(|c| c.style).collect();
        let source = render_ours(&steps, &styles, false);
        prop_assume!(source.is_some());
        let source = source.unwrap_or_default();
        let path = Path::parse(&source).unwrap_or_else(|e| panic!("{e}"));
        prop_assert!(path.is_definite(), "{source}");
        let rfc = rfc_query(&steps, &doc);
        match rfc.as_slice() {
            [] => {
                prop_assert_eq!(path.select(&doc), Err(NoMatch { path: source.clone() }));
                prop_assert!(!path.exists(&doc));
            }
            [one] => {
                prop_assert_eq!(path.select(&doc), Ok((*one).clone()), "{}", source);
                prop_assert!(path.exists(&doc));
                // A definite match is borrowed, not copied.
                let borrowed = matches!(path.select_ref(&doc), Ok(Cow::Borrowed(_)));
                prop_assert!(borrowed);
            }
            more => prop_assert!(false, "RFC found {} nodes for {}", more.len(), source),
        }
    }

    /// 2. `*` and non-negative slices. Jayway and RFC 9535 agree there: `*` visits every
    /// member or element, `[a:b]` the indices `a..min(b, len)`, `[a:]` / `[:b]` likewise,
    /// and later steps apply to each match. Our result is always an array (indefinite
    /// shaping). RFC leaves object member order open, so once a `*` has run over an
    /// object the results are compared as multisets; otherwise in order.
    #[test]
    fn wildcards_and_slices_agree_with_rfc9535(
        doc in arb_doc(),
        choices in prop::collection::vec(arb_choice(), 1..6),
    ) {
        let mut steps = walk(&doc, &choices, true);
        if !steps.iter().any(|s| matches!(s, Step::Wild | Step::Slice(..))) {
            steps.push(Step::Wild);
        }
        let styles: Vec<u8> = choices.iter().map(|c| c.style).collect();
        let source = render_ours(&steps, &styles, false);
        prop_assume!(source.is_some());
        let source = source.unwrap_or_default();
        let path = Path::parse(&source).unwrap_or_else(|e| panic!("{e}"));
        prop_assert!(!path.is_definite(), "{source}");
        prop_assert!(path.exists(&doc));
        let Ok(Value::Array(ours)) = path.select(&doc) else {
            return Err(TestCaseError::fail(format!("{source}: not an array")));
        };
        let theirs: Vec<Value> = rfc_query(&steps, &doc).into_iter().cloned().collect();
        let object_wildcard = steps.iter().enumerate().any(|(i, s)| {
            *s == Step::Wild && rfc_query(&steps[..i], &doc).iter().any(|v| v.is_object())
        });
        if object_wildcard {
            prop_assert_eq!(sorted(&ours), sorted(&theirs), "{}", source);
        } else {
            prop_assert_eq!(ours, theirs, "{}", source);
        }
    }

    /// 3. `set` then `select`. A reference path whose parent is an object can always be
    /// written (missing keys on the way are created as objects), the write puts exactly
    /// `value` there, and nothing outside the first step's subtree changes. Writing the
    /// old value back restores the document (keys keep their place), and writing twice is
    /// writing once.
    #[test]
    fn set_then_select_reads_the_value(
        doc in arb_object(),
        choices in prop::collection::vec(arb_choice(), 0..5),
        fresh in prop_oneof![3 => Just(0usize), 1 => 1usize..3],
        last in any::<u16>(),
        styles in prop::collection::vec(any::<u8>(), 8),
        value in arb_json(),
    ) {
        // Walk existing names and non-negative indices; keep the longest prefix that ends
        // on an object: that is the parent.
        let mut steps = Vec::new();
        let (mut node, mut parent, mut keep) = (&doc, &doc, 0);
        for c in &choices {
            let step = match definite_step(Some(node), Choice { op: 0, ..*c }, false) {
                s @ (Step::Name(_) | Step::Index(_)) if child(Some(node), &s, 0).is_some() => s,
                _ => break,
            };
            node = child(Some(node), &step, 0).unwrap_or(node);
            steps.push(step);
            if node.is_object() {
                (parent, keep) = (node, steps.len());
            }
        }
        steps.truncate(keep);
        for i in 0..fresh {
            steps.push(Step::Name(format!("~new{i}")));
        }
        let existing = parent.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
        let existing = existing.unwrap_or_default();
        let key = match usize::from(last) {
            n if fresh == 0 && n % 3 != 0 && !existing.is_empty() => existing[n % existing.len()].clone(),
            _ => "~last".to_owned(),
        };
        steps.push(Step::Name(key));

        let source = render_ours(&steps, &styles, true);
        prop_assume!(source.is_some());
        let source = source.unwrap_or_default();
        let path = Path::parse(&source).unwrap_or_else(|e| panic!("{e}"));
        prop_assert!(path.is_reference(), "{source}");
        let written = path.set(doc.clone(), value.clone());
        prop_assert!(written.is_ok(), "{}: {:?}", source, written);
        let written = written.unwrap_or_default();
        prop_assert_eq!(path.select(&written), Ok(value.clone()), "{}", source);

        let (Value::Object(before), Value::Object(after)) = (&doc, &written) else {
            return Err(TestCaseError::fail("the root is no longer an object"));
        };
        let Some(Step::Name(first)) = steps.first() else { unreachable!() };
        for (k, v) in before {
            if k != first {
                prop_assert_eq!(after.get(k), Some(v), "{} changed {}", source, k);
            }
        }
        let order_kept = after.keys().take(before.len()).eq(before.keys());
        prop_assert!(order_kept, "{}: key order changed", source);
        prop_assert!(after.len() <= before.len() + 1);

        let twice = path.set(written.clone(), value.clone());
        prop_assert_eq!(twice, Ok(written.clone()));
        if let Ok(old) = path.select(&doc) {
            prop_assert_eq!(path.set(written, old), Ok(doc.clone()), "{}", source);
        }
    }

    /// 4. `normalized()` writes every name as `['name']` and every index as `[n]`, which
    /// parse back to the same steps; so the reparsed path is definite, selects the same
    /// thing, and normalizes to the same text. Only names that `['…']` can hold: Jayway
    /// does not escape them either, so `it's` normalizes to the unparsable `['it's']`.
    #[test]
    fn normalized_reparses_to_the_same_path(
        doc in arb_doc(),
        choices in prop::collection::vec(arb_choice(), 0..6),
        multi in prop::option::of(prop::collection::vec(arb_key(), 2..4)),
    ) {
        let mut steps = walk(&doc, &choices, false);
        prop_assume!(steps.iter().all(|s| match s {
            Step::Name(k) => quotable(k, '\''),
            _ => true,
        }));
        let styles: Vec<u8> = choices.iter().map(|c| c.style).collect();
        let mut source = render_ours(&steps, &styles, false).unwrap_or_default();
        // A multi-name last step (definite in Jayway), as `['a','b']`.
        if let Some(names) = multi.filter(|ns| ns.iter().all(|k| quotable(k, '\''))) {
            let quoted: Vec<String> = names.iter().map(|k| format!("'{k}'")).collect();
            source.push_str(&format!("[{}]", quoted.join(",")));
            steps.clear();
        }
        let path = Path::parse(&source).unwrap_or_else(|e| panic!("{e}"));
        prop_assert!(path.is_definite());
        let normal = path.normalized();
        let again = Path::parse(&normal);
        prop_assert!(again.is_ok(), "{} -> {}: {:?}", source, normal, again);
        let again = again.unwrap_or_else(|e| panic!("{e}"));
        prop_assert!(again.is_definite());
        prop_assert_eq!(again.normalized(), normal.clone());
        prop_assert_eq!(&again.segments, &path.segments);
        prop_assert_eq!(again.select(&doc).ok(), path.select(&doc).ok(), "{} -> {}", source, normal);
    }

    /// 5. The parser is total: any printable string is accepted or refused, never a panic
    /// (slicing at byte offsets, integer parsing and nesting are the risky parts).
    #[test]
    fn parse_never_panics(source in "\\PC*") {
        let _ = Path::parse(&source);
    }

    /// 5b. The same with the characters paths are made of, so that most strings get past
    /// the first token; a path that parses also evaluates, normalizes and writes without
    /// panicking.
    #[test]
    fn parse_and_eval_never_panic(
        body in "[.\\[\\]'\"*?@()$0-9:, <>=!&|/\\\\a-cé-]{0,24}",
        doc in arb_json(),
    ) {
        for source in [format!("${body}"), body.clone()] {
            if let Ok(path) = Path::parse(&source) {
                let _ = path.select(&doc);
                let _ = path.exists(&doc);
                let _ = path.normalized();
                let _ = path.set(doc.clone(), Value::Null);
            }
        }
    }
}
