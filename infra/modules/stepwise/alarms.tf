# A message in a dead-letter queue is an execution that stopped moving: alarm on the
# first one.
resource "aws_cloudwatch_metric_alarm" "dlq_not_empty" {
  for_each = local.queues

  alarm_name          = "${aws_sqs_queue.dlq[each.key].name}-not-empty"
  alarm_description   = "Messages of the ${each.key} queue failed ${each.value.max_receive_count} times and wait in ${aws_sqs_queue.dlq[each.key].name}; inspect them, then redrive."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq[each.key].name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

# Function errors: a handler that failed as a whole (not one message of a batch, which
# it reports and SQS retries) or timed out.
resource "aws_cloudwatch_metric_alarm" "function_errors" {
  for_each = local.functions

  alarm_name          = "${aws_lambda_function.function[each.key].function_name}-errors"
  alarm_description   = "The Stepwise ${each.key} function reported more than ${var.function_error_threshold} errors in five minutes."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = aws_lambda_function.function[each.key].function_name }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = var.function_error_threshold
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
