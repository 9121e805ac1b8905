//! The worker's HTTP endpoints: `/healthz` for Kubernetes' probes and `/metrics` for
//! Prometheus.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

#[derive(Debug, Clone)]
struct Endpoints {
    metrics: Metrics,
    shutdown: Shutdown,
}

/// `GET /healthz`: `200 ok` while the worker consumes, `503 stopping` once it drains, so
/// a readiness probe takes the pod out while in-flight work finishes. `GET /metrics`: the
/// Prometheus text format.
pub fn router(metrics: Metrics, shutdown: Shutdown) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .with_state(Endpoints { metrics, shutdown })
}

async fn healthz(State(endpoints): State<Endpoints>) -> impl IntoResponse {
    if endpoints.shutdown.is_stopping() {
        (StatusCode::SERVICE_UNAVAILABLE, "stopping\n")
    } else {
        (StatusCode::OK, "ok\n")
    }
}

async fn metrics_text(State(endpoints): State<Endpoints>) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        endpoints.metrics.render(),
    )
}

/// Serves [`router`] on `listener` until the worker has stopped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Metrics,
    shutdown: Shutdown,
    stopped: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(metrics, shutdown))
        .with_graceful_shutdown(stopped)
        .await
}
