import pytest

from vigil_mcp.services.text import MAX_TOKEN_CHARS, tokenize


@pytest.mark.parametrize(
    ("text", "whole", "parts"),
    [
        ("ERR_CONN_RESET", "err_conn_reset", ["err", "conn", "reset"]),
        ("etcdMembersDown", "etcdmembersdown", ["etcd", "members", "down"]),
        ("v1.27.3", "v1.27.3", ["v1", "27", "3"]),
        ("--dry-run", "--dry-run", ["dry-run", "dry", "run"]),
        ("kube-apiserver", "kube-apiserver", ["kube", "apiserver"]),
        ("HTTPServerError", "httpservererror", ["http", "server", "error"]),
    ],
)
def test_technical_tokens_are_kept_whole_and_split_into_parts(text: str, whole: str, parts: list[str]) -> None:
    tokens = tokenize(f"saw {text} twice")
    assert whole in tokens
    for part in parts:
        assert part in tokens


def test_query_and_document_tokenize_the_same_way_so_parts_match_wholes() -> None:
    doc = set(tokenize("The kube-apiserver returned ERR_CONN_RESET"))
    assert set(tokenize("apiserver reset")) <= doc


def test_stopwords_are_dropped_but_content_words_are_lowercased() -> None:
    assert tokenize("The Pod is in CrashLoopBackOff") == ["pod", "crashloopbackoff", "crash", "loop", "back", "off"]


def test_very_long_tokens_are_cut_to_a_bounded_length() -> None:
    tokens = tokenize("x" * 10_000)
    assert tokens == ["x" * MAX_TOKEN_CHARS]


def test_unicode_words_are_tokens_too() -> None:
    assert tokenize("café naïve") == ["café", "naïve"]
