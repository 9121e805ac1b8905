//! Problems with a task registry or a mock configuration, each at a JSON path.

/// A file that cannot be used: what is wrong, and where (`$.MockedResponses.R["0"]`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("not JSON: {0}")]
    Json(String),
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn at(path: &str, message: impl Into<String>) -> Self {
        Self::Invalid {
            path: path.to_owned(),
            message: message.into(),
        }
    }
}

/// `parent` extended by a member name, as JSONPath writes it: `$.Name` for plain names,
/// `$["arn:aws:…"]` for the rest.
pub(crate) fn member(parent: &str, name: &str) -> String {
    let plain = !name.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        format!("{parent}.{name}")
    } else {
        format!("{parent}[{}]", serde_json::Value::from(name))
    }
}
