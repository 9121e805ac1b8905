//! CSV rows as items, parsed as the bytes arrive: `csv_core` is a push parser, so a body
//! is fed chunk by chunk and never held whole (quoted fields may span lines and chunks).
//!
//! `csv_core` says how many input bytes each call consumed and returns a record only once
//! it has consumed the record's terminator, so the bytes counted when a record comes out
//! are the offset of the next record, also when a quoted field holds newlines: a page
//! resumes there. (A `\r\n` record is returned after its `\r`; the `\n` that starts the
//! next page is a blank line to a fresh parser, which skips it.)

use serde_json::{Map, Value};

use super::Items;

/// `ReaderConfig.CSVDelimiter`'s names for the field separator.
pub(crate) fn delimiter(name: Option<&str>) -> Result<u8, String> {
    match name.unwrap_or("COMMA") {
        "COMMA" => Ok(b','),
        "PIPE" => Ok(b'|'),
        "SEMICOLON" => Ok(b';'),
        "SPACE" => Ok(b' '),
        "TAB" => Ok(b'\t'),
        other => Err(format!("Unknown CSVDelimiter '{other}'.")),
    }
}

/// Turns CSV bytes into `{header: field}` items.
#[derive(Debug)]
pub(crate) struct CsvItems {
    parser: csv_core::Reader,
    /// Field bytes of the record being parsed, and where each field ends in them.
    fields: Vec<u8>,
    ends: Vec<usize>,
    used: (usize, usize),
    /// `None` until the first row gives them (`CSVHeaderLocation: FIRST_ROW`).
    headers: Option<Vec<String>>,
    /// Records read so far (the header row too): an error names the row by its number.
    row: u64,
    /// Offset in the file of the next byte to parse.
    offset: u64,
    /// Records still to parse without making items (a page of a file that cannot seek).
    skip: u64,
}

impl CsvItems {
    pub(crate) fn new(delimiter: u8, headers: Option<Vec<String>>) -> Self {
        Self::resume(delimiter, headers, 0, 0)
    }

    /// A parser whose first byte is at `offset` of the file, a record boundary after `row`
    /// records.
    pub(crate) fn resume(
        delimiter: u8,
        headers: Option<Vec<String>>,
        offset: u64,
        row: u64,
    ) -> Self {
        Self {
            parser: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            fields: vec![0; 4096],
            ends: vec![0; 64],
            used: (0, 0),
            headers,
            row,
            offset,
            skip: 0,
        }
    }

    /// Parses the next `rows` records without making items of them.
    pub(crate) fn skipping(mut self, rows: u64) -> Self {
        self.skip = rows;
        self
    }

    /// Records `skipping` asked to skip that the input has not held yet.
    pub(crate) fn skipping_left(&self) -> u64 {
        self.skip
    }

    /// Where the record after the last one parsed starts, and how many records precede it.
    pub(crate) fn position(&self) -> (u64, u64) {
        (self.offset, self.row)
    }

    /// The headers, once known.
    pub(crate) fn headers(&self) -> Option<&[String]> {
        self.headers.as_deref()
    }

    /// Parses `input` (any slice of the file); complete rows go to `items`. Stops right
    /// after the record that fills `items`.
    pub(crate) fn feed(&mut self, mut input: &[u8], items: &mut Items) -> Result<(), String> {
        let at_end = input.is_empty();
        loop {
            let (result, read, written, ended) = self.parser.read_record(
                input,
                &mut self.fields[self.used.0..],
                &mut self.ends[self.used.1..],
            );
            input = &input[read..];
            self.offset += read as u64;
            self.used.0 += written;
            self.used.1 += ended;
            match result {
                csv_core::ReadRecordResult::InputEmpty if !at_end => return Ok(()),
                csv_core::ReadRecordResult::InputEmpty => {}
                csv_core::ReadRecordResult::OutputFull => {
                    let len = self.fields.len();
                    self.fields.resize(len * 2, 0);
                }
                csv_core::ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(len * 2, 0);
                }
                csv_core::ReadRecordResult::Record => {
                    self.record(items)?;
                    if items.full() {
                        return Ok(());
                    }
                }
                csv_core::ReadRecordResult::End => return Ok(()),
            }
        }
    }

    /// Ends the input: the last row may lack its newline.
    pub(crate) fn finish(&mut self, items: &mut Items) -> Result<(), String> {
        if items.full() {
            return Ok(());
        }
        self.feed(&[], items)
    }

    fn record(&mut self, items: &mut Items) -> Result<(), String> {
        self.row += 1;
        let (bytes, count) = self.used;
        self.used = (0, 0);
        if self.skip > 0 && self.headers.is_some() {
            self.skip -= 1;
            return Ok(());
        }
        let mut fields = Vec::with_capacity(count);
        let mut start = 0;
        for &end in &self.ends[..count] {
            let field = std::str::from_utf8(&self.fields[start..end.min(bytes)])
                .map_err(|_| format!("Row {} of the CSV file is not valid UTF-8.", self.row))?;
            fields.push(field.to_owned());
            start = end;
        }
        let Some(headers) = &self.headers else {
            self.headers = Some(fields);
            return Ok(());
        };
        if fields.len() != headers.len() {
            return Err(format!(
                "Row {} of the CSV file has {} fields but there are {} headers.",
                self.row,
                fields.len(),
                headers.len()
            ));
        }
        let item: Map<String, Value> = headers
            .iter()
            .cloned()
            .zip(fields.into_iter().map(Value::String))
            .collect();
        items.push(Value::Object(item));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(chunks: &[&[u8]], delimiter: u8, headers: Option<Vec<String>>) -> Vec<Value> {
        let mut items = Items::new(None);
        let mut csv = CsvItems::new(delimiter, headers);
        for chunk in chunks {
            csv.feed(chunk, &mut items).expect("parses");
        }
        csv.finish(&mut items).expect("parses");
        items.into_vec()
    }

    #[test]
    fn the_first_row_names_the_fields_and_rows_may_split_anywhere() {
        let items = parse(
            &[b"id,na", b"me\n1,\"a, \"\"b\"\"\n", b"c\"\n2,d"],
            b',',
            None,
        );
        assert_eq!(
            items,
            vec![
                json!({"id": "1", "name": "a, \"b\"\nc"}),
                json!({"id": "2", "name": "d"})
            ]
        );
    }

    #[test]
    fn given_headers_and_other_delimiters() {
        let headers = Some(vec!["a".to_owned(), "b".to_owned()]);
        assert_eq!(
            parse(&[b"1|2\n3|4\n"], b'|', headers),
            vec![json!({"a": "1", "b": "2"}), json!({"a": "3", "b": "4"})]
        );
        assert_eq!(delimiter(Some("TAB")), Ok(b'\t'));
        assert!(delimiter(Some("COLON")).is_err());
    }

    #[test]
    fn a_row_with_the_wrong_number_of_fields_is_refused() {
        let mut items = Items::new(None);
        let mut csv = CsvItems::new(b',', None);
        let err = csv.feed(b"a,b\n1,2,3\n", &mut items).unwrap_err();
        assert!(err.contains("Row 2"), "{err}");
    }

    #[test]
    fn reading_stops_at_max_items() {
        let mut items = Items::new(Some(2));
        let mut csv = CsvItems::new(b',', None);
        csv.feed(b"a\n1\n2\n3\n4\n", &mut items).expect("parses");
        csv.finish(&mut items).expect("parses");
        assert_eq!(items.into_vec(), vec![json!({"a": "1"}), json!({"a": "2"})]);
    }

    /// Reads `text` page after page of `size` rows, in chunks of `chunk` bytes, each page
    /// with a fresh parser at the previous page's offset (as a ranged GET gives it).
    fn pages(text: &[u8], size: usize, chunk: usize) -> Vec<Vec<Value>> {
        let (mut offset, mut row, mut headers) = (0, 0, None);
        let mut pages = Vec::new();
        loop {
            let mut items = Items::new(Some(size));
            let mut csv = CsvItems::resume(b',', headers.clone(), offset, row);
            let start = usize::try_from(offset).expect("small");
            for piece in text[start..].chunks(chunk) {
                csv.feed(piece, &mut items).expect("parses");
                if items.full() {
                    break;
                }
            }
            let more = items.full();
            if !more {
                csv.finish(&mut items).expect("parses");
            }
            pages.push(items.into_vec());
            (offset, row) = csv.position();
            headers = csv.headers().map(<[String]>::to_vec);
            if !more || offset >= text.len() as u64 {
                return pages;
            }
        }
    }

    #[test]
    fn a_page_resumes_at_the_next_record_even_after_quoted_newlines() {
        let text = b"id,note\r\n1,\"two\r\nlines\"\r\n2,\"a,\n\n b\"\n\n3,x\r\n4,\"\"\"q\"\"\"";
        let whole = parse(&[text], b',', None);
        assert_eq!(whole.len(), 4);
        assert_eq!(whole[1], json!({"id": "2", "note": "a,\n\n b"}));
        for size in 1..=4 {
            for chunk in [1, 2, 5, 100] {
                let pages = pages(text, size, chunk);
                assert!(pages.iter().all(|p| p.len() <= size));
                assert_eq!(pages.concat(), whole, "pages of {size}, chunks of {chunk}");
            }
        }
        // The offset after the first data row is the first byte of the second.
        let mut items = Items::new(Some(1));
        let mut csv = CsvItems::new(b',', None);
        csv.feed(text, &mut items).expect("parses");
        let (offset, row) = csv.position();
        assert_eq!(row, 2);
        assert!(text[usize::try_from(offset).expect("small")..].starts_with(b"\n2,"));
    }

    #[test]
    fn later_pages_name_rows_as_the_whole_file_does() {
        let mut csv = CsvItems::resume(b',', Some(vec!["a".into()]), 10, 5);
        let err = csv.feed(b"1,2\n", &mut Items::new(None)).unwrap_err();
        assert!(err.contains("Row 6 "), "{err}");
    }

    #[test]
    fn skipped_rows_make_no_items() {
        let mut items = Items::new(None);
        let mut csv = CsvItems::new(b',', Some(vec!["a".into()])).skipping(2);
        csv.feed(b"1\n2\n3\n", &mut items).expect("parses");
        csv.finish(&mut items).expect("parses");
        assert_eq!(items.into_vec(), vec![json!({"a": "3"})]);
        assert_eq!((csv.position(), csv.skipping_left()), ((6, 3), 0));
    }
}
