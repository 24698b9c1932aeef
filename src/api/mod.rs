//! The Kubernetes API as data: kinds and resources, defaulting, validation, selectors, patches,
//! table printers, wire formats. No I/O happens here.

pub mod apply;
pub mod convert;
pub mod crd;
pub mod defaults;
pub mod field;
pub mod kinds;
pub mod limits;
pub mod meta;
pub mod openapi;
pub mod patch;
pub mod printers;
pub mod protobuf;
pub mod quantity;
pub mod quota;
pub mod registry;
pub mod resources;
pub mod selector;
pub mod validation;
