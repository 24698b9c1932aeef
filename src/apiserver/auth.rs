//! Authentication → authorization: who is asking, and may they. Admission lives with the
//! handlers (`admission.rs`) because it needs the object.
//!
//! The chain is explicit: the router authenticates every request (TLS client certificate, then
//! bearer token, else anonymous), refuses anonymous requests except to public paths, then asks the
//! configured [`Authorizer`]. RBAC slots in as another `Authorizer` without touching any handler.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use super::request::{ResourceRequest, Target};

/// The user a request acts as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInfo {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    pub fn new(name: &str, groups: &[&str]) -> Self {
        UserInfo {
            name: name.to_owned(),
            uid: String::new(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            extra: BTreeMap::new(),
        }
    }

    pub fn anonymous() -> Self {
        UserInfo::new("system:anonymous", &["system:unauthenticated"])
    }

    pub fn is_anonymous(&self) -> bool {
        self.name == "system:anonymous"
    }

    /// Adds `system:authenticated`, as upstream does for every authenticated user.
    pub fn authenticated(mut self) -> Self {
        if !self.groups.iter().any(|g| g == "system:authenticated") {
            self.groups.push("system:authenticated".to_owned());
        }
        self
    }
}

/// The identity proven at the connection level (TLS client certificate), attached to every request
/// of the connection by the listener; absent for in-process or anonymous connections.
#[derive(Clone, Debug)]
pub struct PeerIdentity(pub UserInfo);

/// Authenticates bearer tokens.
pub trait TokenAuthenticator: Send + Sync {
    fn authenticate(&self, token: &str) -> Option<UserInfo>;
}

/// Fixed tokens (the node join secret, tests). Cheap to update at run time.
#[derive(Default)]
pub struct StaticTokens {
    tokens: RwLock<HashMap<String, UserInfo>>,
}

impl StaticTokens {
    pub fn insert(&self, token: &str, user: UserInfo) {
        self.tokens
            .write()
            .expect("token table lock poisoned")
            .insert(token.to_owned(), user);
    }
}

impl TokenAuthenticator for StaticTokens {
    fn authenticate(&self, token: &str) -> Option<UserInfo> {
        self.tokens
            .read()
            .expect("token table lock poisoned")
            .get(token)
            .cloned()
    }
}

/// Tries several authenticators in order.
#[derive(Default, Clone)]
pub struct TokenChain(pub Vec<Arc<dyn TokenAuthenticator>>);

impl TokenAuthenticator for TokenChain {
    fn authenticate(&self, token: &str) -> Option<UserInfo> {
        self.0.iter().find_map(|a| a.authenticate(token))
    }
}

/// What an authorizer decides on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attributes<'a> {
    Resource(&'a ResourceRequest),
    NonResource { path: &'a str, verb: &'static str },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Denied, with the reason appended to the 403 message when non-empty.
    Deny(String),
}

pub trait Authorizer: Send + Sync {
    fn authorize(&self, user: &UserInfo, attrs: &Attributes<'_>) -> Decision;
}

/// Every authenticated user may do anything (until RBAC).
pub struct AllowAuthenticated;

impl Authorizer for AllowAuthenticated {
    fn authorize(&self, user: &UserInfo, _: &Attributes<'_>) -> Decision {
        if user.is_anonymous() {
            Decision::Deny(String::new())
        } else {
            Decision::Allow
        }
    }
}

/// Upstream's 403 message: `pods is forbidden: User "x" cannot list resource "pods" in API group
/// "" in the namespace "default"`.
pub fn forbidden_message(
    user: &UserInfo,
    target: &Target,
    attrs: &Attributes<'_>,
    reason: &str,
) -> String {
    let _ = target;
    let mut msg = match attrs {
        Attributes::Resource(r) => {
            let resource = match &r.subresource {
                Some(sub) => format!("{}/{sub}", r.resource),
                None => r.resource.clone(),
            };
            let subject = match &r.name {
                Some(name) => format!("{} {name:?}", r.resource),
                None => r.resource.clone(),
            };
            let scope = match &r.namespace {
                Some(ns) => format!(" in the namespace {ns:?}"),
                None => " at the cluster scope".to_owned(),
            };
            format!(
                "{subject} is forbidden: User {:?} cannot {} resource {resource:?} in API group {:?}{scope}",
                user.name,
                r.verb.as_str(),
                r.group
            )
        }
        Attributes::NonResource { path, verb } => {
            format!(
                "forbidden: User {:?} cannot {verb} path {path:?}",
                user.name
            )
        }
    };
    if !reason.is_empty() {
        msg.push_str(": ");
        msg.push_str(reason);
    }
    msg
}
