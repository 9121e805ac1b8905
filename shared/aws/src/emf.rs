//! CloudWatch Embedded Metric Format: metrics as one JSON log line, which CloudWatch Logs
//! turns into metrics without a `PutMetricData` call (no extra request, no extra latency).
//!
//! The builder is pure: the caller supplies the timestamp (the functions read their own
//! clock) and decides where the line goes ([`Metrics::emit`] prints it to stdout, which
//! Lambda ships to CloudWatch Logs).

use serde_json::{json, Map, Value};

/// The namespace of every Stepwise metric.
pub const NAMESPACE: &str = "Stepwise";

/// A metric's unit, as CloudWatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Milliseconds,
}

impl Unit {
    fn name(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// One EMF document: metric values sharing one set of dimensions.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    dimensions: Vec<(String, String)>,
    values: Vec<(String, Unit, f64)>,
}

impl Metrics {
    /// Metrics of one function (`Function` dimension: `advance`, `start`, …).
    pub fn for_function(function: &str) -> Self {
        Self {
            dimensions: vec![("Function".to_owned(), function.to_owned())],
            values: Vec::new(),
        }
    }

    pub fn add(&mut self, name: &str, unit: Unit, value: f64) -> &mut Self {
        self.values.push((name.to_owned(), unit, value));
        self
    }

    /// The EMF document (`_aws.Timestamp` in epoch milliseconds). Dimension and metric
    /// values are top-level members, as the specification requires.
    pub fn to_json(&self, timestamp_ms: i64) -> Value {
        let dimension_names: Vec<&str> = self.dimensions.iter().map(|(k, _)| k.as_str()).collect();
        let definitions: Vec<Value> = self
            .values
            .iter()
            .map(|(name, unit, _)| json!({"Name": name, "Unit": unit.name()}))
            .collect();
        let mut doc = Map::new();
        doc.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [dimension_names],
                    "Metrics": definitions,
                }],
            }),
        );
        for (key, value) in &self.dimensions {
            doc.insert(key.clone(), json!(value));
        }
        for (name, _, value) in &self.values {
            doc.insert(name.clone(), json!(value));
        }
        Value::Object(doc)
    }

    /// Prints the document as one line on stdout (Lambda's log stream).
    pub fn emit(&self, timestamp_ms: i64) {
        println!("{}", self.to_json(timestamp_ms));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The structure the EMF specification asks for
    /// (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
    #[test]
    fn follows_the_specification() {
        let mut metrics = Metrics::for_function("advance");
        metrics
            .add("Transitions", Unit::Count, 7.0)
            .add("Failures", Unit::Count, 1.0)
            .add("Latency", Unit::Milliseconds, 12.5);
        let doc = metrics.to_json(1_767_225_600_000);
        assert_eq!(
            doc,
            json!({
                "_aws": {
                    "Timestamp": 1_767_225_600_000_i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "Stepwise",
                        "Dimensions": [["Function"]],
                        "Metrics": [
                            {"Name": "Transitions", "Unit": "Count"},
                            {"Name": "Failures", "Unit": "Count"},
                            {"Name": "Latency", "Unit": "Milliseconds"}
                        ]
                    }]
                },
                "Function": "advance",
                "Transitions": 7.0,
                "Failures": 1.0,
                "Latency": 12.5
            })
        );
        // Every metric and dimension named in `_aws` has its value at the top level.
        let directive = &doc["_aws"]["CloudWatchMetrics"][0];
        for metric in directive["Metrics"].as_array().into_iter().flatten() {
            assert!(doc[metric["Name"].as_str().unwrap_or_default()].is_number());
        }
        for set in directive["Dimensions"].as_array().into_iter().flatten() {
            for name in set.as_array().into_iter().flatten() {
                assert!(doc[name.as_str().unwrap_or_default()].is_string());
            }
        }
    }
}
