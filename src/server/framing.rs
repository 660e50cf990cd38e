//! The LSP base protocol's framing (`Content-Length` headers, then a JSON body), read defensively.
//!
//! tower-lsp-server's own reader ends the whole session at the first undecodable body, and a bad
//! message must never kill the process. This reader turns every malformed frame into an error
//! for that frame alone and finds the next frame: bounded header lines, a bounded body size
//! (larger bodies are skipped without being buffered), and no assumptions about the bytes.

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncReadExt};

/// The largest body accepted. Editors send a few kilobytes; anything near this is an attack or a bug.
pub const MAX_BODY: usize = 16 * 1024 * 1024;
/// The longest header line accepted.
const MAX_HEADER_LINE: usize = 8 * 1024;

/// What the reader found.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A whole body (not yet parsed as JSON).
    Body(Vec<u8>),
    /// A malformed frame, already skipped; the next read starts at the next frame.
    Malformed(FrameError),
    /// End of input.
    Eof,
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    #[error("header line is not 'Name: value'")]
    BadHeader,
    #[error("header line longer than {MAX_HEADER_LINE} bytes")]
    HeaderTooLong,
    #[error("Content-Length header missing")]
    MissingLength,
    #[error("Content-Length is not a number")]
    BadLength,
    #[error("body of {0} bytes is larger than the {MAX_BODY}-byte limit")]
    TooLarge(u64),
}

/// Reads frames from one input, remembering whether it must first find the next header.
pub struct FrameReader<R> {
    reader: R,
    /// Set after a frame whose declared body is over [`MAX_BODY`]: its body is not read (the client
    /// may never send it all), so the next read skips bytes up to the next `Content-Length` header.
    resync: bool,
}

impl<R: AsyncBufRead + Unpin> FrameReader<R> {
    pub fn new(reader: R) -> Self {
        Self { reader, resync: false }
    }

    /// Reads the next frame. IO errors count as end of input: stdin is gone.
    pub async fn next(&mut self) -> Frame {
        let mut pending = None;
        if std::mem::take(&mut self.resync) {
            match self.next_header().await {
                Some(line) => pending = Some(line),
                None => return Frame::Eof,
            }
        }
        let mut length: Option<Result<u64, FrameError>> = None;
        let mut problem = None;
        let mut saw_any = pending.is_some();
        loop {
            let line = match pending.take() {
                Some(line) => line,
                None => match read_line(&mut self.reader).await {
                    Line::Eof => {
                        return if saw_any { Frame::Malformed(FrameError::MissingLength) } else { Frame::Eof };
                    }
                    // The tail of a long line may be the next header glued to an undelimited body.
                    Line::TooLong(tail) => match header_start(&tail) {
                        Some(start) => tail[start..].to_string(),
                        None => {
                            problem.get_or_insert(FrameError::HeaderTooLong);
                            saw_any = true;
                            continue;
                        }
                    },
                    Line::Text(line) => line,
                },
            };
            if line.is_empty() {
                if !saw_any {
                    // Stray blank lines between frames are harmless.
                    continue;
                }
                break;
            }
            saw_any = true;
            // Resynchronise after a frame whose body could not be delimited: its leftover bytes end
            // up glued in front of the next frame's header line.
            let line = match header_start(&line) {
                Some(start) if start > 0 => line[start..].to_string(),
                _ => line,
            };
            let Some((name, value)) = line.split_once(':') else {
                problem.get_or_insert(FrameError::BadHeader);
                continue;
            };
            if name.trim().eq_ignore_ascii_case("content-length") {
                length = Some(value.trim().parse::<u64>().map_err(|_| FrameError::BadLength));
            }
        }
        if let Some(problem) = problem {
            return Frame::Malformed(problem);
        }
        let length = match length {
            None => return Frame::Malformed(FrameError::MissingLength),
            Some(Err(error)) => return Frame::Malformed(error),
            Some(Ok(length)) => length,
        };
        if length > MAX_BODY as u64 {
            // Answered at once: waiting for a body this size could wait forever, and keeping it
            // would cost its size. Whatever of it arrives is skipped on the way to the next header.
            self.resync = true;
            return Frame::Malformed(FrameError::TooLarge(length));
        }
        let mut body = vec![0; length as usize];
        match self.reader.read_exact(&mut body).await {
            Ok(_) => Frame::Body(body),
            Err(_) => Frame::Eof,
        }
    }

    /// Skips lines (each kept to its last [`MAX_HEADER_LINE`] bytes) up to one holding a
    /// `Content-Length` header, returned from the header on; `None` at the end of input.
    async fn next_header(&mut self) -> Option<String> {
        loop {
            let (Line::Text(line) | Line::TooLong(line)) = read_line(&mut self.reader).await else {
                return None;
            };
            if let Some(start) = header_start(&line) {
                return Some(line[start..].to_string());
            }
        }
    }
}

/// Where a `Content-Length` header starts in a line, if it has one (the last one, when glued).
fn header_start(line: &str) -> Option<usize> {
    line.to_ascii_lowercase().rfind("content-length:")
}

enum Line {
    Text(String),
    /// A line over [`MAX_HEADER_LINE`] bytes: only its last [`MAX_HEADER_LINE`] bytes.
    TooLong(String),
    Eof,
}

/// One header line without its line ending. Of a longer line only the end is kept, so that memory
/// stays bounded whatever arrives.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R) -> Line {
    let mut line = Vec::new();
    let mut too_long = false;
    loop {
        let available = match reader.fill_buf().await {
            Ok([]) | Err(_) => return Line::Eof,
            Ok(available) => available,
        };
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(end) => (&available[..=end], true),
            None => (available, false),
        };
        line.extend_from_slice(chunk);
        if line.len() > MAX_HEADER_LINE {
            too_long = true;
            line.drain(..line.len() - MAX_HEADER_LINE);
        }
        let used = chunk.len();
        reader.consume(used);
        if done {
            break;
        }
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    let text = String::from_utf8_lossy(&line).into_owned();
    if too_long {
        Line::TooLong(text)
    } else {
        Line::Text(text)
    }
}

/// Frames a body for writing.
pub fn encode(body: &[u8]) -> Vec<u8> {
    let mut frame = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    frame.extend_from_slice(body);
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn frames(input: &[u8]) -> Vec<Frame> {
        let mut reader = FrameReader::new(tokio::io::BufReader::new(input));
        let mut all = Vec::new();
        loop {
            let frame = reader.next().await;
            let end = frame == Frame::Eof;
            all.push(frame);
            if end {
                return all;
            }
        }
    }

    #[tokio::test]
    async fn reads_frames_and_recovers_from_bad_ones() {
        let input = b"Content-Length: 2\r\n\r\n{}\
            Content-Type: application/vscode-jsonrpc; charset=utf-8\r\ncontent-length: 3\r\n\r\n[1]\
            garbage line\r\n\r\n\
            Content-Length: x\r\n\r\n\
            \r\n\
            Content-Length: 4\n\n1234";
        assert_eq!(
            frames(input).await,
            vec![
                Frame::Body(b"{}".to_vec()),
                Frame::Body(b"[1]".to_vec()),
                Frame::Malformed(FrameError::BadHeader),
                Frame::Malformed(FrameError::BadLength),
                Frame::Body(b"1234".to_vec()),
                Frame::Eof,
            ]
        );
    }

    #[tokio::test]
    async fn leftovers_of_an_undelimited_frame_do_not_hide_the_next_frame() {
        let input = b"Content-Type: x\r\n\r\n{\"a\":1}Content-Length: 2\r\n\r\n{}";
        assert_eq!(
            frames(input).await,
            vec![Frame::Malformed(FrameError::MissingLength), Frame::Body(b"{}".to_vec()), Frame::Eof]
        );
    }

    #[tokio::test]
    async fn huge_lengths_are_skipped_not_buffered() {
        let mut input = format!("Content-Length: {}\r\n\r\n", MAX_BODY + 1).into_bytes();
        input.extend(std::iter::repeat_n(b'x', MAX_BODY + 1));
        input.extend_from_slice(b"Content-Length: 2\r\n\r\n{}");
        let found = frames(&input).await;
        assert_eq!(found[0], Frame::Malformed(FrameError::TooLarge(MAX_BODY as u64 + 1)));
        assert_eq!(found[1], Frame::Body(b"{}".to_vec()));
        let absurd = b"Content-Length: 99999999999999999999\r\n\r\n{}";
        assert_eq!(frames(absurd).await[0], Frame::Malformed(FrameError::BadLength));
    }

    #[tokio::test]
    async fn a_huge_length_is_answered_before_its_body_and_the_next_frame_is_found() {
        let (mut client, server) = tokio::io::duplex(64 * 1024);
        let mut reader = FrameReader::new(tokio::io::BufReader::new(server));
        use tokio::io::AsyncWriteExt;
        // Ten gigabytes announced, none sent: the answer must not wait for them.
        client.write_all(b"Content-Length: 10737418240\r\n\r\n").await.unwrap();
        let first = tokio::time::timeout(std::time::Duration::from_secs(5), reader.next()).await;
        assert_eq!(first.expect("answered without the body"), Frame::Malformed(FrameError::TooLarge(10737418240)));
        // Part of that body, with newlines, then a real frame: the session goes on.
        let writer = tokio::spawn(async move {
            client.write_all(b"{\"jsonrpc\": \"2.0\",\n \"params\": \"").await.unwrap();
            client.write_all(&vec![b'y'; 100_000]).await.unwrap();
            client.write_all(b"Content-Length: 2\r\n\r\n{}").await.unwrap();
        });
        let next = tokio::time::timeout(std::time::Duration::from_secs(5), reader.next()).await;
        assert_eq!(next.expect("the next frame is read"), Frame::Body(b"{}".to_vec()));
        writer.await.unwrap();
        assert_eq!(reader.next().await, Frame::Eof);
    }

    #[tokio::test]
    async fn a_long_leftover_glued_to_the_next_header_does_not_hide_it() {
        let mut input = b"Content-Type: x\r\n\r\n".to_vec();
        input.extend(std::iter::repeat_n(b'z', 3 * MAX_HEADER_LINE));
        input.extend_from_slice(b"Content-Length: 2\r\n\r\n{}");
        assert_eq!(
            frames(&input).await,
            vec![Frame::Malformed(FrameError::MissingLength), Frame::Body(b"{}".to_vec()), Frame::Eof]
        );
    }

    #[tokio::test]
    async fn truncated_input_is_the_end() {
        assert_eq!(frames(b"Content-Length: 10\r\n\r\n{}").await, vec![Frame::Eof]);
        assert_eq!(frames(b"Content-Length: 10\r\n").await[0], Frame::Malformed(FrameError::MissingLength));
        let long_header = [vec![b'a'; MAX_HEADER_LINE + 10], b"\r\n\r\n".to_vec()].concat();
        assert_eq!(frames(&long_header).await[0], Frame::Malformed(FrameError::HeaderTooLong));
    }
}
