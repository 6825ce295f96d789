"""Avro single-object encoding of mlobs events, as the pipeline decodes it.

A record is the marker ``C3 01``, the 8-byte CRC-64-AVRO fingerprint of the
writer schema's parsing canonical form (little-endian), then the Avro binary
datum. The schemas are the copies shipped in this package, identical to the
repository's ``schemas/*.avsc`` (a test keeps them so). Encoding is fastavro's;
what mlobs adds is the header and the one convention the Rust encoder follows
that Avro leaves open: map keys in sorted order.
"""

from __future__ import annotations

import io
import json
from importlib import resources
from typing import Any, Dict

import fastavro
from fastavro.schema import fingerprint, to_parsing_canonical_form

MARKER = b"\xc3\x01"
HEADER_LEN = 10


class Schema:
    """One writer schema: parsed for fastavro, with its single-object header."""

    def __init__(self, file_name: str) -> None:
        text = resources.files("mlobs").joinpath("schemas", file_name).read_text()
        self.raw: Dict[str, Any] = json.loads(text)
        self.parsed = fastavro.parse_schema(self.raw)
        canonical = to_parsing_canonical_form(self.raw)
        # fastavro's hex is already the header's byte order (little-endian).
        self.fingerprint = bytes.fromhex(fingerprint(canonical, "CRC-64-AVRO"))
        self.header = MARKER + self.fingerprint

    def encode(self, record: Dict[str, Any]) -> bytes:
        """The single-object encoding of ``record`` (a dict in the schema's
        shape; see :mod:`mlobs.events`)."""
        out = io.BytesIO()
        out.write(self.header)
        fastavro.schemaless_writer(out, self.parsed, record)
        return out.getvalue()

    def decode(self, data: bytes) -> Dict[str, Any]:
        """The record in ``data``, which must carry this schema's header."""
        if data[:2] != MARKER:
            raise ValueError(f"not an Avro single-object record: starts with {data[:2].hex()}, expected c301")
        if data[2:HEADER_LEN] != self.fingerprint:
            raise ValueError(
                f"written with schema fingerprint {data[2:HEADER_LEN].hex()}, "
                f"this reader knows {self.fingerprint.hex()} ({self.raw['name']})"
            )
        record = fastavro.schemaless_reader(io.BytesIO(data[HEADER_LEN:]), self.parsed, None)
        # fastavro reads timestamp-millis as a datetime; mlobs speaks milliseconds.
        record["event_time"] = int(record["event_time"].timestamp() * 1000)
        return record


PREDICTION = Schema("prediction_event.avsc")
GROUND_TRUTH = Schema("ground_truth_event.avsc")
