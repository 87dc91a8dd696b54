//! RS256 through the runtime's WebCrypto (`crypto.subtle.verify`,
//! RSASSA-PKCS1-v1_5 / SHA-256): ~20× cheaper in workerd than pure-Rust RSA
//! in wasm, and keeps the bignum code out of the module. Imported keys are
//! kept per isolate, so each key is imported once.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto, WorkerGlobalScope};

use super::jwks::RsaPublicKey;
use super::token::SignatureVerifier;

thread_local! {
    /// Imported keys by modulus ‖ exponent.
    static IMPORTED: RefCell<HashMap<Vec<u8>, CryptoKey>> = RefCell::new(HashMap::new());
}

/// The WebCrypto-backed verifier used at the edge.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct WebCryptoVerifier;

fn subtle() -> Option<SubtleCrypto> {
    let scope: WorkerGlobalScope = js_sys::global().unchecked_into();
    scope.crypto().ok().map(|c| c.subtle())
}

fn algorithm() -> Result<Object, JsValue> {
    let alg = Object::new();
    Reflect::set(&alg, &"name".into(), &"RSASSA-PKCS1-v1_5".into())?;
    Reflect::set(&alg, &"hash".into(), &"SHA-256".into())?;
    Ok(alg)
}

async fn import(subtle: &SubtleCrypto, key: &RsaPublicKey) -> Result<CryptoKey, JsValue> {
    let cache_key: Vec<u8> = key.n.iter().chain(key.e.iter()).copied().collect();
    if let Some(k) = IMPORTED.with(|m| m.borrow().get(&cache_key).cloned()) {
        return Ok(k);
    }
    let (n, e) = key.jwk_components();
    let jwk = Object::new();
    Reflect::set(&jwk, &"kty".into(), &"RSA".into())?;
    Reflect::set(&jwk, &"n".into(), &n.into())?;
    Reflect::set(&jwk, &"e".into(), &e.into())?;
    Reflect::set(&jwk, &"alg".into(), &"RS256".into())?;
    Reflect::set(&jwk, &"ext".into(), &true.into())?;
    let usages = Array::of1(&"verify".into());
    let promise = subtle.import_key_with_object("jwk", &jwk, &algorithm()?, false, &usages)?;
    let imported: CryptoKey = JsFuture::from(promise).await?.dyn_into()?;
    IMPORTED.with(|m| m.borrow_mut().insert(cache_key, imported.clone()));
    Ok(imported)
}

impl SignatureVerifier for WebCryptoVerifier {
    async fn verify_rs256(&self, key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool {
        let Some(subtle) = subtle() else {
            return false;
        };
        let result: Result<JsValue, JsValue> = async {
            let crypto_key = import(&subtle, key).await?;
            let promise = subtle.verify_with_object_and_u8_array_and_u8_array(
                &algorithm()?,
                &crypto_key,
                signature,
                message,
            )?;
            JsFuture::from(promise).await
        }
        .await;
        // Any failure (unimportable key, malformed signature) is "not valid".
        result.is_ok_and(|v| v.as_bool() == Some(true))
    }
}
