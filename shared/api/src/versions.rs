//! PublishStateMachineVersion, ListStateMachineVersions and DeleteStateMachineVersion.

use serde_json::{json, Value};
use stepwise_engine::catalog::{Change, VersionDeletion, VersionRecord};
use stepwise_engine::{Catalog, Clock, Queue, Store, TaskInvoker};

use crate::arn::MachineRef;
use crate::errors::{ApiError, Result};
use crate::protocol::{date, Input};
use crate::state_machines::DESCRIPTION_LIMIT;
use crate::Api;

impl<S, Q, T, C> Api<S, Q, T, C>
where
    S: Store + Catalog,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    pub(crate) async fn publish_version(&self, input: &Input) -> Result<Value> {
        let arn = input.required("stateMachineArn")?;
        let revision = input.string("revisionId")?;
        let description = input.bounded("description", DESCRIPTION_LIMIT)?;
        let name = self.base_name(arn)?;
        let version = self
            .publish(&name, revision, description.map(str::to_owned))
            .await?;
        Ok(json!({
            "stateMachineVersionArn": self.arns.version(&name, version.number),
            "creationDate": date(version.created),
        }))
    }

    pub(crate) async fn list_versions(&self, input: &Input) -> Result<Value> {
        let arn = input.required("stateMachineArn")?;
        let max = input.max_results()?;
        let page = input.string("nextToken")?.map(str::to_owned);
        let name = self.base_name(arn)?;
        self.machine(&name, arn).await?;
        let listed = self.engine.store().list_versions(&name, page, max).await?;
        let versions: Vec<Value> = listed
            .items
            .iter()
            .map(|v| {
                json!({
                    "stateMachineVersionArn": self.arns.version(&name, v.number),
                    "creationDate": date(v.created),
                })
            })
            .collect();
        let mut output = json!({"stateMachineVersions": versions});
        if let Some(next) = listed.next {
            output["nextToken"] = next.into();
        }
        Ok(output)
    }

    /// Deletes a version unless an alias routes to it. Deleting a version that does not
    /// exist succeeds, as on AWS (whose errors here are only ConflictException,
    /// InvalidArn and ValidationException).
    pub(crate) async fn delete_version(&self, input: &Input) -> Result<Value> {
        let arn = input.required("stateMachineVersionArn")?;
        let MachineRef::Version(name, number) = self.arns.parse_machine(arn)? else {
            return Err(ApiError::invalid_arn(
                arn,
                "Not a state machine version ARN",
            ));
        };
        match self.engine.store().delete_version(&name, number).await? {
            VersionDeletion::Deleted | VersionDeletion::Absent => Ok(json!({})),
            VersionDeletion::Referenced(aliases) => {
                let arns: Vec<String> = aliases.iter().map(|a| self.arns.alias(&name, a)).collect();
                Err(ApiError::conflict(format!(
                    "Version to be deleted must not be referenced by an alias. \
                     Current list of aliases referencing this version: [{}]",
                    arns.join(", ")
                )))
            }
        }
    }

    /// Publishes the current revision (again: the newest version when it already holds
    /// it, as AWS does).
    pub(crate) async fn publish(
        &self,
        name: &str,
        revision: Option<&str>,
        description: Option<String>,
    ) -> Result<VersionRecord> {
        let now = self.now();
        let published = self
            .engine
            .store()
            .publish_version(name, revision, description, now)
            .await?;
        match published {
            Change::Done(version) | Change::Conflict(Some(version)) => Ok(version),
            Change::Missing => Err(ApiError::state_machine_missing(&self.arns.machine(name))),
            Change::Conflict(None) => Err(ApiError::conflict(format!(
                "The revisionId '{}' is not the state machine's current revision",
                revision.unwrap_or_default()
            ))),
        }
    }

    /// The name in an unqualified state machine ARN.
    pub(crate) fn base_name(&self, arn: &str) -> Result<String> {
        match self.arns.parse_machine(arn)? {
            MachineRef::Base(name) => Ok(name),
            _ => Err(ApiError::invalid_arn(
                arn,
                "This operation takes an unqualified state machine ARN",
            )),
        }
    }
}
