//! Deciding a Parallel or Map join from its counters and its children's results.

use serde_json::Value;
use stepwise_core::failure::Failure;
use stepwise_core::interp::{FailureTolerance, Outcome};

use crate::records::{ChildResult, JoinRecord};

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
    match (&join.tolerance, failure) {
        (None, Some(failure)) => return Decision::Fail(failure.clone()),
        // A sibling failed but its own message has not been handled yet: that message
        // fails the state. Collecting now would pass its error off as an output.
        (None, None) if join.failed > 0 => return Decision::Wait,
        (Some(tolerance), _) if tolerance.exceeded(join.failed_items) => {
            return Decision::Fail(FailureTolerance::exceeded_failure())
        }
        _ => {}
    }
    if join.finished() >= join.total {
        Decision::Collect
    } else {
        Decision::Wait
    }
}

/// The children's outputs in index order (a failed child, within tolerance, keeps its
/// slot with its error output), and the highest next event id among them. `None` if a
/// result is missing.
pub(crate) fn outputs(join: &JoinRecord, results: Vec<ChildResult>) -> Option<(Vec<Value>, u64)> {
    let mut slots: Vec<Option<Value>> = vec![None; join.total as usize];
    let next_event_id = results.iter().map(|r| r.next_event_id).max().unwrap_or(0);
    for result in results {
        let slot = slots.get_mut(result.index as usize)?;
        *slot = Some(match result.outcome {
            Outcome::Succeeded(output) => output,
            Outcome::Failed(failure) => failure.to_error_output(),
        });
    }
    Some((
        slots.into_iter().collect::<Option<Vec<Value>>>()?,
        next_event_id,
    ))
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
            },
            ChildResult {
                index: 0,
                outcome: Outcome::Succeeded(json!(0)),
                next_event_id: 4,
            },
            ChildResult {
                index: 2,
                outcome: Outcome::Succeeded(json!(2)),
                next_event_id: 4,
            },
        ];
        assert_eq!(
            outputs(&j, results),
            Some((
                vec![json!(0), json!({"Error": "E", "Cause": "c"}), json!(2)],
                9
            ))
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
        }];
        assert_eq!(outputs(&join(2, 2, 0), results), None);
    }
}
