//! A container's environment as the kubelet builds it: `envFrom` (ConfigMaps and Secrets,
//! with prefixes; keys that are not valid variable names skipped and reported), then `env` in
//! order (`$(VAR)` references expanded, `valueFrom` resolved: ConfigMap and Secret keys,
//! the downward API's `fieldRef` and `resourceFieldRef`), then the Service variables of the
//! namespace (`enableServiceLinks`) for names not already set. `command` and `args` are
//! expanded against the result.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::{
    Container, ObjectFieldSelector, Pod, ResourceFieldSelector, Service,
};

use crate::api::quantity::Quantity;
use crate::api::validation::names::is_env_var_name;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvError {
    #[error("configmap \"{0}\" not found")]
    ConfigMapNotFound(String),
    #[error("secret \"{0}\" not found")]
    SecretNotFound(String),
    #[error("couldn't find key {key} in ConfigMap {namespace}/{name}")]
    ConfigMapKey {
        key: String,
        namespace: String,
        name: String,
    },
    #[error("couldn't find key {key} in Secret {namespace}/{name}")]
    SecretKey {
        key: String,
        namespace: String,
        name: String,
    },
    #[error("couldn't get {what}: {message}")]
    Source { what: String, message: String },
    #[error("unsupported fieldPath: {0}")]
    FieldPath(String),
    #[error("unsupported container resource : {0}")]
    Resource(String),
    #[error("container {0} not found in the pod")]
    NoSuchContainer(String),
    #[error("invalid quantity {value:?} for {what}")]
    Quantity { what: String, value: String },
}

/// Where ConfigMaps and Secrets of the pod's namespace come from (the kubelet's caches).
/// `Ok(None)` is "not found"; `Err` any other failure.
pub trait Sources {
    fn config_map(&self, name: &str) -> Result<Option<BTreeMap<String, String>>, String>;
    fn secret(&self, name: &str) -> Result<Option<BTreeMap<String, Vec<u8>>>, String>;
}

/// What the node knows that the pod object may not say yet.
#[derive(Clone, Debug)]
pub struct Runtime<'a> {
    pub pod_ips: &'a [String],
    pub host_ips: &'a [String],
    /// The node's allocatable resources, standing in for limits a container does not set.
    pub allocatable: &'a BTreeMap<String, Quantity>,
}

/// A warning to record as an Event on the pod (`InvalidEnvironmentVariableNames`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub reason: &'static str,
    pub message: String,
}

/// The environment, in order (envFrom keys, then env as declared, then Service variables).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    pub vars: Vec<(String, String)>,
    pub warnings: Vec<Warning>,
}

/// An insertion-ordered map: a later definition replaces the value, keeping the first place.
#[derive(Default)]
struct Ordered {
    vars: Vec<(String, String)>,
    index: HashMap<String, usize>,
}

impl Ordered {
    fn set(&mut self, name: String, value: String) {
        match self.index.get(&name) {
            Some(&i) => self.vars[i].1 = value,
            None => {
                self.index.insert(name.clone(), self.vars.len());
                self.vars.push((name, value));
            }
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.index.get(name).map(|&i| self.vars[i].1.as_str())
    }
}

/// Expands `$(VAR)` references as Kubernetes does: a defined variable is replaced, an
/// undefined one is left as written, `$$` is a literal `$` (so `$$(VAR)` is the text
/// `$(VAR)`), and any other `$` stays.
pub fn expand(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(input.len());
    let mut checkpoint = 0;
    let mut cursor = 0;
    while cursor < bytes.len() {
        if bytes[cursor] == b'$' && cursor + 1 < bytes.len() {
            out.push_str(&input[checkpoint..cursor]);
            let rest = &input[cursor + 1..];
            let advance = match rest.as_bytes()[0] {
                b'$' => {
                    out.push('$');
                    1
                }
                b'(' => match rest.find(')') {
                    Some(end) => {
                        let name = &rest[1..end];
                        match lookup(name) {
                            Some(v) => out.push_str(&v),
                            None => {
                                out.push_str("$(");
                                out.push_str(name);
                                out.push(')');
                            }
                        }
                        end + 1
                    }
                    None => {
                        out.push_str("$(");
                        1
                    }
                },
                _ => {
                    // `$` and the next character as they are (whole, if it is multi-byte).
                    let c = rest.chars().next().expect("not empty");
                    out.push('$');
                    out.push(c);
                    c.len_utf8()
                }
            };
            cursor += advance + 1;
            checkpoint = cursor;
        } else {
            cursor += 1;
        }
    }
    out.push_str(&input[checkpoint..]);
    out
}

/// The variables a pod gets for each Service of its namespace (and the master's `kubernetes`
/// Service, which the caller includes), as docker links named them. Services without a
/// cluster IP (headless, ExternalName) give none.
pub fn service_env(services: &[Service]) -> Vec<(String, String)> {
    let mut services: Vec<&Service> = services.iter().collect();
    services.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    let mut vars = Vec::new();
    for svc in services {
        let Some(spec) = &svc.spec else { continue };
        let ip = spec.cluster_ip.as_deref().unwrap_or("");
        if ip.is_empty() || ip == "None" {
            continue;
        }
        let name = svc
            .metadata
            .name
            .as_deref()
            .unwrap_or("")
            .to_uppercase()
            .replace('-', "_");
        let ports = spec.ports.as_deref().unwrap_or(&[]);
        let Some(first) = ports.first() else { continue };
        vars.push((format!("{name}_SERVICE_HOST"), ip.to_owned()));
        vars.push((format!("{name}_SERVICE_PORT"), first.port.to_string()));
        for p in ports {
            if let Some(pname) = p.name.as_deref().filter(|n| !n.is_empty()) {
                let pname = pname.to_uppercase().replace('-', "_");
                vars.push((format!("{name}_SERVICE_PORT_{pname}"), p.port.to_string()));
            }
        }
        let proto = |p: &k8s_openapi::api::core::v1::ServicePort| {
            p.protocol.clone().unwrap_or_else(|| "TCP".to_owned())
        };
        vars.push((
            format!("{name}_PORT"),
            format!("{}://{ip}:{}", proto(first).to_lowercase(), first.port),
        ));
        for p in ports {
            let proto = proto(p);
            let prefix = format!("{name}_PORT_{}_{}", p.port, proto.to_uppercase());
            vars.push((
                prefix.clone(),
                format!("{}://{ip}:{}", proto.to_lowercase(), p.port),
            ));
            vars.push((format!("{prefix}_PROTO"), proto.to_lowercase()));
            vars.push((format!("{prefix}_PORT"), p.port.to_string()));
            vars.push((format!("{prefix}_ADDR"), ip.to_owned()));
        }
    }
    vars
}

/// The value of a downward-API field for environment variables.
pub fn field_value(
    pod: &Pod,
    selector: &ObjectFieldSelector,
    runtime: &Runtime<'_>,
) -> Result<String, EnvError> {
    let path = selector.field_path.as_str();
    let meta = &pod.metadata;
    let spec = pod.spec.as_ref();
    let subscript = |prefix: &str| -> Option<String> {
        let rest = path.strip_prefix(prefix)?.strip_suffix("']")?;
        Some(rest.to_owned())
    };
    Ok(match path {
        "metadata.name" => meta.name.clone().unwrap_or_default(),
        "metadata.namespace" => meta.namespace.clone().unwrap_or_default(),
        "metadata.uid" => meta.uid.clone().unwrap_or_default(),
        "spec.nodeName" => spec.and_then(|s| s.node_name.clone()).unwrap_or_default(),
        "spec.serviceAccountName" => spec
            .and_then(|s| s.service_account_name.clone())
            .unwrap_or_default(),
        "status.podIP" => runtime.pod_ips.first().cloned().unwrap_or_default(),
        "status.podIPs" => runtime.pod_ips.join(","),
        "status.hostIP" => runtime.host_ips.first().cloned().unwrap_or_default(),
        "status.hostIPs" => runtime.host_ips.join(","),
        _ => {
            if let Some(key) = subscript("metadata.labels['") {
                meta.labels
                    .as_ref()
                    .and_then(|l| l.get(&key).cloned())
                    .unwrap_or_default()
            } else if let Some(key) = subscript("metadata.annotations['") {
                meta.annotations
                    .as_ref()
                    .and_then(|a| a.get(&key).cloned())
                    .unwrap_or_default()
            } else {
                return Err(EnvError::FieldPath(path.to_owned()));
            }
        }
    })
}

/// The value of a container resource for the downward API: the quantity divided by the
/// divisor (default 1), rounded up; a limit the container does not set is the node's
/// allocatable amount.
pub fn resource_value(
    pod: &Pod,
    container: &Container,
    selector: &ResourceFieldSelector,
    runtime: &Runtime<'_>,
) -> Result<String, EnvError> {
    let container = match selector.container_name.as_deref().filter(|n| !n.is_empty()) {
        None => container,
        Some(name) => pod
            .spec
            .iter()
            .flat_map(|s| {
                s.containers
                    .iter()
                    .chain(s.init_containers.iter().flatten())
            })
            .find(|c| c.name == name)
            .ok_or_else(|| EnvError::NoSuchContainer(name.to_owned()))?,
    };
    let (kind, resource) = selector
        .resource
        .split_once('.')
        .ok_or_else(|| EnvError::Resource(selector.resource.clone()))?;
    if !matches!(resource, "cpu" | "memory" | "ephemeral-storage")
        && !resource.starts_with("hugepages-")
    {
        return Err(EnvError::Resource(selector.resource.clone()));
    }
    let quantity = |q: &k8s_openapi::apimachinery::pkg::api::resource::Quantity| {
        Quantity::parse(&q.0).map_err(|_| EnvError::Quantity {
            what: selector.resource.clone(),
            value: q.0.clone(),
        })
    };
    let resources = container.resources.as_ref();
    let limit = resources
        .and_then(|r| r.limits.as_ref())
        .and_then(|l| l.get(resource));
    let request = resources
        .and_then(|r| r.requests.as_ref())
        .and_then(|l| l.get(resource));
    let value = match kind {
        "limits" => match limit {
            Some(q) => quantity(q)?,
            None => runtime
                .allocatable
                .get(resource)
                .cloned()
                .unwrap_or_else(|| Quantity::from_milli(0)),
        },
        "requests" => match request {
            Some(q) => quantity(q)?,
            None => Quantity::from_milli(0),
        },
        _ => return Err(EnvError::Resource(selector.resource.clone())),
    };
    let divisor = match &selector.divisor {
        Some(d) => quantity(d)?,
        None => Quantity::from_milli(1000),
    };
    let result = if resource == "cpu" {
        let d = divisor.milli_value().max(1);
        let m = value.milli_value();
        (m + d - 1).div_euclid(d)
    } else {
        let d = divisor.value().max(1);
        let v = value.value();
        (v + d - 1).div_euclid(d)
    };
    Ok(result.to_string())
}

/// Builds the container's environment.
pub fn environment(
    pod: &Pod,
    container: &Container,
    sources: &dyn Sources,
    service_vars: &[(String, String)],
    runtime: &Runtime<'_>,
) -> Result<Environment, EnvError> {
    let namespace = pod.metadata.namespace.clone().unwrap_or_default();
    let mut config_maps: HashMap<String, Option<BTreeMap<String, String>>> = HashMap::new();
    let mut secrets: HashMap<String, Option<BTreeMap<String, Vec<u8>>>> = HashMap::new();
    let mut config_map = |name: &str| -> Result<Option<BTreeMap<String, String>>, EnvError> {
        if let Some(c) = config_maps.get(name) {
            return Ok(c.clone());
        }
        let c = sources
            .config_map(name)
            .map_err(|message| EnvError::Source {
                what: format!("configMap {namespace}/{name}"),
                message,
            })?;
        config_maps.insert(name.to_owned(), c.clone());
        Ok(c)
    };
    let mut secret = |name: &str| -> Result<Option<BTreeMap<String, Vec<u8>>>, EnvError> {
        if let Some(s) = secrets.get(name) {
            return Ok(s.clone());
        }
        let s = sources.secret(name).map_err(|message| EnvError::Source {
            what: format!("secret {namespace}/{name}"),
            message,
        })?;
        secrets.insert(name.to_owned(), s.clone());
        Ok(s)
    };
    let mut env = Ordered::default();
    let mut warnings = Vec::new();

    for from in container.env_from.iter().flatten() {
        let prefix = from.prefix.as_deref().unwrap_or("");
        let (kind, name, data): (&str, String, Vec<(String, String)>) =
            if let Some(r) = &from.config_map_ref {
                let optional = r.optional == Some(true);
                match config_map(&r.name)? {
                    Some(data) => ("configMap", r.name.clone(), data.into_iter().collect()),
                    None if optional => continue,
                    None => return Err(EnvError::ConfigMapNotFound(r.name.clone())),
                }
            } else if let Some(r) = &from.secret_ref {
                let optional = r.optional == Some(true);
                match secret(&r.name)? {
                    Some(data) => (
                        "secret",
                        r.name.clone(),
                        data.into_iter()
                            .map(|(k, v)| (k, String::from_utf8_lossy(&v).into_owned()))
                            .collect(),
                    ),
                    None if optional => continue,
                    None => return Err(EnvError::SecretNotFound(r.name.clone())),
                }
            } else {
                continue;
            };
        let mut invalid = Vec::new();
        for (k, v) in data {
            let k = format!("{prefix}{k}");
            if !is_env_var_name(&k).is_empty() {
                invalid.push(k);
                continue;
            }
            env.set(k, v);
        }
        if !invalid.is_empty() {
            invalid.sort();
            warnings.push(Warning {
                reason: "InvalidEnvironmentVariableNames",
                message: format!(
                    "Keys [{}] from the EnvFrom {kind} {namespace}/{name} were skipped since they are considered invalid environment variable names.",
                    invalid.join(", ")
                ),
            });
        }
    }

    let services: HashMap<&str, &str> = service_vars
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    for var in container.env.iter().flatten() {
        let value = match (&var.value, &var.value_from) {
            (Some(v), _) if !v.is_empty() => {
                let lookup = |name: &str| {
                    env.get(name)
                        .or_else(|| services.get(name).copied())
                        .map(str::to_owned)
                };
                expand(v, &lookup)
            }
            (_, Some(from)) => {
                if let Some(f) = &from.field_ref {
                    field_value(pod, f, runtime)?
                } else if let Some(r) = &from.resource_field_ref {
                    resource_value(pod, container, r, runtime)?
                } else if let Some(r) = &from.config_map_key_ref {
                    let optional = r.optional == Some(true);
                    match config_map(&r.name)? {
                        None if optional => continue,
                        None => return Err(EnvError::ConfigMapNotFound(r.name.clone())),
                        Some(data) => match data.get(&r.key) {
                            Some(v) => v.clone(),
                            None if optional => continue,
                            None => {
                                return Err(EnvError::ConfigMapKey {
                                    key: r.key.clone(),
                                    namespace,
                                    name: r.name.clone(),
                                });
                            }
                        },
                    }
                } else if let Some(r) = &from.secret_key_ref {
                    let optional = r.optional == Some(true);
                    match secret(&r.name)? {
                        None if optional => continue,
                        None => return Err(EnvError::SecretNotFound(r.name.clone())),
                        Some(data) => match data.get(&r.key) {
                            Some(v) => String::from_utf8_lossy(v).into_owned(),
                            None if optional => continue,
                            None => {
                                return Err(EnvError::SecretKey {
                                    key: r.key.clone(),
                                    namespace,
                                    name: r.name.clone(),
                                });
                            }
                        },
                    }
                } else {
                    String::new()
                }
            }
            _ => String::new(),
        };
        env.set(var.name.clone(), value);
    }

    let mut vars = env.vars;
    let defined: std::collections::HashSet<String> = vars.iter().map(|(k, _)| k.clone()).collect();
    vars.extend(
        service_vars
            .iter()
            .filter(|(k, _)| !defined.contains(k))
            .cloned(),
    );
    Ok(Environment { vars, warnings })
}

/// `command` or `args` with `$(VAR)` references to the environment expanded.
pub fn expand_args(args: &[String], env: &[(String, String)]) -> Vec<String> {
    let map: HashMap<&str, &str> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let lookup = |name: &str| map.get(name).map(|v| (*v).to_owned());
    args.iter().map(|a| expand(a, &lookup)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{
        ConfigMapEnvSource, ConfigMapKeySelector, EnvFromSource, EnvVar, EnvVarSource,
        ResourceRequirements, SecretKeySelector, ServicePort, ServiceSpec,
    };
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity as Q;

    fn lookup(name: &str) -> Option<String> {
        match name {
            "A" => Some("a".into()),
            "EMPTY" => Some(String::new()),
            _ => None,
        }
    }

    #[test]
    fn expansion_follows_kubernetes() {
        let cases = [
            ("$(A)", "a"),
            ("x$(A)y$(A)", "xaya"),
            ("$(B)", "$(B)"),
            ("$$(A)", "$(A)"),
            ("$$$(A)", "$a"),
            ("$$", "$"),
            ("$", "$"),
            ("a$", "a$"),
            ("$x", "$x"),
            ("$(A", "$(A"),
            ("$()", "$()"),
            ("$(EMPTY)!", "!"),
            ("é$é", "é$é"),
            ("$(A)$(A", "a$(A"),
        ];
        for (input, want) in cases {
            assert_eq!(expand(input, &lookup), want, "{input}");
        }
    }

    struct Fake {
        config_maps: BTreeMap<String, BTreeMap<String, String>>,
        secrets: BTreeMap<String, BTreeMap<String, Vec<u8>>>,
    }

    impl Sources for Fake {
        fn config_map(&self, name: &str) -> Result<Option<BTreeMap<String, String>>, String> {
            Ok(self.config_maps.get(name).cloned())
        }
        fn secret(&self, name: &str) -> Result<Option<BTreeMap<String, Vec<u8>>>, String> {
            Ok(self.secrets.get(name).cloned())
        }
    }

    fn fake() -> Fake {
        Fake {
            config_maps: BTreeMap::from([(
                "cfg".to_owned(),
                BTreeMap::from([
                    ("MODE".to_owned(), "fast".to_owned()),
                    ("LEVEL".to_owned(), "3".to_owned()),
                    ("a=b".to_owned(), "x".to_owned()),
                ]),
            )]),
            secrets: BTreeMap::from([(
                "creds".to_owned(),
                BTreeMap::from([("password".to_owned(), b"s3cret".to_vec())]),
            )]),
        }
    }

    fn pod(containers: Vec<Container>) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": "web-0", "namespace": "shop", "uid": "u-1",
                         "labels": {"app": "web"}, "annotations": {"note": "hi"}},
            "spec": {"nodeName": "n1", "serviceAccountName": "default", "containers": containers},
        }))
        .unwrap()
    }

    fn var(name: &str, value: &str) -> EnvVar {
        EnvVar {
            name: name.into(),
            value: Some(value.into()),
            ..Default::default()
        }
    }

    fn from(name: &str, source: EnvVarSource) -> EnvVar {
        EnvVar {
            name: name.into(),
            value_from: Some(source),
            ..Default::default()
        }
    }

    #[test]
    fn env_from_then_env_in_order_with_references_and_sources() {
        let c = Container {
            name: "app".into(),
            env_from: Some(vec![EnvFromSource {
                config_map_ref: Some(ConfigMapEnvSource {
                    name: "cfg".into(),
                    optional: None,
                }),
                prefix: Some("CFG_".into()),
                ..Default::default()
            }]),
            env: Some(vec![
                var("HOST", "db"),
                var(
                    "URL",
                    "http://$(HOST):$(DB_SERVICE_PORT)/$(CFG_MODE)/$(NOPE)",
                ),
                from(
                    "PASSWORD",
                    EnvVarSource {
                        secret_key_ref: Some(SecretKeySelector {
                            name: "creds".into(),
                            key: "password".into(),
                            optional: None,
                        }),
                        ..Default::default()
                    },
                ),
                from(
                    "POD",
                    EnvVarSource {
                        field_ref: Some(ObjectFieldSelector {
                            field_path: "metadata.name".into(),
                            api_version: None,
                        }),
                        ..Default::default()
                    },
                ),
                from(
                    "APP",
                    EnvVarSource {
                        field_ref: Some(ObjectFieldSelector {
                            field_path: "metadata.labels['app']".into(),
                            api_version: None,
                        }),
                        ..Default::default()
                    },
                ),
                from(
                    "IP",
                    EnvVarSource {
                        field_ref: Some(ObjectFieldSelector {
                            field_path: "status.podIP".into(),
                            api_version: None,
                        }),
                        ..Default::default()
                    },
                ),
                from(
                    "OPTIONAL",
                    EnvVarSource {
                        config_map_key_ref: Some(ConfigMapKeySelector {
                            name: "missing".into(),
                            key: "k".into(),
                            optional: Some(true),
                        }),
                        ..Default::default()
                    },
                ),
                var("CFG_LEVEL", "override"),
            ]),
            ..Default::default()
        };
        let p = pod(vec![c.clone()]);
        let services = vec![
            ("DB_SERVICE_PORT".to_owned(), "5432".to_owned()),
            ("DB_SERVICE_HOST".to_owned(), "10.43.0.9".to_owned()),
            ("HOST".to_owned(), "shadowed".to_owned()),
        ];
        let ips = vec!["10.42.0.7".to_owned()];
        let alloc = BTreeMap::new();
        let rt = Runtime {
            pod_ips: &ips,
            host_ips: &[],
            allocatable: &alloc,
        };
        let env = environment(&p, &c, &fake(), &services, &rt).unwrap();
        let got: Vec<(&str, &str)> = env
            .vars
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("CFG_LEVEL", "override"),
                ("CFG_MODE", "fast"),
                ("HOST", "db"),
                ("URL", "http://db:5432/fast/$(NOPE)"),
                ("PASSWORD", "s3cret"),
                ("POD", "web-0"),
                ("APP", "web"),
                ("IP", "10.42.0.7"),
                ("DB_SERVICE_PORT", "5432"),
                ("DB_SERVICE_HOST", "10.43.0.9"),
            ]
        );
        assert_eq!(
            env.warnings,
            [Warning {
                reason: "InvalidEnvironmentVariableNames",
                message: "Keys [CFG_a=b] from the EnvFrom configMap shop/cfg were skipped since they are considered invalid environment variable names.".into(),
            }]
        );
        assert_eq!(
            expand_args(&["echo $(POD) $$(POD) $(X)".to_owned()], &env.vars),
            ["echo web-0 $(POD) $(X)"]
        );
    }

    #[test]
    fn missing_sources_are_errors_unless_optional() {
        let rt_alloc = BTreeMap::new();
        let rt = Runtime {
            pod_ips: &[],
            host_ips: &[],
            allocatable: &rt_alloc,
        };
        let cases: Vec<(EnvVarSource, &str)> = vec![
            (
                EnvVarSource {
                    config_map_key_ref: Some(ConfigMapKeySelector {
                        name: "nope".into(),
                        key: "k".into(),
                        optional: None,
                    }),
                    ..Default::default()
                },
                "configmap \"nope\" not found",
            ),
            (
                EnvVarSource {
                    config_map_key_ref: Some(ConfigMapKeySelector {
                        name: "cfg".into(),
                        key: "k".into(),
                        optional: None,
                    }),
                    ..Default::default()
                },
                "couldn't find key k in ConfigMap shop/cfg",
            ),
            (
                EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: "creds".into(),
                        key: "user".into(),
                        optional: None,
                    }),
                    ..Default::default()
                },
                "couldn't find key user in Secret shop/creds",
            ),
            (
                EnvVarSource {
                    secret_key_ref: Some(SecretKeySelector {
                        name: "gone".into(),
                        key: "user".into(),
                        optional: None,
                    }),
                    ..Default::default()
                },
                "secret \"gone\" not found",
            ),
        ];
        for (source, want) in cases {
            let c = Container {
                name: "app".into(),
                env: Some(vec![from("X", source.clone())]),
                ..Default::default()
            };
            let err = environment(&pod(vec![c.clone()]), &c, &fake(), &[], &rt).unwrap_err();
            assert_eq!(err.to_string(), want);
            // Optional: the variable is left out.
            let mut optional = source;
            if let Some(r) = optional.config_map_key_ref.as_mut() {
                r.optional = Some(true);
            }
            if let Some(r) = optional.secret_key_ref.as_mut() {
                r.optional = Some(true);
            }
            let c = Container {
                name: "app".into(),
                env: Some(vec![from("X", optional)]),
                ..Default::default()
            };
            let env = environment(&pod(vec![c.clone()]), &c, &fake(), &[], &rt).unwrap();
            assert!(env.vars.is_empty(), "{env:?}");
        }
    }

    #[test]
    fn resource_fields_round_up_and_default_limits_to_allocatable() {
        let c = Container {
            name: "app".into(),
            resources: Some(ResourceRequirements {
                requests: Some(BTreeMap::from([
                    ("cpu".to_owned(), Q("250m".into())),
                    ("memory".to_owned(), Q("64Mi".into())),
                ])),
                limits: Some(BTreeMap::from([("memory".to_owned(), Q("128Mi".into()))])),
                ..Default::default()
            }),
            ..Default::default()
        };
        let p = pod(vec![c.clone()]);
        let alloc = BTreeMap::from([("cpu".to_owned(), Quantity::parse("2").unwrap())]);
        let rt = Runtime {
            pod_ips: &[],
            host_ips: &[],
            allocatable: &alloc,
        };
        let value = |resource: &str, divisor: Option<&str>| {
            resource_value(
                &p,
                &c,
                &ResourceFieldSelector {
                    resource: resource.into(),
                    divisor: divisor.map(|d| Q(d.into())),
                    container_name: None,
                },
                &rt,
            )
        };
        assert_eq!(value("requests.cpu", None).unwrap(), "1");
        assert_eq!(value("requests.cpu", Some("1m")).unwrap(), "250");
        assert_eq!(value("limits.cpu", None).unwrap(), "2", "node allocatable");
        assert_eq!(value("limits.memory", Some("1Mi")).unwrap(), "128");
        assert_eq!(
            value("requests.memory", None).unwrap(),
            (64u64 << 20).to_string()
        );
        assert_eq!(
            value("limits.gpu", None).unwrap_err().to_string(),
            "unsupported container resource : limits.gpu"
        );
    }

    #[test]
    fn service_variables_as_docker_links_named_them() {
        let svc: Service = Service {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some("my-db".into()),
                ..Default::default()
            },
            spec: Some(ServiceSpec {
                cluster_ip: Some("10.43.0.9".into()),
                ports: Some(vec![
                    ServicePort {
                        name: Some("sql".into()),
                        port: 5432,
                        ..Default::default()
                    },
                    ServicePort {
                        name: Some("metrics".into()),
                        port: 9187,
                        protocol: Some("UDP".into()),
                        ..Default::default()
                    },
                ]),
                ..Default::default()
            }),
            ..Default::default()
        };
        let headless = Service {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some("peers".into()),
                ..Default::default()
            },
            spec: Some(ServiceSpec {
                cluster_ip: Some("None".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let vars: BTreeMap<String, String> = service_env(&[svc, headless]).into_iter().collect();
        let want = [
            ("MY_DB_SERVICE_HOST", "10.43.0.9"),
            ("MY_DB_SERVICE_PORT", "5432"),
            ("MY_DB_SERVICE_PORT_SQL", "5432"),
            ("MY_DB_SERVICE_PORT_METRICS", "9187"),
            ("MY_DB_PORT", "tcp://10.43.0.9:5432"),
            ("MY_DB_PORT_5432_TCP", "tcp://10.43.0.9:5432"),
            ("MY_DB_PORT_5432_TCP_PROTO", "tcp"),
            ("MY_DB_PORT_5432_TCP_PORT", "5432"),
            ("MY_DB_PORT_5432_TCP_ADDR", "10.43.0.9"),
            ("MY_DB_PORT_9187_UDP", "udp://10.43.0.9:9187"),
            ("MY_DB_PORT_9187_UDP_PROTO", "udp"),
            ("MY_DB_PORT_9187_UDP_PORT", "9187"),
            ("MY_DB_PORT_9187_UDP_ADDR", "10.43.0.9"),
        ];
        let want: BTreeMap<String, String> = want
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert_eq!(vars, want);
    }
}
