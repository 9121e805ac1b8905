//! Engine bugs this suite found, one regression test each, named after the bug. The
//! 1,000-state history item bug is pinned by `long.rs`.

use std::time::Duration;

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsEvent};
use serde_json::json;
use stepwise_engine::{ExecutionStatus, Message, MessageKind};
use stepwise_tests::harness::{event_counts, Harness};

/// Bug: a Parallel (or Map without tolerance) whose branch FAILED can still SUCCEED. When
/// the succeeding sibling's `child_done` is handled after the failed branch committed
/// (the join's counters show every child finished) but before the failed branch's own
/// `child_done`, `join::decide` sees no failure in *this* message, no tolerance, and
/// `finished() >= total`, and returns `Collect`; `join::outputs` then turns the failed
/// child's result into an `{"Error", "Cause"}` output and the Parallel succeeds with it.
/// SQS does not keep order, so this happens on its own under load (seen once in two
/// concurrent suite runs); here the failed branch's `child_done` is held back one
/// visibility timeout to make the order certain.
/// Expected: the Parallel fails with `Custom.Boom`, the Catch takes it to `Caught`.
#[tokio::test]
async fn succeeding_sibling_handled_first_must_not_hide_a_branch_failure() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("join-order").await? else {
        return Ok(());
    };
    let definition = json!({"StartAt": "Par", "States": {
        "Par": {"Type": "Parallel", "Next": "Wrong",
            "Branches": [
                {"StartAt": "Fine", "States": {"Fine": {"Type": "Pass", "End": true}}},
                {"StartAt": "Bad", "States": {"Bad": {"Type": "Fail",
                    "Error": "Custom.Boom", "Cause": "branch failed"}}}],
            "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}]},
        "Wrong": {"Type": "Fail", "Error": "Parallel.SucceededDespiteFailedBranch"},
        "Caught": {"Type": "Pass", "End": true}}});
    let arn = harness
        .start("join-order", &definition, None, json!({"k": 1}))
        .await?;
    let advance = harness.advance();
    // On its first delivery a failing child's `child_done` is reported failed, unread, so
    // SQS redelivers it after the visibility timeout: the sibling's arrives first.
    let handler = move |mut event: SqsEvent| {
        let mut held = Vec::new();
        event.records.retain(|record| {
            let message = record
                .body
                .as_deref()
                .and_then(|b| Message::from_json(b).ok());
            let failing_child = message.is_some_and(|m| {
                matches!(
                    m.kind,
                    MessageKind::ChildDone {
                        failure: Some(_),
                        ..
                    }
                )
            });
            let first = record
                .attributes
                .get("ApproximateReceiveCount")
                .map(String::as_str)
                == Some("1");
            if failing_child && first {
                held.push(record.message_id.clone().unwrap_or_default());
                false
            } else {
                true
            }
        });
        let handled = advance(event);
        async move {
            let mut response = handled.await;
            for id in held {
                let mut failure = BatchItemFailure::default();
                failure.item_identifier = id;
                response.batch_item_failures.push(failure);
            }
            response
        }
    };
    let (record, _) = harness
        .run_with(&arn, 1, Duration::from_secs(120), handler)
        .await?;
    let counts = event_counts(&harness.history(&arn).await?);
    assert_eq!(
        record.status,
        ExecutionStatus::Succeeded,
        "{:?} {counts:?}",
        record.failure
    );
    assert_eq!(
        record.output,
        Some(json!({"k": 1, "error": {"Error": "Custom.Boom", "Cause": "branch failed"}})),
        "{counts:?}"
    );
    harness.clean_up().await;
    Ok(())
}
