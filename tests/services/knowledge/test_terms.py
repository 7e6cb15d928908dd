"""A passage's terms for the judge: every word and part, so coverage finds what the question names."""

from hypothesis import given
from hypothesis import strategies as st

from vigil_mcp.services.knowledge.terms import passage_terms, terms_with_parts
from vigil_mcp.services.text import content_terms

WORDS = st.sampled_from(
    ["ERR_CONN_RESET", "etcdMembersDown", "--dry-run", "grub.cfg", "the", "a", "Windows", "v1.27", "naïve", "x", "502"]
)


def test_a_passage_has_its_compound_words_whole_parts_and_heading_terms() -> None:
    terms = passage_terms("etcd runbook", "KubeEtcdMembersDown", "Run etcdctl member-list --write-out=table", "prose")
    assert {"etcdctl", "member", "list", "kube", "etcd", "members", "down", "runbook", "run"} <= terms.words
    assert terms.title == frozenset({"etcd", "runbook", "kube", "members", "down"})
    assert "etcdctl member-list" in terms.lowered


@given(st.lists(WORDS | st.text(max_size=12), max_size=12).map(" ".join))
def test_every_content_term_of_a_text_is_among_its_terms_with_parts(text: str) -> None:
    assert content_terms(text) <= terms_with_parts(text)
