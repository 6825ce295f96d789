//! Internal wire formats: stage-1 partials and checkpoints. Both are
//! bincode with a leading format byte, so that a newer mlobs can refuse (or
//! convert) what an older one wrote instead of misreading it. Events that
//! leave mlobs (predictions, labels, window results, alerts) are Avro.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// Format byte of everything written by this build: 2 since partials
/// (and the stage-1 state in snapshots) carry CBPE's confidence counts.
const FORMAT: u8 = 2;

/// Encodes `value` with the format byte.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = vec![FORMAT];
    bincode::serialize_into(&mut bytes, value)
        .expect("in-memory bincode serialization does not fail");
    bytes
}

/// Decodes what [`encode`] wrote.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    match bytes.split_first() {
        Some((&FORMAT, rest)) => bincode::deserialize(rest).map_err(|e| e.to_string()),
        Some((other, _)) => Err(format!(
            "format {other} is not understood by this mlobs (it writes {FORMAT})"
        )),
        None => Err("empty record".into()),
    }
}

#[cfg(test)]
mod tests {
    use mlobs_operators::metrics::MetricsPartial;
    use mlobs_operators::stage1::ClosedPartial;
    use mlobs_operators::stage2::{Heartbeat, PartialRecord};

    use super::*;

    #[test]
    fn partial_records_round_trip() {
        let mut metrics = MetricsPartial::default();
        metrics.latency.add(3.5);
        let records = [
            PartialRecord::Window {
                source: 3,
                partial: Box::new(ClosedPartial {
                    model: "m".into(),
                    version: "1".into(),
                    environment: "production".into(),
                    window_start: 0,
                    window_end: 60,
                    metrics,
                }),
            },
            PartialRecord::Heartbeat(Heartbeat {
                source: 1,
                sources: 4,
                closed_before: Some(60),
                idle_empty: false,
            }),
        ];
        for record in records {
            assert_eq!(decode::<PartialRecord>(&encode(&record)).unwrap(), record);
        }
        assert!(decode::<PartialRecord>(&[9, 1, 2])
            .unwrap_err()
            .contains("format 9"));
        assert!(decode::<PartialRecord>(&[]).is_err());
    }
}
