//! GetExecutionHistory: the engine's events, paginated, in either order, with dates as
//! the SDKs read them.

use serde_json::{json, Value};
use stepwise_engine::{Catalog, Clock, Queue, Store, TaskInvoker};

use crate::errors::Result;
use crate::protocol::{date, Input};
use crate::Api;

impl<S, Q, T, C> Api<S, Q, T, C>
where
    S: Store + Catalog,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    pub(crate) async fn get_execution_history(&self, input: &Input) -> Result<Value> {
        let arn = input.required("executionArn")?;
        let max = input.max_results()?;
        let reverse = input.boolean("reverseOrder")?;
        // Absent means true, as in Step Functions.
        let with_data = input.flag("includeExecutionData", true)?;
        let skip = input.offset_token()?;
        self.arns.check_execution(arn)?;
        let mut events = self.engine.history(arn).await?;
        if reverse {
            events.reverse();
        }
        let total = events.len();
        let page: Vec<Value> = events
            .into_iter()
            .skip(skip)
            .take(max)
            .map(|event| wire_event(event, with_data))
            .collect();
        let mut output = json!({"events": page});
        if skip + max < total {
            output["nextToken"] = (skip + max).to_string().into();
        }
        Ok(output)
    }
}

/// An engine event as the SDK reads it: the timestamp as epoch seconds, and without
/// input and output when the caller asked for no execution data.
fn wire_event(mut event: Value, with_data: bool) -> Value {
    if let Some(stamp) = event["timestamp"].as_str() {
        if let Ok(at) = chrono::DateTime::parse_from_rfc3339(stamp) {
            event["timestamp"] = date(at.timestamp_millis());
        }
    }
    if !with_data {
        if let Some(object) = event.as_object_mut() {
            for (key, details) in object.iter_mut() {
                if let (true, Some(details)) =
                    (key.ends_with("EventDetails"), details.as_object_mut())
                {
                    for field in ["input", "output", "inputDetails", "outputDetails"] {
                        details.remove(field);
                    }
                }
            }
        }
    }
    event
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_become_epoch_seconds() {
        let event = json!({"timestamp": "2024-01-01T00:00:00.250Z", "type": "PassStateEntered"});
        assert_eq!(
            wire_event(event, true)["timestamp"],
            json!(1_704_067_200.25)
        );
    }

    #[test]
    fn execution_data_can_be_left_out() {
        let event = json!({
            "timestamp": "2024-01-01T00:00:00.000Z",
            "executionStartedEventDetails": {"input": "{}", "inputDetails": {"truncated": false}, "roleArn": "r"}
        });
        let bare = wire_event(event, false);
        assert_eq!(
            bare["executionStartedEventDetails"],
            json!({"roleArn": "r"})
        );
    }
}
