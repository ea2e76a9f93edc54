//! Newline-delimited reading with a size cap enforced while reading.

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// The default cap on one message: 16 MiB.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

/// What [`LineReader::next_line`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    /// One line without its terminator (`\n` or `\r\n`).
    Data(Vec<u8>),
    /// A line longer than the cap; its bytes were discarded as they arrived.
    TooLong,
    /// End of input.
    Eof,
}

/// Reads lines from a buffered reader, never holding more than `max` bytes of one line.
#[derive(Debug)]
pub struct LineReader<R> {
    inner: R,
    max: usize,
}

impl<R: AsyncBufRead + Unpin> LineReader<R> {
    /// A reader with the given cap in bytes.
    pub fn new(inner: R, max: usize) -> Self {
        LineReader { inner, max }
    }

    /// Reads the next line. Oversized lines are skipped to their end and reported as
    /// [`Line::TooLong`]; a final line without a newline is still returned.
    pub async fn next_line(&mut self) -> std::io::Result<Line> {
        let mut buf = Vec::new();
        let mut too_long = false;
        loop {
            let available = self.inner.fill_buf().await?;
            if available.is_empty() {
                if too_long {
                    return Ok(Line::TooLong);
                }
                if buf.is_empty() {
                    return Ok(Line::Eof);
                }
                return Ok(finish(buf, self.max));
            }
            let (chunk, used, done) = match available.iter().position(|b| *b == b'\n') {
                Some(pos) => (&available[..pos], pos + 1, true),
                None => (available, available.len(), false),
            };
            if !too_long {
                if buf.len() + chunk.len() > self.max.saturating_add(1) {
                    too_long = true;
                    buf = Vec::new();
                } else if buf.is_empty() && done {
                    // The whole line was buffered: one exact allocation.
                    buf = chunk.to_vec();
                } else {
                    buf.extend_from_slice(chunk);
                }
            }
            self.inner.consume(used);
            if done {
                if too_long {
                    return Ok(Line::TooLong);
                }
                return Ok(finish(buf, self.max));
            }
        }
    }
}

fn finish(mut line: Vec<u8>, max: usize) -> Line {
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    if line.len() > max {
        Line::TooLong
    } else {
        Line::Data(line)
    }
}
