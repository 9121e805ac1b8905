//! Graceful shutdown: once asked to stop, consumers receive nothing more, in-flight
//! batches have until the grace period ends to finish, and what is still running then is
//! handed back to its queue.

use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// Tells every consumer when the worker stops. Clones share the signal.
#[derive(Debug, Clone)]
pub struct Shutdown {
    /// The end of the grace period once a stop was asked for.
    deadline: watch::Sender<Option<Instant>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    pub fn new() -> Self {
        Self {
            deadline: watch::Sender::new(None),
        }
    }

    /// Starts the shutdown: in-flight work may run `grace` longer. A second call keeps
    /// the first deadline.
    pub fn begin(&self, grace: Duration) {
        self.deadline.send_if_modified(|deadline| {
            if deadline.is_some() {
                return false;
            }
            *deadline = Some(Instant::now() + grace);
            true
        });
    }

    pub fn is_stopping(&self) -> bool {
        self.deadline.borrow().is_some()
    }

    /// Resolves when a stop is asked for.
    pub async fn stopping(&self) {
        let mut receiver = self.deadline.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        let _ = receiver.wait_for(Option::is_some).await;
    }

    /// Resolves when the grace period of a stop has run out.
    pub async fn grace_over(&self) {
        let mut receiver = self.deadline.subscribe();
        let deadline = match receiver.wait_for(Option::is_some).await {
            Ok(deadline) => *deadline,
            Err(_) => None,
        };
        if let Some(deadline) = deadline {
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// Resolves on SIGTERM (Kubernetes' stop) or SIGINT (Ctrl-C).
pub async fn signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn grace_runs_from_the_first_stop() {
        let shutdown = Shutdown::new();
        assert!(!shutdown.is_stopping());
        let waiter = tokio::spawn({
            let shutdown = shutdown.clone();
            async move {
                shutdown.grace_over().await;
                Instant::now()
            }
        });
        let asked = Instant::now();
        shutdown.begin(Duration::from_secs(5));
        tokio::time::sleep(Duration::from_secs(1)).await;
        // A second signal does not push the deadline out.
        shutdown.begin(Duration::from_secs(60));
        assert!(shutdown.is_stopping());
        shutdown.stopping().await;
        let over = waiter.await.expect("the waiter");
        assert_eq!(over - asked, Duration::from_secs(5));
    }
}
