//! AWS list prices, in one place, with their date and source.

/// Dollars per unit. us-east-1, on-demand, as published on 2026-11-24 at
/// <https://aws.amazon.com/dynamodb/pricing/on-demand/> (write and read request units),
/// <https://aws.amazon.com/sqs/pricing/> (standard queue, per request of up to 64 KB),
/// <https://aws.amazon.com/lambda/pricing/> (x86, per request and per GB-s) and
/// <https://aws.amazon.com/step-functions/pricing/> (Standard, per state transition).
#[derive(Debug, Clone, Copy)]
pub struct Prices {
    pub write_unit: f64,
    pub read_unit: f64,
    pub sqs_request: f64,
    pub lambda_request: f64,
    pub gb_second: f64,
    /// The memory the advance function is billed at (MB).
    pub function_memory_mb: f64,
    /// What Step Functions Standard charges per million transitions.
    pub step_functions: f64,
}

impl Prices {
    pub const US_EAST_1: Self = Self {
        write_unit: 0.625e-6,
        read_unit: 0.125e-6,
        sqs_request: 0.40e-6,
        lambda_request: 0.20e-6,
        gb_second: 0.000_016_666_7,
        function_memory_mb: 128.0,
        step_functions: 25.0,
    };

    pub fn describe(&self) -> String {
        format!(
            "Prices (us-east-1, on-demand, 2026-11): DynamoDB ${:.3}/M WRU, ${:.3}/M RRU; SQS ${:.2}/M requests (64 KB chunks); Lambda ${:.2}/M requests, ${:.10}/GB-s; Step Functions Standard ${:.0}/M transitions.",
            self.write_unit * 1e6,
            self.read_unit * 1e6,
            self.sqs_request * 1e6,
            self.lambda_request * 1e6,
            self.gb_second,
            self.step_functions
        )
    }
}
