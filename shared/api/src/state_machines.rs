//! CreateStateMachine, UpdateStateMachine, DescribeStateMachine, ListStateMachines and
//! DeleteStateMachine.

use serde_json::{json, Value};
use stepwise_engine::catalog::{
    Change, MachineSpec, MachineType, StateMachineRecord, VersionRecord,
};
use stepwise_engine::{Catalog, Clock, Queue, Store, TaskInvoker};

use crate::arn::MachineRef;
use crate::errors::{ApiError, Result};
use crate::protocol::{date, valid_name, Input};
use crate::{validate, Api};

/// AWS's limit on descriptions.
pub(crate) const DESCRIPTION_LIMIT: usize = 256;

impl<S, Q, T, C> Api<S, Q, T, C>
where
    S: Store + Catalog,
    Q: Queue,
    T: TaskInvoker,
    C: Clock,
{
    pub(crate) async fn create_state_machine(&self, input: &Input) -> Result<Value> {
        let name = input.required("name")?;
        let definition = input.required("definition")?;
        let role_arn = input.required("roleArn")?;
        let kind = machine_type(input)?.unwrap_or(MachineType::Standard);
        let publish = input.boolean("publish")?;
        let version_description = input.bounded("versionDescription", DESCRIPTION_LIMIT)?;
        if !valid_name(name) {
            return Err(ApiError::invalid_name(name));
        }
        validate::check(definition)?;
        let now = self.now();
        let spec = MachineSpec {
            definition: definition.to_owned(),
            role_arn: role_arn.to_owned(),
            kind,
            revision_id: self.revision_id(),
        };
        let record = StateMachineRecord {
            name: name.to_owned(),
            spec,
            description: None,
            created: now,
            updated: now,
        };
        let arn = self.arns.machine(name);
        let created = match self.engine.store().create_state_machine(record).await? {
            Change::Done(record) => record,
            // Creating the same state machine again is idempotent in Step Functions.
            Change::Conflict(Some(existing))
                if existing.spec.definition == definition
                    && existing.spec.role_arn == role_arn
                    && existing.spec.kind == kind =>
            {
                existing
            }
            Change::Conflict(_) | Change::Missing => {
                return Err(ApiError::new(
                    "StateMachineAlreadyExists",
                    format!("State Machine Already Exists: '{arn}'"),
                ))
            }
        };
        let mut output = json!({"stateMachineArn": arn, "creationDate": date(created.created)});
        if publish {
            let version = self
                .publish(name, None, version_description.map(str::to_owned))
                .await?;
            output["stateMachineVersionArn"] = self.arns.version(name, version.number).into();
        }
        Ok(output)
    }

    pub(crate) async fn update_state_machine(&self, input: &Input) -> Result<Value> {
        let arn = input.required("stateMachineArn")?;
        let definition = input.string("definition")?;
        let role_arn = input.string("roleArn")?;
        let publish = input.boolean("publish")?;
        let version_description = input.bounded("versionDescription", DESCRIPTION_LIMIT)?;
        let MachineRef::Base(name) = self.arns.parse_machine(arn)? else {
            return Err(ApiError::invalid_arn(
                arn,
                "Update takes an unqualified state machine ARN",
            ));
        };
        if definition.is_none() && role_arn.is_none() && !publish {
            return Err(ApiError::new(
                "MissingRequiredParameter",
                "Either the definition, the roleArn or publish must be specified",
            ));
        }
        if let Some(definition) = definition {
            validate::check(definition)?;
        }
        let current = self.machine(&name, arn).await?;
        let mut updated = current.clone();
        if let Some(definition) = definition {
            updated.spec.definition = definition.to_owned();
        }
        if let Some(role_arn) = role_arn {
            updated.spec.role_arn = role_arn.to_owned();
        }
        if updated.spec != current.spec {
            updated.spec.revision_id = self.revision_id();
            updated.updated = self.now();
        }
        let record = match self
            .engine
            .store()
            .update_state_machine(updated, &current.spec.revision_id)
            .await?
        {
            Change::Done(record) => record,
            Change::Missing => return Err(ApiError::state_machine_missing(arn)),
            Change::Conflict(_) => {
                return Err(ApiError::conflict(
                    "The state machine was updated concurrently; retry the update",
                ))
            }
        };
        let mut output = json!({
            "updateDate": date(record.updated),
            "revisionId": record.spec.revision_id,
        });
        if publish {
            let version = self
                .publish(
                    &name,
                    Some(&record.spec.revision_id),
                    version_description.map(str::to_owned),
                )
                .await?;
            output["stateMachineVersionArn"] = self.arns.version(&name, version.number).into();
        }
        Ok(output)
    }

    pub(crate) async fn describe_state_machine(&self, input: &Input) -> Result<Value> {
        let arn = input.required("stateMachineArn")?;
        match self.arns.parse_machine(arn)? {
            MachineRef::Base(name) => {
                let record = self.machine(&name, arn).await?;
                let mut output = describe(&self.arns.machine(&name), &name, &record.spec);
                output["creationDate"] = date(record.created);
                if let Some(description) = record.description {
                    output["description"] = description.into();
                }
                Ok(output)
            }
            MachineRef::Version(name, number) => {
                let version = self.version_record(&name, number, arn).await?;
                let mut output = describe(arn, &name, &version.spec);
                output["creationDate"] = date(version.created);
                if let Some(description) = version.description {
                    output["description"] = description.into();
                }
                Ok(output)
            }
            MachineRef::Alias(..) => Err(ApiError::invalid_arn(
                arn,
                "Describe an alias with DescribeStateMachineAlias",
            )),
        }
    }

    pub(crate) async fn list_state_machines(&self, input: &Input) -> Result<Value> {
        let max = input.max_results()?;
        let page = input.string("nextToken")?.map(str::to_owned);
        let listed = self.engine.store().list_state_machines(page, max).await?;
        let machines: Vec<Value> = listed
            .items
            .iter()
            .map(|m| {
                json!({
                    "stateMachineArn": self.arns.machine(&m.name),
                    "name": m.name,
                    "type": m.spec.kind.as_str(),
                    "creationDate": date(m.created),
                })
            })
            .collect();
        let mut output = json!({"stateMachines": machines});
        if let Some(next) = listed.next {
            output["nextToken"] = next.into();
        }
        Ok(output)
    }

    pub(crate) async fn delete_state_machine(&self, input: &Input) -> Result<Value> {
        let arn = input.required("stateMachineArn")?;
        let MachineRef::Base(name) = self.arns.parse_machine(arn)? else {
            return Err(ApiError::invalid_arn(
                arn,
                "Delete takes an unqualified state machine ARN",
            ));
        };
        // Deleting what is not there succeeds, as in Step Functions.
        self.engine.store().delete_state_machine(&name).await?;
        Ok(json!({}))
    }

    /// The state machine `name`, or `StateMachineDoesNotExist` naming `arn`.
    pub(crate) async fn machine(&self, name: &str, arn: &str) -> Result<StateMachineRecord> {
        self.engine
            .store()
            .state_machine(name)
            .await?
            .ok_or_else(|| ApiError::state_machine_missing(arn))
    }

    pub(crate) async fn version_record(
        &self,
        name: &str,
        number: u64,
        arn: &str,
    ) -> Result<VersionRecord> {
        self.engine
            .store()
            .version(name, number)
            .await?
            .ok_or_else(|| ApiError::state_machine_missing(arn))
    }
}

fn machine_type(input: &Input) -> Result<Option<MachineType>> {
    input
        .string("type")?
        .map(|t| {
            MachineType::parse(t).ok_or_else(|| {
                ApiError::validation(
                    "type",
                    "Member must satisfy enum value set: [STANDARD, EXPRESS]",
                )
            })
        })
        .transpose()
}

/// The fields a state machine and a version describe alike.
fn describe(arn: &str, name: &str, spec: &MachineSpec) -> Value {
    json!({
        "stateMachineArn": arn,
        "name": name,
        "status": "ACTIVE",
        "definition": spec.definition,
        "roleArn": spec.role_arn,
        "type": spec.kind.as_str(),
        "revisionId": spec.revision_id,
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": false},
        "tracingConfiguration": {"enabled": false},
    })
}
