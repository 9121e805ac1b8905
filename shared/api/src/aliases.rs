//! Create/Describe/Update/Delete/ListStateMachineAlias(es).

use serde_json::{json, Value};
use stepwise_engine::catalog::{AliasRecord, Change, Route};
use stepwise_engine::{Catalog, Clock, Queue, Store, TaskInvoker};

use crate::arn::{valid_alias, MachineRef};
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
    pub(crate) async fn create_alias(&self, input: &Input) -> Result<Value> {
        let name = input.required("name")?;
        let description = input.bounded("description", DESCRIPTION_LIMIT)?;
        if !valid_alias(name) {
            return Err(ApiError::invalid_name(name));
        }
        let (machine, routing) = self
            .routing(input)?
            .ok_or_else(|| ApiError::missing("routingConfiguration"))?;
        self.check_versions(&machine, &routing).await?;
        let now = self.now();
        let alias = AliasRecord {
            state_machine: machine.clone(),
            name: name.to_owned(),
            description: description.map(str::to_owned),
            routing,
            created: now,
            updated: now,
        };
        let arn = self.arns.alias(&machine, name);
        let created = match self.engine.store().create_alias(alias.clone()).await? {
            Change::Done(created) => created,
            // The same alias again is idempotent; a different one conflicts.
            Change::Conflict(Some(existing))
                if existing.routing == alias.routing
                    && existing.description == alias.description =>
            {
                existing
            }
            Change::Conflict(_) => {
                return Err(ApiError::conflict(format!(
                    "Alias already exists with a different configuration: '{arn}'"
                )))
            }
            Change::Missing => {
                // A version deleted since it was checked, or the state machine.
                self.check_versions(&machine, &alias.routing).await?;
                return Err(ApiError::resource_missing(
                    "State Machine",
                    &self.arns.machine(&machine),
                ));
            }
        };
        Ok(json!({"stateMachineAliasArn": arn, "creationDate": date(created.created)}))
    }

    pub(crate) async fn describe_alias(&self, input: &Input) -> Result<Value> {
        let arn = input.required("stateMachineAliasArn")?;
        let alias = self.alias_record(arn).await?;
        let mut output = json!({
            "stateMachineAliasArn": arn,
            "name": alias.name,
            "routingConfiguration": self.routing_json(&alias),
            "creationDate": date(alias.created),
            "updateDate": date(alias.updated),
        });
        if let Some(description) = alias.description {
            output["description"] = description.into();
        }
        Ok(output)
    }

    pub(crate) async fn update_alias(&self, input: &Input) -> Result<Value> {
        let arn = input.required("stateMachineAliasArn")?;
        let description = input.bounded("description", DESCRIPTION_LIMIT)?;
        let routing = self.routing(input)?;
        if description.is_none() && routing.is_none() {
            return Err(ApiError::new(
                "ValidationException",
                "Either the description or the routingConfiguration must be specified",
            ));
        }
        let mut alias = self.alias_record(arn).await?;
        if let Some((machine, routing)) = routing {
            if machine != alias.state_machine {
                return Err(ApiError::new(
                    "ValidationException",
                    "The routing configuration names versions of another state machine",
                ));
            }
            self.check_versions(&machine, &routing).await?;
            alias.routing = routing;
        }
        if let Some(description) = description {
            alias.description = Some(description.to_owned());
        }
        alias.updated = self.now();
        let (machine, routing) = (alias.state_machine.clone(), alias.routing.clone());
        match self.engine.store().update_alias(alias).await? {
            Change::Done(alias) => Ok(json!({"updateDate": date(alias.updated)})),
            _ => {
                // A version deleted since it was checked, or the alias.
                self.check_versions(&machine, &routing).await?;
                Err(ApiError::resource_missing("Alias", arn))
            }
        }
    }

    pub(crate) async fn delete_alias(&self, input: &Input) -> Result<Value> {
        let arn = input.required("stateMachineAliasArn")?;
        let MachineRef::Alias(machine, name) = self.arns.parse_machine(arn)? else {
            return Err(ApiError::invalid_arn(arn, "Not an alias ARN"));
        };
        if !self.engine.store().delete_alias(&machine, &name).await? {
            return Err(ApiError::resource_missing("Alias", arn));
        }
        Ok(json!({}))
    }

    pub(crate) async fn list_aliases(&self, input: &Input) -> Result<Value> {
        let arn = input.required("stateMachineArn")?;
        let max = input.max_results()?;
        let page = input.string("nextToken")?.map(str::to_owned);
        let machine = self.base_name(arn)?;
        if self.engine.store().state_machine(&machine).await?.is_none() {
            return Err(ApiError::resource_missing("State Machine", arn));
        }
        let listed = self
            .engine
            .store()
            .list_aliases(&machine, page, max)
            .await?;
        let aliases: Vec<Value> = listed
            .items
            .iter()
            .map(|a| {
                json!({
                    "stateMachineAliasArn": self.arns.alias(&machine, &a.name),
                    "creationDate": date(a.created),
                })
            })
            .collect();
        let mut output = json!({"stateMachineAliases": aliases});
        if let Some(next) = listed.next {
            output["nextToken"] = next.into();
        }
        Ok(output)
    }

    /// The alias an ARN names, or `ResourceNotFound`.
    pub(crate) async fn alias_record(&self, arn: &str) -> Result<AliasRecord> {
        let MachineRef::Alias(machine, name) = self.arns.parse_machine(arn)? else {
            return Err(ApiError::invalid_arn(arn, "Not an alias ARN"));
        };
        self.engine
            .store()
            .alias(&machine, &name)
            .await?
            .ok_or_else(|| ApiError::resource_missing("Alias", arn))
    }

    /// `routingConfiguration`: the state machine its version ARNs belong to and the
    /// routes, checked as AWS checks them.
    fn routing(&self, input: &Input) -> Result<Option<(String, Vec<Route>)>> {
        let Some(items) = input.array("routingConfiguration")? else {
            return Ok(None);
        };
        let mut machine: Option<String> = None;
        let mut routes = Vec::new();
        for item in items {
            let arn = item["stateMachineVersionArn"].as_str().ok_or_else(|| {
                ApiError::missing("routingConfiguration.member.stateMachineVersionArn")
            })?;
            let weight = item["weight"]
                .as_u64()
                .and_then(|w| u32::try_from(w).ok())
                .ok_or_else(|| ApiError::missing("routingConfiguration.member.weight"))?;
            let MachineRef::Version(name, version) = self.arns.parse_machine(arn)? else {
                return Err(ApiError::invalid_arn(arn, "Routing takes version ARNs"));
            };
            if machine.as_ref().is_some_and(|m| *m != name) {
                return Err(ApiError::new(
                    "ValidationException",
                    "Every version in the routing configuration must belong to one state machine",
                ));
            }
            machine = Some(name);
            routes.push(Route { version, weight });
        }
        let machine = machine.ok_or_else(|| {
            ApiError::validation(
                "routingConfiguration",
                "Member must have length greater than or equal to 1",
            )
        })?;
        let check = AliasRecord {
            state_machine: machine.clone(),
            name: String::new(),
            description: None,
            routing: routes,
            created: 0,
            updated: 0,
        };
        if let Some(problem) = check.routing_error() {
            return Err(ApiError::new("ValidationException", problem));
        }
        Ok(Some((machine, check.routing)))
    }

    async fn check_versions(&self, machine: &str, routing: &[Route]) -> Result<()> {
        for route in routing {
            if self
                .engine
                .store()
                .version(machine, route.version)
                .await?
                .is_none()
            {
                return Err(ApiError::resource_missing(
                    "State Machine Version",
                    &self.arns.version(machine, route.version),
                ));
            }
        }
        Ok(())
    }

    fn routing_json(&self, alias: &AliasRecord) -> Value {
        alias
            .routing
            .iter()
            .map(|r| {
                json!({
                    "stateMachineVersionArn": self.arns.version(&alias.state_machine, r.version),
                    "weight": r.weight,
                })
            })
            .collect()
    }
}
