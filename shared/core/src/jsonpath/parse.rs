//! The path tokeniser. It follows Jayway's `PathCompiler` (the Java library whose behaviour
//! AWS Step Functions shows) token for token, including its leniencies, so that a path
//! AWS accepts is accepted here and splits into the same steps.

use super::{filter, Segment, Slice};

/// What a path is anchored on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Anchor {
    /// `$`
    Input,
    /// `$$`
    Context,
    /// `@`, only inside filters.
    Current,
}

#[derive(Debug)]
pub(super) struct Parsed {
    pub anchor: Anchor,
    pub segments: Vec<Segment>,
    /// A dot-notation name holds one of `@ , : ? *`, which AWS refuses in reference paths
    /// even though Jayway reads them as part of the name.
    pub dotted_operator: bool,
}

pub(super) fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Index of the first non-blank byte at or after `from`, with the byte.
pub(super) fn next_significant(b: &[u8], from: usize) -> Option<(usize, u8)> {
    b.iter()
        .enumerate()
        .skip(from)
        .find(|(_, c)| !is_blank(**c))
        .map(|(i, c)| (i, *c))
}

/// Index just past the quoted string opening at `open` (backslash escapes the next byte).
pub(super) fn skip_quoted(b: &[u8], open: usize) -> Option<usize> {
    let quote = *b.get(open)?;
    let mut i = open + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            c if c == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

pub(super) fn parse(text: &str, allow_current: bool) -> Result<Parsed, String> {
    // Jayway trims the path before compiling it.
    let text = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
    let b = text.as_bytes();
    let (anchor, start) = match b.first() {
        Some(b'$') if b.get(1) == Some(&b'$') => (Anchor::Context, 2),
        Some(b'$') => (Anchor::Input, 1),
        Some(b'@') if allow_current => (Anchor::Current, 1),
        Some(_) => return Err("a path must start with '$'".to_owned()),
        None => return Err("the path is empty".to_owned()),
    };
    if b.len() > start && b.ends_with(b".") {
        return Err("a path must not end with '.' or '..'".to_owned());
    }
    let mut p = Parser {
        text,
        b,
        pos: start,
        segments: Vec::new(),
        dotted_operator: false,
    };
    if p.pos < b.len() {
        if !matches!(b[p.pos], b'.' | b'[') {
            return Err(format!(
                "illegal character at position {}: expected '.' or '['",
                p.pos
            ));
        }
        p.read_token()?;
        // Jayway stops reading once at most one character is left after a token
        // (`currentIsTail`), so a single trailing character is ignored, as on AWS.
        while p.pos + 1 < b.len() {
            p.read_token()?;
        }
    }
    Ok(Parsed {
        anchor,
        segments: p.segments,
        dotted_operator: p.dotted_operator,
    })
}

struct Parser<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    segments: Vec<Segment>,
    dotted_operator: bool,
}

impl Parser<'_> {
    fn read_token(&mut self) -> Result<(), String> {
        match self.b.get(self.pos) {
            Some(b'[') => self.read_bracket(),
            Some(b'.') => self.read_dot(),
            Some(b'*') => {
                self.pos += 1;
                self.segments.push(Segment::Wildcard);
                Ok(())
            }
            Some(b' ') => Err(format!(
                "could not parse token starting at position {}",
                self.pos
            )),
            Some(_) => self.read_name(),
            None => Err("unexpected end of path".to_owned()),
        }
    }

    fn read_dot(&mut self) -> Result<(), String> {
        if self.b.get(self.pos + 1) == Some(&b'.') {
            self.segments.push(Segment::Scan);
            self.pos += 2;
        } else if self.pos + 1 >= self.b.len() {
            return Err("a path must not end with '.'".to_owned());
        } else {
            self.pos += 1;
        }
        if self.b.get(self.pos) == Some(&b'.') {
            return Err(format!(
                "character '.' at position {} is not valid",
                self.pos
            ));
        }
        self.read_token()
    }

    /// A dot-notation name runs to the next `.`, `[` or `(`; only a space is refused.
    fn read_name(&mut self) -> Result<(), String> {
        let start = self.pos;
        let mut i = start;
        while i < self.b.len() {
            match self.b[i] {
                b' ' => {
                    return Err(format!(
                        "use bracket notation ['my prop'] for a property containing blanks (position {start})"
                    ))
                }
                b'.' | b'[' => break,
                b'(' => return self.read_function(start, i),
                _ => i += 1,
            }
        }
        let name = &self.text[start..i];
        if name
            .bytes()
            .any(|c| matches!(c, b'@' | b',' | b':' | b'?' | b'*'))
        {
            self.dotted_operator = true;
        }
        self.segments.push(Segment::Name(name.into()));
        self.pos = i;
        Ok(())
    }

    /// `name(...)`: Jayway functions. AWS accepts them but they never match
    /// (`$.Jobs.sum()` fails with "could not be found"), so only the syntax is checked.
    fn read_function(&mut self, start: usize, open: usize) -> Result<(), String> {
        let name = &self.text[start..open];
        let mut depth = 1usize;
        let mut i = open + 1;
        while i < self.b.len() {
            match self.b[i] {
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            i += 1;
        }
        if depth != 0 {
            return Err(format!(
                "arguments to function '{name}' are not closed properly"
            ));
        }
        self.segments.push(Segment::Function(name.into()));
        self.pos = i + 1;
        Ok(())
    }

    fn read_bracket(&mut self) -> Result<(), String> {
        let pos = self.pos;
        let fail = || {
            Err(format!(
                "could not parse token starting at position {pos}: expected ?, ', 0-9 or *"
            ))
        };
        let Some((at, c)) = next_significant(self.b, self.pos + 1) else {
            return fail();
        };
        match c {
            b'\'' | b'"' => self.read_quoted_names(c),
            b'0'..=b'9' | b'-' | b':' => match self.read_array()? {
                true => Ok(()),
                false => fail(),
            },
            b'*' => match next_significant(self.b, at + 1) {
                Some((close, b']')) => {
                    self.segments.push(Segment::Wildcard);
                    self.pos = close + 1;
                    Ok(())
                }
                _ => Err(format!(
                    "expected wildcard token to end with ']' on position {}",
                    at + 1
                )),
            },
            b'?' => self.read_filter(at),
            _ => fail(),
        }
    }

    /// `['a']`, `["a"]`, `['a','b']`. A backslash only stops the next character from
    /// closing the name; it stays in the key (recorded AWS: `$['Test\""Name"']` selects
    /// the key `Test\""Name"`), as in the Jayway versions without `Utils.unescape`.
    fn read_quoted_names(&mut self, delim: u8) -> Result<(), String> {
        let b = self.b;
        let mut names: Vec<Box<str>> = Vec::new();
        let mut i = self.pos + 1;
        let mut start = i;
        let mut last_close = None;
        let (mut in_name, mut in_escape, mut after_comma) = (false, false, false);
        while i < b.len() {
            let c = b[i];
            if in_escape {
                in_escape = false;
            } else if c == b'\\' {
                in_escape = true;
            } else if c == b']' && !in_name {
                if after_comma {
                    return Err(format!("found empty property at index {i}"));
                }
                break;
            } else if c == delim {
                if in_name {
                    let next = next_significant(b, i + 1).map(|(_, c)| c);
                    if next != Some(b']') && next != Some(b',') {
                        return Err(format!(
                            "property must be separated by comma or terminated by ']' at index {i}"
                        ));
                    }
                    names.push(self.text[start..i].into());
                    last_close = Some(i);
                    in_name = false;
                } else {
                    start = i + 1;
                    in_name = true;
                    after_comma = false;
                }
            } else if c == b',' && !in_name {
                if after_comma {
                    return Err(format!("found empty property at index {i}"));
                }
                after_comma = true;
            }
            i += 1;
        }
        if in_name {
            return Err(format!(
                "property has not been closed - missing closing {}",
                delim as char
            ));
        }
        let close = match last_close.and_then(|end| next_significant(b, end + 1)) {
            Some((close, b']')) => close,
            _ => return Err("property has not been closed - missing closing ]".to_owned()),
        };
        self.pos = close + 1;
        self.segments.push(match names.len() {
            1 => Segment::Name(names.swap_remove(0)),
            _ => Segment::Names(names.into()),
        });
        Ok(())
    }

    /// `[1]`, `[-1]`, `[0, 2]`, `[1:3]`, `[:2]`, `[-2:]`. `Ok(false)`: not an array token.
    fn read_array(&mut self) -> Result<bool, String> {
        let begin = self.pos + 1;
        let Some(end) = self.b[begin..].iter().position(|c| *c == b']') else {
            return Ok(false);
        };
        let end = begin + end;
        let expr = self.text[begin..end].trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
        if !expr
            .bytes()
            .all(|c| c.is_ascii_digit() || b",-: ".contains(&c))
        {
            return Ok(false);
        }
        let segment = if expr.contains(':') {
            Segment::Slice(parse_slice(expr)?)
        } else {
            let mut indexes = expr
                .split(',')
                .map(|t| {
                    t.trim_matches(' ').parse::<i32>().map_err(|_| {
                        format!("failed to parse token in array index operation: '{t}'")
                    })
                })
                .collect::<Result<Vec<_>, _>>()?;
            match indexes.len() {
                1 => Segment::Index(indexes.swap_remove(0)),
                _ => Segment::Indexes(indexes.into()),
            }
        };
        self.segments.push(segment);
        self.pos = end + 1;
        Ok(true)
    }

    /// `[?( ... )]`: the expression runs to the `)` matching the first `(`, skipping
    /// quoted strings and regex literals, and must be followed by `]`.
    fn read_filter(&mut self, question: usize) -> Result<(), String> {
        let b = self.b;
        let open = match next_significant(b, question + 1) {
            Some((open, b'(')) => open,
            _ => return Err("expected '(' after '[?' in a filter".to_owned()),
        };
        let mut depth = 1usize;
        let mut i = open + 1;
        let close = loop {
            match b.get(i) {
                None => return Err("the filter's parentheses are not closed".to_owned()),
                Some(b'\'' | b'"') => {
                    i = skip_quoted(b, i).ok_or("a string in the filter is not closed")?;
                    continue;
                }
                Some(b'/') => {
                    i = skip_regex(b, i).ok_or("a regex in the filter is not closed")?;
                    continue;
                }
                Some(b'(') => depth += 1,
                Some(b')') => {
                    depth -= 1;
                    if depth == 0 {
                        break i;
                    }
                }
                Some(_) => {}
            }
            i += 1;
        };
        let end = match next_significant(b, close + 1) {
            Some((end, b']')) => end,
            _ => return Err("a filter must end with ')]'".to_owned()),
        };
        let expr = filter::parse(&self.text[open + 1..close])?;
        self.segments.push(Segment::Filter(Box::new(expr)));
        self.pos = end + 1;
        Ok(())
    }
}

fn skip_regex(b: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'/' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Jayway's `ArraySliceOperation.parse`: `from:to`; a third part (a step) is read past
/// and ignored, as Jayway does; blanks inside are refused.
fn parse_slice(expr: &str) -> Result<Slice, String> {
    let invalid = || format!("failed to parse slice operation: '{expr}'");
    if !expr
        .bytes()
        .all(|c| c.is_ascii_digit() || c == b'-' || c == b':')
    {
        return Err(invalid());
    }
    // Java's `String.split` drops trailing empty parts.
    let mut parts: Vec<&str> = expr.split(':').collect();
    while parts.last() == Some(&"") {
        parts.pop();
    }
    let read = |i: usize| -> Result<Option<i32>, String> {
        match parts.get(i) {
            None | Some(&"") => Ok(None),
            Some(t) => t.parse::<i32>().map(Some).map_err(|_| invalid()),
        }
    };
    match (read(0)?, read(1)?) {
        (Some(from), None) => Ok(Slice::From(from)),
        (Some(from), Some(to)) => Ok(Slice::Between(from, to)),
        (None, Some(to)) => Ok(Slice::To(to)),
        (None, None) => Err(invalid()),
    }
}
