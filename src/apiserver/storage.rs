//! Objects in the datastore: keys, encoding, resourceVersion = revision.
//!
//! Objects are stored as JSON in their resource's storage version, without `resourceVersion`
//! (it is the row's revision, set on read, as upstream's etcd3 store does).

use std::sync::Arc;

use bytes::Bytes;
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use crate::api::meta;
use crate::api::registry::Resource;
use crate::store::{Backend, ContinueToken, KeyValue, ListRequest, Revision};

#[derive(Clone)]
pub struct Storage {
    backend: Arc<dyn Backend>,
}

/// A page of a list.
pub struct Page {
    pub items: Vec<Value>,
    pub revision: Revision,
    pub continue_token: Option<String>,
    pub remaining: Option<u64>,
}

impl Storage {
    pub fn new(backend: Arc<dyn Backend>) -> Self {
        Storage { backend }
    }

    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }

    pub fn encode(obj: &Value) -> Bytes {
        let mut obj = obj.clone();
        if let Some(m) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("resourceVersion");
            m.remove("selfLink");
        }
        Bytes::from(serde_json::to_vec(&obj).expect("JSON values always serialise"))
    }

    pub fn decode(kv: &KeyValue) -> ApiResult<Value> {
        let mut obj: Value = serde_json::from_slice(&kv.value).map_err(|e| {
            ApiError::internal(format!("stored object {} is not valid JSON: {e}", kv.key))
        })?;
        meta::set(&mut obj, "resourceVersion", kv.mod_revision.to_string());
        Ok(obj)
    }

    pub async fn get(
        &self,
        res: &Resource,
        ns: Option<&str>,
        name: &str,
    ) -> ApiResult<Option<Value>> {
        let got = self
            .backend
            .get(&res.key(ns, name), None)
            .await
            .map_err(|e| ApiError::from_store(e, res, name))?;
        got.kv.as_ref().map(Storage::decode).transpose()
    }

    pub async fn must_get(&self, res: &Resource, ns: Option<&str>, name: &str) -> ApiResult<Value> {
        self.get(res, ns, name)
            .await?
            .ok_or_else(|| ApiError::not_found(res, name))
    }

    /// One page of objects under the resource (and namespace), in key order.
    pub async fn list(
        &self,
        res: &Resource,
        ns: Option<&str>,
        limit: usize,
        continue_token: Option<&str>,
        revision: Option<Revision>,
    ) -> ApiResult<Page> {
        let token = continue_token
            .filter(|t| !t.is_empty())
            .map(ContinueToken::decode)
            .transpose()
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        let req = ListRequest {
            prefix: res.key_prefix(ns),
            revision,
            limit,
            continue_token: token,
        };
        let result = self.backend.list(req).await.map_err(|e| match e {
            crate::store::StoreError::Compacted { .. } if continue_token.is_some() => ApiError::expired(
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
            ),
            e => ApiError::from_store(e, res, ""),
        })?;
        let items = result
            .kvs
            .iter()
            .map(Storage::decode)
            .collect::<ApiResult<Vec<_>>>()?;
        Ok(Page {
            items,
            revision: result.revision,
            remaining: result.continue_token.as_ref().map(|_| result.remaining),
            continue_token: result.continue_token.map(|t| t.encode()),
        })
    }

    pub async fn create(
        &self,
        res: &Resource,
        ns: Option<&str>,
        name: &str,
        obj: &Value,
    ) -> ApiResult<Value> {
        let kv = self
            .backend
            .create(&res.key(ns, name), Storage::encode(obj))
            .await
            .map_err(|e| ApiError::from_store(e, res, name))?;
        let mut out = obj.clone();
        meta::set(&mut out, "resourceVersion", kv.mod_revision.to_string());
        Ok(out)
    }

    /// Compare-and-swap on the revision the object was read at.
    pub async fn update(
        &self,
        res: &Resource,
        ns: Option<&str>,
        name: &str,
        obj: &Value,
        expected: Revision,
    ) -> ApiResult<Value> {
        let kv = self
            .backend
            .update(&res.key(ns, name), Storage::encode(obj), expected)
            .await
            .map_err(|e| ApiError::from_store(e, res, name))?;
        let mut out = obj.clone();
        meta::set(&mut out, "resourceVersion", kv.mod_revision.to_string());
        Ok(out)
    }

    pub async fn delete(
        &self,
        res: &Resource,
        ns: Option<&str>,
        name: &str,
        expected: Option<Revision>,
    ) -> ApiResult<Value> {
        let (_, kv) = self
            .backend
            .delete(&res.key(ns, name), expected)
            .await
            .map_err(|e| ApiError::from_store(e, res, name))?;
        Storage::decode(&kv)
    }
}

/// The revision an object was read at.
pub fn revision_of(obj: &Value) -> ApiResult<Revision> {
    parse_resource_version(meta::resource_version(obj))
}

pub fn parse_resource_version(rv: &str) -> ApiResult<Revision> {
    rv.parse::<Revision>()
        .map_err(|_| ApiError::bad_request(format!("invalid resource version {rv:?}")))
}
