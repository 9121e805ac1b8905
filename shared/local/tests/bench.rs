//! The benchmark functions count what they ran: the figures `cargo bench` and
//! `stepwise bench` print rest on these counts.

mod support;

use stepwise_local::bench::{long_loop, throughput, WINDOW_STEPS};
use support::TempDb;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput_counts_every_state_entered() {
    let db = TempDb::new("bench-throughput");
    let dir = db.path().parent().expect("dir").to_owned();
    let report = throughput(&dir, 3, 4).await.expect("throughput");
    // Work, Count, Check per turn, four turns, then Done: 13 per execution.
    assert_eq!(report.executions, 3);
    assert_eq!(report.transitions, 3 * 13);
    assert!(report.per_second() > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_loop_times_a_window_at_each_end() {
    let db = TempDb::new("bench-loop");
    let dir = db.path().parent().expect("dir").to_owned();
    let report = long_loop(&dir, 30_000).await.expect("long_loop");
    // Check and Inc 15,000 times, then Check and Done.
    assert_eq!(report.steps, 30_002);
    for window in [report.first, report.last] {
        // Whole messages of 1,000 states each, so exactly the window.
        assert_eq!(window.steps, WINDOW_STEPS);
        assert!(window.per_second() > 0.0);
    }
    assert!(report.file_bytes > 0);
    assert!(report.bytes_per_step() > 0.0);
}
