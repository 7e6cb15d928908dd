"""The `vigil` command (click noun groups): the only place that prints for humans or exits.

Each noun group lives in its own module as a click command or group whose help is its docstring;
this module wires them onto the root group and maps VigilError to exit codes. `mcp-server-vigil`
is `vigil serve`, for MCP client configurations (`uvx mcp-server-vigil`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from vigil_mcp import __version__
from vigil_mcp.cli import demo, doctor, eval, knowledge, lessons, replay, serve, skills, tools
from vigil_mcp.cli.options import global_options
from vigil_mcp.errors import VigilError

DISTRIBUTION = "mcp-server-vigil"


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name=DISTRIBUTION, message="%(prog)s %(version)s")
@global_options
def cli() -> None:
    """vigil: an MCP server that follows on-call support dialogues and helps the analyst unasked.

    Start with `vigil demo`; serve MCP clients with `vigil serve` (stdio) or `vigil serve --http`.
    """


for command in (
    serve.serve,
    knowledge.knowledge,
    demo.demo,
    tools.tools,
    skills.skills,
    lessons.lessons,
    lessons.learned,
    replay.replay,
    doctor.doctor,
    eval.eval_command,
):
    cli.add_command(command)


def out(text: str) -> None:
    """Print one line of the command's answer on stdout."""
    sys.stdout.write(text + "\n")


def err(text: str) -> None:
    """Print one line for the human on stderr."""
    sys.stderr.write(text + "\n")


def _run(group: click.Command, argv: Sequence[str] | None, prog_name: str) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        result = group.main(args, prog_name=prog_name, standalone_mode=False)
    except VigilError as exc:
        err(f"{prog_name}: error: {exc}")
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except (KeyboardInterrupt, click.Abort):
        return 130
    return result if isinstance(result, int) else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `vigil` console script."""
    return _run(cli, argv, "vigil")


def serve_main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `mcp-server-vigil` console script: `vigil serve` with the same options."""
    return _run(serve.serve, argv, DISTRIBUTION)
