//! A Distributed Map's `ItemReader`: the core does no I/O, so a Map with a reader asks the
//! caller for its items the way a Task asks for a result. It emits
//! [`Effect::InvokeTask`] with the reader's resource (`arn:aws:states:::s3:getObject` or
//! `…:s3:listObjectsV2`, which exist only as readers) and waits in [`Phase::Reading`]; the
//! task's result is the array of items, and the Map goes on as if it had found them in
//! its input. The task port's implementations recognise the resources (see
//! `stepwise_aws::tasks`), so the durable engine persists, retries and times the read out
//! as it does any task, with no machinery of its own.
//!
//! The request's parameters are `{"Parameters": {Bucket, Key | Prefix, …},
//! "ReaderConfig": {InputType, CSVHeaderLocation, …, "MaxItems": n}}`: the reader's
//! `Parameters` (or JSONata `Arguments`) evaluated against the Map's effective input, and
//! `ReaderConfig` with `MaxItemsPath` resolved.

use serde_json::{json, Map, Value};

use super::event::{Effect, Feed, TaskRequest};
use super::frame::{Frame, Phase};
use super::io::{effective_input, eval_template, select_or_fail};
use super::jsonata;
use super::map::Read;
use super::step::{Flow, Runner};
use crate::definition::{Count, ItemReader, Payload, StateKind};
use crate::failure::{names, Failure};

impl Runner<'_, '_, '_> {
    /// Asks the caller for the items; the Map waits in [`Phase::Reading`].
    pub(super) fn read_items(&mut self, frame: &mut Frame, reader: &ItemReader) -> Flow {
        match self.reader_request(frame, reader, None) {
            Ok(request) => {
                self.out.effects.push(Effect::InvokeTask(request));
                frame.phase = Phase::Reading;
                Flow::Suspend
            }
            Err(failure) => Flow::Fail(failure),
        }
    }

    /// The read of the first page (`feed` `None`), or of the page `feed` stands at.
    pub(super) fn reader_request(
        &mut self,
        frame: &Frame,
        reader: &ItemReader,
        feed: Option<&Feed>,
    ) -> Result<TaskRequest, Failure> {
        let ctx = self.context(frame);
        let state = self.state(frame);
        let effective = effective_input(&state.input_path, &frame.input, &ctx)?;
        let parameters = match &reader.parameters {
            None => Value::Object(Map::new()),
            Some(Payload::Template(template)) => {
                eval_template(template, &effective, &ctx, self.env.entropy)?
            }
            Some(Payload::Jsonata(arguments)) => {
                let states = self.states(&frame.input, None, &ctx);
                jsonata::eval(arguments, &states, self.env.now, self.env.entropy)?
            }
        };
        let mut config = reader.reader_config.clone();
        if let Some(max) = max_items(reader, &effective, &ctx)? {
            // Later pages ask only for what the earlier ones left.
            let read = feed.map_or(0, |feed| feed.items);
            config.insert("MaxItems".into(), max.saturating_sub(read).into());
        }
        let mut request = Map::new();
        request.insert("Parameters".into(), parameters);
        request.insert("ReaderConfig".into(), Value::Object(config));
        if let Some(size) = self.env.items_per_page {
            let cursor = feed.map_or(Value::Null, |feed| feed.cursor.clone());
            request.insert("Page".into(), json!({"Size": size, "Cursor": cursor}));
        }
        let mut task = TaskRequest::new(&frame.state, &reader.resource, Value::Object(request));
        task.attempt = frame.retry_count();
        Ok(task)
    }

    /// The reader's answer: the Map's items, or a failure if it is not an array.
    pub(super) fn items_read(&mut self, frame: &mut Frame, answer: Value) -> Flow {
        let state = self.state(frame);
        let StateKind::Map(map) = &state.kind else {
            return Flow::Fail(Failure::runtime(
                "items were read for a state that is not a Map",
            ));
        };
        let read = map
            .item_reader
            .as_ref()
            .map_or(Ok(None), |reader| self.max_items(frame, reader))
            .and_then(|max| read_answer(max, answer, 0));
        match read {
            Ok(read) => self.map_items(frame, map, Some(read)),
            Err(failure) => Flow::Fail(failure),
        }
    }

    /// `ReaderConfig.MaxItems` / `MaxItemsPath` resolved; `None`: no limit.
    pub(super) fn max_items(
        &mut self,
        frame: &Frame,
        reader: &ItemReader,
    ) -> Result<Option<u64>, Failure> {
        let ctx = self.context(frame);
        let state = self.state(frame);
        let effective = effective_input(&state.input_path, &frame.input, &ctx)?;
        Ok(max_items(reader, &effective, &ctx)?.filter(|&n| n > 0))
    }
}

/// A reader's answer: an array of every item, or a page, `{"Items": [...], "Cursor":
/// …}` (a `null` cursor: no more). `read` items came before it; `max` is MaxItems.
pub(super) fn read_answer(max: Option<u64>, answer: Value, read: u64) -> Result<Read, Failure> {
    let (mut items, mut cursor) = match answer {
        Value::Array(items) => (items, None),
        Value::Object(mut page) if page.contains_key("Items") => {
            let cursor = page.remove("Cursor").filter(|c| !c.is_null());
            match page.remove("Items") {
                Some(Value::Array(items)) => (items, cursor),
                _ => return Err(not_items("a page whose Items are not an array")),
            }
        }
        other => return Err(not_items(jsonata::json_type(&other))),
    };
    // The reader honours MaxItems; trimming again keeps a generous one honest, and
    // reaching it ends the reading whatever the cursor says.
    if let Some(max) = max {
        let left = usize::try_from(max.saturating_sub(read)).unwrap_or(usize::MAX);
        if items.len() >= left {
            items.truncate(left);
            cursor = None;
        }
    }
    Ok(Read { items, cursor })
}

fn not_items(what: &str) -> Failure {
    Failure::new(
        names::ITEM_READER_FAILED,
        format!("The item reader returned {what} instead of an array of items."),
    )
}

/// `ReaderConfig.MaxItems` / `MaxItemsPath`; 0 means no limit, as in AWS.
fn max_items(
    reader: &ItemReader,
    input: &Value,
    ctx: &super::context::Context<'_>,
) -> Result<Option<u64>, Failure> {
    match &reader.max_items {
        None => Ok(None),
        Some(Count::Literal(n)) => Ok(Some(*n)),
        Some(Count::Path(path)) => {
            let value = select_or_fail(path, input, ctx)?;
            match value.as_u64() {
                Some(0) => Ok(None),
                Some(n) => Ok(Some(n.min(100_000_000))),
                None => Err(Failure::runtime(format!(
                    "The MaxItemsPath field refers to value \"{value}\" which is not a valid integer: {}",
                    path.source()
                ))),
            }
        }
    }
}

/// A failed read fails the Map with `States.ItemReaderFailed`, as AWS does, whatever the
/// reader's own error; a timeout stays `States.Timeout`.
pub(super) fn reader_failure(failure: Failure) -> Failure {
    match failure.error.as_deref() {
        Some(names::ITEM_READER_FAILED) | Some(names::TIMEOUT) => failure,
        _ => {
            let cause = match (&failure.error, &failure.cause) {
                (Some(error), Some(cause)) => format!("{error}: {cause}"),
                (Some(error), None) => error.clone(),
                (None, Some(cause)) => cause.clone(),
                (None, None) => "The item reader failed.".to_owned(),
            };
            Failure::new(names::ITEM_READER_FAILED, cause)
        }
    }
}
