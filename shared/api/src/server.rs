//! The API behind axum: `POST /` with the target header, for `stepwise serve` and tests.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use axum::routing::post;
use axum::Router;
use stepwise_engine::{Catalog, Clock, Queue, Store, TaskInvoker};

use crate::errors::ApiError;
use crate::protocol::{content_type_accepted, Response, CONTENT_TYPE};
use crate::{Api, MAX_BODY_BYTES};

/// A router serving `api` at `/`.
pub fn router<S, Q, T, C>(api: Arc<Api<S, Q, T, C>>) -> Router
where
    S: Store + Catalog + 'static,
    Q: Queue + 'static,
    T: TaskInvoker + 'static,
    C: Clock + 'static,
{
    Router::new()
        .route("/", post(handle::<S, Q, T, C>))
        // One byte over the limit reaches `dispatch`, which answers in AWS's shape.
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES + 1))
        .with_state(api)
}

async fn handle<S, Q, T, C>(
    State(api): State<Arc<Api<S, Q, T, C>>>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> HttpResponse
where
    S: Store + Catalog + 'static,
    Q: Queue + 'static,
    T: TaskInvoker + 'static,
    C: Clock + 'static,
{
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    if !content_type_accepted(content_type) {
        let error = ApiError::serialization(format!(
            "Unsupported content type '{}': use {CONTENT_TYPE}",
            content_type.unwrap_or_default()
        ));
        return reply(Response::error(&error));
    }
    let Ok(body) = body else {
        return reply(Response::error(&ApiError::too_large(MAX_BODY_BYTES)));
    };
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    reply(api.dispatch(target, &body).await)
}

fn reply(response: Response) -> HttpResponse {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, CONTENT_TYPE)],
        response.body,
    )
        .into_response()
}
