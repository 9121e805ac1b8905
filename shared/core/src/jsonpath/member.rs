//! Looking up an object's member by name.
//!
//! serde_json's `preserve_order` map hashes every key it is asked for with SipHash,
//! which costs more than the rest of a path step. State inputs are mostly small objects:
//! up to [`SCAN_LIMIT`] members a scan of the keys, which compares lengths first, is
//! cheaper; larger objects use the map's index.

use serde_json::{Map, Value};

/// The member count up to which scanning beats hashing the key.
const SCAN_LIMIT: usize = 16;

/// The member `name` of `map`.
pub(crate) fn member<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    if map.len() <= SCAN_LIMIT {
        map.iter().find(|(k, _)| k.as_str() == name).map(|(_, v)| v)
    } else {
        map.get(name)
    }
}

/// [`member`], writable.
pub(crate) fn member_mut<'a>(map: &'a mut Map<String, Value>, name: &str) -> Option<&'a mut Value> {
    if map.len() <= SCAN_LIMIT {
        map.iter_mut()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, v)| v)
    } else {
        map.get_mut(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scanning_and_hashing_find_the_same_members() {
        for size in [0, 1, SCAN_LIMIT, SCAN_LIMIT + 1, 40] {
            let mut map: Map<String, Value> =
                (0..size).map(|i| (format!("k{i}"), json!(i))).collect();
            for i in 0..size + 2 {
                let name = format!("k{i}");
                assert_eq!(member(&map, &name), map.get(&name), "{size} {name}");
                let expected = map.get(&name).cloned();
                assert_eq!(member_mut(&mut map, &name).cloned(), expected);
            }
            assert_eq!(member(&map, "k"), None);
            if let Some(v) = member_mut(&mut map, "k0") {
                *v = json!("new");
                assert_eq!(map.get("k0"), Some(&json!("new")));
            }
        }
    }
}
