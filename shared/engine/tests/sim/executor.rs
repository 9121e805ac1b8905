//! A hand-cranked executor: the scheduler polls each worker's future one step at a time
//! in an order the seeded RNG picks, so concurrent handlers interleave deterministically.
//! Dropping a future between two polls is a worker that crashed at that await point.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

/// A future owned by the scheduler.
pub type Task<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// An await point: the first poll yields to the scheduler, the next one goes on. The
/// simulated store, queue and tasks put one before and after every call, where a real
/// worker would wait on the network.
#[derive(Debug, Default)]
pub struct Pause {
    yielded: bool,
}

pub fn pause() -> Pause {
    Pause::default()
}

impl Future for Pause {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            Poll::Ready(())
        } else {
            self.yielded = true;
            Poll::Pending
        }
    }
}

/// Polls once. Nothing in the simulation waits on a waker: a pending future is simply
/// polled again when the scheduler picks it.
pub fn poll_once<T>(task: &mut Task<'_, T>) -> Poll<T> {
    let mut cx = Context::from_waker(Waker::noop());
    task.as_mut().poll(&mut cx)
}

/// Runs a future to its end (reads for the invariants, with faults switched off).
pub fn block_on<T>(future: impl Future<Output = T>) -> T {
    let mut task: Task<'_, T> = Box::pin(future);
    loop {
        if let Poll::Ready(value) = poll_once(&mut task) {
            return value;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_yields_exactly_once() {
        let mut task: Task<'_, u32> = Box::pin(async {
            pause().await;
            pause().await;
            7
        });
        assert!(poll_once(&mut task).is_pending());
        assert!(poll_once(&mut task).is_pending());
        assert_eq!(poll_once(&mut task), Poll::Ready(7));
    }
}
