//! Decoding arbitrary bytes never panics, and whatever decodes re-encodes to something
//! that decodes to the same message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_protocol::jsonrpc::{Incoming, decode, decode_value};

fuzz_target!(|data: &[u8]| {
    // The fast path and the general path agree on every object.
    if let Ok(value @ serde_json::Value::Object(_)) =
        serde_json::from_slice::<serde_json::Value>(data)
    {
        let general = decode_value(value).map(Incoming::Single);
        assert_eq!(decode(data), general);
    }
    if let Ok(Incoming::Single(msg)) = decode(data) {
        let bytes = msg.encode();
        assert!(!bytes.contains(&b'\n'));
        match decode(&bytes) {
            Ok(Incoming::Single(again)) => assert_eq!(msg, again),
            other => panic!("re-decode failed: {other:?}"),
        }
    }
});
