"""`forumgraph`: the command line. One click group; each subcommand is a function.

    forumgraph build PATH... --out OUT     read → extract → resolve → graph → exports
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

EXIT_SKIPPED = 3      # the graph was built, but some input files (or records) were skipped
EXIT_FAILED = 4       # nothing usable was read, or --strict and something was skipped: nothing written


def _no_collection_at_exit() -> None:
    """Freeze what is left when the interpreter exits, so that its last garbage collection skips
    it. A built graph is garbage in reference cycles (a networkx graph refers to itself through
    its views): collecting it walks every attribute dict of the graph (~1.5 s on 10,000
    articles) to free memory the system takes back anyway. At exit only: in a process that goes
    on (tests, a notebook calling the CLI) collections work as usual until then."""
    import atexit
    import gc

    if not getattr(_no_collection_at_exit, "registered", False):
        atexit.register(gc.freeze)
        _no_collection_at_exit.registered = True


@click.group()
@click.version_option(package_name="forumgraph")
def cli() -> None:
    """Chinese news about forums and conferences → a knowledge graph of who attended what."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", "out_dir", default="out", show_default=True, type=click.Path(path_type=Path),
              help="folder for graph.graphml and the other exports")
@click.option("--ner", default="lac", show_default=True,
              help="NER backend: lac, hanlp[:MODEL], or lac+hanlp[:MODEL] to combine")
@click.option("--strict", is_flag=True, help="treat any skipped input file as fatal: write nothing, exit 4")
@click.option("--quiet", "-q", is_flag=True, help="no progress output")
@click.option("--jobs", "-j", default=None, type=click.IntRange(min=0),
              help="extract in N local processes (0: one per core)  [default: one per core from 20 documents]")
@click.option("--cache", "cache_dir", default=None, type=click.Path(path_type=Path),
              help="extraction cache folder  [default: OUT/.forumgraph-cache]")
@click.option("--no-cache", is_flag=True, help="extract every document again; read and write no cache")
@click.option("--scheduler", default=None, metavar="tcp://HOST:PORT",
              help="extract on a running Dask cluster (needs forumgraph[dask])")
@click.option("--workers", default=None, type=click.IntRange(min=1),
              help="extract on a local Dask cluster of N worker processes (needs forumgraph[dask])")
def build(paths: tuple[Path, ...], out_dir: Path, ner: str, strict: bool, quiet: bool, jobs: int | None,
          cache_dir: Path | None, no_cache: bool, scheduler: str | None, workers: int | None) -> None:
    """Build the graph from article files and folders (.txt .md .html .json .jsonl)."""
    def progress(msg: str) -> None:
        if not quiet:
            click.echo(msg, err=True)

    # imported here: `forumgraph query` should not pay for the build's imports (numpy, spaCy, exporters)
    from graph.runner import BuildReport, run_build

    try:
        if scheduler is not None and workers is not None:
            raise ValueError("give either --scheduler or --workers, not both")
        report: BuildReport = run_build(list(paths), out_dir, ner=ner, strict=strict, progress=progress,
                                        jobs=jobs, cache=not no_cache, cache_dir=cache_dir,
                                        scheduler=scheduler, workers=workers)
    except (ImportError, RuntimeError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    _no_collection_at_exit()
    # one line per problem, naming the file (or file#line) and the reason
    for note in report.notes:
        click.echo(note.message(), err=True)
    for skipped in report.skipped:
        click.echo(skipped.message(), err=True)
    if strict and report.skipped:
        click.echo(f"--strict: {len(report.skipped)} input(s) skipped; nothing written", err=True)
        sys.exit(EXIT_FAILED)
    if not report.written:
        click.echo("no documents read: nothing written (pass .txt .md .html .json or .jsonl files or folders)",
                   err=True)
        sys.exit(EXIT_FAILED)
    summary = (f"{report.documents} documents → {report.nodes} nodes, {report.edges} edges; "
               f"wrote {', '.join(Path(p).name for p in report.written)} to {out_dir}")
    click.echo(summary)
    if report.skipped:
        click.echo(f"{len(report.skipped)} input(s) skipped (see above); the graph holds the rest", err=True)
        sys.exit(EXIT_SKIPPED)


from graph.cli_query import query; cli.add_command(query)  # noqa: E402,E702
from graph.cli_query import html_command; cli.add_command(html_command)  # noqa: E402,E702


def main() -> None:  # pragma: no cover - console entry point
    cli()


if __name__ == "__main__":  # pragma: no cover
    cli()
