//! DynamoDB: `arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem`.
//!
//! Parameters are DynamoDB JSON (`{"TableName", "Key": {"id": {"S": "x"}}, …}`), converted
//! exactly ([`super::attribute_value`]); the result is the API's response as the AWS SDK
//! for Java shows it (`{"Item": {…}, "SdkHttpMetadata": …, "SdkResponseMetadata": …}`).
//! Errors are `DynamoDB.<ErrorCode>`. The legacy `Expected`, `ConditionalOperator` and
//! `AttributeUpdates` parameters are not supported (their expression forms are).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeValue, ConsumedCapacity, ItemCollectionMetrics, ReturnConsumedCapacity,
    ReturnItemCollectionMetrics, ReturnValue,
};
use serde_json::{Map, Value};
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;

use super::attribute_value::{map_from_json, map_to_json};
use super::errors::{self, DYNAMODB};
use super::http::Capture;
use super::params::Params;
use super::resource::DynamoAction;

const GET_FIELDS: &[&str] = &[
    "TableName",
    "Key",
    "AttributesToGet",
    "ConsistentRead",
    "ExpressionAttributeNames",
    "ProjectionExpression",
    "ReturnConsumedCapacity",
];
const WRITE_FIELDS: &[&str] = &[
    "TableName",
    "Key",
    "Item",
    "UpdateExpression",
    "ConditionExpression",
    "ExpressionAttributeNames",
    "ExpressionAttributeValues",
    "ReturnConsumedCapacity",
    "ReturnItemCollectionMetrics",
    "ReturnValues",
];

/// What a write returns, whichever the API.
struct Written {
    attributes: Option<HashMap<String, AttributeValue>>,
    consumed_capacity: Option<ConsumedCapacity>,
    item_collection_metrics: Option<ItemCollectionMetrics>,
}

pub async fn call(
    client: &aws_sdk_dynamodb::Client,
    action: DynamoAction,
    request: &TaskRequest,
) -> Result<Value, Failure> {
    let fields = match action {
        DynamoAction::GetItem => GET_FIELDS,
        _ => WRITE_FIELDS,
    };
    let p = Params::new(
        &request.state,
        &request.resource,
        &request.parameters,
        fields,
    )?;
    // Each API accepts only some of the write fields.
    let forbidden = match action {
        DynamoAction::GetItem => &[][..],
        DynamoAction::PutItem => &["Key", "UpdateExpression"][..],
        DynamoAction::UpdateItem => &["Item"][..],
        DynamoAction::DeleteItem => &["Item", "UpdateExpression"][..],
    };
    if let Some(field) = forbidden.iter().find(|f| p.get(f).is_some()) {
        return Err(p.invalid(format!(
            "the field '{field}' is not supported by {}",
            action.name()
        )));
    }
    let table = p.required_string("TableName")?;
    let attributes =
        |name: &str, required: bool| -> Result<Option<HashMap<String, AttributeValue>>, Failure> {
            match p.object(name)? {
                Some(map) => map_from_json(map, name).map(Some).map_err(|e| p.invalid(e)),
                None if required => Err(p.invalid(format!("the field '{name}' is required"))),
                None => Ok(None),
            }
        };
    let names = p.string_map("ExpressionAttributeNames")?;
    let capacity = p
        .string("ReturnConsumedCapacity")?
        .map(ReturnConsumedCapacity::from);
    // Parameters the API does not take were refused above, so these are `None` there.
    let condition = p.string("ConditionExpression")?.map(str::to_owned);
    let values = attributes("ExpressionAttributeValues", false)?;
    let metrics = p
        .string("ReturnItemCollectionMetrics")?
        .map(ReturnItemCollectionMetrics::from);
    let return_values = p.string("ReturnValues")?.map(ReturnValue::from);
    let capture = Capture::new();
    // What putItem, updateItem and deleteItem share after their own fields: the
    // builders are distinct SDK types with the same setters, so a macro, not a function.
    macro_rules! send_write {
        ($builder:expr) => {
            $builder
                .set_condition_expression(condition)
                .set_expression_attribute_names(names)
                .set_expression_attribute_values(values)
                .set_return_consumed_capacity(capacity)
                .set_return_item_collection_metrics(metrics)
                .set_return_values(return_values)
                .customize()
                .interceptor(capture.clone())
                .send()
                .await
                .map(|o| Written {
                    attributes: o.attributes,
                    consumed_capacity: o.consumed_capacity,
                    item_collection_metrics: o.item_collection_metrics,
                })
                .map_err(|e| errors::from_sdk(DYNAMODB, &e, errors::by_code))?
        };
    }
    let written = match action {
        DynamoAction::GetItem => {
            let output = client
                .get_item()
                .table_name(table)
                .set_key(attributes("Key", true)?)
                .set_attributes_to_get(p.strings("AttributesToGet")?)
                .set_consistent_read(p.bool("ConsistentRead")?)
                .set_expression_attribute_names(names)
                .set_projection_expression(p.string("ProjectionExpression")?.map(str::to_owned))
                .set_return_consumed_capacity(capacity)
                .customize()
                .interceptor(capture.clone())
                .send()
                .await
                .map_err(|e| errors::from_sdk(DYNAMODB, &e, errors::by_code))?;
            let mut result = Map::new();
            if let Some(consumed) = &output.consumed_capacity {
                result.insert("ConsumedCapacity".into(), consumed_capacity(consumed));
            }
            if let Some(item) = &output.item {
                result.insert("Item".into(), map_to_json(item));
            }
            capture.take().add_to(&mut result);
            return Ok(Value::Object(result));
        }
        DynamoAction::PutItem => send_write!(client
            .put_item()
            .table_name(table)
            .set_item(attributes("Item", true)?)),
        DynamoAction::UpdateItem => send_write!(client
            .update_item()
            .table_name(table)
            .set_key(attributes("Key", true)?)
            .set_update_expression(p.string("UpdateExpression")?.map(str::to_owned))),
        DynamoAction::DeleteItem => send_write!(client
            .delete_item()
            .table_name(table)
            .set_key(attributes("Key", true)?)),
    };
    let mut result = Map::new();
    if let Some(attributes) = &written.attributes {
        result.insert("Attributes".into(), map_to_json(attributes));
    }
    if let Some(consumed) = &written.consumed_capacity {
        result.insert("ConsumedCapacity".into(), consumed_capacity(consumed));
    }
    if let Some(metrics) = &written.item_collection_metrics {
        result.insert(
            "ItemCollectionMetrics".into(),
            item_collection_metrics(metrics),
        );
    }
    capture.take().add_to(&mut result);
    Ok(Value::Object(result))
}

/// `{"CapacityUnits", "ReadCapacityUnits", "TableName", "WriteCapacityUnits"}`, those present.
pub fn consumed_capacity(consumed: &ConsumedCapacity) -> Value {
    let mut result = Map::new();
    if let Some(units) = consumed.capacity_units {
        result.insert("CapacityUnits".into(), units.into());
    }
    if let Some(units) = consumed.read_capacity_units {
        result.insert("ReadCapacityUnits".into(), units.into());
    }
    if let Some(table) = &consumed.table_name {
        result.insert("TableName".into(), table.clone().into());
    }
    if let Some(units) = consumed.write_capacity_units {
        result.insert("WriteCapacityUnits".into(), units.into());
    }
    Value::Object(result)
}

fn item_collection_metrics(metrics: &ItemCollectionMetrics) -> Value {
    let mut result = Map::new();
    if let Some(key) = &metrics.item_collection_key {
        result.insert("ItemCollectionKey".into(), map_to_json(key));
    }
    if let Some(range) = &metrics.size_estimate_range_gb {
        result.insert("SizeEstimateRangeGB".into(), range.clone().into());
    }
    Value::Object(result)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn consumed_capacity_shows_the_fields_present() {
        let consumed = ConsumedCapacity::builder()
            .table_name("t")
            .capacity_units(1.0)
            .build();
        assert_eq!(
            consumed_capacity(&consumed),
            json!({"CapacityUnits": 1.0, "TableName": "t"})
        );
    }
}
