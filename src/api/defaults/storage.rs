//! `storage.k8s.io/v1`: `pkg/apis/storage/v1/defaults.go`. A VolumeAttachment's inline
//! persistent volume spec gets the volume source defaults. CSINode and CSIStorageCapacity have
//! none.
//!
//! 1.33 gates: SELinuxMountReadWriteOncePod is beta and on, so `seLinuxMount` is defaulted.

use k8s_openapi::api::storage::v1::{CSIDriver, StorageClass, VolumeAttachment};
use serde_json::Value;

use super::core::persistent_volume_sources;
use super::{default_ptr, typed};

pub(super) fn apply(kind: &str, obj: &mut Value) {
    match kind {
        "StorageClass" => typed(obj, storage_class),
        "CSIDriver" => typed(obj, csi_driver),
        "VolumeAttachment" => typed(obj, |v: &mut VolumeAttachment| {
            if let Some(spec) = &mut v.spec.source.inline_volume_spec {
                persistent_volume_sources(spec);
            }
        }),
        _ => {}
    }
}

fn storage_class(s: &mut StorageClass) {
    default_ptr(&mut s.reclaim_policy, "Delete".to_owned());
    default_ptr(&mut s.volume_binding_mode, "Immediate".to_owned());
}

fn csi_driver(d: &mut CSIDriver) {
    let spec = &mut d.spec;
    default_ptr(&mut spec.attach_required, true);
    default_ptr(&mut spec.pod_info_on_mount, false);
    default_ptr(&mut spec.storage_capacity, false);
    default_ptr(
        &mut spec.fs_group_policy,
        "ReadWriteOnceWithFSType".to_owned(),
    );
    if spec
        .volume_lifecycle_modes
        .as_ref()
        .is_none_or(Vec::is_empty)
    {
        spec.volume_lifecycle_modes = Some(vec!["Persistent".to_owned()]);
    }
    default_ptr(&mut spec.requires_republish, false);
    default_ptr(&mut spec.se_linux_mount, false);
}
