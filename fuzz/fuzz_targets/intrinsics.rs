//! Intrinsic functions: parse a `States.*` call, then evaluate it against a document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use stepwise_core::entropy::SplitMix64;
use stepwise_core::intrinsics::Intrinsic;
use stepwise_fuzz::{context_object, split};

fuzz_target!(|data: &[u8]| {
    let Some((source, document)) = split(data) else {
        return;
    };
    let _ = Intrinsic::looks_like(source);
    let Ok(intrinsic) = Intrinsic::parse(source) else {
        return;
    };
    let _ = (intrinsic.uses_context(), intrinsic.variable_names());
    // A failure (States.IntrinsicFailure, …) is a workflow error and fine; a panic is not.
    let _ = intrinsic.eval(&document, &context_object(), &mut SplitMix64::new(7));
});
