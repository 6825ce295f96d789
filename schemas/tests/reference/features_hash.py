"""The privacy hash as another SDK computes it, for schemas/tests/logger.rs.

Reads {"key": str, "features": [{name: value, ...}, ...]} on stdin (a value
is a number, a string or null) and prints the list of hex HMAC-SHA-256 of
each features map, Avro-encoded by fastavro (an independent Avro
implementation) with the PredictionEvent schema's map type, keys sorted.
"""
import hashlib
import hmac
import io
import json
import sys

import fastavro

SCHEMA = fastavro.parse_schema({"type": "map", "values": ["null", "double", "string"]})


def digest(key, features):
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, SCHEMA, dict(sorted(features.items())))
    return hmac.new(key.encode(), buffer.getvalue(), hashlib.sha256).hexdigest()


request = json.load(sys.stdin)
json.dump([digest(request["key"], f) for f in request["features"]], sys.stdout)
