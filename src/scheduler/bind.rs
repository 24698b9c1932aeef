//! The scheduler's writes: bindings, the `PodScheduled` condition of pods that do not fit, and
//! the `Scheduled` / `FailedScheduling` events.

use std::sync::Arc;

use crate::controllers::cached::Pod;
use k8s_openapi::api::core::v1::{Binding, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::events::{Event, EventType};

use crate::controllers::events::Recorder;
use kube::{Client, Resource};
use serde_json::json;

/// Why a write of the scheduler failed.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    #[error("binding pod {pod} to node {node}")]
    Bind {
        pod: String,
        node: String,
        #[source]
        source: kube::Error,
    },
    #[error("updating the PodScheduled condition of pod {pod}")]
    Condition {
        pod: String,
        #[source]
        source: kube::Error,
    },
    #[error("recording event {reason} for pod {pod}")]
    Event {
        pod: String,
        reason: &'static str,
        #[source]
        source: kube::Error,
    },
}

fn ns_name(pod: &Pod) -> (&str, &str) {
    (
        pod.metadata.namespace.as_deref().unwrap_or_default(),
        pod.metadata.name.as_deref().unwrap_or_default(),
    )
}

/// Posts `pods/{name}/binding` (upstream's DefaultBinder).
pub async fn bind(client: Client, pod: &Pod, node: &str) -> Result<(), BindError> {
    let (ns, name) = ns_name(pod);
    let binding = Binding {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(ns.to_owned()),
            uid: pod.metadata.uid.clone(),
            ..Default::default()
        },
        target: ObjectReference {
            kind: Some("Node".to_owned()),
            name: Some(node.to_owned()),
            ..Default::default()
        },
    };
    let api: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client, ns);
    api.create_subresource::<_, serde_json::Value>(
        "binding",
        name,
        &PostParams::default(),
        &binding,
    )
    .await
    .map(|_| ())
    .map_err(|source| BindError::Bind {
        pod: format!("{ns}/{name}"),
        node: node.to_owned(),
        source,
    })
}

/// Sets `PodScheduled=False` with `reason` and `message`, unless the pod already says so.
pub async fn set_unschedulable(
    client: Client,
    pod: Arc<Pod>,
    reason: &str,
    message: &str,
) -> Result<(), BindError> {
    let (ns, name) = ns_name(&pod);
    let current = pod
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "PodScheduled"));
    if current.is_some_and(|c| {
        c.status == "False"
            && c.reason.as_deref() == Some(reason)
            && c.message.as_deref() == Some(message)
    }) {
        return Ok(());
    }
    let transition = match current {
        Some(c) if c.status == "False" => c.last_transition_time.clone(),
        _ => None,
    }
    .map(|t| json!(t))
    .unwrap_or_else(|| json!(crate::api::meta::now()));
    // The resourceVersion makes the write conditional on the pod the decision was made for: if
    // it was bound (or changed) meanwhile, the stale condition must not overwrite `True`.
    let patch = json!({"metadata": {"resourceVersion": pod.metadata.resource_version},
        "status": {"conditions": [{
        "type": "PodScheduled",
        "status": "False",
        "reason": reason,
        "message": message,
        "lastProbeTime": null,
        "lastTransitionTime": transition,
    }]}});
    let api: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client, ns);
    match api
        .patch_status(name, &PatchParams::default(), &Patch::Strategic(&patch))
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(source) => Err(BindError::Condition {
            pod: format!("{ns}/{name}"),
            source,
        }),
    }
}

/// Records an event about the pod as `default-scheduler`.
pub async fn record(
    recorder: Recorder,
    pod: Arc<Pod>,
    warning: bool,
    reason: &'static str,
    action: &str,
    note: String,
) -> Result<(), BindError> {
    let reference = pod.object_ref(&());
    // Event notes are limited to 1 KiB (upstream truncates them the same way).
    let mut note = note;
    if note.len() > 1024 {
        let mut cut = 1024;
        while !note.is_char_boundary(cut) {
            cut -= 1;
        }
        note.truncate(cut);
    }
    let event = Event {
        type_: if warning {
            EventType::Warning
        } else {
            EventType::Normal
        },
        reason: reason.to_owned(),
        note: Some(note),
        action: action.to_owned(),
        secondary: None,
    };
    recorder
        .publish(&event, &reference)
        .await
        .map_err(|source| BindError::Event {
            pod: format!("{}/{}", ns_name(&pod).0, ns_name(&pod).1),
            reason,
            source,
        })
}
