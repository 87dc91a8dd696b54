//! Uploads (docs/spec.md §2–§4): the upload policy and the request body.
//!
//! - [`policy`]: the policy table — the default one, or an operator's
//!   `UPLOAD_POLICY` JSON — validated before use;
//! - [`body`]: a JSON request body → a [`ValidatedUpload`] (type, file name,
//!   MIME type, optional exact size), or the first error in the contract's
//!   order;
//! - [`signed`]: the signed answer for a validated upload.

pub mod body;
pub mod policy;
pub mod signed;

pub use body::{validate, ValidatedUpload, MAX_BODY_BYTES};
pub use policy::{Policy, PolicyError, TypeRule, MAX_OBJECT_BYTES};
pub use signed::signed_upload;
