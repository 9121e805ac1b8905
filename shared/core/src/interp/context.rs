//! The context object (`$$`): facts about the execution and the current state.
//!
//! Built lazily, only when a path or intrinsic actually reads `$$`: most states never do,
//! and building it clones the execution input.

use std::borrow::Cow;
use std::cell::OnceCell;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::jsonpath::{NoMatch, Path, Root};

/// What an execution knows about itself; stored once per execution by the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecutionInfo {
    /// The execution ARN (`$$.Execution.Id`).
    pub id: String,
    pub name: String,
    pub input: Value,
    /// Epoch milliseconds.
    pub start_time: i64,
    pub role_arn: String,
    pub state_machine_id: String,
    pub state_machine_name: String,
    #[serde(default)]
    pub redrive_count: u32,
    /// Epoch milliseconds of the last redrive (`$$.Execution.RedriveTime`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redrive_time: Option<i64>,
}

impl ExecutionInfo {
    /// The region named in the execution ARN (`arn:aws:states:<region>:…`).
    pub fn region(&self) -> &str {
        self.id.split(':').nth(3).unwrap_or_default()
    }

    /// Ids in AWS's ARN format for a local run (region `local`, account `000000000000`).
    pub fn local(state_machine_name: &str, execution_name: &str, input: Value, now: i64) -> Self {
        let account = "arn:aws:states:local:000000000000";
        Self {
            id: format!("{account}:execution:{state_machine_name}:{execution_name}"),
            name: execution_name.to_owned(),
            input,
            start_time: now,
            role_arn: "arn:aws:iam::000000000000:role/stepwise-local".to_owned(),
            state_machine_id: format!("{account}:stateMachine:{state_machine_name}"),
            state_machine_name: state_machine_name.to_owned(),
            redrive_count: 0,
            redrive_time: None,
        }
    }
}

/// Formats epoch milliseconds as AWS prints context timestamps (`2024-01-31T12:00:00.123Z`).
pub fn iso8601(epoch_millis: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(epoch_millis) {
        Some(t) => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        None => epoch_millis.to_string(),
    }
}

/// The pieces of `$$` that vary per state, plus the lazily built object.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub info: &'a ExecutionInfo,
    pub state: &'a str,
    pub entered_at: i64,
    pub retry_count: u32,
    pub map_item: Option<(usize, &'a Value)>,
    pub task_token: Option<&'a str>,
    /// The frame's workflow variables (`$name`), as at state entry.
    pub vars: Option<&'a Map<String, Value>>,
    cell: OnceCell<Value>,
    /// `{"Map": {"Item": …}}` alone: what an ItemSelector's `$$.Map…` paths read, built
    /// per item without the rest (whose `Execution.Input` copy would make a Map over the
    /// execution's input quadratic in its items).
    map_cell: OnceCell<Value>,
}

impl<'a> Context<'a> {
    pub fn new(info: &'a ExecutionInfo, state: &'a str, entered_at: i64, retry_count: u32) -> Self {
        Self {
            info,
            state,
            entered_at,
            retry_count,
            map_item: None,
            task_token: None,
            vars: None,
            cell: OnceCell::new(),
            map_cell: OnceCell::new(),
        }
    }

    /// The value of workflow variable `name`, if bound.
    pub fn variable(&self, name: &str) -> Option<&'a Value> {
        self.vars?.get(name)
    }

    /// The same context with `$$.Map.Item` set (for a Map's ItemSelector).
    pub fn with_map_item(&self, index: usize, value: &'a Value) -> Context<'a> {
        Context {
            info: self.info,
            state: self.state,
            entered_at: self.entered_at,
            retry_count: self.retry_count,
            map_item: Some((index, value)),
            task_token: self.task_token,
            vars: self.vars,
            cell: OnceCell::new(),
            map_cell: OnceCell::new(),
        }
    }

    pub fn value(&self) -> &Value {
        self.cell.get_or_init(|| self.build())
    }

    /// The root a `$$` path is evaluated against: the whole context object, or only its
    /// `Map` member when the path starts with `$$.Map` (it cannot select anything else).
    pub fn root_for(&self, path: &Path) -> &Value {
        match (path.first_name(), self.map_item) {
            (Some("Map"), Some((index, value))) => self
                .map_cell
                .get_or_init(|| json!({"Map": {"Item": {"Index": index, "Value": value}}})),
            _ => self.value(),
        }
    }

    /// `$$.Map.Item.Value…` and `$$.Map.Item.Index` inside a Map's ItemSelector, read from
    /// the item itself: building even the `Map` member alone costs three small maps per
    /// item. `None` for every other path, which reads [`Context::root_for`].
    pub fn select_map_item(&self, path: &Path) -> Option<Result<Cow<'a, Value>, NoMatch>> {
        if path.root() != Root::Context {
            return None;
        }
        let (index, value) = self.map_item?;
        if path.is_names(&["Map", "Item", "Index"]) {
            return Some(Ok(Cow::Owned(Value::from(index))));
        }
        path.select_under(&["Map", "Item", "Value"], value)
    }

    /// The context object when `needed`, else `null` (skips building it).
    pub fn value_if(&self, needed: bool) -> &Value {
        if needed {
            self.value()
        } else {
            &Value::Null
        }
    }

    fn build(&self) -> Value {
        let info = self.info;
        let mut object = Map::new();
        let mut execution = json!({
            "Id": info.id,
            "Input": info.input,
            "StartTime": iso8601(info.start_time),
            "Name": info.name,
            "RoleArn": info.role_arn,
            "RedriveCount": info.redrive_count,
        });
        // Only a redriven execution has a redrive time.
        if let Some(at) = info.redrive_time {
            execution["RedriveTime"] = iso8601(at).into();
        }
        object.insert("Execution".into(), execution);
        object.insert(
            "StateMachine".into(),
            json!({"Id": info.state_machine_id, "Name": info.state_machine_name}),
        );
        object.insert(
            "State".into(),
            json!({
                "EnteredTime": iso8601(self.entered_at),
                "Name": self.state,
                "RetryCount": self.retry_count,
            }),
        );
        if let Some(token) = self.task_token {
            object.insert("Task".into(), json!({ "Token": token }));
        }
        if let Some((index, value)) = self.map_item {
            // The same member `root_for` builds alone.
            object.insert(
                "Map".into(),
                json!({"Item": {"Index": index, "Value": value}}),
            );
        }
        Value::Object(object)
    }
}

/// `$name` arguments of intrinsic functions read the frame's variables.
impl crate::intrinsics::Variables for Context<'_> {
    fn get(&self, name: &str) -> Option<Value> {
        self.variable(name).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_with_millis_and_z() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }

    #[test]
    fn map_paths_select_the_same_from_the_map_member_alone() {
        let info = ExecutionInfo::local("sm", "ex1", json!({"items": [1, 2]}), 1000);
        let item = json!({"k": [7]});
        let parent = Context::new(&info, "S1", 2000, 0);
        let ctx = parent.with_map_item(1, &item);
        for source in [
            "$$.Map.Item.Value.k[0]",
            "$$.Map.Item.Index",
            "$$.Map.Item",
            "$$.Map.Nope",
        ] {
            let path = crate::jsonpath::Path::parse(source).expect("path");
            assert_eq!(
                path.select(ctx.root_for(&path)).ok(),
                path.select(ctx.value()).ok(),
                "{source}"
            );
        }
        // The item's own paths read the item without building anything.
        for source in [
            "$$.Map.Item.Value",
            "$$.Map.Item.Value.k[0]",
            "$$.Map.Item.Value.nope",
            "$$.Map.Item.Index",
        ] {
            let path = crate::jsonpath::Path::parse(source).expect("path");
            let read = ctx.select_map_item(&path).expect("an item path");
            assert_eq!(
                read.ok().map(Cow::into_owned),
                path.select(ctx.value()).ok(),
                "{source}"
            );
        }
        for source in [
            "$$.Map.Item",
            "$$.Map.Item.Index.x",
            "$$.Map.Item.Value[*]",
            "$.Map.Item.Index",
        ] {
            let path = crate::jsonpath::Path::parse(source).expect("path");
            assert!(ctx.select_map_item(&path).is_none(), "{source}");
        }
        let index = crate::jsonpath::Path::parse("$$.Map.Item.Index").expect("path");
        assert!(parent.select_map_item(&index).is_none());
        // Other paths, and `$$.Map` outside a Map, read the whole object.
        let execution = crate::jsonpath::Path::parse("$$.Execution.Input").expect("path");
        assert_eq!(ctx.root_for(&execution), ctx.value());
        let map = crate::jsonpath::Path::parse("$$.Map").expect("path");
        assert_eq!(parent.root_for(&map), parent.value());
    }

    #[test]
    fn context_object_has_execution_state_and_map_fields() {
        let info = ExecutionInfo::local("sm", "ex1", json!({"a": 1}), 1000);
        let item = json!("x");
        let ctx = Context::new(&info, "S1", 2000, 3);
        let ctx = ctx.with_map_item(4, &item);
        let v = ctx.value();
        assert_eq!(v["Execution"]["Input"], json!({"a": 1}));
        assert_eq!(v["Execution"]["Name"], "ex1");
        assert_eq!(v["State"]["Name"], "S1");
        assert_eq!(v["State"]["RetryCount"], 3);
        assert_eq!(v["State"]["EnteredTime"], "1970-01-01T00:00:02.000Z");
        assert_eq!(v["Map"]["Item"], json!({"Index": 4, "Value": "x"}));
        assert_eq!(
            v["StateMachine"]["Id"],
            "arn:aws:states:local:000000000000:stateMachine:sm"
        );
    }

    #[test]
    fn only_a_redriven_execution_has_a_redrive_time() {
        let mut info = ExecutionInfo::local("sm", "ex1", json!({}), 1000);
        let fresh = Context::new(&info, "S1", 2000, 0).value().clone();
        assert_eq!(fresh["Execution"]["RedriveCount"], 0);
        assert!(fresh["Execution"].get("RedriveTime").is_none());
        info.redrive_count = 2;
        info.redrive_time = Some(5000);
        let redriven = Context::new(&info, "S1", 6000, 0).value().clone();
        assert_eq!(redriven["Execution"]["RedriveCount"], 2);
        assert_eq!(
            redriven["Execution"]["RedriveTime"],
            "1970-01-01T00:00:05.000Z"
        );
    }
}
