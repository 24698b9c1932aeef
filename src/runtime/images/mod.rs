//! Images: a content-addressed blob store ([`content`]), named images ([`store`]), archive
//! import ([`import`]), the image documents ([`oci`]), references ([`reference`]), and layer
//! unpacking into directories that overlayfs stacks as lower layers ([`unpack`]).

pub mod airgap;
pub mod content;
pub mod digest;
pub mod import;
pub mod layers;
pub mod oci;
pub mod pull;
pub mod reference;
pub mod registry;
pub mod service;
pub mod store;
#[cfg(test)]
pub(crate) mod testutil;
pub mod unpack;

pub use content::ContentStore;
pub use digest::Digest;
pub use reference::Reference;
pub use service::Images;

/// Where a node keeps its images: `<data-dir>/agent/image-store`.
pub fn store_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("agent").join("image-store")
}

/// Where image archives to import at start go: `<data-dir>/agent/images` (airgap installs).
pub fn airgap_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("agent").join("images")
}
