//! `States.UUID`: a version 4 UUID from the caller's entropy (never the OS), so a run
//! is reproducible from its seed.

use serde_json::Value;

use crate::entropy::Entropy;

pub(super) fn generate(entropy: &mut dyn Entropy) -> Value {
    let mut bytes = [0u8; 16];
    entropy.fill_bytes(&mut bytes);
    // Sets the version (4) and variant (RFC 4122) bits over the random bytes.
    let id = ::uuid::Builder::from_random_bytes(bytes).into_uuid();
    Value::String(id.hyphenated().to_string())
}
