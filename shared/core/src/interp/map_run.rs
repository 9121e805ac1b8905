//! A Distributed Map run's identity: its ARN is handed out by the Map's output (with a
//! `ResultWriter`) and by the API (`ListMapRuns`), which must agree, and it must lead back
//! to its execution. So it is made, not drawn: from the execution ARN, the state and the
//! id of the Map's `…StateEntered` event, all of which both sides know.
//!
//! `arn:aws:states:<region>:<account>:mapRun:<state machine>/<label>:<id>`, the label being
//! the Map's `Label` or its state name made ARN-safe; the id is UUID-shaped, its first
//! 64 bits a hash of the execution ARN (see [`execution_hash`]).

/// The Map Run ARN of the Map `state` entered at event `entered_event_id` of the
/// execution `execution_arn` (`arn:aws:states:<region>:<account>:execution:<m>:<name>`).
pub fn map_run_arn(
    execution_arn: &str,
    state_machine_name: &str,
    label: &str,
    state: &str,
    entered_event_id: u64,
) -> String {
    let prefix = execution_arn
        .split_once(":execution:")
        .map_or(execution_arn, |(prefix, _)| prefix);
    let id = run_id(execution_arn, state, entered_event_id);
    format!("{prefix}:mapRun:{state_machine_name}/{label}:{id}")
}

/// The label in a Map Run ARN: `Label` when the Map has one, else the state name with the
/// characters an ARN segment may not hold made `_`, at most 40 (AWS's `Label` limit).
pub fn label(state: &str, declared: Option<&str>) -> String {
    const FORBIDDEN: &str = "<>{}[]?*\"#%\\^|~`$&,;:/";
    match declared {
        Some(label) => label.to_owned(),
        None => state
            .chars()
            .map(
                |c| match c.is_whitespace() || c.is_control() || FORBIDDEN.contains(c) {
                    true => '_',
                    false => c,
                },
            )
            .take(40)
            .collect(),
    }
}

/// The hash of the execution ARN a Map Run id was made from, if `id` is one.
pub fn execution_hash(id: &str) -> Option<u64> {
    let hex: String = id.split('-').take(3).collect();
    (hex.len() == 16)
        .then(|| u64::from_str_radix(&hex, 16).ok())
        .flatten()
}

/// A child execution of the Map Run `map_run_arn`: its state machine ARN
/// (`…:stateMachine:<machine>/<label>`), name (`<run id>-<index>`) and ARN
/// (`…:execution:<machine>/<label>:<name>`), as result files and the API show it.
pub fn child_execution(map_run_arn: &str, index: u64) -> ChildExecution {
    let (run, id) = map_run_arn.rsplit_once(':').unwrap_or((map_run_arn, ""));
    let name = format!("{id}-{index}");
    ChildExecution {
        state_machine_arn: run.replacen(":mapRun:", ":stateMachine:", 1),
        arn: format!("{}:{name}", run.replacen(":mapRun:", ":execution:", 1)),
        name,
    }
}

/// The Map Run and index of a child execution's ARN, if `arn` is one.
pub fn parse_child_execution(arn: &str) -> Option<(String, u64)> {
    let (run, name) = arn.rsplit_once(':')?;
    let (id, index) = name.rsplit_once('-')?;
    let run = run.replacen(":execution:", ":mapRun:", 1);
    let (_, machine_label) = run.split_once(":mapRun:")?;
    (machine_label.contains('/') && execution_hash(id).is_some())
        .then(|| Some((format!("{run}:{id}"), index.parse().ok()?)))
        .flatten()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildExecution {
    pub state_machine_arn: String,
    pub name: String,
    pub arn: String,
}

/// FNV-1a: the same across builds and platforms, since ids made from it are handed out
/// and read back.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn run_id(execution_arn: &str, state: &str, entered_event_id: u64) -> String {
    let high = fnv1a(execution_arn.as_bytes());
    let low = fnv1a(format!("{state}#{entered_event_id}").as_bytes());
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_are_aws_shaped_and_lead_back_to_the_execution() {
        let execution = "arn:aws:states:us-east-1:123:execution:m:e";
        let arn = map_run_arn(execution, "m", "Items", "Items", 2);
        let id = arn
            .strip_prefix("arn:aws:states:us-east-1:123:mapRun:m/Items:")
            .unwrap();
        assert_eq!(id.len(), 36);
        assert_eq!(execution_hash(id), Some(fnv1a(execution.as_bytes())));
        assert_ne!(
            arn,
            map_run_arn(execution, "m", "Items", "Items", 9),
            "another run"
        );
        assert_eq!(
            map_run_arn(execution, "m", "Items", "Items", 2),
            arn,
            "stable"
        );
        assert_eq!(execution_hash("not-an-id"), None);
    }

    #[test]
    fn child_executions_lead_back_to_their_map_run() {
        let run = map_run_arn("arn:aws:states:r:1:execution:m:e", "m", "L", "L", 2);
        let child = child_execution(&run, 7);
        let id = run.rsplit(':').next().unwrap();
        assert_eq!(child.name, format!("{id}-7"));
        assert_eq!(
            child.arn,
            format!("arn:aws:states:r:1:execution:m/L:{id}-7")
        );
        assert_eq!(
            child.state_machine_arn,
            "arn:aws:states:r:1:stateMachine:m/L"
        );
        assert_eq!(parse_child_execution(&child.arn), Some((run, 7)));
        assert_eq!(
            parse_child_execution("arn:aws:states:r:1:execution:m:e"),
            None
        );
        assert_eq!(
            parse_child_execution("arn:aws:states:r:1:execution:m/L:x-1"),
            None
        );
    }

    #[test]
    fn labels_are_arn_safe() {
        assert_eq!(label("a b:c/d", None), "a_b_c_d");
        assert_eq!(label("a b", Some("L")), "L");
        assert_eq!(label(&"x".repeat(50), None).len(), 40);
    }
}
