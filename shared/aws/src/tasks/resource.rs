//! What a Task state's `Resource` names, parsed once per invocation.

use std::fmt;

use stepwise_core::failure::Failure;

/// The optimised integrations Stepwise runs itself, by service and API action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integration {
    /// `arn:aws:states:::lambda:invoke`
    LambdaInvoke,
    /// `arn:aws:states:::sqs:sendMessage`
    SqsSendMessage,
    /// `arn:aws:states:::dynamodb:<action>`
    DynamoDb(DynamoAction),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DynamoAction {
    GetItem,
    PutItem,
    UpdateItem,
    DeleteItem,
}

impl DynamoAction {
    pub fn name(self) -> &'static str {
        match self {
            Self::GetItem => "getItem",
            Self::PutItem => "putItem",
            Self::UpdateItem => "updateItem",
            Self::DeleteItem => "deleteItem",
        }
    }
}

/// A parsed `Resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// A bare function ARN (`arn:aws:lambda:<region>:<account>:function:<name>[:qualifier]`):
    /// the state's parameters are the payload and the function's output is the result.
    LambdaFunction { arn: String },
    /// An optimised integration. `.waitForTaskToken` makes the same call: the engine treats
    /// its result as the "submitted" output and waits for the callback.
    Service {
        integration: Integration,
        wait_for_task_token: bool,
    },
}

const WAIT_FOR_TASK_TOKEN: &str = ".waitForTaskToken";

impl Resource {
    /// Parses `resource`, or the `States.Runtime` failure a Task state gets for a resource
    /// Stepwise's AWS integrations do not run.
    pub fn parse(resource: &str) -> Result<Self, Failure> {
        let parts: Vec<&str> = resource.splitn(6, ':').collect();
        let [arn, _partition, service, region, account, rest] = parts[..] else {
            return Err(unsupported(resource));
        };
        if arn != "arn" {
            return Err(unsupported(resource));
        }
        match service {
            "lambda" => {
                let name = rest.strip_prefix("function:").unwrap_or_default();
                let valid = !region.is_empty()
                    && account.len() == 12
                    && account.bytes().all(|b| b.is_ascii_digit())
                    && !name.is_empty()
                    && name.split(':').count() <= 2;
                if valid {
                    Ok(Self::LambdaFunction {
                        arn: resource.to_owned(),
                    })
                } else {
                    Err(unsupported(resource))
                }
            }
            "states" if region.is_empty() && account.is_empty() => Self::service(resource, rest),
            _ => Err(unsupported(resource)),
        }
    }

    /// `rest` is `<service>:<action>[.pattern]`.
    fn service(resource: &str, rest: &str) -> Result<Self, Failure> {
        let (api, wait_for_task_token) = match rest.strip_suffix(WAIT_FOR_TASK_TOKEN) {
            Some(api) => (api, true),
            None => (rest, false),
        };
        if api.starts_with("states:startExecution")
            || api.ends_with(".sync")
            || api.ends_with(".sync:2")
        {
            return Err(Failure::runtime(format!(
                "The resource '{resource}' is not supported by Stepwise's AWS task integrations: \
                 '.sync' jobs and nested executions are run by the engine."
            )));
        }
        let integration = match api {
            "lambda:invoke" => Integration::LambdaInvoke,
            "sqs:sendMessage" => Integration::SqsSendMessage,
            "dynamodb:getItem" => Integration::DynamoDb(DynamoAction::GetItem),
            "dynamodb:putItem" => Integration::DynamoDb(DynamoAction::PutItem),
            "dynamodb:updateItem" => Integration::DynamoDb(DynamoAction::UpdateItem),
            "dynamodb:deleteItem" => Integration::DynamoDb(DynamoAction::DeleteItem),
            _ => return Err(unsupported(resource)),
        };
        Ok(Self::Service {
            integration,
            wait_for_task_token,
        })
    }
}

impl fmt::Display for Integration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LambdaInvoke => f.write_str("lambda:invoke"),
            Self::SqsSendMessage => f.write_str("sqs:sendMessage"),
            Self::DynamoDb(action) => write!(f, "dynamodb:{}", action.name()),
        }
    }
}

fn unsupported(resource: &str) -> Failure {
    Failure::runtime(format!(
        "The resource '{resource}' is not supported by Stepwise's AWS task integrations \
         (supported: Lambda function ARNs, lambda:invoke, sqs:sendMessage, \
         dynamodb:getItem/putItem/updateItem/deleteItem)."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(integration: Integration, wait_for_task_token: bool) -> Resource {
        Resource::Service {
            integration,
            wait_for_task_token,
        }
    }

    #[test]
    fn bare_function_arns_keep_their_qualifier() {
        for arn in [
            "arn:aws:lambda:us-east-1:123456789012:function:echo",
            "arn:aws:lambda:eu-west-1:123456789012:function:echo:live",
            "arn:aws-cn:lambda:cn-north-1:123456789012:function:echo:7",
        ] {
            assert_eq!(
                Resource::parse(arn).unwrap(),
                Resource::LambdaFunction {
                    arn: arn.to_owned()
                }
            );
        }
    }

    #[test]
    fn optimised_integrations_and_the_callback_suffix() {
        let cases = [
            (
                "arn:aws:states:::lambda:invoke",
                service(Integration::LambdaInvoke, false),
            ),
            (
                "arn:aws:states:::lambda:invoke.waitForTaskToken",
                service(Integration::LambdaInvoke, true),
            ),
            (
                "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                service(Integration::SqsSendMessage, true),
            ),
            (
                "arn:aws:states:::dynamodb:updateItem",
                service(Integration::DynamoDb(DynamoAction::UpdateItem), false),
            ),
        ];
        for (resource, expected) in cases {
            assert_eq!(Resource::parse(resource).unwrap(), expected, "{resource}");
        }
    }

    #[test]
    fn engine_patterns_are_named_unsupported() {
        for resource in [
            "arn:aws:states:::lambda:invoke.sync",
            "arn:aws:states:::glue:startJobRun.sync",
            "arn:aws:states:::states:startExecution.sync:2",
            "arn:aws:states:::states:startExecution",
        ] {
            let failure = Resource::parse(resource).unwrap_err();
            assert_eq!(failure.error.as_deref(), Some("States.Runtime"));
            let cause = failure.cause.unwrap();
            assert!(
                cause.contains(resource) && cause.contains(".sync"),
                "{cause}"
            );
        }
    }

    #[test]
    fn anything_else_is_a_runtime_error_naming_the_resource() {
        for resource in [
            "arn:aws:states:::sns:publish",
            "arn:aws:states:::dynamodb:query",
            "arn:aws:lambda:us-east-1:12345:function:short-account",
            "arn:aws:lambda:us-east-1:123456789012:layer:x",
            "arn:aws:states:us-east-1:123456789012:activity:a",
            "not an arn",
        ] {
            let failure = Resource::parse(resource).unwrap_err();
            assert_eq!(failure.error.as_deref(), Some("States.Runtime"));
            assert!(failure.cause.unwrap().contains(resource));
        }
    }
}
