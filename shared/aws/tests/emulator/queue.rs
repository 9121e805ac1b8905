//! The queue: batches, delays, and bodies that parse back.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use stepwise_engine::queue::{Outgoing, Queue};
use stepwise_engine::{FrameId, Message, MessageKind};

use crate::support::Fixture;

#[tokio::test]
async fn sends_batches_with_delays() {
    let Some(fixture) = Fixture::new("queue").await else {
        return;
    };
    let queue = fixture.queue();
    // 25 messages: three batches; the last five held back two seconds.
    let outgoing: Vec<Outgoing> = (0..25u32)
        .map(|i| Outgoing {
            message: Message::new(
                "arn:x",
                FrameId::child(&FrameId::root(), 1, i),
                u64::from(i),
                MessageKind::Run,
            ),
            delay_seconds: if i >= 20 { 2 } else { 0 },
        })
        .collect();
    let sent_at = Instant::now();
    queue.send(outgoing.clone()).await.unwrap();
    assert_eq!(fixture.counter.snapshot()["SQS.SendMessageBatch"], 3);

    let sqs = fixture.sqs();
    let mut received: BTreeMap<u64, (Message, Duration)> = BTreeMap::new();
    let deadline = sent_at + Duration::from_secs(30);
    while received.len() < outgoing.len() && Instant::now() < deadline {
        let output = sqs
            .receive_message()
            .queue_url(&fixture.queues.url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for message in output.messages.unwrap_or_default() {
            let body = message.body.clone().unwrap_or_default();
            let parsed = Message::from_json(&body).unwrap();
            received.insert(parsed.version, (parsed, sent_at.elapsed()));
            sqs.delete_message()
                .queue_url(&fixture.queues.url)
                .set_receipt_handle(message.receipt_handle)
                .send()
                .await
                .unwrap();
        }
    }
    assert_eq!(received.len(), 25, "received {:?}", received.keys());
    for out in &outgoing {
        let (message, after) = &received[&out.message.version];
        assert_eq!(message, &out.message);
        if out.delay_seconds > 0 {
            assert!(*after >= Duration::from_millis(1500), "{after:?}");
        }
    }
    fixture.clean_up().await;
}
