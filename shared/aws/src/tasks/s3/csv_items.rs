//! CSV rows as items, parsed as the bytes arrive: `csv_core` is a push parser, so a body
//! is fed chunk by chunk and never held whole (quoted fields may span lines and chunks).

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
    row: u64,
}

impl CsvItems {
    pub(crate) fn new(delimiter: u8, headers: Option<Vec<String>>) -> Self {
        Self {
            parser: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            fields: vec![0; 4096],
            ends: vec![0; 64],
            used: (0, 0),
            headers,
            row: 0,
        }
    }

    /// Parses `input` (any slice of the file); complete rows go to `items`.
    pub(crate) fn feed(&mut self, mut input: &[u8], items: &mut Items) -> Result<(), String> {
        let at_end = input.is_empty();
        loop {
            let (result, read, written, ended) = self.parser.read_record(
                input,
                &mut self.fields[self.used.0..],
                &mut self.ends[self.used.1..],
            );
            input = &input[read..];
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
}
