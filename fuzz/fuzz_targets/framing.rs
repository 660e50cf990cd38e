//! The framing reader on arbitrary bytes: it must never panic, never return a body over the limit,
//! and always reach the end of the input.
#![no_main]

use ide_sidecar::server::framing::{Frame, FrameReader, MAX_BODY};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let runtime = tokio::runtime::Builder::new_current_thread().build().expect("a runtime");
    runtime.block_on(async {
        let mut reader = FrameReader::new(tokio::io::BufReader::new(data));
        // Each frame consumes at least one byte, so this many reads always reach the end.
        for _ in 0..=data.len() {
            match reader.next().await {
                Frame::Eof => return,
                Frame::Body(body) => assert!(body.len() <= MAX_BODY),
                Frame::Malformed(_) => {}
            }
        }
        panic!("the reader did not reach the end of {} bytes", data.len());
    });
});
