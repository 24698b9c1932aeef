//! Scenarios of server-side apply and managed-fields bookkeeping, with the exact objects,
//! managed fields and messages upstream produces.

use serde_json::{Value, json};

use super::*;

const DEPLOY: (&str, &str, &str) = ("apps", "v1", "Deployment");
const SERVICE: (&str, &str, &str) = ("", "v1", "Service");
const CONFIG_MAP: (&str, &str, &str) = ("", "v1", "ConfigMap");
const WIDGET: (&str, &str, &str) = ("example.com", "v1", "Widget");

const T1: &str = "2025-01-01T00:00:01Z";
const T2: &str = "2025-01-01T00:00:02Z";
const T3: &str = "2025-01-01T00:00:03Z";
const T4: &str = "2025-01-01T00:00:04Z";

/// The body of kubectl 1.32's `apply --server-side` (PATCH with `application/apply-patch+yaml`,
/// `fieldManager=kubectl`), from the traces in `kubectl-traces/ssa.jsonl`.
fn kubectl_config() -> Value {
    serde_json::from_str(
        "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"labels\":{\"app\":\"web\"},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"image\":\"nginx:1.27\",\"name\":\"web\"}]}}}}\n",
    )
    .expect("the trace body is JSON")
}

/// `kubectl_config` with changes at JSON pointers.
fn config_with(changes: &[(&str, Value)]) -> Value {
    let mut c = kubectl_config();
    for (pointer, value) in changes {
        *c.pointer_mut(pointer).expect("pointer exists") = value.clone();
    }
    c
}

/// What the API server stores: defaulted, with identity.
fn stored(gvk: (&str, &str, &str), mut obj: Value) -> Value {
    crate::api::defaults::apply(gvk.0, gvk.1, gvk.2, &mut obj);
    let m = crate::api::meta::metadata_mut(&mut obj);
    m.entry("uid")
        .or_insert(json!("6e1b5a2c-0000-4000-8000-000000000001"));
    m.entry("resourceVersion").or_insert(json!("10"));
    m.entry("creationTimestamp").or_insert(json!(T1));
    obj
}

fn entry(manager: &str, operation: &str, time: Option<&str>, fields: Value) -> Value {
    let mut e = json!({
        "manager": manager,
        "operation": operation,
        "apiVersion": "apps/v1",
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    });
    if let Some(t) = time {
        e["time"] = json!(t);
    }
    e
}

fn with_subresource(mut e: Value, sub: &str) -> Value {
    e["subresource"] = json!(sub);
    e
}

fn web_key() -> &'static str {
    "k:{\"name\":\"web\"}"
}

/// What kubectl's configuration sets.
fn kubectl_fields() -> Value {
    json!({
        "f:metadata": {"f:labels": {"f:app": {}}},
        "f:spec": {
            "f:replicas": {},
            "f:selector": {},
            "f:template": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {"f:containers": {web_key(): {".": {}, "f:image": {}, "f:name": {}}}}
            }
        }
    })
}

/// `kubectl_fields` without some paths (JSON pointers into the FieldsV1).
fn kubectl_fields_without(pointers: &[&str]) -> Value {
    let mut f = kubectl_fields();
    for p in pointers {
        let (parent, last) = p.rsplit_once('/').expect("a pointer");
        f.pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .expect("parent exists")
            .remove(&last.replace("~1", "/"))
            .expect("field exists");
    }
    f
}

/// The deployment kubectl created by server-side apply, as stored.
fn applied_deployment() -> Value {
    let created =
        apply(DEPLOY, None, &kubectl_config(), "kubectl", false, T1).expect("apply creates");
    stored(DEPLOY, created)
}

fn apply_ok(live: &Value, config: &Value, manager: &str, force: bool, now: &str) -> Value {
    apply(DEPLOY, Some(live), config, manager, force, now).expect("apply succeeds")
}

fn apply_err(live: &Value, config: &Value, manager: &str) -> ApplyError {
    apply(DEPLOY, Some(live), config, manager, false, T3).expect_err("apply conflicts")
}

fn managers(obj: &Value) -> Vec<String> {
    managed_fields(obj)
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| {
            format!(
                "{}/{}/{}",
                e["manager"].as_str().unwrap_or_default(),
                e["operation"].as_str().unwrap_or_default(),
                e["subresource"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

#[test]
fn apply_creates_the_object_kubectl_sends() {
    let created =
        apply(DEPLOY, None, &kubectl_config(), "kubectl", false, T1).expect("apply creates");
    let mut want = kubectl_config();
    want["metadata"]["managedFields"] =
        json!([entry("kubectl", "Apply", Some(T1), kubectl_fields())]);
    assert_eq!(created, want);
}

#[test]
fn reapplying_the_same_configuration_changes_nothing() {
    let live = applied_deployment();
    // Defaulted fields nobody applied stay, the time stays.
    assert_eq!(
        apply_ok(&live, &kubectl_config(), "kubectl", false, T2),
        live
    );
    assert_eq!(
        apply_ok(&live, &kubectl_config(), "kubectl", true, T2),
        live
    );
}

#[test]
fn fields_no_longer_applied_are_removed() {
    let first = config_with(&[
        (
            "/metadata/labels",
            json!({"app": "web", "tier": "frontend"}),
        ),
        (
            "/spec/template/spec/containers/0",
            json!({"name": "web", "image": "nginx:1.27", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}),
        ),
    ]);
    let created = apply(DEPLOY, None, &first, "kubectl", false, T1).expect("creates");
    let live = stored(DEPLOY, created);
    let env_a = json!({"name": "A", "value": "1"});
    let second = config_with(&[(
        "/spec/template/spec/containers/0",
        json!({"name": "web", "image": "nginx:1.27", "env": [env_a]}),
    )]);
    let updated = apply_ok(&live, &second, "kubectl", false, T2);

    let mut want = live.clone();
    want["metadata"]["labels"] = json!({"app": "web"});
    want["spec"]["template"]["spec"]["containers"][0]["env"] = json!([env_a]);
    let mut fields = kubectl_fields();
    fields["f:spec"]["f:template"]["f:spec"]["f:containers"][web_key()]["f:env"] =
        json!({"k:{\"name\":\"A\"}": {".": {}, "f:name": {}, "f:value": {}}});
    want["metadata"]["managedFields"] = json!([entry("kubectl", "Apply", Some(T2), fields)]);
    assert_eq!(updated, want);

    // Dropping the whole list removes what is left of it.
    let third = kubectl_config();
    let updated = apply_ok(&stored(DEPLOY, updated), &third, "kubectl", false, T3);
    assert!(
        updated["spec"]["template"]["spec"]["containers"][0]
            .get("env")
            .is_none()
    );
}

#[test]
fn fields_another_manager_owns_stay_when_dropped() {
    let live = applied_deployment();
    // A second manager applies the same label value: no conflict, both own it, and since the
    // object does not change the new entry gets no time (as upstream, kubernetes#127938).
    let label = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web"}}
    });
    let shared = apply_ok(&live, &label, "labeller", false, T2);
    assert_eq!(
        managed_fields(&shared),
        json!([
            entry(
                "labeller",
                "Apply",
                None,
                json!({"f:metadata": {"f:labels": {"f:app": {}}}})
            ),
            entry("kubectl", "Apply", Some(T1), kubectl_fields()),
        ])
    );
    // kubectl stops applying the label: it stays (the labeller owns it), kubectl owns it no more.
    let without_label = config_with(&[("/metadata/labels", json!({}))]);
    let updated = apply_ok(
        &stored(DEPLOY, shared),
        &without_label,
        "kubectl",
        false,
        T3,
    );
    assert_eq!(updated["metadata"]["labels"], json!({"app": "web"}));
    assert_eq!(
        managed_fields(&updated),
        json!([
            entry(
                "labeller",
                "Apply",
                None,
                json!({"f:metadata": {"f:labels": {"f:app": {}}}})
            ),
            entry(
                "kubectl",
                "Apply",
                Some(T1),
                kubectl_fields_without(&["/f:metadata/f:labels/f:app"]),
            ),
        ])
    );
}

#[test]
fn managers_applying_disjoint_fields_share_the_object() {
    let live = applied_deployment();
    let sidecar = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "annotations": {"injected": "true"}},
        "spec": {"template": {"spec": {"containers": [{"name": "proxy", "image": "envoy:1"}]}}}
    });
    let both = apply_ok(&live, &sidecar, "injector", false, T2);
    let mut want = live.clone();
    want["metadata"]["annotations"] = json!({"injected": "true"});
    want["spec"]["template"]["spec"]["containers"]
        .as_array_mut()
        .expect("containers")
        .push(json!({"name": "proxy", "image": "envoy:1"}));
    want["metadata"]["managedFields"] = json!([
        entry("kubectl", "Apply", Some(T1), kubectl_fields()),
        entry(
            "injector",
            "Apply",
            Some(T2),
            json!({
                "f:metadata": {"f:annotations": {"f:injected": {}}},
                "f:spec": {"f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"proxy\"}": {".": {}, "f:image": {}, "f:name": {}}
                }}}}
            }),
        ),
    ]);
    assert_eq!(both, want);
    // kubectl re-applies its configuration: the other manager's container stays.
    let live = stored(DEPLOY, both);
    assert_eq!(
        apply_ok(&live, &kubectl_config(), "kubectl", false, T3),
        live
    );
}

#[test]
fn conflicts_on_fields_other_managers_own() {
    let live = applied_deployment();
    let replicas = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 3}
    });
    let err = apply_err(&live, &replicas, "autoscaler");
    assert_eq!(
        err.to_string(),
        "Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas"
    );
    assert_eq!(err.status_code(), 409);
    assert_eq!(err.reason(), "Conflict");
    assert_eq!(
        err.causes(),
        vec![StatusCause {
            reason: "FieldManagerConflict",
            message: "conflict with \"kubectl\"".to_owned(),
            field: ".spec.replicas".to_owned(),
        }]
    );
    let ApplyError::Conflicts(list) = &err else {
        panic!("not a conflict: {err:?}");
    };
    assert_eq!(
        list,
        &vec![Conflict {
            manager: "kubectl".to_owned(),
            operation: "Apply".to_owned(),
            api_version: "apps/v1".to_owned(),
            subresource: String::new(),
            field: ".spec.replicas".to_owned(),
        }]
    );

    // Several fields, one line each.
    let mut two = replicas.clone();
    two["spec"]["template"] =
        json!({"spec": {"containers": [{"name": "web", "image": "nginx:1.28"}]}});
    assert_eq!(
        apply_err(&live, &two, "autoscaler").to_string(),
        "Apply failed with 2 conflicts: conflicts with \"kubectl\":\n- .spec.replicas\n- .spec.template.spec.containers[name=\"web\"].image"
    );

    // The same value is no conflict.
    let same = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 2}
    });
    let shared = apply_ok(&live, &same, "autoscaler", false, T2);
    assert_eq!(shared["spec"]["replicas"], json!(2));
    // Entries without time sort first.
    assert_eq!(managers(&shared), ["autoscaler/Apply/", "kubectl/Apply/"]);
}

#[test]
fn conflicts_with_several_managers_are_grouped_and_sorted() {
    let live = applied_deployment();
    let mut edited = live.clone();
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28");
    update_managed_fields(DEPLOY, Some(&live), &mut edited, "kubectl-edit", T2);
    let live = stored(DEPLOY, edited);
    let config = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 5, "template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.29"}]}}}
    });
    let err = apply_err(&live, &config, "ci");
    assert_eq!(
        err.to_string(),
        "Apply failed with 2 conflicts: conflicts with \"kubectl\":\n- .spec.replicas\nconflicts with \"kubectl-edit\" using apps/v1:\n- .spec.template.spec.containers[name=\"web\"].image"
    );
    let causes: Vec<(String, String)> = err
        .causes()
        .into_iter()
        .map(|c| (c.message, c.field))
        .collect();
    assert_eq!(
        causes,
        [
            (
                "conflict with \"kubectl\"".to_owned(),
                ".spec.replicas".to_owned()
            ),
            (
                "conflict with \"kubectl-edit\" using apps/v1".to_owned(),
                ".spec.template.spec.containers[name=\"web\"].image".to_owned()
            ),
        ]
    );
}

#[test]
fn force_takes_ownership() {
    let live = applied_deployment();
    let replicas = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 3}
    });
    let forced = apply_ok(&live, &replicas, "autoscaler", true, T2);
    let mut want = live.clone();
    want["spec"]["replicas"] = json!(3);
    want["metadata"]["managedFields"] = json!([
        entry(
            "kubectl",
            "Apply",
            Some(T1),
            kubectl_fields_without(&["/f:spec/f:replicas"])
        ),
        entry(
            "autoscaler",
            "Apply",
            Some(T2),
            json!({"f:spec": {"f:replicas": {}}})
        ),
    ]);
    assert_eq!(forced, want);
    // kubectl now conflicts with the autoscaler.
    assert_eq!(
        apply_err(&stored(DEPLOY, forced), &kubectl_config(), "kubectl").to_string(),
        "Apply failed with 1 conflict: conflict with \"autoscaler\": .spec.replicas"
    );
}

#[test]
fn an_update_moves_ownership_and_then_apply_conflicts() {
    let live = applied_deployment();
    // `kubectl edit` sends the whole object back, managed fields included.
    let mut edited = live.clone();
    edited["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28");
    update_managed_fields(DEPLOY, Some(&live), &mut edited, "kubectl-edit", T2);
    let mut want = live.clone();
    want["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28");
    want["metadata"]["managedFields"] = json!([
        entry(
            "kubectl",
            "Apply",
            Some(T1),
            kubectl_fields_without(&[
                "/f:spec/f:template/f:spec/f:containers/k:{\"name\":\"web\"}/f:image"
            ]),
        ),
        entry(
            "kubectl-edit",
            "Update",
            Some(T2),
            json!({"f:spec": {"f:template": {"f:spec": {"f:containers": {web_key(): {"f:image": {}}}}}}}),
        ),
    ]);
    assert_eq!(edited, want);

    let err = apply_err(
        &stored(DEPLOY, edited.clone()),
        &kubectl_config(),
        "kubectl",
    );
    assert_eq!(
        err.to_string(),
        "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1: .spec.template.spec.containers[name=\"web\"].image"
    );
    // An update that changes nothing records nothing.
    let mut again = edited.clone();
    update_managed_fields(DEPLOY, Some(&edited), &mut again, "kubectl-edit", T3);
    assert_eq!(again, edited);
}

#[test]
fn kubectl_scale_owns_replicas_through_the_scale_subresource() {
    let live = applied_deployment();
    let mut scaled = live.clone();
    scaled["spec"]["replicas"] = json!(5);
    let scale = Writer {
        manager: "kubectl",
        subresource: "scale",
        status_subresource: true,
        now: T2,
    };
    update_managed_fields_as(DEPLOY, Some(&live), &mut scaled, &scale);
    let scale_entry = with_subresource(
        entry(
            "kubectl",
            "Update",
            None,
            json!({"f:spec": {"f:replicas": {}}}),
        ),
        "scale",
    );
    assert_eq!(
        managed_fields(&scaled),
        json!([
            entry(
                "kubectl",
                "Apply",
                Some(T1),
                kubectl_fields_without(&["/f:spec/f:replicas"])
            ),
            scale_entry,
        ])
    );
    let scaled = stored(DEPLOY, scaled);

    // Scaling again replaces the entry (upstream keys it by the Scale's version first).
    let mut rescaled = scaled.clone();
    rescaled["spec"]["replicas"] = json!(6);
    update_managed_fields_as(
        DEPLOY,
        Some(&scaled),
        &mut rescaled,
        &Writer { now: T3, ..scale },
    );
    assert_eq!(managed_fields(&rescaled), managed_fields(&scaled));

    // Re-applying the old replicas conflicts…
    let err = apply_err(&scaled, &kubectl_config(), "kubectl");
    assert_eq!(
        err.to_string(),
        "Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas"
    );
    assert_eq!(
        err.causes()[0].message,
        "conflict with \"kubectl\" with subresource \"scale\" using apps/v1"
    );
    // …unless forced.
    let forced = apply_ok(&scaled, &kubectl_config(), "kubectl", true, T4);
    assert_eq!(forced["spec"]["replicas"], json!(2));
    assert_eq!(
        managed_fields(&forced),
        json!([entry("kubectl", "Apply", Some(T4), kubectl_fields())])
    );

    // Without an owner of replicas, a scale is not tracked.
    let no_replicas = {
        let mut c = kubectl_config();
        c["spec"].as_object_mut().expect("spec").remove("replicas");
        stored(
            DEPLOY,
            apply(DEPLOY, None, &c, "kubectl", false, T1).expect("creates"),
        )
    };
    let mut scaled = no_replicas.clone();
    scaled["spec"]["replicas"] = json!(4);
    update_managed_fields_as(DEPLOY, Some(&no_replicas), &mut scaled, &scale);
    assert_eq!(managed_fields(&scaled), managed_fields(&no_replicas));
}

/// What `kubectl create` of the deployment owns (as kube-apiserver 1.33 records it).
fn created_fields() -> Value {
    json!({
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {
            "f:progressDeadlineSeconds": {},
            "f:replicas": {},
            "f:revisionHistoryLimit": {},
            "f:selector": {},
            "f:strategy": {
                "f:rollingUpdate": {".": {}, "f:maxSurge": {}, "f:maxUnavailable": {}},
                "f:type": {}
            },
            "f:template": {
                "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
                "f:spec": {
                    "f:containers": {web_key(): {
                        ".": {},
                        "f:image": {},
                        "f:imagePullPolicy": {},
                        "f:name": {},
                        "f:resources": {},
                        "f:terminationMessagePath": {},
                        "f:terminationMessagePolicy": {}
                    }},
                    "f:dnsPolicy": {},
                    "f:restartPolicy": {},
                    "f:schedulerName": {},
                    "f:securityContext": {},
                    "f:terminationGracePeriodSeconds": {}
                }
            }
        }
    })
}

#[test]
fn create_by_update_owns_every_field_set() {
    let mut obj = stored(DEPLOY, kubectl_config());
    update_managed_fields(DEPLOY, None, &mut obj, "kubectl-create", T1);
    assert_eq!(
        managed_fields(&obj),
        json!([entry(
            "kubectl-create",
            "Update",
            Some(T1),
            created_fields()
        )])
    );
    // An empty manager is `unknown`.
    let mut obj = stored(DEPLOY, kubectl_config());
    update_managed_fields(DEPLOY, None, &mut obj, "", T1);
    assert_eq!(managed_fields(&obj)[0]["manager"], json!("unknown"));

    // Applying over it: kubectl takes nothing the creator set to the same values…
    let live = {
        let mut obj = stored(DEPLOY, kubectl_config());
        update_managed_fields(DEPLOY, None, &mut obj, "kubectl-create", T1);
        obj
    };
    let same = apply_ok(&live, &kubectl_config(), "kubectl", false, T2);
    assert_eq!(
        managed_fields(&same),
        json!([
            entry("kubectl", "Apply", None, kubectl_fields()),
            entry("kubectl-create", "Update", Some(T1), created_fields()),
        ])
    );
    // …and conflicts on values it changes.
    let changed = config_with(&[("/spec/replicas", json!(4))]);
    assert_eq!(
        apply_err(&live, &changed, "kubectl").to_string(),
        "Apply failed with 1 conflict: conflict with \"kubectl-create\" using apps/v1: .spec.replicas"
    );
}

#[test]
fn first_apply_to_an_untracked_object_records_before_first_apply() {
    let live = stored(DEPLOY, kubectl_config());
    let changed = config_with(&[("/spec/replicas", json!(4))]);
    assert_eq!(
        apply_err(&live, &changed, "kubectl").to_string(),
        "Apply failed with 1 conflict: conflict with \"before-first-apply\" using apps/v1: .spec.replicas"
    );
    let labelled = config_with(&[("/metadata/labels", json!({"app": "web", "team": "a"}))]);
    let applied = apply_ok(&live, &labelled, "kubectl", false, T2);
    let mut mine = kubectl_fields();
    mine["f:metadata"]["f:labels"]["f:team"] = json!({});
    assert_eq!(
        managed_fields(&applied),
        json!([
            entry("kubectl", "Apply", Some(T2), mine),
            entry("before-first-apply", "Update", Some(T2), created_fields()),
        ])
    );
    assert_eq!(
        applied["metadata"]["labels"],
        json!({"app": "web", "team": "a"})
    );
}

#[test]
fn updates_of_untracked_objects_stay_untracked_and_resets_clear() {
    let live = stored(DEPLOY, kubectl_config());
    let mut updated = live.clone();
    updated["spec"]["replicas"] = json!(7);
    update_managed_fields(DEPLOY, Some(&live), &mut updated, "kubectl-edit", T2);
    assert!(updated["metadata"].get("managedFields").is_none());
    assert_eq!(updated["spec"]["replicas"], json!(7));

    // `managedFields: []` in an update clears them.
    let live = applied_deployment();
    for reset in [json!([]), json!([{}])] {
        let mut cleared = live.clone();
        cleared["metadata"]["managedFields"] = reset.clone();
        cleared["spec"]["replicas"] = json!(7);
        update_managed_fields(DEPLOY, Some(&live), &mut cleared, "kubectl-edit", T2);
        assert!(
            cleared["metadata"].get("managedFields").is_none(),
            "{reset}"
        );
    }

    // Managed fields the client rewrote are kept (this one drops an entry).
    let live = {
        let mut two = applied_deployment();
        let mut next = two.clone();
        next["metadata"]["labels"]["extra"] = json!("1");
        update_managed_fields(DEPLOY, Some(&two), &mut next, "labeller", T2);
        two = next;
        two
    };
    let mut rewritten = live.clone();
    rewritten["metadata"]["managedFields"] = json!([managed_fields(&live)[1].clone()]);
    update_managed_fields(DEPLOY, Some(&live), &mut rewritten, "kubectl-edit", T3);
    assert_eq!(managers(&rewritten), ["labeller/Update/"]);
    // Broken ones are ignored in favour of the live object's.
    let mut broken = live.clone();
    broken["metadata"]["managedFields"] = json!([{"manager": "x", "operation": "Delete"}]);
    update_managed_fields(DEPLOY, Some(&live), &mut broken, "kubectl-edit", T3);
    assert_eq!(managed_fields(&broken), managed_fields(&live));
}

#[test]
fn status_belongs_to_the_status_subresource() {
    // A main-resource apply neither owns nor conflicts on status.
    let live = applied_deployment();
    let with_status = config_with(&[]);
    let mut with_status = with_status;
    with_status["status"] = json!({"replicas": 9});
    let applied = apply_ok(&live, &with_status, "kubectl", false, T2);
    assert_eq!(
        managed_fields(&applied),
        json!([entry("kubectl", "Apply", Some(T2), kubectl_fields())])
    );

    // A status write owns status only, under the subresource.
    let controller = Writer {
        manager: "kube-controller-manager",
        subresource: "status",
        status_subresource: true,
        now: T2,
    };
    let mut reported = live.clone();
    reported["status"] = json!({"readyReplicas": 2});
    update_managed_fields_as(DEPLOY, Some(&live), &mut reported, &controller);
    assert_eq!(
        managed_fields(&reported)[1],
        with_subresource(
            entry(
                "kube-controller-manager",
                "Update",
                Some(T2),
                json!({"f:status": {"f:readyReplicas": {}}})
            ),
            "status"
        )
    );

    // Applying to status likewise.
    let status_config = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"replicas": 1},
        "status": {"replicas": 2}
    });
    let applied =
        apply_as(DEPLOY, Some(&live), &status_config, false, &controller).expect("status apply");
    assert_eq!(
        managed_fields(&applied)[1],
        with_subresource(
            entry(
                "kube-controller-manager",
                "Apply",
                Some(T2),
                json!({"f:status": {"f:replicas": {}}})
            ),
            "status"
        )
    );
}

#[test]
fn ports_are_keyed_by_port_and_protocol() {
    let config = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"selector": {"app": "web"}, "ports": [{"port": 80, "targetPort": 8080}]}
    });
    let created = apply(SERVICE, None, &config, "kubectl", false, T1).expect("creates");
    let tcp = "k:{\"port\":80,\"protocol\":\"TCP\"}";
    assert_eq!(
        managed_fields(&created)[0]["fieldsV1"],
        json!({"f:spec": {
            "f:ports": {tcp: {".": {}, "f:port": {}, "f:targetPort": {}}},
            "f:selector": {}
        }})
    );
    let live = stored(SERVICE, created);
    assert_eq!(live["spec"]["ports"][0]["protocol"], json!("TCP"));
    assert_eq!(
        apply(SERVICE, Some(&live), &config, "kubectl", false, T2).expect("no-op"),
        live
    );
    let mut both = config.clone();
    both["spec"]["ports"] = json!([
        {"name": "tcp", "port": 80, "targetPort": 8080},
        {"name": "udp", "port": 80, "protocol": "UDP", "targetPort": 8080}
    ]);
    let updated = apply(SERVICE, Some(&live), &both, "kubectl", false, T2).expect("applies");
    assert_eq!(
        updated["spec"]["ports"],
        json!([
            {"name": "tcp", "port": 80, "protocol": "TCP", "targetPort": 8080},
            {"name": "udp", "port": 80, "protocol": "UDP", "targetPort": 8080}
        ])
    );
    assert_eq!(
        managed_fields(&updated)[0]["fieldsV1"]["f:spec"]["f:ports"],
        json!({
            tcp: {".": {}, "f:name": {}, "f:port": {}, "f:targetPort": {}},
            "k:{\"port\":80,\"protocol\":\"UDP\"}": {".": {}, "f:name": {}, "f:port": {}, "f:protocol": {}, "f:targetPort": {}}
        })
    );

    // Container ports: containerPort and protocol.
    let pod_fields = fields_of(
        ("", "v1", "Pod"),
        &json!({"spec": {"containers": [{"name": "c", "ports": [{"containerPort": 53, "protocol": "UDP"}, {"containerPort": 53}]}]}}),
    );
    assert_eq!(
        pod_fields,
        json!({"f:spec": {"f:containers": {"k:{\"name\":\"c\"}": {".": {}, "f:name": {}, "f:ports": {
            "k:{\"containerPort\":53,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}},
            "k:{\"containerPort\":53,\"protocol\":\"UDP\"}": {".": {}, "f:containerPort": {}, "f:protocol": {}}
        }}}}})
    );
}

#[test]
fn update_entries_are_capped_at_ten() {
    let mut obj = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cm", "namespace": "default", "labels": {"a": "1"}},
        "data": {"k": "v"}
    });
    update_managed_fields(
        CONFIG_MAP,
        None,
        &mut obj,
        "creator",
        "2025-01-01T00:00:00Z",
    );
    crate::api::meta::set(&mut obj, "uid", "u");
    for i in 1..=10 {
        let mut next = obj.clone();
        next["metadata"]["labels"][format!("l{i}")] = json!("x");
        let now = format!("2025-01-01T00:00:{i:02}Z");
        update_managed_fields(CONFIG_MAP, Some(&obj), &mut next, &format!("m{i}"), &now);
        obj = next;
    }
    let entries = managed_fields(&obj);
    let names: Vec<&str> = entries
        .as_array()
        .expect("list")
        .iter()
        .map(|e| e["manager"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "ancient-changes",
            "m2",
            "m3",
            "m4",
            "m5",
            "m6",
            "m7",
            "m8",
            "m9",
            "m10"
        ]
    );
    assert_eq!(
        entries[0],
        json!({
            "manager": "ancient-changes", "operation": "Update", "apiVersion": "v1",
            "time": "2025-01-01T00:00:01Z", "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:data": {".": {}, "f:k": {}},
                "f:metadata": {"f:labels": {".": {}, "f:a": {}, "f:l1": {}}}
            }
        })
    );
}

#[test]
fn bad_configurations_are_refused() {
    let live = applied_deployment();
    let duplicates = config_with(&[(
        "/spec/template/spec/containers",
        json!([{"name": "web", "image": "a"}, {"name": "web", "image": "b"}]),
    )]);
    let err =
        apply(DEPLOY, Some(&live), &duplicates, "kubectl", false, T2).expect_err("duplicates");
    assert_eq!(
        err.to_string(),
        "failed to create typed patch object (default/web; apps/v1, Kind=Deployment): .spec.template.spec.containers: duplicate entries for key [name=\"web\"]"
    );
    assert_eq!((err.status_code(), err.reason()), (500, "InternalError"));

    let mut with_managed = kubectl_config();
    with_managed["metadata"]["managedFields"] = json!([]);
    let err = apply(DEPLOY, Some(&live), &with_managed, "kubectl", false, T2)
        .expect_err("managed fields");
    assert_eq!(err.to_string(), "metadata.managedFields must be nil");
    assert_eq!((err.status_code(), err.reason()), (400, "BadRequest"));
    assert!(err.causes().is_empty());
}

#[test]
fn kubectl_keeps_the_last_applied_annotation_in_step() {
    let mut live = applied_deployment();
    live["metadata"]["annotations"] =
        json!({"kubectl.kubernetes.io/last-applied-configuration": "{\"old\":true}\n"});
    let three = config_with(&[("/spec/replicas", json!(3))]);
    let applied = apply_ok(&live, &three, "kubectl", false, T2);
    assert_eq!(
        applied["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"],
        json!(
            "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"labels\":{\"app\":\"web\"},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"image\":\"nginx:1.27\",\"name\":\"web\"}]}}}}\n"
        )
    );
    // Other managers leave it alone.
    let other = apply(DEPLOY, Some(&live), &three, "helm", true, T2).expect("applies");
    assert_eq!(
        other["metadata"]["annotations"],
        json!({"kubectl.kubernetes.io/last-applied-configuration": "{\"old\":true}\n"})
    );
}

#[test]
fn custom_resources_have_atomic_lists() {
    let config = json!({
        "apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w", "namespace": "default", "finalizers": ["example.com/a"]},
        "spec": {"items": [{"name": "a"}], "size": 1}
    });
    let created = apply(WIDGET, None, &config, "op", false, T1).expect("creates");
    assert_eq!(
        managed_fields(&created)[0]["fieldsV1"],
        json!({
            "f:metadata": {"f:finalizers": {"v:\"example.com/a\"": {}}},
            "f:spec": {"f:items": {}, "f:size": {}}
        })
    );
    assert_eq!(
        managed_fields(&created)[0]["apiVersion"],
        json!("example.com/v1")
    );
    let live = stored(WIDGET, created);
    let other = json!({
        "apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"name": "w", "namespace": "default", "finalizers": ["example.com/b"]},
        "spec": {"items": [{"name": "b"}]}
    });
    let err = apply(WIDGET, Some(&live), &other, "user", false, T2).expect_err("conflict");
    assert_eq!(
        err.to_string(),
        "Apply failed with 1 conflict: conflict with \"op\": .spec.items"
    );
    // Finalizers are a set: both managers' items stay.
    let merged = apply(WIDGET, Some(&live), &other, "user", true, T2).expect("forced");
    assert_eq!(
        merged["metadata"]["finalizers"],
        json!(["example.com/a", "example.com/b"])
    );
    assert_eq!(merged["spec"], json!({"items": [{"name": "b"}], "size": 1}));
}

#[test]
fn fields_of_objects() {
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default", "uid": "u", "labels": {"app": "nginx"},
                     "managedFields": [{"manager": "x"}]},
        "spec": {"containers": [{"name": "nginx", "image": "nginx"}]}
    });
    assert_eq!(
        fields_of(("", "v1", "Pod"), &pod),
        json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {".": {}, "f:image": {}, "f:name": {}}}}
        })
    );
}

#[test]
fn status_subresources_of_kinds() {
    assert!(has_status_subresource(DEPLOY));
    assert!(has_status_subresource(SERVICE));
    assert!(!has_status_subresource(CONFIG_MAP));
    assert!(!has_status_subresource(WIDGET));
}
