# The four functions, each with its own role (iam.tf) and log group. All run the cargo
# lambda builds for Graviton: arm64 is about 20% cheaper per GB-second than x86_64.
resource "aws_cloudwatch_log_group" "function" {
  for_each = local.functions

  name              = "/aws/lambda/${each.value.name}"
  retention_in_days = var.log_retention_days
  tags              = var.tags
}

resource "aws_lambda_function" "function" {
  for_each = local.functions

  function_name    = each.value.name
  description      = "Stepwise ${each.key}"
  role             = aws_iam_role.function[each.key].arn
  runtime          = "provided.al2023"
  architectures    = ["arm64"]
  handler          = "bootstrap"
  filename         = each.value.zip
  source_code_hash = filebase64sha256(each.value.zip)
  timeout          = each.value.timeout
  memory_size      = each.value.memory

  environment {
    variables = local.environment
  }

  tags = var.tags

  # The log group first, so Lambda does not create one without retention; the policy
  # first, so the first invocation is not refused.
  depends_on = [aws_cloudwatch_log_group.function, aws_iam_role_policy.function]
}

# Each queue feeds its consumer. ReportBatchItemFailures: a failed message is retried
# alone, not with its whole batch (shared/aws/src/lambda.rs answers per message).
resource "aws_lambda_event_source_mapping" "queue" {
  for_each = local.queues

  event_source_arn        = aws_sqs_queue.queue[each.key].arn
  function_name           = aws_lambda_function.function[each.value.consumer].arn
  batch_size              = var.batch_size
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.maximum_concurrency
  }
}
