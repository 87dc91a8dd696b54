//! How the file goes to the store (docs/spec.md §11): a pre-signed `PUT` URL
//! or a pre-signed `POST` form, which of them the operator enables
//! (`UPLOAD_METHODS`), and whether a `PUT` must declare its size
//! (`UPLOAD_REQUIRE_SIZE`) so that every upload is bounded.

use super::ValidatedUpload;
use crate::error::AppError;

/// The upload's HTTP method towards the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UploadMethod {
    /// A pre-signed URL (docs/spec.md §5); the default.
    #[default]
    Put,
    /// A pre-signed form whose policy bounds the size (docs/spec.md §11).
    Post,
}

impl UploadMethod {
    /// `"PUT"` or `"POST"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Put => "PUT",
            Self::Post => "POST",
        }
    }

    /// Exactly `PUT` or `POST`, as the contract spells them.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "PUT" => Some(Self::Put),
            "POST" => Some(Self::Post),
            _ => None,
        }
    }
}

/// The operator's method settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodRules {
    /// `UPLOAD_METHODS` (default `PUT,POST`).
    pub put: bool,
    pub post: bool,
    /// `UPLOAD_REQUIRE_SIZE` (default `false`).
    pub require_size: bool,
}

impl Default for MethodRules {
    fn default() -> Self {
        Self {
            put: true,
            post: true,
            require_size: false,
        }
    }
}

impl MethodRules {
    /// The checks that follow the body's own (docs/spec.md §11):
    /// `unsupported_method`, then `size_required`.
    ///
    /// # Errors
    /// [`AppError::UnsupportedMethod`], [`AppError::SizeRequired`].
    pub fn check(self, upload: &ValidatedUpload) -> Result<(), AppError> {
        let enabled = match upload.method {
            UploadMethod::Put => self.put,
            UploadMethod::Post => self.post,
        };
        if !enabled {
            return Err(AppError::UnsupportedMethod);
        }
        if self.require_size && upload.method == UploadMethod::Put && upload.size.is_none() {
            return Err(AppError::SizeRequired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(method: UploadMethod, size: Option<u64>) -> ValidatedUpload {
        ValidatedUpload {
            type_name: "profile".into(),
            file_name: "a.png".into(),
            content_type: "image/png".into(),
            size,
            method,
            max_bytes: 5 * 1024 * 1024,
            unique_keys: false,
        }
    }

    #[test]
    fn parse_is_exact() {
        assert_eq!(UploadMethod::parse("PUT"), Some(UploadMethod::Put));
        assert_eq!(UploadMethod::parse("POST"), Some(UploadMethod::Post));
        for bad in ["put", "Post", "GET", "", " PUT"] {
            assert_eq!(UploadMethod::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn defaults_allow_both_without_size() {
        let rules = MethodRules::default();
        assert_eq!(rules.check(&upload(UploadMethod::Put, None)), Ok(()));
        assert_eq!(rules.check(&upload(UploadMethod::Post, None)), Ok(()));
    }

    #[test]
    fn unsupported_comes_before_size_required() {
        let r2 = MethodRules {
            put: true,
            post: false,
            require_size: true,
        };
        assert_eq!(
            r2.check(&upload(UploadMethod::Post, None)),
            Err(AppError::UnsupportedMethod)
        );
        assert_eq!(
            r2.check(&upload(UploadMethod::Put, None)),
            Err(AppError::SizeRequired)
        );
        assert_eq!(r2.check(&upload(UploadMethod::Put, Some(10))), Ok(()));
        let post_only = MethodRules {
            put: false,
            post: true,
            require_size: true,
        };
        assert_eq!(
            post_only.check(&upload(UploadMethod::Put, Some(10))),
            Err(AppError::UnsupportedMethod)
        );
        // POST bounds the size through its policy: no size needed.
        assert_eq!(post_only.check(&upload(UploadMethod::Post, None)), Ok(()));
    }
}
