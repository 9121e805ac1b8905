//! Step Functions Local's mock configuration (`--mock-config FILE`), in its own format:
//!
//! ```json
//! {
//!   "StateMachines": {
//!     "orders": {"TestCases": {"HappyPath": {"Charge": "ChargeOk"}}}
//!   },
//!   "MockedResponses": {
//!     "ChargeOk": {
//!       "0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
//!       "1-2": {"Return": {"StatusCode": 200, "Payload": {"charged": true}}}
//!     }
//!   }
//! }
//! ```
//!
//! As in Step Functions Local: a test case maps Task state names to mocked responses; a
//! mocked response maps the state's invocation numbers (0-based, counted per execution
//! and state: every attempt, retry, re-entry and Map iteration is one more) to exactly one
//! `Return` (the task's result, as the service would answer it, before `ResultSelector`
//! and `ResultPath`) or `Throw` (`Error`, `Cause`: the task's failure, matched by `Retry`
//! and `Catch`). An invocation past the last number fails the task with `States.Runtime`
//! (Step Functions Local: "the state machine execution will fail"). A state the test case
//! does not name is not mocked: it runs as if there were no mock configuration.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::{Map, Value};
use stepwise_core::failure::Failure;

use crate::error::{member, Error, Result};

/// One invocation's answer.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Return(Value),
    Throw(Failure),
}

/// Answers for inclusive ranges of invocation numbers, in order, not overlapping.
#[derive(Debug, Clone, PartialEq)]
struct Responses(Vec<(u64, u64, Answer)>);

/// The parsed mock configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MockConfig {
    /// State machine → test case → Task state → mocked response name.
    machines: HashMap<String, HashMap<String, HashMap<String, String>>>,
    responses: HashMap<String, Responses>,
}

impl MockConfig {
    /// Parses the configuration's JSON text; every problem names its JSON path, and a test
    /// case naming a mocked response that does not exist is one.
    pub fn parse(text: &str) -> Result<Self> {
        let value: Value = serde_json::from_str(text).map_err(|e| Error::Json(e.to_string()))?;
        let root = object("$", &value)?;
        for key in root.keys() {
            if key != "StateMachines" && key != "MockedResponses" {
                return Err(Error::at(
                    &member("$", key),
                    "unknown field: expected \"StateMachines\" and \"MockedResponses\"",
                ));
            }
        }
        let mut config = Self::default();
        if let Some(responses) = root.get("MockedResponses") {
            for (name, response) in object("$.MockedResponses", responses)? {
                let path = member("$.MockedResponses", name);
                config
                    .responses
                    .insert(name.clone(), parse_responses(&path, response)?);
            }
        }
        if let Some(machines) = root.get("StateMachines") {
            for (machine, body) in object("$.StateMachines", machines)? {
                let path = member("$.StateMachines", machine);
                let cases = config.parse_machine(&path, body)?;
                config.machines.insert(machine.clone(), cases);
            }
        }
        Ok(config)
    }

    fn parse_machine(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<HashMap<String, HashMap<String, String>>> {
        let fields = object(path, body)?;
        if let Some(key) = fields.keys().find(|k| *k != "TestCases") {
            return Err(Error::at(
                &member(path, key),
                "unknown field: a state machine holds only \"TestCases\"",
            ));
        }
        let Some(cases) = fields.get("TestCases") else {
            return Err(Error::at(path, "has no \"TestCases\""));
        };
        let cases_path = member(path, "TestCases");
        let mut parsed = HashMap::new();
        for (case, states) in object(&cases_path, cases)? {
            let case_path = member(&cases_path, case);
            let mut mapping = HashMap::new();
            for (state, response) in object(&case_path, states)? {
                let at = member(&case_path, state);
                let Some(response) = response.as_str() else {
                    return Err(Error::at(&at, "must be the name of a mocked response"));
                };
                if !self.responses.contains_key(response) {
                    return Err(Error::at(
                        &at,
                        format!("names '{response}', which $.MockedResponses does not define"),
                    ));
                }
                mapping.insert(state.clone(), response.to_owned());
            }
            parsed.insert(case.clone(), mapping);
        }
        Ok(parsed)
    }

    /// Whether `machine` has the test case `case`, or why not (for a usage error).
    pub fn check(&self, machine: &str, case: &str) -> std::result::Result<(), String> {
        let Some(cases) = self.machines.get(machine) else {
            return Err(format!(
                "the mock configuration has no state machine '{machine}' (it has: {})",
                list(self.machines.keys())
            ));
        };
        if cases.contains_key(case) {
            Ok(())
        } else {
            Err(format!(
                "state machine '{machine}' has no test case '{case}' in the mock configuration (it has: {})",
                list(cases.keys())
            ))
        }
    }

    /// Every state machine and its test cases.
    pub fn test_cases(&self) -> BTreeMap<String, BTreeSet<String>> {
        self.machines
            .iter()
            .map(|(machine, cases)| (machine.clone(), cases.keys().cloned().collect()))
            .collect()
    }

    /// Whether the test case mocks `state`.
    pub fn mocks(&self, machine: &str, case: &str, state: &str) -> bool {
        self.response_name(machine, case, state).is_some()
    }

    /// The answer to the `invocation`-th call (from 0) of `state` in an execution of the
    /// test case, or `None` when the test case does not mock the state.
    pub fn answer(
        &self,
        machine: &str,
        case: &str,
        state: &str,
        invocation: u64,
    ) -> Option<Result<Value, Failure>> {
        let name = self.response_name(machine, case, state)?;
        let responses = self.responses.get(name)?;
        let found = responses
            .0
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&invocation));
        Some(match found {
            Some((_, _, Answer::Return(value))) => Ok(value.clone()),
            Some((_, _, Answer::Throw(failure))) => Err(failure.clone()),
            None => Err(Failure::runtime(format!(
                "The mocked response '{name}' of state '{state}' (test case '{case}') defines no answer for invocation {invocation}."
            ))),
        })
    }

    fn response_name(&self, machine: &str, case: &str, state: &str) -> Option<&str> {
        self.machines
            .get(machine)?
            .get(case)?
            .get(state)
            .map(String::as_str)
    }
}

fn list<'a>(names: impl Iterator<Item = &'a String>) -> String {
    let mut names: Vec<&str> = names.map(String::as_str).collect();
    names.sort_unstable();
    if names.is_empty() {
        "none".to_owned()
    } else {
        names.join(", ")
    }
}

fn object<'a>(path: &str, value: &'a Value) -> Result<&'a Map<String, Value>> {
    value
        .as_object()
        .ok_or_else(|| Error::at(path, "must be an object"))
}

/// `{"0": {...}, "1-2": {...}}`: invocation numbers or inclusive ranges.
fn parse_responses(path: &str, value: &Value) -> Result<Responses> {
    let fields = object(path, value)?;
    if fields.is_empty() {
        return Err(Error::at(path, "defines no invocation"));
    }
    let mut ranges = Vec::new();
    for (key, body) in fields {
        let at = member(path, key);
        let (first, last) = invocation_range(key).ok_or_else(|| {
            Error::at(
                &at,
                "the key must be an invocation number (\"0\") or an inclusive range (\"1-2\")",
            )
        })?;
        if let Some((f, l, _)) = ranges.iter().find(|(f, l, _)| first <= *l && *f <= last) {
            return Err(Error::at(
                &at,
                format!("overlaps the invocations {f}-{l} defined before"),
            ));
        }
        ranges.push((first, last, answer(&at, body)?));
    }
    ranges.sort_by_key(|(first, _, _)| *first);
    Ok(Responses(ranges))
}

fn invocation_range(key: &str) -> Option<(u64, u64)> {
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match key.split_once('-') {
        None => number(key).map(|n| (n, n)),
        Some((first, last)) => {
            let (first, last) = (number(first)?, number(last)?);
            (first <= last).then_some((first, last))
        }
    }
}

fn answer(path: &str, value: &Value) -> Result<Answer> {
    let fields = object(path, value)?;
    let mut keys = fields.keys();
    let (Some(key), None) = (keys.next(), keys.next()) else {
        return Err(Error::at(
            path,
            "must have exactly one field, \"Return\" or \"Throw\"",
        ));
    };
    let at = member(path, key);
    match key.as_str() {
        "Return" => Ok(Answer::Return(fields[key].clone())),
        "Throw" => {
            let throw = object(&at, &fields[key])?;
            if let Some(other) = throw.keys().find(|k| *k != "Error" && *k != "Cause") {
                return Err(Error::at(
                    &member(&at, other),
                    "unknown field: a Throw holds \"Error\" and \"Cause\"",
                ));
            }
            let error = match throw.get("Error") {
                Some(Value::String(error)) if !error.is_empty() => error.clone(),
                _ => {
                    return Err(Error::at(
                        &member(&at, "Error"),
                        "must be a non-empty string: the error name Retry and Catch match",
                    ))
                }
            };
            let cause = match throw.get("Cause") {
                None => None,
                Some(Value::String(cause)) => Some(cause.clone()),
                Some(_) => return Err(Error::at(&member(&at, "Cause"), "must be a string")),
            };
            Ok(Answer::Throw(Failure {
                error: Some(error),
                cause,
            }))
        }
        _ => Err(Error::at(
            &at,
            "unknown field: expected \"Return\" or \"Throw\"",
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const CONFIG: &str = r#"{
      "StateMachines": {"m": {"TestCases": {"T": {"A": "R"}}}},
      "MockedResponses": {"R": {
        "0": {"Throw": {"Error": "E", "Cause": "c"}},
        "1-2": {"Return": {"n": 1}}
      }}
    }"#;

    #[test]
    fn answers_by_invocation_number() {
        let config = MockConfig::parse(CONFIG).unwrap();
        assert_eq!(
            config.answer("m", "T", "A", 0),
            Some(Err(Failure::new("E", "c")))
        );
        assert_eq!(config.answer("m", "T", "A", 1), Some(Ok(json!({"n": 1}))));
        assert_eq!(config.answer("m", "T", "A", 2), Some(Ok(json!({"n": 1}))));
        let past = config.answer("m", "T", "A", 3).unwrap().unwrap_err();
        assert_eq!(past.error.as_deref(), Some("States.Runtime"));
        assert_eq!(
            config.answer("m", "T", "B", 0),
            None,
            "not in the test case"
        );
        assert!(config.check("m", "T").is_ok());
        assert_eq!(
            config.check("m", "X").unwrap_err(),
            "state machine 'm' has no test case 'X' in the mock configuration (it has: T)"
        );
    }

    #[test]
    fn bad_configurations_name_their_json_path() {
        let cases = [
            (
                r#"{"StateMachines": {"m": {"TestCases": {"T": {"A": "Nope"}}}}}"#,
                "$.StateMachines.m.TestCases.T.A: names 'Nope', which $.MockedResponses does not define",
            ),
            (
                r#"{"MockedResponses": {"R": {"0-x": {"Return": 1}}}}"#,
                r#"$.MockedResponses.R["0-x"]: the key must be an invocation number ("0") or an inclusive range ("1-2")"#,
            ),
            (
                r#"{"MockedResponses": {"R": {"0-2": {"Return": 1}, "2": {"Return": 2}}}}"#,
                r#"$.MockedResponses.R["2"]: overlaps the invocations 0-2 defined before"#,
            ),
            (
                r#"{"MockedResponses": {"R": {"0": {"Return": 1, "Throw": {}}}}}"#,
                r#"$.MockedResponses.R["0"]: must have exactly one field, "Return" or "Throw""#,
            ),
            (
                r#"{"MockedResponses": {"R": {"0": {"Throw": {"Cause": "c"}}}}}"#,
                r#"$.MockedResponses.R["0"].Throw.Error: must be a non-empty string: the error name Retry and Catch match"#,
            ),
            (
                r#"{"StateMachines": {"m": {}}}"#,
                r#"$.StateMachines.m: has no "TestCases""#,
            ),
            (
                r#"{"Mocks": {}}"#,
                r#"$.Mocks: unknown field: expected "StateMachines" and "MockedResponses""#,
            ),
        ];
        for (text, message) in cases {
            assert_eq!(
                MockConfig::parse(text).unwrap_err().to_string(),
                message,
                "{text}"
            );
        }
    }
}
