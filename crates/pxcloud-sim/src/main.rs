//! `pxcloud-sim`: run the PXCloud stand-in standalone.
fn main() {}
