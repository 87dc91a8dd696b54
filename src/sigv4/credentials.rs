//! The key pair (and optional session token) URLs are signed with.

use std::fmt;

use zeroize::Zeroizing;

use super::SigV4Error;

/// Signing credentials. The secret and the session token never appear in
/// `Debug` output and the secret is wiped from memory on drop.
#[derive(Clone)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Option<String>,
}

impl Credentials {
    /// Validated credentials.
    ///
    /// # Errors
    /// [`SigV4Error::InvalidAccessKeyId`], [`SigV4Error::EmptySecretAccessKey`]
    /// or [`SigV4Error::InvalidSessionToken`].
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Result<Self, SigV4Error> {
        let access_key_id = access_key_id.into();
        let secret_access_key = Zeroizing::new(secret_access_key.into());
        if access_key_id.is_empty()
            || access_key_id
                .bytes()
                .any(|b| b == b'/' || !b.is_ascii_graphic())
        {
            return Err(SigV4Error::InvalidAccessKeyId);
        }
        if secret_access_key.is_empty() {
            return Err(SigV4Error::EmptySecretAccessKey);
        }
        if let Some(token) = &session_token {
            if token.is_empty() || token.bytes().any(|b| b.is_ascii_control()) {
                return Err(SigV4Error::InvalidSessionToken);
            }
        }
        Ok(Self {
            access_key_id,
            secret_access_key,
            session_token,
        })
    }

    /// The public half, safe to show.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    pub(crate) fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    pub(crate) fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_secrets() {
        let c = Credentials::new("AKID", "very-secret", Some("tok-secret".into())).unwrap();
        let dbg = format!("{c:?}");
        assert!(dbg.contains("AKID"));
        assert!(!dbg.contains("very-secret"));
        assert!(!dbg.contains("tok-secret"));
    }

    #[test]
    fn validation() {
        assert_eq!(
            Credentials::new("", "s", None).unwrap_err(),
            SigV4Error::InvalidAccessKeyId
        );
        assert_eq!(
            Credentials::new("AK/ID", "s", None).unwrap_err(),
            SigV4Error::InvalidAccessKeyId
        );
        assert_eq!(
            Credentials::new("AKID", "", None).unwrap_err(),
            SigV4Error::EmptySecretAccessKey
        );
        assert_eq!(
            Credentials::new("AKID", "s", Some(String::new())).unwrap_err(),
            SigV4Error::InvalidSessionToken
        );
    }
}
