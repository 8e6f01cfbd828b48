//! The record's timestamps as files hold them: written in RFC 3339 to the
//! second in UTC, read in RFC 3339 with any offset.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};

pub(crate) fn rfc3339_seconds<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::Secs, true))
}

pub(crate) fn rfc3339_any<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    let text = String::deserialize(d)?;
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| serde::de::Error::custom(format!("timestamp `{text}` is not RFC 3339: {e}")))
}

/// Optional timestamps, written as [`rfc3339_seconds`] and read as
/// [`rfc3339_any`].
pub(crate) mod rfc3339_opt {
    use super::{rfc3339_any, rfc3339_seconds, DateTime, Deserializer, Serializer, Utc};

    #[allow(clippy::ref_option, reason = "the signature serde's `with` calls")]
    pub(crate) fn serialize<S: Serializer>(
        t: &Option<DateTime<Utc>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => rfc3339_seconds(t, s),
            None => s.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        rfc3339_any(d).map(Some)
    }
}
