//! Virtual time: it moves only when the simulation says so, so a two-minute Wait costs
//! nothing and every run sees the same instants.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use stepwise_engine::Clock;

/// 2024-01-01T00:00:00Z: where every simulated run starts.
pub const T0: i64 = 1_704_067_200_000;

/// Shared by the engine, the simulated queue and the fake tasks.
#[derive(Debug, Clone)]
pub struct VirtualClock(Arc<AtomicI64>);

impl VirtualClock {
    pub fn at(now: i64) -> Self {
        Self(Arc::new(AtomicI64::new(now)))
    }

    /// Never moves backwards: a late caller with an earlier instant changes nothing.
    pub fn advance_to(&self, at: i64) {
        self.0.fetch_max(at, Ordering::SeqCst);
    }

    pub fn advance_by(&self, millis: i64) {
        self.0.fetch_add(millis.max(0), Ordering::SeqCst);
    }

    /// Seconds since [`T0`], for traces.
    pub fn elapsed(&self) -> f64 {
        (self.now() - T0) as f64 / 1000.0
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_only_moves_forward() {
        let clock = VirtualClock::at(T0);
        clock.advance_to(T0 + 5_000);
        clock.advance_to(T0 + 1_000);
        assert_eq!(clock.now(), T0 + 5_000);
        clock.advance_by(-3);
        clock.advance_by(500);
        assert_eq!(clock.elapsed(), 5.5);
    }
}
