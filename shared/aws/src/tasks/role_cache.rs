//! Temporary credentials (or what is built from them) per role, reused until shortly
//! before they expire.
//!
//! One slot per key, each behind its own async lock: concurrent tasks that need the same
//! role wait for one AssumeRole instead of each making their own, and tasks for other
//! roles are not held up. A failed fetch stores nothing, so the next task tries again.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Credentials are refreshed this long before they expire, so a call signed with them
/// never reaches the service after they lapse (the SDK's own credential cache refreshes
/// within the same kind of window).
pub const REFRESH_MARGIN_MS: i64 = 5 * 60 * 1000;

#[derive(Debug)]
struct Entry<T> {
    value: T,
    /// Epoch milliseconds.
    expires_at: i64,
}

type Slot<T> = Arc<tokio::sync::Mutex<Option<Entry<T>>>>;

/// A cache shared by every handler of one process (clone it: clones share the entries).
#[derive(Debug)]
pub struct RoleCache<T> {
    slots: Arc<Mutex<HashMap<String, Slot<T>>>>,
}

impl<T> Clone for RoleCache<T> {
    fn clone(&self) -> Self {
        Self {
            slots: Arc::clone(&self.slots),
        }
    }
}

impl<T> Default for RoleCache<T> {
    fn default() -> Self {
        Self {
            slots: Arc::default(),
        }
    }
}

impl<T: Clone> RoleCache<T> {
    /// The cached value for `key` if it is still good at `now` (epoch ms), else the one
    /// `fetch` returns with its expiry, which is then cached.
    pub async fn get<F, Fut, E>(&self, key: &str, now: i64, fetch: F) -> Result<T, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, i64), E>>,
    {
        let slot = {
            // A poisoned map only means another thread panicked while inserting a slot;
            // the map itself is still whole.
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(slots.entry(key.to_owned()).or_default())
        };
        let mut entry = slot.lock().await;
        if let Some(cached) = entry.as_ref() {
            if now < cached.expires_at - REFRESH_MARGIN_MS {
                return Ok(cached.value.clone());
            }
        }
        let (value, expires_at) = fetch().await?;
        *entry = Some(Entry {
            value: value.clone(),
            expires_at,
        });
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::*;

    const HOUR_MS: i64 = 60 * 60 * 1000;

    /// A fetch that counts its calls and hands out "credentials" numbered by call.
    async fn fetcher(calls: &AtomicU32, expires_at: i64) -> Result<(u32, i64), String> {
        Ok((calls.fetch_add(1, Ordering::SeqCst) + 1, expires_at))
    }

    #[tokio::test]
    async fn credentials_are_reused_until_shortly_before_they_expire() {
        let cache = RoleCache::default();
        let calls = AtomicU32::new(0);
        let t0 = 1_700_000_000_000;
        let expiry = t0 + HOUR_MS;
        let first = cache.get("role", t0, || fetcher(&calls, expiry)).await;
        assert_eq!(first, Ok(1));
        // Still well before expiry: the same credentials, no new AssumeRole.
        let later = expiry - REFRESH_MARGIN_MS - 1;
        assert_eq!(
            cache.get("role", later, || fetcher(&calls, expiry)).await,
            Ok(1)
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Inside the margin: refreshed, and the fresh ones are then reused.
        let near = expiry - REFRESH_MARGIN_MS;
        let renewed = near + HOUR_MS;
        assert_eq!(
            cache.get("role", near, || fetcher(&calls, renewed)).await,
            Ok(2)
        );
        assert_eq!(
            cache
                .get("role", near + 1, || fetcher(&calls, renewed))
                .await,
            Ok(2)
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn roles_are_cached_apart_and_failures_are_not_cached() {
        let cache = RoleCache::default();
        let calls = AtomicU32::new(0);
        let t0 = 1_700_000_000_000;
        assert_eq!(
            cache.get("a", t0, || fetcher(&calls, t0 + HOUR_MS)).await,
            Ok(1)
        );
        assert_eq!(
            cache.get("b", t0, || fetcher(&calls, t0 + HOUR_MS)).await,
            Ok(2)
        );
        let failed: Result<u32, String> = cache
            .get("c", t0, || async { Err("AccessDenied".to_owned()) })
            .await;
        assert_eq!(failed, Err("AccessDenied".to_owned()));
        assert_eq!(
            cache.get("c", t0, || fetcher(&calls, t0 + HOUR_MS)).await,
            Ok(3)
        );
        assert_eq!(
            cache.get("a", t0, || fetcher(&calls, t0 + HOUR_MS)).await,
            Ok(1)
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_tasks_for_one_role_share_one_fetch() {
        let cache = RoleCache::default();
        let calls = Arc::new(AtomicU32::new(0));
        let t0 = 1_700_000_000_000;
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let cache = cache.clone();
                let calls = Arc::clone(&calls);
                tokio::spawn(async move {
                    cache
                        .get("role", t0, || async move {
                            // Slow enough that the other tasks arrive while it runs.
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            calls.fetch_add(1, Ordering::SeqCst);
                            Ok::<_, String>((7u32, t0 + HOUR_MS))
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.expect("task"), Ok(7));
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
