//! Operators, predicates, grouping and ordering: the parts of jsonata-js `evaluate` that
//! work on already evaluated values.

use std::rc::Rc;

use indexmap::IndexMap;

use super::eval::{err, Env, Ev, R};
use super::functions;
use super::parser::{Expr, Kind};
use super::value::{deep_eq, truthy, ObjMap, V};

/// Largest array a range may build (D2014).
const MAX_RANGE: f64 = 1e7;

impl Ev<'_> {
    /// `[predicate]`: an index (or indices), or a boolean test per item.
    pub fn filter(&mut self, pred: &Expr, input: V, env: &Rc<Env>) -> R<V> {
        let items = match &input {
            V::Undef => return Ok(V::seq(Vec::new())),
            V::Arr(a) => a.items.clone(),
            other => vec![other.clone()],
        };
        let len = items.len() as f64;
        let index_of = |n: f64| {
            let i = n.floor();
            if i < 0.0 {
                len + i
            } else {
                i
            }
        };
        if let Kind::Num(n) = pred.kind {
            let i = index_of(n);
            return Ok(match (i >= 0.0).then(|| items.get(i as usize)).flatten() {
                Some(V::Arr(a)) => V::Arr(a.clone()),
                Some(v) => V::seq(vec![v.clone()]),
                None => V::seq(Vec::new()),
            });
        }
        let mut out = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let res = self.eval(pred, item, env)?;
            let numbers: Option<Vec<f64>> = match &res {
                V::Num(n) => Some(vec![*n]),
                V::Arr(a)
                    if !a.items.is_empty() && a.items.iter().all(|v| matches!(v, V::Num(_))) =>
                {
                    Some(
                        a.items
                            .iter()
                            .map(|v| if let V::Num(n) = v { *n } else { 0.0 })
                            .collect(),
                    )
                }
                _ => None,
            };
            match numbers {
                Some(ns) => {
                    if ns.iter().any(|n| index_of(*n) == index as f64) {
                        out.push(item.clone());
                    }
                }
                None => {
                    if truthy(&res).unwrap_or(false) {
                        out.push(item.clone());
                    }
                }
            }
        }
        Ok(V::seq(out))
    }

    /// Object constructor or grouping: each item is bucketed by each key expression.
    pub(super) fn group(&mut self, pairs: &[(Expr, Expr)], input: &V, env: &Rc<Env>) -> R<V> {
        let items = match input {
            V::Arr(a) if a.items.is_empty() => vec![V::Undef],
            V::Arr(a) => a.items.clone(),
            other => vec![other.clone()],
        };
        let mut groups: IndexMap<String, (Vec<V>, usize)> = IndexMap::new();
        for item in &items {
            for (index, (k, _)) in pairs.iter().enumerate() {
                let key = match self.eval(k, item, env)? {
                    V::Str(s) => s.to_string(),
                    V::Undef => continue,
                    other => {
                        return Err(err(
                            "T1003",
                            format!(
                                "Key in object structure must evaluate to a string; got: {}",
                                super::value::stringify(&other, false)
                            ),
                        ))
                    }
                };
                match groups.get_mut(&key) {
                    Some((data, i)) => {
                        if *i != index {
                            return Err(err(
                                "D1009",
                                format!("Multiple key definitions evaluate to same key: \"{key}\""),
                            ));
                        }
                        data.push(item.clone());
                    }
                    None => {
                        groups.insert(key, (vec![item.clone()], index));
                    }
                }
            }
        }
        let mut out = ObjMap::with_capacity_and_hasher(groups.len(), Default::default());
        for (key, (data, index)) in groups {
            let context = if data.len() == 1 {
                data.into_iter().next().unwrap_or(V::Undef)
            } else {
                let flat = data.iter().flat_map(V::to_items).collect();
                V::seq(flat)
            };
            let v = self.eval(&pairs[index].1, &context, env)?;
            if !v.is_undef() {
                out.insert(key, v);
            }
        }
        Ok(V::Obj(Rc::new(out)))
    }

    pub(super) fn sort(&mut self, terms: &[(Expr, bool)], input: &V, env: &Rc<Env>) -> R<V> {
        let items = input.to_items();
        let mut keyed = Vec::with_capacity(items.len());
        for item in items {
            let mut keys = Vec::with_capacity(terms.len());
            for (t, _) in terms {
                keys.push(self.eval(t, &item, env)?);
            }
            keyed.push((keys, item));
        }
        let mut failure = None;
        // A stable sort keeps equal items in input order, as jsonata's merge sort does.
        keyed.sort_by(|(a, _), (b, _)| {
            for (i, (_, desc)) in terms.iter().enumerate() {
                let ord = match (&a[i], &b[i]) {
                    (V::Undef, V::Undef) => std::cmp::Ordering::Equal,
                    (V::Undef, _) => return std::cmp::Ordering::Greater,
                    (_, V::Undef) => return std::cmp::Ordering::Less,
                    (V::Num(x), V::Num(y)) => x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal),
                    (V::Str(x), V::Str(y)) => x.cmp(y),
                    (V::Num(_), V::Str(_)) | (V::Str(_), V::Num(_)) => {
                        failure.get_or_insert_with(|| err("T2007", "Type mismatch when comparing values in order-by clause"));
                        std::cmp::Ordering::Equal
                    }
                    _ => {
                        failure.get_or_insert_with(|| err("T2008", "The expressions within an order-by clause must evaluate to numeric or string values"));
                        std::cmp::Ordering::Equal
                    }
                };
                let ord = if *desc { ord.reverse() } else { ord };
                if ord != std::cmp::Ordering::Equal {
                    return ord;
                }
            }
            std::cmp::Ordering::Equal
        });
        if let Some(f) = failure {
            return Err(f);
        }
        Ok(V::seq(keyed.into_iter().map(|(_, v)| v).collect()))
    }

    pub(super) fn binary(
        &mut self,
        op: &str,
        lhs: &Expr,
        rhs: &Expr,
        input: &V,
        env: &Rc<Env>,
    ) -> R<V> {
        let l = self.eval(lhs, input, env)?;
        match op {
            "and" => {
                if !truthy(&l).unwrap_or(false) {
                    return Ok(V::Bool(false));
                }
                let r = self.eval(rhs, input, env)?;
                return Ok(V::Bool(truthy(&r).unwrap_or(false)));
            }
            "or" => {
                if truthy(&l).unwrap_or(false) {
                    return Ok(V::Bool(true));
                }
                let r = self.eval(rhs, input, env)?;
                return Ok(V::Bool(truthy(&r).unwrap_or(false)));
            }
            "??" => {
                return if l.is_undef() {
                    self.eval(rhs, input, env)
                } else {
                    Ok(l)
                };
            }
            "?:" => {
                return if truthy(&l).unwrap_or(false) {
                    Ok(l)
                } else {
                    self.eval(rhs, input, env)
                };
            }
            _ => {}
        }
        let r = self.eval(rhs, input, env)?;
        Ok(match op {
            "+" | "-" | "*" | "/" | "%" => {
                let num = |v: &V, code: &'static str, side: &str| match v {
                    V::Num(n) => Ok(Some(*n)),
                    V::Undef => Ok(None),
                    _ => Err(err(
                        code,
                        format!(
                            "The {side} side of the \"{op}\" operator must evaluate to a number"
                        ),
                    )),
                };
                let (Some(a), Some(b)) = (num(&l, "T2001", "left")?, num(&r, "T2002", "right")?)
                else {
                    return Ok(V::Undef);
                };
                let n = match op {
                    "+" => a + b,
                    "-" => a - b,
                    "*" => a * b,
                    "/" => a / b,
                    _ => a % b,
                };
                // Not an error: `1/0` is Infinity, which AWS outputs as "Infinity".
                V::Num(n)
            }
            "=" | "!=" => {
                if l.is_undef() || r.is_undef() {
                    return Ok(V::Bool(false));
                }
                V::Bool(deep_eq(&l, &r) == (op == "="))
            }
            "<" | "<=" | ">" | ">=" => {
                let comparable = |v: &V| matches!(v, V::Undef | V::Num(_) | V::Str(_));
                if !comparable(&l) || !comparable(&r) {
                    return Err(err("T2010", format!("The expressions either side of operator \"{op}\" must evaluate to numeric or string values")));
                }
                let ord = match (&l, &r) {
                    (V::Undef, _) | (_, V::Undef) => return Ok(V::Undef),
                    (V::Num(a), V::Num(b)) => a.partial_cmp(b),
                    (V::Str(a), V::Str(b)) => Some(a.cmp(b)),
                    _ => {
                        return Err(err("T2009", format!("The values {} and {} either side of operator \"{op}\" must be of the same data type", super::value::stringify(&l, false), super::value::stringify(&r, false))))
                    }
                };
                let Some(ord) = ord else {
                    return Ok(V::Bool(false));
                };
                V::Bool(match op {
                    "<" => ord.is_lt(),
                    "<=" => ord.is_le(),
                    ">" => ord.is_gt(),
                    _ => ord.is_ge(),
                })
            }
            "&" => {
                let s = |v: &V| {
                    if v.is_undef() {
                        Ok(String::new())
                    } else {
                        functions::string_of(v)
                    }
                };
                V::str(&(s(&l)? + &s(&r)?))
            }
            "in" => {
                if l.is_undef() || r.is_undef() {
                    return Ok(V::Bool(false));
                }
                V::Bool(r.to_items().iter().any(|v| deep_eq(v, &l)))
            }
            ".." => {
                let int = |v: &V, code: &'static str, side: &str| {
                    match v {
                    V::Num(n) if n.fract() == 0.0 => Ok(Some(*n)),
                    V::Undef => Ok(None),
                    _ => Err(err(code, format!("The {side} side of the range operator (..) must evaluate to an integer"))),
                }
                };
                let (Some(a), Some(b)) = (int(&l, "T2003", "left")?, int(&r, "T2004", "right")?)
                else {
                    return Ok(V::Undef);
                };
                if a > b {
                    return Ok(V::Undef);
                }
                if b - a + 1.0 > MAX_RANGE {
                    return Err(err("D2014", format!("The size of the sequence allocated by the range operator (..) must not exceed 1e7.  Attempted to allocate {}.", b - a + 1.0)));
                }
                let mut out = Vec::with_capacity((b - a + 1.0) as usize);
                let mut i = a;
                while i <= b {
                    out.push(V::Num(i));
                    i += 1.0;
                }
                V::array(out)
            }
            _ => return Err(err("S0201", format!("Unknown operator {op}"))),
        })
    }
}

fn flatten_into(v: &V, out: &mut Vec<V>) {
    match v {
        V::Arr(a) => a.items.iter().for_each(|i| flatten_into(i, out)),
        other => out.push(other.clone()),
    }
}

pub(super) fn wildcard(input: &V) -> V {
    let mut out = Vec::new();
    match input {
        V::Obj(map) => {
            for v in map.values() {
                flatten_into(v, &mut out);
            }
        }
        V::Arr(a) => {
            for v in &a.items {
                flatten_into(v, &mut out);
            }
        }
        _ => {}
    }
    V::seq(out)
}

pub(super) fn descendants(input: &V) -> V {
    fn walk(v: &V, out: &mut Vec<V>) {
        match v {
            V::Arr(a) => a.items.iter().for_each(|i| walk(i, out)),
            V::Obj(map) => {
                out.push(v.clone());
                map.values().for_each(|i| walk(i, out));
            }
            V::Undef => {}
            other => out.push(other.clone()),
        }
    }
    let mut out = Vec::new();
    walk(input, &mut out);
    V::seq(out)
}
