//! Discovery: `/version`, `/api`, `/apis`, `/apis/<group>`, `/api/v1`, `/apis/<group>/<version>`,
//! both aggregated (apidiscovery.k8s.io/v2, what current clients ask for first) and legacy.

use serde_json::{Value, json};

use crate::api::registry::{Registry, Resource, Shape};
use crate::version;

pub const AGGREGATED_V2: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
pub const AGGREGATED_V2BETA1: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

/// Which aggregated version the client accepts, if any (it lists them in preference order).
pub fn aggregated_requested(accept: Option<&str>) -> Option<&'static str> {
    let accept = accept?;
    for media in accept.split(',') {
        let m = media.replace(' ', "");
        if m.contains("as=APIGroupDiscoveryList") && m.contains("g=apidiscovery.k8s.io") {
            if m.contains("v=v2beta1") {
                return Some("v2beta1");
            }
            if m.contains("v=v2") {
                return Some("v2");
            }
        }
    }
    None
}

pub fn version_info() -> Value {
    json!({
        "major": version::KUBERNETES_MAJOR,
        "minor": version::KUBERNETES_MINOR,
        "gitVersion": version::git_version(),
        "gitCommit": "",
        "gitTreeState": "clean",
        "buildDate": "",
        "goVersion": "",
        "compiler": "rustc",
        "platform": format!("linux/{}", go_arch()),
    })
}

/// The architecture as Go and Kubernetes name it.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "arm" => "arm",
        "riscv64" => "riscv64",
        "s390x" => "s390x",
        "powerpc64" => "ppc64le",
        "x86" => "386",
        other => other,
    }
}

fn visible(r: &Resource) -> bool {
    // Review-style resources are in discovery too; everything we register is visible.
    let _ = r;
    true
}

/// One resource entry of aggregated discovery.
fn aggregated_resource(r: &Resource) -> Value {
    let mut entry = json!({
        "resource": r.plural,
        "responseKind": {"group": r.gvk.group, "version": r.gvk.version, "kind": r.gvk.kind},
        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
        "singularResource": r.singular,
        "verbs": r.verbs,
    });
    if !r.short_names.is_empty() {
        entry["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        entry["categories"] = json!(r.categories);
    }
    if !r.subresources.is_empty() {
        entry["subresources"] = r
            .subresources
            .iter()
            .map(|s| {
                json!({
                    "subresource": s.name,
                    "responseKind": {"group": s.gvk.group, "version": s.gvk.version, "kind": s.gvk.kind},
                    "verbs": s.verbs,
                })
            })
            .collect();
    }
    entry
}

fn aggregated_group(registry: &Registry, group: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            let resources: Vec<Value> = registry
                .resources_of(group, v)
                .into_iter()
                .filter(|r| visible(r))
                .map(|r| aggregated_resource(r))
                .collect();
            json!({"version": v, "resources": resources, "freshness": "Current"})
        })
        .collect();
    json!({"metadata": {"name": group, "creationTimestamp": null}, "versions": versions})
}

/// `/api` (core) or `/apis` (every other group) as an APIGroupDiscoveryList.
pub fn aggregated(registry: &Registry, core: bool, version: &str) -> Value {
    let items: Vec<Value> = registry
        .groups()
        .into_iter()
        .filter(|(g, _)| g.is_empty() == core)
        .map(|(g, versions)| aggregated_group(registry, &g, &versions))
        .collect();
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": format!("apidiscovery.k8s.io/{version}"),
        "metadata": {},
        "items": items,
    })
}

/// Legacy `/api`.
pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

fn group_entry(group: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    json!({"name": group, "versions": vs, "preferredVersion": vs.first().cloned().unwrap_or(Value::Null)})
}

/// Legacy `/apis`.
pub fn groups(registry: &Registry) -> Value {
    let groups: Vec<Value> = registry
        .groups()
        .into_iter()
        .filter(|(g, _)| !g.is_empty())
        .map(|(g, versions)| group_entry(&g, &versions))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// Legacy `/apis/<group>`.
pub fn group(registry: &Registry, name: &str) -> Option<Value> {
    let (g, versions) = registry
        .groups()
        .into_iter()
        .find(|(g, _)| g == name && !g.is_empty())?;
    let mut entry = group_entry(&g, &versions);
    entry["kind"] = json!("APIGroup");
    entry["apiVersion"] = json!("v1");
    Some(entry)
}

/// Legacy `/api/v1` and `/apis/<group>/<version>`.
pub fn resource_list(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    let resources = registry.resources_of(group, version);
    if resources.is_empty() {
        return None;
    }
    let mut list = Vec::new();
    for r in resources.into_iter().filter(|r| visible(r)) {
        let mut entry = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.gvk.kind,
            "verbs": r.verbs,
        });
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            entry["categories"] = json!(r.categories);
        }
        if r.shape == Shape::Stored {
            entry["storageVersionHash"] = json!(storage_version_hash(r));
        }
        list.push(entry);
        for s in &r.subresources {
            let mut sub = json!({
                "name": format!("{}/{}", r.plural, s.name),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": s.gvk.kind,
                "verbs": s.verbs,
            });
            if s.gvk.group != r.gvk.group || s.gvk.version != r.gvk.version {
                sub["group"] = json!(s.gvk.group);
                sub["version"] = json!(s.gvk.version);
            }
            list.push(sub);
        }
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    Some(
        json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": list}),
    )
}

/// A short stable hash of where and how a resource is stored (clients use it to notice changes).
fn storage_version_hash(r: &Resource) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha256};
    let digest =
        Sha256::digest(format!("{}/{}/{}", r.gvk.group, r.storage_version, r.gvk.kind).as_bytes());
    base64::engine::general_purpose::STANDARD.encode(&digest[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregated_discovery_has_response_kinds_and_categories() {
        let reg = Registry::built_in();
        let core = aggregated(&reg, true, "v2");
        assert_eq!(core["items"].as_array().unwrap().len(), 1);
        let v1 = &core["items"][0]["versions"][0];
        let pods = v1["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "pods")
            .unwrap();
        assert_eq!(pods["responseKind"]["kind"], "Pod");
        assert_eq!(pods["categories"], json!(["all"]));
        assert_eq!(pods["shortNames"], json!(["po"]));
        let apis = aggregated(&reg, false, "v2");
        let apps = apis["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["metadata"]["name"] == "apps")
            .unwrap();
        let deploy = apps["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "deployments")
            .unwrap();
        let scale = deploy["subresources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["subresource"] == "scale")
            .unwrap();
        assert_eq!(scale["responseKind"]["group"], "autoscaling");
    }

    #[test]
    fn accept_negotiation() {
        let kubectl = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
        assert_eq!(aggregated_requested(Some(kubectl)), Some("v2"));
        assert_eq!(aggregated_requested(Some("application/json")), None);
    }

    #[test]
    fn legacy_lists() {
        let reg = Registry::built_in();
        let v1 = resource_list(&reg, "", "v1").unwrap();
        let names: Vec<&str> = v1["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert!(names.contains(&"pods/log") && names.contains(&"pods/status"));
        let apps = group(&reg, "apps").unwrap();
        assert_eq!(apps["preferredVersion"]["groupVersion"], "apps/v1");
        let autoscaling = group(&reg, "autoscaling").unwrap();
        assert_eq!(autoscaling["preferredVersion"]["version"], "v2");
        assert!(group(&reg, "nope").is_none());
    }
}
