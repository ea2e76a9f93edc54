//! The resources the simulator keeps, as they appear on the wire and in the document.

pub(crate) mod compute;
pub(crate) mod task;
pub(crate) mod vmdata;

pub(crate) use compute::*;
pub(crate) use task::*;
pub(crate) use vmdata::*;
