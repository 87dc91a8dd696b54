//! The S3 actions the Worker signs, one small file each (laid out like
//! rusty-s3's `actions/`), over the shared core: [`crate::sigv4::signing`]
//! (the memoized signing key) and [`crate::sigv4::query`] (the canonical
//! request and the query signer).
//!
//! - [`put_object`]: a pre-signed PUT URL ([`S3Target::presign`](crate::sigv4::S3Target::presign))
//! - [`post_object`]: a pre-signed POST form and its policy
//!   ([`S3Target::presign_post`](crate::sigv4::S3Target::presign_post))

pub mod post_object;
pub mod put_object;
