//! Retry and Catch: which retrier or catcher handles a failure, and the backoff delay.

use crate::definition::{Jitter, Retrier};
use crate::entropy::Entropy;
use crate::failure::{names, Failure};

/// Whether an `ErrorEquals` list matches a failure, with AWS's wildcard rules:
/// `States.ALL` matches everything but `States.Runtime` and `States.DataLimitExceeded`;
/// `States.TaskFailed` matches any error that is not a `States.*` error.
pub(crate) fn error_matches(error_equals: &[String], failure: &Failure) -> bool {
    let error = failure.error.as_deref().unwrap_or("");
    error_equals.iter().any(|name| match name.as_str() {
        names::ALL => error != names::RUNTIME && error != names::DATA_LIMIT_EXCEEDED,
        names::TASK_FAILED => error == names::TASK_FAILED || !error.starts_with("States."),
        // AWS reports a missed heartbeat as `States.Timeout`; `States.HeartbeatTimeout`
        // in Retry/Catch matches only that kind of timeout.
        names::HEARTBEAT_TIMEOUT => {
            error == names::HEARTBEAT_TIMEOUT
                || (error == names::TIMEOUT
                    && failure.cause.as_deref() == Some(crate::failure::HEARTBEAT_TIMEOUT_CAUSE))
        }
        other => other == error,
    })
}

/// What to do about a failure given the state's retriers.
#[derive(Debug, PartialEq)]
pub(crate) enum RetryDecision {
    /// Run the state again after `delay_ms`; `retrier` is the index whose counter was used.
    Retry { retrier: usize, delay_ms: i64 },
    /// No retrier matched, or the matching one is exhausted.
    GiveUp,
}

/// The first retrier whose `ErrorEquals` matches decides; later ones are not consulted even
/// when it is exhausted (AWS's rule).
pub(crate) fn decide(
    retriers: &[Retrier],
    attempts: &[u32],
    failure: &Failure,
    entropy: &mut dyn Entropy,
) -> RetryDecision {
    let Some((index, retrier)) = retriers
        .iter()
        .enumerate()
        .find(|(_, r)| error_matches(&r.error_equals, failure))
    else {
        return RetryDecision::GiveUp;
    };
    let used = attempts.get(index).copied().unwrap_or(0);
    if used >= retrier.max_attempts {
        return RetryDecision::GiveUp;
    }
    RetryDecision::Retry {
        retrier: index,
        delay_ms: backoff_ms(retrier, used, entropy),
    }
}

/// `IntervalSeconds × BackoffRate^attempt`, capped by `MaxDelaySeconds`, with FULL jitter
/// drawing uniformly from `[0, delay]`.
pub(crate) fn backoff_ms(retrier: &Retrier, attempt: u32, entropy: &mut dyn Entropy) -> i64 {
    let base = retrier.interval_seconds as f64 * retrier.backoff_rate.powi(attempt as i32);
    let capped = match retrier.max_delay_seconds {
        Some(max) => base.min(max as f64),
        None => base,
    };
    // Cap at a year of milliseconds so absurd backoff rates cannot overflow.
    let ms = (capped * 1000.0).min(31_622_401_000.0);
    let ms = match retrier.jitter {
        Jitter::None => ms,
        Jitter::Full => ms * entropy.next_f64(),
    };
    ms.round() as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SplitMix64;

    fn retrier(names: &[&str], max_attempts: u32) -> Retrier {
        Retrier {
            error_equals: names.iter().map(|s| s.to_string()).collect(),
            interval_seconds: 1,
            max_attempts,
            backoff_rate: 2.0,
            max_delay_seconds: None,
            jitter: Jitter::None,
        }
    }

    #[test]
    fn heartbeat_timeout_matches_only_a_missed_heartbeat() {
        let heartbeat = vec!["States.HeartbeatTimeout".to_string()];
        let timeout = vec!["States.Timeout".to_string()];
        let missed = Failure::new("States.Timeout", crate::failure::HEARTBEAT_TIMEOUT_CAUSE);
        let overran = Failure {
            error: Some("States.Timeout".to_owned()),
            cause: None,
        };
        assert!(error_matches(&heartbeat, &missed));
        assert!(error_matches(&timeout, &missed));
        assert!(!error_matches(&heartbeat, &overran));
        assert!(error_matches(&timeout, &overran));
    }

    #[test]
    fn wildcards_follow_aws_rules() {
        let all = vec!["States.ALL".to_string()];
        let task_failed = vec!["States.TaskFailed".to_string()];
        assert!(error_matches(&all, &Failure::new("MyError", "")));
        assert!(error_matches(&all, &Failure::new("States.Timeout", "")));
        assert!(!error_matches(&all, &Failure::runtime("")));
        assert!(!error_matches(&all, &Failure::data_limit("")));
        assert!(error_matches(&task_failed, &Failure::new("MyError", "")));
        assert!(!error_matches(
            &task_failed,
            &Failure::new("States.Timeout", "")
        ));
        assert!(error_matches(
            &["States.Runtime".to_string()],
            &Failure::runtime("")
        ));
        assert!(!error_matches(
            &["State.ALL".to_string()],
            &Failure::new("Other", "")
        ));
    }

    #[test]
    fn first_matching_retrier_decides_even_when_exhausted() {
        let retriers = vec![retrier(&["A"], 1), retrier(&["States.ALL"], 5)];
        let mut rng = SplitMix64::new(1);
        let fail = Failure::new("A", "");
        assert_eq!(
            decide(&retriers, &[0, 0], &fail, &mut rng),
            RetryDecision::Retry {
                retrier: 0,
                delay_ms: 1000
            }
        );
        assert_eq!(
            decide(&retriers, &[1, 0], &fail, &mut rng),
            RetryDecision::GiveUp
        );
        assert_eq!(
            decide(&retriers, &[1, 0], &Failure::new("B", ""), &mut rng),
            RetryDecision::Retry {
                retrier: 1,
                delay_ms: 1000
            }
        );
    }

    #[test]
    fn max_attempts_zero_never_retries() {
        let mut rng = SplitMix64::new(1);
        assert_eq!(
            decide(&[retrier(&["A"], 0)], &[], &Failure::new("A", ""), &mut rng),
            RetryDecision::GiveUp
        );
    }

    #[test]
    fn backoff_grows_caps_and_jitters() {
        let mut rng = SplitMix64::new(9);
        let mut r = retrier(&["A"], 10);
        r.interval_seconds = 3;
        r.backoff_rate = 1.5;
        assert_eq!(backoff_ms(&r, 0, &mut rng), 3000);
        assert_eq!(backoff_ms(&r, 2, &mut rng), 6750);
        r.max_delay_seconds = Some(5);
        assert_eq!(backoff_ms(&r, 2, &mut rng), 5000);
        r.jitter = Jitter::Full;
        for _ in 0..100 {
            let d = backoff_ms(&r, 2, &mut rng);
            assert!((0..=5000).contains(&d));
        }
    }
}
