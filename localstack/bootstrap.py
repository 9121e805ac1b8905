#!/usr/bin/env python3
"""Creates Stepwise's DynamoDB table and SQS queues in the emulator, as Terraform does.

Names and settings (keys, index, TTL attribute, queues and their visibility timeout,
retention and maxReceiveCount, environment variable names) are read from
infra/modules/stepwise/names.json, the file the Terraform module and the Rust code share.

Idempotent: existing resources are brought to those settings, never dropped (a missing
index is added to an existing table). Prints `NAME=value` lines (the variables the
functions read: table name, queue URLs, and each queue's DLQ URL) that can be exported.

    python3 localstack/bootstrap.py

Runs with any Python: without boto3 it re-runs itself with the emulator venv's Python
(install.sh puts LocalStack, and so boto3, there).

Environment:
    AWS_ENDPOINT_URL        default http://127.0.0.1:${STEPWISE_EMULATOR_PORT:-4566}
    STEPWISE_PREFIX         default stepwise: the table's name, and queues
                            <prefix>-start, <prefix>-advance, <prefix>-complete
                            (DLQs <prefix>-<queue>-dlq), as the module's name_prefix
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

NAMES_FILE = pathlib.Path(__file__).resolve().parent.parent / "infra/modules/stepwise/names.json"


def load_names():
    with open(NAMES_FILE, encoding="utf-8") as f:
        return json.load(f)


def log(message):
    print(f"bootstrap: {message}", file=sys.stderr)


def key_schema(partition, sort):
    return [
        {"AttributeName": partition["name"], "KeyType": "HASH"},
        {"AttributeName": sort["name"], "KeyType": "RANGE"},
    ]


def index_spec(index):
    return {
        "IndexName": index["name"],
        "KeySchema": key_schema(index["partition_key"], index["sort_key"]),
        "Projection": {"ProjectionType": index["projection"]},
    }


def ensure_table(ddb, name, table):
    keys = key_schema(table["partition_key"], table["sort_key"])
    attributes = {}
    for index in table["indexes"]:
        for key in (index["partition_key"], index["sort_key"]):
            attributes[key["name"]] = key["type"]
    for key in (table["partition_key"], table["sort_key"]):
        attributes[key["name"]] = key["type"]
    definitions = [{"AttributeName": a, "AttributeType": t} for a, t in attributes.items()]
    try:
        ddb.create_table(
            TableName=name,
            AttributeDefinitions=definitions,
            KeySchema=keys,
            BillingMode="PAY_PER_REQUEST",
            GlobalSecondaryIndexes=[index_spec(i) for i in table["indexes"]],
        )
        log(f"created table {name}")
    except ddb.exceptions.ResourceInUseException:
        # The key schema cannot be changed in place; say so instead of using a wrong table.
        existing = ddb.describe_table(TableName=name)["Table"]
        if sorted(map(json.dumps, existing["KeySchema"])) != sorted(map(json.dumps, keys)):
            sys.exit(f"bootstrap: table {name} exists with key schema {existing['KeySchema']}, "
                     f"expected {keys}; delete it or choose another STEPWISE_PREFIX")
        log(f"table {name} exists")
        ddb.get_waiter("table_exists").wait(TableName=name)
        have = {i["IndexName"] for i in existing.get("GlobalSecondaryIndexes", [])}
        for index in table["indexes"]:
            if index["name"] in have:
                continue
            # A table made before the index existed gets it added, one index per update.
            ddb.update_table(
                TableName=name,
                AttributeDefinitions=definitions,
                GlobalSecondaryIndexUpdates=[{"Create": index_spec(index)}],
            )
            log(f"added index {index['name']} to {name}")
            ddb.get_waiter("table_exists").wait(TableName=name)
    ddb.get_waiter("table_exists").wait(TableName=name)

    # Enabling TTL twice is an error on AWS, so look first.
    ttl_attribute = table["ttl_attribute"]
    ttl = ddb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    if ttl.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING") or \
            ttl.get("AttributeName") != ttl_attribute:
        ddb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl_attribute},
        )
        log(f"enabled TTL on {name}.{ttl_attribute}")


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


def ensure_queue_with_dlq(sqs, name, dlq_name, spec):
    dlq_url = ensure_queue(sqs, dlq_name, {
        "MessageRetentionPeriod": str(spec["dlq_message_retention_seconds"]),
    })
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    url = ensure_queue(sqs, name, {
        "VisibilityTimeout": str(spec["visibility_timeout_seconds"]),
        "MessageRetentionPeriod": str(spec["message_retention_seconds"]),
        "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec["max_receive_count"]}),
    })
    return url, dlq_url


def main():
    names = load_names()
    port = os.environ.get("STEPWISE_EMULATOR_PORT", "4566")
    endpoint = os.environ.get("AWS_ENDPOINT_URL") or f"http://127.0.0.1:{port}"
    session = boto3.session.Session(
        region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test")
    ddb = session.client("dynamodb", endpoint_url=endpoint)
    sqs = session.client("sqs", endpoint_url=endpoint)
    log(f"endpoint {endpoint}")

    prefix = os.environ.get("STEPWISE_PREFIX") or "stepwise"
    ensure_table(ddb, prefix, names["table"])
    env = names["environment"]
    print(f"{env['table']}={prefix}")
    naming = names["queue_naming"]
    for key, spec in names["queues"].items():
        queue = naming["queue"].format(prefix=prefix, queue=key)
        dlq = naming["dead_letter_queue"].format(prefix=prefix, queue=key)
        url, dlq_url = ensure_queue_with_dlq(sqs, queue, dlq, spec)
        url_var = env["queue_urls"][key]
        print(f"{url_var}={url}")
        # Not read by the functions: for operators and tests that inspect the DLQ.
        print(f"{url_var.removesuffix('_URL')}_DLQ_URL={dlq_url}")


if __name__ == "__main__":
    main()
