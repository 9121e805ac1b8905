use lambda_runtime::{service_fn, Diagnostic, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Err::<Value, Diagnostic>(stepwise_test_lambdas::fail(&event.payload))
    }))
    .await
}
