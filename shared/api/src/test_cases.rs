//! Step Functions Local's test cases: with a mock configuration, `StartExecution` on
//! `…:stateMachine:<name>#<TestCase>` runs the execution under that test case. Without
//! one, a `#` in the ARN stays invalid, as on AWS.

use std::collections::{BTreeMap, BTreeSet};

use crate::errors::{ApiError, Result};

/// The test cases of each state machine, as the mock configuration defines them.
pub type TestCases = BTreeMap<String, BTreeSet<String>>;

/// Splits `arn#TestCase` when test cases are on; `arn` alone otherwise.
pub(crate) fn split<'a>(
    cases: Option<&TestCases>,
    arn: &'a str,
) -> Result<(&'a str, Option<&'a str>)> {
    match (cases, arn.split_once('#')) {
        (Some(_), Some((_, ""))) => Err(ApiError::invalid_arn(arn, "names no test case after '#'")),
        (Some(_), Some((machine, case))) => Ok((machine, Some(case))),
        _ => Ok((arn, None)),
    }
}

/// The test case must exist for the state machine: a typo fails the start rather than
/// run the real integrations.
pub(crate) fn check(cases: &TestCases, machine: &str, case: &str) -> Result<()> {
    if cases.get(machine).is_some_and(|c| c.contains(case)) {
        return Ok(());
    }
    Err(ApiError::new(
        "ValidationException",
        format!(
            "The mock configuration defines no test case '{case}' for state machine '{machine}'."
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:states:us-east-1:000000000000:stateMachine:orders";

    #[test]
    fn a_test_case_suffix_counts_only_with_a_mock_configuration() {
        let cases: TestCases = [("orders".to_owned(), ["Happy".to_owned()].into())].into();
        let with = format!("{ARN}#Happy");
        assert_eq!(split(Some(&cases), &with).unwrap(), (ARN, Some("Happy")));
        assert_eq!(split(None, &with).unwrap(), (with.as_str(), None));
        assert_eq!(split(Some(&cases), ARN).unwrap(), (ARN, None));
        let empty = format!("{ARN}#");
        assert_eq!(
            split(Some(&cases), &empty).unwrap_err().kind(),
            "InvalidArn"
        );
        assert!(check(&cases, "orders", "Happy").is_ok());
        let unknown = check(&cases, "orders", "Sad").unwrap_err();
        assert_eq!(unknown.kind(), "ValidationException");
        assert_eq!(
            unknown.message(),
            "The mock configuration defines no test case 'Sad' for state machine 'orders'."
        );
        assert!(check(&cases, "other", "Happy").is_err());
    }
}
