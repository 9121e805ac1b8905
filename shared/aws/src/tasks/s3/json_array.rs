//! A JSON array read element by element as the bytes arrive. The scanner only finds where
//! each top-level element ends (a `,` or `]` outside strings and nested brackets); every
//! element is then parsed on its own by serde_json, which is what validates it. So one
//! element is held at a time, not the array, and a page knows the byte offset just past
//! the `,` after its last element: the next page's ranged GET starts there.

use super::Items;

#[derive(Debug)]
pub(crate) struct JsonArray {
    state: State,
    /// The bytes of the element being read, across chunks.
    element: Vec<u8>,
    /// Brackets and braces open inside the element.
    depth: u32,
    in_string: bool,
    escaped: bool,
    /// Elements read so far: an error names the element by its index in the array.
    index: u64,
    /// Offset in the object of the first byte after the last `,` or `]` read.
    next: u64,
    /// Offset of the next byte `feed` receives.
    fed: u64,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    /// Before the `[`.
    Before,
    /// Reading an element; `first` until a `,` was read (only `[]` may have no element).
    Inside { first: bool },
    /// After the closing `]`: only whitespace may follow.
    After,
}

impl JsonArray {
    /// A scanner at the start of the object.
    pub(crate) fn new() -> Self {
        Self::at(State::Before, 0, 0)
    }

    /// A scanner just after the `,` that ends element `index - 1`, at byte `offset`.
    pub(crate) fn resume(offset: u64, index: u64) -> Self {
        Self::at(State::Inside { first: false }, offset, index)
    }

    fn at(state: State, offset: u64, index: u64) -> Self {
        Self {
            state,
            element: Vec::new(),
            depth: 0,
            in_string: false,
            escaped: false,
            index,
            next: offset,
            fed: offset,
        }
    }

    /// Where the element after the last one read starts and its index; `None` once the
    /// closing `]` was read.
    pub(crate) fn position(&self) -> Option<(u64, u64)> {
        (self.state != State::After).then_some((self.next, self.index))
    }

    /// Reads `chunk`; stops right after the delimiter of the element that fills `items`.
    pub(crate) fn feed(&mut self, chunk: &[u8], items: &mut Items) -> Result<(), String> {
        let base = self.fed;
        let mut start = 0;
        for (i, &byte) in chunk.iter().enumerate() {
            match self.state {
                State::Before | State::After if byte.is_ascii_whitespace() => {}
                State::Before if byte == b'[' => {
                    self.state = State::Inside { first: true };
                    start = i + 1;
                }
                State::Before => {
                    return Err(format!(
                        "the object is not a JSON array: it starts with '{}'",
                        char::from(byte).escape_default()
                    ))
                }
                State::After => {
                    return Err(format!(
                        "the object is not a JSON array: byte {} follows its closing ']'",
                        base + i as u64
                    ))
                }
                State::Inside { first } => {
                    if !self.delimits(byte) {
                        continue;
                    }
                    self.element.extend_from_slice(&chunk[start..i]);
                    start = i + 1;
                    let closing = byte == b']';
                    self.end_element(first, closing, items)?;
                    self.next = base + start as u64;
                    self.state = if closing {
                        State::After
                    } else {
                        State::Inside { first: false }
                    };
                    if items.full() && !closing {
                        self.fed = self.next;
                        return Ok(());
                    }
                }
            }
        }
        if matches!(self.state, State::Inside { .. }) {
            self.element.extend_from_slice(&chunk[start..]);
        }
        self.fed = base + chunk.len() as u64;
        Ok(())
    }

    /// The object ended: the array must have been closed.
    pub(crate) fn finish(&self) -> Result<(), String> {
        match self.state {
            State::After => Ok(()),
            State::Before => Err("the object is not a JSON array: it is empty".to_owned()),
            State::Inside { .. } => {
                Err("the object is not a JSON array: it ends before its closing ']'".to_owned())
            }
        }
    }

    /// Whether `byte` ends the element (a `,` or `]` outside strings and brackets), keeping
    /// count of strings and brackets on the way.
    fn delimits(&mut self, byte: u8) -> bool {
        if self.in_string {
            match byte {
                _ if self.escaped => self.escaped = false,
                b'\\' => self.escaped = true,
                b'"' => self.in_string = false,
                _ => {}
            }
            return false;
        }
        match byte {
            b'"' => self.in_string = true,
            b'[' | b'{' => self.depth += 1,
            b',' | b']' if self.depth == 0 => return true,
            // A stray `}` at depth 0 stays in the element, where serde_json refuses it.
            b']' | b'}' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        false
    }

    fn end_element(&mut self, first: bool, closing: bool, items: &mut Items) -> Result<(), String> {
        let element = std::mem::take(&mut self.element);
        if element.iter().all(u8::is_ascii_whitespace) {
            // `[]` is the only array with an empty slot.
            if first && closing {
                return Ok(());
            }
            return Err(format!(
                "the object is not a JSON array: element {} is missing",
                self.index
            ));
        }
        let item = serde_json::from_slice(&element).map_err(|e| {
            format!(
                "the object is not a JSON array: element {} is not JSON: {e}",
                self.index
            )
        })?;
        self.index += 1;
        items.push(item);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// A page's items and where the next one starts.
    type Page = (Vec<Value>, Option<(u64, u64)>);

    /// Reads `text` in chunks of `chunk` bytes from `at` (offset, index), `size` items.
    fn page(
        text: &[u8],
        at: Option<(u64, u64)>,
        size: Option<usize>,
        chunk: usize,
    ) -> Result<Page, String> {
        let mut items = Items::new(size);
        let (mut array, start) = match at {
            None => (JsonArray::new(), 0),
            Some((offset, index)) => (JsonArray::resume(offset, index), offset),
        };
        let start = usize::try_from(start).expect("small");
        for piece in text[start..].chunks(chunk) {
            array.feed(piece, &mut items)?;
            if items.full() {
                return Ok((items.into_vec(), array.position()));
            }
        }
        array.finish()?;
        Ok((items.into_vec(), array.position()))
    }

    const TEXT: &[u8] = br#" [ {"a": [1, "]", {"b": "x\",y"}]}, "s,]" ,3, [] ,{} ] "#;

    #[test]
    fn elements_split_anywhere_parse_as_the_whole_array_does() {
        let whole: Vec<Value> = serde_json::from_slice(TEXT).expect("an array");
        for chunk in 1..TEXT.len() {
            assert_eq!(page(TEXT, None, None, chunk), Ok((whole.clone(), None)));
        }
        for empty in [&b"[]"[..], b" [ \n ] \n"] {
            assert_eq!(page(empty, None, None, 1), Ok((vec![], None)));
        }
    }

    #[test]
    fn a_page_ends_just_past_the_comma_after_its_last_element() {
        let whole: Vec<Value> = serde_json::from_slice(TEXT).expect("an array");
        for size in 1..=5 {
            for chunk in [1, 4, 100] {
                let (mut read, mut at) = page(TEXT, None, Some(size), chunk).expect("parses");
                while let Some(next) = at {
                    let (more, then) = page(TEXT, Some(next), Some(size), chunk).expect("parses");
                    assert!(more.len() <= size);
                    read.extend(more);
                    at = then;
                }
                assert_eq!(read, whole, "pages of {size} in chunks of {chunk}");
            }
        }
        // The first page of 2: the offset of the byte after the second comma.
        let (_, at) = page(TEXT, None, Some(2), 100).expect("parses");
        let offset = usize::try_from(at.expect("more").0).expect("small");
        assert_eq!(&TEXT[offset - 2..offset], b" ,");
        assert_eq!(at.map(|a| a.1), Some(2));
        // The last element fills the page and the `]` is read: nothing follows.
        assert_eq!(
            page(b"[1,2]", None, Some(2), 100),
            Ok((vec![json!(1), json!(2)], None))
        );
    }

    #[test]
    fn what_is_not_an_array_is_refused() {
        for (text, problem) in [
            (&b"{\"a\": 1}"[..], "it starts with '{'"),
            (b"", "it is empty"),
            (b"[1, 2", "ends before its closing ']'"),
            (b"[1,,2]", "element 1 is missing"),
            (b"[1,]", "element 1 is missing"),
            (b"[1 2]", "element 0 is not JSON"),
            (b"[1, {]", "ends before its closing ']'"),
            (b"[1, {]}]", "element 1 is not JSON"),
            (b"[1] x", "byte 4 follows its closing ']'"),
        ] {
            let err = page(text, None, None, 2).unwrap_err();
            assert!(
                err.starts_with("the object is not a JSON array: ") && err.contains(problem),
                "{}: {err}",
                String::from_utf8_lossy(text)
            );
        }
        // A later page names elements by their index in the whole array.
        let err = page(b"[1,2,x]", Some((5, 2)), None, 1).unwrap_err();
        assert!(err.contains("element 2 is not JSON"), "{err}");
    }
}
