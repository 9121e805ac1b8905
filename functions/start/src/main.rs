//! The start Lambda function: invoked directly with one start request, or by the start
//! queue's event source mapping with a batch of them.

// The future of `Api::call` over the AWS ports nests deeper than the compiler's default
// limit when its layout is computed inside `main`'s async block.
#![recursion_limit = "256"]

use std::sync::Arc;

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;
use stepwise_api::Api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    stepwise_aws::lambda::init_logging();
    let config = stepwise_aws::config::Config::from_env().await?;
    let engine = Arc::new(config.engine()?);
    // `StartExecution` requests resolve state machines through the API, which names ARNs
    // from the engine's region and account: the same config.
    let api = Api::new(engine, &config.engine_config()?);
    let api = &api;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(stepwise_start::handle(api, event.payload).await?)
    }))
    .await
}
