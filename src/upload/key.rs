//! The object key of an upload (docs/spec.md §4, §11):
//! `{prefix}/{userId}/{type}/{fileName}`, or with the type's `uniqueKeys`
//! option `{prefix}/{userId}/{type}/{id}/{fileName}`, `id` 128 random bits.

use base64ct::{Base64UrlUnpadded, Encoding};

use super::ValidatedUpload;
use crate::auth::verify::UserId;

/// A folder of its own for one upload: 128 random bits, URL-safe base64
/// without padding (22 characters of `A–Z a–z 0–9 - _`, never encoded in a
/// URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadId(String);

impl UploadId {
    /// From the platform's CSPRNG (`crypto.getRandomValues` at the edge).
    ///
    /// # Errors
    /// The platform could not produce random bytes.
    pub fn random() -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)?;
        Ok(Self::from_bytes(bytes))
    }

    /// From given bits (tests pin them).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(Base64UrlUnpadded::encode_string(&bytes))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The key for `upload` in `user`'s folder under `prefix`; `id` is used
/// only when the type asks for unique keys.
pub fn object_key(
    prefix: &str,
    user: &UserId,
    upload: &ValidatedUpload,
    id: Option<&UploadId>,
) -> String {
    let folder = format!("{prefix}/{}/{}", user.as_str(), upload.type_name);
    match id.filter(|_| upload.unique_keys) {
        Some(id) => format!("{folder}/{}/{}", id.as_str(), upload.file_name),
        None => format!("{folder}/{}", upload.file_name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upload::UploadMethod;

    fn upload(unique_keys: bool) -> ValidatedUpload {
        ValidatedUpload {
            type_name: "profile".into(),
            file_name: "avatar.jpg".into(),
            content_type: "image/jpeg".into(),
            size: None,
            method: UploadMethod::Put,
            max_bytes: 1,
            unique_keys,
        }
    }

    #[test]
    fn plain_and_unique_keys() {
        let user = UserId::new("user_2abc").unwrap();
        let id = UploadId::from_bytes([0xfb; 16]);
        assert_eq!(id.as_str(), "-_v7-_v7-_v7-_v7-_v7-w");
        assert_eq!(
            object_key("user-uploads", &user, &upload(false), Some(&id)),
            "user-uploads/user_2abc/profile/avatar.jpg"
        );
        assert_eq!(
            object_key("user-uploads", &user, &upload(true), Some(&id)),
            "user-uploads/user_2abc/profile/-_v7-_v7-_v7-_v7-_v7-w/avatar.jpg"
        );
    }

    #[test]
    fn random_ids_are_22_url_safe_characters_and_differ() {
        let a = UploadId::random().unwrap();
        let b = UploadId::random().unwrap();
        assert_ne!(a, b);
        for id in [&a, &b] {
            assert_eq!(id.as_str().len(), 22);
            assert!(id
                .as_str()
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        }
    }
}
