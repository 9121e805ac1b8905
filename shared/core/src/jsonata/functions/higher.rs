//! Higher-order functions. Callbacks get as many of (value, index, array) as they declare.

use std::rc::Rc;

use super::super::eval::{err, Ev, R};
use super::super::value::{truthy, ObjMap, V};
use super::{arg, bad_arg};

fn func_arg<'a>(args: &'a [V], i: usize, name: &str) -> R<(&'a V, usize)> {
    match arg(args, i) {
        f @ V::Func(func) => Ok((f, func.arity())),
        _ => Err(bad_arg(name, i)),
    }
}

/// Arguments for a callback over array items: value, index, whole array.
fn hof_args(arity: usize, value: &V, index: usize, all: &V) -> Vec<V> {
    let mut a = vec![value.clone()];
    if arity >= 2 {
        a.push(V::Num(index as f64));
    }
    if arity >= 3 {
        a.push(all.clone());
    }
    a
}

pub(super) fn map(ev: &mut Ev<'_>, args: &[V]) -> R<V> {
    let v = arg(args, 0);
    if v.is_undef() {
        return Ok(V::Undef);
    }
    let (f, arity) = func_arg(args, 1, "map")?;
    let items = v.to_items();
    let all = V::array(items.clone());
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let r = ev.apply(f, hof_args(arity, item, i, &all), &V::Undef)?;
        if !r.is_undef() {
            out.push(r);
        }
    }
    Ok(V::seq(out))
}

pub(super) fn filter(ev: &mut Ev<'_>, args: &[V]) -> R<V> {
    let v = arg(args, 0);
    if v.is_undef() {
        return Ok(V::Undef);
    }
    let (f, arity) = func_arg(args, 1, "filter")?;
    let items = v.to_items();
    let all = V::array(items.clone());
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let r = ev.apply(f, hof_args(arity, item, i, &all), &V::Undef)?;
        if truthy(&r).unwrap_or(false) {
            out.push(item.clone());
        }
    }
    Ok(V::seq(out))
}

pub(super) fn single(ev: &mut Ev<'_>, args: &[V]) -> R<V> {
    let v = arg(args, 0);
    if v.is_undef() {
        return Ok(V::Undef);
    }
    let items = v.to_items();
    let all = V::array(items.clone());
    let mut found = None;
    for (i, item) in items.iter().enumerate() {
        let keep = match arg(args, 1) {
            V::Undef => true,
            f @ V::Func(func) => {
                let r = ev.apply(f, hof_args(func.arity(), item, i, &all), &V::Undef)?;
                truthy(&r).unwrap_or(false)
            }
            _ => return Err(bad_arg("single", 1)),
        };
        if keep {
            if found.is_some() {
                return Err(err("D3138", "The $single() function expected exactly 1 matching result.  Instead it matched more."));
            }
            found = Some(item.clone());
        }
    }
    found.ok_or_else(|| {
        err(
            "D3139",
            "The $single() function expected exactly 1 matching result.  Instead it matched 0.",
        )
    })
}

pub(super) fn reduce(ev: &mut Ev<'_>, args: &[V]) -> R<V> {
    let v = arg(args, 0);
    if v.is_undef() {
        return Ok(V::Undef);
    }
    let (f, arity) = func_arg(args, 1, "reduce")?;
    if arity < 2 {
        return Err(err(
            "D3050",
            "The second argument of reduce function must be a function with at least two arguments",
        ));
    }
    let items = v.to_items();
    let all = V::array(items.clone());
    let (mut acc, start) = match arg(args, 2) {
        V::Undef => match items.first() {
            Some(first) => (first.clone(), 1),
            None => return Ok(V::Undef),
        },
        init => (init.clone(), 0),
    };
    for (i, item) in items.iter().enumerate().skip(start) {
        let mut a = vec![acc, item.clone()];
        if arity >= 3 {
            a.push(V::Num(i as f64));
        }
        if arity >= 4 {
            a.push(all.clone());
        }
        acc = ev.apply(f, a, &V::Undef)?;
    }
    Ok(acc)
}

fn object_arg<'a>(args: &'a [V], name: &str) -> R<Option<&'a ObjMap>> {
    match arg(args, 0) {
        V::Undef => Ok(None),
        V::Obj(m) => Ok(Some(m)),
        _ => Err(bad_arg(name, 0)),
    }
}

/// Callback arguments for an object member: value, key, object.
fn member_args(arity: usize, value: &V, key: &str, obj: &V) -> Vec<V> {
    let mut a = vec![value.clone()];
    if arity >= 2 {
        a.push(V::str(key));
    }
    if arity >= 3 {
        a.push(obj.clone());
    }
    a
}

pub(super) fn each(ev: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(map) = object_arg(args, "each")? else {
        return Ok(V::Undef);
    };
    let (f, arity) = func_arg(args, 1, "each")?;
    let obj = arg(args, 0).clone();
    let mut out = Vec::new();
    for (k, v) in map.iter() {
        let r = ev.apply(f, member_args(arity, v, k, &obj), &V::Undef)?;
        if !r.is_undef() {
            out.push(r);
        }
    }
    Ok(V::seq(out))
}

pub(super) fn sift(ev: &mut Ev<'_>, args: &[V]) -> R<V> {
    let Some(map) = object_arg(args, "sift")? else {
        return Ok(V::Undef);
    };
    let (f, arity) = func_arg(args, 1, "sift")?;
    let obj = arg(args, 0).clone();
    let mut out = ObjMap::default();
    for (k, v) in map.iter() {
        let r = ev.apply(f, member_args(arity, v, k, &obj), &V::Undef)?;
        if truthy(&r).unwrap_or(false) {
            out.insert(k.clone(), v.clone());
        }
    }
    Ok(if out.is_empty() {
        V::Undef
    } else {
        V::Obj(Rc::new(out))
    })
}

/// `$sort(array, comparator?)`: the comparator says whether its first argument goes after
/// its second. A merge sort, stable as jsonata-js's.
pub(super) fn sort(ev: &mut Ev<'_>, args: &[V]) -> R<V> {
    let v = arg(args, 0);
    if v.is_undef() {
        return Ok(V::Undef);
    }
    let items = v.to_items();
    let comparator = match arg(args, 1) {
        V::Undef => None,
        f @ V::Func(_) => Some(f.clone()),
        _ => return Err(bad_arg("sort", 1)),
    };
    if comparator.is_none() {
        let all_num = items.iter().all(|i| matches!(i, V::Num(_)));
        let all_str = items.iter().all(|i| matches!(i, V::Str(_)));
        if !all_num && !all_str {
            return Err(err("D3070", "The single argument form of the sort function can only be applied to an array of strings or an array of numbers.  Use the second argument to specify a comparison function"));
        }
    }
    let mut sorted = Vec::with_capacity(items.len());
    merge_sort(ev, items, comparator.as_ref(), &mut sorted)?;
    Ok(V::array(sorted))
}

fn goes_after(ev: &mut Ev<'_>, a: &V, b: &V, comparator: Option<&V>) -> R<bool> {
    match comparator {
        Some(f) => {
            let r = ev.apply(f, vec![a.clone(), b.clone()], &V::Undef)?;
            Ok(truthy(&r).unwrap_or(false))
        }
        None => Ok(match (a, b) {
            (V::Num(x), V::Num(y)) => x > y,
            (V::Str(x), V::Str(y)) => x > y,
            _ => false,
        }),
    }
}

fn merge_sort(ev: &mut Ev<'_>, items: Vec<V>, cmp: Option<&V>, out: &mut Vec<V>) -> R<()> {
    if items.len() <= 1 {
        out.extend(items);
        return Ok(());
    }
    let mut left = items;
    let right = left.split_off(left.len() / 2);
    let (mut l, mut r) = (Vec::new(), Vec::new());
    merge_sort(ev, left, cmp, &mut l)?;
    merge_sort(ev, right, cmp, &mut r)?;
    let (mut i, mut j) = (0, 0);
    while i < l.len() && j < r.len() {
        if goes_after(ev, &l[i], &r[j], cmp)? {
            out.push(r[j].clone());
            j += 1;
        } else {
            out.push(l[i].clone());
            i += 1;
        }
    }
    out.extend_from_slice(&l[i..]);
    out.extend_from_slice(&r[j..]);
    Ok(())
}
