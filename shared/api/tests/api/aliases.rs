//! Versions and aliases: publishing, listing, and starts routed through them.

use aws_sdk_sfn::types::RoutingConfigurationListItem;
use serde_json::json;
use std::collections::BTreeMap;

use crate::support::{start, ROLE};
use crate::{pass, service_code, waiting};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_and_aliases_route_starts() {
    let server = start().await;
    let client = &server.client;
    let v1_definition =
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v1", "End": true}}});
    let v2_definition =
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": "v2", "End": true}}});
    let created = client
        .create_state_machine()
        .name("versioned")
        .definition(v1_definition.to_string())
        .role_arn(ROLE)
        .publish(true)
        .version_description("first")
        .send()
        .await
        .unwrap();
    let arn = created.state_machine_arn().to_owned();
    let v1 = created.state_machine_version_arn().unwrap().to_owned();
    assert_eq!(v1, format!("{arn}:1"));
    // Publishing an unchanged revision gives the same version back.
    let same = client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(same.state_machine_version_arn(), v1);
    let updated = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(v2_definition.to_string())
        .publish(true)
        .send()
        .await
        .unwrap();
    let v2 = updated.state_machine_version_arn().unwrap().to_owned();
    assert_eq!(v2, format!("{arn}:2"));
    let versions = client
        .list_state_machine_versions()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let listed: Vec<&str> = versions
        .state_machine_versions()
        .iter()
        .map(|v| v.state_machine_version_arn())
        .collect();
    assert_eq!(listed, [v2.as_str(), v1.as_str()]);
    let described = client
        .describe_state_machine()
        .state_machine_arn(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(described.definition(), v1_definition.to_string());
    assert_eq!(described.description(), Some("first"));

    let route = |version: &str, weight: i32| {
        RoutingConfigurationListItem::builder()
            .state_machine_version_arn(version)
            .weight(weight)
            .build()
            .unwrap()
    };
    let alias = client
        .create_state_machine_alias()
        .name("live")
        .routing_configuration(route(&v1, 100))
        .send()
        .await
        .unwrap()
        .state_machine_alias_arn()
        .to_owned();
    assert_eq!(alias, format!("{arn}:live"));
    let bad = client
        .create_state_machine_alias()
        .name("half")
        .routing_configuration(route(&v1, 50))
        .routing_configuration(route(&v2, 40))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        bad.as_service_error().and_then(|e| e.meta().code()),
        Some("ValidationException")
    );

    let through_alias = client
        .start_execution()
        .state_machine_arn(&alias)
        .send()
        .await
        .unwrap();
    assert_eq!(
        server.ended(through_alias.execution_arn()).await,
        "SUCCEEDED"
    );
    let ran = client
        .describe_execution()
        .execution_arn(through_alias.execution_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(ran.output(), Some(r#""v1""#));
    assert_eq!(ran.state_machine_version_arn(), Some(v1.as_str()));
    assert_eq!(ran.state_machine_alias_arn(), Some(alias.as_str()));

    client
        .update_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .routing_configuration(route(&v2, 100))
        .description("all on v2")
        .send()
        .await
        .unwrap();
    let described = client
        .describe_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .send()
        .await
        .unwrap();
    assert_eq!(described.description(), Some("all on v2"));
    assert_eq!(
        described.routing_configuration()[0].state_machine_version_arn(),
        v2
    );
    let through_v2 = client
        .start_execution()
        .state_machine_arn(&alias)
        .send()
        .await
        .unwrap();
    assert_eq!(server.ended(through_v2.execution_arn()).await, "SUCCEEDED");
    let ran = client
        .describe_execution()
        .execution_arn(through_v2.execution_arn())
        .send()
        .await
        .unwrap();
    assert_eq!(ran.output(), Some(r#""v2""#));
    let by_version = client
        .start_execution()
        .state_machine_arn(&v1)
        .send()
        .await
        .unwrap();
    assert_eq!(server.ended(by_version.execution_arn()).await, "SUCCEEDED");

    let through_alias_listed = client
        .list_executions()
        .state_machine_arn(&alias)
        .send()
        .await
        .unwrap();
    assert_eq!(through_alias_listed.executions().len(), 2);
    let v1_listed = client
        .list_executions()
        .state_machine_arn(&v1)
        .send()
        .await
        .unwrap();
    let v1_names: Vec<&str> = v1_listed.executions().iter().map(|e| e.name()).collect();
    let expected = [
        by_version.execution_arn().rsplit(':').next().unwrap(),
        through_alias.execution_arn().rsplit(':').next().unwrap(),
    ];
    assert_eq!(v1_names, expected, "newest first, only v1's");
    let everything = client
        .list_executions()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(everything.executions().len(), 3);

    let aliases = client
        .list_state_machine_aliases()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(aliases.state_machine_aliases().len(), 1);
    client
        .delete_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .send()
        .await
        .unwrap();
    let gone = client
        .describe_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .send()
        .await
        .unwrap_err();
    assert_eq!(service_code(&gone), Some("ResourceNotFound"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alias_splits_starts_between_its_versions_by_weight() {
    let server = start().await;
    let client = &server.client;
    let created = client
        .create_state_machine()
        .name("split")
        .definition(pass().to_string())
        .role_arn(ROLE)
        .publish(true)
        .send()
        .await
        .unwrap();
    let arn = created.state_machine_arn().to_owned();
    let v1 = created.state_machine_version_arn().unwrap().to_owned();
    let v2 = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(waiting(0).to_string())
        .publish(true)
        .send()
        .await
        .unwrap()
        .state_machine_version_arn()
        .unwrap()
        .to_owned();
    let route = |version: &str, weight: i32| {
        RoutingConfigurationListItem::builder()
            .state_machine_version_arn(version)
            .weight(weight)
            .build()
            .unwrap()
    };
    let alias = client
        .create_state_machine_alias()
        .name("canary")
        .routing_configuration(route(&v1, 80))
        .routing_configuration(route(&v2, 20))
        .send()
        .await
        .unwrap()
        .state_machine_alias_arn()
        .to_owned();
    let mut counts: BTreeMap<String, u32> = BTreeMap::new();
    for _ in 0..200 {
        let started = client
            .start_execution()
            .state_machine_arn(&alias)
            .send()
            .await
            .unwrap();
        let described = client
            .describe_execution()
            .execution_arn(started.execution_arn())
            .send()
            .await
            .unwrap();
        *counts
            .entry(described.state_machine_version_arn().unwrap().to_owned())
            .or_default() += 1;
    }
    // 200 draws at 20 %: 40 expected; below 10 or above 75 has odds under one in ten
    // million.
    let canary = counts.get(&v2).copied().unwrap_or_default();
    assert!((10..=75).contains(&canary), "{counts:?}");
    assert_eq!(counts.values().sum::<u32>(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_is_deleted_unless_an_alias_routes_to_it() {
    let server = start().await;
    let client = &server.client;
    let definition = |result: &str| {
        json!({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": result, "End": true}}})
            .to_string()
    };
    let created = client
        .create_state_machine()
        .name("pruned")
        .definition(definition("v1"))
        .role_arn(ROLE)
        .publish(true)
        .send()
        .await
        .unwrap();
    let arn = created.state_machine_arn().to_owned();
    let v1 = created.state_machine_version_arn().unwrap().to_owned();
    let v2 = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(definition("v2"))
        .publish(true)
        .send()
        .await
        .unwrap()
        .state_machine_version_arn()
        .unwrap()
        .to_owned();
    let alias = client
        .create_state_machine_alias()
        .name("live")
        .routing_configuration(
            RoutingConfigurationListItem::builder()
                .state_machine_version_arn(&v1)
                .weight(100)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap()
        .state_machine_alias_arn()
        .to_owned();

    let referenced = client
        .delete_state_machine_version()
        .state_machine_version_arn(&v1)
        .send()
        .await
        .unwrap_err();
    assert_eq!(service_code(&referenced), Some("ConflictException"));
    assert_eq!(
        referenced
            .as_service_error()
            .and_then(|e| e.meta().message()),
        Some(
            format!(
                "Version to be deleted must not be referenced by an alias. \
                 Current list of aliases referencing this version: [{alias}]"
            )
            .as_str()
        )
    );
    client
        .describe_state_machine()
        .state_machine_arn(&v1)
        .send()
        .await
        .expect("a referenced version is kept");

    client
        .delete_state_machine_version()
        .state_machine_version_arn(&v2)
        .send()
        .await
        .unwrap();
    let gone = client
        .describe_state_machine()
        .state_machine_arn(&v2)
        .send()
        .await
        .unwrap_err();
    assert_eq!(service_code(&gone), Some("StateMachineDoesNotExist"));
    // Deleting it again, or a version never published, succeeds as on AWS.
    for absent in [v2.clone(), format!("{arn}:99")] {
        client
            .delete_state_machine_version()
            .state_machine_version_arn(absent)
            .send()
            .await
            .unwrap();
    }
    for (bad, code) in [
        (arn.clone(), "InvalidArn"),
        (alias.clone(), "InvalidArn"),
        ("arn:aws:iam::1:role/r".to_owned(), "InvalidArn"),
    ] {
        let refused = client
            .delete_state_machine_version()
            .state_machine_version_arn(&bad)
            .send()
            .await
            .unwrap_err();
        assert_eq!(service_code(&refused), Some(code), "{bad}");
    }
    // An alias cannot be routed to a deleted version.
    let to_deleted = client
        .update_state_machine_alias()
        .state_machine_alias_arn(&alias)
        .routing_configuration(
            RoutingConfigurationListItem::builder()
                .state_machine_version_arn(&v2)
                .weight(100)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap_err();
    assert_eq!(service_code(&to_deleted), Some("ResourceNotFound"));

    // The deleted number is not given out again: the same revision republished is v3.
    let republished = client
        .publish_state_machine_version()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(republished.state_machine_version_arn(), format!("{arn}:3"));
    let versions = client
        .list_state_machine_versions()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let listed: Vec<&str> = versions
        .state_machine_versions()
        .iter()
        .map(|v| v.state_machine_version_arn())
        .collect();
    assert_eq!(listed, [format!("{arn}:3").as_str(), v1.as_str()]);
}
