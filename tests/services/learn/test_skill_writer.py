"""Resolved cases into skills: drafts, new versions, git commits, review branches, human edits, secrets."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from skills_ref.validator import validate  # pyright: ignore[reportMissingTypeStubs]

from vigil_mcp.config import Settings
from vigil_mcp.models import Lesson
from vigil_mcp.services.knowledge.embed import Vectors
from vigil_mcp.services.learn.skill_writer import SkillChange
from vigil_mcp.services.skills import SkillLibrary

from .cases import GRUB, WEBHOOK, git, init_repo, learn_again, learning_app, resolve_case, skill_text

VIGIL = "vigil <vigil@localhost>"
PENDING = "pending: 1 of 2 similar resolved cases needed for a new skill"
HUMAN_SKILL = """\
---
name: webhook-signature
description: Fix Stripe webhook signature failures. Use it when a webhook handler rejects Stripe's events.
metadata:
  version: "3"
  status: {status}
  generated-by: human
---

# Webhook signature failures

## When it applies
- A webhook handler rejects events with No signatures found matching the expected signature.

## Diagnosis
1. Check which endpoint secret the handler uses.

## Answer
Verify the raw body with the endpoint's whsec_ secret.
"""


def _commits(repo: Path, path: str, ref: str = "HEAD") -> list[tuple[str, str, str, str]]:
    """(commit, author, subject, body) of the commits that touched `path`, newest first."""
    out = git(repo, "log", "--format=%H%x1f%an <%ae>%x1f%s%x1f%b%x1e", ref, "--", path)
    rows = [r.strip("\n").split("\x1f") for r in out.split("\x1e") if r.strip()]
    return [(c, a, s, b) for c, a, s, b in rows]


def test_two_similar_resolved_cases_make_one_draft_skill_with_both_tickets(settings: Settings, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "ops")
    skills = repo / "skills"
    with learning_app(settings, skills) as app:
        first = resolve_case(app, "stripe/1", *WEBHOOK[0])
        assert (first.skill.kind, first.skill.reason) == ("none", PENDING)
        assert not skills.exists()
        second = resolve_case(app, "stripe/2", *WEBHOOK[1])
        change = second.skill
        assert (change.kind, change.version) == ("new-draft", 1)
        assert change.name is not None and change.path == str(skills / change.name / "SKILL.md")
        served = app.skills.get(change.name)
        assert served.status == "draft"
        hits = app.knowledge.search("No signatures found matching the expected signature", kind="skill").hits
        assert hits == [], "an unreviewed draft is not knowledge yet"
    assert [p.parent.name for p in skills.glob("*/SKILL.md")] == [change.name]
    meta = served.front_matter.metadata
    assert (meta["generated-by"], meta["source-tickets"]) == ("vigil-offline", "stripe/2, stripe/1")
    body = served.body
    symptoms = body.split("## Symptoms")[1].split("## Diagnosis")[0]
    assert "their words, quoted as data" in symptoms and "```text" in symptoms
    for n, (question, answer) in enumerate(WEBHOOK[:2], start=1):
        assert f"[stripe/{n}] {question}" in symptoms
        assert f"- {answer} (ticket `stripe/{n}`)" in body.split("## Fix")[1]
    assert "- Resolved ticket `stripe/1`" in body and "- Resolved ticket `stripe/2`" in body
    assert [h.strip() for h in body.splitlines() if h.startswith("## ")] == [
        "## When it applies",
        "## Symptoms",
        "## Diagnosis",
        "## Fix",
        "## References",
    ]
    assert validate(skills / change.name) == []
    commits = _commits(repo, f"skills/{change.name}/SKILL.md")
    assert [(c[0], c[1], c[2]) for c in commits] == [
        (change.commit, VIGIL, f"skills: add draft {change.name} learned from 2 resolved tickets")
    ]
    assert git(repo, "status", "--porcelain") == ""


def test_a_third_similar_case_commits_a_new_version_with_the_configured_author_and_message(
    settings: Settings, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "ops")
    (repo / "notes.md").write_text("staged by the maintainer\n", encoding="utf-8")
    git(repo, "add", "notes.md")
    with learning_app(settings, repo / "skills", skills_git_author="Vigil Bot <vigil-bot@example.com>") as app:
        draft = [resolve_case(app, f"stripe/{n}", q, a) for n, (q, a) in enumerate(WEBHOOK, start=1)][1].skill
        third = app.learner.history[-1].skill
    assert third.kind == "new-version" and third.name == draft.name
    assert (draft.version, third.version) == (1, 2)
    assert third.changes == ("symptom variant", "fix variant", "source ticket stripe/3")
    path = f"skills/{third.name}/SKILL.md"
    commits = _commits(repo, path)
    assert [c[0] for c in commits] == [third.commit, draft.commit]
    _, author, subject, body = commits[0]
    assert author == "Vigil Bot <vigil-bot@example.com>"
    assert subject == f"skills: {third.name} v2 from ticket stripe/3"
    assert "Changes: symptom variant, fix variant, source ticket stripe/3." in body
    assert "Tickets: stripe/3" in body
    text = (repo / path).read_text(encoding="utf-8")
    assert git(repo, "show", f"HEAD:{path}") == text
    assert 'version: "2"' in text and "source-tickets: stripe/2, stripe/1, stripe/3" in text
    assert WEBHOOK[2][0][1:] in text  # the problem, normalised (capitalised)
    # The maintainer's staged file is still staged, and nothing else is pending.
    assert git(repo, "status", "--porcelain") == "A  notes.md\n"


def test_a_case_unlike_any_other_writes_no_skill(settings: Settings, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "ops")
    with learning_app(settings, repo / "skills") as app:
        changes = [resolve_case(app, "stripe/1", *WEBHOOK[0]).skill, resolve_case(app, "ubuntu/1", *GRUB).skill]
    assert [c.kind for c in changes] == ["none", "none"]
    assert all(c.reason.startswith("pending: 1 of 2") for c in changes)
    assert not (repo / "skills").exists()
    assert git(repo, "rev-list", "--count", "HEAD") == "1\n"


def test_learning_the_same_resolved_case_twice_changes_nothing(settings: Settings, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "ops")
    with learning_app(settings, repo / "skills") as app:
        resolve_case(app, "stripe/1", *WEBHOOK[0])
        name = resolve_case(app, "stripe/2", *WEBHOOK[1]).skill.name
        resolve_case(app, "ubuntu/1", *GRUB)
        assert name is not None
        before = (skill_text(repo / "skills", name), git(repo, "rev-parse", "HEAD"), app.knowledge.counts())
        again = [learn_again(app, ticket) for ticket in ("stripe/2", "stripe/1", "ubuntu/1")]
        after = (skill_text(repo / "skills", name), git(repo, "rev-parse", "HEAD"), app.knowledge.counts())
    assert after == before
    assert [(a.result.reason.split(":")[0], a.skill.kind) for a in again] == [("already learned", "none")] * 3
    assert [a.skill.reason for a in again[:2]] == [f"ticket stripe/{n} is already in skill {name}" for n in (2, 1)]
    assert again[2].skill.reason.startswith("pending: 1 of 2")


def test_a_maintainers_uncommitted_edit_is_never_overwritten(settings: Settings, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "ops")
    skills = repo / "skills"
    with learning_app(settings, skills) as app:
        resolve_case(app, "stripe/1", *WEBHOOK[0])
        name = resolve_case(app, "stripe/2", *WEBHOOK[1]).skill.name
        assert name is not None
        edited = skill_text(skills, name).replace("## Diagnosis\n", "## Diagnosis\n0. Ask which proxy is in front.\n")
        (skills / name / "SKILL.md").write_text(edited, encoding="utf-8")
        third = resolve_case(app, "stripe/3", *WEBHOOK[2]).skill
    assert skill_text(skills, name) == edited
    assert (third.kind, third.name, third.version) == ("new-draft", f"{name}-vigil", 1)
    assert third.reason == f"{name} has uncommitted changes: written beside it"
    beside = skill_text(skills, f"{name}-vigil")
    assert "stripe/3" in beside and f"written beside it because {name} has uncommitted changes" in beside
    assert validate(skills / f"{name}-vigil") == []
    # The maintainer's edit is still theirs, uncommitted; vigil's draft beside it is committed.
    assert git(repo, "status", "--porcelain") == f" M skills/{name}/SKILL.md\n"
    assert git(repo, "show", "--name-only", "--format=", "HEAD") == f"skills/{name}-vigil/SKILL.md\n"


def test_a_committed_edit_by_a_person_after_vigils_write_is_kept_and_the_case_goes_beside_it(
    settings: Settings, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "ops")
    skills = repo / "skills"
    with learning_app(settings, skills) as app:
        resolve_case(app, "stripe/1", *WEBHOOK[0])
        name = resolve_case(app, "stripe/2", *WEBHOOK[1]).skill.name
        assert name is not None
        edited = skill_text(skills, name).replace("## Fix\n", "## Fix\nFirst, rotate the signing secret.\n")
        (skills / name / "SKILL.md").write_text(edited, encoding="utf-8")
        git(repo, "commit", "-qam", "sharpen the answer")
        app.skills.refresh([name])
        third = resolve_case(app, "stripe/3", *WEBHOOK[2]).skill
    assert skill_text(skills, name) == edited
    assert (third.kind, third.name) == ("new-draft", f"{name}-vigil")
    assert "was edited by a person after vigil last wrote it (version 1)" in third.reason
    assert "First, rotate the signing secret." in skill_text(skills, f"{name}-vigil")


def test_review_branch_mode_commits_there_and_leaves_the_working_branch_untouched(
    settings: Settings, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "ops")
    (repo / "notes.md").write_text("work in progress\n", encoding="utf-8")
    git(repo, "add", "notes.md")
    head, status = git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")
    with learning_app(settings, repo / "skills", skills_branch="vigil/learned") as app:
        learned = [resolve_case(app, f"stripe/{n}", q, a) for n, (q, a) in enumerate(WEBHOOK, start=1)]
        assert app.skills.all() == []  # not served until a maintainer merges the branch
    draft, third = learned[1].skill, learned[2].skill
    assert (draft.kind, third.kind, third.version, third.name) == ("new-draft", "new-version", 2, draft.name)
    assert third.ref == "refs/heads/vigil/learned" and third.path == f"vigil/learned:skills/{draft.name}/SKILL.md"
    assert (git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain")) == (head, status)
    assert git(repo, "symbolic-ref", "--short", "HEAD") == "main\n"
    assert not (repo / "skills").exists()
    commits = _commits(repo, f"skills/{draft.name}/SKILL.md", "vigil/learned")
    assert [(c[0], c[1]) for c in commits] == [(third.commit, VIGIL), (draft.commit, VIGIL)]
    assert git(repo, "rev-parse", f"{draft.commit}^") == head
    text = git(repo, "show", f"vigil/learned:skills/{draft.name}/SKILL.md")
    assert 'version: "2"' in text and "stripe/3" in text


def test_after_the_review_branch_is_merged_vigil_continues_from_the_maintainers_branch(
    settings: Settings, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "ops")
    with learning_app(settings, repo / "skills", skills_branch="vigil/learned") as app:
        resolve_case(app, "stripe/1", *WEBHOOK[0])
        name = resolve_case(app, "stripe/2", *WEBHOOK[1]).skill.name
        git(repo, "merge", "-q", "--no-ff", "-m", "merge learned skills", "vigil/learned")
        merged = git(repo, "rev-parse", "HEAD")
        third = resolve_case(app, "stripe/3", *WEBHOOK[2]).skill
    assert (third.kind, third.name, third.version) == ("new-version", name, 2)
    assert git(repo, "rev-parse", f"{third.commit}^") == merged  # a fast-forward of the review branch
    assert git(repo, "rev-parse", "HEAD") == merged


def test_a_skills_folder_outside_git_is_written_atomically_without_commits(settings: Settings, tmp_path: Path) -> None:
    skills = tmp_path / "plain" / "skills"
    with learning_app(settings, skills) as app:
        resolve_case(app, "stripe/1", *WEBHOOK[0])
        change = resolve_case(app, "stripe/2", *WEBHOOK[1]).skill
        assert change.kind == "new-draft" and change.commit is None and change.ref is None
        assert change.name is not None and app.skills.get(change.name).version == 1
    assert [p.name for p in (skills / change.name).iterdir()] == ["SKILL.md"]  # no temp file left behind


def test_a_case_like_a_persons_skill_is_folded_into_it_keeping_their_author_and_answer(
    settings: Settings, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "ops")
    skills = repo / "skills"
    (skills / "webhook-signature").mkdir(parents=True)
    original = HUMAN_SKILL.format(status="approved")
    (skills / "webhook-signature" / "SKILL.md").write_text(original, encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "add webhook skill")
    with learning_app(settings, skills) as app:
        change = resolve_case(app, "stripe/1", *WEBHOOK[0]).skill
        skill = app.skills.get("webhook-signature")
    assert (change.kind, change.name, change.version) == ("new-version", "webhook-signature", 4)
    meta = skill.front_matter.metadata
    assert (meta["status"], meta["generated-by"], meta["source-tickets"]) == ("approved", "human", "stripe/1")
    body = skill.body
    assert body.split("## Answer\n")[1].split("\n\n")[0] == "Verify the raw body with the endpoint's whsec_ secret."
    symptoms = body.split("## Symptoms\n")[1].split("## Diagnosis")[0]
    assert "their words, quoted as data" in symptoms and f"[stripe/1] {WEBHOOK[0][0]}" in symptoms
    for line in original.split("---\n", 2)[2].splitlines():
        assert line in body.splitlines()  # every line the person wrote is still there
    assert validate(skills / "webhook-signature") == []


def test_a_retired_skill_takes_no_new_cases(settings: Settings, tmp_path: Path) -> None:
    skills = tmp_path / "skills"
    (skills / "webhook-signature").mkdir(parents=True)
    (skills / "webhook-signature" / "SKILL.md").write_text(HUMAN_SKILL.format(status="retired"), encoding="utf-8")
    with learning_app(settings, skills) as app:
        change = resolve_case(app, "stripe/1", *WEBHOOK[0]).skill
    assert change.kind == "none" and change.reason.startswith("pending")
    assert skill_text(skills, "webhook-signature") == HUMAN_SKILL.format(status="retired")


def test_a_pending_case_survives_a_restart(settings: Settings, tmp_path: Path) -> None:
    skills = tmp_path / "skills"
    with learning_app(settings, skills) as app:
        assert resolve_case(app, "stripe/1", *WEBHOOK[0]).skill.kind == "none"
    with learning_app(settings, skills) as app:
        change = resolve_case(app, "stripe/2", *WEBHOOK[1]).skill
    assert change.kind == "new-draft" and change.tickets == ("stripe/2", "stripe/1")
    assert change.name is not None and SkillLibrary(skills).load().changed == [change.name]


def _private_key() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode()


def test_a_pasted_private_key_and_live_key_reach_neither_the_skill_nor_knowledge(
    settings: Settings, tmp_path: Path
) -> None:
    repo = init_repo(tmp_path / "ops")
    secrets = []
    with learning_app(settings, repo / "skills") as app:
        learned = []
        for n, (question, answer) in enumerate(WEBHOOK[:2], start=1):
            live = "sk_" + "live_" + f"51H{n}xQ2eZvKYlo2C0a8bTq7Rw9" + "Lk3JmN8pXy"
            pem = _private_key()
            secrets += [live, *(line for line in pem.splitlines() if "PRIVATE KEY" not in line)]
            learned.append(
                resolve_case(
                    app,
                    f"stripe/{n}",
                    f"Using {live}: {question}",
                    f"Roll {live} at once, it is exposed. {answer}",
                    clarifications=[f"this is the key the endpoint uses:\n{pem}"],
                )
            )
        bodies = [app.knowledge.get(item.result.knowledge_id or "").body for item in learned]
    name = learned[1].skill.name
    assert name is not None
    stored = [skill_text(repo / "skills", name), *bodies, git(repo, "log", "-p", "--all")]
    assert "[REDACTED:stripe-secret-key]" in stored[0]
    assert "[REDACTED:" in bodies[0].split("Answer:")[0]
    leaks = [(i, s[:12]) for i, text in enumerate(stored) for s in secrets if s in text]
    assert leaks == []


def test_approving_a_draft_does_not_stop_vigil_from_adding_cases_to_it(settings: Settings, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "ops")
    with learning_app(settings, repo / "skills") as app:
        resolve_case(app, "stripe/1", *WEBHOOK[0])
        name = resolve_case(app, "stripe/2", *WEBHOOK[1]).skill.name
        assert name is not None
        app.skills.set_status(name, "approved")  # `vigil skills approve`, then the maintainer commits it
        git(repo, "commit", "-qam", f"approve {name}")
        third = resolve_case(app, "stripe/3", *WEBHOOK[2]).skill
        skill = app.skills.get(name)
    assert (third.kind, third.name, third.version) == ("new-version", name, 3)
    assert skill.status == "approved" and skill.version == 3


def test_while_the_hot_reload_owns_the_library_vigils_own_writes_still_count(
    settings: Settings, tmp_path: Path
) -> None:
    skills = tmp_path / "skills"
    with learning_app(settings, skills) as app:
        app.skills.live.set()  # as `vigil serve` does: its watcher reloads, re-indexes and tells clients
        resolve_case(app, "stripe/1", *WEBHOOK[0])
        draft = resolve_case(app, "stripe/2", *WEBHOOK[1]).skill
        assert app.skills.all() == []  # left to the watcher
        third = resolve_case(app, "stripe/3", *WEBHOOK[2]).skill
    assert (third.kind, third.name, third.version) == ("new-version", draft.name, 2)
    assert [p.parent.name for p in skills.glob("*/SKILL.md")] == [draft.name]


def test_a_locked_index_does_not_lose_the_commit(settings: Settings, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "ops")
    with learning_app(settings, repo / "skills") as app:
        resolve_case(app, "stripe/1", *WEBHOOK[0])
        (repo / ".git" / "index.lock").write_text("", encoding="utf-8")  # a maintainer's git is busy
        change = resolve_case(app, "stripe/2", *WEBHOOK[1]).skill
        (repo / ".git" / "index.lock").unlink()
    assert change.kind == "new-draft" and change.commit == git(repo, "rev-parse", "HEAD").strip()
    git(repo, "reset", "-q", "--", f"skills/{change.name}/SKILL.md")
    assert git(repo, "status", "--porcelain") == ""


def test_when_git_refuses_the_commit_the_skill_is_still_written_and_says_so(settings: Settings, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "ops")
    lock = repo / ".git" / "refs" / "heads" / "main.lock"
    with learning_app(settings, repo / "skills") as app:
        resolve_case(app, "stripe/1", *WEBHOOK[0])
        lock.write_text("", encoding="utf-8")  # another commit to main is under way
        change = resolve_case(app, "stripe/2", *WEBHOOK[1]).skill
        lock.unlink()
        assert change.name is not None and app.skills.get(change.name).version == 1
    assert change.kind == "new-draft" and change.commit is None
    assert "written but not committed (git update-ref failed" in change.reason
    assert git(repo, "rev-list", "--count", "HEAD") == "1\n"


# One problem in other words (two real #ubuntu questions that share only "version"), and its answers.
VERSION = [
    ("What is the command to get the ubuntu version?", "Run cat /etc/lsb-release in a terminal."),
    ("How do i find out what version on ubuntu im running", "Type lsb_release -a in a terminal."),
]


@pytest.mark.embeddings
def test_with_embeddings_the_same_problem_in_other_words_makes_a_draft(settings: Settings, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "ops")
    with learning_app(settings, repo / "skills") as app:
        assert app.knowledge.embedder is not None
        first = resolve_case(app, "ubuntu/1", *VERSION[0]).skill
        second = resolve_case(app, "ubuntu/2", *VERSION[1]).skill
    assert (first.kind, first.reason) == ("none", PENDING)
    assert second.kind == "new-draft" and set(second.tickets) == {"ubuntu/1", "ubuntu/2"}


@pytest.mark.embeddings
def test_with_embeddings_different_problems_make_no_skill(settings: Settings, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "ops")
    with learning_app(settings, repo / "skills") as app:
        changes = [resolve_case(app, "ubuntu/1", *VERSION[0]).skill, resolve_case(app, "ubuntu/2", *GRUB).skill]
    assert [(c.kind, c.reason) for c in changes] == [("none", PENDING), ("none", PENDING)]
    assert not (repo / "skills").exists()


def test_without_a_model_the_words_decide_and_other_words_wait(settings: Settings, tmp_path: Path) -> None:
    repo = init_repo(tmp_path / "ops")
    with learning_app(settings, repo / "skills") as app:
        assert app.knowledge.embedder is None
        # The fallback's words: one shared word ("version") is not the same problem...
        changes = [resolve_case(app, f"ubuntu/{n}", q, a).skill for n, (q, a) in enumerate(VERSION, start=1)]
        assert [(c.kind, c.reason) for c in changes] == [("none", PENDING), ("none", PENDING)]
        # ...while two wordings that share the rare words are.
        drafts = [resolve_case(app, f"stripe/{n}", q, a).skill for n, (q, a) in enumerate(WEBHOOK[:2], start=1)]
    assert [d.kind for d in drafts] == ["none", "new-draft"]


@pytest.mark.embeddings
def test_the_skill_decision_embeds_each_problem_once_not_again_for_every_later_case(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = init_repo(tmp_path / "ops")
    with learning_app(settings, repo / "skills") as app:
        embedder, writer = app.knowledge.embedder, app.learner.skills
        assert embedder is not None and writer is not None
        run = embedder.embed
        per_case: list[list[str]] = []

        def counting(texts: Sequence[str]) -> Vectors:
            per_case[-1].extend(texts)
            return run(texts)

        def decide(lesson: Lesson) -> SkillChange:
            per_case.append([])
            embedder._cache.clear()  # pyright: ignore[reportPrivateUsage]  # the answer path pushed them out
            monkeypatch.setattr(embedder, "embed", counting)
            try:
                return apply(lesson)
            finally:
                monkeypatch.setattr(embedder, "embed", run)

        apply = writer.apply
        monkeypatch.setattr(writer, "apply", decide)
        cases = [VERSION[0], GRUB, VERSION[1], WEBHOOK[0], WEBHOOK[1], WEBHOOK[2]]
        changes = [resolve_case(app, f"t/{n}", q, a).skill for n, (q, a) in enumerate(cases, start=1)]
        problems = [h.lesson.problem for h in app.learner.history if h.lesson is not None]
    assert [c.kind for c in changes] == ["none", "none", "new-draft", "none", "new-draft", "new-version"]
    # Each decision embeds its own case's problem first; not the query (its Q&A item was just embedded as
    # it stands) nor the earlier cases' problems it compares with. A skill's lines are embedded when the
    # decision first meets them (the draft's, then the new version's new lines), never twice.
    assert [texts[0] for texts in per_case] == problems
    embedded = [text for texts in per_case for text in texts]
    assert len(embedded) == len(set(embedded))
    assert [len(texts) > 1 for texts in per_case] == [False, False, False, True, False, True]
