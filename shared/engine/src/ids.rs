//! Names of frames and joins inside an execution.
//!
//! A child frame's id spells out where it came from: `<parent>/<parent version>/<index>`.
//! The parent's version at fan-out tells apart two runs of the same Map (a loop, a
//! retry), and a child can find its join without reading anything.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One thread of control of an execution: `0` for the root.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct FrameId(String);

impl FrameId {
    pub fn root() -> Self {
        Self("0".to_owned())
    }

    /// The `index`-th child of the join `parent` opened at `version`.
    pub fn child(parent: &FrameId, version: u64, index: u32) -> Self {
        Self(format!("{}/{version}/{index}", parent.0))
    }

    pub fn parse(text: &str) -> Option<Self> {
        let id = Self(text.to_owned());
        let valid = text == "0" || id.join().is_some_and(|(join, _)| join.parent.is_valid());
        valid.then_some(id)
    }

    fn is_valid(&self) -> bool {
        self.0 == "0" || self.join().is_some()
    }

    pub fn is_root(&self) -> bool {
        self.0 == "0"
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The join this frame belongs to and its index in it; `None` for the root.
    pub fn join(&self) -> Option<(JoinKey, u32)> {
        let (rest, index) = self.0.rsplit_once('/')?;
        let (parent, version) = rest.rsplit_once('/')?;
        Some((
            JoinKey {
                parent: FrameId(parent.to_owned()),
                version: version.parse().ok()?,
            },
            index.parse().ok()?,
        ))
    }
}

impl fmt::Display for FrameId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Parallel or Map state's fan-out: the parent frame and the version it committed
/// when it opened the join.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct JoinKey {
    pub parent: FrameId,
    pub version: u64,
}

impl fmt::Display for JoinKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.parent, self.version)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_ids_name_their_join() {
        let child = FrameId::child(&FrameId::root(), 3, 7);
        let grandchild = FrameId::child(&child, 1, 0);
        assert_eq!(grandchild.as_str(), "0/3/7/1/0");
        let (join, index) = grandchild.join().unwrap();
        assert_eq!((join.parent, join.version, index), (child.clone(), 1, 0));
        let (join, index) = child.join().unwrap();
        assert_eq!((join.parent, join.version, index), (FrameId::root(), 3, 7));
        assert!(FrameId::root().join().is_none());
    }

    #[test]
    fn parse_rejects_malformed_ids() {
        assert!(FrameId::parse("0/3/7").is_some());
        assert!(FrameId::parse("0").is_some());
        for bad in ["", "1", "0/x/1", "0/1", "0/1/-2", "a/1/2"] {
            assert!(FrameId::parse(bad).is_none(), "{bad}");
        }
    }
}
