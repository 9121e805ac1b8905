//! Randomness passed in from outside.
//!
//! The core has no randomness of its own (retry jitter, `States.UUID`,
//! `States.MathRandom` all draw from an [`Entropy`] the caller supplies), so a run is
//! reproducible from its inputs. [`SplitMix64`] is a small seeded source for callers that
//! want determinism (tests, simulation); production callers seed it from the OS.

/// A source of random bits.
pub trait Entropy {
    fn next_u64(&mut self) -> u64;

    /// A float uniformly distributed in `[0, 1)`.
    fn next_f64(&mut self) -> f64 {
        // 53 random mantissa bits: the standard construction for a uniform double.
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn fill_bytes(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, and good enough for ids and jitter.
#[derive(Debug, Clone)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }
}

impl Entropy for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// A version 4 UUID from `entropy` (never the OS), so ids replay with their seed:
/// `States.UUID`, execution names, revision ids.
pub fn uuid_v4(entropy: &mut dyn Entropy) -> String {
    let mut bytes = [0u8; 16];
    entropy.fill_bytes(&mut bytes);
    // Sets the version (4) and variant (RFC 4122) bits over the random bytes.
    ::uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_source_is_reproducible_and_in_range() {
        let mut a = SplitMix64::new(7);
        let mut b = SplitMix64::new(7);
        for _ in 0..1000 {
            let x = a.next_f64();
            assert_eq!(x, b.next_f64());
            assert!((0.0..1.0).contains(&x));
        }
    }
}
