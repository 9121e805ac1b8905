//! The table's keys: one partition per execution, one sort key per kind of item.
//!
//! Sort keys are built so that DynamoDB's byte order is the order the engine reads them
//! in: numbers that are range-scanned are zero-padded, and `#` (0x23) sorts before every
//! character a frame id holds (`0-9`, `/`), so `H#0#…` comes before `H#0/3/1#…` exactly
//! as the in-memory store's `(frame, version)` tuples do.

use stepwise_engine::{FrameId, JoinKey};

// The key attributes' names are shared with the Terraform module and the emulator
// bootstrap (see `crate::names`).
pub(crate) const PK: &str = crate::names::PARTITION_KEY;
pub(crate) const SK: &str = crate::names::SORT_KEY;

pub(crate) const META: &str = "META";
pub(crate) const DEFINITION: &str = "DEF";
pub(crate) const HISTORY_PREFIX: &str = "H#";

pub(crate) fn execution_pk(arn: &str) -> String {
    format!("EX#{arn}")
}

pub(crate) fn definition_pk(hash: &str) -> String {
    format!("DEF#{hash}")
}

pub(crate) fn frame_sk(frame: &FrameId) -> String {
    format!("F#{frame}")
}

pub(crate) fn join_sk(join: &JoinKey) -> String {
    format!("J#{}#{}", join.parent, join.version)
}

/// Every result of one join starts with this; the trailing `#` keeps join `0#3` from
/// matching `0#31`.
pub(crate) fn results_prefix(join: &JoinKey) -> String {
    format!("R#{}#{}#", join.parent, join.version)
}

/// Ten digits hold every `u32`, so results come back in index order.
pub(crate) fn result_sk(join: &JoinKey, index: u32) -> String {
    format!("{}{index:010}", results_prefix(join))
}

/// Twenty digits hold every `u64`: `u64::MAX` marks execution-level events (stop,
/// timeout), which must sort after the root frame's own commits.
pub(crate) fn history_sk(frame: &FrameId, version: u64) -> String {
    format!("{HISTORY_PREFIX}{frame}#{version:020}")
}

/// Part `part` (from 1) of a commit whose events are split over several items: right
/// after part 0 (`history_sk`, which is a prefix of it) and before the frame's next
/// version, so key order stays event order. Four digits: a transaction holds at most 100
/// items.
pub(crate) fn history_part_sk(frame: &FrameId, version: u64, part: usize) -> String {
    if part == 0 {
        history_sk(frame, version)
    } else {
        format!("{}#{part:04}", history_sk(frame, version))
    }
}

/// The frame and version a history sort key names (of any of the commit's parts);
/// `None` if it is not one.
pub(crate) fn parse_history_sk(sk: &str) -> Option<(FrameId, u64)> {
    let rest = sk.strip_prefix(HISTORY_PREFIX)?;
    // A frame id holds no `#`: frame, version and an optional part.
    let mut fields = rest.split('#');
    let (frame, version, part) = (fields.next()?, fields.next()?, fields.next());
    if fields.next().is_some() {
        return None;
    }
    if version.len() != 20 || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(part) = part {
        if part.len() != 4 || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
    }
    Some((FrameId::parse(frame)?, version.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn join(parent: FrameId, version: u64) -> JoinKey {
        JoinKey { parent, version }
    }

    #[test]
    fn keys_spell_out_their_items() {
        let child = FrameId::child(&FrameId::root(), 3, 7);
        assert_eq!(execution_pk("arn:x"), "EX#arn:x");
        assert_eq!(definition_pk("ab12"), "DEF#ab12");
        assert_eq!(frame_sk(&child), "F#0/3/7");
        assert_eq!(join_sk(&join(child.clone(), 2)), "J#0/3/7#2");
        assert_eq!(result_sk(&join(FrameId::root(), 3), 42), "R#0#3#0000000042");
        assert_eq!(
            history_sk(&FrameId::root(), u64::MAX),
            "H#0#18446744073709551615"
        );
        assert_eq!(history_sk(&child, 1), "H#0/3/7#00000000000000000001");
    }

    #[test]
    fn result_prefixes_do_not_overlap() {
        let three = join(FrameId::root(), 3);
        let thirty_one = join(FrameId::root(), 31);
        assert!(!result_sk(&thirty_one, 0).starts_with(&results_prefix(&three)));
        assert!(result_sk(&three, u32::MAX).starts_with(&results_prefix(&three)));
    }

    #[test]
    fn history_keys_sort_like_frame_and_version() {
        let frames = [
            FrameId::root(),
            FrameId::child(&FrameId::root(), 1, 1),
            FrameId::child(&FrameId::root(), 1, 10),
            FrameId::child(&FrameId::root(), 1, 2),
            FrameId::child(&FrameId::child(&FrameId::root(), 1, 1), 4, 0),
        ];
        let versions = [1, 2, 10, 99, u64::MAX];
        let mut tuples = Vec::new();
        for frame in &frames {
            for version in versions {
                tuples.push((frame.to_string(), version));
            }
        }
        let mut by_key = tuples.clone();
        by_key
            .sort_by_key(|(frame, version)| history_sk(&FrameId::parse(frame).unwrap(), *version));
        tuples.sort();
        assert_eq!(by_key, tuples);
    }

    #[test]
    fn history_parts_sort_between_their_commit_and_the_next() {
        let root = FrameId::root();
        let child = FrameId::child(&root, 1, 1);
        let keys = [
            history_part_sk(&root, 9, 0),
            history_part_sk(&root, 9, 1),
            history_part_sk(&root, 9, 2),
            history_part_sk(&root, 9, 10),
            history_part_sk(&root, 10, 0),
            history_part_sk(&root, 10, 1),
            history_part_sk(&root, u64::MAX, 0),
            history_part_sk(&child, 1, 0),
            history_part_sk(&child, 1, 3),
        ];
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, keys);
        assert_eq!(history_part_sk(&root, 9, 0), history_sk(&root, 9));
        assert_eq!(
            history_part_sk(&child, 1, 3),
            "H#0/1/1#00000000000000000001#0003"
        );
        for (sk, part) in keys.iter().zip([0, 1, 2, 10, 0, 1, 0, 0, 3]) {
            let (frame, version) = parse_history_sk(sk).unwrap();
            assert_eq!(history_part_sk(&frame, version, part), *sk);
        }
    }

    #[test]
    fn history_keys_parse_back() {
        let child = FrameId::child(&FrameId::root(), 3, 7);
        assert_eq!(parse_history_sk(&history_sk(&child, 12)), Some((child, 12)));
        assert_eq!(
            parse_history_sk(&history_sk(&FrameId::root(), u64::MAX)),
            Some((FrameId::root(), u64::MAX))
        );
        for bad in [
            "",
            "H#",
            "H#0#12",
            "F#0#00000000000000000001",
            "H#x#00000000000000000001",
            "H#0#00000000000000000001#1",
            "H#0#00000000000000000001#0001#0001",
            "H#0#00000000000000000001#",
        ] {
            assert_eq!(parse_history_sk(bad), None, "{bad}");
        }
    }
}
