//! The CPU time this process has used, all threads together: what a transition costs
//! when the machine is shared and wall-clock rates move with everyone else's load.

use std::time::Duration;

/// User plus system time of the whole process so far, from `/proc/self/stat`; `None`
/// where there is no such file (not Linux).
pub(crate) fn used() -> Option<Duration> {
    parse(&std::fs::read_to_string("/proc/self/stat").ok()?)
}

/// Clock ticks per second of `/proc` times: `USER_HZ`, 100 on every Linux build
/// (`sysconf(_SC_CLK_TCK)` without a libc binding for it).
const TICKS_PER_SECOND: u64 = 100;

fn parse(stat: &str) -> Option<Duration> {
    // The command name is in parentheses and may hold spaces: count after the last ')'.
    // Then field 3 (state) is first, so utime (14) and stime (15) are the 12th and 13th.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis(
        (user + system) * 1000 / TICKS_PER_SECOND,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_user_and_system_ticks_past_a_name_with_spaces() {
        let stat = "4242 (a (b) c) S 1 2 3 4 5 6 7 8 9 10 250 75 0 0 20 0 9 0 100 0 0";
        assert_eq!(parse(stat), Some(Duration::from_millis(3_250)));
        assert_eq!(parse("garbage"), None);
    }

    #[test]
    fn this_process_has_used_some() {
        if cfg!(target_os = "linux") {
            assert!(used().is_some());
        }
    }
}
