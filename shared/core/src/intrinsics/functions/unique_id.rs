//! `States.UUID`: a version 4 UUID from the caller's entropy (never the OS), so a run
//! is reproducible from its seed.

use serde_json::Value;

use crate::entropy::Entropy;

pub(super) fn generate(entropy: &mut dyn Entropy) -> Value {
    Value::String(crate::entropy::uuid_v4(entropy))
}
