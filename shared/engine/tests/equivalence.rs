//! The durable engine over `MemoryStore` must end every recorded AWS case exactly as the
//! in-memory interpreter does. Frames, joins and messages are the engine's own; this
//! catches any drift between the two drivers. (`cases` holds the comparison, shared with
//! the other backends' tests.)

mod cases;
mod support;

use stepwise_engine::StartRequest;

#[tokio::test]
async fn engine_matches_the_in_memory_interpreter_on_recorded_cases() {
    cases::compare_with_interpreter("MemoryStore", |text, input| async move {
        let engine = support::engine_at(cases::START);
        let started = engine
            .start(StartRequest::new("conformance", &text, input).named("case"))
            .await
            .expect("start");
        support::drain(&engine).await;
        engine
            .describe(&started.execution_arn)
            .await
            .expect("describe")
    })
    .await;
}
