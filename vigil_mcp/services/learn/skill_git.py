"""Skill writes as git commits, built with plumbing so the maintainer's index, checkout and hooks stay theirs.

A commit is made from a tree: the base commit's tree with one blob replaced (`hash-object`,
`ls-tree`/`mktree` per directory level, `commit-tree`), then the branch moves with `update-ref`
given the value it must still have, so a concurrent commit is never lost. Nothing here reads or
writes the maintainer's index, except one entry after a commit to the checked-out branch (the path
just committed), so `git status` stays clean. No hook runs and nothing is signed: vigil commits
unattended, and a maintainer's pre-commit hook or GPG prompt must not block learning.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from vigil_mcp.errors import VigilError
from vigil_mcp.services.gitcmd import git as run_git
from vigil_mcp.services.gitcmd import skills_repository

log = logging.getLogger(__name__)

_AUTHOR = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<email>[^<>]*)>\s*$")


@dataclass(frozen=True, slots=True)
class Repo:
    """A git work tree holding the skills folder."""

    top: Path  # the work tree's root
    prefix: str  # the skills folder relative to it, '/'-separated ('' when it is the root)

    def path_of(self, name: str, file: str = "SKILL.md") -> str:
        """A skill file's path in the repository."""
        return "/".join(p for p in (self.prefix, name, file) if p)


def git(top: Path, *args: str, stdin: bytes | None = None) -> bytes:
    """Run git in `top`; VigilError with git's last line of complaint when it fails."""
    return run_git(top, *args, stdin=stdin)


def find_repo(folder: Path, home: Path | None = None, configured: Path | None = None) -> Repo | None:
    """The skills repository for `folder` (see `gitcmd.skills_repository`), or None."""
    top = skills_repository(folder, home if home is not None else folder.resolve().parent, configured)
    if top is None:
        return None
    prefix = folder.resolve().relative_to(top).as_posix()
    return Repo(top, "" if prefix == "." else prefix)


def create_repo(folder: Path) -> Repo:
    """A new git repository rooted at the skills folder, for a home that has none."""
    folder.mkdir(parents=True, exist_ok=True)
    git(folder, "init", "-q")
    log.info("created a git repository for learned skills in %s", folder)
    return Repo(folder.resolve(), "")


def resolve(repo: Repo, ref: str) -> str | None:
    """The commit a ref names, or None when it does not exist (an unborn branch, a missing one)."""
    try:
        out = git(repo.top, "rev-parse", "-q", "--verify", f"{ref}^{{commit}}")
    except VigilError:
        return None
    return out.decode().strip() or None


def current_branch(repo: Repo) -> str | None:
    """The checked-out branch (refs/heads/...), or None for a detached HEAD."""
    try:
        return git(repo.top, "symbolic-ref", "-q", "HEAD").decode().strip() or None
    except VigilError:
        return None


def is_ancestor(repo: Repo, older: str, newer: str) -> bool:
    """Whether commit `older` is reachable from `newer` (a merged branch tip is)."""
    try:
        git(repo.top, "merge-base", "--is-ancestor", older, newer)
    except VigilError:
        return False
    return True


def is_dirty(repo: Repo, path: str) -> bool:
    """Whether the work tree or index holds uncommitted changes of `path` (new files included)."""
    # --no-optional-locks: a background status must not take the index lock from the maintainer's git.
    args = ["--no-optional-locks", "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", path]
    return bool(git(repo.top, *args).strip(b"\0"))


def read_file(repo: Repo, commit: str | None, path: str) -> str | None:
    """A text file as committed, or None when the commit has no such file."""
    if commit is None:
        return None
    found = read_files(repo, commit, [path])
    return found.get(path)


def read_files(repo: Repo, commit: str, paths: list[str]) -> dict[str, str]:
    """Many files of one commit in one `git cat-file --batch`; missing or non-UTF-8 ones are left out."""
    if not paths:
        return {}
    out = git(repo.top, "cat-file", "--batch", stdin="".join(f"{commit}:{p}\n" for p in paths).encode())
    found: dict[str, str] = {}
    pos = 0
    for path in paths:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] != b"blob":
            continue
        size = int(header[2])
        with contextlib.suppress(UnicodeDecodeError):
            found[path] = out[pos : pos + size].decode("utf-8")
        pos += size + 1
    return found


def skill_paths(repo: Repo, commit: str) -> list[str]:
    """The `<prefix>/<name>/SKILL.md` paths in a commit."""
    where = f"{repo.prefix}/" if repo.prefix else "."
    out = git(repo.top, "ls-tree", "-r", "-z", "--name-only", commit, "--", where)
    depth = repo.prefix.count("/") + 3 if repo.prefix else 2
    return [
        p for p in out.decode("utf-8", "replace").split("\0") if p.endswith("/SKILL.md") and p.count("/") + 1 == depth
    ]


def _with_file(repo: Repo, tree: str | None, parts: list[str], blob: str) -> str:
    """A tree like `tree` (None: empty) with the blob at `parts`; returns the new tree's id."""
    entries: dict[str, tuple[str, str, str]] = {}
    if tree is not None:
        for record in git(repo.top, "ls-tree", "-z", tree).split(b"\0"):
            if not record:
                continue
            meta, _, name = record.decode("utf-8", "surrogateescape").partition("\t")
            mode, kind, sha = meta.split(" ")
            entries[name] = (mode, kind, sha)
    head = parts[0]
    if len(parts) == 1:
        mode = entries[head][0] if head in entries and entries[head][1] == "blob" else "100644"
        entries[head] = (mode, "blob", blob)
    else:
        sub = entries.get(head)
        subtree = sub[2] if sub is not None and sub[1] == "tree" else None
        entries[head] = ("040000", "tree", _with_file(repo, subtree, parts[1:], blob))
    listing = "".join(f"{mode} {kind} {sha}\t{name}\0" for name, (mode, kind, sha) in entries.items())
    return git(repo.top, "mktree", "-z", stdin=listing.encode("utf-8", "surrogateescape")).decode().strip()


def commit_file(
    repo: Repo,
    *,
    ref: str,
    parent: str | None,
    expected: str | None,
    path: str,
    text: str,
    author: str,
    message: str,
    update_index: bool = False,
) -> str:
    """Commit `text` at `path` on top of `parent` and move `ref` there if it still points at `expected`.

    `ref` is "HEAD" for the checked-out branch (then `update_index` refreshes that one index
    entry) or refs/heads/<branch> for a review branch; `expected` None means the ref must not
    exist yet. Returns the new commit's id.
    """
    who = _AUTHOR.match(author)
    if who is None:
        raise VigilError(f'the git author {author!r} is not "Name <email>"')
    blob = git(repo.top, "hash-object", "-w", "--stdin", stdin=text.encode("utf-8")).decode().strip()
    base_tree = git(repo.top, "rev-parse", f"{parent}^{{tree}}").decode().strip() if parent else None
    tree = _with_file(repo, base_tree, path.split("/"), blob)
    identity = ["-c", f"user.name={who.group('name')}", "-c", f"user.email={who.group('email')}"]
    parents = ["-p", parent] if parent else []
    args = [*identity, "commit-tree", tree, *parents, "--no-gpg-sign", "-F", "-"]
    commit = git(repo.top, *args, stdin=message.encode("utf-8")).decode().strip()
    subject = message.splitlines()[0] if message else "vigil"
    git(repo.top, "update-ref", "-m", f"vigil: {subject}", ref, commit, expected or "")
    if update_index:
        try:
            git(repo.top, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
        except VigilError as exc:  # the commit stands; only `git status` is off until the entry is refreshed
            log.warning("committed %s, but %s; run `git reset -q -- %s` to refresh it", commit[:12], exc, path)
    return commit
