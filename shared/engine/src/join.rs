//! Deciding a Parallel or Map join from its counters and its children's results.

use serde_json::Value;
use stepwise_core::definition::{ProcessorMode, StateKind, StateMachine};
use stepwise_core::failure::Failure;
use stepwise_core::interp::{ChildEnd, FailureTolerance, Outcome, Scope};

use crate::records::{ChildResult, ChildStart, FrameRecord, JoinRecord, ParentLink};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Decision {
    /// Other children are still running.
    Wait,
    /// The join was decided before (a late child).
    Closed,
    /// Fail the Parallel or Map state with this error.
    Fail(Failure),
    /// Every child ended within tolerance: read their results.
    Collect,
}

/// What a child's end means for its join. The counters already include this child (its
/// commit bumped them), so they are the truth; `failure` is the child's own error.
pub(crate) fn decide(join: &JoinRecord, failure: Option<&Failure>) -> Decision {
    if join.closed {
        return Decision::Closed;
    }
    if let Some(failure) = &join.feed_failure {
        return Decision::Fail(failure.clone());
    }
    let all_read = join.feed.is_none();
    match (&join.tolerance, failure) {
        (None, Some(failure)) => return Decision::Fail(failure.clone()),
        // A sibling failed but its own message has not been handled yet: that message
        // fails the state. Collecting now would pass its error off as an output.
        (None, None) if join.failed > 0 => return Decision::Wait,
        (Some(tolerance), _) if tolerance.exceeded_so_far(join.failed_items, all_read) => {
            return Decision::Fail(FailureTolerance::exceeded_failure())
        }
        _ => {}
    }
    if all_read && join.finished() >= join.total {
        Decision::Collect
    } else {
        Decision::Wait
    }
}

/// What the join's children left for the Map or Parallel state.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Collected {
    /// In index order; a failed child (within tolerance) keeps its slot with its error
    /// output.
    pub outputs: Vec<Value>,
    /// How each child ended, for a Distributed Map (whose joins have a tolerance); empty
    /// otherwise.
    pub children: Vec<ChildEnd>,
    /// The highest next event id among the children.
    pub next_event_id: u64,
}

/// The children's results, or `None` if one is missing.
pub(crate) fn outputs(join: &JoinRecord, results: Vec<ChildResult>) -> Option<Collected> {
    let mut slots: Vec<Option<(Value, ChildEnd)>> = vec![None; join.total as usize];
    let next_event_id = results.iter().map(|r| r.next_event_id).max().unwrap_or(0);
    for result in results {
        let slot = slots.get_mut(result.index as usize)?;
        *slot = Some(child_end(result));
    }
    let (outputs, children): (Vec<Value>, Vec<ChildEnd>) = slots
        .into_iter()
        .collect::<Option<Vec<_>>>()?
        .into_iter()
        .unzip();
    Some(Collected {
        outputs,
        children: match join.tolerance {
            Some(_) => children,
            None => Vec::new(),
        },
        next_event_id,
    })
}

/// What a child's result gives the Map: its output (its error output if it failed) and
/// how it ended.
pub(crate) fn child_end(result: ChildResult) -> (Value, ChildEnd) {
    let end = ChildEnd {
        failed: matches!(result.outcome, Outcome::Failed(_)),
        start_date: result.started.as_ref().map(|s| s.at),
        input: result.started.map(|s| s.input),
        stop_date: (result.stopped != 0).then_some(result.stopped),
    };
    let output = match result.outcome {
        Outcome::Succeeded(output) => output,
        Outcome::Failed(failure) => failure.to_error_output(),
    };
    (output, end)
}

/// The frame's parent link as its commit leaves it: a Distributed Map child's first
/// commit keeps its input (its first state's, about to be replaced) and the commit's
/// time, which its result carries when it ends.
pub(crate) fn link_after(
    definition: &StateMachine,
    record: &FrameRecord,
    now: i64,
) -> Option<ParentLink> {
    let mut link = record.parent.clone()?;
    if record.version == 0
        && link.started.is_none()
        && distributed(definition, record.frame.scope())
    {
        link.started = Some(ChildStart {
            input: record.frame.input().clone(),
            at: now,
        });
    }
    Some(link)
}

/// Whether a frame at `scope` is the child of a Distributed Map.
fn distributed(definition: &StateMachine, scope: &Scope) -> bool {
    let Some((last, outer)) = scope.steps().split_last() else {
        return false;
    };
    let parent = outer.iter().fold(Scope::root(), |scope, step| {
        scope.child(&step.state, step.branch)
    });
    parent
        .resolve(definition)
        .and_then(|graph| graph.state(&last.state))
        .is_some_and(|state| {
            matches!(&state.kind, StateKind::Map(map) if map.mode == ProcessorMode::Distributed)
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use stepwise_core::interp::ChildrenKind;

    use super::*;
    use crate::ids::{FrameId, JoinKey};

    fn join(total: u32, succeeded: u32, failed: u32) -> JoinRecord {
        JoinRecord {
            key: JoinKey {
                parent: FrameId::root(),
                version: 1,
            },
            kind: ChildrenKind::Map,
            state: "M".into(),
            total,
            tolerance: None,
            succeeded,
            failed,
            failed_items: u64::from(failed),
            closed: false,
            collector: None,
            feed: None,
            feed_failure: None,
            max_concurrency: None,
            paged: false,
        }
    }

    #[test]
    fn waits_for_every_child() {
        assert_eq!(decide(&join(3, 2, 0), None), Decision::Wait);
        assert_eq!(decide(&join(3, 3, 0), None), Decision::Collect);
    }

    #[test]
    fn first_failure_fails_without_tolerance() {
        let failure = Failure::new("E", "c");
        assert_eq!(
            decide(&join(3, 1, 1), Some(&failure)),
            Decision::Fail(failure)
        );
        let mut closed = join(3, 1, 1);
        closed.closed = true;
        assert_eq!(decide(&closed, None), Decision::Closed);
    }

    #[test]
    fn tolerance_keeps_failed_slots() {
        let mut j = join(3, 2, 1);
        j.tolerance = Some(FailureTolerance {
            count: Some(1),
            percentage: None,
            items_per_child: Vec::new(),
            total_items: 3,
        });
        assert_eq!(decide(&j, Some(&Failure::new("E", "c"))), Decision::Collect);
        let results = vec![
            ChildResult {
                index: 1,
                outcome: Outcome::Failed(Failure::new("E", "c")),
                next_event_id: 9,
                started: Some(ChildStart {
                    input: json!({"i": 1}),
                    at: 100,
                }),
                stopped: 200,
            },
            ChildResult {
                index: 0,
                outcome: Outcome::Succeeded(json!(0)),
                next_event_id: 4,
                started: None,
                stopped: 0,
            },
            ChildResult {
                index: 2,
                outcome: Outcome::Succeeded(json!(2)),
                next_event_id: 4,
                started: None,
                stopped: 0,
            },
        ];
        let collected = outputs(&j, results).unwrap();
        assert_eq!(
            collected.outputs,
            vec![json!(0), json!({"Error": "E", "Cause": "c"}), json!(2)]
        );
        assert_eq!(collected.next_event_id, 9);
        // The failed child is told by its outcome, with its input and dates.
        let failed: Vec<bool> = collected.children.iter().map(|c| c.failed).collect();
        assert_eq!(failed, [false, true, false]);
        assert_eq!(
            collected.children[1],
            ChildEnd {
                failed: true,
                input: Some(json!({"i": 1})),
                start_date: Some(100),
                stop_date: Some(200),
            }
        );
        j.failed_items = 2;
        assert_eq!(
            decide(&j, None),
            Decision::Fail(FailureTolerance::exceeded_failure())
        );
    }

    #[test]
    fn a_sibling_failure_is_never_collected_as_an_output() {
        // Regression: the failed child's commit was counted before the message of a
        // succeeding sibling was handled, and the join collected the error as an output.
        assert_eq!(decide(&join(3, 2, 1), None), Decision::Wait);
    }

    #[test]
    fn missing_results_are_reported() {
        let results = vec![ChildResult {
            index: 0,
            outcome: Outcome::Succeeded(json!(0)),
            next_event_id: 1,
            started: None,
            stopped: 0,
        }];
        assert_eq!(outputs(&join(2, 2, 0), results), None);
    }
}
