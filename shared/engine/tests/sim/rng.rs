//! The simulation's only source of randomness: seeded, so a seed replays exactly.

use stepwise_core::entropy::{Entropy, SplitMix64};

/// Independent streams drawn from one seed: the workload, the faults and the scheduler
/// must not shift each other when one of them draws one number more.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    Workload = 1,
    Faults = 2,
    Scheduler = 3,
    Profile = 4,
    /// Which Maps read their items from a (fake) ItemReader, and its page size: drawn
    /// apart so that the other streams' seeds keep their workloads.
    Readers = 5,
}

#[derive(Debug, Clone)]
pub struct Rng(SplitMix64);

impl Rng {
    pub fn new(seed: u64, stream: Stream) -> Self {
        // SplitMix64 seeds that differ in a few bits give unrelated sequences.
        let mixed = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (stream as u64).rotate_left(32);
        Self(SplitMix64::new(mixed))
    }

    /// Uniform in `0..n` (`0` when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.0.next_u64() % n
        }
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && self.0.next_f64() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An index into `weights`, each chosen in proportion to its weight.
    pub fn weighted(&mut self, weights: &[u64]) -> usize {
        let mut roll = self.below(weights.iter().sum());
        for (i, &w) in weights.iter().enumerate() {
            if roll < w {
                return i;
            }
            roll -= w;
        }
        weights.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_of_one_seed_differ_and_replay() {
        let draw = |stream| {
            let mut rng = Rng::new(7, stream);
            (0..8).map(|_| rng.below(1000)).collect::<Vec<_>>()
        };
        assert_eq!(draw(Stream::Faults), draw(Stream::Faults));
        assert_ne!(draw(Stream::Faults), draw(Stream::Workload));
    }

    #[test]
    fn weighted_never_picks_a_zero_weight() {
        let mut rng = Rng::new(1, Stream::Scheduler);
        for _ in 0..1000 {
            assert_ne!(rng.weighted(&[3, 0, 1]), 1);
        }
    }
}
