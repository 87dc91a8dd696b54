//! Uploads (docs/spec.md §2–§4): the upload policy and the request body.
//!
//! - [`policy`]: the policy table — the default one, or an operator's
//!   `UPLOAD_POLICY` JSON — validated before use;
//! - [`body`]: a JSON request body → a [`ValidatedUpload`] (type, file name,
//!   MIME type, optional exact size), or the first error in the contract's
//!   order;
//! - [`key`]: the object key, with a random folder for `uniqueKeys` types;
//! - [`method`]: PUT or POST, and the operator's method settings;
//! - [`signed`]: the signed answer for a validated upload;
//! - [`confirm`]: the confirmation request — its key, whose it is, the answer.

pub mod body;
pub mod confirm;
pub mod key;
pub mod method;
pub mod policy;
pub mod signed;

pub use body::{validate, ValidatedUpload, MAX_BODY_BYTES};
pub use key::{object_key, UploadId};
pub use method::{MethodRules, UploadMethod};
pub use policy::{
    Policy, PolicyError, TypeRule, DEFAULT_MAX_DIMENSION, MAX_DIMENSION, MAX_OBJECT_BYTES,
};
pub use signed::signed_upload;
