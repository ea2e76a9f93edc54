//! A faithful in-memory PXCloud stand-in over HTTP and HTTPS.
#![deny(missing_docs)]
