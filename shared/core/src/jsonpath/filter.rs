//! Filter expressions `[?( ... )]`, after Jayway's `FilterCompiler` and its evaluators.
//!
//! Operands: `@...` / `$...` paths, strings ('...' or "...", Java escapes), numbers,
//! `true`, `false`, `null`, and JSON array/object literals (for `in`, `subsetof`, ...).
//! Operators: `== != < <= > >= === !==`, `in nin subsetof anyof noneof contains size
//! empty`, `&&`, `||`, `!`, parentheses. A bare path tests existence (`!@.x`: absence).
//! Regex (`=~`) is refused: no regex engine is linked and AWS documents it as unsupported
//! in reference paths.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use super::parse::{self, is_blank, skip_quoted, Anchor};
use super::{eval, segments_definite, Segment};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Exists {
        path: FilterPath,
        expect: bool,
    },
    Compare {
        left: Operand,
        op: Op,
        right: Operand,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Operand {
    Path(FilterPath),
    Literal(Value),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct FilterPath {
    /// `$` (the document) rather than `@` (the item under test).
    from_root: bool,
    segments: Box<[Segment]>,
    definite: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    Eq,
    Ne,
    StrictEq,
    StrictNe,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    Nin,
    SubsetOf,
    AnyOf,
    NoneOf,
    Contains,
    Size,
    Empty,
}

pub(super) fn parse(text: &str) -> Result<Expr, String> {
    let mut p = Parser {
        text,
        b: text.as_bytes(),
        pos: 0,
    };
    let expr = p.or()?;
    p.skip_blanks();
    if p.pos < p.b.len() {
        return Err(format!(
            "expected end of filter expression instead of: {}",
            &text[p.pos..]
        ));
    }
    Ok(expr)
}

struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn skip_blanks(&mut self) {
        while self.b.get(self.pos).is_some_and(|c| is_blank(*c)) {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_blanks();
        self.b.get(self.pos).copied()
    }

    fn eat(&mut self, token: &str) -> bool {
        self.skip_blanks();
        let found = self.b[self.pos..].starts_with(token.as_bytes());
        if found {
            self.pos += token.len();
        }
        found
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut ops = vec![self.and()?];
        while self.eat("||") {
            ops.push(self.and()?);
        }
        Ok(if ops.len() == 1 {
            ops.swap_remove(0)
        } else {
            Expr::Or(ops)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut ops = vec![self.unary()?];
        while self.eat("&&") {
            ops.push(self.unary()?);
        }
        Ok(if ops.len() == 1 {
            ops.swap_remove(0)
        } else {
            Expr::And(ops)
        })
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.peek() == Some(b'!') {
            let save = self.pos;
            self.pos += 1;
            // `!@.x` is an absence test, read as a value; `!(...)` negates.
            if matches!(self.peek(), Some(b'@' | b'$')) {
                self.pos = save;
            } else {
                return Ok(Expr::Not(Box::new(self.unary()?)));
            }
        }
        if self.peek() == Some(b'(') {
            self.pos += 1;
            let expr = self.or()?;
            if !self.eat(")") {
                return Err("expected ')' in filter".to_owned());
            }
            return Ok(expr);
        }
        self.relation()
    }

    fn relation(&mut self) -> Result<Expr, String> {
        let (left, negated) = self.operand()?;
        if let Some(op) = self.operator()? {
            let (right, _) = self.operand()?;
            return Ok(Expr::Compare { left, op, right });
        }
        match left {
            Operand::Path(path) => Ok(Expr::Exists {
                path,
                expect: !negated,
            }),
            Operand::Literal(_) => {
                Err("expected a path before a filter without operator".to_owned())
            }
        }
    }

    fn operator(&mut self) -> Result<Option<Op>, String> {
        let is_symbol = |c: &u8| matches!(c, b'<' | b'>' | b'=' | b'~' | b'!');
        let start = match self.peek() {
            Some(c) if is_symbol(&c) || c.is_ascii_alphabetic() => self.pos,
            _ => return Ok(None),
        };
        let symbolic = is_symbol(&self.b[start]);
        let len = self.b[start..]
            .iter()
            .take_while(|c| {
                if symbolic {
                    is_symbol(c)
                } else {
                    c.is_ascii_alphabetic()
                }
            })
            .count();
        self.pos += len;
        let word = self.text[start..start + len].to_ascii_lowercase();
        Ok(Some(match word.as_str() {
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "===" => Op::StrictEq,
            "!==" => Op::StrictNe,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "in" => Op::In,
            "nin" => Op::Nin,
            "subsetof" => Op::SubsetOf,
            "anyof" => Op::AnyOf,
            "noneof" => Op::NoneOf,
            "contains" => Op::Contains,
            "size" => Op::Size,
            "empty" => Op::Empty,
            "=~" => return Err("regular expressions (=~) are not supported in filters".to_owned()),
            other => return Err(format!("unknown filter operator '{other}'")),
        }))
    }

    /// An operand, and whether a path was prefixed with `!`.
    fn operand(&mut self) -> Result<(Operand, bool), String> {
        match self.peek() {
            Some(b'@' | b'$') => Ok((Operand::Path(self.path()?), false)),
            Some(b'!') => {
                self.pos += 1;
                match self.peek() {
                    Some(b'@' | b'$') => Ok((Operand::Path(self.path()?), true)),
                    _ => Err("unexpected character: !".to_owned()),
                }
            }
            Some(b'/') => Err("regular expressions are not supported in filters".to_owned()),
            Some(_) => Ok((Operand::Literal(self.literal()?), false)),
            None => Err("unexpected end of filter".to_owned()),
        }
    }

    /// A path runs to a blank, an operator character, `&`, `|`, or a `)` that closes
    /// no function call of its own; brackets are skipped whole.
    fn path(&mut self) -> Result<FilterPath, String> {
        let start = self.pos;
        let mut i = start + 1;
        let mut calls = 0usize;
        while i < self.b.len() {
            match self.b[i] {
                b'[' => {
                    i = self.matching_bracket(i)?;
                    continue;
                }
                b'(' => calls += 1,
                b')' if calls == 0 => break,
                b')' => calls -= 1,
                c if is_blank(c) || b"<>=~!&|".contains(&c) => break,
                _ => {}
            }
            i += 1;
        }
        self.pos = i;
        let parsed = parse::parse(&self.text[start..i], true)?;
        let from_root = match parsed.anchor {
            Anchor::Current => false,
            Anchor::Input => true,
            Anchor::Context => return Err("'$$' is not supported inside a filter".to_owned()),
        };
        Ok(FilterPath {
            from_root,
            definite: segments_definite(&parsed.segments),
            segments: parsed.segments.into(),
        })
    }

    /// Index just past the `]` matching the `[` at `open`.
    fn matching_bracket(&self, open: usize) -> Result<usize, String> {
        let mut depth = 0usize;
        let mut i = open;
        while i < self.b.len() {
            match self.b[i] {
                b'\'' | b'"' => {
                    i = skip_quoted(self.b, i).ok_or("a string in the filter is not closed")?;
                    continue;
                }
                b'[' => depth += 1,
                b']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(i + 1);
                    }
                }
                _ => {}
            }
            i += 1;
        }
        Err("square brackets do not match in filter".to_owned())
    }

    fn literal(&mut self) -> Result<Value, String> {
        match self.peek() {
            Some(q @ (b'\'' | b'"')) => {
                let end = skip_quoted(self.b, self.pos).ok_or_else(|| {
                    format!(
                        "string literal does not have matching quotes ({})",
                        q as char
                    )
                })?;
                let raw = &self.text[self.pos + 1..end - 1];
                self.pos = end;
                Ok(Value::String(unescape(raw)))
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat("]") {
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.literal()?);
                    if self.eat("]") {
                        return Ok(Value::Array(items));
                    }
                    if !self.eat(",") {
                        return Err("expected ',' or ']' in array literal".to_owned());
                    }
                }
            }
            Some(b'{') => {
                self.pos += 1;
                let mut map = Map::new();
                if self.eat("}") {
                    return Ok(Value::Object(map));
                }
                loop {
                    let Value::String(key) = self.literal()? else {
                        return Err("object literal keys must be strings".to_owned());
                    };
                    if !self.eat(":") {
                        return Err("expected ':' in object literal".to_owned());
                    }
                    map.insert(key, self.literal()?);
                    if self.eat("}") {
                        return Ok(Value::Object(map));
                    }
                    if !self.eat(",") {
                        return Err("expected ',' or '}' in object literal".to_owned());
                    }
                }
            }
            _ => {
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.eat(word) {
                        return Ok(value);
                    }
                }
                self.number()
            }
        }
    }

    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        let len = self.b[start..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || b"+-.eE".contains(c))
            .count();
        self.pos += len;
        let text = &self.text[start..start + len];
        if let Ok(i) = text.parse::<i64>() {
            return Ok(Value::Number(i.into()));
        }
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("invalid literal in filter at: '{}'", &self.text[start..]))
    }
}

/// Java-style escapes in filter string literals (Jayway unescapes these, unlike names).
fn unescape(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_owned();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                    Some(decoded) => out.push(decoded),
                    None => {
                        out.push_str("\\u");
                        out.push_str(&hex);
                    }
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Whether `item` passes the filter. `root` is the document `$` paths read.
pub(super) fn accepts(expr: &Expr, item: &Value, root: &Value) -> bool {
    match expr {
        Expr::Or(ops) => ops.iter().any(|e| accepts(e, item, root)),
        Expr::And(ops) => ops.iter().all(|e| accepts(e, item, root)),
        Expr::Not(e) => !accepts(e, item, root),
        Expr::Exists { path, expect } => {
            let mut out = Vec::new();
            eval::walk(&path.segments, path.start(item, root), root, &mut out);
            out.is_empty() != *expect
        }
        Expr::Compare { left, op, right } => {
            let l = operand(left, item, root);
            let r = operand(right, item, root);
            compare(l.as_deref(), *op, r.as_deref())
        }
    }
}

impl FilterPath {
    fn start<'a>(&self, item: &'a Value, root: &'a Value) -> &'a Value {
        if self.from_root {
            root
        } else {
            item
        }
    }
}

/// `None` is Jayway's UNDEFINED (a definite path that matched nothing); an indefinite
/// path gives the array of its matches.
fn operand<'a>(operand: &'a Operand, item: &'a Value, root: &'a Value) -> Option<Cow<'a, Value>> {
    match operand {
        Operand::Literal(v) => Some(Cow::Borrowed(v)),
        Operand::Path(path) => {
            let mut out = Vec::new();
            eval::walk(&path.segments, path.start(item, root), root, &mut out);
            if path.definite {
                out.into_iter().next()
            } else {
                Some(Cow::Owned(Value::Array(
                    out.into_iter().map(Cow::into_owned).collect(),
                )))
            }
        }
    }
}

fn compare(l: Option<&Value>, op: Op, r: Option<&Value>) -> bool {
    let within = |v: Option<&Value>, list: Option<&Value>| match list {
        Some(Value::Array(items)) => items.iter().any(|e| loose_eq(v, Some(e))),
        _ => false,
    };
    let ordered = |test: fn(Ordering) -> bool| match (l, r) {
        (Some(Value::Number(a)), Some(Value::Number(b))) => num_cmp(a, b).is_some_and(test),
        (Some(Value::String(a)), Some(Value::String(b))) => test(utf16_cmp(a, b)),
        _ => false,
    };
    match op {
        Op::Eq => loose_eq(l, r),
        Op::Ne => !loose_eq(l, r),
        Op::StrictEq => same_kind(l, r) && loose_eq(l, r),
        Op::StrictNe => !(same_kind(l, r) && loose_eq(l, r)),
        Op::Lt => ordered(Ordering::is_lt),
        Op::Le => ordered(Ordering::is_le),
        Op::Gt => ordered(Ordering::is_gt),
        Op::Ge => ordered(Ordering::is_ge),
        Op::In => within(l, r),
        Op::Nin => !within(l, r),
        Op::SubsetOf | Op::AnyOf | Op::NoneOf => {
            let Some(Value::Array(left)) = l else {
                return false;
            };
            let mut found = left.iter().map(|e| within(Some(e), r));
            match op {
                Op::SubsetOf => found.all(|f| f),
                Op::AnyOf => found.any(|f| f),
                _ => !found.any(|f| f),
            }
        }
        Op::Contains => match l {
            Some(Value::String(s)) => matches!(r, Some(Value::String(t)) if s.contains(t.as_str())),
            Some(Value::Array(_)) => within(r, l),
            _ => false,
        },
        Op::Size => {
            let Some(expected) = r.and_then(Value::as_f64) else {
                return false;
            };
            match l {
                Some(Value::String(s)) => s.encode_utf16().count() as f64 == expected.trunc(),
                Some(Value::Array(a)) => a.len() as f64 == expected.trunc(),
                _ => false,
            }
        }
        Op::Empty => {
            let Some(expected) = r.and_then(Value::as_bool) else {
                return false;
            };
            match l {
                Some(Value::String(s)) => s.is_empty() == expected,
                Some(Value::Array(a)) => a.is_empty() == expected,
                Some(Value::Object(m)) => m.is_empty() == expected,
                _ => false,
            }
        }
    }
}

/// Jayway's `ValueNode.equals`: numbers and numeric strings compare as numbers, JSON
/// (arrays, objects) deeply, anything against UNDEFINED is unequal.
fn loose_eq(l: Option<&Value>, r: Option<&Value>) -> bool {
    let (Some(l), Some(r)) = (l, r) else {
        return false;
    };
    match (l, r) {
        (Value::Number(a), Value::Number(b)) => num_cmp(a, b) == Some(Ordering::Equal),
        (Value::Number(a), Value::String(s)) => s
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .is_some_and(|b| num_cmp(a, &b) == Some(Ordering::Equal)),
        (Value::String(s), Value::Number(n)) => *s == n.to_string(),
        (Value::String(a), Value::String(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::Null, Value::Null) => true,
        (Value::Array(_) | Value::Object(_), Value::Array(_) | Value::Object(_)) => l == r,
        _ => false,
    }
}

fn same_kind(l: Option<&Value>, r: Option<&Value>) -> bool {
    let kind = |v: Option<&Value>| v.map(std::mem::discriminant);
    match (l, r) {
        // Jayway keeps arrays and objects in one node class.
        (Some(Value::Array(_) | Value::Object(_)), Some(Value::Array(_) | Value::Object(_))) => {
            true
        }
        _ => kind(l) == kind(r),
    }
}

fn num_cmp(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

/// Java's `String.compareTo` orders by UTF-16 code unit.
fn utf16_cmp(a: &str, b: &str) -> Ordering {
    a.encode_utf16().cmp(b.encode_utf16())
}
