//! Array, object and boolean functions.

use std::rc::Rc;

use super::super::eval::{err, Ev, R};
use super::super::value::{deep_eq, truthy, Arr, ObjMap, V};
use super::{arg, bad_arg, str_arg, string_of};

pub(super) fn count(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(V::Num(arg(args, 0).to_items().len() as f64))
}

pub(super) fn boolean(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(truthy(arg(args, 0)).map_or(V::Undef, V::Bool))
}

pub(super) fn not(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(truthy(arg(args, 0)).map_or(V::Undef, |b| V::Bool(!b)))
}

pub(super) fn exists(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(V::Bool(!arg(args, 0).is_undef()))
}

pub(super) fn type_(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(match arg(args, 0) {
        V::Undef => V::Undef,
        v => V::str(v.type_name()),
    })
}

pub(super) fn append(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let (a, b) = (arg(args, 0), arg(args, 1));
    if b.is_undef() {
        return Ok(a.clone());
    }
    if a.is_undef() {
        return Ok(b.clone());
    }
    let mut items = a.to_items();
    items.extend(b.to_items());
    Ok(V::array(items))
}

pub(super) fn reverse(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(match arg(args, 0) {
        V::Undef => V::Undef,
        v => {
            let mut items = v.to_items();
            items.reverse();
            V::array(items)
        }
    })
}

pub(super) fn distinct(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    Ok(match arg(args, 0) {
        V::Undef => V::Undef,
        v @ V::Arr(_) => {
            let mut out: Vec<V> = Vec::new();
            for item in v.to_items() {
                if !out.iter().any(|o| deep_eq(o, &item)) {
                    out.push(item);
                }
            }
            V::array(out)
        }
        v => v.clone(),
    })
}

pub(super) fn zip(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let lists: Vec<Vec<V>> = args.iter().map(V::to_items).collect();
    let n = lists.iter().map(Vec::len).min().unwrap_or(0);
    Ok(V::array(
        (0..n)
            .map(|i| V::array(lists.iter().map(|l| l[i].clone()).collect()))
            .collect(),
    ))
}

pub(super) fn keys(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let mut out: Vec<V> = Vec::new();
    for item in arg(args, 0).to_items() {
        if let V::Obj(map) = item {
            for k in map.keys() {
                if !out.iter().any(|o| matches!(o, V::Str(s) if **s == **k)) {
                    out.push(V::str(k));
                }
            }
        }
    }
    Ok(V::seq(out))
}

pub(super) fn lookup(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let key = str_arg(args, 1, "lookup")?.unwrap_or("");
    let mut out = Vec::new();
    for item in arg(args, 0).to_items() {
        if let V::Obj(map) = item {
            if let Some(v) = map.get(key) {
                match v {
                    V::Arr(a) => out.extend(a.items.iter().cloned()),
                    v => out.push(v.clone()),
                }
            }
        }
    }
    Ok(V::seq(out))
}

pub(super) fn spread(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let v = arg(args, 0);
    if !matches!(v, V::Obj(_) | V::Arr(_)) {
        return Ok(v.clone());
    }
    let mut out = Vec::new();
    for item in v.to_items() {
        match item {
            V::Obj(map) => {
                for (k, v) in map.iter() {
                    let mut o = ObjMap::default();
                    o.insert(k.clone(), v.clone());
                    out.push(V::Obj(Rc::new(o)));
                }
            }
            other => out.push(other),
        }
    }
    Ok(V::seq(out))
}

pub(super) fn merge(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let v = arg(args, 0);
    if v.is_undef() {
        return Ok(V::Undef);
    }
    let mut out = ObjMap::default();
    for item in v.to_items() {
        match item {
            V::Obj(map) => {
                for (k, v) in map.iter() {
                    out.insert(k.clone(), v.clone());
                }
            }
            _ => {
                return Err(err(
                    "T0412",
                    "Argument 1 of function \"merge\" must be an array of objects",
                ))
            }
        }
    }
    Ok(V::Obj(Rc::new(out)))
}

pub(super) fn error(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    let message = match arg(args, 0) {
        V::Undef => "$error() function evaluated".to_string(),
        V::Str(s) => s.to_string(),
        _ => return Err(bad_arg("error", 0)),
    };
    Err(err("D3137", message))
}

pub(super) fn assert(_: &mut Ev<'_>, args: &[V]) -> R<V> {
    match arg(args, 0) {
        V::Bool(true) => Ok(V::Undef),
        V::Bool(false) => Err(err(
            "D3141",
            match arg(args, 1) {
                V::Undef => "$assert() statement failed".to_string(),
                m => string_of(m)?,
            },
        )),
        _ => Err(err(
            "T0410",
            "Argument 1 of function \"assert\" does not match function signature",
        )),
    }
}

/// Fisher–Yates with the step's entropy source.
pub(super) fn shuffle(ev: &mut Ev<'_>, args: &[V]) -> R<V> {
    let v = arg(args, 0);
    if v.is_undef() {
        return Ok(V::Undef);
    }
    let mut items = v.to_items();
    for i in (1..items.len()).rev() {
        let j = (ev.entropy.next_f64() * (i + 1) as f64) as usize;
        items.swap(i, j.min(i));
    }
    Ok(V::Arr(Rc::new(Arr {
        items,
        ..Arr::default()
    })))
}
