//! The Kubernetes API as data: kinds and resources, defaulting, validation, selectors, patches,
//! table printers, wire formats. No I/O happens here.

pub mod field;
pub mod kinds;
pub mod quantity;
pub mod registry;
pub mod validation;
