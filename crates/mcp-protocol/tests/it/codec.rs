//! The JSON-RPC codec: kinds decided from members, error codes, batches, the line cap.

use mcp_protocol::jsonrpc::{ErrorCode, Incoming, Line, LineReader, Message, RequestId, decode};
use proptest::prelude::*;

/// What a decoded input should be: a kind, or an error code with the id it echoes.
#[derive(Debug, PartialEq)]
enum Expect {
    Request(RequestId),
    Notification,
    Response(RequestId),
    ErrorResponse,
    Fails(ErrorCode, Option<RequestId>),
}

fn check(input: &str, expected: Expect) {
    let got = match decode(input.as_bytes()) {
        Ok(Incoming::Single(Message::Request(r))) => Expect::Request(r.id),
        Ok(Incoming::Single(Message::Notification(_))) => Expect::Notification,
        Ok(Incoming::Single(Message::Response(r))) => Expect::Response(r.id),
        Ok(Incoming::Single(Message::Error(_))) => Expect::ErrorResponse,
        Ok(Incoming::Batch(_)) => panic!("unexpected batch for {input}"),
        Err(e) => Expect::Fails(e.error.code, e.id),
    };
    assert_eq!(got, expected, "input: {input}");
}

#[test]
fn kinds_are_decided_from_members() {
    use Expect::*;
    let n = |i: i64| RequestId::Number(i);
    let s = |v: &str| RequestId::String(v.into());
    let cases = [
        (r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, Request(n(1))),
        (
            r#"{"jsonrpc":"2.0","id":"abc","method":"tools/list","params":{}}"#,
            Request(s("abc")),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
            Notification,
        ),
        (r#"{"jsonrpc":"2.0","id":7,"result":{}}"#, Response(n(7))),
        (
            r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"x"}}"#,
            ErrorResponse,
        ),
        (
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"x"}}"#,
            ErrorResponse,
        ),
        // Malformed JSON.
        (
            r#"{"jsonrpc":"2.0","id":1,"#,
            Fails(ErrorCode::PARSE_ERROR, None),
        ),
        ("", Fails(ErrorCode::PARSE_ERROR, None)),
        // Structurally wrong: the readable id is echoed.
        (
            r#"{"jsonrpc":"1.0","id":3,"method":"ping"}"#,
            Fails(ErrorCode::INVALID_REQUEST, Some(n(3))),
        ),
        (
            r#"{"id":3,"method":"ping"}"#,
            Fails(ErrorCode::INVALID_REQUEST, Some(n(3))),
        ),
        (
            r#"{"jsonrpc":"2.0","id":4,"method":12}"#,
            Fails(ErrorCode::INVALID_REQUEST, Some(n(4))),
        ),
        (
            r#"{"jsonrpc":"2.0","id":5,"method":"x","params":"str"}"#,
            Fails(ErrorCode::INVALID_REQUEST, Some(n(5))),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#,
            Fails(ErrorCode::INVALID_REQUEST, None),
        ),
        (
            r#"{"jsonrpc":"2.0","id":{},"method":"x"}"#,
            Fails(ErrorCode::INVALID_REQUEST, None),
        ),
        (
            r#"{"jsonrpc":"2.0","id":null,"method":"x"}"#,
            Fails(ErrorCode::INVALID_REQUEST, None),
        ),
        (
            r#"{"jsonrpc":"2.0","id":6,"result":1,"error":{"code":1,"message":"m"}}"#,
            Fails(ErrorCode::INVALID_REQUEST, Some(n(6))),
        ),
        (
            r#"{"jsonrpc":"2.0","result":1}"#,
            Fails(ErrorCode::INVALID_REQUEST, None),
        ),
        (
            r#"{"jsonrpc":"2.0","id":8}"#,
            Fails(ErrorCode::INVALID_REQUEST, Some(n(8))),
        ),
        (
            r#"{"jsonrpc":"2.0","id":9,"error":{"code":"x"}}"#,
            Fails(ErrorCode::INVALID_REQUEST, Some(n(9))),
        ),
        ("42", Fails(ErrorCode::INVALID_REQUEST, None)),
        ("[]", Fails(ErrorCode::INVALID_REQUEST, None)),
    ];
    for (input, expected) in cases {
        check(input, expected);
    }
}

#[test]
fn batch_elements_are_decoded_one_by_one() {
    let input =
        r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"bad":true},{"jsonrpc":"2.0","method":"n"}]"#;
    let Ok(Incoming::Batch(items)) = decode(input.as_bytes()) else {
        panic!("expected a batch")
    };
    assert_eq!(items.len(), 3);
    assert!(matches!(items[0], Ok(Message::Request(_))));
    assert_eq!(
        items[1].as_ref().err().map(|e| e.error.code),
        Some(ErrorCode::INVALID_REQUEST)
    );
    assert!(matches!(items[2], Ok(Message::Notification(_))));
}

#[test]
fn encoding_round_trips_and_stays_on_one_line() {
    let inputs = [
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"a","arguments":{"text":"line1\nline2"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/progress","params":{"progress":1}}"#,
        r#"{"jsonrpc":"2.0","id":"x","result":{"content":[]}}"#,
        r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error","data":{"k":1}}}"#,
    ];
    for input in inputs {
        let Ok(Incoming::Single(msg)) = decode(input.as_bytes()) else {
            panic!("decode {input}")
        };
        let bytes = msg.encode();
        assert!(!bytes.contains(&b'\n'), "encoded message must fit one line");
        let Ok(Incoming::Single(again)) = decode(&bytes) else {
            panic!("re-decode {input}")
        };
        assert_eq!(msg, again);
        let original: serde_json::Value = serde_json::from_str(input).unwrap();
        assert_eq!(msg.to_value(), original);
    }
}

#[test]
fn error_codes_have_their_numbers() {
    let cases = [
        (ErrorCode::PARSE_ERROR, -32700),
        (ErrorCode::INVALID_REQUEST, -32600),
        (ErrorCode::METHOD_NOT_FOUND, -32601),
        (ErrorCode::INVALID_PARAMS, -32602),
        (ErrorCode::INTERNAL_ERROR, -32603),
        (ErrorCode::HEADER_MISMATCH, -32020),
        (ErrorCode::MISSING_CLIENT_CAPABILITY, -32021),
        (ErrorCode::UNSUPPORTED_PROTOCOL_VERSION, -32022),
    ];
    for (code, n) in cases {
        assert_eq!(code.0, n);
    }
}

async fn read_all(input: &[u8], max: usize) -> Vec<Line> {
    let mut reader = LineReader::new(input, max);
    let mut out = Vec::new();
    loop {
        let line = reader.next_line().await.unwrap();
        let end = line == Line::Eof;
        out.push(line);
        if end {
            return out;
        }
    }
}

#[tokio::test]
async fn line_reader_enforces_the_cap_and_recovers() {
    let data = |s: &str| Line::Data(s.as_bytes().to_vec());
    let cases: Vec<(&[u8], usize, Vec<Line>)> = vec![
        (b"abc\ndef\n", 10, vec![data("abc"), data("def"), Line::Eof]),
        (
            b"abc\r\nlast",
            10,
            vec![data("abc"), data("last"), Line::Eof],
        ),
        (
            b"0123456789\nok\n",
            10,
            vec![data("0123456789"), data("ok"), Line::Eof],
        ),
        (
            b"0123456789X\nok\n",
            10,
            vec![Line::TooLong, data("ok"), Line::Eof],
        ),
        (b"0123456789XYZ", 10, vec![Line::TooLong, Line::Eof]),
        (b"", 10, vec![Line::Eof]),
    ];
    for (input, max, expected) in cases {
        assert_eq!(
            read_all(input, max).await,
            expected,
            "input {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[tokio::test]
async fn oversized_line_is_never_buffered_whole() {
    // A 64 KiB line through a reader with an 8-byte internal buffer and a 1 KiB cap:
    // the reader must discard as it goes and still find the next line.
    let mut input = vec![b'x'; 64 * 1024];
    input.extend_from_slice(b"\n{\"ok\":1}\n");
    let buffered = tokio::io::BufReader::with_capacity(8, input.as_slice());
    let mut reader = LineReader::new(buffered, 1024);
    assert_eq!(reader.next_line().await.unwrap(), Line::TooLong);
    assert_eq!(
        reader.next_line().await.unwrap(),
        Line::Data(b"{\"ok\":1}".to_vec())
    );
}

#[test]
fn fast_and_general_paths_agree() {
    let inputs = [
        r#"{"jsonrpc":"2.0","id":1,"method":null,"result":{}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"m","params":null}"#,
        r#"{"jsonrpc":"2.0","id":1,"result":null}"#,
        r#"{"jsonrpc":null,"id":1,"method":"m"}"#,
        r#"{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"m"}}"#,
        r#"{"jsonrpc":"2.0","error":{"code":1,"message":"m"}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"m","extra":[1,2]}"#,
        r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"m","method":"n"}"#,
        r#"{"jsonrpc":"1.0","jsonrpc":"2.0","id":"x","method":"m"}"#,
        r#"{"jsonrpc":"2.0","jsonrpc":1,"id":"x","method":"m"}"#,
        r#"{"jsonrpc":"2.0","id":7,"result":{"b":1,"a":{"c":[],"d":{}},"b":2}}"#,
        r#"{"jsonrpc":"2.0","id":7,"result":{"text":"{\"a\":\"\u00e9\\n\"}"}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"big":1e300,"neg":-0,"u":18446744073709551615}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"m","params":[]}  "#,
    ];
    for input in inputs {
        let value: serde_json::Value = serde_json::from_str(input).unwrap();
        let general = mcp_protocol::jsonrpc::decode_value(value).map(Incoming::Single);
        let fast = decode(input.as_bytes());
        assert_eq!(fast, general, "{input}");
        // Member order survives too (equality of maps ignores it).
        if let (Ok(Incoming::Single(a)), Ok(Incoming::Single(b))) = (&fast, &general) {
            assert_eq!(a.encode(), b.encode(), "{input}");
        }
    }
}

#[test]
fn input_that_is_not_utf8_is_a_parse_error() {
    let bad = b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"x\":\"\xff\"}";
    check_bytes(bad, Expect::Fails(ErrorCode::PARSE_ERROR, None));
    check_bytes(b"[\"\xc3\"]", Expect::Fails(ErrorCode::PARSE_ERROR, None));
}

fn check_bytes(input: &[u8], expected: Expect) {
    let got = match decode(input) {
        Err(e) => Expect::Fails(e.error.code, e.id),
        Ok(other) => panic!("decoded {other:?}"),
    };
    assert_eq!(got, expected);
}

proptest! {
    #[test]
    fn decode_never_panics_on_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn decode_never_panics_on_json_shapes(
        id in prop_oneof![Just("1".to_owned()), Just("\"a\"".to_owned()), Just("null".to_owned()), Just("1.5".to_owned()), Just("[]".to_owned())],
        method in prop_oneof![Just("\"m\"".to_owned()), Just("3".to_owned()), Just("null".to_owned())],
        extra in prop_oneof![Just(String::new()), Just(",\"result\":{}".to_owned()), Just(",\"error\":{\"code\":1,\"message\":\"m\"}".to_owned())],
    ) {
        let text = format!("{{\"jsonrpc\":\"2.0\",\"id\":{id},\"method\":{method}{extra}}}");
        let _ = decode(text.as_bytes());
        let batch = format!("[{text},{text}]");
        let _ = decode(batch.as_bytes());
    }
}
