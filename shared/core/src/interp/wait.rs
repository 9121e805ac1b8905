//! The Wait state: a delay in seconds or until a timestamp, given literally, through a
//! path, or (JSONata) by an expression.

use serde_json::Value;

use super::choice;
use super::event::Effect;
use super::frame::{Frame, Phase};
use super::io::{apply_input_path, effective_input, select};
use super::jsonata;
use super::states::plain;
use super::step::{Flow, Runner};
use crate::definition::{QueryLanguage, WaitState};
use crate::failure::Failure;
use crate::jsonpath::Path;

impl Runner<'_, '_, '_> {
    pub(super) fn wait(&mut self, frame: &mut Frame, wait: &WaitState) -> Flow {
        let state = self.state(frame);
        let raw = std::mem::take(&mut frame.input);
        let ctx = self.context(frame);
        let effective = match effective_input(&state.input_path, &raw, &ctx) {
            Ok(v) => v.into_owned(),
            Err(f) => return Flow::Fail(f),
        };
        let states = self.states(&raw, None, &ctx);
        let until = match wait {
            WaitState::Seconds(s) => frame.entered_at.saturating_add(secs_to_ms(*s)),
            WaitState::Timestamp { epoch_millis, .. } => *epoch_millis,
            WaitState::SecondsPath(path) => match select(path, &effective, &ctx) {
                None => return Flow::Fail(no_input_value("SecondsPath", path)),
                Some(v) => match wait_seconds(path, &v) {
                    Ok(s) => frame.entered_at.saturating_add(secs_to_ms(s)),
                    Err(f) => return Flow::Fail(f),
                },
            },
            WaitState::TimestampPath(path) => match select(path, &effective, &ctx) {
                None => return Flow::Fail(no_input_value("TimestampPath", path)),
                Some(v) => match v.as_str().and_then(choice::parse_timestamp) {
                    Some(nanos) => (nanos.div_euclid(1_000_000)) as i64,
                    None => {
                        return Flow::Fail(Failure::runtime(format!(
                            "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: {} == {}",
                            path.source(),
                            plain(&v)
                        )))
                    }
                },
            },
            WaitState::SecondsExpr(expr) => {
                match jsonata::eval(expr, &states, self.env.now, self.env.entropy) {
                    Ok(v) => match v.as_u64() {
                        Some(s) => frame.entered_at.saturating_add(secs_to_ms(s)),
                        None => return Flow::Fail(jsonata::unexpected_type(expr, "integer", &v, "Seconds")),
                    },
                    Err(f) => return Flow::Fail(f),
                }
            }
            WaitState::TimestampExpr(expr) => {
                match jsonata::eval(expr, &states, self.env.now, self.env.entropy) {
                    Ok(v) => match v.as_str().and_then(choice::parse_timestamp) {
                        Some(nanos) => (nanos.div_euclid(1_000_000)) as i64,
                        None => {
                            return Flow::Fail(jsonata::query_error(format!(
                                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: {}",
                                plain(&v)
                            )))
                        }
                    },
                    Err(f) => return Flow::Fail(f),
                }
            }
        };
        // Assign and Output are evaluated now, against the entry variables; a sleeping
        // Wait keeps its output as the frame's input.
        let (output, assigned) = if state.query_language == QueryLanguage::Jsonata {
            match jsonata::leave(
                state.assign.as_ref(),
                state.output.as_ref(),
                &states,
                self.env.now,
                self.env.entropy,
            ) {
                Ok((output, assigned)) => (Ok(output.unwrap_or(effective)), assigned),
                Err(f) => return Flow::Fail(f),
            }
        } else {
            let assigned = match &state.assign {
                Some(a) => match jsonata::assignments(
                    a,
                    &effective,
                    &states,
                    self.env.now,
                    self.env.entropy,
                ) {
                    Ok(map) => Some(map),
                    Err(f) => return Flow::Fail(f),
                },
                None => None,
            };
            let output = if until <= self.env.now {
                apply_input_path(&state.output_path, effective, &ctx)
            } else {
                Ok(effective)
            };
            (output, assigned)
        };
        let output = match output {
            Ok(v) => v,
            Err(f) => return Flow::Fail(f),
        };
        if let Err(f) = jsonata::bind(&mut frame.vars, assigned) {
            return Flow::Fail(f);
        }
        if until <= self.env.now {
            return Flow::Exit(output);
        }
        frame.input = output;
        frame.phase = Phase::Waiting { until };
        self.out.effects.push(Effect::Timer { until });
        Flow::Suspend
    }
}

fn secs_to_ms(seconds: u64) -> i64 {
    i64::try_from(seconds)
        .unwrap_or(i64::MAX / 1000)
        .saturating_mul(1000)
}

/// SecondsPath must name a non-negative integer, with AWS's two distinct messages.
fn wait_seconds(path: &Path, value: &Value) -> Result<u64, Failure> {
    if let Some(n) = value.as_u64() {
        return Ok(n);
    }
    if value.as_i64().is_some() {
        return Err(Failure::runtime(format!(
            "The SecondsPath parameter references a negative value: {} == {}",
            path.source(),
            plain(value)
        )));
    }
    Err(Failure::runtime(format!(
        "The SecondsPath parameter cannot be parsed as a long value: {} == {}",
        path.source(),
        plain(value)
    )))
}

/// SecondsPath/TimestampPath matching nothing. LocalStack's seconds_path.py (written
/// against AWS snapshots) words it "The SecondsPath parameter does not reference an input
/// value: $.x"; TimestampPath is worded alike by AWS (quoted in serverless-step-functions
/// offline's wait handler).
fn no_input_value(field: &str, path: &Path) -> Failure {
    Failure::runtime(format!(
        "The {field} parameter does not reference an input value: {}",
        path.source()
    ))
}
