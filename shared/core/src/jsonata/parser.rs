//! A Pratt parser for JSONata (after jsonata-js `parser.js`), producing the processed AST
//! that jsonata-js's `processAST` would: names become path steps, predicates on a path's
//! last step become per-step stages, and array constructors in paths are flagged.

use std::sync::Arc;

use super::lexer::{Lexer, Tok};

/// A node with the annotations jsonata-js hangs on it.
#[derive(Debug, Clone)]
pub(crate) struct Expr {
    pub kind: Kind,
    /// Filters applied to this node's whole result (a non-path node).
    pub predicates: Vec<Expr>,
    /// Filters applied per input item (a path step).
    pub stages: Vec<Expr>,
    /// `expr{k: v}`: a grouping applied to the result.
    pub group: Option<Arc<Vec<(Expr, Expr)>>>,
    /// `[]` after the step: a singleton result stays an array.
    pub keep_array: bool,
    /// An array constructor as the first or last step of a path.
    pub cons_array: bool,
}

#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Path {
        steps: Vec<Expr>,
        keep_singleton: bool,
    },
    Name(String),
    Str(Arc<str>),
    Num(f64),
    Bool(bool),
    Null,
    Regex(Arc<regex::Regex>),
    /// `$name`; `""` is the context item (`$`), `"$"` the root (`$$`).
    Var(String),
    Wildcard,
    Descendants,
    Neg(Box<Expr>),
    ArrayCons(Vec<Expr>),
    ObjectCons(Vec<(Expr, Expr)>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Option<Box<Expr>>),
    Bind(String, Box<Expr>),
    /// The items, and whether they bind variables (`:=`) and so need a scope of their own.
    Block(Vec<Expr>, bool),
    Call {
        func: Box<Expr>,
        args: Vec<Expr>,
        partial: bool,
    },
    Placeholder,
    Lambda(Arc<LambdaDef>),
    /// `lhs ~> rhs`.
    Apply(Box<Expr>, Box<Expr>),
    /// A `^(…)` step: sort terms, `true` = descending.
    Sort(Vec<(Expr, bool)>),
}

#[derive(Debug)]
pub(crate) struct LambdaDef {
    pub params: Vec<String>,
    pub body: Expr,
}

impl Expr {
    /// The nodes directly under this one (lambda bodies included).
    pub fn children(&self) -> Vec<&Expr> {
        let mut out: Vec<&Expr> = Vec::new();
        match &self.kind {
            Kind::Path { steps, .. } => out.extend(steps),
            Kind::Neg(e) | Kind::Bind(_, e) => out.push(e),
            Kind::ArrayCons(items) | Kind::Block(items, _) => out.extend(items),
            Kind::ObjectCons(pairs) => pairs.iter().for_each(|(k, v)| out.extend([k, v])),
            Kind::Binary(_, l, r) | Kind::Apply(l, r) => out.extend([&**l, &**r]),
            Kind::Cond(c, t, o) => {
                out.extend([&**c, &**t]);
                out.extend(o.as_deref());
            }
            Kind::Call { func, args, .. } => {
                out.push(func);
                out.extend(args);
            }
            Kind::Lambda(def) => out.push(&def.body),
            Kind::Sort(terms) => out.extend(terms.iter().map(|(t, _)| t)),
            _ => {}
        }
        out.extend(&self.predicates);
        out.extend(&self.stages);
        if let Some(group) = &self.group {
            group.iter().for_each(|(k, v)| out.extend([k, v]));
        }
        out
    }

    fn new(kind: Kind) -> Expr {
        Expr {
            kind,
            predicates: Vec::new(),
            stages: Vec::new(),
            group: None,
            keep_array: false,
            cons_array: false,
        }
    }
}

pub(crate) fn parse(src: &str) -> Result<Expr, String> {
    let mut p = Parser {
        lexer: Lexer::new(src),
        tok: Tok::End,
        depth: 0,
    };
    p.advance(true)?;
    let e = p.expression(0)?;
    if p.tok != Tok::End {
        return Err(format!(
            "S0201: Syntax error: unexpected {} at position {}",
            describe(&p.tok),
            p.lexer.pos()
        ));
    }
    Ok(e)
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Name(n) => format!("\"{n}\""),
        Tok::Var(n) => format!("\"${n}\""),
        Tok::Str(s) => format!("\"{s}\""),
        Tok::Num(n) => n.to_string(),
        Tok::Bool(b) => b.to_string(),
        Tok::Null => "null".into(),
        Tok::Regex(p, _) => format!("/{p}/"),
        Tok::Op(o) => format!("\"{o}\""),
        Tok::End => "end of expression".into(),
    }
}

struct Parser<'s> {
    lexer: Lexer<'s>,
    tok: Tok,
    /// Nesting of sub-expressions being parsed, bounded so a pathological expression is
    /// an error rather than a stack overflow.
    depth: usize,
}

/// How deeply sub-expressions may nest.
const MAX_NESTING: usize = 200;

fn lbp(t: &Tok) -> u8 {
    match t {
        Tok::Op(op) => match *op {
            "." => 75,
            "[" | "(" | "@" | "#" => 80,
            "{" => 70,
            "*" | "/" | "%" | "**" => 60,
            "+" | "-" | "&" => 50,
            "=" | "!=" | "<" | "<=" | ">" | ">=" | "^" | "~>" | "?:" | "??" => 40,
            "?" | ".." => 20,
            ":=" => 10,
            _ => 0,
        },
        Tok::Name(n) => match n.as_str() {
            "and" => 30,
            "or" => 25,
            "in" => 40,
            _ => 0,
        },
        _ => 0,
    }
}

impl Parser<'_> {
    fn advance(&mut self, operand: bool) -> Result<(), String> {
        self.tok = self
            .lexer
            .next(operand)
            .map_err(|(pos, m)| format!("{m} (at position {pos})"))?;
        Ok(())
    }

    /// Advances past the current token; whether an operand may follow depends on it.
    fn bump(&mut self) -> Result<Tok, String> {
        let t = std::mem::replace(&mut self.tok, Tok::End);
        let operand = !matches!(
            &t,
            Tok::Op(")" | "]" | "}")
                | Tok::Name(_)
                | Tok::Var(_)
                | Tok::Str(_)
                | Tok::Num(_)
                | Tok::Bool(_)
                | Tok::Null
                | Tok::Regex(..)
        ) || matches!(&t, Tok::Name(n) if n == "and" || n == "or" || n == "in");
        self.advance(operand)?;
        Ok(t)
    }

    fn expect(&mut self, op: &str) -> Result<(), String> {
        if self.tok != Tok::Op(match_op(op)) {
            return Err(format!(
                "S0202: Expected \"{op}\", got {} at position {}",
                describe(&self.tok),
                self.lexer.pos()
            ));
        }
        self.bump()?;
        Ok(())
    }

    fn expression(&mut self, rbp: u8) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(format!(
                "S0201: Syntax error: the expression nests more than {MAX_NESTING} levels deep"
            ));
        }
        let result = self.expression_inner(rbp);
        self.depth -= 1;
        result
    }

    fn expression_inner(&mut self, rbp: u8) -> Result<Expr, String> {
        let t = self.bump()?;
        let mut left = self.nud(t)?;
        while rbp < lbp(&self.tok) {
            let t = self.bump()?;
            left = self.led(t, left)?;
        }
        Ok(left)
    }

    fn nud(&mut self, t: Tok) -> Result<Expr, String> {
        Ok(match t {
            Tok::Num(n) => Expr::new(Kind::Num(n)),
            Tok::Str(s) => Expr::new(Kind::Str(Arc::from(s))),
            Tok::Bool(b) => Expr::new(Kind::Bool(b)),
            Tok::Null => Expr::new(Kind::Null),
            Tok::Var(v) => Expr::new(Kind::Var(v)),
            Tok::Regex(pattern, flags) => {
                let mut builder = regex::RegexBuilder::new(&pattern);
                builder.case_insensitive(flags.contains('i'));
                builder.multi_line(flags.contains('m'));
                let re = builder
                    .build()
                    .map_err(|e| format!("S0302: Invalid regular expression /{pattern}/: {e}"))?;
                Expr::new(Kind::Regex(Arc::new(re)))
            }
            Tok::Name(n) if (n == "function" || n == "λ") && self.tok == Tok::Op("(") => {
                self.lambda()?
            }
            Tok::Name(n) => path_of(Expr::new(Kind::Name(n))),
            Tok::Op("-") => {
                let e = self.expression(70)?;
                match e.kind {
                    Kind::Num(n) if e.predicates.is_empty() => Expr::new(Kind::Num(-n)),
                    _ => Expr::new(Kind::Neg(Box::new(e))),
                }
            }
            Tok::Op("*") => Expr::new(Kind::Wildcard),
            Tok::Op("**") => Expr::new(Kind::Descendants),
            Tok::Op("?") => Expr::new(Kind::Placeholder),
            Tok::Op("(") => {
                let mut items = Vec::new();
                while self.tok != Tok::Op(")") {
                    items.push(self.expression(0)?);
                    if self.tok != Tok::Op(";") {
                        break;
                    }
                    self.bump()?;
                }
                self.expect(")")?;
                let scoped = items.iter().any(binds);
                Expr::new(Kind::Block(items, scoped))
            }
            Tok::Op("[") => {
                let mut items = Vec::new();
                if self.tok != Tok::Op("]") {
                    loop {
                        items.push(self.expression(0)?);
                        if self.tok != Tok::Op(",") {
                            break;
                        }
                        self.bump()?;
                    }
                }
                self.expect("]")?;
                Expr::new(Kind::ArrayCons(items))
            }
            Tok::Op("{") => Expr::new(Kind::ObjectCons(self.pairs()?)),
            other => {
                return Err(format!(
                    "S0211: The symbol {} cannot be used as a unary operator",
                    describe(&other)
                ))
            }
        })
    }

    fn pairs(&mut self) -> Result<Vec<(Expr, Expr)>, String> {
        let mut pairs = Vec::new();
        if self.tok != Tok::Op("}") {
            loop {
                let k = self.expression(0)?;
                self.expect(":")?;
                let v = self.expression(0)?;
                pairs.push((k, v));
                if self.tok != Tok::Op(",") {
                    break;
                }
                self.bump()?;
            }
        }
        self.expect("}")?;
        Ok(pairs)
    }

    fn lambda(&mut self) -> Result<Expr, String> {
        self.expect("(")?;
        let mut params = Vec::new();
        while self.tok != Tok::Op(")") {
            match self.bump()? {
                Tok::Var(v) => params.push(v),
                other => {
                    return Err(format!(
                        "S0208: Parameter {} of function definition must be a variable name (start with $)",
                        describe(&other)
                    ))
                }
            }
            if self.tok == Tok::Op(",") {
                self.bump()?;
            }
        }
        self.expect(")")?;
        if self.tok == Tok::Op("<") {
            // A signature: checked loosely by the functions themselves, skipped here.
            let mut depth = 0;
            loop {
                match self.bump()? {
                    Tok::Op("<") => depth += 1,
                    Tok::Op(">") => {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    Tok::End => return Err("S0401: Unterminated function signature".into()),
                    _ => {}
                }
            }
        }
        self.expect("{")?;
        let body = self.expression(0)?;
        self.expect("}")?;
        Ok(Expr::new(Kind::Lambda(Arc::new(LambdaDef {
            params,
            body,
        }))))
    }

    fn led(&mut self, t: Tok, left: Expr) -> Result<Expr, String> {
        let op = match &t {
            Tok::Op(op) => *op,
            Tok::Name(n) if n == "and" => "and",
            Tok::Name(n) if n == "or" => "or",
            Tok::Name(n) if n == "in" => "in",
            other => return Err(format!("S0201: Syntax error: {}", describe(other))),
        };
        Ok(match op {
            "." => {
                let rhs = self.expression(75)?;
                dot(left, rhs)?
            }
            "[" => {
                if self.tok == Tok::Op("]") {
                    self.bump()?;
                    let mut left = left;
                    match &mut left.kind {
                        Kind::Path {
                            steps,
                            keep_singleton,
                        } => {
                            *keep_singleton = true;
                            if let Some(last) = steps.last_mut() {
                                last.keep_array = true;
                            }
                        }
                        _ => left.keep_array = true,
                    }
                    return Ok(left);
                }
                let predicate = self.expression(0)?;
                self.expect("]")?;
                let mut left = left;
                match &mut left.kind {
                    Kind::Path { steps, .. } if left.group.is_none() => match steps.last_mut() {
                        Some(last) => last.stages.push(predicate),
                        None => left.predicates.push(predicate),
                    },
                    _ => left.predicates.push(predicate),
                }
                left
            }
            "(" => {
                let mut args = Vec::new();
                let mut partial = false;
                while self.tok != Tok::Op(")") {
                    let a = self.expression(0)?;
                    partial |= matches!(a.kind, Kind::Placeholder);
                    args.push(a);
                    if self.tok != Tok::Op(",") {
                        break;
                    }
                    self.bump()?;
                }
                self.expect(")")?;
                Expr::new(Kind::Call {
                    func: Box::new(left),
                    args,
                    partial,
                })
            }
            "{" => {
                let pairs = self.pairs()?;
                let mut left = left;
                if left.group.is_some() {
                    return Err("S0210: Each step can only have one grouping expression".into());
                }
                left.group = Some(Arc::new(pairs));
                left
            }
            "^" => {
                self.expect("(")?;
                let mut terms = Vec::new();
                loop {
                    let mut descending = false;
                    if self.tok == Tok::Op("<") {
                        self.bump()?;
                    } else if self.tok == Tok::Op(">") {
                        descending = true;
                        self.bump()?;
                    }
                    terms.push((self.expression(0)?, descending));
                    if self.tok != Tok::Op(",") {
                        break;
                    }
                    self.bump()?;
                }
                self.expect(")")?;
                let mut path = match left.kind {
                    Kind::Path { .. } if left.group.is_none() => left,
                    _ => path_of(left),
                };
                if let Kind::Path { steps, .. } = &mut path.kind {
                    steps.push(Expr::new(Kind::Sort(terms)));
                }
                path
            }
            ":=" => {
                let Kind::Var(name) = left.kind else {
                    return Err(
                        "S0212: The left side of := must be a variable name (start with $)".into(),
                    );
                };
                let rhs = self.expression(9)?;
                Expr::new(Kind::Bind(name, Box::new(rhs)))
            }
            "?" => {
                let then = self.expression(0)?;
                let otherwise = if self.tok == Tok::Op(":") {
                    self.bump()?;
                    Some(Box::new(self.expression(0)?))
                } else {
                    None
                };
                Expr::new(Kind::Cond(Box::new(left), Box::new(then), otherwise))
            }
            "~>" => {
                let rhs = self.expression(40)?;
                Expr::new(Kind::Apply(Box::new(left), Box::new(rhs)))
            }
            "@" | "#" | "|" => {
                return Err(format!("S0201: The {op} operator is not supported"));
            }
            _ => {
                let rhs = self.expression(lbp(&t))?;
                Expr::new(Kind::Binary(op, Box::new(left), Box::new(rhs)))
            }
        })
    }
}

/// The `&'static` spelling of an operator, for comparisons with tokens.
fn match_op(op: &str) -> &'static str {
    match op {
        ")" => ")",
        "]" => "]",
        "}" => "}",
        "(" => "(",
        "{" => "{",
        ":" => ":",
        _ => "",
    }
}

/// Whether evaluating `e` may bind a variable in the enclosing scope (`:=` outside any
/// lambda, whose calls get scopes of their own).
fn binds(e: &Expr) -> bool {
    match &e.kind {
        Kind::Bind(..) => true,
        Kind::Lambda(_) => false,
        _ => e.children().into_iter().any(binds),
    }
}

fn path_of(step: Expr) -> Expr {
    let keep = step.keep_array;
    Expr::new(Kind::Path {
        steps: vec![step],
        keep_singleton: keep,
    })
}

/// `lhs.rhs`: joins the steps into one path (jsonata-js `processAST`, case `.`).
fn dot(lhs: Expr, rhs: Expr) -> Result<Expr, String> {
    let mut path = match lhs.kind {
        Kind::Path { .. } if lhs.group.is_none() && lhs.predicates.is_empty() => lhs,
        _ => path_of(lhs),
    };
    let Kind::Path {
        steps,
        keep_singleton,
    } = &mut path.kind
    else {
        unreachable!("path_of builds a path")
    };
    match rhs.kind {
        Kind::Path {
            steps: rest,
            keep_singleton: keep,
        } if rhs.group.is_none() && rhs.predicates.is_empty() => {
            steps.extend(rest);
            *keep_singleton |= keep;
        }
        _ => {
            let mut rhs = rhs;
            rhs.stages.append(&mut rhs.predicates);
            steps.push(rhs);
        }
    }
    for step in steps.iter_mut() {
        match &step.kind {
            Kind::Num(_) | Kind::Bool(_) | Kind::Null => {
                return Err(
                    "S0213: The literal value cannot be used as a step within a path expression"
                        .into(),
                )
            }
            Kind::Str(s) => step.kind = Kind::Name(s.to_string()),
            _ => {}
        }
    }
    *keep_singleton |= steps.iter().any(|s| s.keep_array);
    if let Some(first) = steps.first_mut() {
        if matches!(first.kind, Kind::ArrayCons(_)) {
            first.cons_array = true;
        }
    }
    if let Some(last) = steps.last_mut() {
        if matches!(last.kind, Kind::ArrayCons(_)) {
            last.cons_array = true;
        }
    }
    Ok(path)
}
