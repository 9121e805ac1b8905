//! The catalog port: state machines, their published versions and aliases, and the
//! listing of executions — what the Step Functions API keeps besides executions.
//!
//! Records are plain data serialisable as JSON: the DynamoDB backend stores them as
//! `SM#<name>` / `V#<n>` / `ALIAS#<a>` items of the one table, the embedded backend as
//! SQLite rows. Every change is conditional (create only if absent, update only at the
//! revision read, version numbers drawn atomically), so two API calls racing on one
//! state machine cannot both win.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::records::{ExecutionRecord, ExecutionStatus};
use crate::store::Result;

/// `STANDARD` or `EXPRESS`, as `CreateStateMachine`'s `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MachineType {
    Standard,
    Express,
}

impl MachineType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "STANDARD",
            Self::Express => "EXPRESS",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "STANDARD" => Some(Self::Standard),
            "EXPRESS" => Some(Self::Express),
            _ => None,
        }
    }
}

/// What a state machine (or one published version of it) runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MachineSpec {
    /// The ASL definition text, kept as given (AWS returns it byte for byte).
    pub definition: String,
    pub role_arn: String,
    #[serde(rename = "type")]
    pub kind: MachineType,
    /// Changes with every update; a version records the revision it was published from.
    pub revision_id: String,
}

/// A state machine's current (unpublished) revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateMachineRecord {
    pub name: String,
    pub spec: MachineSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Epoch ms.
    pub created: i64,
    /// Epoch ms of the last update (`created` until then).
    pub updated: i64,
}

/// One published, immutable version. Numbers start at 1 and are never reused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRecord {
    pub state_machine: String,
    pub number: u64,
    pub spec: MachineSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Epoch ms.
    pub created: i64,
}

/// One leg of an alias's routing: a version and its share of the starts, in percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub version: u64,
    pub weight: u32,
}

/// A named pointer at one or two versions, split by weight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasRecord {
    pub state_machine: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// One or two routes whose weights add up to 100 (checked by [`AliasRecord::routing_error`]).
    pub routing: Vec<Route>,
    /// Epoch ms.
    pub created: i64,
    pub updated: i64,
}

impl ExecutionOrigin {
    /// Whether an execution started this way was started through `qualifier` (a
    /// version number or an alias name, as the last part of a qualified ARN).
    pub fn matches(&self, qualifier: &str) -> bool {
        match qualifier.parse::<u64>() {
            Ok(number) => self.version == Some(number),
            Err(_) => self.alias.as_deref() == Some(qualifier),
        }
    }
}

/// A state machine ARN split into the unqualified ARN and its qualifier, if any.
pub fn split_qualifier(arn: &str) -> (&str, Option<&str>) {
    // arn:aws:states:<region>:<account>:stateMachine:<name>[:<qualifier>]
    match arn.match_indices(':').nth(6) {
        Some((at, _)) => (&arn[..at], Some(&arn[at + 1..])),
        None => (arn, None),
    }
}

impl AliasRecord {
    /// Why this routing is not one Step Functions accepts, if it is not.
    pub fn routing_error(&self) -> Option<&'static str> {
        let total: u32 = self.routing.iter().map(|r| r.weight).sum();
        match self.routing.as_slice() {
            [] => Some("the routing configuration needs at least one version"),
            [_, _, _, ..] => Some("the routing configuration names at most two versions"),
            [a, b] if a.version == b.version => {
                Some("the routing configuration names a version twice")
            }
            _ if self.routing.iter().any(|r| r.weight > 100) || total != 100 => {
                Some("the routing weights must add up to 100")
            }
            _ => None,
        }
    }

    /// The version a start picks, given `draw` uniform in `0..100`.
    pub fn pick(&self, draw: u32) -> Option<u64> {
        let mut below = 0;
        for route in &self.routing {
            below += route.weight;
            if draw < below {
                return Some(route.version);
            }
        }
        self.routing.last().map(|r| r.version)
    }
}

/// Which version and alias an execution was started through (the engine records only
/// the definition it ran).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionOrigin {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

/// One page of a listing; `next` is an opaque token for the following page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// The result of a conditional change to a catalog record.
#[derive(Debug, Clone, PartialEq)]
pub enum Change<T> {
    Done(T),
    /// The record (or the state machine it belongs to) does not exist.
    Missing,
    /// A record with this key exists already (it is returned) or the revision moved on.
    Conflict(Option<T>),
}

/// The outcome of [`Catalog::delete_version`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionDeletion {
    Deleted,
    /// No such version (or state machine): nothing to delete.
    Absent,
    /// Aliases route to the version, which is kept; their names, in name order.
    Referenced(Vec<String>),
}

/// The catalog port. `Send + Sync` so one catalog serves concurrent requests.
pub trait Catalog: Send + Sync {
    /// Creates the state machine unless one with its name exists (which is returned in
    /// `Conflict`).
    fn create_state_machine(
        &self,
        record: StateMachineRecord,
    ) -> impl Future<Output = Result<Change<StateMachineRecord>>> + Send;

    /// Replaces the state machine if its stored revision is still `expected_revision`.
    fn update_state_machine(
        &self,
        record: StateMachineRecord,
        expected_revision: &str,
    ) -> impl Future<Output = Result<Change<StateMachineRecord>>> + Send;

    fn state_machine(
        &self,
        name: &str,
    ) -> impl Future<Output = Result<Option<StateMachineRecord>>> + Send;

    /// State machines in name order, at most `max` per page.
    fn list_state_machines(
        &self,
        page: Option<String>,
        max: usize,
    ) -> impl Future<Output = Result<Page<StateMachineRecord>>> + Send;

    /// Deletes the state machine with its versions and aliases; `false` if absent.
    fn delete_state_machine(&self, name: &str) -> impl Future<Output = Result<bool>> + Send;

    /// Publishes the current revision as the next version number, atomically. When
    /// `expected_revision` is given and the current revision differs: `Conflict(None)`.
    /// When the newest version already holds the current revision it is returned
    /// (`Conflict(Some(v))`): publishing twice makes one version, as in Step Functions.
    fn publish_version(
        &self,
        name: &str,
        expected_revision: Option<&str>,
        description: Option<String>,
        now: i64,
    ) -> impl Future<Output = Result<Change<VersionRecord>>> + Send;

    fn version(
        &self,
        name: &str,
        number: u64,
    ) -> impl Future<Output = Result<Option<VersionRecord>>> + Send;

    /// Versions newest first.
    fn list_versions(
        &self,
        name: &str,
        page: Option<String>,
        max: usize,
    ) -> impl Future<Output = Result<Page<VersionRecord>>> + Send;

    /// Deletes a version unless an alias routes to it, atomically with respect to
    /// [`Catalog::create_alias`] and [`Catalog::update_alias`]: an alias made to point at
    /// the version concurrently and the deletion cannot both succeed. Its number is not
    /// drawn again: the next publish keeps counting.
    fn delete_version(
        &self,
        name: &str,
        number: u64,
    ) -> impl Future<Output = Result<VersionDeletion>> + Send;

    /// Creates the alias unless one with its name exists (returned in `Conflict`);
    /// `Missing` when the state machine or a version it routes to does not exist
    /// (checked in the same atomic step as the write).
    fn create_alias(
        &self,
        alias: AliasRecord,
    ) -> impl Future<Output = Result<Change<AliasRecord>>> + Send;

    /// Replaces an existing alias; `Missing` when absent or when a version it routes to
    /// does not exist (checked in the same atomic step as the write).
    fn update_alias(
        &self,
        alias: AliasRecord,
    ) -> impl Future<Output = Result<Change<AliasRecord>>> + Send;

    fn alias(
        &self,
        state_machine: &str,
        name: &str,
    ) -> impl Future<Output = Result<Option<AliasRecord>>> + Send;

    /// Aliases in name order.
    fn list_aliases(
        &self,
        state_machine: &str,
        page: Option<String>,
        max: usize,
    ) -> impl Future<Output = Result<Page<AliasRecord>>> + Send;

    /// `false` when absent.
    fn delete_alias(
        &self,
        state_machine: &str,
        name: &str,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Notes the version and alias an execution was started through.
    fn record_origin(
        &self,
        execution_arn: &str,
        origin: ExecutionOrigin,
    ) -> impl Future<Output = Result<()>> + Send;

    fn origin(
        &self,
        execution_arn: &str,
    ) -> impl Future<Output = Result<Option<ExecutionOrigin>>> + Send;

    /// The executions of one state machine, newest first, optionally only those in
    /// `status`. A version or alias ARN (`…:stateMachine:<name>:<qualifier>`) lists the
    /// executions started through that version or alias (their [`ExecutionOrigin`]).
    fn list_executions(
        &self,
        state_machine_arn: &str,
        status: Option<ExecutionStatus>,
        page: Option<String>,
        max: usize,
    ) -> impl Future<Output = Result<Page<ExecutionRecord>>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alias(routing: &[(u64, u32)]) -> AliasRecord {
        AliasRecord {
            state_machine: "sm".into(),
            name: "live".into(),
            description: None,
            routing: routing
                .iter()
                .map(|&(version, weight)| Route { version, weight })
                .collect(),
            created: 0,
            updated: 0,
        }
    }

    #[test]
    fn routing_needs_one_or_two_versions_weighing_100() {
        assert_eq!(alias(&[(1, 100)]).routing_error(), None);
        assert_eq!(alias(&[(1, 70), (2, 30)]).routing_error(), None);
        assert!(alias(&[]).routing_error().is_some());
        assert!(alias(&[(1, 50), (2, 40)]).routing_error().is_some());
        assert!(alias(&[(1, 50), (1, 50)]).routing_error().is_some());
        assert!(alias(&[(1, 50), (2, 25), (3, 25)])
            .routing_error()
            .is_some());
    }

    #[test]
    fn qualified_arns_split_into_machine_and_qualifier() {
        let base = "arn:aws:states:us-east-1:1:stateMachine:orders";
        assert_eq!(split_qualifier(base), (base, None));
        assert_eq!(split_qualifier(&format!("{base}:7")), (base, Some("7")));
        let origin = ExecutionOrigin {
            version: Some(7),
            alias: Some("live".into()),
        };
        assert!(origin.matches("7") && origin.matches("live"));
        assert!(!origin.matches("8") && !ExecutionOrigin::default().matches("live"));
    }

    #[test]
    fn picks_versions_by_weight() {
        let split = alias(&[(1, 70), (2, 30)]);
        assert_eq!(split.pick(0), Some(1));
        assert_eq!(split.pick(69), Some(1));
        assert_eq!(split.pick(70), Some(2));
        assert_eq!(split.pick(99), Some(2));
    }
}
