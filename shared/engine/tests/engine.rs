//! Whole executions through the engine on the in-memory store and queue.

mod support;

use serde_json::{json, Value};
use stepwise_engine::{Error, ExecutionStatus, Handled, StartRequest};
use support::{drain, engine, run, T0};

fn pass_chain(n: usize) -> String {
    let mut states = serde_json::Map::new();
    for i in 0..n {
        let mut state = json!({"Type": "Pass", "ResultPath": format!("$.s{i}"), "Result": i});
        if i + 1 == n {
            state["End"] = json!(true);
        } else {
            state["Next"] = json!(format!("S{}", i + 1));
        }
        states.insert(format!("S{i}"), state);
    }
    json!({"StartAt": "S0", "States": states}).to_string()
}

#[tokio::test]
async fn a_pass_chain_finishes_inside_start() {
    let engine = engine();
    let (arn, handled) = run(&engine, &pass_chain(5), json!({"x": 1})).await;
    assert!(handled.is_empty(), "no messages needed: {handled:?}");
    let record = engine.describe(&arn).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::Succeeded);
    assert_eq!(
        record.output,
        Some(json!({"x": 1, "s0": 0, "s1": 1, "s2": 2, "s3": 3, "s4": 4}))
    );
    let history = engine.history(&arn).await.unwrap();
    let types: Vec<&str> = history
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types.first(), Some(&"ExecutionStarted"));
    assert_eq!(types.last(), Some(&"ExecutionSucceeded"));
    assert_eq!(types.len(), 2 + 5 * 2);
    let ids: Vec<u64> = history.iter().map(|e| e["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, (1..=12).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_wait_is_a_delayed_message() {
    let engine = engine();
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": 3600, "Next": "P"},
        "P": {"Type": "Pass", "End": true}}});
    let (arn, handled) = run(&engine, &definition.to_string(), json!({"k": "v"})).await;
    // 3600 s is four 900 s hops: three early deliveries are sent again.
    assert_eq!(
        handled,
        vec![
            Handled::Delayed,
            Handled::Delayed,
            Handled::Delayed,
            Handled::Advanced { transitions: 1 }
        ]
    );
    let record = engine.describe(&arn).await.unwrap();
    assert_eq!(record.output, Some(json!({"k": "v"})));
    assert_eq!(record.stop_time, Some(T0 + 3_600_000));
}

#[tokio::test]
async fn start_is_idempotent_by_name_and_input() {
    let engine = engine();
    let definition =
        json!({"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 5, "End": true}}})
            .to_string();
    let request = StartRequest::new("sm", &definition, json!({"a": 1})).named("order-1");
    let first = engine.start(request.clone()).await.unwrap();
    let again = engine.start(request.clone()).await.unwrap();
    assert_eq!(again.execution_arn, first.execution_arn);
    assert!(again.existing && !first.existing);
    let different = StartRequest {
        input: json!({"a": 2}),
        ..request.clone()
    };
    assert!(matches!(
        engine.start(different).await,
        Err(Error::ExecutionAlreadyExists(_))
    ));
    drain(&engine).await;
    // Ended: even the same input is refused now, as in Step Functions.
    assert!(matches!(
        engine.start(request).await,
        Err(Error::ExecutionAlreadyExists(_))
    ));
    assert_eq!(
        engine.describe(&first.execution_arn).await.unwrap().status,
        ExecutionStatus::Succeeded
    );
}

#[tokio::test]
async fn invalid_definitions_and_names_change_nothing() {
    let engine = engine();
    let bad =
        json!({"StartAt": "Nope", "States": {"P": {"Type": "Pass", "End": true}}}).to_string();
    let err = engine
        .start(StartRequest::new("sm", &bad, json!({})))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidDefinition(_)), "{err}");
    let good = pass_chain(1);
    let err = engine
        .start(StartRequest::new("sm", &good, json!({})).named("a b"))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidName(_)));
    assert!(engine.queue().is_empty());
}

#[tokio::test]
async fn oversize_input_fails_the_execution() {
    let engine = engine();
    let big = Value::String("x".repeat(300 * 1024));
    let (arn, _) = run(&engine, &pass_chain(1), big).await;
    let record = engine.describe(&arn).await.unwrap();
    assert_eq!(record.status, ExecutionStatus::Failed);
    assert_eq!(
        record.failure.unwrap().error.as_deref(),
        Some("States.DataLimitExceeded")
    );
}

#[tokio::test]
async fn a_commit_carries_at_most_a_budget_of_history() {
    use stepwise_engine::Store;
    let engine = engine();
    // 600 states carrying 10 KB each: about 12 MB of events, far over one commit's budget.
    let definition = json!({"StartAt": "Check", "States": {
        "Check": {"Type": "Choice", "Choices": [{"Variable": "$.n", "NumericGreaterThanEquals": 300, "Next": "Done"}], "Default": "Inc"},
        "Inc": {"Type": "Pass", "Parameters": {"n.$": "States.MathAdd($.n, 1)", "pad.$": "$.pad"}, "Next": "Check"},
        "Done": {"Type": "Succeed"}}});
    let (arn, handled) = run(
        &engine,
        &definition.to_string(),
        json!({"n": 0, "pad": "p".repeat(10_000)}),
    )
    .await;
    assert_eq!(
        engine.describe(&arn).await.unwrap().status,
        ExecutionStatus::Succeeded
    );
    assert!(
        handled.len() >= 4,
        "the frame yielded {} times",
        handled.len()
    );
    let page = engine.store().history(&arn, None).await.unwrap();
    for item in page.items {
        let size = serde_json::to_string(&item.events).unwrap().len();
        assert!(size < 2_200_000, "a commit of {size} bytes of history");
    }
}

#[tokio::test]
async fn a_one_year_wait_is_re_sent_every_fifteen_minutes() {
    let engine = engine();
    let year = 365 * 24 * 3600;
    let definition = json!({"StartAt": "W", "States": {
        "W": {"Type": "Wait", "Seconds": year, "End": true}}});
    let (arn, handled) = run(&engine, &definition.to_string(), json!({"k": 1})).await;
    let record = engine.describe(&arn).await.unwrap();
    assert_eq!(record.output, Some(json!({"k": 1})));
    assert_eq!(record.stop_time, Some(T0 + year * 1000));
    // Each early delivery reads nothing and writes nothing: it is sent again.
    let delayed = handled.iter().filter(|h| **h == Handled::Delayed).count();
    assert_eq!(delayed, (year / 900 - 1) as usize);
    assert_eq!(handled.last(), Some(&Handled::Advanced { transitions: 0 }));
}
