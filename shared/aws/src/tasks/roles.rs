//! Task `Credentials`: the call is made as the role the state names, with temporary
//! credentials from STS AssumeRole, as Step Functions does for cross-account tasks.
//!
//! - The session name is `<execution name>-<state>`, cut to STS's charset and length.
//! - The external id is the state machine's ARN: Step Functions' guide to cross-account
//!   tasks ("Cross-account access for .sync integration pattern") has the target role's
//!   trust policy match `sts:ExternalId` against the calling state machine's ARN.
//! - Credentials are cached per (role, external id) until shortly before they expire
//!   (`RoleCache`), so a loop over one role costs one AssumeRole an hour, not one per
//!   task. The credentials are never logged.
//! - The clients are the default ones with only the credentials swapped, so region,
//!   endpoint (`AWS_ENDPOINT_URL…`), retries and the request counter stay the same.

use aws_sdk_sts::error::SdkError;
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use stepwise_core::failure::{names, Failure};

use super::errors::{self, source_chain};
use super::http::HttpMeta;
use super::role_cache::RoleCache;

/// What STS names itself in the AWS SDK for Java's error messages.
const STS: errors::Service = errors::Service {
    prefix: "STS",
    java_name: "AWSSecurityTokenService",
};

/// STS's RoleSessionName: 2 to 64 characters of `[\w+=,.@-]`.
const SESSION_NAME_MAX: usize = 64;

/// The clients a task uses, all signing as one identity.
#[derive(Debug, Clone)]
pub struct Clients {
    pub lambda: aws_sdk_lambda::Client,
    pub sqs: aws_sdk_sqs::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
}

impl Clients {
    /// The same clients (region, endpoint, interceptors, HTTP client) signing with
    /// `credentials` instead.
    fn with_credentials(&self, credentials: aws_sdk_sqs::config::Credentials) -> Self {
        Self {
            lambda: aws_sdk_lambda::Client::from_conf(
                self.lambda
                    .config()
                    .to_builder()
                    .credentials_provider(credentials.clone())
                    .build(),
            ),
            sqs: aws_sdk_sqs::Client::from_conf(
                self.sqs
                    .config()
                    .to_builder()
                    .credentials_provider(credentials.clone())
                    .build(),
            ),
            dynamodb: aws_sdk_dynamodb::Client::from_conf(
                self.dynamodb
                    .config()
                    .to_builder()
                    .credentials_provider(credentials)
                    .build(),
            ),
        }
    }
}

/// Assumes task roles over one STS client and caches the resulting clients.
#[derive(Debug, Clone)]
pub struct Roles {
    sts: aws_sdk_sts::Client,
    cache: RoleCache<Clients>,
}

/// Who asks for a role: the execution (its ARN) and the state.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub execution: &'a str,
    pub state: &'a str,
}

impl Roles {
    pub fn new(sts: aws_sdk_sts::Client) -> Self {
        Self {
            sts,
            cache: RoleCache::default(),
        }
    }

    /// `defaults` signing as `role_arn`, from the cache or a fresh AssumeRole; `now` in
    /// epoch milliseconds.
    pub async fn clients_for(
        &self,
        defaults: &Clients,
        role_arn: &str,
        caller: Caller<'_>,
        now: i64,
    ) -> Result<Clients, Failure> {
        let external_id = state_machine_arn(caller.execution);
        let key = match &external_id {
            Some(id) => format!("{role_arn} {id}"),
            None => role_arn.to_owned(),
        };
        self.cache
            .get(&key, now, || async {
                let (credentials, expires_at) = self
                    .assume(role_arn, &session_name(caller), external_id.as_deref())
                    .await?;
                Ok((defaults.with_credentials(credentials), expires_at))
            })
            .await
    }

    async fn assume(
        &self,
        role_arn: &str,
        session_name: &str,
        external_id: Option<&str>,
    ) -> Result<(aws_sdk_sqs::config::Credentials, i64), Failure> {
        let output = self
            .sts
            .assume_role()
            .role_arn(role_arn)
            .role_session_name(session_name)
            .set_external_id(external_id.map(str::to_owned))
            .send()
            .await
            .map_err(|e| assume_role_failure(role_arn, &e))?;
        let Some(issued) = output.credentials() else {
            return Err(Failure::new(
                names::TASK_FAILED,
                format!("STS AssumeRole for role '{role_arn}' returned no credentials."),
            ));
        };
        let expiration = issued.expiration();
        let expires_at = expiration
            .to_millis()
            .unwrap_or_else(|_| expiration.secs().saturating_mul(1000));
        let credentials = aws_sdk_sqs::config::Credentials::new(
            issued.access_key_id(),
            issued.secret_access_key(),
            Some(issued.session_token().to_owned()),
            std::time::SystemTime::try_from(*expiration).ok(),
            "StepwiseTaskRole",
        );
        Ok((credentials, expires_at))
    }
}

/// The state machine ARN of an execution ARN
/// (`arn:aws:states:<region>:<account>:execution:<machine>:<name>`), when it is one.
fn state_machine_arn(execution: &str) -> Option<String> {
    let parts: Vec<&str> = execution.split(':').collect();
    match parts.as_slice() {
        [arn, partition, "states", region, account, "execution", machine, _name, ..] => Some(
            format!("{arn}:{partition}:states:{region}:{account}:stateMachine:{machine}"),
        ),
        _ => None,
    }
}

/// `<execution name>-<state>`, every character STS does not allow replaced by `-`, cut
/// to 64 characters and padded to the minimum of 2.
pub fn session_name(caller: Caller<'_>) -> String {
    let execution_name = caller.execution.rsplit(':').next().unwrap_or_default();
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    let mut name: String = format!("{execution_name}-{}", caller.state)
        .chars()
        .map(|c| if allowed(c) { c } else { '-' })
        .take(SESSION_NAME_MAX)
        .collect();
    while name.len() < 2 {
        name.push('-');
    }
    name
}

/// AssumeRole failed, so the task could not be called as its role. No AWS recording of
/// this case was found; the choice follows the States Language's error names
/// (states-language.net, Appendix A): access denied (the caller may not assume the role,
/// or its trust policy does not allow it) is `States.Permissions`, "a Task State failed
/// because it had insufficient privileges to execute the specified code"; anything else
/// (throttling, an invalid ARN, no answer) is `States.TaskFailed`. Both can be caught and
/// retried. The cause names the role and carries STS's error as the AWS SDK for Java
/// prints it, like the other integrations' errors.
fn assume_role_failure(role_arn: &str, error: &SdkError<AssumeRoleError>) -> Failure {
    let detail = match error {
        SdkError::ServiceError(context) => {
            let raw = context.raw();
            let http = HttpMeta::from_headers(raw.status().as_u16(), raw.headers());
            let err = context.err();
            let code = err.code().unwrap_or("Unknown");
            let sts =
                errors::service_error(STS, code, code, err.message().unwrap_or_default(), &http);
            let name = if code == "AccessDenied" {
                names::PERMISSIONS
            } else {
                names::TASK_FAILED
            };
            return Failure::new(
                name,
                format!(
                    "Could not assume role '{role_arn}' for the task: {}",
                    sts.cause.unwrap_or_default()
                ),
            );
        }
        other => format!("Unable to execute HTTP request: {}", source_chain(other)),
    };
    Failure::new(
        names::TASK_FAILED,
        format!("Could not assume role '{role_arn}' for the task: {detail}"),
    )
}

/// The account of a role ARN (`arn:aws:iam::<account>:role/…`).
pub fn role_account(role_arn: &str) -> Option<&str> {
    role_arn.split(':').nth(4).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXECUTION: &str = "arn:aws:states:us-east-1:111111111111:execution:orders:run-42";

    #[test]
    fn session_names_keep_to_sts_rules() {
        let name = session_name(Caller {
            execution: EXECUTION,
            state: "Send message (EU)",
        });
        assert_eq!(name, "run-42-Send-message--EU-");
        let long = session_name(Caller {
            execution: EXECUTION,
            state: &"x".repeat(100),
        });
        assert_eq!(long.len(), 64);
        assert!(long.starts_with("run-42-xxx"));
        let short = session_name(Caller {
            execution: "",
            state: "",
        });
        assert_eq!(short, "--");
    }

    #[test]
    fn the_external_id_is_the_state_machine_arn() {
        assert_eq!(
            state_machine_arn(EXECUTION).as_deref(),
            Some("arn:aws:states:us-east-1:111111111111:stateMachine:orders")
        );
        assert_eq!(state_machine_arn("local-execution"), None);
    }

    #[test]
    fn role_accounts_come_from_the_arn() {
        assert_eq!(
            role_account("arn:aws:iam::222222222222:role/Writer"),
            Some("222222222222")
        );
        assert_eq!(role_account("Writer"), None);
    }
}
