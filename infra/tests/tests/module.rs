//! The Terraform module creates exactly what the Rust code reads: the table's keys, index
//! and TTL attribute, the queues and their settings, and the environment variables of
//! `stepwise_aws::config`, all as `stepwise_aws::names` (itself checked against
//! `names.json`) says. Evaluated statically with the variables' defaults.

// Helpers called by `#[test]` functions, which clippy's `allow-unwrap-in-tests` does not
// reach; in them an unwrap is the assertion.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use hcl::{Map, Value};
use serde_json::json;
use stepwise_aws::names::{self, FUNCTIONS, INDEXES, QUEUES};
use stepwise_infra_tests::{repo_root, to_json, Module};

const ACCOUNT: &str = "123456789012";

fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// The module, with stubs for what an apply creates: each stub attribute names its
/// resource (`arn-of:aws_sqs_queue.queue[advance]`), so a test sees what an expression
/// points at.
fn module() -> Module {
    let mut module = Module::load(&repo_root().join("infra/modules/stepwise")).unwrap();
    let stub = |kind: &str, name: &str, key: &str, attrs: &[&str]| {
        let attrs = attrs.iter().map(|a| {
            (
                (*a).to_owned(),
                Value::from(format!("{a}-of:{kind}.{name}[{key}]")),
            )
        });
        (key.to_owned(), Value::Object(attrs.collect()))
    };
    let queue_keys: Vec<&str> = QUEUES.iter().map(|(q, _)| q.key).collect();
    let queues = |name: &str| {
        let entries: Map<String, Value> = queue_keys
            .iter()
            .map(|k| stub("aws_sqs_queue", name, k, &["arn", "url", "name", "id"]))
            .collect();
        Value::Object(entries)
    };
    module.stub(
        "aws_sqs_queue",
        object([("queue", queues("queue")), ("dlq", queues("dlq"))]),
    );
    let functions: Map<String, Value> = FUNCTIONS
        .iter()
        .map(|f| {
            stub(
                "aws_lambda_function",
                "function",
                f.key,
                &["arn", "invoke_arn", "function_name"],
            )
        })
        .collect();
    module.stub(
        "aws_lambda_function",
        object([("function", Value::Object(functions))]),
    );
    module.stub(
        "aws_dynamodb_table",
        object([(
            "this",
            object([
                ("name", Value::from("name-of:table")),
                ("arn", Value::from("arn-of:table")),
            ]),
        )]),
    );
    module.stub(
        "data",
        object([(
            "aws_caller_identity",
            object([("current", object([("account_id", Value::from(ACCOUNT))]))]),
        )]),
    );
    module
}

fn each(key: &str, value: &Value) -> [(&'static str, Value); 1] {
    [(
        "each",
        object([("key", Value::from(key)), ("value", value.clone())]),
    )]
}

fn prefix(module: &Module) -> String {
    module
        .variable("name_prefix")
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn the_table_has_the_keys_index_and_ttl_the_store_uses() {
    let module = module();
    let table = module.resource("aws_dynamodb_table", "this").unwrap();
    let attr = |name: &str| to_json(&module.attr(table, name, &[]).unwrap());
    assert_eq!(attr("name"), json!(prefix(&module)));
    assert_eq!(attr("billing_mode"), "PAY_PER_REQUEST");
    assert_eq!(attr("hash_key"), names::PARTITION_KEY);
    assert_eq!(attr("range_key"), names::SORT_KEY);

    let blocks = |name: &str| -> Vec<serde_json::Value> {
        module
            .nested_blocks(table, name, &[])
            .unwrap()
            .iter()
            .map(|b| to_json(&Value::Object(b.clone())))
            .collect()
    };
    let attributes: BTreeSet<String> = blocks("attribute")
        .iter()
        .map(|a| {
            assert_eq!(a["type"], "S", "{a}");
            a["name"].as_str().unwrap().to_owned()
        })
        .collect();
    let mut keys = BTreeSet::from([names::PARTITION_KEY.to_owned(), names::SORT_KEY.to_owned()]);
    for index in INDEXES {
        keys.extend([index.partition_key.to_owned(), index.sort_key.to_owned()]);
    }
    assert_eq!(attributes, keys, "attribute definitions");

    let indexes: Vec<serde_json::Value> = INDEXES
        .iter()
        .map(|i| {
            json!({
                "name": i.name,
                "hash_key": i.partition_key,
                "range_key": i.sort_key,
                "projection_type": "ALL",
            })
        })
        .collect();
    assert_eq!(blocks("global_secondary_index"), indexes);
    assert_eq!(
        blocks("ttl"),
        [json!({"attribute_name": names::TTL_ATTRIBUTE, "enabled": true})]
    );
    assert_eq!(blocks("point_in_time_recovery"), [json!({"enabled": true})]);
    assert_eq!(
        blocks("server_side_encryption"),
        [json!({"enabled": true, "kms_key_arn": null})]
    );
}

#[test]
fn each_queue_and_its_dlq_are_named_and_set_up_as_the_bootstrap_does() {
    let module = module();
    let prefix = prefix(&module);
    let queue = module.resource("aws_sqs_queue", "queue").unwrap();
    let dlq = module.resource("aws_sqs_queue", "dlq").unwrap();
    let instances = module.for_each(queue).unwrap();
    let keys: Vec<&str> = instances.iter().map(|(k, _)| k.as_str()).collect();
    let mut expected_keys: Vec<&str> = QUEUES.iter().map(|(q, _)| q.key).collect();
    expected_keys.sort_unstable();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, expected_keys, "the module's queues");

    for (spec, _) in QUEUES {
        let (_, value) = instances.iter().find(|(k, _)| k == spec.key).unwrap();
        let scope = each(spec.key, value);
        let get = |body, name: &str| to_json(&module.attr(body, name, &scope).unwrap());
        assert_eq!(get(queue, "name"), json!(spec.name(&prefix)));
        assert_eq!(
            get(queue, "visibility_timeout_seconds"),
            json!(spec.visibility_timeout_seconds),
            "{}",
            spec.key
        );
        assert_eq!(
            get(queue, "message_retention_seconds"),
            json!(spec.message_retention_seconds)
        );
        let redrive: serde_json::Value =
            serde_json::from_str(get(queue, "redrive_policy").as_str().unwrap()).unwrap();
        assert_eq!(
            redrive,
            json!({
                "deadLetterTargetArn": format!("arn-of:aws_sqs_queue.dlq[{}]", spec.key),
                "maxReceiveCount": spec.max_receive_count,
            })
        );
        assert_eq!(get(dlq, "name"), json!(spec.dlq_name(&prefix)));
        assert_eq!(
            get(dlq, "message_retention_seconds"),
            json!(spec.dlq_message_retention_seconds)
        );
    }
}

#[test]
fn the_functions_get_every_variable_the_config_reads() {
    let module = module();
    let prefix = prefix(&module);
    let environment = to_json(module.local("environment").unwrap());
    let mut expected = serde_json::Map::new();
    expected.insert(names::TABLE_VAR.to_owned(), json!("name-of:table"));
    expected.insert(names::ACCOUNT_ID_VAR.to_owned(), json!(ACCOUNT));
    for (spec, var) in QUEUES {
        expected.insert(
            var.to_owned(),
            json!(format!("url-of:aws_sqs_queue.queue[{}]", spec.key)),
        );
    }
    assert_eq!(environment, serde_json::Value::Object(expected));
    // The ones the deployed engine needs today (config.rs) are among them.
    for var in [
        stepwise_aws::config::TABLE_VAR,
        stepwise_aws::config::STEPS_QUEUE_URL_VAR,
        stepwise_aws::config::ACCOUNT_ID_VAR,
    ] {
        assert!(environment.get(var).is_some(), "{var}");
    }

    let function = module.resource("aws_lambda_function", "function").unwrap();
    let instances = module.for_each(function).unwrap();
    assert_eq!(instances.len(), FUNCTIONS.len());
    for spec in FUNCTIONS {
        let (_, value) = instances.iter().find(|(k, _)| k == spec.key).unwrap();
        let scope = each(spec.key, value);
        let get = |name: &str| to_json(&module.attr(function, name, &scope).unwrap());
        assert_eq!(
            get("function_name"),
            json!(format!("{prefix}-{}", spec.key))
        );
        assert_eq!(get("runtime"), "provided.al2023");
        assert_eq!(get("architectures"), json!(["arm64"]));
        assert_eq!(get("handler"), "bootstrap");
        assert_eq!(
            get("filename"),
            json!(format!("target/lambda/{}/bootstrap.zip", spec.binary))
        );
        assert_eq!(get("timeout"), json!(spec.timeout_seconds));
        assert_eq!(get("memory_size"), json!(spec.memory_mb));
        let env = module
            .nested_blocks(function, "environment", &scope)
            .unwrap();
        assert_eq!(
            to_json(&env[0]["variables"]),
            environment,
            "{} environment",
            spec.key
        );
    }
}

#[test]
fn each_queue_triggers_its_consumer_reporting_item_failures() {
    let module = module();
    let mapping = module
        .resource("aws_lambda_event_source_mapping", "queue")
        .unwrap();
    let instances = module.for_each(mapping).unwrap();
    assert_eq!(instances.len(), QUEUES.len());
    for (spec, _) in QUEUES {
        let (_, value) = instances.iter().find(|(k, _)| k == spec.key).unwrap();
        let scope = each(spec.key, value);
        let get = |name: &str| to_json(&module.attr(mapping, name, &scope).unwrap());
        assert_eq!(
            get("event_source_arn"),
            json!(format!("arn-of:aws_sqs_queue.queue[{}]", spec.key))
        );
        assert_eq!(
            get("function_name"),
            json!(format!(
                "arn-of:aws_lambda_function.function[{}]",
                spec.consumer
            ))
        );
        assert_eq!(
            get("function_response_types"),
            json!(["ReportBatchItemFailures"])
        );
        assert_eq!(get("batch_size"), json!(10));
        let scaling = module
            .nested_blocks(mapping, "scaling_config", &scope)
            .unwrap();
        assert_eq!(
            to_json(&Value::Object(scaling[0].clone())),
            json!({"maximum_concurrency": 10})
        );
    }
}

#[test]
fn a_longer_function_timeout_lengthens_its_queues_visibility() {
    // Six times the consumer's timeout, as AWS advises, whatever names.json says.
    let mut module = module();
    module.set_variable("function_timeouts", object([("advance", Value::from(120))]));
    let queues = to_json(module.local("queues").unwrap());
    assert_eq!(queues["advance"]["visibility_timeout_seconds"], json!(720));
    assert_eq!(
        queues["start"]["visibility_timeout_seconds"],
        json!(names::START_QUEUE.visibility_timeout_seconds)
    );
    let functions = to_json(module.local("functions").unwrap());
    assert_eq!(functions["advance"]["timeout"], json!(120));
}

/// One policy statement: sid, actions and resources (sorted).
type Statement = (String, Vec<String>, Vec<String>);

/// A role in another account that Task states name in `Credentials`.
const TASK_ROLE: &str = "arn:aws:iam::222222222222:role/stepwise-tasks";

/// Each role's statements, by function, for a deployment with one task function and one
/// task role.
fn policies() -> Vec<(String, Vec<Statement>)> {
    let mut module = module();
    let groups: Map<String, Value> = FUNCTIONS
        .iter()
        .map(|f| {
            let arn = Value::from(format!("arn-of:log-group[{}]", f.key));
            (f.key.to_owned(), object([("arn", arn)]))
        })
        .collect();
    module.stub(
        "aws_cloudwatch_log_group",
        object([("function", Value::Object(groups))]),
    );
    module.set_variable(
        "task_function_arns",
        Value::from(vec![Value::from(
            "arn:aws:lambda:us-east-1:123456789012:function:task",
        )]),
    );
    module.set_variable("task_role_arns", Value::from(vec![Value::from(TASK_ROLE)]));
    let document = module
        .block("data", "aws_iam_policy_document", "function")
        .unwrap();
    let strings = |v: &Value| -> Vec<String> {
        let mut out: Vec<String> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_owned())
            .collect();
        out.sort();
        out
    };
    module
        .for_each(document)
        .unwrap()
        .into_iter()
        .map(|(key, value)| {
            let statements = module
                .nested_blocks(document, "statement", &each(&key, &value))
                .unwrap()
                .into_iter()
                .map(|s| {
                    (
                        s["sid"].as_str().unwrap().to_owned(),
                        strings(&s["actions"]),
                        strings(&s["resources"]),
                    )
                })
                .collect();
            (key, statements)
        })
        .collect()
}

#[test]
fn each_role_holds_only_what_its_function_uses() {
    let policies = policies();
    assert_eq!(policies.len(), FUNCTIONS.len());
    for (function, statements) in &policies {
        let sids: Vec<&str> = statements.iter().map(|(sid, _, _)| sid.as_str()).collect();
        let consumes = QUEUES.iter().find(|(q, _)| q.consumer == function);
        let mut expected = vec!["Logs", "ExecutionTable", "SendSteps"];
        if consumes.is_some() {
            expected.push("Trigger");
        }
        if function == "advance" {
            expected.extend(["TaskFunctions", "TaskRoles"]);
        }
        assert_eq!(sids, expected, "{function}");
        for (sid, actions, resources) in statements {
            assert!(
                !resources.iter().any(|r| r == "*") && !actions.iter().any(|a| a.ends_with('*')),
                "{function} {sid}: no wildcards"
            );
            match sid.as_str() {
                "Logs" => assert_eq!(resources, &[format!("arn-of:log-group[{function}]:*")]),
                "ExecutionTable" => {
                    assert_eq!(resources, &["arn-of:table", "arn-of:table/index/*"])
                }
                "Trigger" => {
                    let (queue, _) = consumes.unwrap();
                    assert_eq!(
                        resources,
                        &[format!("arn-of:aws_sqs_queue.queue[{}]", queue.key)]
                    );
                    assert!(actions.contains(&"sqs:ReceiveMessage".to_owned()));
                }
                "SendSteps" => assert!(
                    resources.contains(&format!(
                        "arn-of:aws_sqs_queue.queue[{}]",
                        names::ADVANCE_QUEUE.key
                    )),
                    "{function}: every engine sends step messages"
                ),
                "TaskFunctions" => assert_eq!(
                    resources,
                    &[
                        "arn:aws:lambda:us-east-1:123456789012:function:task",
                        "arn:aws:lambda:us-east-1:123456789012:function:task:*",
                    ]
                ),
                "TaskRoles" => {
                    assert_eq!(actions, &["sts:AssumeRole"]);
                    assert_eq!(resources, &[TASK_ROLE]);
                }
                _ => {}
            }
        }
    }
}

#[test]
fn no_task_role_may_be_assumed_unless_listed() {
    let module = module();
    assert_eq!(
        to_json(module.variable("task_role_arns").unwrap()),
        json!([])
    );
}
