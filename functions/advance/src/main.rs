//! The advance Lambda function: the steps queue's event source mapping calls it with
//! batches of step messages.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};

#[tokio::main]
async fn main() -> Result<(), Error> {
    stepwise_aws::lambda::init_logging();
    let engine = stepwise_aws::config::Config::from_env().await?.engine()?;
    let engine = &engine;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(stepwise_advance::handle(engine, event.payload).await)
    }))
    .await
}
