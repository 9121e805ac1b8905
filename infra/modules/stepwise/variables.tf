variable "name_prefix" {
  description = "Names every resource: the table is called this, queues <prefix>-<queue>, functions and roles <prefix>-<function>. One deployment per prefix per account and region."
  type        = string
  default     = "stepwise"

  validation {
    # SQS allows 80 characters and Lambda 64; the longest suffix is "-complete-dlq".
    condition     = can(regex("^[A-Za-z0-9_-]{1,40}$", var.name_prefix))
    error_message = "name_prefix must be 1 to 40 letters, digits, hyphens or underscores."
  }
}

variable "lambda_build_dir" {
  description = "Folder holding the cargo lambda builds (`cargo lambda build --release --arm64 --output-format zip` writes <dir>/<binary>/bootstrap.zip). Relative paths are relative to the directory terraform runs in."
  type        = string
  default     = "target/lambda"
}

variable "function_zips" {
  description = "Per-function zip paths overriding <lambda_build_dir>/<binary>/bootstrap.zip; keys among start, advance, complete, api."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.function_zips) : contains(["start", "advance", "complete", "api"], k)])
    error_message = "function_zips keys must be among start, advance, complete, api."
  }
}

variable "function_timeouts" {
  description = "Per-function timeouts in seconds overriding names.json (start 30, advance 60, complete 30, api 29). A queue's visibility timeout grows to six times its consumer's timeout, as AWS advises."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.function_timeouts : contains(["start", "advance", "complete", "api"], k) && v >= 1 && v <= 900])
    error_message = "function_timeouts keys must be among start, advance, complete, api, and values between 1 and 900."
  }

  validation {
    # API Gateway HTTP APIs end an integration after 30 seconds.
    condition     = lookup(var.function_timeouts, "api", 29) <= 30
    error_message = "The api function's timeout must be at most 30 seconds (API Gateway's integration limit)."
  }

  validation {
    # The queue's visibility timeout is six times this, and SQS allows at most 12 hours.
    condition     = alltrue([for v in values(var.function_timeouts) : v * 6 <= 43200])
    error_message = "A function timeout over 7200 seconds would need a visibility timeout over SQS's 12-hour limit."
  }
}

variable "function_memory_mb" {
  description = "Per-function memory in MB overriding names.json (start 256, advance 512, complete 256, api 256)."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.function_memory_mb : contains(["start", "advance", "complete", "api"], k) && v >= 128 && v <= 10240])
    error_message = "function_memory_mb keys must be among start, advance, complete, api, and values between 128 and 10240."
  }
}

variable "batch_size" {
  description = "Messages per invocation of an SQS-triggered function. Each message is handled concurrently and failures are reported per message (ReportBatchItemFailures)."
  type        = number
  default     = 10

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10
    error_message = "batch_size must be between 1 and 10 (larger batches need a batching window, which only adds latency here)."
  }
}

variable "maximum_concurrency" {
  description = "Most concurrent invocations each SQS event source mapping starts; bounds the DynamoDB and task load one burst makes."
  type        = number
  default     = 10

  validation {
    condition     = var.maximum_concurrency >= 2 && var.maximum_concurrency <= 1000
    error_message = "maximum_concurrency must be between 2 and 1000 (Lambda's limits for SQS mappings)."
  }
}

variable "task_function_arns" {
  description = "Lambda functions Task states may invoke (arn:aws:lambda:…:function:name). The engine may invoke only these, and their versions and aliases."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.task_function_arns : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+$", a))])
    error_message = "task_function_arns must be unqualified Lambda function ARNs."
  }
}

variable "task_queue_arns" {
  description = "SQS queues Task states may send to (arn:aws:sqs:…); the engine may send only to these."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.task_queue_arns : can(regex("^arn:aws[a-z-]*:sqs:", a))])
    error_message = "task_queue_arns must be SQS queue ARNs."
  }
}

variable "task_table_arns" {
  description = "DynamoDB tables Task states may read and write items in (arn:aws:dynamodb:…:table/name); the engine may touch only these."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.task_table_arns : can(regex("^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+$", a))])
    error_message = "task_table_arns must be DynamoDB table ARNs."
  }
}

variable "task_role_arns" {
  description = "IAM roles Task states may name in Credentials (arn:aws:iam::<account>:role/name, in any account); the engine may assume only these (sts:AssumeRole). Each role's trust policy must allow the advance function's role."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.task_role_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9_+=,.@/-]+$", a))])
    error_message = "task_role_arns must be IAM role ARNs (arn:aws:iam::<account>:role/<name>)."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps the functions' and the API's logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, …, 3653)."
  }
}

variable "kms_key_arn" {
  description = "A customer-managed KMS key for the table and the queues. Null: the table uses the AWS-managed key (aws/dynamodb) and the queues SQS-managed encryption."
  type        = string
  default     = null
}

variable "point_in_time_recovery" {
  description = "Continuous backups of the table (restore to any second of the last 35 days)."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the table (turn off before `terraform destroy`)."
  type        = bool
  default     = true
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires or clears (e.g. an SNS topic)."
  type        = list(string)
  default     = []
}

variable "function_error_threshold" {
  description = "The function error alarms fire when a function reports more errors than this in five minutes."
  type        = number
  default     = 0

  validation {
    condition     = var.function_error_threshold >= 0
    error_message = "function_error_threshold must not be negative."
  }
}

variable "tags" {
  description = "Tags for every resource that takes them."
  type        = map(string)
  default     = {}
}
