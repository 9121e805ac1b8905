//! `States.Base64Encode`, `States.Base64Decode` and `States.Hash`.

use base64::alphabet;
use base64::engine::{DecodePaddingMode, Engine, GeneralPurpose, GeneralPurposeConfig};
use md5::Md5;
use serde_json::Value;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::{Args, Fn_};
use crate::failure::Failure;

/// AWS: Base64Encode/Base64Decode take "a data string of up to 10,000 characters";
/// Hash data must be "10,000 characters or less".
const MAX_INPUT_CHARS: usize = 10_000;

/// Standard alphabet, padded output; on input, padding is optional (Java's
/// `Base64.getDecoder()` accepts both).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

fn limited_string<'v>(f: Fn_, what: &str, v: &'v Value) -> Result<&'v str, Failure> {
    let s = f.string(what, v)?;
    // Java counts UTF-16 code units; that is what "characters" means on the JVM. A
    // string has at most as many of them as bytes, so a short one needs no count.
    if s.len() <= MAX_INPUT_CHARS {
        return Ok(s);
    }
    let len = s.encode_utf16().count();
    if len > MAX_INPUT_CHARS {
        return Err(f.fail(format!(
            "the input string has {len} characters; the maximum is {MAX_INPUT_CHARS}"
        )));
    }
    Ok(s)
}

/// The UTF-8 bytes of the string, Base64-encoded.
pub(super) fn base64_encode(f: Fn_, args: Args<'_, '_>) -> Result<Value, Failure> {
    let [s] = f.take(args)?;
    let s = limited_string(f, "argument", s)?;
    Ok(Value::String(BASE64.encode(s.as_bytes())))
}

/// The decoded bytes, which must be UTF-8 text (the result is a JSON string).
pub(super) fn base64_decode(f: Fn_, args: Args<'_, '_>) -> Result<Value, Failure> {
    let [s] = f.take(args)?;
    let s = limited_string(f, "argument", s)?;
    let bytes = BASE64
        .decode(s.as_bytes())
        .map_err(|e| f.fail(format!("the string is not valid Base64: {e}")))?;
    let text =
        String::from_utf8(bytes).map_err(|_| f.fail("the decoded data is not valid UTF-8 text"))?;
    Ok(Value::String(text))
}

/// Lower-case hex digest of the string's UTF-8 bytes.
pub(super) fn hash(f: Fn_, args: Args<'_, '_>) -> Result<Value, Failure> {
    let [data, algorithm] = f.take(args)?;
    let data = limited_string(f, "data (first argument)", data)?;
    let algorithm = f.string("algorithm (second argument)", algorithm)?;
    let bytes = data.as_bytes();
    let digest = match algorithm {
        "MD5" => hex(&Md5::digest(bytes)),
        "SHA-1" => hex(&Sha1::digest(bytes)),
        "SHA-256" => hex(&Sha256::digest(bytes)),
        "SHA-384" => hex(&Sha384::digest(bytes)),
        "SHA-512" => hex(&Sha512::digest(bytes)),
        other => {
            return Err(f.fail(format!(
                "unsupported hash algorithm '{other}'; use MD5, SHA-1, SHA-256, SHA-384 \
                 or SHA-512"
            )))
        }
    };
    Ok(Value::String(digest))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}
