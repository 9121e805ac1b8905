//! The engine over SQLite must end every recorded AWS case exactly as the in-memory
//! interpreter does (the same comparison the engine runs over `MemoryStore`).

#[path = "../../engine/tests/cases/mod.rs"]
mod cases;
mod support;

use stepwise_engine::StartRequest;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_engine_matches_the_in_memory_interpreter_on_recorded_cases() {
    cases::compare_with_interpreter("SQLite", |text, input| async move {
        let db = support::TempDb::new("case");
        let engine = support::sqlite_engine(&db, cases::START);
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
