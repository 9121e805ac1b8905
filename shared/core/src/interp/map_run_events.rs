//! A Distributed Map's Map Run events: `MapRunStarted` (with the run's ARN) once its
//! children are about to start, `MapRunSucceeded` or `MapRunFailed` (with the error) once
//! they have ended, before the Map's own `MapStateSucceeded` / `MapStateFailed`. With a
//! `ResultWriter` the run has succeeded before the results are written.
//!
//! Placement as LocalStack (whose Step Functions is tested against snapshots of AWS)
//! emits them: `distributed_iteration_component.py` in
//! `localstack/services/stepfunctions/asl/component/state/state_execution/state_map/iteration/`
//! adds `MapRunStarted` when the iteration begins and `MapRunSucceeded` /
//! `MapRunFailed` (error and cause) when it ends, inside the Map state's own events.

use super::frame::Frame;
use super::history::{Details, HistoryEvent};
use super::map_run;
use super::step::Runner;
use crate::definition::{ProcessorMode, StateKind};
use crate::failure::Failure;

impl Runner<'_, '_, '_> {
    /// The Map Run ARN of the Distributed Map `frame` is in, as its `ResultWriter`
    /// output and the API name it; `None` for any other state.
    pub(super) fn map_run_arn(&self, frame: &Frame) -> Option<String> {
        let StateKind::Map(map) = &self.state(frame).kind else {
            return None;
        };
        if map.mode != ProcessorMode::Distributed {
            return None;
        }
        let declared = map
            .distributed
            .as_ref()
            .and_then(|d| d.get("Label"))
            .and_then(|l| l.as_str());
        let label = map_run::label(&frame.state, declared);
        let info = self.env.execution;
        Some(map_run::map_run_arn(
            &info.id,
            &info.state_machine_name,
            &label,
            &frame.state,
            frame.entered_event_id,
        ))
    }

    /// `MapRunStarted`, for a Distributed Map.
    pub(super) fn map_run_started(&mut self, frame: &Frame) {
        if let Some(map_run_arn) = self.map_run_arn(frame) {
            self.emit(|| {
                HistoryEvent::new("MapRunStarted", Details::MapRunStarted { map_run_arn })
            });
        }
    }

    /// `MapRunSucceeded`, or `MapRunFailed` with `failure`, for a Distributed Map.
    pub(super) fn map_run_ended(&mut self, frame: &Frame, failure: Option<&Failure>) {
        if self.map_run_arn(frame).is_none() {
            return;
        }
        match failure {
            None => self.emit(|| HistoryEvent::new("MapRunSucceeded", Details::Empty)),
            Some(failure) => self
                .emit(|| HistoryEvent::new("MapRunFailed", Details::MapRunFailed(failure.clone()))),
        };
    }
}
