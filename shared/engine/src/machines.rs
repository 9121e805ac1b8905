//! How nested executions (`states:startExecution…` Task states) find the state machine
//! they start: a port the engine holds as a trait object, so that the engine needs no
//! `Catalog` bound on its store type, and an implementation over any [`Catalog`].
//!
//! Every backend keeps its catalog in the store itself (DynamoDB table, SQLite file,
//! memory), so the port reads the engine's own store: no second handle on it.

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;

use crate::catalog::{split_qualifier, Catalog, ExecutionOrigin};
use crate::store::Result;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a start runs: the state machine's name and definition, and the version and alias
/// it was picked through.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Target {
    pub name: String,
    pub definition: String,
    pub origin: ExecutionOrigin,
}

/// A state machine ARN in the engine's region and account, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MachineRef {
    Base(String),
    Version(String, u64),
    Alias(String, String),
}

/// Why an ARN names no state machine here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BadArn {
    /// Not a state machine ARN at all (`InvalidArn`).
    Invalid,
    /// Another region or account (`StateMachineDoesNotExist`, as AWS answers).
    Elsewhere,
}

/// Reads `arn` given the engine's unqualified ARN prefix
/// (`arn:aws:states:<region>:<account>:stateMachine:`).
pub(crate) fn parse_arn(arn: &str, prefix: &str) -> Result<MachineRef, BadArn> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [a, _partition, service, _region, _account, resource] = parts[..] else {
        return Err(BadArn::Invalid);
    };
    if a != "arn" || service != "states" || !resource.starts_with("stateMachine:") {
        return Err(BadArn::Invalid);
    }
    let Some(rest) = arn.strip_prefix(prefix) else {
        return Err(BadArn::Elsewhere);
    };
    let (base, qualifier) = split_qualifier(arn);
    let name = &base[prefix.len().min(base.len())..];
    if name.is_empty() || rest.split(':').count() > 2 {
        return Err(BadArn::Invalid);
    }
    Ok(match qualifier {
        None => MachineRef::Base(name.to_owned()),
        Some(q) if !q.is_empty() && q.bytes().all(|b| b.is_ascii_digit()) => {
            MachineRef::Version(name.to_owned(), q.parse().map_err(|_| BadArn::Invalid)?)
        }
        Some("") => return Err(BadArn::Invalid),
        Some(alias) => MachineRef::Alias(name.to_owned(), alias.to_owned()),
    })
}

/// The port: finds what a state machine (version, alias) runs, and notes how an
/// execution was started. Object safe, generic over the store it reads.
pub(crate) trait MachineLookup<S>: Send + Sync + Debug {
    /// `None` when the state machine, version or alias does not exist. An alias picks
    /// one of its versions by weight with `draw` (uniform in `0..100`).
    fn resolve<'a>(
        &'a self,
        store: &'a S,
        machine: &'a MachineRef,
        draw: u32,
    ) -> BoxFuture<'a, Result<Option<Target>>>;

    fn record_origin<'a>(
        &'a self,
        store: &'a S,
        execution_arn: &'a str,
        origin: ExecutionOrigin,
    ) -> BoxFuture<'a, Result<()>>;
}

/// The port over a store that is also a [`Catalog`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ViaCatalog;

impl<S: Catalog> MachineLookup<S> for ViaCatalog {
    fn resolve<'a>(
        &'a self,
        store: &'a S,
        machine: &'a MachineRef,
        draw: u32,
    ) -> BoxFuture<'a, Result<Option<Target>>> {
        Box::pin(async move {
            let (name, number, alias) = match machine {
                MachineRef::Base(name) => {
                    return Ok(store.state_machine(name).await?.map(|m| Target {
                        name: name.clone(),
                        definition: m.spec.definition,
                        origin: ExecutionOrigin::default(),
                    }));
                }
                MachineRef::Version(name, number) => (name, *number, None),
                MachineRef::Alias(name, alias) => {
                    let Some(record) = store.alias(name, alias).await? else {
                        return Ok(None);
                    };
                    let Some(number) = record.pick(draw) else {
                        return Ok(None);
                    };
                    (name, number, Some(alias.clone()))
                }
            };
            Ok(store.version(name, number).await?.map(|v| Target {
                name: name.clone(),
                definition: v.spec.definition,
                origin: ExecutionOrigin {
                    version: Some(number),
                    alias,
                },
            }))
        })
    }

    fn record_origin<'a>(
        &'a self,
        store: &'a S,
        execution_arn: &'a str,
        origin: ExecutionOrigin,
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(store.record_origin(execution_arn, origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "arn:aws:states:us-east-1:123456789012:stateMachine:";

    #[test]
    fn reads_plain_version_and_alias_arns() {
        let parse = |s: &str| parse_arn(s, PREFIX);
        assert_eq!(
            parse(&format!("{PREFIX}child")),
            Ok(MachineRef::Base("child".into()))
        );
        assert_eq!(
            parse(&format!("{PREFIX}child:3")),
            Ok(MachineRef::Version("child".into(), 3))
        );
        assert_eq!(
            parse(&format!("{PREFIX}child:live")),
            Ok(MachineRef::Alias("child".into(), "live".into()))
        );
        assert_eq!(
            parse("arn:aws:states:eu-west-1:123456789012:stateMachine:child"),
            Err(BadArn::Elsewhere)
        );
        for bad in [
            "child",
            "arn:aws:lambda:us-east-1:123456789012:function:f",
            "arn:aws:states:us-east-1:123456789012:execution:child:e",
            PREFIX,
            &format!("{PREFIX}child:"),
            &format!("{PREFIX}child:1:2"),
        ] {
            assert_eq!(parse(bad), Err(BadArn::Invalid), "{bad}");
        }
    }
}
