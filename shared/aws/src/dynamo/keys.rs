//! The table's keys: one partition per execution, one sort key per kind of item.
//!
//! Sort keys are built so that DynamoDB's byte order is the order the engine reads them
//! in: numbers that are range-scanned are zero-padded, and `#` (0x23) sorts before every
//! character a frame id holds (`0-9`, `/`), so `F#0#…` comes before `F#0/3/1#…` exactly
//! as the in-memory store's `(frame, version)` history keys do.

use stepwise_engine::{FrameId, JoinKey};

// The key attributes' names are shared with the Terraform module and the emulator
// bootstrap (see `crate::names`).
pub(crate) const PK: &str = crate::names::PARTITION_KEY;
pub(crate) const SK: &str = crate::names::SORT_KEY;

pub(crate) const META: &str = "META";
pub(crate) const DEFINITION: &str = "DEF";
/// The frame log: every version of every frame, with its commit's events.
pub(crate) const LOG_PREFIX: &str = "F#";

pub(crate) fn execution_pk(arn: &str) -> String {
    format!("EX#{arn}")
}

pub(crate) fn definition_pk(hash: &str) -> String {
    format!("DEF#{hash}")
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

/// Version `version` of `frame` in the frame log: the frame as that commit left it and
/// the commit's history events. Twenty digits hold every `u64`, so a frame's versions
/// sort in order. A commit puts this key only if it is absent: versions are dense, so
/// writing `v + 1` is the lock that the writer read `v` as the latest.
///
/// Execution-level events (stop, timeout) are written under the root's key at
/// `u64::MAX - redrives`: they sort after the root's own commits, and no frame reaches
/// a version with a leading `1` in twenty digits (10^19 commits), so
/// [`frame_versions`] leaves them out.
pub(crate) fn log_sk(frame: &FrameId, version: u64) -> String {
    format!("{LOG_PREFIX}{frame}#{version:020}")
}

/// The bounds (inclusive) of a frame's versions under 10^19, for the query that finds
/// its latest: every `log_sk` of the frame and its parts, none of its execution-level
/// events, no other frame's keys (`#` ends the frame id).
pub(crate) fn frame_versions(frame: &FrameId) -> (String, String) {
    (
        format!("{LOG_PREFIX}{frame}#0"),
        format!("{LOG_PREFIX}{frame}#1"),
    )
}

/// Part `part` (from 1) of a commit whose events are split over several items: right
/// after part 0 (`log_sk`, which is a prefix of it) and before the frame's next
/// version, so key order stays event order. Four digits: a transaction holds at most 100
/// items.
pub(crate) fn log_part_sk(frame: &FrameId, version: u64, part: usize) -> String {
    if part == 0 {
        log_sk(frame, version)
    } else {
        format!("{}#{part:04}", log_sk(frame, version))
    }
}

/// The frame, version and part a log sort key names; `None` if it is not one.
pub(crate) fn parse_log_sk(sk: &str) -> Option<(FrameId, u64, usize)> {
    let rest = sk.strip_prefix(LOG_PREFIX)?;
    // A frame id holds no `#`: frame, version and an optional part.
    let mut fields = rest.split('#');
    let (frame, version, part) = (fields.next()?, fields.next()?, fields.next());
    if fields.next().is_some() {
        return None;
    }
    if version.len() != 20 || !version.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let part = match part {
        Some(part) if part.len() == 4 && part.bytes().all(|b| b.is_ascii_digit()) => {
            part.parse().ok()?
        }
        Some(_) => return None,
        None => 0,
    };
    Some((FrameId::parse(frame)?, version.parse().ok()?, part))
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
        assert_eq!(join_sk(&join(child.clone(), 2)), "J#0/3/7#2");
        assert_eq!(result_sk(&join(FrameId::root(), 3), 42), "R#0#3#0000000042");
        assert_eq!(
            log_sk(&FrameId::root(), u64::MAX),
            "F#0#18446744073709551615"
        );
        assert_eq!(log_sk(&child, 1), "F#0/3/7#00000000000000000001");
    }

    #[test]
    fn result_prefixes_do_not_overlap() {
        let three = join(FrameId::root(), 3);
        let thirty_one = join(FrameId::root(), 31);
        assert!(!result_sk(&thirty_one, 0).starts_with(&results_prefix(&three)));
        assert!(result_sk(&three, u32::MAX).starts_with(&results_prefix(&three)));
    }

    #[test]
    fn log_keys_sort_like_frame_and_version() {
        let frames = [
            FrameId::root(),
            FrameId::child(&FrameId::root(), 1, 1),
            FrameId::child(&FrameId::root(), 1, 10),
            FrameId::child(&FrameId::root(), 1, 2),
            FrameId::child(&FrameId::child(&FrameId::root(), 1, 1), 4, 0),
        ];
        let versions = [0, 1, 2, 10, 99, u64::MAX];
        let mut tuples = Vec::new();
        for frame in &frames {
            for version in versions {
                tuples.push((frame.to_string(), version));
            }
        }
        let mut by_key = tuples.clone();
        by_key.sort_by_key(|(frame, version)| log_sk(&FrameId::parse(frame).unwrap(), *version));
        tuples.sort();
        assert_eq!(by_key, tuples);
    }

    #[test]
    fn a_frames_versions_exclude_execution_events_and_other_frames() {
        let root = FrameId::root();
        let child = FrameId::child(&root, 1, 1);
        let (low, high) = frame_versions(&root);
        let within = |sk: &str| low.as_str() <= sk && sk <= high.as_str();
        for version in [0, 1, 99, 9_999_999_999_999_999_999] {
            assert!(within(&log_sk(&root, version)), "{version}");
            assert!(within(&log_part_sk(&root, version, 99)), "{version}");
        }
        for redrives in [0, 1, u64::from(u32::MAX)] {
            assert!(!within(&log_sk(&root, u64::MAX - redrives)));
        }
        assert!(!within(&log_sk(&child, 1)));
        let (low, high) = frame_versions(&child);
        assert!(!(low.as_str()..=high.as_str()).contains(&log_sk(&root, 5).as_str()));
        assert!(!(low.as_str()..=high.as_str())
            .contains(&log_sk(&FrameId::child(&root, 1, 10), 5).as_str()));
    }

    #[test]
    fn log_parts_sort_between_their_commit_and_the_next() {
        let root = FrameId::root();
        let child = FrameId::child(&root, 1, 1);
        let keys = [
            log_part_sk(&root, 9, 0),
            log_part_sk(&root, 9, 1),
            log_part_sk(&root, 9, 2),
            log_part_sk(&root, 9, 10),
            log_part_sk(&root, 10, 0),
            log_part_sk(&root, 10, 1),
            log_part_sk(&root, u64::MAX, 0),
            log_part_sk(&child, 1, 0),
            log_part_sk(&child, 1, 3),
        ];
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, keys);
        assert_eq!(log_part_sk(&root, 9, 0), log_sk(&root, 9));
        assert_eq!(
            log_part_sk(&child, 1, 3),
            "F#0/1/1#00000000000000000001#0003"
        );
        for (sk, part) in keys.iter().zip([0, 1, 2, 10, 0, 1, 0, 0, 3]) {
            let (frame, version, parsed) = parse_log_sk(sk).unwrap();
            assert_eq!(parsed, part);
            assert_eq!(log_part_sk(&frame, version, part), *sk);
        }
    }

    #[test]
    fn log_keys_parse_back() {
        let child = FrameId::child(&FrameId::root(), 3, 7);
        assert_eq!(parse_log_sk(&log_sk(&child, 12)), Some((child, 12, 0)));
        assert_eq!(
            parse_log_sk(&log_sk(&FrameId::root(), u64::MAX)),
            Some((FrameId::root(), u64::MAX, 0))
        );
        for bad in [
            "",
            "F#",
            "F#0#12",
            "H#0#00000000000000000001",
            "F#x#00000000000000000001",
            "F#0#00000000000000000001#1",
            "F#0#00000000000000000001#0001#0001",
            "F#0#00000000000000000001#",
        ] {
            assert_eq!(parse_log_sk(bad), None, "{bad}");
        }
    }
}
