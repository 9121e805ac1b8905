# One role per function, holding only what that function does (docs/deploy.md lists
# every action and why).
locals {
  # The queue each function consumes (its event source mapping), if any.
  consumed_queue = { for key, queue in local.queues : queue.consumer => key }

  # The queues each function sends to. Every engine sends step messages to the advance
  # queue (its outbox); the API also queues StartExecution and task results for start
  # and complete.
  sends_to = {
    start    = ["advance"]
    advance  = ["advance"]
    complete = ["advance"]
    api      = ["start", "advance", "complete"]
  }

  # Task states run when the advance function handles a task message, so only its role
  # reaches the user's task resources.
  runs_tasks = ["advance"]

  table_item_actions = [
    "dynamodb:BatchGetItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:TransactWriteItems",
    "dynamodb:UpdateItem",
  ]
}

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.functions

  name               = each.value.name
  description        = "Stepwise ${each.key} function"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json
  tags               = var.tags
}

data "aws_iam_policy_document" "function" {
  for_each = local.functions

  # The log group exists (lambda.tf), so no logs:CreateLogGroup.
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }

  statement {
    sid       = "ExecutionTable"
    actions   = local.table_item_actions
    resources = [aws_dynamodb_table.this.arn, "${aws_dynamodb_table.this.arn}/index/*"]
  }

  # SendMessageBatch is authorised by sqs:SendMessage.
  statement {
    sid       = "SendSteps"
    actions   = ["sqs:SendMessage"]
    resources = [for key in local.sends_to[each.key] : aws_sqs_queue.queue[key].arn]
  }

  dynamic "statement" {
    for_each = contains(keys(local.consumed_queue), each.key) ? [local.consumed_queue[each.key]] : []
    content {
      sid = "Trigger"
      actions = [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
      ]
      resources = [aws_sqs_queue.queue[statement.value].arn]
    }
  }

  dynamic "statement" {
    for_each = contains(local.runs_tasks, each.key) && length(var.task_function_arns) > 0 ? [1] : []
    content {
      sid       = "TaskFunctions"
      actions   = ["lambda:InvokeFunction"]
      resources = concat(var.task_function_arns, [for arn in var.task_function_arns : "${arn}:*"])
    }
  }

  dynamic "statement" {
    for_each = contains(local.runs_tasks, each.key) && length(var.task_queue_arns) > 0 ? [1] : []
    content {
      sid       = "TaskQueues"
      actions   = ["sqs:SendMessage"]
      resources = var.task_queue_arns
    }
  }

  dynamic "statement" {
    for_each = contains(local.runs_tasks, each.key) && length(var.task_table_arns) > 0 ? [1] : []
    content {
      sid       = "TaskTables"
      actions   = ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
      resources = var.task_table_arns
    }
  }

  # Task Credentials: the engine calls as the role a Task names, after assuming it.
  dynamic "statement" {
    for_each = contains(local.runs_tasks, each.key) && length(var.task_role_arns) > 0 ? [1] : []
    content {
      sid       = "TaskRoles"
      actions   = ["sts:AssumeRole"]
      resources = var.task_role_arns
    }
  }

  # With a customer-managed key, SQS needs the sender to make data keys and the
  # receiver to decrypt them. (DynamoDB uses its own grants on the key.)
  dynamic "statement" {
    for_each = var.kms_key_arn == null ? [] : [var.kms_key_arn]
    content {
      sid       = "QueueEncryption"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions

  name   = "stepwise-${each.key}"
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function[each.key].json
}
