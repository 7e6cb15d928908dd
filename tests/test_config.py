from pathlib import Path

import pytest

from vigil_mcp.config import load_settings
from vigil_mcp.errors import InputError


def test_defaults_put_the_store_tools_and_skills_under_home(tmp_path: Path) -> None:
    settings = load_settings({"home": str(tmp_path)}, environ={})
    assert settings.store == tmp_path.resolve() / "knowledge.duckdb"
    assert settings.tools_dir == tmp_path.resolve() / "tools"
    assert settings.skills_dir == tmp_path.resolve() / "skills"
    assert (settings.host, settings.port) == ("127.0.0.1", 8765)


def test_flags_beat_environment_which_beats_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "vigil.toml").write_text('[vigil]\nport = 9000\nhost = "127.0.0.2"\nlog_level = "debug"\n')
    env = {"VIGIL_HOME": str(tmp_path), "VIGIL_PORT": "9100"}
    assert load_settings({}, environ=env).port == 9100
    assert load_settings({}, environ=env).host == "127.0.0.2"
    assert load_settings({}, environ=env).log_level == "DEBUG"
    assert load_settings({"port": 9200}, environ=env).port == 9200


def test_config_file_paths_are_relative_to_home(tmp_path: Path) -> None:
    (tmp_path / "vigil.toml").write_text('store = "data/kb.duckdb"\n')
    assert load_settings({"home": str(tmp_path)}, environ={}).store == tmp_path.resolve() / "data" / "kb.duckdb"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("port = [", "not valid TOML"),
        ("colour = 'blue'", "unknown setting 'colour'"),
        ("port = 'eighty'", "port must be a number"),
        ("log_format = 'xml'", "log_format must be text or json"),
    ],
)
def test_a_bad_config_file_says_what_to_fix(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "vigil.toml").write_text(toml)
    with pytest.raises(InputError, match=message):
        load_settings({"home": str(tmp_path)}, environ={})
