//! ARNs in AWS's format: `arn:aws:states:<region>:<account>:stateMachine:<name>`, with
//! `:<version>` or `:<alias>` for a qualified one, and
//! `arn:aws:states:<region>:<account>:execution:<state machine>:<name>`.

use crate::errors::{ApiError, Result};
use crate::protocol::valid_name;

/// A state machine ARN, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MachineRef {
    Base(String),
    Version(String, u64),
    Alias(String, String),
}

/// Where this API's resources live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Arns {
    prefix: String,
}

impl Arns {
    pub fn new(region: &str, account: &str) -> Self {
        Self {
            prefix: format!("arn:aws:states:{region}:{account}:"),
        }
    }

    pub fn machine(&self, name: &str) -> String {
        format!("{}stateMachine:{name}", self.prefix)
    }

    pub fn version(&self, name: &str, number: u64) -> String {
        format!("{}:{number}", self.machine(name))
    }

    pub fn alias(&self, name: &str, alias: &str) -> String {
        format!("{}:{alias}", self.machine(name))
    }

    /// Reads a state machine ARN, plain or qualified. An ARN of another region or
    /// account names nothing here: `StateMachineDoesNotExist`, as AWS answers.
    pub fn parse_machine(&self, arn: &str) -> Result<MachineRef> {
        let rest = self.resource(arn, "stateMachine")?;
        let mut parts = rest.split(':');
        let name = parts.next().unwrap_or_default();
        if !valid_name(name) {
            return Err(ApiError::invalid_arn(arn, "Invalid state machine name"));
        }
        let parsed = match (parts.next(), parts.next()) {
            (None, _) => MachineRef::Base(name.to_owned()),
            (Some(q), None) if !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit()) => {
                let number = q
                    .parse()
                    .map_err(|_| ApiError::invalid_arn(arn, "Invalid version number"))?;
                MachineRef::Version(name.to_owned(), number)
            }
            (Some(q), None) if valid_alias(q) => MachineRef::Alias(name.to_owned(), q.to_owned()),
            _ => return Err(ApiError::invalid_arn(arn, "Invalid qualifier")),
        };
        Ok(parsed)
    }

    /// Checks an execution ARN's form (the engine looks it up as given).
    pub fn check_execution(&self, arn: &str) -> Result<()> {
        let rest = self.resource(arn, "execution")?;
        match rest.split_once(':') {
            Some((machine, name)) if valid_name(machine) && valid_name(name) => Ok(()),
            _ => Err(ApiError::invalid_arn(arn, "Invalid execution ARN")),
        }
    }

    /// Reads a Map Run ARN into its state machine name and its id (the part after the
    /// label).
    pub fn parse_map_run<'a>(&self, arn: &'a str) -> Result<(&'a str, &'a str)> {
        let rest = self.resource(arn, "mapRun")?;
        let parsed = rest
            .split_once('/')
            .and_then(|(machine, run)| Some((machine, run.rsplit_once(':')?.1)))
            .filter(|(machine, id)| valid_name(machine) && !id.is_empty());
        parsed.ok_or_else(|| ApiError::invalid_arn(arn, "Invalid Map Run ARN"))
    }

    /// The part after `<kind>:`; an ARN for somewhere else is reported as not existing.
    fn resource<'a>(&self, arn: &'a str, kind: &str) -> Result<&'a str> {
        let parts: Vec<&str> = arn.splitn(6, ':').collect();
        let [a, aws, service, _region, _account, resource] = parts.as_slice() else {
            return Err(ApiError::invalid_arn(arn, "Invalid ARN prefix"));
        };
        if (*a, *aws, *service) != ("arn", "aws", "states") {
            return Err(ApiError::invalid_arn(arn, "Invalid ARN prefix"));
        }
        let Some(rest) = resource
            .strip_prefix(kind)
            .and_then(|r| r.strip_prefix(':'))
        else {
            return Err(ApiError::invalid_arn(
                arn,
                "Resource type not valid in this context",
            ));
        };
        if !arn.starts_with(&self.prefix) {
            return Err(match kind {
                "execution" => ApiError::execution_missing(arn),
                "mapRun" => ApiError::resource_missing("Map Run", arn),
                _ => ApiError::state_machine_missing(arn),
            });
        }
        Ok(rest)
    }
}

/// Alias names: letters, digits, `-`, `_`, `.`, and not all digits (that is a version).
pub(crate) fn valid_alias(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 80
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && !name.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arns() -> Arns {
        Arns::new("us-east-1", "123456789012")
    }

    #[test]
    fn reads_plain_version_and_alias_arns() {
        let base = "arn:aws:states:us-east-1:123456789012:stateMachine:orders";
        assert_eq!(
            arns().parse_machine(base).unwrap(),
            MachineRef::Base("orders".into())
        );
        assert_eq!(
            arns().parse_machine(&format!("{base}:12")).unwrap(),
            MachineRef::Version("orders".into(), 12)
        );
        assert_eq!(
            arns().parse_machine(&format!("{base}:live")).unwrap(),
            MachineRef::Alias("orders".into(), "live".into())
        );
        assert_eq!(arns().machine("orders"), base);
        assert_eq!(arns().version("orders", 3), format!("{base}:3"));
    }

    #[test]
    fn rejects_malformed_arns_and_reports_foreign_ones_missing() {
        for bad in [
            "nope",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            "arn:aws:states:us-east-1:123456789012:activity:a",
            "arn:aws:states:us-east-1:123456789012:stateMachine:a:b:c",
        ] {
            assert_eq!(
                arns().parse_machine(bad).unwrap_err().kind(),
                "InvalidArn",
                "{bad}"
            );
        }
        let foreign = "arn:aws:states:eu-west-1:123456789012:stateMachine:orders";
        assert_eq!(
            arns().parse_machine(foreign).unwrap_err().kind(),
            "StateMachineDoesNotExist"
        );
        assert!(arns()
            .check_execution("arn:aws:states:us-east-1:123456789012:execution:sm:run-1")
            .is_ok());
        assert_eq!(
            arns()
                .check_execution("arn:aws:states:us-east-1:123456789012:execution:sm")
                .unwrap_err()
                .kind(),
            "InvalidArn"
        );
    }
}
