//! Images: a content-addressed blob store ([`content`]) and layer unpacking into directories that
//! overlayfs stacks as lower layers ([`unpack`]).

pub mod content;
pub mod digest;
pub mod oci;
pub mod reference;
pub mod unpack;

pub use content::ContentStore;
pub use digest::Digest;
pub use reference::Reference;
