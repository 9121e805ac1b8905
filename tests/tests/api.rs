//! The API function on the emulator: API Gateway (HTTP API, payload 2.0) events carrying
//! the JSON requests the AWS SDKs send, handled by `functions/api` over DynamoDB and SQS,
//! with executions driven by the advance function's poller.

use std::time::Duration;

use anyhow::{ensure, Context};
use serde_json::{json, Value};
use stepwise_api::Api;
use stepwise_api_function::{handle, ApiGatewayV2httpRequest, Body};
use stepwise_aws::config::{Config, Settings, TABLE_VAR};
use stepwise_tests::harness::{emulator, unique, AwsEngine, Harness};

const DEADLINE: Duration = Duration::from_secs(60);

type AwsApi = Api<
    stepwise_aws::DynamoStore,
    stepwise_aws::SqsQueue,
    stepwise_aws::tasks::AwsTasks,
    stepwise_engine::SystemClock,
>;

/// The API over the harness's engine, naming ARNs as the engine does (the SDK's region
/// and the default account, as the harness configures it).
async fn api(harness: &Harness) -> anyhow::Result<AwsApi> {
    let sdk = emulator().await.context("an emulator")?;
    let settings = Settings::from_lookup(|name| (name == TABLE_VAR).then(|| "unused".to_owned()))?;
    let config = Config::new(sdk, settings).engine_config()?;
    let engine: std::sync::Arc<AwsEngine> = harness.engine().clone();
    Ok(Api::new(engine, &config))
}

/// An API Gateway event as the HTTP API delivers `POST /` from the AWS CLI: header names
/// lowercased, the body as text.
fn event(target: &str, body: &Value) -> ApiGatewayV2httpRequest {
    let event = json!({
        "version": "2.0",
        "routeKey": "POST /",
        "rawPath": "/",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/x-amz-json-1.0",
            "x-amz-target": format!("AWSStepFunctions.{target}"),
            "host": "abc123.execute-api.us-east-1.amazonaws.com",
            "user-agent": "aws-cli/2.15.0 md/awscrt#0.19.19 ua/2.0 os/linux",
            "x-amz-date": "20240101T000000Z"
        },
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123",
            "http": {
                "method": "POST",
                "path": "/",
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "aws-cli/2.15.0"
            },
            "requestId": "req-1",
            "routeKey": "POST /",
            "stage": "$default",
            "time": "01/Jan/2024:00:00:00 +0000",
            "timeEpoch": 1704067200000_i64
        },
        "body": body.to_string(),
        "isBase64Encoded": false
    });
    serde_json::from_value(event).expect("an API Gateway v2 event")
}

async fn call(api: &AwsApi, target: &str, body: Value) -> anyhow::Result<(i64, Value)> {
    let response = handle(api, event(target, &body)).await;
    let text = match response.body {
        Some(Body::Text(text)) => text,
        other => anyhow::bail!("{target}: not a text body: {other:?}"),
    };
    let body = serde_json::from_str(&text).with_context(|| format!("{target}: {text}"))?;
    Ok((response.status_code, body))
}

async fn ok(api: &AwsApi, target: &str, body: Value) -> anyhow::Result<Value> {
    let (status, answer) = call(api, target, body).await?;
    ensure!(status == 200, "{target}: {status} {answer}");
    Ok(answer)
}

async fn start(api: &AwsApi, machine: &str, name: &str) -> anyhow::Result<String> {
    let input = json!({"who": name}).to_string();
    let started = ok(
        api,
        "StartExecution",
        json!({"stateMachineArn": machine, "name": name, "input": input}),
    )
    .await?;
    Ok(started["executionArn"]
        .as_str()
        .context("an ARN")?
        .to_owned())
}

#[tokio::test]
async fn the_step_functions_api_through_api_gateway_events() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("api").await? else {
        return Ok(());
    };
    let api = api(&harness).await?;
    let name = unique("sm");
    let definition = json!({
        "StartAt": "Greet",
        "States": {
            "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"}, "Next": "Pause"},
            // A start runs the first steps inline: the wait keeps an unpolled execution RUNNING.
            "Pause": {"Type": "Wait", "Seconds": 1, "End": true}
        }
    });
    let created = ok(
        &api,
        "CreateStateMachine",
        json!({
            "name": name,
            "definition": definition.to_string(),
            "roleArn": "arn:aws:iam::000000000000:role/stepwise",
            "type": "STANDARD"
        }),
    )
    .await?;
    let machine = created["stateMachineArn"]
        .as_str()
        .context("an ARN")?
        .to_owned();

    // The first runs to its end; the second is started afterwards and never run (no
    // poller takes its step message), so it stays RUNNING.
    let first = start(&api, &machine, "first").await?;
    let (record, _) = harness.run(&first, 1, DEADLINE).await?;
    ensure!(
        record.status == stepwise_engine::ExecutionStatus::Succeeded,
        "{record:?}"
    );
    let second = start(&api, &machine, "second").await?;
    let executions = [first, second];

    let described = ok(
        &api,
        "DescribeExecution",
        json!({"executionArn": executions[0]}),
    )
    .await?;
    assert_eq!(described["status"], "SUCCEEDED");
    assert_eq!(described["stateMachineArn"], machine.as_str());
    let output: Value = serde_json::from_str(described["output"].as_str().context("output")?)?;
    assert_eq!(output, json!({"greeting": "hello first"}));

    // The index lists both, newest first; the status filter keeps the one still running.
    let listed = ok(&api, "ListExecutions", json!({"stateMachineArn": machine})).await?;
    let arns: Vec<&str> = listed["executions"]
        .as_array()
        .context("executions")?
        .iter()
        .filter_map(|e| e["executionArn"].as_str())
        .collect();
    assert_eq!(arns, vec![executions[1].as_str(), executions[0].as_str()]);
    let running = ok(
        &api,
        "ListExecutions",
        json!({"stateMachineArn": machine, "statusFilter": "RUNNING", "maxResults": 1}),
    )
    .await?;
    assert_eq!(running["executions"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        running["executions"][0]["executionArn"],
        executions[1].as_str()
    );
    assert!(running.get("nextToken").is_none(), "{running}");
    let succeeded = ok(
        &api,
        "ListExecutions",
        json!({"stateMachineArn": machine, "statusFilter": "SUCCEEDED"}),
    )
    .await?;
    assert_eq!(succeeded["executions"].as_array().map(Vec::len), Some(1));
    assert_eq!(succeeded["executions"][0]["status"], "SUCCEEDED");
    let page = ok(
        &api,
        "ListExecutions",
        json!({"stateMachineArn": machine, "maxResults": 1}),
    )
    .await?;
    let token = page["nextToken"].as_str().context("a next page")?;
    let rest = ok(
        &api,
        "ListExecutions",
        json!({"stateMachineArn": machine, "maxResults": 1, "nextToken": token}),
    )
    .await?;
    assert_eq!(
        rest["executions"][0]["executionArn"],
        executions[0].as_str()
    );

    let (status, refused) = call(
        &api,
        "SendTaskSuccess",
        json!({"taskToken": "not-a-token", "output": "{}"}),
    )
    .await?;
    assert_eq!(status, 400, "{refused}");
    assert_eq!(refused["__type"], "InvalidToken");

    harness.clean_up().await;
    Ok(())
}

#[tokio::test]
async fn versions_and_aliases_through_api_gateway_events() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("api-alias").await? else {
        return Ok(());
    };
    let api = api(&harness).await?;
    let name = unique("sm");
    let definition = json!({"StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 1, "End": true}}});
    let created = ok(
        &api,
        "CreateStateMachine",
        json!({
            "name": name,
            "definition": definition.to_string(),
            "roleArn": "arn:aws:iam::000000000000:role/stepwise",
            "publish": true
        }),
    )
    .await?;
    let machine = created["stateMachineArn"]
        .as_str()
        .context("an ARN")?
        .to_owned();
    let version = created["stateMachineVersionArn"]
        .as_str()
        .context("a version ARN")?
        .to_owned();
    assert_eq!(version, format!("{machine}:1"));
    let alias = ok(
        &api,
        "CreateStateMachineAlias",
        json!({
            "name": "live",
            "routingConfiguration": [{"stateMachineVersionArn": version, "weight": 100}]
        }),
    )
    .await?;
    let alias = alias["stateMachineAliasArn"]
        .as_str()
        .context("an alias ARN")?
        .to_owned();
    assert_eq!(alias, format!("{machine}:live"));

    let direct = start(&api, &machine, "direct").await?;
    let through_alias = start(&api, &alias, "aliased").await?;
    let listed = |arn: String| {
        let api = &api;
        async move {
            let page = ok(api, "ListExecutions", json!({"stateMachineArn": arn})).await?;
            let arns: Vec<String> = page["executions"]
                .as_array()
                .context("executions")?
                .iter()
                .filter_map(|e| e["executionArn"].as_str().map(str::to_owned))
                .collect();
            anyhow::Ok(arns)
        }
    };
    assert_eq!(
        listed(machine.clone()).await?,
        vec![through_alias.clone(), direct]
    );
    assert_eq!(listed(alias.clone()).await?, vec![through_alias.clone()]);
    assert_eq!(listed(version.clone()).await?, vec![through_alias]);

    let machines = ok(&api, "ListStateMachines", json!({})).await?;
    let names: Vec<&str> = machines["stateMachines"]
        .as_array()
        .context("stateMachines")?
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert_eq!(names, vec![name.as_str()]);
    harness.clean_up().await;
    Ok(())
}

/// The start function takes Step Functions' own `StartExecution` request for a state
/// machine created through the API (its definition read from the DynamoDB catalog).
#[tokio::test]
async fn the_start_function_takes_start_execution_requests() -> anyhow::Result<()> {
    let Some(harness) = Harness::new("startapi").await? else {
        return Ok(());
    };
    let api = api(&harness).await?;
    let name = unique("sm");
    let definition = json!({"StartAt": "Greet", "States": {
        "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('hello {}', $.who)"}, "End": true}}});
    let created = ok(
        &api,
        "CreateStateMachine",
        json!({"name": name, "definition": definition.to_string(), "roleArn": "arn:aws:iam::000000000000:role/stepwise"}),
    )
    .await?;
    let machine = created["stateMachineArn"].as_str().context("an ARN")?;
    let request =
        json!({"stateMachineArn": machine, "name": "queued", "input": "{\"who\": \"queue\"}"});
    let started = harness.invoke_start(request).await?;
    let arn = started["executionArn"].as_str().context("an ARN")?;
    ensure!(arn.ends_with(&format!(":execution:{name}:queued")), "{arn}");
    let (record, _) = harness.run(arn, 1, DEADLINE).await?;
    ensure!(
        record.output == Some(json!({"greeting": "hello queue"})),
        "{record:?}"
    );
    let missing = harness
        .invoke_start(json!({"stateMachineArn": format!("{machine}-gone")}))
        .await
        .expect_err("an unknown state machine");
    ensure!(
        matches!(&missing, stepwise_start::Error::Api(e) if e.kind() == "StateMachineDoesNotExist"),
        "{missing:?}"
    );
    harness.clean_up().await;
    Ok(())
}
