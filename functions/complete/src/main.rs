//! The complete Lambda function: invoked directly with one callback, or by the complete
//! queue's event source mapping with a batch of them.

use lambda_runtime::{run, service_fn, Diagnostic, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    stepwise_aws::lambda::init_logging();
    let engine = stepwise_aws::config::Config::from_env().await?.engine()?;
    let engine = &engine;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        stepwise_complete::handle(engine, event.payload)
            .await
            .map_err(Diagnostic::from)
    }))
    .await
}
