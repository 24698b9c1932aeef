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

    /// Serialises an object for storage: `metadata` first and without `resourceVersion`, so that
    /// reads can splice the revision in without parsing ([`Storage::raw_with_revision`]).
    pub fn encode(obj: &Value) -> Bytes {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(b"{\"metadata\":");
        match obj.get("metadata").and_then(Value::as_object) {
            Some(m) => {
                let mut m = m.clone();
                m.remove("resourceVersion");
                m.remove("selfLink");
                serde_json::to_writer(&mut out, &m).expect("JSON values always serialise");
            }
            None => out.extend_from_slice(b"{}"),
        }
        if let Some(fields) = obj.as_object() {
            for (k, v) in fields.iter().filter(|(k, _)| k.as_str() != "metadata") {
                out.push(b',');
                serde_json::to_writer(&mut out, k).expect("strings serialise");
                out.push(b':');
                serde_json::to_writer(&mut out, v).expect("JSON values always serialise");
            }
        }
        out.push(b'}');
        Bytes::from(out)
    }

    /// The stored bytes with `metadata.resourceVersion` set, without parsing; `None` for objects
    /// stored in another layout.
    pub fn raw_with_revision(value: &[u8], revision: Revision) -> Option<Vec<u8>> {
        const PREFIX: &[u8] = b"{\"metadata\":{";
        let rest = value.strip_prefix(PREFIX)?;
        let mut out = Vec::with_capacity(value.len() + 40);
        out.extend_from_slice(PREFIX);
        out.extend_from_slice(b"\"resourceVersion\":\"");
        out.extend_from_slice(revision.to_string().as_bytes());
        out.push(b'"');
        if rest.first() != Some(&b'}') {
            out.push(b',');
        }
        out.extend_from_slice(rest);
        Some(out)
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
    /// A page of raw stored objects (for responses that need no parsing).
    pub async fn list_raw(
        &self,
        res: &Resource,
        ns: Option<&str>,
        limit: usize,
        continue_token: Option<&str>,
        revision: Option<Revision>,
    ) -> ApiResult<crate::store::ListResult> {
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
        self.backend.list(req).await.map_err(|e| match e {
            crate::store::StoreError::Compacted { .. } if continue_token.is_some() => {
                ApiError::expired(CONTINUE_EXPIRED)
            }
            e => ApiError::from_store(e, res, ""),
        })
    }

    pub async fn list(
        &self,
        res: &Resource,
        ns: Option<&str>,
        limit: usize,
        continue_token: Option<&str>,
        revision: Option<Revision>,
    ) -> ApiResult<Page> {
        let result = self
            .list_raw(res, ns, limit, continue_token, revision)
            .await?;
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

const CONTINUE_EXPIRED: &str = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";

/// The revision an object was read at.
pub fn revision_of(obj: &Value) -> ApiResult<Revision> {
    parse_resource_version(meta::resource_version(obj))
}

pub fn parse_resource_version(rv: &str) -> ApiResult<Revision> {
    rv.parse::<Revision>()
        .map_err(|_| ApiError::bad_request(format!("invalid resource version {rv:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spliced_revision_equals_parsed_revision() {
        for obj in [
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "resourceVersion": "9"}, "data": {"x": "\"metadata\":{"}}),
            json!({"kind": "X", "metadata": {}}),
            json!({"spec": {"template": {"metadata": {"labels": {"a": "b"}}}}, "metadata": {"name": "d"}}),
        ] {
            let stored = Storage::encode(&obj);
            let spliced: Value =
                serde_json::from_slice(&Storage::raw_with_revision(&stored, 42).unwrap()).unwrap();
            let kv = KeyValue {
                key: "/k".into(),
                create_revision: 1,
                mod_revision: 42,
                value: stored,
            };
            assert_eq!(spliced, Storage::decode(&kv).unwrap());
            assert_eq!(spliced["metadata"]["resourceVersion"], "42");
        }
        assert!(Storage::raw_with_revision(br#"{"kind":"X","metadata":{}}"#, 1).is_none());
    }
}
