locals {
  # The names and settings shared with the Rust code (shared/aws/src/names.rs) and the
  # emulator bootstrap (localstack/bootstrap.py); tests check all three agree.
  names = jsondecode(file("${path.module}/names.json"))
  table = local.names.table

  # Every key attribute of the table and its indexes, name => type.
  table_attributes = {
    for key in flatten([
      [local.table.partition_key, local.table.sort_key],
      [for index in local.table.indexes : [index.partition_key, index.sort_key]],
    ]) : key.name => key.type
  }

  functions = {
    for key, spec in local.names.functions : key => {
      name    = "${var.name_prefix}-${key}"
      zip     = lookup(var.function_zips, key, "${var.lambda_build_dir}/${spec.binary}/bootstrap.zip")
      timeout = lookup(var.function_timeouts, key, spec.timeout_seconds)
      memory  = lookup(var.function_memory_mb, key, spec.memory_mb)
    }
  }

  queues = {
    for key, spec in local.names.queues : key => {
      name                          = replace(replace(local.names.queue_naming.queue, "{prefix}", var.name_prefix), "{queue}", key)
      dlq_name                      = replace(replace(local.names.queue_naming.dead_letter_queue, "{prefix}", var.name_prefix), "{queue}", key)
      consumer                      = spec.consumer
      visibility_timeout_seconds    = max(spec.visibility_timeout_seconds, 6 * local.functions[spec.consumer].timeout)
      max_receive_count             = spec.max_receive_count
      message_retention_seconds     = spec.message_retention_seconds
      dlq_message_retention_seconds = spec.dlq_message_retention_seconds
    }
  }

  # The environment every function gets: the variables shared/aws/src/config.rs reads.
  environment = merge(
    {
      (local.names.environment.table)      = aws_dynamodb_table.this.name
      (local.names.environment.account_id) = data.aws_caller_identity.current.account_id
    },
    {
      for key, env_name in local.names.environment.queue_urls : env_name => aws_sqs_queue.queue[key].url
    },
  )
}

data "aws_caller_identity" "current" {}
