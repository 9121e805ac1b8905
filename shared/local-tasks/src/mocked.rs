//! [`Mocked`]: a task port that answers the states a test case mocks from the mock
//! configuration and passes every other call to the task port it wraps.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use stepwise_core::failure::Failure;
use stepwise_core::interp::TaskRequest;
use stepwise_engine::{Answer, Store, TaskInvoker};

use crate::mock::MockConfig;

/// The state machine and test case an execution runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    pub machine: String,
    pub case: String,
}

/// Finds an execution's test case at task time.
pub trait TestCases: Send + Sync {
    fn test_case(
        &self,
        execution: &str,
    ) -> impl Future<Output = Result<Option<TestCase>, Failure>> + Send;
}

/// One execution in this process (`stepwise run`): the test case is known up front.
#[derive(Debug, Clone)]
pub struct Fixed(pub Option<TestCase>);

impl TestCases for Fixed {
    async fn test_case(&self, _execution: &str) -> Result<Option<TestCase>, Failure> {
        Ok(self.0.clone())
    }
}

/// Executions in a store (`stepwise serve`): the test case was stored with the execution
/// at StartExecution, so it survives a restart. Cached, as it never changes.
#[derive(Debug)]
pub struct Stored<S> {
    store: S,
    known: Mutex<HashMap<String, Option<TestCase>>>,
}

impl<S> Stored<S> {
    pub fn new(store: S) -> Self {
        Self {
            store,
            known: Mutex::new(HashMap::new()),
        }
    }
}

impl<S: Store> TestCases for Stored<S> {
    async fn test_case(&self, execution: &str) -> Result<Option<TestCase>, Failure> {
        if let Some(known) = lock(&self.known).get(execution) {
            return Ok(known.clone());
        }
        let record = self
            .store
            .execution(execution)
            .await
            // The task port can only answer with a workflow failure; a read of the local
            // SQLite file that fails is rare enough not to warrant more.
            .map_err(|e| Failure::runtime(format!("cannot read execution {execution}: {e}")))?;
        let found = record.and_then(|r| {
            r.test_case.map(|case| TestCase {
                machine: r.info.state_machine_name,
                case,
            })
        });
        lock(&self.known).insert(execution.to_owned(), found.clone());
        Ok(found)
    }
}

/// Mocked responses in front of `inner`.
#[derive(Debug)]
pub struct Mocked<T, L> {
    config: Arc<MockConfig>,
    cases: L,
    inner: T,
    /// Invocations so far per (execution, state): the index into a mocked response.
    /// In memory: after a restart of `stepwise serve` the count starts again at 0.
    calls: Mutex<HashMap<(String, String), u64>>,
}

impl<T, L> Mocked<T, L> {
    pub fn new(config: Arc<MockConfig>, cases: L, inner: T) -> Self {
        Self {
            config,
            cases,
            inner,
            calls: Mutex::new(HashMap::new()),
        }
    }
}

impl<T: TaskInvoker, L: TestCases> TaskInvoker for Mocked<T, L> {
    async fn invoke(&self, execution: &str, request: &TaskRequest) -> Result<Value, Failure> {
        match self.mocked_case(execution, request).await? {
            Some(TestCase { machine, case }) => self.mocked(execution, request, &machine, &case),
            None => self.inner.invoke(execution, request).await,
        }
    }

    /// A mocked answer is the task's result even for a `.waitForTaskToken` state, as on
    /// Step Functions Local: no callback will come for a mocked call.
    async fn call(&self, execution: &str, request: &TaskRequest) -> Result<Answer, Failure> {
        match self.mocked_case(execution, request).await? {
            Some(TestCase { machine, case }) => self
                .mocked(execution, request, &machine, &case)
                .map(Answer::Result),
            None => self.inner.call(execution, request).await,
        }
    }
}

impl<T, L: TestCases> Mocked<T, L> {
    /// The execution's test case, when it mocks this state.
    async fn mocked_case(
        &self,
        execution: &str,
        request: &TaskRequest,
    ) -> Result<Option<TestCase>, Failure> {
        let found = self.cases.test_case(execution).await?;
        Ok(found.filter(|t| self.config.mocks(&t.machine, &t.case, &request.state)))
    }
}

impl<T, L> Mocked<T, L> {
    /// The mocked response for this invocation of the state.
    fn mocked(
        &self,
        execution: &str,
        request: &TaskRequest,
        machine: &str,
        case: &str,
    ) -> Result<Value, Failure> {
        let invocation = {
            let mut calls = lock(&self.calls);
            let count = calls
                .entry((execution.to_owned(), request.state.clone()))
                .or_insert(0);
            *count += 1;
            *count - 1
        };
        tracing::debug!(execution_id = %execution, state = %request.state, test_case = %case, invocation, "mocked task");
        self.config
            .answer(machine, case, &request.state, invocation)
            .unwrap_or_else(|| Err(Failure::runtime("no mocked response")))
    }
}

/// A poisoned lock only means another task panicked mid-insert; the map is still usable.
fn lock<V>(mutex: &Mutex<V>) -> std::sync::MutexGuard<'_, V> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
