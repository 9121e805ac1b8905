//! GetExecutionHistory.

use aws_sdk_sfn::types::HistoryEventType;

use crate::support::start;
use crate::waiting;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_pages_in_either_order() {
    let server = start().await;
    let client = &server.client;
    let arn = server.create("history", &waiting(0)).await;
    let execution = client
        .start_execution()
        .state_machine_arn(&arn)
        .input(r#"{"a": 1}"#)
        .send()
        .await
        .unwrap()
        .execution_arn()
        .to_owned();
    assert_eq!(server.ended(&execution).await, "SUCCEEDED");

    let all = client
        .get_execution_history()
        .execution_arn(&execution)
        .send()
        .await
        .unwrap();
    let kinds: Vec<&HistoryEventType> = all.events().iter().map(|e| e.r#type()).collect();
    assert_eq!(kinds.first(), Some(&&HistoryEventType::ExecutionStarted));
    assert_eq!(kinds.last(), Some(&&HistoryEventType::ExecutionSucceeded));
    let ids: Vec<i64> = all.events().iter().map(|e| e.id()).collect();
    assert_eq!(ids, (1..=ids.len() as i64).collect::<Vec<_>>());
    let started = all.events()[0].execution_started_event_details().unwrap();
    assert_eq!(started.input(), Some(r#"{"a":1}"#));
    let secs = all.events()[0].timestamp().secs();
    assert!(
        (secs - chrono_now()).abs() < 60,
        "timestamp {secs} is epoch seconds"
    );

    let reversed = client
        .get_execution_history()
        .execution_arn(&execution)
        .reverse_order(true)
        .max_results(2)
        .include_execution_data(false)
        .send()
        .await
        .unwrap();
    let ids: Vec<i64> = reversed.events().iter().map(|e| e.id()).collect();
    let last = all.events().len() as i64;
    assert_eq!(ids, [last, last - 1]);
    let succeeded = reversed.events()[0]
        .execution_succeeded_event_details()
        .unwrap();
    assert_eq!(succeeded.output(), None, "no execution data when asked");
    let mut token = reversed.next_token().map(str::to_owned);
    let mut seen = 2;
    while let Some(next) = token {
        let page = client
            .get_execution_history()
            .execution_arn(&execution)
            .reverse_order(true)
            .max_results(2)
            .next_token(next)
            .send()
            .await
            .unwrap();
        seen += page.events().len();
        token = page.next_token().map(str::to_owned);
    }
    assert_eq!(seen, all.events().len());
}

fn chrono_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
