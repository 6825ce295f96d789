"""Privacy mode: the features never leave the serving process; a keyed hash
stands in for them (``features_hash``), so the pipeline still counts the
prediction, joins its label and scores it, without seeing a value.

The hash is HMAC-SHA-256, keyed with a secret only the operator holds, of
the Avro binary encoding of the features map with its names in sorted order:
the bytes the ``features`` field would have had. The Rust logger computes the
same (``schemas/src/features_hash.rs``); a test checks that both agree.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import os
from typing import Mapping, Optional

import fastavro

from .events import FeatureValue, features_record

HASH_KEY_ENV = "MLOBS_PRIVACY_HASH_KEY"

_FEATURES = fastavro.parse_schema({"type": "map", "values": ["null", "double", "string"]})


def hash_key(configured: Optional[str] = None) -> Optional[bytes]:
    """The key given, else ``$MLOBS_PRIVACY_HASH_KEY``; ``None`` when neither is set."""
    key = configured or os.environ.get(HASH_KEY_ENV, "")
    return key.encode() if key else None


def features_hash(key: bytes, features: Mapping[str, FeatureValue]) -> str:
    """Hex HMAC-SHA-256 under ``key`` of the features' Avro encoding."""
    out = io.BytesIO()
    fastavro.schemaless_writer(out, _FEATURES, features_record(features))
    return hmac.new(key, out.getvalue(), hashlib.sha256).hexdigest()
