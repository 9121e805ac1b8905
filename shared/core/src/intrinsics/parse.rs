//! Lexer and recursive-descent parser for intrinsic calls.
//!
//! The grammar follows LocalStack's ANTLR grammar (itself checked against AWS):
//! `States.Name(arg, …)` where an argument is a single-quoted string, an integer or
//! decimal number (optionally negative, with exponent), `true`/`false`, a JSONPath
//! (`$…`), a context path (`$$…`), a variable (`$name…`) or a nested call. There is no
//! `null` literal: AWS's grammar has none. Whitespace between tokens is ignored.

use serde_json::{Number, Value};

use super::functions::Func;
use crate::jsonpath::Path;

/// One node of the compiled expression tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Call(Box<Call>),
    /// Number or boolean literal.
    Literal(Value),
    Str(StrLit),
    Path(Path),
    Var(VarRef),
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Call {
    pub func: Func,
    pub args: Vec<Expr>,
}

/// A string literal, unescaped, plus its `States.Format` reading.
///
/// AWS lets authors write `\{\}` to get literal braces in a format string; once
/// unescaped that text is indistinguishable from a placeholder, so the placeholders are
/// located here, while the escapes are still visible.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StrLit {
    /// Always a [`Value::String`]: arguments are passed to the functions as values.
    pub value: Value,
    pub pieces: Vec<Piece>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    /// An unescaped `{}`.
    Hole,
}

/// `$name` or `$name.path`: a workflow variable, optionally followed by a path into it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct VarRef {
    pub name: String,
    /// The path applied to the variable's value, compiled as `$…`.
    pub path: Option<Path>,
}

/// Parses a whole intrinsic call; the error is a human-readable reason.
pub(crate) fn parse(source: &str) -> Result<Call, String> {
    let mut p = Parser {
        chars: source.chars().collect(),
        pos: 0,
    };
    p.skip_ws();
    let call = p.call()?;
    p.skip_ws();
    if p.pos < p.chars.len() {
        return Err(format!(
            "unexpected text after the closing parenthesis at position {}",
            p.pos
        ));
    }
    Ok(call)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        Some(c)
    }

    /// The lexer skips exactly these (`[ \t\n]+` in the grammar; `\r` too, harmlessly).
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, want: char) -> Result<(), String> {
        match self.peek() {
            Some(c) if c == want => {
                self.pos += 1;
                Ok(())
            }
            Some(c) => Err(format!(
                "expected '{want}' at position {}, found '{c}'",
                self.pos
            )),
            None => Err(format!("expected '{want}' at the end of the text")),
        }
    }

    fn starts_with(&self, word: &str) -> bool {
        word.chars()
            .enumerate()
            .all(|(i, c)| self.peek_at(i) == Some(c))
    }

    fn call(&mut self) -> Result<Call, String> {
        if !self.starts_with("States") {
            return Err(format!(
                "expected a call 'States.<Name>(…)' at position {}",
                self.pos
            ));
        }
        self.pos += "States".len();
        self.skip_ws();
        self.expect('.')?;
        self.skip_ws();
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric()) {
            self.pos += 1;
        }
        let name: String = self.chars[start..self.pos].iter().collect();
        let func = Func::from_name(&name)
            .ok_or_else(|| format!("unknown intrinsic function 'States.{name}'"))?;
        self.skip_ws();
        self.expect('(')?;
        self.skip_ws();
        let mut args = Vec::new();
        if self.peek() == Some(')') {
            self.pos += 1;
        } else {
            loop {
                self.skip_ws();
                args.push(self.arg()?);
                self.skip_ws();
                match self.bump() {
                    Some(',') => continue,
                    Some(')') => break,
                    Some(c) => {
                        return Err(format!(
                            "expected ',' or ')' at position {}, found '{c}'",
                            self.pos - 1
                        ))
                    }
                    None => return Err("missing ')' at the end of the text".into()),
                }
            }
        }
        func.check_arity(args.len())?;
        Ok(Call { func, args })
    }

    fn arg(&mut self) -> Result<Expr, String> {
        match self.peek() {
            Some('\'') => self.string().map(Expr::Str),
            Some('$') => self.path_or_var(),
            Some(c) if c == '-' || c.is_ascii_digit() => self.number().map(Expr::Literal),
            Some('S') => Ok(Expr::Call(Box::new(self.call()?))),
            Some(_) if self.keyword("true") => Ok(Expr::Literal(Value::Bool(true))),
            Some(_) if self.keyword("false") => Ok(Expr::Literal(Value::Bool(false))),
            Some(c) => Err(format!("unexpected '{c}' at position {}", self.pos)),
            None => Err("missing argument at the end of the text".into()),
        }
    }

    /// Consumes `word` if it stands alone (not the prefix of a longer identifier).
    fn keyword(&mut self, word: &str) -> bool {
        let len = word.chars().count();
        let standalone = !matches!(self.peek_at(len), Some(c) if c.is_alphanumeric() || c == '_');
        if self.starts_with(word) && standalone {
            self.pos += len;
            true
        } else {
            false
        }
    }

    fn string(&mut self) -> Result<StrLit, String> {
        let open = self.pos;
        self.pos += 1; // opening quote
        let mut value = String::new();
        let mut pieces = Vec::new();
        let mut text = String::new();
        loop {
            let c = self
                .bump()
                .ok_or_else(|| format!("unterminated string starting at position {open}"))?;
            match c {
                '\'' => break,
                '\\' => {
                    let e = self.bump().ok_or_else(|| {
                        format!("unterminated string starting at position {open}")
                    })?;
                    // AWS documents `\' \{ \} \\`. LocalStack (tested against AWS) also
                    // reads `\"`, `\n`, `\t`, `\r`; any other escape is an "open escape
                    // backslash", which AWS rejects.
                    let ch = match e {
                        '\'' | '{' | '}' | '\\' | '"' => e,
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        other => {
                            return Err(format!(
                                "invalid escape '\\{other}' at position {}",
                                self.pos - 2
                            ))
                        }
                    };
                    value.push(ch);
                    text.push(ch);
                }
                '{' if self.peek() == Some('}') => {
                    self.pos += 1;
                    value.push_str("{}");
                    if !text.is_empty() {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                    }
                    pieces.push(Piece::Hole);
                }
                other => {
                    value.push(other);
                    text.push(other);
                }
            }
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(StrLit {
            value: Value::String(value),
            pieces,
        })
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, as in the grammar.
    fn number(&mut self) -> Result<Value, String> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        self.digits();
        if self.pos == int_start {
            return Err(format!("expected a digit at position {}", self.pos));
        }
        if self.chars[int_start] == '0' && self.pos - int_start > 1 {
            return Err(format!("leading zero in number at position {start}"));
        }
        let mut is_float = false;
        if self.peek() == Some('.') {
            self.pos += 1;
            let frac = self.pos;
            self.digits();
            if self.pos == frac {
                return Err(format!("expected a digit at position {}", self.pos));
            }
            is_float = true;
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            let exp = self.pos;
            self.digits();
            if self.pos == exp {
                return Err(format!("expected a digit at position {}", self.pos));
            }
            is_float = true;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        if !is_float {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Value::from(i));
            }
        }
        text.parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| format!("number '{text}' is out of range"))
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    fn path_or_var(&mut self) -> Result<Expr, String> {
        let start = self.pos;
        self.pos += 1; // '$'
        let is_context = self.peek() == Some('$');
        if is_context {
            self.pos += 1;
        }
        let var_name = if !is_context && matches!(self.peek(), Some(c) if is_ident(c)) {
            let name_start = self.pos;
            while matches!(self.peek(), Some(c) if is_ident(c)) {
                self.pos += 1;
            }
            Some(self.chars[name_start..self.pos].iter().collect::<String>())
        } else {
            None
        };
        let body_start = self.pos;
        self.path_body()?;
        let body: String = self.chars[body_start..self.pos].iter().collect();
        match var_name {
            Some(name) => {
                let path = if body.is_empty() {
                    None
                } else {
                    Some(compile_path(&format!("${body}"))?)
                };
                Ok(Expr::Var(VarRef { name, path }))
            }
            None => {
                let text: String = self.chars[start..self.pos].iter().collect();
                Ok(Expr::Path(compile_path(&text)?))
            }
        }
    }

    /// `(\.ident? | [ … ])*`; the path's own syntax is checked by `Path::parse`.
    fn path_body(&mut self) -> Result<(), String> {
        loop {
            match self.peek() {
                Some('.') => {
                    self.pos += 1;
                    while matches!(self.peek(), Some(c) if is_ident(c) || c == '*') {
                        self.pos += 1;
                    }
                }
                Some('[') => self.bracket()?,
                _ => return Ok(()),
            }
        }
    }

    /// A bracketed selector, with nesting and quoted names (which may hold `]` or `,`).
    fn bracket(&mut self) -> Result<(), String> {
        let open = self.pos;
        let mut depth = 0usize;
        while let Some(c) = self.bump() {
            match c {
                '[' => depth += 1,
                ']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                '\'' | '"' => {
                    while let Some(q) = self.bump() {
                        if q == '\\' {
                            self.pos += 1;
                        } else if q == c {
                            break;
                        }
                    }
                }
                _ => {}
            }
        }
        Err(format!("unclosed '[' at position {open}"))
    }
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn compile_path(text: &str) -> Result<Path, String> {
    Path::parse(text).map_err(|e| format!("invalid path argument '{text}': {}", e.reason))
}
