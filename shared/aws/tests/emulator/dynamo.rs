//! What only DynamoDB can get wrong: item size, concurrency on shared items, request
//! counts of a wide fan-out.

use serde_json::{json, Value};
use stepwise_engine::store::{ChildOutcome, Commit, Error, LoadRequest, Store, Written};
use stepwise_engine::{ExecutionStatus, FrameId, FrameRecord, JoinKey, JoinRecord};

use crate::support::{self, arn, child_result, commit, creation, frame, history, join, Fixture};

#[tokio::test]
async fn items_over_400_kb_are_too_large() {
    let Some(fixture) = Fixture::new("large").await else {
        return;
    };
    let store = fixture.store();
    let arn = arn("large");
    store.create(creation(&arn, json!({}))).await.unwrap();
    // Random base64-like text: compressed it still takes 6 of every 8 bits, so 600 KB
    // stays over 400 KB (a repeated letter would compress to a few KB and fit).
    let big = json!({"blob": incompressible(600 * 1024)});
    // Alone (PutItem) and in a transaction (TransactWriteItems).
    let alone = commit(&arn, frame(FrameId::root(), 2, big.clone()));
    let result = store.commit(alone).await;
    assert!(matches!(result, Err(Error::TooLarge(_))), "{result:?}");
    let with_history = Commit {
        history: Some(history(&FrameId::root(), 2, "Big")),
        ..commit(&arn, frame(FrameId::root(), 2, big.clone()))
    };
    let result = store.commit(with_history).await;
    assert!(matches!(result, Err(Error::TooLarge(_))), "{result:?}");
    let result = store.create(creation(&support::unique("big"), big)).await;
    assert!(matches!(result, Err(Error::TooLarge(_))), "{result:?}");
    // Nothing was written.
    let root = store.frame(&arn, &FrameId::root()).await.unwrap().unwrap();
    assert_eq!(root.version, 1);
    fixture.clean_up().await;
}

fn incompressible(bytes: usize) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    (0..bytes)
        .map(|_| char::from(ALPHABET[rand::random_range(0..64)]))
        .collect()
}

#[tokio::test]
async fn a_wide_fan_out_opens_in_one_go() {
    let Some(fixture) = Fixture::new("wide").await else {
        return;
    };
    let store = fixture.store();
    let arn = arn("wide");
    store.create(creation(&arn, json!({}))).await.unwrap();
    let root = FrameId::root();
    let children: Vec<FrameRecord> = (0..200)
        .map(|i| frame(FrameId::child(&root, 1, i), 1, json!(i)))
        .collect();
    fixture.counter.reset();
    store
        .open_join(&arn, join(root.clone(), 1, 200), children.clone())
        .await
        .unwrap();
    // The join, then the children 64 to a transaction.
    let counts = fixture.counter.snapshot();
    assert_eq!(counts["DynamoDB.PutItem"], 1);
    assert_eq!(counts["DynamoDB.TransactWriteItems"], 4);
    for child in [&children[0], &children[199]] {
        let stored = store.frame(&arn, &child.id).await.unwrap();
        assert_eq!(stored.as_ref(), Some(child));
    }

    // A later chunk's message adds children to the join it read: no write of the join,
    // which would only be refused (and billed).
    let more: Vec<FrameRecord> = (200..264)
        .map(|i| frame(FrameId::child(&root, 1, i), 1, json!(i)))
        .collect();
    fixture.counter.reset();
    store
        .add_children(&arn, join(root.clone(), 1, 264), more.clone())
        .await
        .unwrap();
    let usage = fixture.counter.usage();
    assert_eq!(
        usage["DynamoDB.TransactWriteItems"].requests, 1,
        "{usage:?}"
    );
    assert!(!usage.contains_key("DynamoDB.PutItem"), "{usage:?}");
    let stored = store.frame(&arn, &more[63].id).await.unwrap();
    assert_eq!(stored.as_ref(), Some(&more[63]));
    fixture.clean_up().await;
}

#[tokio::test]
async fn a_retried_fan_out_writes_only_the_missing_children() {
    let Some(fixture) = Fixture::new("refan").await else {
        return;
    };
    let store = fixture.store();
    let arn = arn("refan");
    store.create(creation(&arn, json!({}))).await.unwrap();
    let root = FrameId::root();
    let children = |input: Value| -> Vec<FrameRecord> {
        (0..64)
            .map(|i| frame(FrameId::child(&root, 1, i), 1, input.clone()))
            .collect()
    };
    // The first attempt wrote some children before it died; one has moved on since.
    let first = children(json!("first"));
    store
        .open_join(&arn, join(root.clone(), 1, 64), first[..10].to_vec())
        .await
        .unwrap();
    let mut moved = first[3].clone();
    moved.version = 2;
    store
        .commit(Commit {
            execution: arn.clone(),
            frame: moved.clone(),
            expected_version: 1,
            history: None,
            child_result: None,
            finish: None,
            close_join: None,
        })
        .await
        .unwrap();
    fixture.counter.reset();
    store
        .open_join(&arn, join(root.clone(), 1, 64), children(json!("second")))
        .await
        .unwrap();
    // The transaction is cancelled by the ten that exist; the 54 others go one by one.
    let counts = fixture.counter.snapshot();
    assert_eq!(counts["DynamoDB.TransactWriteItems"], 1);
    assert_eq!(counts["DynamoDB.PutItem"], 1 + 54);
    let second = children(json!("second"));
    for i in 0..64 {
        let stored = store.frame(&arn, &first[i].id).await.unwrap();
        let expected = match i {
            3 => &moved,
            0..10 => &first[i],
            _ => &second[i],
        };
        assert_eq!(stored.as_ref(), Some(expected), "child {i}");
    }
    fixture.clean_up().await;
}

#[tokio::test]
async fn concurrent_starts_of_one_state_machine_all_succeed() {
    let Some(fixture) = Fixture::new("starts").await else {
        return;
    };
    let engine = stepwise_engine::Engine::new(
        fixture.store(),
        fixture.queue(),
        fixture.config.engine_config().unwrap(),
    );
    let definition = r#"{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"End":true}}}"#;
    let starts = (0..10).map(|i| {
        let request = stepwise_engine::StartRequest::new("sm", definition, json!({"i": i}));
        engine.start(request)
    });
    for started in futures::future::join_all(starts).await {
        let started = started.unwrap();
        let record = fixture
            .store()
            .execution(&started.execution_arn)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(record.status, ExecutionStatus::Running);
    }
    // Later starts in this process do not write the definition again.
    fixture.counter.reset();
    engine
        .start(stepwise_engine::StartRequest::new(
            "sm",
            definition,
            json!({}),
        ))
        .await
        .unwrap();
    let counts = fixture.counter.snapshot();
    assert_eq!(counts.get("DynamoDB.PutItem"), None, "{counts:?}");
    assert_eq!(counts["DynamoDB.TransactWriteItems"], 1, "{counts:?}");
    fixture.clean_up().await;
}

#[tokio::test]
async fn racing_writers_commit_once_and_count_every_child() {
    let Some(fixture) = Fixture::new("race").await else {
        return;
    };
    let store = fixture.store();
    let arn = arn("race");
    store.create(creation(&arn, json!({}))).await.unwrap();
    // Eight workers with the same message: one commit wins.
    let racers = (0..8).map(|i| {
        let next = Commit {
            history: Some(history(&FrameId::root(), 2, "Racer")),
            ..commit(&arn, frame(FrameId::root(), 2, json!({ "racer": i })))
        };
        store.commit(next)
    });
    let written = futures::future::join_all(racers).await;
    let done = written
        .iter()
        .filter(|w| matches!(w, Ok(Written::Done)))
        .count();
    assert_eq!(done, 1, "{written:?}");
    assert!(written
        .iter()
        .all(|w| matches!(w, Ok(Written::Done | Written::Conflict))));

    // Twenty children end at once; every one is counted on the shared join item.
    let root = FrameId::root();
    let key = JoinKey {
        parent: root.clone(),
        version: 2,
    };
    let children: Vec<FrameRecord> = (0..20)
        .map(|i| frame(FrameId::child(&root, 2, i), 1, json!(i)))
        .collect();
    store
        .open_join(&arn, join(root.clone(), 2, 20), children.clone())
        .await
        .unwrap();
    let ends = children.iter().map(|child| {
        let index = child.id.join().unwrap().1;
        store.commit(Commit {
            child_result: Some(ChildOutcome {
                join: key.clone(),
                result: child_result(index, json!({ "Succeeded": index })),
                items: 1,
            }),
            ..commit(&arn, frame(child.id.clone(), 2, json!("done")))
        })
    });
    for written in futures::future::join_all(ends).await {
        assert_eq!(written.unwrap(), Written::Done);
    }
    let loaded = store
        .load(&LoadRequest {
            execution: arn.clone(),
            frame: root.clone(),
            joins: vec![key.clone()],
            with_frame: true,
            version: None,
        })
        .await
        .unwrap();
    assert_eq!(loaded.joins[0].as_ref().unwrap().succeeded, 20);
    // More than 21 transactions means DynamoDB cancelled some for a conflict on the
    // join item and the store sent them again.
    println!("racing writers: {:?}", fixture.counter.snapshot());
    let results = store.child_results(&arn, &key).await.unwrap();
    assert_eq!(
        results.iter().map(|r| r.index).collect::<Vec<_>>(),
        (0..20).collect::<Vec<_>>()
    );
    fixture.clean_up().await;
}

#[tokio::test]
async fn a_page_is_recorded_in_its_join_once_and_keeps_the_counters() {
    let Some(fixture) = Fixture::new("feed").await else {
        return;
    };
    let store = fixture.store();
    let arn = arn("feed");
    store.create(creation(&arn, json!({}))).await.unwrap();
    let root = FrameId::root();
    let key = JoinKey {
        parent: root.clone(),
        version: 1,
    };
    let feed = |page: u64| stepwise_core::interp::Feed {
        page,
        cursor: json!({"StartAfter": format!("key-{page}")}),
        items: page * 3,
        children: page * 3,
        carry: Vec::new(),
    };
    let opened = JoinRecord {
        feed: Some(feed(1)),
        ..join(root.clone(), 1, 3)
    };
    let children: Vec<FrameRecord> = (0..3)
        .map(|i| frame(FrameId::child(&root, 1, i), 0, json!(i)))
        .collect();
    store
        .open_join(&arn, opened.clone(), children.clone())
        .await
        .unwrap();
    // A child of the first page ends while the second is read.
    let ended = Commit {
        child_result: Some(ChildOutcome {
            join: key.clone(),
            result: child_result(0, json!({"Succeeded": "zero"})),
            items: 1,
        }),
        ..commit(&arn, frame(children[0].id.clone(), 1, json!("done")))
    };
    assert_eq!(store.commit(ended).await.unwrap(), Written::Done);
    let second = JoinRecord {
        total: 6,
        feed: Some(feed(2)),
        ..opened.clone()
    };
    assert_eq!(
        store.feed_join(&arn, 1, &second).await.unwrap(),
        Written::Done
    );
    // The same page again (a redelivered message), or a page out of turn: refused.
    assert_eq!(
        store.feed_join(&arn, 1, &second).await.unwrap(),
        Written::Conflict
    );
    assert_eq!(
        store.feed_join(&arn, 3, &second).await.unwrap(),
        Written::Conflict
    );
    let last = JoinRecord {
        total: 7,
        feed: None,
        ..second
    };
    assert_eq!(
        store.feed_join(&arn, 2, &last).await.unwrap(),
        Written::Done
    );
    let loaded = store
        .load(&LoadRequest {
            execution: arn.clone(),
            frame: root.clone(),
            joins: vec![key],
            with_frame: false,
            version: None,
        })
        .await
        .unwrap();
    let join = loaded.joins[0].clone().expect("the join");
    assert_eq!((join.total, join.feed, join.succeeded), (7, None, 1));
    fixture.clean_up().await;
}
