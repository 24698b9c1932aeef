"""The official Python `kubernetes` client against orch: create, list, watch, patch and delete a
ConfigMap and a Deployment. Run by tests/python_client.rs with the admin kubeconfig."""
import sys
import threading
import time

from kubernetes import client, config, watch

config.load_kube_config(config_file=sys.argv[1])
core = client.CoreV1Api()
apps = client.AppsV1Api()
ns = "default"

# ConfigMap: create, list by label, watch from the list's revision, patch, delete.
cm = client.V1ConfigMap(
    metadata=client.V1ObjectMeta(name="py-cm", labels={"via": "python"}), data={"k": "v"}
)
created = core.create_namespaced_config_map(ns, cm)
assert created.metadata.uid, created
listed = core.list_namespaced_config_map(ns, label_selector="via=python")
assert [i.metadata.name for i in listed.items] == ["py-cm"], listed.items
rv = listed.metadata.resource_version

events = []


def watcher():
    w = watch.Watch()
    for ev in w.stream(
        core.list_namespaced_config_map,
        ns,
        resource_version=rv,
        label_selector="via=python",
        timeout_seconds=10,
    ):
        obj = ev["object"]
        events.append((ev["type"], obj.metadata.name, (obj.data or {}).get("k")))
        if ev["type"] == "DELETED":
            w.stop()


t = threading.Thread(target=watcher)
t.start()
time.sleep(0.5)
core.patch_namespaced_config_map("py-cm", ns, {"data": {"k": "v2"}})
core.delete_namespaced_config_map("py-cm", ns)
t.join(timeout=15)
assert events == [("MODIFIED", "py-cm", "v2"), ("DELETED", "py-cm", "v2")], events

# Deployment: create (defaults filled), read, patch, scale, list, delete.
dep = client.V1Deployment(
    metadata=client.V1ObjectMeta(name="py-dep"),
    spec=client.V1DeploymentSpec(
        replicas=2,
        selector=client.V1LabelSelector(match_labels={"app": "py"}),
        template=client.V1PodTemplateSpec(
            metadata=client.V1ObjectMeta(labels={"app": "py"}),
            spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="busybox")]),
        ),
    ),
)
apps.create_namespaced_deployment(ns, dep)
d = apps.read_namespaced_deployment("py-dep", ns)
assert d.spec.replicas == 2 and d.spec.strategy.type == "RollingUpdate", d.spec
assert d.spec.template.spec.restart_policy == "Always"
apps.patch_namespaced_deployment("py-dep", ns, {"spec": {"replicas": 3}})
apps.patch_namespaced_deployment_scale("py-dep", ns, {"spec": {"replicas": 4}})
assert apps.read_namespaced_deployment("py-dep", ns).spec.replicas == 4
assert "py-dep" in [x.metadata.name for x in apps.list_deployment_for_all_namespaces().items]
apps.delete_namespaced_deployment("py-dep", ns)
try:
    apps.read_namespaced_deployment("py-dep", ns)
    raise AssertionError("deployment still readable after delete")
except client.ApiException as e:
    assert e.status == 404, e

# Errors come back as ApiException with the Status.
try:
    core.create_namespaced_config_map(ns, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="Bad_Name")))
    raise AssertionError("invalid name accepted")
except client.ApiException as e:
    assert e.status == 422, e
print("python client: OK")
