//! A Distributed Map's items read a page at a time. With [`Env::items_per_page`] set, the
//! ItemReader's request carries `"Page": {"Size", "Cursor"}` and the reader answers one
//! page, `{"Items": [...], "Cursor": …}`. The Map starts on the first page as it would on
//! every item ([`super::ChildrenRequest::feed`] says more are coming); the caller then
//! asks [`next_page_request`] for the next read and [`map_page`] for its children, page
//! after page, while the Map's frame waits on its join unchanged. So no single call holds
//! more than a page of items, however large the source.
//!
//! The pages make exactly the children one read would: item indices run on across
//! pages, and an ItemBatcher batch cut by a page's end travels in [`Feed::carry`] to be
//! completed by the next.

use serde_json::Value;

use super::event::{Feed, TaskRequest};
use super::frame::{Frame, Phase};
use super::item_reader::{read_answer, reader_failure};
use super::step::{Env, Runner};
use crate::definition::{ItemReader, MapState, StateKind, StateMachine};
use crate::failure::Failure;

/// The children one page makes.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// In index order, from `feed.children`.
    pub children: Vec<Frame>,
    /// With an ItemBatcher, the items each child carries (else empty: one each).
    pub items_per_child: Vec<u64>,
    /// Items the page read.
    pub items: u64,
    /// Where the next page starts; `None`: this was the last.
    pub next: Option<Feed>,
}

/// The reader's request for the page `feed` stands at. `frame` is the Map's, waiting
/// on its children.
pub fn next_page_request(
    definition: &StateMachine,
    frame: &Frame,
    feed: &Feed,
    env: &mut Env<'_>,
) -> Result<TaskRequest, Failure> {
    let mut runner = runner(definition, frame, env)?;
    let (_, reader) = reading_map(&runner, frame)?;
    runner.reader_request(frame, reader, Some(feed))
}

/// The children of the page read for `feed` (`answer`: the reader's result, or its
/// failure, which fails the Map with `States.ItemReaderFailed` as a first read's does).
pub fn map_page(
    definition: &StateMachine,
    frame: &Frame,
    feed: &Feed,
    answer: Result<Value, Failure>,
    env: &mut Env<'_>,
) -> Result<Page, Failure> {
    let mut runner = runner(definition, frame, env)?;
    let (map, reader) = reading_map(&runner, frame)?;
    let answer = answer.map_err(reader_failure)?;
    let max = runner.max_items(frame, reader)?;
    let read = read_answer(max, answer, feed.items)?;
    let more = read.cursor.is_some();
    let shaped = runner.shape(frame, map, &read.items, feed, more)?;
    let items = read.items.len() as u64;
    let next = read.cursor.map(|cursor| feed.after(cursor, items, &shaped));
    Ok(Page {
        children: runner.child_frames(frame, map, shaped.inputs),
        items_per_child: shaped.items_per_child,
        items,
        next,
    })
}

fn runner<'d, 'e, 'x>(
    definition: &'d StateMachine,
    frame: &Frame,
    env: &'e mut Env<'x>,
) -> Result<Runner<'d, 'e, 'x>, Failure> {
    if frame.phase != Phase::Children {
        return Err(Failure::runtime(format!(
            "items were read for state '{}', which is not waiting on its children",
            frame.state
        )));
    }
    Runner::new(definition, frame, env).map_err(|e| Failure::runtime(e.to_string()))
}

fn reading_map<'d>(
    runner: &Runner<'d, '_, '_>,
    frame: &Frame,
) -> Result<(&'d MapState, &'d ItemReader), Failure> {
    match &runner.state(frame).kind {
        StateKind::Map(map) => match &map.item_reader {
            Some(reader) => Ok((map, reader)),
            None => Err(Failure::runtime(format!(
                "items were read for Map state '{}', which has no ItemReader",
                frame.state
            ))),
        },
        _ => Err(Failure::runtime(format!(
            "items were read for state '{}', which is not a Map",
            frame.state
        ))),
    }
}
