//! A Distributed Map's results written to S3 a page at a time. A Map whose `ResultWriter`
//! has a `Resource` is not handed its children's results when they have all ended: they
//! stay in the store (`Event::ChildrenSucceeded`'s `stored`), and the Map's writer task,
//! whose request then says `InStore`, is run here: the results are read a page at a time,
//! shaped by the core (`interp::child_results`), gathered into result files of at most
//! `Config::result_file_bytes` each, and every file, then the manifest, is written through
//! the task port (`{…, "File": {"Status", "Index", "Results"}}`, then `{…, "Manifest"}`).
//! So no step holds every result of a run of millions of children: one page, and one
//! file's worth per status.
//!
//! A redelivered writer task writes the same files again, under the same keys.

use std::collections::BTreeMap;

use serde_json::{json, Value};
use stepwise_core::definition::{StateKind, StateMachine};
use stepwise_core::failure::Failure;
use stepwise_core::interp::{self, Frame, TaskRequest, RESULT_WRITER_RESOURCE};

use super::Engine;
use crate::clock::Clock;
use crate::error::Result;
use crate::ids::{FrameId, JoinKey};
use crate::join::child_end;
use crate::queue::Queue;
use crate::records::{ChildResult, JoinRecord};
use crate::store::Store;
use crate::tasks::TaskInvoker;

/// Results read at a time.
const RESULTS_PER_PAGE: u32 = 1_000;

/// The statuses a result file is written for, in the order AWS's manifest lists them.
const STATUSES: [&str; 3] = ["FAILED", "PENDING", "SUCCEEDED"];

/// Whether `frame` is a Map whose results go to S3: its children's results then stay in
/// the store until its writer task writes them.
pub(super) fn writes_to_s3(definition: &StateMachine, frame: &Frame) -> bool {
    frame
        .scope()
        .resolve(definition)
        .and_then(|graph| graph.state(frame.state()))
        .is_some_and(|state| match &state.kind {
            StateKind::Map(map) => map
                .distributed
                .as_ref()
                .and_then(|d| d.get("ResultWriter"))
                .is_some_and(|writer| writer.get("Resource").is_some()),
            _ => false,
        })
}

/// Whether `request` is a writer task whose results are in the store.
pub(super) fn writes_stored(request: &TaskRequest) -> bool {
    request.resource == RESULT_WRITER_RESOURCE && request.parameters.get("InStore").is_some()
}

/// A status's results not yet written.
#[derive(Default)]
struct Pending {
    results: Vec<Value>,
    bytes: usize,
}

impl<S: Store, Q: Queue, T: TaskInvoker, C: Clock> Engine<S, Q, T, C> {
    /// A join whose results stay in the store, checked a page at a time: the highest
    /// next history event id among its children, or `None` if a result is missing.
    pub(super) async fn stored_results(
        &self,
        execution: &str,
        join: &JoinRecord,
    ) -> Result<Option<u64>> {
        let mut after = None;
        let (mut count, mut next_event_id) = (0u64, 0);
        loop {
            let page = self.next_results(execution, &join.key, &mut after).await?;
            if page.is_empty() {
                break;
            }
            count += page.len() as u64;
            next_event_id = page
                .iter()
                .map(|r| r.next_event_id)
                .fold(next_event_id, u64::max);
        }
        Ok((count >= u64::from(join.total)).then_some(next_event_id))
    }

    /// Runs the writer task of the Map `frame` (its children's results in the store).
    /// `Ok(Err(_))` is the task's failure (a file not written); `Err(_)` a store fault.
    pub(super) async fn write_stored(
        &self,
        execution: &str,
        frame: &FrameId,
        request: &TaskRequest,
    ) -> Result<Result<Value, Failure>> {
        let parameters = &request.parameters;
        let Some(version) = parameters["InStore"]["Results"]["Version"].as_u64() else {
            return Ok(Err(Failure::runtime(
                "the ResultWriter's request does not name the join its results are in",
            )));
        };
        let join = JoinKey {
            parent: frame.clone(),
            version,
        };
        let base = json!({
            "Parameters": parameters["Parameters"],
            "MapRunArn": parameters["MapRunArn"],
            "OutputType": parameters["OutputType"],
        });
        let mut files: BTreeMap<&str, Vec<Value>> =
            STATUSES.iter().map(|s| (*s, Vec::new())).collect();
        let mut pending: BTreeMap<&str, Pending> = BTreeMap::new();
        let mut after = None;
        loop {
            let page = self.next_results(execution, &join, &mut after).await?;
            if page.is_empty() {
                break;
            }
            for result in page {
                let index = u64::from(result.index);
                let (output, end) = child_end(result);
                let (failed, kept) = interp::child_results(parameters, index, output, &end);
                let status = if failed { "FAILED" } else { "SUCCEEDED" };
                let file = pending.entry(status).or_default();
                for result in kept {
                    file.bytes += serde_json::to_string(&result).map_or(0, |t| t.len() + 1);
                    file.results.push(result);
                }
                if file.bytes >= self.config.result_file_bytes {
                    let file = std::mem::take(file);
                    if let Err(failure) = self
                        .put_file(execution, request, &base, status, &mut files, file)
                        .await
                    {
                        return Ok(Err(failure));
                    }
                }
            }
        }
        for (status, file) in std::mem::take(&mut pending) {
            if file.results.is_empty() {
                continue;
            }
            if let Err(failure) = self
                .put_file(execution, request, &base, status, &mut files, file)
                .await
            {
                return Ok(Err(failure));
            }
        }
        let mut manifest = base;
        manifest["Manifest"] = json!(files);
        Ok(self.tasks.invoke(execution, &with(request, manifest)).await)
    }

    /// The results after `after` (a page of them), moving `after` on to the last.
    async fn next_results(
        &self,
        execution: &str,
        join: &JoinKey,
        after: &mut Option<u32>,
    ) -> Result<Vec<ChildResult>> {
        let page = self
            .store
            .child_results_page(execution, join, *after, RESULTS_PER_PAGE)
            .await?;
        if let Some(last) = page.last() {
            *after = Some(last.index);
        }
        Ok(page)
    }

    /// Writes one result file, `<STATUS>_<n>.json`, and lists it.
    async fn put_file(
        &self,
        execution: &str,
        request: &TaskRequest,
        base: &Value,
        status: &'static str,
        files: &mut BTreeMap<&str, Vec<Value>>,
        file: Pending,
    ) -> Result<(), Failure> {
        let listed = files.entry(status).or_default();
        let mut parameters = base.clone();
        parameters["File"] =
            json!({"Status": status, "Index": listed.len(), "Results": file.results});
        let written = self
            .tasks
            .invoke(execution, &with(request, parameters))
            .await?;
        listed.push(written);
        Ok(())
    }
}

/// The writer task's request with other parameters.
fn with(request: &TaskRequest, parameters: Value) -> TaskRequest {
    TaskRequest {
        parameters,
        ..request.clone()
    }
}
