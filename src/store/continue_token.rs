//! Continue tokens for paged lists, shaped like upstream's (`base64(json{v, rv, start})`) so the
//! API server can hand them to clients unchanged.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE;
use serde::{Deserialize, Serialize};

use super::{Revision, StoreError};

/// Where a paged list resumes: the revision it is pinned to and the last key already returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContinueToken {
    pub revision: Revision,
    /// The last key returned; the next page starts strictly after it.
    pub start_after: String,
}

#[derive(Serialize, Deserialize)]
struct Wire {
    v: String,
    rv: Revision,
    start: String,
}

const VERSION: &str = "meta.k8s.io/v1";

impl ContinueToken {
    pub fn encode(&self) -> String {
        // Upstream's "start" is the first key of the next page: the last key plus a NUL byte.
        let wire = Wire {
            v: VERSION.to_owned(),
            rv: self.revision,
            start: format!("{}\u{0}", self.start_after),
        };
        URL_SAFE.encode(serde_json::to_vec(&wire).expect("serialising plain strings cannot fail"))
    }

    pub fn decode(token: &str) -> Result<Self, StoreError> {
        let invalid = |reason: &str| StoreError::InvalidContinue {
            reason: reason.to_owned(),
        };
        let raw = URL_SAFE.decode(token).map_err(|_| invalid("not base64"))?;
        let wire: Wire =
            serde_json::from_slice(&raw).map_err(|_| invalid("not a continue token"))?;
        if wire.v != VERSION {
            return Err(invalid("unsupported version"));
        }
        if wire.rv <= 0 {
            return Err(invalid("missing resource version"));
        }
        let start_after = wire
            .start
            .strip_suffix('\u{0}')
            .ok_or_else(|| invalid("malformed start key"))?
            .to_owned();
        Ok(ContinueToken {
            revision: wire.rv,
            start_after,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let t = ContinueToken {
            revision: 42,
            start_after: "/registry/pods/default/a".into(),
        };
        assert_eq!(ContinueToken::decode(&t.encode()).unwrap(), t);
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "",
            "!!!",
            "e30=",
            &URL_SAFE.encode(br#"{"v":"x","rv":1,"start":"a\u0000"}"#),
        ] {
            assert!(matches!(
                ContinueToken::decode(bad),
                Err(StoreError::InvalidContinue { .. })
            ));
        }
    }
}
