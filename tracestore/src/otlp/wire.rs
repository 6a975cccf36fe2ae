//! Counting the spans of a protobuf `ExportTraceServiceRequest` without
//! decoding it: a walk over the wire format's field headers down to the
//! `spans` fields, skipping every payload. Nothing is allocated; the walk
//! checks only the framing of the three levels it reads.

/// `ExportTraceServiceRequest.resource_spans`.
const RESOURCE_SPANS: u32 = 1;
/// `ResourceSpans.scope_spans`.
const SCOPE_SPANS: u32 = 2;
/// `ScopeSpans.spans`.
const SPANS: u32 = 2;

/// Broken protobuf framing. A small `Copy` value, so that reading fields
/// costs nothing more for it on success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WireError {
    /// A varint longer than 10 bytes, or cut off.
    #[error("truncated or overlong varint")]
    Varint,
    /// A field number above `u32::MAX`.
    #[error("field number out of range")]
    FieldNumberRange,
    /// Field number 0, which protobuf reserves.
    #[error("field number 0")]
    FieldZero,
    /// A length that does not fit the address space.
    #[error("length overflow")]
    LengthOverflow,
    /// A length-delimited field longer than what is left.
    #[error("truncated length-delimited field")]
    TruncatedBytes,
    /// A fixed32 or fixed64 field cut off.
    #[error("truncated fixed-width field")]
    TruncatedFixed,
    /// A group (wire types 3 and 4) or a wire type protobuf does not have.
    #[error("unsupported wire type {0}")]
    WireType(u8),
}

/// A request whose framing is broken, with where the walk stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid OTLP protobuf")]
pub(crate) struct InvalidProtobuf(#[source] pub(crate) WireError);

/// The number of spans in an encoded `ExportTraceServiceRequest`, or why
/// its framing is broken.
pub(crate) fn count_spans(request: &[u8]) -> Result<u64, InvalidProtobuf> {
    let mut spans = 0;
    for_each_message(request, RESOURCE_SPANS, |resource_spans| {
        for_each_message(resource_spans, SCOPE_SPANS, |scope_spans| {
            for_each_message(scope_spans, SPANS, |_| {
                spans += 1;
                Ok(())
            })
        })
    })
    .map_err(InvalidProtobuf)?;
    Ok(spans)
}

/// Calls `each` with the payload of every length-delimited field numbered
/// `field` of `message`, skipping the other fields.
fn for_each_message(
    message: &[u8],
    field: u32,
    mut each: impl FnMut(&[u8]) -> Result<(), WireError>,
) -> Result<(), WireError> {
    let mut rest = message;
    while !rest.is_empty() {
        let key = varint(&mut rest)?;
        let number = field_number(key)?;
        match key & 7 {
            0 => {
                varint(&mut rest)?;
            }
            1 => skip(&mut rest, 8)?,
            2 => {
                let payload = length_delimited(&mut rest)?;
                if number == field {
                    each(payload)?;
                }
            }
            5 => skip(&mut rest, 4)?,
            wire => return Err(WireError::WireType(wire as u8)),
        }
    }
    Ok(())
}

/// One field of a protobuf message, as the wire carries it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Field<'a> {
    /// Wire type 0.
    Varint(u64),
    /// Wire type 1.
    Fixed64(u64),
    /// Wire type 2: bytes, a string or a nested message.
    Bytes(&'a [u8]),
    /// Wire type 5.
    Fixed32(u32),
}

/// The fields of one encoded message in wire order, for decoders that read
/// straight from the bytes. Stops at the first broken framing (`Err`) or
/// wire type it does not know (groups).
#[derive(Debug, Clone)]
pub(crate) struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    /// The fields of `message`.
    pub(crate) fn of(message: &'a [u8]) -> Self {
        Fields { rest: message }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Field<'a>), WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let field = (|| {
            let rest = &mut self.rest;
            let key = varint(rest)?;
            let number = field_number(key)?;
            let field = match key & 7 {
                0 => Field::Varint(varint(rest)?),
                1 => Field::Fixed64(u64::from_le_bytes(fixed(rest)?)),
                2 => Field::Bytes(length_delimited(rest)?),
                5 => Field::Fixed32(u32::from_le_bytes(fixed(rest)?)),
                wire => return Err(WireError::WireType(wire as u8)),
            };
            Ok((number, field))
        })();
        if field.is_err() {
            self.rest = &[];
        }
        Some(field)
    }
}

fn varint(buf: &mut &[u8]) -> Result<u64, WireError> {
    let mut value = 0_u64;
    for (i, byte) in buf.iter().take(10).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            *buf = &buf[i + 1..];
            return Ok(value);
        }
    }
    Err(WireError::Varint)
}

/// The field number of a field's key: above 0 and within `u32`.
fn field_number(key: u64) -> Result<u32, WireError> {
    match u32::try_from(key >> 3) {
        Ok(0) => Err(WireError::FieldZero),
        Ok(number) => Ok(number),
        Err(_) => Err(WireError::FieldNumberRange),
    }
}

/// A length-delimited field's payload, after its length.
fn length_delimited<'a>(buf: &mut &'a [u8]) -> Result<&'a [u8], WireError> {
    let len = usize::try_from(varint(buf)?).map_err(|_| WireError::LengthOverflow)?;
    let payload = buf.get(..len).ok_or(WireError::TruncatedBytes)?;
    *buf = &buf[len..];
    Ok(payload)
}

/// The `N` bytes of a fixed-width field.
fn fixed<const N: usize>(buf: &mut &[u8]) -> Result<[u8; N], WireError> {
    let (bytes, rest) = buf
        .split_first_chunk::<N>()
        .ok_or(WireError::TruncatedFixed)?;
    *buf = rest;
    Ok(*bytes)
}

fn skip(buf: &mut &[u8], n: usize) -> Result<(), WireError> {
    if buf.len() < n {
        return Err(WireError::TruncatedFixed);
    }
    *buf = &buf[n..];
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::otlp::{
        AnyValue, ExportTraceServiceRequest, InstrumentationScope, KeyValue, Resource,
        ResourceSpans, ScopeSpans, Span, Value,
    };
    use prost::Message;

    fn span(i: u8) -> Span {
        Span {
            trace_id: vec![i; 16],
            span_id: vec![i; 8],
            name: format!("span {i}"),
            start_time_unix_nano: 1_700_000_000_000_000_000,
            end_time_unix_nano: 1_700_000_000_000_001_000,
            kind: 2,
            attributes: vec![KeyValue {
                key: "http.response.status_code".into(),
                value: Some(AnyValue {
                    value: Some(Value::IntValue(201)),
                }),
                ..KeyValue::default()
            }],
            ..Span::default()
        }
    }

    fn request(shape: &[&[usize]]) -> ExportTraceServiceRequest {
        let mut next = 0_u8;
        let resource_spans = shape
            .iter()
            .map(|scopes| ResourceSpans {
                resource: Some(Resource::default()),
                scope_spans: scopes
                    .iter()
                    .map(|&n| ScopeSpans {
                        scope: Some(InstrumentationScope {
                            name: "s".into(),
                            ..Default::default()
                        }),
                        spans: (0..n)
                            .map(|_| {
                                next += 1;
                                span(next)
                            })
                            .collect(),
                        schema_url: "https://opentelemetry.io/schemas/1.0".into(),
                    })
                    .collect(),
                schema_url: String::new(),
            })
            .collect();
        ExportTraceServiceRequest { resource_spans }
    }

    #[test]
    fn counts_spans_across_resources_and_scopes() {
        for (shape, want) in [
            (&[][..], 0),
            (&[&[][..]][..], 0),
            (&[&[3][..]][..], 3),
            (&[&[2, 0, 5][..], &[1][..]][..], 8),
        ] {
            let bytes = request(shape).encode_to_vec();
            assert_eq!(count_spans(&bytes), Ok(want), "{shape:?}");
        }
    }

    #[test]
    fn each_broken_framing_has_its_reason() {
        for (bad, reason) in [
            (&[0x80][..], WireError::Varint),
            (&[0x0b, 0x00], WireError::WireType(3)),
            (&[0x00, 0x01], WireError::FieldZero),
            (&[0x0a, 0x05, 0x01], WireError::TruncatedBytes),
            (&[0x09, 0x01], WireError::TruncatedFixed),
            (
                &[0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
                WireError::FieldNumberRange,
            ),
        ] {
            assert_eq!(count_spans(bad), Err(InvalidProtobuf(reason)), "{bad:?}");
            assert_eq!(Fields::of(bad).last(), Some(Err(reason)), "{bad:?}");
        }
        assert_eq!(
            cli_support::error_chain(&InvalidProtobuf(WireError::WireType(3))),
            "invalid OTLP protobuf: unsupported wire type 3"
        );
    }

    #[test]
    fn broken_framing_is_an_error() {
        let bytes = request(&[&[4]]).encode_to_vec();
        for cut in [1, bytes.len() / 2, bytes.len() - 1] {
            assert!(count_spans(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        for bad in [
            &[0x80][..],
            &[0x0b, 0x00],
            &[0x00, 0x01],
            &[0x0a, 0x05, 0x01],
        ] {
            let err = count_spans(bad).unwrap_err();
            assert_eq!(err.to_string(), "invalid OTLP protobuf", "{bad:?}");
        }
    }
}
