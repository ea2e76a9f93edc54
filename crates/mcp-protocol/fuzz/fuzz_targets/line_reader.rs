//! The capped line reader never panics and never returns a line over the cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mcp_protocol::jsonrpc::{Line, LineReader};

fuzz_target!(|data: &[u8]| {
    let Some((&cap, input)) = data.split_first() else {
        return;
    };
    let cap = usize::from(cap % 64);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let buffered = tokio::io::BufReader::with_capacity(7, input);
        let mut reader = LineReader::new(buffered, cap);
        loop {
            match reader.next_line().await.unwrap() {
                Line::Eof => break,
                Line::TooLong => {}
                Line::Data(line) => assert!(line.len() <= cap),
            }
        }
    });
});
