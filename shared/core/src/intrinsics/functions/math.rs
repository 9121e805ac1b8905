//! `States.MathAdd` and `States.MathRandom`.

use serde_json::Value;

use super::{Args, Fn_};
use crate::entropy::Entropy;
use crate::failure::Failure;

/// AWS: "You must specify integer values in the range of -2147483648 and 2147483647."
fn int32(f: Fn_, what: &str, v: &Value) -> Result<i64, Failure> {
    let i = f.rounded_int(what, v)?;
    if i < i64::from(i32::MIN) || i > i64::from(i32::MAX) {
        return Err(f.fail(format!(
            "the {what} {i} is outside the range -2147483648 to 2147483647"
        )));
    }
    Ok(i)
}

/// The sum of two integers; non-integers are rounded first (AWS documents the rounding,
/// and `MathAdd($.x, -1)` on 111 gives 110). The sum itself is not wrapped.
pub(super) fn add(f: Fn_, args: Args<'_, '_>) -> Result<Value, Failure> {
    let [a, b] = f.take(args)?;
    let a = int32(f, "first argument", a)?;
    let b = int32(f, "second argument", b)?;
    Ok(Value::from(a + b))
}

/// A random integer in `[start, end)` (AWS: start inclusive, end exclusive). With a
/// seed, the same seed always gives the same number (AWS documents this), so the seeded
/// form draws from `java.util.Random(seed).nextInt(end - start)`, as the JVM would, and
/// never from the caller's entropy.
pub(super) fn random(
    f: Fn_,
    args: Args<'_, '_>,
    entropy: &mut dyn Entropy,
) -> Result<Value, Failure> {
    let mut args = args.iter();
    let (Some(start), Some(end)) = (args.next(), args.next()) else {
        return Err(f.fail("expected a start and an end"));
    };
    let seed = args.next();
    let start = int32(f, "start (first argument)", start)?;
    let end = int32(f, "end (second argument)", end)?;
    let bound = end - start;
    if bound <= 0 {
        return Err(f.fail(format!(
            "the end ({end}) must be greater than the start ({start})"
        )));
    }
    let offset = match seed {
        Some(seed) => {
            let seed = f.rounded_int("seed (third argument)", seed)?;
            let bound = i32::try_from(bound)
                .map_err(|_| f.fail("the range between start and end is too large"))?;
            i64::from(JavaRandom::new(seed).next_int(bound))
        }
        None => {
            // `bound` ≤ 2^32, so the product stays below `bound` and fits exactly.
            let x = entropy.next_f64() * bound as f64;
            (x.floor() as i64).clamp(0, bound - 1)
        }
    };
    Ok(Value::from(start + offset))
}

/// `java.util.Random`: the 48-bit linear congruential generator the JDK specifies.
struct JavaRandom {
    seed: u64,
}

impl JavaRandom {
    const MULTIPLIER: u64 = 0x5_DEEC_E66D;
    const MASK: u64 = (1 << 48) - 1;

    fn new(seed: i64) -> Self {
        Self {
            seed: (seed as u64 ^ Self::MULTIPLIER) & Self::MASK,
        }
    }

    fn next(&mut self, bits: u32) -> i32 {
        self.seed = self.seed.wrapping_mul(Self::MULTIPLIER).wrapping_add(0xB) & Self::MASK;
        // `(int)(seed >>> (48 - bits))`: keep the low 32 bits, reinterpret as signed.
        (self.seed >> (48 - bits)) as u32 as i32
    }

    /// `nextInt(bound)` for `bound > 0`, including the JDK's rejection loop.
    fn next_int(&mut self, bound: i32) -> i32 {
        let mut r = self.next(31);
        let m = bound - 1;
        if bound & m == 0 {
            return ((i64::from(bound) * i64::from(r)) >> 31) as i32;
        }
        let mut u = r;
        loop {
            r = u % bound;
            if u.wrapping_sub(r).wrapping_add(m) >= 0 {
                return r;
            }
            u = self.next(31);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::JavaRandom;

    #[test]
    fn java_random_matches_the_jdk() {
        // Values printed by OpenJDK 17; the algorithm is part of the Java specification.
        assert_eq!(JavaRandom::new(42).next_int(10), 0);
        assert_eq!(JavaRandom::new(0).next_int(100), 60);
        // A power-of-two bound takes the multiply-shift path.
        assert_eq!(JavaRandom::new(42).next_int(16), 11);
        assert_eq!(JavaRandom::new(-7).next_int(999), 175);
    }
}
