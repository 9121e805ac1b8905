//! CreateStateMachine … DeleteStateMachine, and ValidateStateMachineDefinition.

use aws_sdk_sfn::operation::create_state_machine::CreateStateMachineError;
use aws_sdk_sfn::operation::describe_state_machine::DescribeStateMachineError;
use aws_sdk_sfn::types::{StateMachineType, ValidateStateMachineDefinitionResultCode};

use crate::support::{start, ROLE};
use crate::{pass, waiting};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_machines_are_created_described_listed_updated_and_deleted() {
    let server = start().await;
    let client = &server.client;
    let arn = server.create("orders", &pass()).await;
    assert_eq!(arn, server.machine_arn("orders"));

    // The same request again is idempotent; a different definition conflicts.
    let again = server.create("orders", &pass()).await;
    assert_eq!(again, arn);
    let clash = client
        .create_state_machine()
        .name("orders")
        .definition(waiting(1).to_string())
        .role_arn(ROLE)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        clash.as_service_error(),
        Some(CreateStateMachineError::StateMachineAlreadyExists(_))
    ));

    let invalid = client
        .create_state_machine()
        .name("broken")
        .definition(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nowhere"}}}"#)
        .role_arn(ROLE)
        .send()
        .await
        .unwrap_err();
    let Some(CreateStateMachineError::InvalidDefinition(e)) = invalid.as_service_error() else {
        panic!("expected InvalidDefinition, got {invalid:?}");
    };
    assert!(
        e.message().unwrap_or_default().contains("/States/A/Next"),
        "{e:?}"
    );

    let bad_name = client
        .create_state_machine()
        .name("has space")
        .definition(pass().to_string())
        .role_arn(ROLE)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        bad_name.as_service_error(),
        Some(CreateStateMachineError::InvalidName(_))
    ));

    let described = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.name(), "orders");
    assert_eq!(described.definition(), pass().to_string());
    assert_eq!(described.role_arn(), ROLE);
    assert_eq!(described.r#type(), &StateMachineType::Standard);
    let first_revision = described.revision_id().unwrap().to_owned();

    server.create("billing", &pass()).await;
    server.create("audit", &pass()).await;
    let page = client
        .list_state_machines()
        .max_results(2)
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = page.state_machines().iter().map(|m| m.name()).collect();
    assert_eq!(names, ["audit", "billing"]);
    let rest = client
        .list_state_machines()
        .next_token(page.next_token().unwrap())
        .send()
        .await
        .unwrap();
    let names: Vec<&str> = rest.state_machines().iter().map(|m| m.name()).collect();
    assert_eq!((names, rest.next_token()), (vec!["orders"], None));

    let updated = client
        .update_state_machine()
        .state_machine_arn(&arn)
        .definition(waiting(1).to_string())
        .send()
        .await
        .unwrap();
    assert_ne!(updated.revision_id(), Some(first_revision.as_str()));
    let described = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(described.definition(), waiting(1).to_string());

    client
        .delete_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap();
    let gone = client
        .describe_state_machine()
        .state_machine_arn(&arn)
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        gone.as_service_error(),
        Some(DescribeStateMachineError::StateMachineDoesNotExist(_))
    ));
    let malformed = client
        .describe_state_machine()
        .state_machine_arn("arn:aws:lambda:us-east-1:1:function:f")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(
        malformed.as_service_error(),
        Some(DescribeStateMachineError::InvalidArn(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definitions_are_validated_with_paths() {
    let server = start().await;
    let ok = server
        .client
        .validate_state_machine_definition()
        .definition(pass().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(ok.result(), &ValidateStateMachineDefinitionResultCode::Ok);
    assert!(ok.diagnostics().is_empty());
    let failed = server
        .client
        .validate_state_machine_definition()
        .definition(r#"{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"}}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        failed.result(),
        &ValidateStateMachineDefinitionResultCode::Fail
    );
    let diagnostic = &failed.diagnostics()[0];
    assert_eq!(diagnostic.code(), "SCHEMA_VALIDATION_FAILED");
    assert_eq!(diagnostic.location(), Some("/States/A/Next"));
    assert_eq!(diagnostic.severity().as_str(), "ERROR");
}
