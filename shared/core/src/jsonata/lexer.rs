//! JSONata tokens (jsonata-js `tokenizer`): names, `$variables`, literals, operators and
//! regular expressions, which are only recognised where an operand is expected.

use std::rc::Rc;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Name(String),
    Var(String),
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
    /// A regex literal: pattern and flags.
    Regex(Rc<str>, Rc<str>),
    Op(&'static str),
    End,
}

const OPS2: &[&str] = &["..", ":=", "!=", ">=", "<=", "**", "~>", "?:", "??"];
const OPS1: &[&str] = &[
    ".", "[", "]", "{", "}", "(", ")", ",", "@", "#", ";", ":", "?", "+", "-", "*", "/", "%", "|",
    "=", "<", ">", "^", "&", "!", "~",
];

pub(crate) struct Lexer<'s> {
    src: &'s str,
    pos: usize,
}

pub(crate) type Error = (usize, String);

impl<'s> Lexer<'s> {
    pub fn new(src: &'s str) -> Self {
        Lexer { src, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    fn rest(&self) -> &'s str {
        &self.src[self.pos..]
    }

    /// The next token; `operand` says whether a `/` starts a regex here.
    pub fn next(&mut self, operand: bool) -> Result<Tok, Error> {
        loop {
            let rest = self.rest();
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if let Some(body) = self.rest().strip_prefix("/*") {
                let end = body
                    .find("*/")
                    .ok_or((self.pos, "S0106: Comment has no closing tag".to_string()))?;
                self.pos += end + 4;
                continue;
            }
            break;
        }
        let rest = self.rest();
        let Some(c) = rest.chars().next() else {
            return Ok(Tok::End);
        };
        if operand && c == '/' {
            return self.regex();
        }
        if let Some(op) = OPS2.iter().find(|op| rest.starts_with(**op)) {
            // `..` followed by a digit is still the range operator; `.5` is not a number.
            self.pos += 2;
            return Ok(Tok::Op(op));
        }
        if let Some(op) = OPS1.iter().find(|op| rest.starts_with(**op)) {
            self.pos += 1;
            return Ok(Tok::Op(op));
        }
        match c {
            '"' | '\'' => self.string(c),
            '`' => {
                let body = &rest[1..];
                let end = body.find('`').ok_or((
                    self.pos,
                    "S0105: Quoted property name must be terminated with a backquote (`)"
                        .to_string(),
                ))?;
                self.pos += end + 2;
                Ok(Tok::Name(body[..end].to_string()))
            }
            '0'..='9' => self.number(),
            _ => {
                let len = rest
                    .char_indices()
                    .find(|(_, c)| {
                        c.is_whitespace()
                            || OPS1.iter().any(|op| op.starts_with(*c))
                            || *c == '"'
                            || *c == '\''
                            || *c == '`'
                    })
                    .map_or(rest.len(), |(i, _)| i);
                let len = if len == 0 { c.len_utf8() } else { len };
                let word = &rest[..len];
                self.pos += len;
                if let Some(name) = word.strip_prefix('$') {
                    return Ok(Tok::Var(name.to_string()));
                }
                Ok(match word {
                    "true" => Tok::Bool(true),
                    "false" => Tok::Bool(false),
                    "null" => Tok::Null,
                    _ => Tok::Name(word.to_string()),
                })
            }
        }
    }

    fn number(&mut self) -> Result<Tok, Error> {
        let b = self.rest().as_bytes();
        let mut i = 0;
        let digits = |b: &[u8], mut i: usize| {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            i
        };
        i = digits(b, i);
        if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
            i = digits(b, i + 1);
        }
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            let mut j = i + 1;
            if j < b.len() && (b[j] == b'+' || b[j] == b'-') {
                j += 1;
            }
            if j < b.len() && b[j].is_ascii_digit() {
                i = digits(b, j);
            }
        }
        let text = &self.rest()[..i];
        let n: f64 = text
            .parse()
            .map_err(|_| (self.pos, format!("S0102: Number out of range: {text}")))?;
        if !n.is_finite() {
            return Err((self.pos, format!("S0102: Number out of range: {text}")));
        }
        self.pos += i;
        Ok(Tok::Num(n))
    }

    fn string(&mut self, quote: char) -> Result<Tok, Error> {
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.rest()[1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                c if c == quote => {
                    self.pos += i + 2;
                    return Ok(Tok::Str(out));
                }
                '\\' => {
                    let Some((_, e)) = chars.next() else { break };
                    match e {
                        '"' | '\\' | '/' | '\'' => out.push(e),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let hex: String = (0..4)
                                .filter_map(|_| chars.next().map(|(_, c)| c))
                                .collect();
                            let unit = u32::from_str_radix(&hex, 16)
                                .map_err(|_| (start, "S0104: The escape sequence \\u must be followed by 4 hex digits".to_string()))?;
                            let code = if (0xD800..0xDC00).contains(&unit) {
                                // A surrogate pair: the low half follows as `\uXXXX`.
                                let low: String = (0..6)
                                    .filter_map(|_| chars.next().map(|(_, c)| c))
                                    .collect();
                                let low = low
                                    .strip_prefix("\\u")
                                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                                    .unwrap_or(0xDC00);
                                0x10000
                                    + ((unit - 0xD800) << 10)
                                    + (low.saturating_sub(0xDC00) & 0x3FF)
                            } else {
                                unit
                            };
                            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                        }
                        other => {
                            return Err((
                                start,
                                format!("S0103: Unsupported escape sequence: \\{other}"),
                            ))
                        }
                    }
                }
                c => out.push(c),
            }
        }
        Err((
            start,
            "S0101: String literal must be terminated by a matching quote".to_string(),
        ))
    }

    fn regex(&mut self) -> Result<Tok, Error> {
        let start = self.pos;
        let body = &self.rest()[1..];
        let mut escaped = false;
        let mut in_class = false;
        for (i, c) in body.char_indices() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '[' => in_class = true,
                ']' => in_class = false,
                '/' if !in_class => {
                    let pattern = &body[..i];
                    if pattern.is_empty() {
                        return Err((
                            start,
                            "S0301: Empty regular expressions are not allowed".into(),
                        ));
                    }
                    let after = &body[i + 1..];
                    let flags_len = after
                        .find(|c: char| !matches!(c, 'i' | 'm'))
                        .unwrap_or(after.len());
                    self.pos += i + 2 + flags_len;
                    return Ok(Tok::Regex(Rc::from(pattern), Rc::from(&after[..flags_len])));
                }
                _ => {}
            }
        }
        Err((
            start,
            "S0302: No terminating / in regular expression".into(),
        ))
    }
}
