//! The Map state: items, ItemSelector, MaxConcurrency, and a Distributed Map's ItemBatcher
//! and failure tolerance.

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::context::Context;
use super::event::{ChildrenKind, ChildrenRequest, Effect, FailureTolerance, Feed};
use super::frame::{Frame, Phase};
use super::history::{Details, HistoryEvent};
use super::io::{self, compact, effective_input, eval_template, select_or_fail};
use super::jsonata;
use super::states::plain;
use super::step::{Flow, Runner};
use crate::definition::{
    Count, ItemBatcher, MapState, MaxConcurrency, Payload, ProcessorMode, QueryLanguage, Tolerance,
};
use crate::failure::Failure;
use crate::jsonpath::Path;

impl Runner<'_, '_, '_> {
    pub(super) fn map(&mut self, frame: &mut Frame, map: &MapState) -> Flow {
        match &map.item_reader {
            Some(reader) => self.read_items(frame, reader),
            None => self.map_items(frame, map, None),
        }
    }

    /// Runs the Map over `read` (the ItemReader's items, or its first page) or the items
    /// in its input.
    pub(super) fn map_items(
        &mut self,
        frame: &mut Frame,
        map: &MapState,
        read: Option<Read>,
    ) -> Flow {
        match self.prepare_map(frame, map, read) {
            Ok(Some(request)) => {
                self.out.effects.push(Effect::RunChildren(request));
                frame.phase = Phase::Children;
                Flow::Suspend
            }
            Ok(None) => {
                self.map_run_ended(frame, None);
                self.emit(|| HistoryEvent::new("MapStateSucceeded", Details::Empty));
                self.finish_with_result(frame, Value::Array(Vec::new()))
            }
            Err(failure) => Flow::Fail(failure),
        }
    }

    /// The children to run, or `None` when there are no items.
    fn prepare_map(
        &mut self,
        frame: &Frame,
        map: &MapState,
        read: Option<Read>,
    ) -> Result<Option<ChildrenRequest>, Failure> {
        let state = self.state(frame);
        let ctx = self.context(frame);
        let jsonata = state.query_language == QueryLanguage::Jsonata;
        let states = self.states(&frame.input, None, &ctx);
        let now = self.env.now;
        let effective = effective_input(&state.input_path, &frame.input, &ctx)?;
        let (items, cursor) = match (read, &map.items) {
            (Some(read), _) => (Cow::Owned(Value::Array(read.items)), read.cursor),
            (None, Some(items)) => {
                let value = jsonata::eval(items, &states, now, self.env.entropy)?;
                if !value.is_array() {
                    return Err(jsonata::unexpected_type(items, "array", &value, "Items"));
                }
                (Cow::Owned(value), None)
            }
            (None, None) => (effective_input(&map.items_path, &effective, &ctx)?, None),
        };
        let Value::Array(items) = items.as_ref() else {
            let cause = format!(
                "Map state input must be an array but was: {}",
                compact(&items)
            );
            return Err(if jsonata {
                jsonata::query_error(cause)
            } else {
                Failure::runtime(cause)
            });
        };
        let max_concurrency = match &map.max_concurrency {
            MaxConcurrency::Literal(n) => *n,
            MaxConcurrency::Path(path) => {
                let value = select_or_fail(path, &effective, &ctx)?;
                max_concurrency(path, &value)?
            }
            MaxConcurrency::Jsonata(v) => {
                let value = jsonata::eval(v, &states, now, self.env.entropy)?;
                match value.as_u64() {
                    Some(n) => n,
                    None => {
                        return Err(jsonata::unexpected_type(
                            v,
                            "non-negative integer",
                            &value,
                            "MaxConcurrency",
                        ))
                    }
                }
            }
        };
        // LocalStack (AWS-snapshot tested) resolves the tolerances in every mode, so a bad
        // path fails an inline Map too; only a Distributed Map applies them.
        let count = match &map.tolerated_failure_count {
            None => None,
            Some(Tolerance::Literal(n)) => Some(*n as u64),
            Some(Tolerance::Path(path)) => Some(tolerated_count(
                path,
                &select_or_fail(path, &effective, &ctx)?,
            )?),
            Some(Tolerance::Jsonata(v)) => {
                let value = jsonata::eval(v, &states, now, self.env.entropy)?;
                match value.as_u64() {
                    Some(n) => Some(n),
                    None => {
                        return Err(jsonata::unexpected_type(
                            v,
                            "non-negative integer",
                            &value,
                            "ToleratedFailureCount",
                        ))
                    }
                }
            }
        };
        let percentage = match &map.tolerated_failure_percentage {
            None => None,
            Some(Tolerance::Literal(n)) => Some(*n),
            Some(Tolerance::Path(path)) => Some(tolerated_percentage(
                path,
                &select_or_fail(path, &effective, &ctx)?,
            )?),
            Some(Tolerance::Jsonata(v)) => {
                let value = jsonata::eval(v, &states, now, self.env.entropy)?;
                match value.as_f64() {
                    Some(n) if (0.0..=100.0).contains(&n) => Some(n),
                    _ => {
                        return Err(jsonata::unexpected_type(
                            v,
                            "number between 0 and 100",
                            &value,
                            "ToleratedFailurePercentage",
                        ))
                    }
                }
            }
        };

        let total_items = items.len() as u64;
        let distributed = map.mode == ProcessorMode::Distributed;
        let start = Feed {
            page: 0,
            cursor: Value::Null,
            items: 0,
            children: 0,
            carry: Vec::new(),
        };
        let shaped = self.shape(frame, map, items, &start, cursor.is_some())?;
        let length = shaped.inputs.len();
        self.emit(|| HistoryEvent::new("MapStateStarted", Details::MapStarted { length }));
        self.map_run_started(frame);
        let feed = cursor.map(|cursor| start.after(cursor, total_items, &shaped));
        if shaped.inputs.is_empty() && feed.is_none() {
            return Ok(None);
        }
        let children = self.child_frames(frame, map, shaped.inputs);
        Ok(Some(ChildrenRequest {
            state: frame.state.clone(),
            kind: ChildrenKind::Map,
            children,
            max_concurrency: match (max_concurrency, distributed) {
                (0, true) => Some(DISTRIBUTED_MAX_CONCURRENCY),
                (0, false) => None,
                (n, _) => Some(n),
            },
            tolerance: distributed.then_some(FailureTolerance {
                count,
                percentage,
                items_per_child: shaped.items_per_child,
                total_items,
            }),
            feed,
        }))
    }

    /// Items as child inputs: ItemSelector (indices from `feed.items`), then a
    /// Distributed Map's ItemBatcher, completing `feed.carry` first. With `more` pages
    /// to come, the last batch is held back to be completed by the next page.
    pub(super) fn shape(
        &mut self,
        frame: &Frame,
        map: &MapState,
        items: &[Value],
        feed: &Feed,
        more: bool,
    ) -> Result<Shaped, Failure> {
        let state = self.state(frame);
        let ctx = self.context(frame);
        let now = self.env.now;
        let effective = effective_input(&state.input_path, &frame.input, &ctx)?;
        let mut inputs = Vec::with_capacity(feed.carry.len() + items.len());
        inputs.extend(feed.carry.iter().cloned());
        let first = usize::try_from(feed.items).unwrap_or(usize::MAX);
        for (offset, item) in items.iter().enumerate() {
            let index = first.saturating_add(offset);
            inputs.push(match &map.item_selector {
                Some(Payload::Template(selector)) => {
                    let item_ctx = ctx.with_map_item(index, item);
                    eval_template(selector, &effective, &item_ctx, self.env.entropy)?
                }
                Some(Payload::Jsonata(selector)) => {
                    let item_ctx = ctx.with_map_item(index, item);
                    let item_states = self.states(&frame.input, None, &item_ctx);
                    jsonata::eval(selector, &item_states, now, self.env.entropy)?
                }
                None => item.clone(),
            });
        }
        match (&map.item_batcher, map.mode == ProcessorMode::Distributed) {
            (Some(batcher), true) => {
                let batch_input = match &batcher.batch_input {
                    Some(t) => Some(eval_template(t, &effective, &ctx, self.env.entropy)?),
                    None => None,
                };
                let limits = batch_limits(batcher, &effective, &ctx)?;
                Ok(batch(inputs, batch_input, limits, more))
            }
            _ => Ok(Shaped {
                inputs,
                items_per_child: Vec::new(),
                carry: Vec::new(),
            }),
        }
    }

    /// The child frames that run `inputs`.
    pub(super) fn child_frames(
        &self,
        frame: &Frame,
        map: &MapState,
        inputs: Vec<Value>,
    ) -> Vec<Frame> {
        let distributed = map.mode == ProcessorMode::Distributed;
        inputs
            .into_iter()
            .map(|input| {
                Frame::new(
                    frame.scope.child(&frame.state, 0),
                    &map.processor,
                    input,
                    self.env.now,
                )
                // A Distributed Map's children run as executions of their own and see
                // none of the parent's variables; an inline Map's iterations read them.
                .with_variables(if distributed {
                    Map::new()
                } else {
                    frame.vars.clone()
                })
            })
            .collect()
    }
}

/// Items the ItemReader returned, and where its next page starts when it has more.
#[derive(Debug)]
pub(super) struct Read {
    pub items: Vec<Value>,
    pub cursor: Option<Value>,
}

/// One page's (or the whole input's) child inputs.
#[derive(Debug)]
pub(super) struct Shaped {
    pub inputs: Vec<Value>,
    /// With an ItemBatcher, the items each input carries.
    pub items_per_child: Vec<u64>,
    /// The batch held back for the next page.
    pub carry: Vec<Value>,
}

impl Feed {
    /// Where the feed stands after this page: `read` items read, `shaped` made of them.
    pub(super) fn after(&self, cursor: Value, read: u64, shaped: &Shaped) -> Feed {
        Feed {
            page: self.page + 1,
            cursor,
            items: self.items + read,
            children: self.children + shaped.inputs.len() as u64,
            carry: shaped.carry.clone(),
        }
    }
}

/// A Distributed Map's child executions running at once when MaxConcurrency is absent or
/// 0: AWS's limit of 10,000 (an inline Map has no limit then).
pub(super) const DISTRIBUTED_MAX_CONCURRENCY: u64 = 10_000;

/// An integer, or a string holding one, as LocalStack's path-sourced integers read it.
fn integer(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    }
}

fn not_an_integer(field: &str, path: &Path, value: &Value) -> Failure {
    Failure::runtime(format!(
        "The {field} field refers to value \"{}\" which is not a valid integer: {}",
        plain(value),
        path.source()
    ))
}

/// MaxConcurrencyPath's value, as LocalStack's max_concurrency.py (AWS-snapshot tested)
/// reads it: an integer, or a string holding one; a negative number and anything else get
/// distinct causes.
fn max_concurrency(path: &Path, value: &Value) -> Result<u64, Failure> {
    match integer(value) {
        Some(n) if n >= 0 => Ok(n as u64),
        Some(n) => Err(Failure::runtime(format!(
            "Expected non-negative integer for MaxConcurrency, got '{n}' instead."
        ))),
        None => Err(not_an_integer("MaxConcurrencyPath", path, value)),
    }
}

/// ToleratedFailureCountPath, with LocalStack's tolerated_failure.py causes.
fn tolerated_count(path: &Path, value: &Value) -> Result<u64, Failure> {
    match integer(value) {
        Some(n) if n >= 0 => Ok(n as u64),
        Some(_) => Err(Failure::runtime(
            "ToleratedFailureCount cannot be negative.",
        )),
        None => Err(not_an_integer("ToleratedFailureCountPath", path, value)),
    }
}

/// ToleratedFailurePercentagePath: a number (or numeric string) from 0 to 100.
fn tolerated_percentage(path: &Path, value: &Value) -> Result<f64, Failure> {
    let n = match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if (0.0..=100.0).contains(&n) => Ok(n),
        Some(_) => Err(Failure::runtime(
            "ToleratedFailurePercentage must be between 0 and 100.",
        )),
        None => Err(Failure::runtime(format!(
            "The ToleratedFailurePercentagePath field refers to value \"{}\" which is not a valid float: {}",
            plain(value),
            path.source()
        ))),
    }
}

#[derive(Debug, Clone, Copy)]
struct BatchLimits {
    items: usize,
    bytes: usize,
}

fn batch_limits(
    batcher: &ItemBatcher,
    input: &Value,
    ctx: &Context<'_>,
) -> Result<BatchLimits, Failure> {
    let resolve_count = |count: &Option<Count>, field: &str| -> Result<Option<u64>, Failure> {
        match count {
            None => Ok(None),
            Some(Count::Literal(n)) => Ok(Some(*n)),
            Some(Count::Path(path)) => {
                let value = select_or_fail(path, input, ctx)?;
                match integer(&value) {
                    Some(n) if n > 0 => Ok(Some(n as u64)),
                    Some(n) => Err(Failure::runtime(format!(
                        "Expected positive integer for {field}, got '{n}' instead."
                    ))),
                    None => Err(not_an_integer(&format!("{field}Path"), path, &value)),
                }
            }
        }
    };
    let items = resolve_count(&batcher.max_items, "MaxItemsPerBatch")?;
    let bytes = resolve_count(&batcher.max_bytes, "MaxInputBytesPerBatch")?;
    Ok(BatchLimits {
        items: items.map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX)),
        // Without a byte limit a batch is still bound by the payload limit.
        bytes: bytes
            .map_or(io::MAX_PAYLOAD_BYTES, |n| n as usize)
            .min(io::MAX_PAYLOAD_BYTES),
    })
}

/// Packs items greedily, in order, into `{"BatchInput": …, "Items": [...]}` inputs that
/// respect both limits (counting the compact JSON of the whole child input). An item too
/// big for any batch goes alone; the payload limit then speaks for it. With `hold`, the
/// last batch is returned unpacked (`carry`): more items may join it.
fn batch(items: Vec<Value>, batch_input: Option<Value>, limits: BatchLimits, hold: bool) -> Shaped {
    let wrap = |items: Vec<Value>| {
        let mut object = Map::new();
        if let Some(input) = &batch_input {
            object.insert("BatchInput".into(), input.clone());
        }
        object.insert("Items".into(), Value::Array(items));
        Value::Object(object)
    };
    let overhead = compact(&wrap(Vec::new())).len();
    let mut batches = Vec::new();
    let mut counts = Vec::new();
    let mut current = Vec::new();
    let mut size = overhead;
    for item in items {
        let item_size = compact(&item).len();
        let added = item_size + usize::from(!current.is_empty());
        if !current.is_empty() && (current.len() >= limits.items || size + added > limits.bytes) {
            counts.push(current.len() as u64);
            batches.push(wrap(std::mem::take(&mut current)));
            size = overhead;
        }
        // A comma separates every item after the first.
        size += item_size + usize::from(!current.is_empty());
        current.push(item);
    }
    // A batch still open when the page ended may take items from the next page.
    let carry = if hold {
        current
    } else {
        if !current.is_empty() {
            counts.push(current.len() as u64);
            batches.push(wrap(current));
        }
        Vec::new()
    };
    Shaped {
        inputs: batches,
        items_per_child: counts,
        carry,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn batches_respect_item_and_byte_limits_in_order() {
        let items: Vec<Value> = (0..7).map(|i| json!(i)).collect();
        let Shaped {
            inputs: batches,
            items_per_child: counts,
            ..
        } = batch(
            items.clone(),
            None,
            BatchLimits {
                items: 3,
                bytes: usize::MAX,
            },
            false,
        );
        assert_eq!(
            batches,
            vec![
                json!({"Items": [0, 1, 2]}),
                json!({"Items": [3, 4, 5]}),
                json!({"Items": [6]})
            ]
        );
        assert_eq!(counts, vec![3, 3, 1]);
        // {"Items":[0,1]} is 15 bytes; a third item would make it 17.
        let batches = batch(
            items,
            None,
            BatchLimits {
                items: usize::MAX,
                bytes: 16,
            },
            false,
        )
        .inputs;
        assert_eq!(batches[0], json!({"Items": [0, 1]}));
        assert_eq!(batches.len(), 4);
    }

    #[test]
    fn a_held_batch_is_completed_by_the_next_page_as_one_read_would() {
        let limits = BatchLimits {
            items: 3,
            bytes: usize::MAX,
        };
        let whole = batch((0..8).map(|i| json!(i)).collect(), None, limits, false);
        let first = batch((0..4).map(|i| json!(i)).collect(), None, limits, true);
        assert_eq!(first.inputs, vec![json!({"Items": [0, 1, 2]})]);
        assert_eq!(first.carry, vec![json!(3)]);
        let mut rest = first.carry;
        rest.extend((4..8).map(|i| json!(i)));
        let second = batch(rest, None, limits, false);
        let mut paged = first.inputs;
        paged.extend(second.inputs);
        assert_eq!(paged, whole.inputs);
        assert_eq!(
            [first.items_per_child, second.items_per_child].concat(),
            whole.items_per_child
        );
    }

    #[test]
    fn batch_input_rides_along_with_every_batch() {
        let batches = batch(
            vec![json!("a"), json!("b")],
            Some(json!({"run": 1})),
            BatchLimits {
                items: 1,
                bytes: usize::MAX,
            },
            false,
        )
        .inputs;
        assert_eq!(
            batches,
            vec![
                json!({"BatchInput": {"run": 1}, "Items": ["a"]}),
                json!({"BatchInput": {"run": 1}, "Items": ["b"]})
            ]
        );
    }

    #[test]
    fn tolerance_is_exceeded_strictly_on_either_threshold() {
        let t = |count, percentage| FailureTolerance {
            count,
            percentage,
            items_per_child: Vec::new(),
            total_items: 10,
        };
        assert!(t(None, None).exceeded(1));
        assert!(!t(None, None).exceeded(0));
        assert!(!t(Some(2), None).exceeded(2));
        assert!(t(Some(2), None).exceeded(3));
        assert!(!t(None, Some(30.0)).exceeded(3));
        assert!(t(None, Some(30.0)).exceeded(4));
        assert!(t(Some(5), Some(10.0)).exceeded(2));
    }
}
