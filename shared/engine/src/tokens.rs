//! Task tokens: `<locator>.<256 random bits>`.
//!
//! The locator names the execution and frame that wait on the task, so a callback finds
//! them with the reads a step makes anyway and no token item is written or read. It is
//! not a secret: the random part, compared with the one the waiting frame stored, is what
//! makes a token valid, and a frame keeps it only while that attempt is pending, so a
//! token works once and only for its own execution and attempt.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::ids::FrameId;

/// AWS's limit on `taskToken` in SendTask* requests.
pub const MAX_TOKEN_LENGTH: usize = 2048;

/// The prefix of the tokens a frame's tasks get.
pub fn locator(execution: &str, frame: &FrameId) -> String {
    URL_SAFE_NO_PAD.encode(format!("{execution}\n{frame}"))
}

/// The execution and frame a token names; `None` for a token Stepwise did not make.
pub fn locate(token: &str) -> Option<(String, FrameId)> {
    if token.len() > MAX_TOKEN_LENGTH {
        return None;
    }
    let (locator, random) = token.split_once('.')?;
    if random.is_empty() {
        return None;
    }
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(locator).ok()?).ok()?;
    let (execution, frame) = text.split_once('\n')?;
    if !execution.starts_with("arn:") {
        return None;
    }
    Some((execution.to_owned(), FrameId::parse(frame)?))
}

/// Compares two tokens in time independent of where they differ, so the random part
/// cannot be guessed a byte at a time from response times.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:states:us-east-1:000000000000:execution:m:e-1";

    #[test]
    fn a_token_finds_its_frame() {
        let frame = FrameId::child(&FrameId::root(), 3, 7);
        let token = format!("{}.{}", locator(ARN, &frame), "r4nd0m");
        assert_eq!(locate(&token), Some((ARN.to_owned(), frame)));
    }

    #[test]
    fn foreign_and_malformed_tokens_locate_nothing() {
        let good = locator(ARN, &FrameId::root());
        for token in [
            "",
            "no-dot",
            &format!("{good}."),
            "!!!.abc",
            &format!("{}.abc", URL_SAFE_NO_PAD.encode("arn:x\nnot/a/frame/id")),
            &format!("{}.abc", URL_SAFE_NO_PAD.encode("not-an-arn\n0")),
            &format!("{good}.{}", "x".repeat(MAX_TOKEN_LENGTH)),
        ] {
            assert_eq!(locate(token), None, "{token}");
        }
    }

    #[test]
    fn comparison_needs_every_byte() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd"));
        assert!(!same("abc", "abcd"));
    }
}
