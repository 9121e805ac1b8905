//! The API Lambda function: the Step Functions API behind API Gateway (HTTP API, payload
//! format 2.0), over the DynamoDB table and the steps queue the other functions use.

// The future of `Api::dispatch` over the AWS ports nests deeper than the compiler's
// default limit when its layout is computed inside `main`'s async block.
#![recursion_limit = "256"]

use std::sync::Arc;

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use lambda_runtime::{run, service_fn, Error, LambdaEvent};
use stepwise_api::Api;

#[tokio::main]
async fn main() -> Result<(), Error> {
    stepwise_aws::lambda::init_logging();
    let config = stepwise_aws::config::Config::from_env().await?;
    let engine = Arc::new(config.engine()?);
    // The API names ARNs from the engine's region and account: the same config.
    let api = Api::new(engine, &config.engine_config()?);
    let api = &api;
    run(service_fn(
        move |event: LambdaEvent<ApiGatewayV2httpRequest>| async move {
            Ok::<ApiGatewayV2httpResponse, Error>(
                stepwise_api_function::handle(api, event.payload).await,
            )
        },
    ))
    .await
}
