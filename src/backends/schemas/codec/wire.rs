//! Confluent's wire format around a payload: the magic byte 0 and the 4-byte big-endian schema id,
//! and for Protobuf the message indexes that open the payload.

/// The schema id and the payload of a record in Confluent's wire format; None when the bytes do not
/// start with the magic byte 0 and a schema id.
pub fn split(bytes: &[u8]) -> Option<(u32, &[u8])> {
    match bytes {
        [0, a, b, c, d, payload @ ..] => Some((u32::from_be_bytes([*a, *b, *c, *d]), payload)),
        _ => None,
    }
}

/// A record in Confluent's wire format: the magic byte, the schema id, the payload.
pub fn frame(id: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + payload.len());
    out.push(0);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(payload);
    out
}

/// Message indexes deeper than this are not a real schema's; the bound keeps garbage from allocating.
const MAX_INDEXES: i64 = 64;

/// Writes the message indexes that select a message in a .proto file: the top-level message's
/// position, then nested positions. Confluent writes a count and the indexes as zigzag varints, and
/// `[0]` (the file's first message) as the single byte 0.
pub fn write_message_indexes(indexes: &[i32], out: &mut Vec<u8>) {
    if indexes == [0] {
        out.push(0);
        return;
    }
    write_zigzag(indexes.len() as i64, out);
    for &index in indexes {
        write_zigzag(i64::from(index), out);
    }
}

/// Reads the message indexes from the start of a Protobuf payload; returns them and the rest.
pub fn read_message_indexes(payload: &[u8]) -> Result<(Vec<i32>, &[u8]), String> {
    let mut rest = payload;
    let count = read_zigzag(&mut rest).ok_or("the payload ends before its message indexes")?;
    if count == 0 {
        return Ok((vec![0], rest));
    }
    if !(1..=MAX_INDEXES).contains(&count) {
        return Err(format!(
            "the payload starts with {count} message indexes, which no schema has: it may not be in Confluent's Protobuf format"
        ));
    }
    let mut indexes = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let index = read_zigzag(&mut rest).ok_or("the payload ends inside its message indexes")?;
        let index = i32::try_from(index)
            .ok()
            .filter(|i| *i >= 0)
            .ok_or_else(|| format!("the message index {index} is not a message's position"))?;
        indexes.push(index);
    }
    Ok((indexes, rest))
}

pub(super) fn write_zigzag(value: i64, out: &mut Vec<u8>) {
    let mut n = ((value << 1) ^ (value >> 63)) as u64;
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A zigzag varint from the front of `bytes`, advancing it; None when the bytes end first or the
/// varint is longer than 64 bits.
pub(super) fn read_zigzag(bytes: &mut &[u8]) -> Option<i64> {
    let mut n: u64 = 0;
    for (i, &byte) in bytes.iter().enumerate().take(10) {
        n |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some(((n >> 1) as i64) ^ -((n & 1) as i64));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_frames() {
        let framed = frame(0x0102_0304, b"abc");
        assert_eq!(framed, [0, 1, 2, 3, 4, b'a', b'b', b'c']);
        assert_eq!(split(&framed), Some((0x0102_0304, &b"abc"[..])));
        assert_eq!(split(&[0, 0, 0, 0, 7]), Some((7, &[][..])));
        assert_eq!(split(&[1, 0, 0, 0, 7]), None);
        assert_eq!(split(&[0, 0, 0]), None);
        assert_eq!(split(&[]), None);
    }

    /// Confluent's format: a zigzag count then zigzag indexes, and `[0]` as the single byte 0.
    #[test]
    fn message_indexes_match_confluent_bytes() {
        let cases: [(&[i32], &[u8]); 5] = [
            (&[0], &[0x00]),
            (&[1], &[0x02, 0x02]),
            (&[1, 0], &[0x04, 0x02, 0x00]),
            (&[0, 2], &[0x04, 0x00, 0x04]),
            (&[70], &[0x02, 0x8c, 0x01]),
        ];
        for (indexes, bytes) in cases {
            let mut out = Vec::new();
            write_message_indexes(indexes, &mut out);
            assert_eq!(out, bytes, "writing {indexes:?}");
            let mut payload = bytes.to_vec();
            payload.push(0xAA);
            let (read, rest) = read_message_indexes(&payload).unwrap();
            assert_eq!(read, indexes, "reading {bytes:?}");
            assert_eq!(rest, [0xAA]);
        }
    }

    #[test]
    fn bad_message_indexes_are_errors() {
        assert!(read_message_indexes(&[]).unwrap_err().contains("ends before"));
        assert!(read_message_indexes(&[0x04, 0x02]).unwrap_err().contains("ends inside"));
        assert!(read_message_indexes(&[0x01]).is_err(), "a negative count");
        assert!(read_message_indexes(&[0xfe, 0x01]).is_err(), "a count of 127");
        assert!(read_message_indexes(&[0x02, 0x01]).is_err(), "a negative index");
        assert!(read_message_indexes(&[0xff; 12]).is_err(), "a varint too long");
    }
}
