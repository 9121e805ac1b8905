//! The console (`console/` at the repository's root): static files compiled into the
//! binary, so `stepwise serve` stays one self-contained file, served with GET at
//! `/console/`. The page only calls the Step Functions API at `POST /` on the same
//! origin, as any other client does, so the API needs no CORS here.

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

/// Every file the page loads: (name under `/console/`, content type, content).
const FILES: &[(&str, &str, &str)] = &[
    ("index.html", HTML, include_str!("../../console/index.html")),
    ("style.css", CSS, include_str!("../../console/style.css")),
    ("config.js", JS, include_str!("../../console/config.js")),
    ("app.js", JS, include_str!("../../console/app.js")),
    ("api.js", JS, include_str!("../../console/api.js")),
    ("dom.js", JS, include_str!("../../console/dom.js")),
    ("lists.js", JS, include_str!("../../console/lists.js")),
    (
        "execution.js",
        JS,
        include_str!("../../console/execution.js"),
    ),
    ("status.js", JS, include_str!("../../console/status.js")),
    ("layout.js", JS, include_str!("../../console/layout.js")),
    ("graph.js", JS, include_str!("../../console/graph.js")),
    ("history.js", JS, include_str!("../../console/history.js")),
];

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

/// GET routes for the console: `/console/…`, and `/` redirecting there (the API keeps
/// `POST /`; the two merge into one route).
pub fn router() -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/console/") }))
        .route(
            "/console",
            get(|| async { Redirect::permanent("/console/") }),
        )
        .route("/console/", get(|| async { file("index.html") }))
        .route(
            "/console/{name}",
            get(|Path(name): Path<String>| async move { file(&name) }),
        )
}

fn file(name: &str) -> Response {
    match FILES.iter().find(|(file, _, _)| *file == name) {
        Some((_, content_type, body)) => (
            // Revalidated each time, so a new binary's page replaces a cached one.
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("no console file named '{name}'\n"),
        )
            .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every module the page imports is served: a file added to `console/` but not to
    /// `FILES` would break the page only in the binary.
    #[test]
    fn every_imported_module_is_served() {
        for (name, _, body) in FILES {
            for line in body.lines() {
                let Some(rest) = line.split(" from './").nth(1) else {
                    continue;
                };
                let imported = rest.split('\'').next().unwrap_or_default();
                assert!(
                    FILES.iter().any(|(file, _, _)| *file == imported),
                    "{name} imports {imported}, which the console does not serve"
                );
            }
        }
    }

    /// Every page file in `console/` is in `FILES`.
    #[test]
    fn every_console_file_is_served() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../console");
        for entry in std::fs::read_dir(&dir).expect("console/") {
            let name = entry.expect("entry").file_name();
            let name = name.to_string_lossy();
            let page_file = [".html", ".css", ".js"]
                .iter()
                .any(|ext| name.ends_with(ext));
            if page_file {
                assert!(
                    FILES.iter().any(|(file, _, _)| *file == name),
                    "console/{name} is not in FILES"
                );
            }
        }
    }
}
