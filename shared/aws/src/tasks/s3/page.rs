//! The request's optional `Page: {"Size": n, "Cursor": c}` and the reading of the
//! cursors the readers hand out. A cursor is the reader's own small JSON object; the
//! caller stores it and passes it back verbatim, so whatever comes back is checked as
//! untrusted input: a field that is missing or of the wrong type is
//! `States.ItemReaderFailed`, never a panic or a silent restart from the beginning.

use serde_json::{Map, Value};

/// One page of a paged read.
#[derive(Debug, PartialEq)]
pub(crate) struct Page<'a> {
    pub size: usize,
    /// `None` for the first page.
    pub cursor: Option<Cursor<'a>>,
}

impl<'a> Page<'a> {
    /// `None` without a `Page` field: the whole source in one answer.
    pub(crate) fn of(parameters: &'a Value) -> Result<Option<Self>, String> {
        let Some(page) = parameters.get("Page") else {
            return Ok(None);
        };
        let size = page
            .get("Size")
            .and_then(Value::as_u64)
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                format!("The ItemReader's Page.Size must be a positive integer, not {page}.")
            })?;
        let cursor = match page.get("Cursor") {
            None | Some(Value::Null) => None,
            Some(Value::Object(fields)) => Some(Cursor(fields)),
            Some(other) => return Err(Cursor::refused(other, "it is not an object")),
        };
        Ok(Some(Self {
            size: usize::try_from(size).unwrap_or(usize::MAX),
            cursor,
        }))
    }
}

/// A cursor a reader returned, as it comes back.
#[derive(Debug, PartialEq)]
pub(crate) struct Cursor<'a>(&'a Map<String, Value>);

impl Cursor<'_> {
    pub(crate) fn u64(&self, field: &str) -> Result<u64, String> {
        self.0
            .get(field)
            .and_then(Value::as_u64)
            .ok_or_else(|| self.missing(field, "a non-negative integer"))
    }

    pub(crate) fn str(&self, field: &str) -> Result<&str, String> {
        self.0
            .get(field)
            .and_then(Value::as_str)
            .ok_or_else(|| self.missing(field, "a string"))
    }

    /// A field that may be absent.
    pub(crate) fn optional_str(&self, field: &str) -> Result<Option<&str>, String> {
        match self.0.get(field) {
            None => Ok(None),
            Some(_) => self.str(field).map(Some),
        }
    }

    /// A list of strings that may be absent (the CSV headers).
    pub(crate) fn optional_strings(&self, field: &str) -> Result<Option<Vec<String>>, String> {
        let Some(list) = self.0.get(field) else {
            return Ok(None);
        };
        list.as_array()
            .and_then(|l| {
                l.iter()
                    .map(|s| s.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            })
            .map(Some)
            .ok_or_else(|| self.missing(field, "a list of strings"))
    }

    /// The cursor named what the reader cannot resume from (an offset past the object).
    pub(crate) fn invalid(&self, why: &str) -> String {
        Self::refused(&Value::Object(self.0.clone()), why)
    }

    fn missing(&self, field: &str, what: &str) -> String {
        self.invalid(&format!("its field '{field}' must be {what}"))
    }

    fn refused(cursor: &Value, why: &str) -> String {
        format!("The ItemReader's Page.Cursor {cursor} is not one this reader returned: {why}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn no_page_reads_everything_and_a_page_needs_a_positive_size() {
        assert_eq!(Page::of(&json!({"ReaderConfig": {}})), Ok(None));
        let first = json!({"Page": {"Size": 7, "Cursor": null}});
        assert_eq!(
            Page::of(&first),
            Ok(Some(Page {
                size: 7,
                cursor: None
            }))
        );
        for size in [json!(0), json!(-1), json!("7"), json!(null)] {
            let err = Page::of(&json!({"Page": {"Size": size}})).unwrap_err();
            assert!(err.contains("Page.Size"), "{err}");
        }
    }

    #[test]
    fn cursor_fields_are_checked() {
        let request = json!({"Page": {"Size": 1, "Cursor": {"Offset": 12, "ETag": "\"e\"", "Headers": ["a", 1]}}});
        let page = Page::of(&request).expect("a page").expect("paged");
        let cursor = page.cursor.expect("a cursor");
        assert_eq!(cursor.u64("Offset"), Ok(12));
        assert_eq!(cursor.optional_str("ETag"), Ok(Some("\"e\"")));
        assert_eq!(cursor.optional_str("VersionId"), Ok(None));
        let err = cursor.u64("Row").unwrap_err();
        assert!(
            err.starts_with("The ItemReader's Page.Cursor {")
                && err.ends_with("its field 'Row' must be a non-negative integer."),
            "{err}"
        );
        assert!(cursor.optional_strings("Headers").is_err());
        let err = Page::of(&json!({"Page": {"Size": 1, "Cursor": "abc"}})).unwrap_err();
        assert!(err.contains("it is not an object"), "{err}");
    }
}
