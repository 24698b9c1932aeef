//! What a request is about, from its method, path and query (upstream's `RequestInfo`).

use http::Method;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
    DeleteCollection,
}

impl Verb {
    /// The verb as RBAC and discovery spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
            Verb::DeleteCollection => "deletecollection",
        }
    }
}

/// A request for a resource (or one of its subresources).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceRequest {
    pub verb: Verb,
    pub group: String,
    pub version: String,
    pub namespace: Option<String>,
    pub resource: String,
    pub name: Option<String>,
    pub subresource: Option<String>,
    /// Path after the subresource (`proxy/<path>`).
    pub rest: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Version,
    Health(&'static str),
    OpenApiV3Index,
    OpenApiV3(String),
    OpenApiV2,
    /// `/api`
    CoreVersions,
    /// `/apis`
    Groups,
    /// `/apis/<group>`
    Group(String),
    /// `/api/v1`, `/apis/<group>/<version>`
    ResourceList {
        group: String,
        version: String,
    },
    Resource(ResourceRequest),
    NotFound,
}

impl Target {
    /// Requests anyone may make, authenticated or not.
    pub fn is_public(&self) -> bool {
        matches!(self, Target::Version | Target::Health(_))
    }
}

fn query_flag(query: Option<&str>, name: &str) -> bool {
    query
        .into_iter()
        .flat_map(|q| form_urlencoded::parse(q.as_bytes()))
        .any(|(k, v)| k == name && (v == "true" || v == "1"))
}

/// Resources whose name appears right after `namespaces/<name>/`.
const NAMESPACE_SUBRESOURCES: &[&str] = &["status", "finalize"];

pub fn parse(method: &Method, path: &str, query: Option<&str>) -> Target {
    let trimmed = path.trim_matches('/');
    let parts: Vec<&str> = if trimmed.is_empty() {
        Vec::new()
    } else {
        trimmed.split('/').collect()
    };
    match parts.as_slice() {
        ["version"] => return Target::Version,
        ["healthz"] => return Target::Health("healthz"),
        ["livez"] => return Target::Health("livez"),
        ["readyz"] => return Target::Health("readyz"),
        [h, _] if ["healthz", "livez", "readyz"].contains(h) => {
            return Target::Health(match *h {
                "healthz" => "healthz",
                "livez" => "livez",
                _ => "readyz",
            });
        }
        ["openapi", "v3"] => return Target::OpenApiV3Index,
        ["openapi", "v3", rest @ ..] => return Target::OpenApiV3(rest.join("/")),
        ["openapi", "v2"] => return Target::OpenApiV2,
        ["api"] => return Target::CoreVersions,
        ["apis"] => return Target::Groups,
        ["apis", group] => return Target::Group(group.to_string()),
        ["api", version] => {
            return Target::ResourceList {
                group: String::new(),
                version: version.to_string(),
            };
        }
        ["apis", group, version] => {
            return Target::ResourceList {
                group: group.to_string(),
                version: version.to_string(),
            };
        }
        _ => {}
    }
    let (group, version, rest) = match parts.as_slice() {
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Target::NotFound,
    };
    let mut namespace = None;
    let mut rest: &[&str] = rest;
    if rest.first() == Some(&"namespaces") && rest.len() >= 2 {
        if rest.len() >= 3 && !NAMESPACE_SUBRESOURCES.contains(&rest[2]) {
            namespace = Some(rest[1].to_owned());
            rest = &rest[2..];
        }
        // Otherwise: the namespace object itself (`namespaces/<name>[/status|finalize]`).
    }
    let Some((&resource, tail)) = rest.split_first() else {
        return Target::NotFound;
    };
    let name = tail.first().map(|s| s.to_string());
    let subresource = tail.get(1).map(|s| s.to_string());
    let rest_path = (tail.len() > 2).then(|| tail[2..].join("/"));
    let verb = match (method, &name) {
        (&Method::GET | &Method::HEAD, None) if query_flag(query, "watch") => Verb::Watch,
        (&Method::GET | &Method::HEAD, Some(_))
            if query_flag(query, "watch") && subresource.is_none() =>
        {
            Verb::Watch
        }
        (&Method::GET | &Method::HEAD, None) => Verb::List,
        (&Method::GET | &Method::HEAD, Some(_)) => Verb::Get,
        (&Method::POST, _) => Verb::Create,
        (&Method::PUT, _) => Verb::Update,
        (&Method::PATCH, _) => Verb::Patch,
        (&Method::DELETE, None) => Verb::DeleteCollection,
        (&Method::DELETE, Some(_)) => Verb::Delete,
        _ => return Target::NotFound,
    };
    Target::Resource(ResourceRequest {
        verb,
        group: group.to_owned(),
        version: version.to_owned(),
        namespace,
        resource: resource.to_owned(),
        name,
        subresource,
        rest: rest_path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(method: Method, path: &str, query: Option<&str>) -> ResourceRequest {
        match parse(&method, path, query) {
            Target::Resource(r) => r,
            other => panic!("{path}: {other:?}"),
        }
    }

    #[test]
    fn paths() {
        assert_eq!(parse(&Method::GET, "/version", None), Target::Version);
        assert_eq!(parse(&Method::GET, "/apis", None), Target::Groups);
        assert_eq!(
            parse(&Method::GET, "/apis/apps", None),
            Target::Group("apps".into())
        );
        assert_eq!(
            parse(&Method::GET, "/api/v1", None),
            Target::ResourceList {
                group: "".into(),
                version: "v1".into()
            }
        );
        assert_eq!(
            parse(&Method::GET, "/openapi/v3/apis/apps/v1", None),
            Target::OpenApiV3("apis/apps/v1".into())
        );

        let r = res(
            Method::GET,
            "/api/v1/namespaces/default/pods",
            Some("limit=500"),
        );
        assert_eq!(
            (r.verb, r.namespace.as_deref(), r.resource.as_str(), r.name),
            (Verb::List, Some("default"), "pods", None)
        );
        let r = res(
            Method::GET,
            "/api/v1/pods",
            Some("watch=true&resourceVersion=5"),
        );
        assert_eq!((r.verb, r.namespace), (Verb::Watch, None));
        let r = res(Method::GET, "/api/v1/namespaces/kube-system", None);
        assert_eq!(
            (r.verb, r.resource.as_str(), r.name.as_deref(), r.namespace),
            (Verb::Get, "namespaces", Some("kube-system"), None)
        );
        let r = res(Method::PUT, "/api/v1/namespaces/x/finalize", None);
        assert_eq!(
            (
                r.resource.as_str(),
                r.name.as_deref(),
                r.subresource.as_deref()
            ),
            ("namespaces", Some("x"), Some("finalize"))
        );
        let r = res(
            Method::PATCH,
            "/apis/apps/v1/namespaces/d/deployments/web/scale",
            None,
        );
        assert_eq!(
            (r.verb, r.group.as_str(), r.subresource.as_deref()),
            (Verb::Patch, "apps", Some("scale"))
        );
        let r = res(Method::DELETE, "/api/v1/namespaces/d/configmaps", None);
        assert_eq!(r.verb, Verb::DeleteCollection);
        let r = res(Method::GET, "/api/v1/namespaces/d/pods/p/proxy/a/b", None);
        assert_eq!(
            (r.subresource.as_deref(), r.rest.as_deref()),
            (Some("proxy"), Some("a/b"))
        );
        let r = res(
            Method::GET,
            "/api/v1/namespaces/d/pods/p/log",
            Some("follow=true"),
        );
        assert_eq!(r.verb, Verb::Get);
        assert_eq!(parse(&Method::GET, "/foo", None), Target::NotFound);
    }
}
