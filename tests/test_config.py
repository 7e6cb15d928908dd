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


def test_learning_settings_come_from_the_config_file_and_environment(tmp_path: Path) -> None:
    (tmp_path / "vigil.toml").write_text(
        '[vigil]\nskill_min_cases = 3\nskills_branch = "vigil/learned"\n'
        'skills_git_author = "Ops Bot <ops@example.com>"\n'
    )
    settings = load_settings({"home": str(tmp_path)}, environ={"VIGIL_SKILLS_COMMIT": "false"})
    assert (settings.skill_min_cases, settings.skills_branch) == (3, "vigil/learned")
    assert (settings.skills_git_author, settings.skills_commit) == ("Ops Bot <ops@example.com>", False)
    (tmp_path / "none").mkdir()
    defaults = load_settings({"home": str(tmp_path / "none")}, environ={})
    assert (defaults.skill_min_cases, defaults.skills_branch, defaults.skills_commit) == (2, None, None)


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("SKILL_MIN_CASES", "1", "never made from one ticket"),
        ("SKILLS_BRANCH", "vigil..learned", "git branch name"),
        ("SKILLS_BRANCH", "-x", "git branch name"),
        ("SKILLS_GIT_AUTHOR", "vigil", '"Name <email>"'),
        ("SKILLS_COMMIT", "sometimes", "true or false"),
    ],
)
def test_a_bad_learning_setting_says_what_to_fix(tmp_path: Path, key: str, value: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_settings({"home": str(tmp_path)}, environ={f"VIGIL_{key}": value})


def test_a_postgresql_store_url_selects_postgresql_and_a_path_or_duckdb_url_keeps_duckdb(tmp_path: Path) -> None:
    url = "postgresql://vigil@db.internal:5432/vigil"
    pg = load_settings({"home": str(tmp_path), "store": url}, environ={})
    assert pg.store_url == url and pg.store_location() == url
    from_env = load_settings({"home": str(tmp_path)}, environ={"VIGIL_STORE": "postgres://vigil@db/vigil"})
    assert from_env.store_url == "postgres://vigil@db/vigil"
    duck = load_settings({"home": str(tmp_path), "store": "duckdb://data/kb.duckdb"}, environ={})
    assert duck.store_url is None and duck.store_location() == Path.cwd() / "data" / "kb.duckdb"


def test_a_store_url_with_a_password_in_vigil_toml_is_refused(tmp_path: Path) -> None:
    (tmp_path / "vigil.toml").write_text('store = "postgresql://vigil:pw@db/vigil"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"must not carry a password in vigil\.toml"):
        load_settings({"home": str(tmp_path)}, environ={})
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    with_env = load_settings({"home": str(elsewhere)}, environ={"VIGIL_STORE": "postgresql://vigil:pw@db/vigil"})
    assert with_env.store_url == "postgresql://vigil:pw@db/vigil"
    assert "pw" not in repr(with_env)


def test_an_unknown_store_scheme_is_refused_instead_of_becoming_a_file_named_after_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with pytest.raises(InputError, match="mysql:// is not known"):
        load_settings({"home": str(home), "store": "mysql://db/vigil"}, environ={})
    assert list(home.iterdir()) == []


def test_the_lesson_floor_comes_from_the_config_file_or_environment_and_must_be_a_probability(tmp_path: Path) -> None:
    assert load_settings({"home": str(tmp_path)}, environ={}).lesson_floor is None  # the keep model's fitted floor
    (tmp_path / "vigil.toml").write_text("[vigil]\nlesson_floor = 0.7\n")
    assert load_settings({"home": str(tmp_path)}, environ={}).lesson_floor == 0.7
    env = {"VIGIL_HOME": str(tmp_path), "VIGIL_LESSON_FLOOR": "0.55"}
    assert load_settings({}, environ=env).lesson_floor == 0.55
    with pytest.raises(InputError, match="lesson_floor must be a number from 0 to 1"):
        load_settings({}, environ={**env, "VIGIL_LESSON_FLOOR": "1.5"})
