//! The one error type of the HTTP surface, and the single place where errors
//! become status codes, stable `code`s and client messages (docs/spec.md §3).
//!
//! Domain modules have their own error enums ([`crate::sigv4::SigV4Error`], …);
//! handlers map those into an [`AppError`]. Client messages are fixed strings:
//! details (which setting, which claim) go to the log line, never the body.

use serde::Serialize;

use crate::response::ApiResponse;

/// The error shape of docs/spec.md §3 (`reason` only for `upload_rejected`,
/// docs/spec.md §12).
#[derive(Debug, Serialize)]
struct ErrorBody {
    status: &'static str,
    message: &'static str,
    code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'static str>,
}

/// Everything the Worker can answer with other than success.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    InvalidJson,
    MissingParameters,
    InvalidType,
    InvalidFileName,
    UnsupportedFileType,
    ContentTypeMismatch,
    InvalidSize,
    FileTooLarge,
    /// `method` is not `"PUT"` or `"POST"` (docs/spec.md §11).
    InvalidMethod,
    /// `method` is not in `UPLOAD_METHODS`.
    UnsupportedMethod,
    /// A PUT without `size` while `UPLOAD_REQUIRE_SIZE=true`.
    SizeRequired,
    /// The confirmation's `key` is not a key of the caller's folder shape
    /// (docs/spec.md §12).
    InvalidKey,
    /// The confirmation's `key` lies in another user's folder.
    Forbidden,
    /// No object at the confirmation's `key`.
    UploadNotFound,
    /// The store failed, timed out or answered garbage; nothing was changed.
    StorageUnavailable,
    /// A check failed and the object was deleted; `reason` says which.
    UploadRejected {
        reason: &'static str,
    },
    /// `token_sent`: a non-empty bearer token or `__session` cookie was presented.
    Unauthorized {
        token_sent: bool,
    },
    NotFound,
    /// `allow` is the `Allow` header value for the path.
    MethodNotAllowed {
        allow: &'static str,
    },
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited {
        retry_after_secs: u64,
    },
    /// The route exists but this build does not serve it yet.
    NotImplemented,
    UrlGenerationFailed,
    ServerError,
    AuthUnavailable {
        retry_after_secs: u64,
    },
}

impl AppError {
    /// HTTP status.
    pub const fn status(&self) -> u16 {
        match self {
            Self::InvalidJson
            | Self::MissingParameters
            | Self::InvalidType
            | Self::InvalidFileName
            | Self::UnsupportedFileType
            | Self::ContentTypeMismatch
            | Self::InvalidSize
            | Self::FileTooLarge
            | Self::InvalidMethod
            | Self::UnsupportedMethod
            | Self::SizeRequired
            | Self::InvalidKey => 400,
            Self::Forbidden => 403,
            Self::UploadRejected { .. } => 422,
            Self::StorageUnavailable => 502,
            Self::Unauthorized { .. } => 401,
            Self::NotFound | Self::UploadNotFound => 404,
            Self::MethodNotAllowed { .. } => 405,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::RateLimited { .. } => 429,
            Self::NotImplemented => 501,
            Self::UrlGenerationFailed | Self::ServerError => 500,
            Self::AuthUnavailable { .. } => 503,
        }
    }

    /// The stable machine-readable `code`.
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::MissingParameters => "missing_parameters",
            Self::InvalidType => "invalid_type",
            Self::InvalidFileName => "invalid_file_name",
            Self::UnsupportedFileType => "unsupported_file_type",
            Self::ContentTypeMismatch => "content_type_mismatch",
            Self::InvalidSize => "invalid_size",
            Self::FileTooLarge => "file_too_large",
            Self::InvalidMethod => "invalid_method",
            Self::UnsupportedMethod => "unsupported_method",
            Self::SizeRequired => "size_required",
            Self::InvalidKey => "invalid_key",
            Self::Forbidden => "forbidden",
            Self::UploadNotFound => "upload_not_found",
            Self::StorageUnavailable => "storage_unavailable",
            Self::UploadRejected { .. } => "upload_rejected",
            Self::Unauthorized { .. } => "unauthorized",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::RateLimited { .. } => "rate_limited",
            Self::NotImplemented => "not_implemented",
            Self::UrlGenerationFailed => "url_generation_failed",
            Self::ServerError => "server_error",
            Self::AuthUnavailable { .. } => "auth_unavailable",
        }
    }

    /// The request log line's `reason`: the code, or for a rejected upload
    /// the check that failed (`unsafe_svg`, …).
    pub const fn log_reason(&self) -> &'static str {
        match self {
            Self::UploadRejected { reason } => reason,
            _ => self.code(),
        }
    }

    /// The human-readable message: fixed text, nothing from the request or
    /// the configuration.
    pub const fn message(&self) -> &'static str {
        match self {
            Self::InvalidJson => "Request body must be a JSON object",
            Self::MissingParameters => "Missing required parameters: type and fileName",
            Self::InvalidType => "Unknown upload type",
            Self::InvalidFileName => "Invalid file name",
            Self::UnsupportedFileType => "File type not allowed for this upload type",
            Self::ContentTypeMismatch => "contentType does not match the file extension",
            Self::InvalidSize => "size must be a positive integer",
            Self::FileTooLarge => "File is larger than this upload type allows",
            Self::InvalidMethod => "method must be \"PUT\" or \"POST\"",
            Self::UnsupportedMethod => "This upload method is not enabled",
            Self::SizeRequired => "size is required for PUT uploads",
            Self::InvalidKey => "key is not an upload key of this service",
            Self::Forbidden => "This key belongs to another user",
            Self::UploadNotFound => "No upload at this key",
            Self::StorageUnavailable => "The store is unavailable; retry later",
            Self::UploadRejected { .. } => "The upload broke the upload policy and was deleted",
            Self::Unauthorized { .. } => "Authentication required",
            Self::NotFound => "Not found",
            Self::MethodNotAllowed { .. } => "Method not allowed",
            Self::PayloadTooLarge => "Request body is larger than 16 KiB",
            Self::UnsupportedMediaType => "Request body must be application/json",
            Self::RateLimited { .. } => "Too many upload URLs requested; retry later",
            Self::NotImplemented => "Not implemented yet",
            Self::UrlGenerationFailed => "Could not generate an upload URL",
            Self::ServerError => "Internal server error",
            Self::AuthUnavailable { .. } => "Authentication is temporarily unavailable",
        }
    }

    /// The error as a response: the spec's JSON shape plus the headers the error
    /// class requires (`Allow`, `WWW-Authenticate`, `Retry-After`).
    pub fn to_response(&self) -> ApiResponse {
        let body = ErrorBody {
            status: "error",
            message: self.message(),
            code: self.code(),
            reason: match self {
                Self::UploadRejected { reason } => Some(reason),
                _ => None,
            },
        };
        let mut resp = ApiResponse::json(self.status(), &body);
        match self {
            Self::MethodNotAllowed { allow } => resp.set_header("Allow", *allow),
            Self::Unauthorized { token_sent } => resp.set_header(
                "WWW-Authenticate",
                if *token_sent {
                    "Bearer error=\"invalid_token\""
                } else {
                    "Bearer"
                },
            ),
            Self::RateLimited { retry_after_secs } | Self::AuthUnavailable { retry_after_secs } => {
                resp.set_header("Retry-After", (*retry_after_secs).max(1).to_string());
            }
            _ => {}
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(e: &AppError) -> serde_json::Value {
        serde_json::from_str(&e.to_response().body).unwrap()
    }

    #[test]
    fn spec_status_code_table() {
        // docs/spec.md §3, row by row.
        let table: &[(AppError, u16, &str)] = &[
            (AppError::InvalidJson, 400, "invalid_json"),
            (AppError::MissingParameters, 400, "missing_parameters"),
            (AppError::InvalidType, 400, "invalid_type"),
            (AppError::InvalidFileName, 400, "invalid_file_name"),
            (AppError::UnsupportedFileType, 400, "unsupported_file_type"),
            (AppError::ContentTypeMismatch, 400, "content_type_mismatch"),
            (AppError::InvalidSize, 400, "invalid_size"),
            (AppError::FileTooLarge, 400, "file_too_large"),
            // docs/spec.md §11.
            (AppError::InvalidMethod, 400, "invalid_method"),
            (AppError::UnsupportedMethod, 400, "unsupported_method"),
            (AppError::SizeRequired, 400, "size_required"),
            // docs/spec.md §12.
            (AppError::InvalidKey, 400, "invalid_key"),
            (AppError::Forbidden, 403, "forbidden"),
            (AppError::UploadNotFound, 404, "upload_not_found"),
            (AppError::StorageUnavailable, 502, "storage_unavailable"),
            (
                AppError::UploadRejected { reason: "empty" },
                422,
                "upload_rejected",
            ),
            (
                AppError::Unauthorized { token_sent: false },
                401,
                "unauthorized",
            ),
            (AppError::NotFound, 404, "not_found"),
            (
                AppError::MethodNotAllowed { allow: "GET" },
                405,
                "method_not_allowed",
            ),
            (AppError::PayloadTooLarge, 413, "payload_too_large"),
            (
                AppError::UnsupportedMediaType,
                415,
                "unsupported_media_type",
            ),
            (
                AppError::RateLimited {
                    retry_after_secs: 3,
                },
                429,
                "rate_limited",
            ),
            (AppError::UrlGenerationFailed, 500, "url_generation_failed"),
            (AppError::ServerError, 500, "server_error"),
            (
                AppError::AuthUnavailable {
                    retry_after_secs: 3,
                },
                503,
                "auth_unavailable",
            ),
        ];
        for (err, status, code) in table {
            let resp = err.to_response();
            assert_eq!(resp.status, *status, "{err:?}");
            let logged = if matches!(err, AppError::UploadRejected { .. }) {
                "empty"
            } else {
                code
            };
            assert_eq!(err.log_reason(), logged);
            let b = body(err);
            assert_eq!(b["status"], "error");
            assert_eq!(b["code"], *code);
            assert!(b["message"].as_str().is_some_and(|m| !m.is_empty()));
            // `reason` only on a rejected upload (docs/spec.md §12).
            let fields = if matches!(err, AppError::UploadRejected { .. }) {
                assert_eq!(b["reason"], "empty");
                4
            } else {
                3
            };
            assert_eq!(
                b.as_object().map(serde_json::Map::len),
                Some(fields),
                "{err:?}"
            );
            assert_eq!(resp.header("Content-Type"), Some("application/json"));
            assert_eq!(resp.header("Cache-Control"), Some("no-store"));
        }
    }

    #[test]
    fn unauthorized_challenge_depends_on_whether_a_token_was_sent() {
        let none = AppError::Unauthorized { token_sent: false }.to_response();
        assert_eq!(none.header("WWW-Authenticate"), Some("Bearer"));
        let sent = AppError::Unauthorized { token_sent: true }.to_response();
        assert_eq!(
            sent.header("WWW-Authenticate"),
            Some("Bearer error=\"invalid_token\"")
        );
    }

    #[test]
    fn retry_after_is_at_least_one_second() {
        let r = AppError::RateLimited {
            retry_after_secs: 0,
        }
        .to_response();
        assert_eq!(r.header("Retry-After"), Some("1"));
        let r = AppError::AuthUnavailable {
            retry_after_secs: 30,
        }
        .to_response();
        assert_eq!(r.header("Retry-After"), Some("30"));
    }

    #[test]
    fn method_not_allowed_names_allowed_methods() {
        let r = AppError::MethodNotAllowed {
            allow: "POST, OPTIONS",
        }
        .to_response();
        assert_eq!(r.header("Allow"), Some("POST, OPTIONS"));
    }
}
