"""Helpers that write skill folders the way people and editors do."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

REPO_SKILLS = Path(__file__).resolve().parents[3] / "skills"


def skill_text(
    name: str,
    *,
    version: int = 1,
    status: str = "approved",
    description: str | None = None,
    body: str | None = None,
) -> str:
    """A valid SKILL.md."""
    desc = description or f"Handle the {name} case. Use it when an analyst reports {name} symptoms."
    title = name.replace("-", " ").title()
    text = body or f"# {title}\n\n## Diagnosis\n1. Run `check_http(url)`.\n\n## Answer\nSay what failed.\n"
    return (
        f'---\nname: {name}\ndescription: {desc}\nmetadata:\n  version: "{version}"\n  status: {status}\n'
        f"  generated-by: human\n---\n\n{text}"
    )


def save(root: Path, name: str, text: str) -> Path:
    """Save SKILL.md like an editor that writes a temp file and renames it over the original."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".SKILL.md.{os.getpid()}.swp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, folder / "SKILL.md")
    return folder / "SKILL.md"


def copy_starters(root: Path) -> list[str]:
    """Copy the repository's starter skills under root; returns their names."""
    names: list[str] = []
    for folder in sorted(REPO_SKILLS.iterdir()):
        if (folder / "SKILL.md").is_file():
            shutil.copytree(folder, root / folder.name)
            names.append(folder.name)
    return names
