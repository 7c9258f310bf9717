//! The JSON API's error bodies: `{"status", "code", "message", "field"}`,
//! the same shape for every refusal and failure of an `/api/` route that
//! acts for a caller, so that a script reads them alike.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use lantern_app::Kind;

/// An error as JSON, with its status.
pub(crate) fn error(
    status: StatusCode,
    code: &str,
    message: &str,
    field: Option<&str>,
) -> Response {
    let body = serde_json::json!({
        "status": status.as_u16(),
        "code": code,
        "message": message,
        "field": field,
    });
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        format!("{body:#}\n"),
    )
        .into_response()
}

/// A use case's failure as JSON: bad input 400, not found 404, refused
/// 403, not allowed now 409, busy 503, else 500 (the cause in the
/// server's log only).
pub(crate) fn failure(e: lantern_app::Error) -> Response {
    let (status, code) = match e.kind() {
        Kind::Invalid => (StatusCode::BAD_REQUEST, "invalid"),
        Kind::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        Kind::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
        Kind::Conflict => (StatusCode::CONFLICT, "conflict"),
        Kind::Unavailable => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Lantern's database is busy or does not answer; try again in a moment",
                None,
            );
        }
        Kind::Internal => {
            eprintln!("error: {e:#}");
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "Lantern could not do this; the error is in the server's log",
                None,
            );
        }
    };
    error(status, code, e.message(), None)
}

/// Run a use case on a blocking thread, its failure as JSON.
pub(crate) async fn act<T: Send + 'static>(
    f: impl FnOnce() -> lantern_app::Result<T> + Send + 'static,
) -> Result<T, Response> {
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(failure(e)),
        Err(e) => Err(failure(lantern_app::Error::new(
            Kind::Internal,
            format!("the request's task failed: {e}"),
        ))),
    }
}
