//! The evaluator: jsonata-js `evaluate` over the processed AST, with its sequence rules
//! (flattening, singleton collapse, `keepSingleton`, constructor arrays).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use super::functions::{self, Builtin};
use super::ops;
use super::parser::{Expr, Kind, LambdaDef};
use super::value::{truthy, Arr, V};
use super::{Error, Host};
use crate::entropy::Entropy;

pub(crate) type R<T> = Result<T, Error>;

/// How deeply evaluation may nest (sub-expressions, function calls): AWS accepts a depth
/// of 100 and refuses 101.
const MAX_DEPTH: usize = 100;

/// How many nodes one evaluation may evaluate. The depth bound alone still lets a short
/// expression run for minutes (`$f` calling itself three times per level, nested
/// `[1..2000]` ranges: found probing the fuzz target's timeouts), and a state's evaluation
/// must end. Counting nodes rather than reading a clock keeps the core deterministic; ten
/// million is a few seconds of work, well above what a 256 KiB payload needs.
const MAX_EVALUATIONS: u64 = 10_000_000;

/// A variable frame; lambdas keep the frame they were defined in.
#[derive(Default)]
pub(crate) struct Env {
    vars: RefCell<HashMap<String, V>>,
    parent: Option<Rc<Env>>,
}

impl Env {
    pub fn child(parent: &Rc<Env>) -> Rc<Env> {
        Rc::new(Env {
            vars: RefCell::default(),
            parent: Some(parent.clone()),
        })
    }

    pub fn bind(&self, name: &str, v: V) {
        self.vars.borrow_mut().insert(name.to_string(), v);
    }

    fn lookup(&self, name: &str) -> Option<V> {
        if let Some(v) = self.vars.borrow().get(name) {
            return Some(v.clone());
        }
        self.parent.as_ref()?.lookup(name)
    }
}

pub(crate) enum Func {
    Lambda {
        def: Arc<LambdaDef>,
        env: Rc<Env>,
        input: V,
    },
    Builtin(&'static Builtin),
    /// A partial application: `None` marks a `?` still to fill.
    Partial {
        func: V,
        args: Vec<Option<V>>,
    },
    Regex(Arc<regex::Regex>),
}

impl Func {
    /// How many arguments a higher-order function should pass.
    pub fn arity(&self) -> usize {
        match self {
            Func::Lambda { def, .. } => def.params.len(),
            Func::Builtin(b) => b.max_args,
            Func::Partial { args, .. } => args.iter().filter(|a| a.is_none()).count(),
            Func::Regex(_) => 1,
        }
    }
}

/// One evaluation: the host's bindings, the clock and the entropy source.
pub(crate) struct Ev<'h> {
    pub host: &'h dyn Host,
    pub entropy: &'h mut dyn Entropy,
    pub now_ms: i64,
    pub root: V,
    host_cache: HashMap<String, V>,
    depth: usize,
    /// Nodes this evaluation may still evaluate (starts at [`MAX_EVALUATIONS`]).
    pub(super) budget: u64,
}

pub(crate) fn err(code: &'static str, message: impl Into<String>) -> Error {
    Error {
        code,
        message: message.into(),
    }
}

impl<'h> Ev<'h> {
    pub fn new(host: &'h dyn Host, entropy: &'h mut dyn Entropy, now_ms: i64, root: V) -> Self {
        Ev {
            host,
            entropy,
            now_ms,
            root,
            host_cache: HashMap::new(),
            depth: 0,
            budget: MAX_EVALUATIONS,
        }
    }

    fn variable(&mut self, name: &str, input: &V, env: &Env) -> V {
        match name {
            "" => return input.clone(),
            "$" => return self.root.clone(),
            _ => {}
        }
        if let Some(v) = env.lookup(name) {
            return v;
        }
        if let Some(v) = self.host_cache.get(name) {
            return v.clone();
        }
        if let Some(json) = self.host.variable(name) {
            let v = V::from_json(&json);
            self.host_cache.insert(name.to_string(), v.clone());
            return v;
        }
        match functions::lookup(name) {
            Some(b) => {
                let f = V::Func(Rc::new(Func::Builtin(b)));
                self.host_cache.insert(name.to_string(), f.clone());
                f
            }
            None => V::Undef,
        }
    }

    /// Evaluates one node. Nesting is bounded as AWS bounds it (an evaluation depth of
    /// 100), which also keeps deep recursion off the end of the thread's stack; the work
    /// is bounded by [`MAX_EVALUATIONS`], with jsonata-js's timeout error.
    pub fn eval(&mut self, e: &Expr, input: &V, env: &Rc<Env>) -> R<V> {
        if self.budget == 0 {
            return Err(err(
                "U1001",
                "Expression evaluation timeout: Check for infinite loop",
            ));
        }
        self.budget -= 1;
        if self.depth >= MAX_DEPTH {
            return Err(err(
                "U1001",
                "Stack overflow error: Check for non-terminating recursive function.  Consider rewriting as tail-recursive.",
            ));
        }
        self.depth += 1;
        let result = self.eval_node(e, input, env);
        self.depth -= 1;
        result
    }

    fn eval_node(&mut self, e: &Expr, input: &V, env: &Rc<Env>) -> R<V> {
        let mut result = match &e.kind {
            Kind::Path {
                steps,
                keep_singleton,
            } => self.path(steps, *keep_singleton, input, env)?,
            Kind::Name(n) => lookup(input, n),
            Kind::Str(s) => V::str(s),
            Kind::Num(n) => V::Num(*n),
            Kind::Bool(b) => V::Bool(*b),
            Kind::Null => V::Null,
            Kind::Regex(re) => V::Func(Rc::new(Func::Regex(re.clone()))),
            Kind::Var(name) => self.variable(name, input, env),
            Kind::Wildcard => ops::wildcard(input),
            Kind::Descendants => ops::descendants(input),
            Kind::Neg(inner) => match self.eval(inner, input, env)? {
                V::Undef => V::Undef,
                V::Num(n) => V::Num(-n),
                _ => return Err(err("D1002", "Cannot negate a non-numeric value")),
            },
            Kind::ArrayCons(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let v = self.eval(item, input, env)?;
                    match v {
                        V::Undef => {}
                        V::Arr(a) if !matches!(item.kind, Kind::ArrayCons(_)) => {
                            out.extend(a.items.iter().cloned())
                        }
                        v => out.push(v),
                    }
                }
                V::Arr(Rc::new(Arr {
                    items: out,
                    cons: e.cons_array,
                    ..Arr::default()
                }))
            }
            Kind::ObjectCons(pairs) => self.group(pairs, input, env)?,
            Kind::Binary(op, lhs, rhs) => self.binary(op, lhs, rhs, input, env)?,
            Kind::Cond(cond, then, otherwise) => {
                let c = self.eval(cond, input, env)?;
                if truthy(&c).unwrap_or(false) {
                    self.eval(then, input, env)?
                } else if let Some(o) = otherwise {
                    self.eval(o, input, env)?
                } else {
                    V::Undef
                }
            }
            Kind::Bind(name, value) => {
                let v = self.eval(value, input, env)?;
                env.bind(name, v.clone());
                v
            }
            Kind::Block(items, scoped) => {
                let scope = if *scoped {
                    Env::child(env)
                } else {
                    env.clone()
                };
                let mut last = V::Undef;
                for item in items {
                    last = self.eval(item, input, &scope)?;
                }
                last
            }
            Kind::Call {
                func,
                args,
                partial,
            } => self.call(func, args, *partial, input, env, None)?,
            Kind::Placeholder => V::Undef,
            Kind::Lambda(def) => V::Func(Rc::new(Func::Lambda {
                def: def.clone(),
                env: env.clone(),
                input: input.clone(),
            })),
            Kind::Apply(lhs, rhs) => {
                let l = self.eval(lhs, input, env)?;
                match &rhs.kind {
                    Kind::Call {
                        func,
                        args,
                        partial,
                    } => self.call(func, args, *partial, input, env, Some(l))?,
                    _ => {
                        let f = self.eval(rhs, input, env)?;
                        if !matches!(f, V::Func(_)) {
                            return Err(err("T2006", "The right side of the function application operator ~> must be a function"));
                        }
                        self.apply(&f, vec![l], &V::Undef)?
                    }
                }
            }
            Kind::Sort(terms) => self.sort(terms, input, env)?,
        };
        for p in &e.predicates {
            result = self.filter(p, result, env)?;
        }
        if let Some(group) = &e.group {
            result = self.group(group, &result, env)?;
        }
        Ok(collapse(result, e.keep_array))
    }

    /// `$host.a.b…`: walks the host's JSON by reference through plain field steps, so only
    /// the subtree reached is converted (`$states.input.id` never copies the whole input).
    /// Returns the value reached and how many steps it covered; `None` when the path does
    /// not start that way.
    fn host_prefix(&mut self, steps: &[Expr], env: &Env) -> Option<(V, usize)> {
        let simple = |e: &Expr| {
            e.stages.is_empty() && e.predicates.is_empty() && e.group.is_none() && !e.keep_array
        };
        let first = steps.first()?;
        let Kind::Var(name) = &first.kind else {
            return None;
        };
        if name.is_empty() || name == "$" || !simple(first) || env.lookup(name).is_some() {
            return None;
        }
        let Some(Expr {
            kind: Kind::Name(key),
            ..
        }) = steps.get(1).filter(|s| simple(s))
        else {
            return None;
        };
        let host = self.host;
        let Some(start) = host.member(name, key) else {
            return Some((V::seq(Vec::new()), steps.len()));
        };
        let mut node: &serde_json::Value = &start;
        let mut used = 2;
        for step in &steps[2..] {
            let (Kind::Name(key), serde_json::Value::Object(map)) = (&step.kind, node) else {
                break;
            };
            if !simple(step) {
                break;
            }
            match map.get(key) {
                Some(v) => node = v,
                None => return Some((V::seq(Vec::new()), steps.len())),
            }
            used += 1;
        }
        Some((V::from_json(node), used))
    }

    fn path(&mut self, steps: &[Expr], keep_singleton: bool, input: &V, env: &Rc<Env>) -> R<V> {
        let prefix = match self.host_prefix(steps, env) {
            Some(found) => Some(found),
            None => local_prefix(steps, input, env),
        };
        if let Some((value, used)) = prefix {
            if used == steps.len() {
                return Ok(keep(value, keep_singleton));
            }
            let seq = match &value {
                V::Arr(a) if !a.cons => a.items.clone(),
                other => vec![other.clone()],
            };
            return self.path_from(&steps[used..], seq, keep_singleton, env);
        }
        let first_is_var = matches!(steps.first().map(|s| &s.kind), Some(Kind::Var(_)));
        let seq: Vec<V> = match input {
            V::Arr(a) if !first_is_var => a.items.clone(),
            V::Undef => vec![V::Undef],
            other => vec![other.clone()],
        };
        self.path_from(steps, seq, keep_singleton, env)
    }

    fn path_from(
        &mut self,
        steps: &[Expr],
        mut seq: Vec<V>,
        keep_singleton: bool,
        env: &Rc<Env>,
    ) -> R<V> {
        let mut result = V::seq(Vec::new());
        for (i, step) in steps.iter().enumerate() {
            result = if i == 0 && step.cons_array {
                self.eval(step, &V::seq(seq.clone()), env)?
            } else {
                self.step(step, &seq, env, i + 1 == steps.len())?
            };
            match &result {
                V::Undef => break,
                V::Arr(a) if a.items.is_empty() => break,
                _ => {}
            }
            seq = result.to_items();
        }
        Ok(keep(result, keep_singleton))
    }

    fn step(&mut self, step: &Expr, input: &[V], env: &Rc<Env>, last: bool) -> R<V> {
        if let Kind::Sort(_) = step.kind {
            let mut r = self.eval(step, &V::seq(input.to_vec()), env)?;
            for s in &step.stages {
                r = self.filter(s, r, env)?;
            }
            return Ok(r);
        }
        let mut results = Vec::with_capacity(input.len());
        for item in input {
            let mut r = self.eval(step, item, env)?;
            for s in &step.stages {
                r = self.filter(s, r, env)?;
            }
            if !r.is_undef() {
                results.push(r);
            }
        }
        if last && results.len() == 1 {
            if let V::Arr(a) = &results[0] {
                if !a.seq {
                    return Ok(results.pop().unwrap_or(V::Undef));
                }
            }
        }
        let mut out = Vec::with_capacity(results.len());
        for r in results {
            match r {
                V::Arr(a) if !a.cons => out.extend(a.items.iter().cloned()),
                other => out.push(other),
            }
        }
        Ok(V::seq(out))
    }

    fn call(
        &mut self,
        func: &Expr,
        args: &[Expr],
        partial: bool,
        input: &V,
        env: &Rc<Env>,
        context: Option<V>,
    ) -> R<V> {
        let f = self.eval(func, input, env)?;
        if !matches!(f, V::Func(_)) {
            if let Kind::Path { steps, .. } = &func.kind {
                if let [Expr {
                    kind: Kind::Name(n),
                    ..
                }] = steps.as_slice()
                {
                    return Err(err(
                        "T1005",
                        format!("Attempted to invoke a non-function. Did you mean ${n}?"),
                    ));
                }
            }
            return Err(err("T1006", "Attempted to invoke a non-function"));
        }
        let mut values: Vec<Option<V>> = Vec::with_capacity(args.len() + 1);
        if let Some(c) = context {
            values.push(Some(c));
        }
        for a in args {
            if matches!(a.kind, Kind::Placeholder) {
                values.push(None);
            } else {
                values.push(Some(self.eval(a, input, env)?));
            }
        }
        if partial {
            return Ok(V::Func(Rc::new(Func::Partial {
                func: f,
                args: values,
            })));
        }
        let values = values.into_iter().map(|v| v.unwrap_or(V::Undef)).collect();
        self.apply(&f, values, input)
    }

    /// Calls a function value with evaluated arguments; `input` is the caller's context.
    pub fn apply(&mut self, f: &V, args: Vec<V>, input: &V) -> R<V> {
        let V::Func(func) = f else {
            return Err(err("T1006", "Attempted to invoke a non-function"));
        };
        match &**func {
            Func::Lambda {
                def,
                env,
                input: captured,
            } => {
                let scope = Env::child(env);
                for (i, p) in def.params.iter().enumerate() {
                    scope.bind(p, args.get(i).cloned().unwrap_or(V::Undef));
                }
                self.eval(&def.body, captured, &scope)
            }
            Func::Builtin(b) => functions::call(self, b, args, input),
            Func::Partial { func, args: fixed } => {
                let mut supplied = args.into_iter();
                let full = fixed
                    .iter()
                    .map(|a| {
                        a.clone()
                            .unwrap_or_else(|| supplied.next().unwrap_or(V::Undef))
                    })
                    .collect();
                self.apply(func, full, input)
            }
            Func::Regex(re) => match args.first() {
                Some(V::Str(s)) => Ok(functions::regex_match(re, s, 0)),
                _ => Ok(V::Undef),
            },
        }
    }
}

/// A path's leading steps, followed without building sequences when they start at an
/// object field or a bound variable and go on through object fields: the same result as
/// the general algorithm (a field of an object is that one value; an array reached is
/// handed on whole, or flattened into the next step). `None` when the path does not start
/// that way.
fn local_prefix(steps: &[Expr], input: &V, env: &Env) -> Option<(V, usize)> {
    let simple = |e: &Expr| {
        e.stages.is_empty() && e.predicates.is_empty() && e.group.is_none() && !e.keep_array
    };
    let first = steps.first().filter(|s| simple(s))?;
    let mut node = match (&first.kind, input) {
        (Kind::Name(key), V::Obj(map)) => match map.get(key) {
            Some(v) => v.clone(),
            None => return Some((V::seq(Vec::new()), steps.len())),
        },
        (Kind::Var(name), _) if name.is_empty() && !matches!(input, V::Undef) => input.clone(),
        (Kind::Var(name), _) if !name.is_empty() && name != "$" => env.lookup(name)?,
        _ => return None,
    };
    let mut used = 1;
    for step in &steps[1..] {
        let (Kind::Name(key), V::Obj(map)) = (&step.kind, &node) else {
            break;
        };
        if !simple(step) {
            break;
        }
        node = match map.get(key) {
            Some(v) => v.clone(),
            None => return Some((V::seq(Vec::new()), steps.len())),
        };
        used += 1;
    }
    Some((node, used))
}

/// A path with `[]` in it: its result stays an array even with one item.
fn keep(result: V, keep_singleton: bool) -> V {
    if !keep_singleton {
        return result;
    }
    match result {
        V::Arr(a) if a.cons && !a.seq => V::Arr(Rc::new(Arr {
            items: vec![V::Arr(a)],
            seq: true,
            keep: true,
            cons: false,
        })),
        V::Arr(a) => {
            let mut a = (*a).clone();
            a.keep = true;
            V::Arr(Rc::new(a))
        }
        other => other,
    }
}

/// Collapses a result sequence: empty → undefined, one item → the item (unless kept).
pub(crate) fn collapse(v: V, keep_array: bool) -> V {
    match v {
        V::Arr(a) if a.seq => {
            let keep = a.keep || keep_array;
            match a.items.len() {
                0 => V::Undef,
                1 if !keep => a.items[0].clone(),
                _ if keep && !a.keep => {
                    let mut a = (*a).clone();
                    a.keep = true;
                    V::Arr(Rc::new(a))
                }
                _ => V::Arr(a),
            }
        }
        other => other,
    }
}

/// A field step: the member of an object, or of every object in an array, flattened.
fn lookup(input: &V, key: &str) -> V {
    match input {
        V::Arr(a) => {
            let mut out = Vec::new();
            for item in &a.items {
                match lookup(item, key) {
                    V::Undef => {}
                    V::Arr(inner) => out.extend(inner.items.iter().cloned()),
                    v => out.push(v),
                }
            }
            V::seq(out)
        }
        V::Obj(map) => map.get(key).cloned().unwrap_or(V::Undef),
        _ => V::Undef,
    }
}
