//! JSON Lines: each complete line is parsed as it arrives; only a partial line waits.
//! The parser counts the bytes of the lines it has parsed, so a page that stops after an
//! item knows the byte offset of the next line: the next page's ranged GET starts there.

use super::Items;

#[derive(Debug, Default)]
pub(crate) struct JsonLines {
    partial: Vec<u8>,
    /// Lines read so far, blank ones too: an error names the line as an editor numbers it.
    line: u64,
    /// Offset in the object of the first byte of the line not yet parsed.
    next: u64,
}

impl JsonLines {
    /// A parser whose first byte is at `offset`, after `line` lines.
    pub(crate) fn resume(offset: u64, line: u64) -> Self {
        Self {
            partial: Vec::new(),
            line,
            next: offset,
        }
    }

    /// Where the line after the last one parsed starts, and how many lines precede it.
    pub(crate) fn position(&self) -> (u64, u64) {
        (self.next, self.line)
    }

    /// Parses the complete lines of `chunk`; stops right after the line that fills `items`.
    pub(crate) fn feed(&mut self, mut chunk: &[u8], items: &mut Items) -> Result<(), String> {
        while let Some(end) = chunk.iter().position(|&b| b == b'\n') {
            let length = self.partial.len() + end + 1;
            let line = if self.partial.is_empty() {
                self.parse(&chunk[..end], items)
            } else {
                self.partial.extend_from_slice(&chunk[..end]);
                let whole = std::mem::take(&mut self.partial);
                self.parse(&whole, items)
            };
            line?;
            self.next += length as u64;
            chunk = &chunk[end + 1..];
            if items.full() {
                return Ok(());
            }
        }
        self.partial.extend_from_slice(chunk);
        Ok(())
    }

    /// The object ended: its last line may lack a newline.
    pub(crate) fn finish(&mut self, items: &mut Items) -> Result<(), String> {
        let rest = std::mem::take(&mut self.partial);
        self.parse(&rest, items)?;
        self.next += rest.len() as u64;
        Ok(())
    }

    fn parse(&mut self, line: &[u8], items: &mut Items) -> Result<(), String> {
        self.line += 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            return Ok(());
        }
        let item = serde_json::from_slice(line)
            .map_err(|e| format!("line {} is not JSON: {e}", self.line))?;
        items.push(item);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn json_lines_split_across_chunks() {
        let mut items = Items::new(None);
        let mut lines = JsonLines::default();
        lines
            .feed(b"{\"a\":1}\n{\"a\"", &mut items)
            .expect("parses");
        lines.feed(b":2}\r\n\n[3]", &mut items).expect("parses");
        lines.finish(&mut items).expect("parses");
        assert_eq!(
            items.into_vec(),
            vec![json!({"a": 1}), json!({"a": 2}), json!([3])]
        );
        assert_eq!(lines.position(), (21, 4));
        let mut lines = JsonLines::default();
        let err = lines.feed(b"1\nnope\n", &mut Items::new(None)).unwrap_err();
        assert!(err.starts_with("line 2 is not JSON"), "{err}");
    }

    /// Reads `text` from `offset` (after `line` lines) in chunks of 3 bytes, `size` items.
    fn page(text: &[u8], offset: u64, line: u64, size: usize) -> (Vec<Value>, (u64, u64)) {
        let mut items = Items::new(Some(size));
        let mut lines = JsonLines::resume(offset, line);
        let start = usize::try_from(offset).expect("small");
        for chunk in text[start..].chunks(3) {
            lines.feed(chunk, &mut items).expect("parses");
            if items.full() {
                return (items.into_vec(), lines.position());
            }
        }
        lines.finish(&mut items).expect("parses");
        (items.into_vec(), lines.position())
    }

    #[test]
    fn a_page_ends_at_the_offset_of_the_next_line() {
        let text = b"1\n\n22\r\n333\n4444";
        assert_eq!(page(text, 0, 0, 2), (vec![json!(1), json!(22)], (7, 3)));
        assert_eq!(
            page(text, 7, 3, 2),
            (vec![json!(333), json!(4444)], (15, 5))
        );
        // A later page names lines as the whole file numbers them.
        let mut lines = JsonLines::resume(7, 3);
        let err = lines.feed(b"x\n", &mut Items::new(None)).unwrap_err();
        assert!(err.starts_with("line 4 is not JSON"), "{err}");
    }
}
