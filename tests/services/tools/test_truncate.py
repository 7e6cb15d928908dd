import json

from vigil_mcp.services.tools import fit
from vigil_mcp.services.tools.truncate import json_size


def test_output_under_the_cap_is_returned_unchanged_without_a_note() -> None:
    data = {"status": 200, "headers": {"a": "b"}}
    fitted = fit(data, 1000)
    assert fitted is not None and fitted.data == data and fitted.note is None and not fitted.truncated


def test_long_strings_are_shortened_and_the_note_says_so() -> None:
    data = {"body": "x" * 50_000, "status": 200}
    fitted = fit(data, 2000)
    assert fitted is not None and fitted.truncated
    assert json_size(fitted.data) <= 2000
    assert fitted.data["status"] == 200 and fitted.data["body"].startswith("xxx")
    assert "more characters cut" in fitted.data["body"]
    assert fitted.note is not None and "50,0" in fitted.note and "2,000-character cap" in fitted.note
    assert "long string" in fitted.note and "list" not in fitted.note


def test_long_lists_keep_their_first_items_and_keep_their_shape() -> None:
    data = {"series": [{"metric": {"job": f"job{i}"}, "values": list(range(100))} for i in range(200)]}
    fitted = fit(data, 5000)
    assert fitted is not None
    assert json_size(fitted.data) <= 5000
    series = fitted.data["series"]
    assert series[0]["metric"] == {"job": "job0"} and isinstance(series[0]["values"], list)
    assert len(series) < 200
    assert fitted.note is not None and "first" in fitted.note
    json.dumps(fitted.data)


def test_output_that_cannot_be_cut_enough_gives_up() -> None:
    data = {f"key{i}": i for i in range(2000)}
    assert fit(data, 1000) is None
