//! The serde form of a latency histogram: the standard base64 V2-deflate
//! encoding of HdrHistogram logs, so other HdrHistogram tools can read it.

use base64::{Engine, engine::general_purpose::STANDARD};
use hdrhistogram::{
    Histogram,
    serialization::{Deserializer as HdrDeserializer, Serializer as _, V2DeflateSerializer},
};
use serde::{Deserialize, Deserializer, Serializer, de::Error as _, ser::Error as _};

pub(super) fn serialize<S: Serializer>(h: &Histogram<u64>, ser: S) -> Result<S::Ok, S::Error> {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(h, &mut bytes)
        .map_err(|e| S::Error::custom(format!("{e:?}")))?;
    ser.serialize_str(&STANDARD.encode(bytes))
}

pub(super) fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Histogram<u64>, D::Error> {
    let text = <std::borrow::Cow<'de, str>>::deserialize(de)?;
    let bytes = STANDARD
        .decode(text.as_bytes())
        .map_err(|e| D::Error::custom(format!("histogram is not base64: {e}")))?;
    let mut h: Histogram<u64> = HdrDeserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|e| D::Error::custom(format!("histogram does not decode: {e:?}")))?;
    h.auto(true);
    Ok(h)
}
