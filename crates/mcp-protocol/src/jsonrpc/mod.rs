//! JSON-RPC 2.0, written by hand over `serde_json`.
//!
//! The kind of a message (request, notification, response, error) is decided from the
//! members present, never by letting an untagged enum guess. Decoding never panics: any
//! input yields either a [`Message`] or an [`ErrorObject`] ready to send back.

mod error;
mod id;
mod message;
mod reader;
mod value;

pub use error::{ErrorCode, ErrorObject};
pub use id::RequestId;
pub(crate) use message::encode_response;
pub use message::{
    Incoming, Message, Notification, Request, Response, ResponseError, decode, decode_value,
};
pub use reader::{DEFAULT_MAX_MESSAGE_BYTES, Line, LineReader};
