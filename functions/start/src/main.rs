//! The start Lambda function: invoked directly with one start payload, or by the start
//! queue's event source mapping with a batch of them.

use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    stepwise_aws::lambda::init_logging();
    let engine = stepwise_aws::config::Config::from_env().await?.engine()?;
    let engine = &engine;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        Ok::<Value, Error>(stepwise_start::handle(engine, event.payload).await?)
    }))
    .await
}
