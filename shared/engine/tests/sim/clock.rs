//! Virtual time: it moves only when the simulation says so, so a two-minute Wait costs
//! nothing and every run sees the same instants.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use stepwise_engine::Clock;

/// 2024-01-01T00:00:00Z: where every simulated run starts.
pub const T0: i64 = 1_704_067_200_000;

/// Shared by the engine, the simulated queue and the fake tasks.
#[derive(Debug, Clone)]
pub struct VirtualClock {
    now: Arc<AtomicI64>,
    /// The wake-up time the last pending [`Sleep`] asked for (0: none), so the scheduler
    /// knows which worker waits on time and until when.
    blocked: Arc<AtomicI64>,
}

impl VirtualClock {
    pub fn at(now: i64) -> Self {
        Self {
            now: Arc::new(AtomicI64::new(now)),
            blocked: Arc::new(AtomicI64::new(0)),
        }
    }

    /// Never moves backwards: a late caller with an earlier instant changes nothing.
    pub fn advance_to(&self, at: i64) {
        self.now.fetch_max(at, Ordering::SeqCst);
    }

    /// Waits until `at`: the future stays pending until the scheduler moves time there
    /// (when no worker can do anything else), so concurrent sleepers overlap in time.
    pub fn sleep_until(&self, at: i64) -> Sleep {
        Sleep {
            clock: self.clone(),
            until: at,
        }
    }

    /// What the future just polled is waiting for, if it waits on time; clears it.
    pub fn take_blocked(&self) -> Option<i64> {
        match self.blocked.swap(0, Ordering::SeqCst) {
            0 => None,
            at => Some(at),
        }
    }

    /// Seconds since [`T0`], for traces.
    pub fn elapsed(&self) -> f64 {
        (self.now() - T0) as f64 / 1000.0
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> i64 {
        self.now.load(Ordering::SeqCst)
    }
}

/// See [`VirtualClock::sleep_until`].
#[derive(Debug)]
pub struct Sleep {
    clock: VirtualClock,
    until: i64,
}

impl Future for Sleep {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        if self.clock.now() >= self.until {
            Poll::Ready(())
        } else {
            self.clock.blocked.store(self.until, Ordering::SeqCst);
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::sim::executor::{poll_once, Task};

    #[test]
    fn time_only_moves_forward() {
        let clock = VirtualClock::at(T0);
        clock.advance_to(T0 + 5_000);
        clock.advance_to(T0 + 1_000);
        assert_eq!(clock.now(), T0 + 5_000);
        assert_eq!(clock.elapsed(), 5.0);
    }

    #[test]
    fn a_sleeper_waits_for_the_clock_and_says_until_when() {
        let clock = VirtualClock::at(T0);
        let mut sleeper: Task<'_, ()> = Box::pin(clock.sleep_until(T0 + 2_000));
        assert!(poll_once(&mut sleeper).is_pending());
        assert_eq!(clock.take_blocked(), Some(T0 + 2_000));
        assert_eq!(clock.take_blocked(), None);
        clock.advance_to(T0 + 2_000);
        assert!(poll_once(&mut sleeper).is_ready());
    }
}
