//! Reading an integration's parameters (the state's evaluated `Parameters`/`Arguments`):
//! the fields each API accepts, with their JSON types checked.

use serde_json::{Map, Value};
use stepwise_core::failure::Failure;

use super::errors::invalid_parameters;

/// The parameters object of one task, with what it was for, to name in errors.
#[derive(Debug)]
pub struct Params<'a> {
    state: &'a str,
    resource: &'a str,
    fields: &'a Map<String, Value>,
}

impl<'a> Params<'a> {
    /// Checks that `value` is an object whose keys are all in `allowed` (Step Functions
    /// rejects other fields).
    pub fn new(
        state: &'a str,
        resource: &'a str,
        value: &'a Value,
        allowed: &[&str],
    ) -> Result<Self, Failure> {
        let Value::Object(fields) = value else {
            return Err(invalid_parameters(
                state,
                resource,
                format!("expected an object, got {value}"),
            ));
        };
        let params = Self {
            state,
            resource,
            fields,
        };
        if let Some(unknown) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(params.invalid(format!(
                "the field '{unknown}' is not supported (supported: {})",
                allowed.join(", ")
            )));
        }
        Ok(params)
    }

    pub fn invalid(&self, problem: impl std::fmt::Display) -> Failure {
        invalid_parameters(self.state, self.resource, problem)
    }

    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.fields.get(name)
    }

    pub fn required(&self, name: &str) -> Result<&'a Value, Failure> {
        self.get(name)
            .ok_or_else(|| self.invalid(format!("the field '{name}' is required")))
    }

    pub fn string(&self, name: &str) -> Result<Option<&'a str>, Failure> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(self.invalid(format!("'{name}' must be a string, got {other}"))),
        }
    }

    pub fn required_string(&self, name: &str) -> Result<&'a str, Failure> {
        self.string(name)?
            .ok_or_else(|| self.invalid(format!("the field '{name}' is required")))
    }

    pub fn bool(&self, name: &str) -> Result<Option<bool>, Failure> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.invalid(format!("'{name}' must be a boolean, got {other}"))),
        }
    }

    pub fn i32(&self, name: &str) -> Result<Option<i32>, Failure> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => value
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.invalid(format!("'{name}' must be an integer, got {value}"))),
        }
    }

    pub fn object(&self, name: &str) -> Result<Option<&'a Map<String, Value>>, Failure> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(self.invalid(format!("'{name}' must be an object, got {other}"))),
        }
    }

    /// A list of strings (`AttributesToGet`).
    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>, Failure> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| {
                    item.as_str().map(str::to_owned).ok_or_else(|| {
                        self.invalid(format!("'{name}' must hold strings, got {item}"))
                    })
                })
                .collect::<Result<_, _>>()
                .map(Some),
            Some(other) => Err(self.invalid(format!("'{name}' must be an array, got {other}"))),
        }
    }

    /// A map of strings (`ExpressionAttributeNames`).
    pub fn string_map(
        &self,
        name: &str,
    ) -> Result<Option<std::collections::HashMap<String, String>>, Failure> {
        let Some(map) = self.object(name)? else {
            return Ok(None);
        };
        map.iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                other => Err(self.invalid(format!("'{name}.{k}' must be a string, got {other}"))),
            })
            .collect::<Result<_, _>>()
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn cause(failure: Failure) -> String {
        assert_eq!(failure.error.as_deref(), Some("States.Runtime"));
        failure.cause.unwrap_or_default()
    }

    #[test]
    fn unknown_fields_and_non_objects_are_refused() {
        let value = json!({"QueueUrl": "q", "Bogus": 1});
        let error = Params::new("S", "r", &value, &["QueueUrl"]).unwrap_err();
        assert_eq!(
            cause(error),
            "An error occurred while executing the state 'S'. The parameters for resource 'r' are invalid: the field 'Bogus' is not supported (supported: QueueUrl)"
        );
        let error = Params::new("S", "r", &json!([1]), &["QueueUrl"]).unwrap_err();
        assert!(cause(error).ends_with("expected an object, got [1]"));
    }

    #[test]
    fn typed_getters_name_the_field_and_the_value() {
        let value = json!({"A": "x", "B": 5, "C": true, "D": ["p"], "E": {"#n": "name"}, "F": 1.5});
        let params = Params::new("S", "r", &value, &["A", "B", "C", "D", "E", "F", "G"]).unwrap();
        assert_eq!(params.required_string("A").unwrap(), "x");
        assert_eq!(params.i32("B").unwrap(), Some(5));
        assert_eq!(params.bool("C").unwrap(), Some(true));
        assert_eq!(params.strings("D").unwrap(), Some(vec!["p".to_owned()]));
        assert_eq!(params.string_map("E").unwrap().unwrap()["#n"], "name");
        assert_eq!(params.string("G").unwrap(), None);
        assert!(cause(params.i32("F").unwrap_err()).ends_with("'F' must be an integer, got 1.5"));
        assert!(cause(params.string("B").unwrap_err()).ends_with("'B' must be a string, got 5"));
        assert!(
            cause(params.required_string("G").unwrap_err()).ends_with("the field 'G' is required")
        );
    }
}
