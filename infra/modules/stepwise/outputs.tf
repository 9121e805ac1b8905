output "api_url" {
  description = "The Step Functions API endpoint (SigV4-signed POST /): pass it as --endpoint-url to `aws stepfunctions`."
  value       = aws_apigatewayv2_stage.default.invoke_url
}

output "api_execution_arn" {
  description = "For IAM policies granting execute-api:Invoke on the API (append /*/POST/)."
  value       = aws_apigatewayv2_api.api.execution_arn
}

output "queue_urls" {
  description = "URL of each queue: start, advance, complete."
  value       = { for key, queue in aws_sqs_queue.queue : key => queue.url }
}

output "dead_letter_queue_urls" {
  description = "URL of each queue's dead-letter queue."
  value       = { for key, queue in aws_sqs_queue.dlq : key => queue.url }
}

output "table_name" {
  description = "The DynamoDB table."
  value       = aws_dynamodb_table.this.name
}

output "table_arn" {
  description = "The DynamoDB table's ARN."
  value       = aws_dynamodb_table.this.arn
}

output "function_arns" {
  description = "ARN of each function: start, advance, complete, api."
  value       = { for key, fn in aws_lambda_function.function : key => fn.arn }
}

output "role_arns" {
  description = "ARN of each function's role, to attach more policies."
  value       = { for key, role in aws_iam_role.function : key => role.arn }
}

output "environment" {
  description = "The environment the functions run with (table, account, queue URLs)."
  value       = local.environment
}
