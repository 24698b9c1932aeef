//! From a pod's container to the runtime's `ContainerSpec`, as the kubelet's
//! `generateContainerConfig` does: the security context merged (the container's fields over
//! the pod's), `command`/`args` expanded, resources converted, the OOM score from the pod's
//! QoS class, and the hostname. The runtime then combines it with the image's config.

use k8s_openapi::api::core::v1::{Container, Pod, SeccompProfile};

use crate::api::quantity::Quantity;
use crate::runtime::spec::{ContainerSpec, Mount, Resources, Sandbox, Seccomp};

use super::env::expand_args;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpecError {
    #[error("localhost seccomp profiles are not supported (profile {0:?})")]
    LocalhostSeccomp(String),
    #[error("invalid seccomp profile type {0:?}")]
    SeccompType(String),
    #[error("invalid quantity {value:?} for {what}")]
    Quantity { what: String, value: String },
}

/// What the kubelet decided for the container besides the pod object.
#[derive(Clone, Debug, Default)]
pub struct Placement {
    pub env: Vec<(String, String)>,
    pub mounts: Vec<Mount>,
    pub sandbox: Sandbox,
    /// Absolute, under the orch-owned cgroup parent.
    pub cgroup_path: String,
    /// The node's memory capacity, for a Burstable container's OOM score.
    pub node_memory: i64,
    /// The kubelet's `podPidsLimit`, when set.
    pub pids_limit: Option<i64>,
}

/// The pod's hostname: `spec.hostname`, else its name cut to 63 characters (without a
/// trailing `-` or `.`), as the kubelet's `GeneratePodHostNameAndDomain`.
pub fn pod_hostname(pod: &Pod) -> String {
    if let Some(h) = pod
        .spec
        .as_ref()
        .and_then(|s| s.hostname.as_deref())
        .filter(|h| !h.is_empty())
    {
        return h.to_owned();
    }
    let name = pod.metadata.name.as_deref().unwrap_or("");
    if name.len() <= 63 {
        return name.to_owned();
    }
    name[..63].trim_end_matches(['-', '.']).to_owned()
}

fn seccomp(profile: Option<&SeccompProfile>) -> Result<Option<Seccomp>, SpecError> {
    let Some(p) = profile else { return Ok(None) };
    match p.type_.as_str() {
        "RuntimeDefault" => Ok(Some(Seccomp::RuntimeDefault)),
        "Unconfined" => Ok(Some(Seccomp::Unconfined)),
        "Localhost" => Err(SpecError::LocalhostSeccomp(
            p.localhost_profile.clone().unwrap_or_default(),
        )),
        other => Err(SpecError::SeccompType(other.to_owned())),
    }
}

fn quantity(
    what: &str,
    q: Option<&k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
) -> Result<Option<Quantity>, SpecError> {
    q.map(|q| {
        Quantity::parse(&q.0).map_err(|_| SpecError::Quantity {
            what: what.to_owned(),
            value: q.0.clone(),
        })
    })
    .transpose()
}

/// The OOM score the kubelet gives a container of this QoS class (`GetContainerOOMScoreAdjust`).
pub fn oom_score_adj(qos: &str, memory_request: i64, node_memory: i64) -> i32 {
    match qos {
        "Guaranteed" => -997,
        "BestEffort" => 1000,
        _ => {
            if node_memory <= 0 {
                return 999;
            }
            let adj = 1000 - (1000 * i128::from(memory_request) / i128::from(node_memory)) as i64;
            // Never as protected as Guaranteed or system daemons, never below BestEffort.
            adj.clamp(3, 999) as i32
        }
    }
}

/// The runtime's description of `container` of `pod`.
pub fn container_spec(
    pod: &Pod,
    container: &Container,
    placement: Placement,
) -> Result<ContainerSpec, SpecError> {
    let spec = pod.spec.clone().unwrap_or_default();
    let pod_sc = spec.security_context.clone().unwrap_or_default();
    let sc = container.security_context.clone().unwrap_or_default();
    let caps = sc.capabilities.clone().unwrap_or_default();

    let resources = container.resources.clone().unwrap_or_default();
    let requests = resources.requests.unwrap_or_default();
    let limits = resources.limits.unwrap_or_default();
    let cpu_request = quantity("requests.cpu", requests.get("cpu"))?;
    let cpu_limit = quantity("limits.cpu", limits.get("cpu"))?;
    let memory_request = quantity("requests.memory", requests.get("memory"))?;
    let memory_limit = quantity("limits.memory", limits.get("memory"))?;
    // A limit without a request requests the limit (API defaulting does this too).
    let cpu_request = cpu_request.or(cpu_limit);
    let memory_request = memory_request.or(memory_limit);

    let qos = pod
        .status
        .as_ref()
        .and_then(|s| s.qos_class.clone())
        .unwrap_or_else(|| "Burstable".to_owned());

    let mut supplemental_groups: Vec<u32> = pod_sc
        .supplemental_groups
        .iter()
        .flatten()
        .filter_map(|g| u32::try_from(*g).ok())
        .collect();
    if let Some(fs_group) = pod_sc.fs_group.and_then(|g| u32::try_from(g).ok())
        && !supplemental_groups.contains(&fs_group)
    {
        supplemental_groups.push(fs_group);
    }
    let host_network = spec.host_network == Some(true);

    Ok(ContainerSpec {
        command: expand_args(container.command.as_deref().unwrap_or(&[]), &placement.env),
        args: expand_args(container.args.as_deref().unwrap_or(&[]), &placement.env),
        env: placement.env,
        working_dir: container.working_dir.clone().filter(|w| !w.is_empty()),
        run_as_user: sc
            .run_as_user
            .or(pod_sc.run_as_user)
            .and_then(|u| u32::try_from(u).ok()),
        run_as_group: sc
            .run_as_group
            .or(pod_sc.run_as_group)
            .and_then(|g| u32::try_from(g).ok()),
        supplemental_groups,
        run_as_non_root: sc.run_as_non_root.or(pod_sc.run_as_non_root) == Some(true),
        privileged: sc.privileged == Some(true),
        cap_add: caps.add.unwrap_or_default(),
        cap_drop: caps.drop.unwrap_or_default(),
        allow_privilege_escalation: sc.allow_privilege_escalation,
        read_only_rootfs: sc.read_only_root_filesystem == Some(true),
        sysctls: pod_sc
            .sysctls
            .iter()
            .flatten()
            .map(|s| (s.name.clone(), s.value.clone()))
            .collect(),
        hostname: (!host_network).then(|| pod_hostname(pod)),
        tty: container.tty == Some(true),
        stdin: container.stdin == Some(true),
        // Without a profile, RuntimeDefault: the kubelet's `seccompDefault`, on here.
        seccomp: seccomp(sc.seccomp_profile.as_ref())?
            .or(seccomp(pod_sc.seccomp_profile.as_ref())?)
            .unwrap_or(Seccomp::RuntimeDefault),
        mounts: placement.mounts,
        resources: Resources {
            cpu_request_milli: cpu_request
                .map(|q| q.milli_value().max(0) as u64)
                .unwrap_or(0),
            cpu_limit_milli: cpu_limit.map(|q| q.milli_value().max(0) as u64),
            memory_limit: memory_limit.map(|q| q.value()),
            pids_limit: placement.pids_limit,
        },
        sandbox: placement.sandbox,
        cgroup_path: placement.cgroup_path,
        oom_score_adj: Some(oom_score_adj(
            &qos,
            memory_request.map(|q| q.value()).unwrap_or(0),
            placement.node_memory,
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn security_context_of_the_container_overrides_the_pods() {
        let p = pod(json!({
            "metadata": {"name": "web-0"},
            "spec": {
                "securityContext": {"runAsUser": 1000, "runAsGroup": 3000, "runAsNonRoot": true,
                    "fsGroup": 2000, "supplementalGroups": [4000],
                    "sysctls": [{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}],
                    "seccompProfile": {"type": "Unconfined"}},
                "containers": [{"name": "app", "image": "busybox",
                    "command": ["sh", "-c"], "args": ["echo $(GREETING) $$(GREETING)"],
                    "workingDir": "/work", "tty": true, "stdin": true,
                    "securityContext": {"runAsUser": 1001, "readOnlyRootFilesystem": true,
                        "allowPrivilegeEscalation": false,
                        "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}}}],
            },
            "status": {"qosClass": "BestEffort"},
        }));
        let c = &p.spec.as_ref().unwrap().containers[0];
        let s = container_spec(
            &p,
            c,
            Placement {
                env: vec![("GREETING".into(), "hi".into())],
                cgroup_path: "/orch/pod1/app".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(s.command, ["sh", "-c"]);
        assert_eq!(s.args, ["echo hi $(GREETING)"]);
        assert_eq!(s.working_dir.as_deref(), Some("/work"));
        assert_eq!((s.run_as_user, s.run_as_group), (Some(1001), Some(3000)));
        assert!(s.run_as_non_root);
        assert_eq!(
            s.supplemental_groups,
            [4000, 2000],
            "fsGroup joins the groups"
        );
        assert_eq!(
            (s.cap_add.as_slice(), s.cap_drop.as_slice()),
            (&["NET_ADMIN".to_owned()][..], &["ALL".to_owned()][..])
        );
        assert_eq!(s.allow_privilege_escalation, Some(false));
        assert!(s.read_only_rootfs && s.tty && s.stdin && !s.privileged);
        assert_eq!(s.seccomp, Seccomp::Unconfined, "the pod's profile");
        assert_eq!(
            s.sysctls,
            [(
                "net.ipv4.ip_unprivileged_port_start".to_owned(),
                "0".to_owned()
            )]
        );
        assert_eq!(s.hostname.as_deref(), Some("web-0"));
        assert_eq!(s.oom_score_adj, Some(1000));
        assert_eq!(s.cgroup_path, "/orch/pod1/app");
    }

    #[test]
    fn resources_and_oom_scores_follow_the_qos_class() {
        let p = pod(json!({
            "metadata": {"name": "db"},
            "spec": {"containers": [{"name": "db", "image": "x", "resources": {
                "requests": {"cpu": "250m", "memory": "1Gi"},
                "limits": {"cpu": "1500m", "memory": "2Gi"}}}]},
            "status": {"qosClass": "Burstable"},
        }));
        let c = &p.spec.as_ref().unwrap().containers[0];
        let placement = Placement {
            node_memory: 8 << 30,
            pids_limit: Some(4096),
            ..Default::default()
        };
        let s = container_spec(&p, c, placement.clone()).unwrap();
        assert_eq!(
            s.resources,
            Resources {
                cpu_request_milli: 250,
                cpu_limit_milli: Some(1500),
                memory_limit: Some(2 << 30),
                pids_limit: Some(4096),
            }
        );
        assert_eq!(s.oom_score_adj, Some(875), "1000 - 1000 * 1Gi / 8Gi");
        assert_eq!(s.seccomp, Seccomp::RuntimeDefault, "the default");

        // Only a limit: the request is the limit.
        let p = pod(json!({
            "metadata": {"name": "g"},
            "spec": {"containers": [{"name": "g", "image": "x", "resources": {
                "limits": {"cpu": "1", "memory": "64Mi"}}}]},
            "status": {"qosClass": "Guaranteed"},
        }));
        let c = &p.spec.as_ref().unwrap().containers[0];
        let s = container_spec(&p, c, placement).unwrap();
        assert_eq!(s.resources.cpu_request_milli, 1000);
        assert_eq!(s.oom_score_adj, Some(-997));

        assert_eq!(oom_score_adj("Burstable", 8 << 30, 8 << 30), 3);
        assert_eq!(oom_score_adj("Burstable", 0, 8 << 30), 999);
    }

    #[test]
    fn hostnames_and_unsupported_profiles() {
        let long = "a".repeat(62) + "-bcd";
        let p = pod(json!({"metadata": {"name": long}, "spec": {"containers": []}}));
        assert_eq!(pod_hostname(&p), "a".repeat(62));
        let p =
            pod(json!({"metadata": {"name": "x"}, "spec": {"hostname": "h1", "containers": []}}));
        assert_eq!(pod_hostname(&p), "h1");

        let p = pod(json!({
            "metadata": {"name": "n"},
            "spec": {"hostNetwork": true, "containers": [{"name": "c", "image": "x",
                "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "p.json"}}}]},
        }));
        let c = &p.spec.as_ref().unwrap().containers[0];
        let err = container_spec(&p, c, Placement::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "localhost seccomp profiles are not supported (profile \"p.json\")"
        );
        let mut c2 = c.clone();
        c2.security_context = None;
        let s = container_spec(&p, &c2, Placement::default()).unwrap();
        assert_eq!(s.hostname, None, "host network: the node's hostname");
    }
}
