//! The store and queue in process memory: the reference implementation of the ports,
//! used by the engine's tests and by embedders that need no durability.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use crate::ids::{FrameId, JoinKey};
use crate::queue::{self, Outgoing, Queue};
use crate::records::{
    ChildResult, ExecutionRecord, FrameRecord, HistoryItem, JoinRecord, TaskNote,
};
use crate::store::{
    self, Commit, Created, Creation, HistoryPage, LoadRequest, Loaded, Redrive, Store, Written,
};

#[derive(Debug, Default)]
struct Data {
    executions: HashMap<String, ExecutionRecord>,
    definitions: HashMap<String, String>,
    frames: HashMap<(String, FrameId), FrameRecord>,
    joins: HashMap<(String, JoinKey), JoinRecord>,
    results: HashMap<(String, JoinKey), BTreeMap<u32, ChildResult>>,
    /// Keyed like the DynamoDB sort key, so pages come back in the same order.
    history: BTreeMap<(String, String, u64), HistoryItem>,
}

/// A [`Store`] in a mutex. Each method is atomic, like the DynamoDB requests it stands for.
#[derive(Debug, Default)]
pub struct MemoryStore {
    data: Mutex<Data>,
    /// The largest frame or history record a commit may write, in JSON bytes (`None`: no
    /// limit), so tests can meet a backend's size limit without the backend.
    item_limit: Option<usize>,
}

impl MemoryStore {
    /// A store that refuses records over `bytes` of JSON with `Error::TooLarge`.
    pub fn with_item_limit(bytes: usize) -> Self {
        Self {
            item_limit: Some(bytes),
            ..Self::default()
        }
    }

    fn check_size(&self, commit: &Commit) -> store::Result<()> {
        let Some(limit) = self.item_limit else {
            return Ok(());
        };
        let frame = serde_json::to_string(&commit.frame).map_or(usize::MAX, |s| s.len());
        let history = commit.history.as_ref().map_or(0, |h| {
            serde_json::to_string(&h.events).map_or(usize::MAX, |s| s.len())
        });
        if frame.max(history) > limit {
            return Err(store::Error::TooLarge(format!(
                "frame {} version {}: {} bytes over the {limit}-byte limit",
                commit.frame.id,
                commit.frame.version,
                frame.max(history)
            )));
        }
        Ok(())
    }

    fn data(&self) -> std::sync::MutexGuard<'_, Data> {
        self.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The store's string items and its execution headers under one lock, for the
    /// catalog (`memory_catalog`). Catalog records live beside the definitions as JSON
    /// under keys with a `#` (`SM#<name>#…`, never a definition's hex digest), as they
    /// share the one DynamoDB table.
    pub(crate) fn with_items<R>(
        &self,
        f: impl FnOnce(&mut HashMap<String, String>, &HashMap<String, ExecutionRecord>) -> R,
    ) -> R {
        let mut data = self.data();
        let Data {
            definitions,
            executions,
            ..
        } = &mut *data;
        f(definitions, executions)
    }

    /// Every frame of an execution (for tests and inspection).
    pub fn frames(&self, execution: &str) -> Vec<FrameRecord> {
        let data = self.data();
        let mut frames: Vec<FrameRecord> = data
            .frames
            .iter()
            .filter(|((e, _), _)| e == execution)
            .map(|(_, f)| f.clone())
            .collect();
        frames.sort_by(|a, b| a.id.cmp(&b.id));
        frames
    }
}

fn apply(data: &mut Data, commit: Commit) -> Written {
    let key = (commit.execution.clone(), commit.frame.id.clone());
    let current = data.frames.get(&key).map(|f| f.version);
    if current != Some(commit.expected_version) {
        return Written::Conflict;
    }
    if let Some(finish) = &commit.finish {
        if !data
            .executions
            .get(&commit.execution)
            .is_some_and(ExecutionRecord::is_running)
        {
            return Written::Conflict;
        }
        data.executions
            .insert(commit.execution.clone(), finish.clone());
    }
    if let Some(outcome) = commit.child_result {
        let join_key = (commit.execution.clone(), outcome.join.clone());
        if let Some(join) = data.joins.get_mut(&join_key) {
            match outcome.result.outcome {
                stepwise_core::interp::Outcome::Succeeded(_) => join.succeeded += 1,
                stepwise_core::interp::Outcome::Failed(_) => {
                    join.failed += 1;
                    join.failed_items += outcome.items;
                }
            }
        }
        data.results
            .entry(join_key)
            .or_default()
            .insert(outcome.result.index, outcome.result);
    }
    if let Some(join) = commit.close_join {
        if let Some(join) = data.joins.get_mut(&(commit.execution.clone(), join)) {
            join.closed = true;
        }
    }
    if let Some(item) = commit.history {
        let history_key = (
            commit.execution.clone(),
            item.frame.to_string(),
            item.version,
        );
        data.history.insert(history_key, item);
    }
    data.frames.insert(key, commit.frame);
    Written::Done
}

impl Store for MemoryStore {
    async fn note_task(
        &self,
        execution: &str,
        frame: &FrameId,
        version: u64,
        note: TaskNote,
    ) -> store::Result<Written> {
        let mut data = self.data();
        match data
            .frames
            .get_mut(&(execution.to_owned(), frame.clone()))
            .filter(|record| record.version == version)
        {
            Some(record) => {
                record.progress.apply(note);
                Ok(Written::Done)
            }
            None => Ok(Written::Conflict),
        }
    }

    async fn load(&self, request: &LoadRequest) -> store::Result<Loaded> {
        let data = self.data();
        Ok(Loaded {
            execution: data.executions.get(&request.execution).cloned(),
            frame: request
                .with_frame
                .then(|| {
                    data.frames
                        .get(&(request.execution.clone(), request.frame.clone()))
                        .cloned()
                })
                .flatten(),
            joins: request
                .joins
                .iter()
                .map(|j| {
                    data.joins
                        .get(&(request.execution.clone(), j.clone()))
                        .cloned()
                })
                .collect(),
        })
    }

    async fn create(&self, creation: Creation) -> store::Result<Created> {
        let mut data = self.data();
        let arn = creation.execution.arn().to_owned();
        if let Some(existing) = data.executions.get(&arn) {
            return Ok(Created::Exists(Box::new(existing.clone())));
        }
        data.definitions
            .insert(creation.execution_hash(), creation.definition.clone());
        data.executions.insert(arn.clone(), creation.execution);
        let mut root = creation.root;
        let frame = root.frame.clone();
        data.frames.insert(
            (arn.clone(), frame.id.clone()),
            FrameRecord {
                version: 0,
                ..frame
            },
        );
        root.expected_version = 0;
        // The execution header was just written as running, so the commit applies.
        apply(&mut data, root);
        Ok(Created::Done)
    }

    async fn open_join(
        &self,
        execution: &str,
        join: JoinRecord,
        children: Vec<FrameRecord>,
    ) -> store::Result<()> {
        let mut data = self.data();
        data.joins
            .entry((execution.to_owned(), join.key.clone()))
            .or_insert(join);
        for child in children {
            data.frames
                .entry((execution.to_owned(), child.id.clone()))
                .or_insert(child);
        }
        Ok(())
    }

    async fn feed_join(
        &self,
        execution: &str,
        page: u64,
        update: &JoinRecord,
    ) -> store::Result<Written> {
        let mut data = self.data();
        let key = (execution.to_owned(), update.key.clone());
        let Some(join) = data.joins.get_mut(&key) else {
            return Ok(Written::Conflict);
        };
        if join.feed.as_ref().map(|f| f.page) != Some(page) {
            return Ok(Written::Conflict);
        }
        join.total = update.total;
        join.tolerance = update.tolerance.clone();
        join.feed = update.feed.clone();
        join.feed_failure = update.feed_failure.clone();
        Ok(Written::Done)
    }

    async fn commit(&self, commit: Commit) -> store::Result<Written> {
        self.check_size(&commit)?;
        Ok(apply(&mut self.data(), commit))
    }

    async fn end(&self, record: ExecutionRecord, history: HistoryItem) -> store::Result<Written> {
        let mut data = self.data();
        let arn = record.arn().to_owned();
        if !data
            .executions
            .get(&arn)
            .is_some_and(ExecutionRecord::is_running)
        {
            return Ok(Written::Conflict);
        }
        data.executions.insert(arn.clone(), record);
        data.history
            .insert((arn, history.frame.to_string(), history.version), history);
        Ok(Written::Done)
    }

    async fn redrive(&self, redrive: Redrive) -> store::Result<Written> {
        self.check_size(&redrive.root)?;
        let mut data = self.data();
        let arn = redrive.execution.arn().to_owned();
        let count = redrive.execution.info.redrive_count;
        let ended = data.executions.get(&arn).is_some_and(|stored| {
            stored.is_unsuccessful() && stored.info.redrive_count.checked_add(1) == Some(count)
        });
        let root = (arn.clone(), redrive.root.frame.id.clone());
        let at = data.frames.get(&root).map(|f| f.version);
        if !ended || at != Some(redrive.root.expected_version) {
            return Ok(Written::Conflict);
        }
        data.executions.insert(arn, redrive.execution);
        // The frame's version was checked above and no `finish` rides along, so it applies.
        Ok(apply(&mut data, redrive.root))
    }

    async fn claim_join(
        &self,
        execution: &str,
        join: &JoinKey,
        claimant: &str,
    ) -> store::Result<Written> {
        let mut data = self.data();
        let Some(join) = data.joins.get_mut(&(execution.to_owned(), join.clone())) else {
            return Ok(Written::Conflict);
        };
        match &join.collector {
            Some(collector) if collector != claimant => Ok(Written::Conflict),
            _ => {
                join.collector = Some(claimant.to_owned());
                Ok(Written::Done)
            }
        }
    }

    async fn child_results(
        &self,
        execution: &str,
        join: &JoinKey,
    ) -> store::Result<Vec<ChildResult>> {
        let data = self.data();
        Ok(data
            .results
            .get(&(execution.to_owned(), join.clone()))
            .map(|r| r.values().cloned().collect())
            .unwrap_or_default())
    }

    async fn execution(&self, arn: &str) -> store::Result<Option<ExecutionRecord>> {
        Ok(self.data().executions.get(arn).cloned())
    }

    async fn frame(&self, execution: &str, frame: &FrameId) -> store::Result<Option<FrameRecord>> {
        Ok(self
            .data()
            .frames
            .get(&(execution.to_owned(), frame.clone()))
            .cloned())
    }

    async fn definition(&self, hash: &str) -> store::Result<Option<String>> {
        Ok(self.data().definitions.get(hash).cloned())
    }

    async fn history(&self, execution: &str, page: Option<String>) -> store::Result<HistoryPage> {
        const PAGE: usize = 100;
        let skip: usize = page.and_then(|p| p.parse().ok()).unwrap_or(0);
        let data = self.data();
        let all: Vec<&HistoryItem> = data
            .history
            .iter()
            .filter(|((e, _, _), _)| e == execution)
            .map(|(_, item)| item)
            .collect();
        let items: Vec<HistoryItem> = all
            .iter()
            .skip(skip)
            .take(PAGE)
            .map(|i| (*i).clone())
            .collect();
        let next = (skip + PAGE < all.len()).then(|| (skip + PAGE).to_string());
        Ok(HistoryPage { items, next })
    }
}

/// A FIFO of outgoing messages; the test or embedder pops and handles them.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    messages: Mutex<VecDeque<Outgoing>>,
}

impl MemoryQueue {
    pub fn pop(&self) -> Option<Outgoing> {
        self.messages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }

    pub fn len(&self) -> usize {
        self.messages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Queue for MemoryQueue {
    async fn send(&self, messages: Vec<Outgoing>) -> queue::Result<()> {
        self.messages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend(messages);
        Ok(())
    }
}
