"""The schemas shipped in the package are the repository's."""

from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[3] / "schemas"
PACKAGE = Path(__file__).resolve().parents[1] / "src" / "mlobs" / "schemas"


@pytest.mark.parametrize("name", ["prediction_event.avsc", "ground_truth_event.avsc"])
def test_the_shipped_schema_is_the_repositorys(name):
    assert (PACKAGE / name).read_bytes() == (REPOSITORY / name).read_bytes(), (
        f"sdk/python/src/mlobs/schemas/{name} differs from schemas/{name}: copy it again"
    )
