"""The ``neurospatial`` command line: ``demo``, ``info``, ``render`` and ``serve``.

Bad input (a missing path, a store that is not a scene, a bad option) prints our
WHAT / WHY / HOW message on stderr and exits with status 2, without a traceback;
``--debug`` (before the command) shows the traceback instead.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

__all__ = ["main"]

#: Exit status for input the user can fix (click uses 2 for usage errors too).
BAD_INPUT = 2


class _Group(click.Group):
    """Turns our errors into a message and an exit status (or a traceback with --debug)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (
            ValueError,
            TypeError,
            FileNotFoundError,
            FileExistsError,
            IndexError,
            ConnectionError,
            ImportError,
        ) as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"neurospatial: {exc}", err=True)
            ctx.exit(BAD_INPUT)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks instead of short messages.")
@click.version_option(package_name="neurospatial")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """Animate spatial fields with behaviour overlays: build, inspect and render scenes."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    if not debug:  # zarr's notes on folders it does not know: our messages say more
        import warnings

        warnings.filterwarnings("ignore", message="Object at .* is not recognized")


@main.command()
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo_output"),
    show_default=True,
    help="Folder for the outputs (created if missing).",
)
def demo(out: Path) -> None:
    """Build the synthetic demo session and render it to every output."""
    from neurospatial.demo import main as run_demo

    run_demo([str(out)])


@main.command()
@click.argument("scene", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts.")
def info(scene: Path, as_json: bool) -> None:
    """What a scene store holds: frames, times, environment, overlays, regions."""
    from neurospatial.animation import open_scene
    from neurospatial.animation.summary import format_summary

    summary = _summary(scene, open_scene(scene))
    if as_json:
        click.echo(json.dumps(summary, indent=2))
    else:
        click.echo(format_summary(summary))


@main.command()
@click.argument("scene", type=click.Path(path_type=Path))
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--fps", type=float, default=None, help="Frames per second (default: the scene's).")
@click.option("--dpi", type=float, default=100, show_default=True, help="100 gives 800 x 600.")
@click.option("--cmap", default=None, help="Colour map (default: the scene's).")
@click.option("--vmin", type=float, default=None, help="Lower colour limit (default: the scene's).")
@click.option("--vmax", type=float, default=None, help="Upper colour limit (default: the scene's).")
@click.option("--workers", type=int, default=1, show_default=True, help="Rendering processes.")
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Render on this dask.distributed scheduler's workers, e.g. tcp://host:8786.",
)
@click.option("--crf", type=int, default=None, help="Encoder quality (lower: better, larger).")
@click.option("--preset", default=None, help="Encoder speed preset, e.g. veryfast.")
@click.option("--start", type=int, default=None, help="First frame to render (default: 0).")
@click.option("--stop", type=int, default=None, help="Frame to stop before (default: the end).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a tty).")
def render(
    scene: Path,
    out: Path,
    fps: float | None,
    dpi: float,
    cmap: str | None,
    vmin: float | None,
    vmax: float | None,
    workers: int,
    scheduler: str | None,
    crf: int | None,
    preset: str | None,
    start: int | None,
    stop: int | None,
    progress: bool | None,
) -> None:
    """Render a scene store (or frames --start .. --stop of it) to OUT (.mp4, .webm,
    .mov, .avi or .html)."""
    from neurospatial.animation import animate
    from neurospatial.animation.scene import restyle_scene

    opened = _open_warning(scene)
    if vmin is not None or vmax is not None:  # named by flag, stricter than the scene
        low = opened.attrs["vmin"] if vmin is None else vmin
        high = opened.attrs["vmax"] if vmax is None else vmax
        if not low < high:
            from neurospatial.errors import format_message

            raise ValueError(
                format_message(
                    f"--vmin {low} is not below --vmax {high}.",
                    "the colour map spans vmin .. vmax.",
                    ["Pass a --vmin below --vmax (or leave one at the scene's value)."],
                )
            )
    opened = restyle_scene(opened, cmap=cmap, vmin=vmin, vmax=vmax)
    options: dict[str, Any] = {k: v for k, v in {"crf": crf, "preset": preset}.items() if v}
    if start is not None or stop is not None:  # drawn with their trails' history
        options["frames"] = slice(start, stop)
    if scheduler is not None:
        options["client"] = scheduler
    written = animate(
        opened,
        save_path=out,
        fps=fps,
        dpi=dpi,
        n_workers=workers,
        progress=progress,
        **options,
    )
    click.echo(str(Path(written).resolve()))


@main.command()
@click.argument("scene", type=click.Path(path_type=Path))
@click.option("--port", type=click.IntRange(1, 65535), default=5006, show_default=True)
@click.option(
    "--address",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Anything but loopback lets others on the network see the scene.",
)
@click.option(
    "--allow-websocket-origin",
    "origins",
    multiple=True,
    metavar="HOST[:PORT]",
    help="Also accept pages opened as HOST:PORT (e.g. through a proxy or an SSH tunnel).",
)
@click.option("--show", is_flag=True, help="Open the page in a web browser.")
def serve(scene: Path, port: int, address: str, origins: tuple[str, ...], show: bool) -> None:
    """Serve a scene store in the browser: player, zoomable view, colour controls.

    Ctrl-C stops the server.
    """
    import signal

    from neurospatial.animation.backends.app import is_loopback, make_server
    from neurospatial.animation.summary import format_summary

    opened = _open_warning(scene)
    if not is_loopback(address):
        click.echo(
            f"neurospatial: warning: listening on {address}: anyone who can reach this "
            f"machine on port {port} can see this scene's data. Use the default "
            "--address 127.0.0.1 (and an SSH tunnel) to keep it to this machine.",
            err=True,
        )
    server = make_server(
        opened,
        port=port,
        address=address,
        allow_origins=origins,
        summary=format_summary(_summary(scene, opened)),
    )
    host = address if address not in ("0.0.0.0", "::") else "localhost"
    url = f"http://{host}:{port}/"
    click.echo(f"neurospatial: serving {str(scene)!r} at {url}  (Ctrl-C stops)")
    # Stopped by its process id (SIGTERM) as by Ctrl-C: the same clean stop.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server.start()
    if show:
        server.io_loop.add_callback(server.show, "/")
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        click.echo("neurospatial: server stopped", err=True)


def _open_warning(scene: Path) -> Any:
    """The scene store at `scene`, with a warning on stderr per incomplete array."""
    from neurospatial.animation import open_scene
    from neurospatial.animation.store import missing_chunks

    opened = open_scene(scene)
    for name, (got, want) in missing_chunks(scene).items():
        click.echo(
            f"neurospatial: warning: {name} has {got} of {want} chunks in {str(scene)!r}; "
            "absent chunks are drawn as missing data (NaN). If the store was written "
            "partially, write it again.",
            err=True,
        )
    return opened


def _summary(path: Path, scene: Any) -> dict[str, Any]:
    """What ``info`` prints about the scene store at `path`, as data."""
    from neurospatial.animation.store import missing_chunks
    from neurospatial.animation.summary import scene_summary

    summary = scene_summary(scene)
    summary["path"] = str(path)
    summary["missing_chunks"] = {
        name: {"stored": got, "expected": want}
        for name, (got, want) in missing_chunks(path).items()
    }
    return summary


if __name__ == "__main__":  # pragma: no cover - python -m neurospatial.cli
    sys.exit(main())
