output "api_url" {
  description = "Stepwise's Step Functions API."
  value       = module.stepwise.api_url
}

output "queue_urls" {
  description = "Stepwise's queues."
  value       = module.stepwise.queue_urls
}

output "state_machine_definition" {
  description = "The sample state machine, with the hello function's ARN filled in."
  value       = templatefile("${path.module}/hello.asl.json", { hello_function_arn = aws_lambda_function.hello.arn })
}

output "try_it" {
  description = "Commands that create the sample state machine and run it."
  value       = <<-EOT
    terraform output -raw state_machine_definition > /tmp/hello.asl.json
    aws stepfunctions create-state-machine --endpoint-url ${module.stepwise.api_url} \
      --name hello --definition file:///tmp/hello.asl.json \
      --role-arn ${module.stepwise.role_arns["advance"]}
    aws stepfunctions start-execution --endpoint-url ${module.stepwise.api_url} \
      --state-machine-arn arn:aws:states:${var.region}:${data.aws_caller_identity.current.account_id}:stateMachine:hello \
      --input '{"name": "Stepwise"}'
  EOT
}

data "aws_caller_identity" "current" {}
