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

/// Reads the next frame. IO errors count as end of input: stdin is gone.
pub async fn read_frame<R: AsyncBufRead + Unpin>(reader: &mut R) -> Frame {
    let mut length: Option<Result<u64, FrameError>> = None;
    let mut problem = None;
    let mut saw_any = false;
    loop {
        let line = match read_line(reader).await {
            Line::Eof => return if saw_any { Frame::Malformed(FrameError::MissingLength) } else { Frame::Eof },
            Line::TooLong => {
                problem.get_or_insert(FrameError::HeaderTooLong);
                saw_any = true;
                continue;
            }
            Line::Text(line) => line,
        };
        if line.is_empty() {
            if !saw_any {
                // Stray blank lines between frames are harmless.
                continue;
            }
            break;
        }
        saw_any = true;
        // Resynchronise after a frame whose body could not be delimited: its leftover bytes end up
        // glued in front of the next frame's header line.
        let line = match line.to_ascii_lowercase().rfind("content-length:") {
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
        // Skip the body without keeping it; if the input ends first, that is the end.
        let skipped = tokio::io::copy(&mut reader.take(length), &mut tokio::io::sink()).await.unwrap_or(0);
        return if skipped < length { Frame::Eof } else { Frame::Malformed(FrameError::TooLarge(length)) };
    }
    let mut body = vec![0; length as usize];
    match reader.read_exact(&mut body).await {
        Ok(_) => Frame::Body(body),
        Err(_) => Frame::Eof,
    }
}

enum Line {
    Text(String),
    TooLong,
    Eof,
}

/// One header line without its line ending, at most [`MAX_HEADER_LINE`] bytes kept.
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
        if line.len() + chunk.len() > MAX_HEADER_LINE {
            too_long = true;
        } else {
            line.extend_from_slice(chunk);
        }
        let used = chunk.len();
        reader.consume(used);
        if done {
            break;
        }
    }
    if too_long {
        return Line::TooLong;
    }
    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        line.pop();
    }
    Line::Text(String::from_utf8_lossy(&line).into_owned())
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
        let mut reader = tokio::io::BufReader::new(input);
        let mut all = Vec::new();
        loop {
            let frame = read_frame(&mut reader).await;
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
    async fn truncated_input_is_the_end() {
        assert_eq!(frames(b"Content-Length: 10\r\n\r\n{}").await, vec![Frame::Eof]);
        assert_eq!(frames(b"Content-Length: 10\r\n").await[0], Frame::Malformed(FrameError::MissingLength));
        let long_header = [vec![b'a'; MAX_HEADER_LINE + 10], b"\r\n\r\n".to_vec()].concat();
        assert_eq!(frames(&long_header).await[0], Frame::Malformed(FrameError::HeaderTooLong));
    }
}
