//! JSONPath: parse a path, then select, test and set it against a document.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use stepwise_core::jsonpath::{Path, Root};
use stepwise_fuzz::split;

fuzz_target!(|data: &[u8]| {
    let Some((source, document)) = split(data) else {
        return;
    };
    let Ok(path) = Path::parse(source) else {
        return;
    };
    // Every accessor must answer for any parsed path.
    let _ = (path.root(), path.variable(), path.is_root_only());
    let _ = (path.is_definite(), path.is_reference(), path.normalized());
    let selected = path.select(&document);
    let borrowed = path.select_ref(&document);
    // The borrowing and the owning selection are two routes to one answer.
    assert_eq!(
        selected.as_ref().ok(),
        borrowed.as_ref().ok().map(|v| v.as_ref()),
        "select and select_ref disagree for {source:?}"
    );
    assert_eq!(path.exists(&document), selected.is_ok());
    // `set` is what ResultPath does; it is only defined for definite paths, but must
    // reject the rest with an error, not a panic.
    if let Ok(updated) = path.set(document, json!({"set": true})) {
        if path.is_reference() && path.root() == Root::Input {
            assert_eq!(
                path.select(&updated).ok(),
                Some(json!({"set": true})),
                "a value set at {source:?} is not found there"
            );
        }
    }
});
