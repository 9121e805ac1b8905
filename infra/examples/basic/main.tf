# Stepwise plus one sample task: a Lambda function the sample state machine
# (hello.asl.json) calls. Build the functions first, from the repository's root:
#   cargo lambda build --release --arm64 --output-format zip \
#     -p stepwise-start -p stepwise-advance -p stepwise-complete -p stepwise-api-function
# then, here: terraform init && terraform apply.

module "stepwise" {
  source = "../../modules/stepwise"

  name_prefix      = var.name_prefix
  lambda_build_dir = "${path.root}/../../../target/lambda"

  # The engine may invoke this function and nothing else.
  task_function_arns = [aws_lambda_function.hello.arn]

  # A demo: let `terraform destroy` remove the table.
  deletion_protection = false
}

data "archive_file" "hello" {
  type        = "zip"
  source_file = "${path.module}/hello.py"
  output_path = "${path.module}/.build/hello.zip"
}

data "aws_iam_policy_document" "hello_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "hello" {
  name               = "${var.name_prefix}-hello"
  assume_role_policy = data.aws_iam_policy_document.hello_assume.json
}

resource "aws_cloudwatch_log_group" "hello" {
  name              = "/aws/lambda/${var.name_prefix}-hello"
  retention_in_days = 14
}

data "aws_iam_policy_document" "hello" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.hello.arn}:*"]
  }
}

resource "aws_iam_role_policy" "hello" {
  name   = "logs"
  role   = aws_iam_role.hello.id
  policy = data.aws_iam_policy_document.hello.json
}

resource "aws_lambda_function" "hello" {
  function_name    = "${var.name_prefix}-hello"
  role             = aws_iam_role.hello.arn
  runtime          = "python3.12"
  architectures    = ["arm64"]
  handler          = "hello.handler"
  filename         = data.archive_file.hello.output_path
  source_code_hash = data.archive_file.hello.output_base64sha256
  timeout          = 10

  depends_on = [aws_cloudwatch_log_group.hello, aws_iam_role_policy.hello]
}
