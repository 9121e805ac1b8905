//! Random valid state machines and inputs, from a seed.
//!
//! A graph is a chain of states `S0 … Sn` followed by a terminal `Succeed`. Every jump
//! (a Choice's Default, a Catch's Next) goes forward, so every execution ends; each
//! `Si` falls through to `Si+1`, so every state is reachable. Parallel branches and Map
//! iterations are graphs one level deeper, down to `MAX_DEPTH`.
//!
//! The input is `{"path": "r", "n": 0..9, "items": [...]}` and every state keeps those
//! keys (results go under their own `ResultPath`), so Choices can test `$.n`, Maps can
//! iterate `$.items`, and Tasks can name their frame by `$.path` (Map iterations extend
//! it with their index through `ItemSelector`).

use serde_json::{json, Map, Value};

use super::rng::Rng;

/// Parallel/Map nesting below the top level.
const MAX_DEPTH: u32 = 2;

/// Task states get `TimeoutSeconds` when this is true. Off: the engine enforces task
/// timeouts, but whether a timeout or a slow result commits first depends on the faults'
/// delays, so the outcome is not the fault-free run's. Timeouts need a generator that
/// keeps every race one-sided (a timeout far above or below the task's duration).
const TASK_TIMEOUTS: bool = false;

/// The ItemReader the fake task resource answers (see `tasks::answer`).
pub const READER: &str = "arn:aws:states:::s3:listObjectsV2";

/// Errors the fake task can answer with (besides "ok").
const ERRORS: [&str; 3] = ["Sim.Flaky", "Sim.Fatal", "States.Timeout"];

#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    pub definition: Value,
    pub input: Value,
}

/// `slowest_task` bounds how long a Task takes, in seconds; `readers` draws which Maps
/// are Distributed Maps reading their items from an ItemReader.
pub fn generate(rng: &mut Rng, readers: &mut Rng, slowest_task: u64) -> Workload {
    let mut generator = Generator {
        rng,
        readers,
        next: 0,
        slowest_task,
    };
    let definition = generator.graph(Scope {
        depth: 0,
        may_fail: true,
    });
    let items: Vec<Value> = (0..generator.rng.below(4))
        .map(|_| json!(generator.rng.below(100)))
        .collect();
    let input = json!({"path": "r", "n": generator.rng.below(10), "items": items});
    Workload { definition, input }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Pass,
    Choice,
    Wait,
    Task,
    Parallel,
    Map,
}

struct Generator<'r> {
    rng: &'r mut Rng,
    readers: &'r mut Rng,
    /// Numbers state names: they are unique across the whole definition, as AWS wants.
    next: u32,
    slowest_task: u64,
}

/// Where a graph sits.
#[derive(Debug, Clone, Copy)]
struct Scope {
    depth: u32,
    /// Whether the graph may end in failure. Only the first branch of a Parallel may
    /// (unless a catch-all catches the Parallel): when two branches fail, which error
    /// wins is a race (in Step Functions too), and the fault-free comparison needs one
    /// answer. Map iterations run one graph on inputs that differ only in `path` and
    /// `value`, which no failure mentions, so they all fail alike.
    may_fail: bool,
}

impl Generator<'_> {
    fn name(&mut self, prefix: &str) -> String {
        self.next += 1;
        format!("{prefix}{}", self.next)
    }

    fn graph(&mut self, scope: Scope) -> Value {
        let length = 1 + self.rng.below(if scope.depth == 0 { 5 } else { 3 }) as usize;
        let nested = if scope.depth < MAX_DEPTH { 1 } else { 0 };
        let kinds: Vec<Kind> = (0..length)
            .map(|_| {
                let weights = [3, 2, 2, 4, nested, nested];
                [
                    Kind::Pass,
                    Kind::Choice,
                    Kind::Wait,
                    Kind::Task,
                    Kind::Parallel,
                    Kind::Map,
                ][self.rng.weighted(&weights)]
            })
            .collect();
        let mut names: Vec<String> = kinds.iter().map(|k| self.name(&format!("{k:?}"))).collect();
        names.push(self.name("Done"));
        let mut states = Map::new();
        for (i, kind) in kinds.iter().enumerate() {
            let state = self.state(*kind, scope, &names, i, &mut states);
            states.insert(names[i].clone(), state);
        }
        states.insert(names[length].clone(), json!({"Type": "Succeed"}));
        json!({"StartAt": names[0], "States": states})
    }

    /// A state other than `S(i+1)` to jump to: a later state, or a new Fail state.
    fn forward(
        &mut self,
        scope: Scope,
        names: &[String],
        i: usize,
        states: &mut Map<String, Value>,
    ) -> String {
        if scope.may_fail && self.rng.chance(0.25) {
            let name = self.name("Fail");
            states.insert(
                name.clone(),
                json!({"Type": "Fail", "Error": "Sim.Failed", "Cause": format!("{name} reached")}),
            );
            return name;
        }
        let later = (i + 2) as u64..=(names.len() - 1) as u64;
        if later.is_empty() {
            return names[names.len() - 1].clone();
        }
        names[self.rng.range(*later.start(), *later.end()) as usize].clone()
    }

    fn state(
        &mut self,
        kind: Kind,
        scope: Scope,
        names: &[String],
        i: usize,
        states: &mut Map<String, Value>,
    ) -> Value {
        let n = self.next;
        // A state that can fail gets a catcher; where failing is not allowed, a catch-all.
        let catch = match kind {
            Kind::Task | Kind::Parallel | Kind::Map if !scope.may_fail => {
                Some(json!(["States.ALL"]))
            }
            Kind::Task | Kind::Parallel | Kind::Map if self.rng.chance(0.4) => {
                Some(if self.rng.chance(0.5) {
                    json!(["States.ALL"])
                } else {
                    json!(["Sim.Fatal", "Sim.Failed"])
                })
            }
            _ => None,
        };
        let caught_all = catch.as_ref().is_some_and(|c| c[0] == "States.ALL");
        let inner = Scope {
            depth: scope.depth + 1,
            may_fail: scope.may_fail || caught_all,
        };
        let mut state = match kind {
            Kind::Pass if self.rng.chance(0.2) => {
                // Rebuilds the input from its keys: drops the results gathered so far,
                // which keeps payloads small.
                json!({"Type": "Pass", "Parameters": {
                    "path.$": "$.path", "items.$": "$.items", "n.$": "States.MathAdd($.n, 1)"}})
            }
            Kind::Pass => json!({"Type": "Pass", "Result": {"v": self.rng.below(100)},
                                  "ResultPath": format!("$.p{n}")}),
            Kind::Choice => {
                let default = self.forward(scope, names, i, states);
                return json!({"Type": "Choice", "Choices": [{"Variable": "$.n",
                    "NumericGreaterThan": self.rng.below(10), "Next": names[i + 1]}],
                    "Default": default});
            }
            Kind::Wait => {
                // Drawn whether picked or not, so the stream does not depend on the pick.
                let any = self.rng.below(121);
                let seconds = *self.rng.pick(&[0, 1, 5, 30, 60, 120, any]);
                json!({"Type": "Wait", "Seconds": seconds})
            }
            Kind::Task => self.task(n),
            Kind::Parallel => {
                let branches: Vec<Value> = (0..self.rng.range(1, 3))
                    .map(|b| {
                        self.graph(Scope {
                            may_fail: inner.may_fail && b == 0,
                            ..inner
                        })
                    })
                    .collect();
                json!({"Type": "Parallel", "Branches": branches, "ResultPath": format!("$.par{n}")})
            }
            Kind::Map if self.readers.chance(0.35) => {
                let mut processor = self.graph(inner);
                processor["ProcessorConfig"] = json!({"Mode": "DISTRIBUTED"});
                // The fake reader lists as many items as the prefix says.
                let items = self.readers.below(8);
                json!({"Type": "Map",
                       "ItemReader": {"Resource": READER,
                                      "Parameters": {"Bucket": "sim", "Prefix": items.to_string()}},
                       "MaxConcurrency": self.rng.pick(&[0, 1, 2]),
                       "ItemSelector": {
                           "path.$": "States.Format('{}/{}', $.path, $$.Map.Item.Index)",
                           "n.$": "$.n", "items": [], "value.$": "$$.Map.Item.Value"},
                       "ItemProcessor": processor, "ResultPath": format!("$.map{n}")})
            }
            Kind::Map => {
                let processor = self.graph(inner);
                json!({"Type": "Map", "ItemsPath": "$.items",
                       "MaxConcurrency": self.rng.pick(&[0, 1, 2]),
                       "ItemSelector": {
                           "path.$": "States.Format('{}/{}', $.path, $$.Map.Item.Index)",
                           "n.$": "$.n", "items.$": "$.items", "value.$": "$$.Map.Item.Value"},
                       "ItemProcessor": processor, "ResultPath": format!("$.map{n}")})
            }
        };
        if let Some(errors) = catch {
            let next = self.forward(scope, names, i, states);
            state["Catch"] =
                json!([{"ErrorEquals": errors, "ResultPath": format!("$.c{n}"), "Next": next}]);
        }
        state["Next"] = json!(names[i + 1]);
        state
    }

    fn task(&mut self, n: u32) -> Value {
        let outcomes: Vec<&str> = (0..self.rng.range(1, 3))
            .map(|_| match self.rng.weighted(&[6, 3, 1, 1]) {
                0 => "ok",
                e => ERRORS[e - 1],
            })
            .collect();
        let slow = if self.rng.chance(0.15) {
            self.rng.range(10, self.slowest_task.max(10))
        } else {
            0
        };
        let mut task = json!({"Type": "Task", "Resource": "arn:aws:states:::sim:work",
            "Parameters": {"outcomes": outcomes, "slow": slow, "path.$": "$.path"},
            "ResultPath": format!("$.t{n}")});
        if self.rng.chance(0.6) {
            // No `JitterStrategy: FULL`: it draws from the step's entropy, which follows
            // the order messages are handled in, and a draw under 1 ms runs the retry in
            // the same commit; the fault-free comparison would see two commits merged.
            // Jitter only moves time; the core's unit tests cover it.
            let retrier = json!({"ErrorEquals": ["Sim.Flaky", "States.Timeout"],
                "IntervalSeconds": self.rng.range(1, 5),
                "MaxAttempts": self.rng.range(0, 3),
                "BackoffRate": *self.rng.pick(&[1.0, 1.5, 2.0])});
            task["Retry"] = json!([retrier]);
        }
        if TASK_TIMEOUTS && self.rng.chance(0.3) {
            task["TimeoutSeconds"] = json!(self.rng.range(20, 90));
        }
        task
    }
}

#[cfg(test)]
mod tests {
    use super::super::rng::Stream;
    use super::*;

    #[test]
    fn every_generated_definition_is_valid() {
        let mut kinds = std::collections::BTreeSet::new();
        for seed in 0..500 {
            let mut readers = Rng::new(seed, Stream::Readers);
            let workload = generate(&mut Rng::new(seed, Stream::Workload), &mut readers, 25);
            let text = workload.definition.to_string();
            if let Err(e) = stepwise_core::definition::parse(&text) {
                panic!("seed {seed}: {e}\n{text}");
            }
            for word in [
                "Pass",
                "Choice",
                "Wait",
                "Task",
                "Parallel",
                "Map",
                "Retry",
                "Catch",
                "Fail",
                "ItemReader",
            ] {
                if text.contains(&format!("\"{word}")) {
                    kinds.insert(word);
                }
            }
        }
        assert_eq!(kinds.len(), 10, "{kinds:?}");
    }

    #[test]
    fn a_seed_generates_the_same_workload() {
        let readers = || Rng::new(42, Stream::Readers);
        let a = generate(&mut Rng::new(42, Stream::Workload), &mut readers(), 25);
        let b = generate(&mut Rng::new(42, Stream::Workload), &mut readers(), 25);
        assert_eq!(a, b);
    }
}
