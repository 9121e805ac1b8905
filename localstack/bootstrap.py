#!/usr/bin/env python3
"""Creates Stepwise's DynamoDB table and SQS queues in the emulator, as Terraform will.

Idempotent: existing resources are brought to the settings below, never dropped. Prints
`NAME=value` lines (table name, queue URLs) that can be exported.

    python3 localstack/bootstrap.py

Runs with any Python: without boto3 it re-runs itself with the emulator venv's Python
(install.sh puts LocalStack, and so boto3, there).

Environment:
    AWS_ENDPOINT_URL        default http://127.0.0.1:${STEPWISE_EMULATOR_PORT:-4566}
    STEPWISE_TABLE          default stepwise
    STEPWISE_STEPS_QUEUE    default stepwise-steps  (its DLQ: <name>-dlq)
    STEPWISE_START_QUEUE    default stepwise-start  (its DLQ: <name>-dlq)
Region us-east-1 and keys test/test are fixed: LocalStack keeps resources per region and
per account (the access key), and these are the ones the tests use.
"""

import json
import os
import pathlib
import sys

try:
    import boto3
except ImportError:
    home = os.environ.get("STEPWISE_EMULATOR_HOME") or os.path.expanduser(
        "~/.cache/stepwise/emulator"
    )
    venv_python = pathlib.Path(home, "venv", "bin", "python")
    if not venv_python.exists() or pathlib.Path(sys.executable) == venv_python:
        sys.exit(f"bootstrap: boto3 not found and no emulator venv at {venv_python}; "
                 "run localstack/install.sh first")
    os.execv(venv_python, [str(venv_python), *sys.argv])

# The settings Terraform uses (infra/modules/stepwise); keep the two in step.
VISIBILITY_TIMEOUT_S = 60  # AWS requires at least the consuming Lambda's timeout
MAX_RECEIVE_COUNT = 5  # a poison message ends in the DLQ after this many tries (invariant 6)
TTL_ATTRIBUTE = "expires_at"


def log(message):
    print(f"bootstrap: {message}", file=sys.stderr)


def ensure_table(ddb, name):
    key_schema = [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    try:
        ddb.create_table(
            TableName=name,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=key_schema,
            BillingMode="PAY_PER_REQUEST",
        )
        log(f"created table {name}")
    except ddb.exceptions.ResourceInUseException:
        # The key schema cannot be changed in place; say so instead of using a wrong table.
        existing = ddb.describe_table(TableName=name)["Table"]["KeySchema"]
        if sorted(map(json.dumps, existing)) != sorted(map(json.dumps, key_schema)):
            sys.exit(f"bootstrap: table {name} exists with key schema {existing}, "
                     "expected pk (HASH), sk (RANGE); delete it or choose STEPWISE_TABLE")
        log(f"table {name} exists")
    ddb.get_waiter("table_exists").wait(TableName=name)

    # Enabling TTL twice is an error on AWS, so look first.
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING") or \
            ttl.get("AttributeName") != TTL_ATTRIBUTE:
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
        )
        log(f"enabled TTL on {name}.{TTL_ATTRIBUTE}")


def ensure_queue(sqs, name, attributes):
    """Returns the URL of queue `name`, created or updated to have `attributes`."""
    try:
        url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    except sqs.exceptions.QueueDoesNotExist:
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        log(f"created queue {name}")
        return url
    # CreateQueue on an existing queue fails when attributes differ; setting them converges.
    if attributes:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    log(f"queue {name} exists")
    return url


def ensure_queue_with_dlq(sqs, name):
    dlq_url = ensure_queue(sqs, f"{name}-dlq", {})
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    url = ensure_queue(sqs, name, {
        "VisibilityTimeout": str(VISIBILITY_TIMEOUT_S),
        "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVE_COUNT}),
    })
    return url, dlq_url


def main():
    port = os.environ.get("STEPWISE_EMULATOR_PORT", "4566")
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"http://127.0.0.1:{port}"
    session = boto3.session.Session(
        region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    ddb = session.client("dynamodb", endpoint_url=endpoint)
    sqs = session.client("sqs", endpoint_url=endpoint)
    log(f"endpoint {endpoint}")

    table = os.environ.get("STEPWISE_TABLE", "stepwise")
    ensure_table(ddb, table)
    steps_url, steps_dlq_url = ensure_queue_with_dlq(
        sqs, os.environ.get("STEPWISE_STEPS_QUEUE", "stepwise-steps"))
    start_url, start_dlq_url = ensure_queue_with_dlq(
        sqs, os.environ.get("STEPWISE_START_QUEUE", "stepwise-start"))

    print(f"STEPWISE_TABLE={table}")
    print(f"STEPWISE_STEPS_QUEUE_URL={steps_url}")
    print(f"STEPWISE_STEPS_DLQ_URL={steps_dlq_url}")
    print(f"STEPWISE_START_QUEUE_URL={start_url}")
    print(f"STEPWISE_START_DLQ_URL={start_dlq_url}")


if __name__ == "__main__":
    main()
