"""``geoservice keys create|list|revoke``: API keys in ``<data_dir>/keys.sqlite``."""

from __future__ import annotations

from contextlib import closing

import typer
from rich.console import Console
from rich.table import Table

from geoservice.settings import Settings

app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)


def _store():
    from geoservice.auth.keys import KeyStore

    return KeyStore(Settings().api_keys_path)


@app.command("create")
def create(
    role_arg: str | None = typer.Argument(None, metavar="[ROLE]", help="Same as --role."),
    name_arg: str | None = typer.Argument(None, metavar="[NAME]", help="Same as --name."),
    role: str | None = typer.Option(
        None, help="reader, warden, editor or admin [default: editor]."
    ),
    name: str | None = typer.Option(None, help="Whose key; recorded as the author of versions."),
    layer: list[str] = typer.Option([], help="Editor keys: limit to this layer (repeatable)."),
    cell: list[str] = typer.Option(
        [], help="Warden keys: a farmland grid cell or level-2 code it records in (repeatable)."
    ),
) -> None:
    """Create a key and print it: the key is the last line, shown only this once.

    ``keys create editor 王工`` and ``keys create --role editor --name 王工`` are the same.
    """
    from geoservice.errors import GeoserviceError

    role = _one_of("role", role_arg, role) or "editor"
    name = _one_of("name", name_arg, name) or ""
    with closing(_store()) as store:
        try:
            principal, key = store.create(role, name or f"{role} key", tuple(layer), tuple(cell))
        except GeoserviceError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(2) from None
    console.print(f"created {principal.role} key {principal.key_id} for {principal.name!r}")
    print(key)


def _one_of(what: str, positional: str | None, option: str | None) -> str | None:
    if positional is not None and option is not None and positional != option:
        console.print(f"[red]{what} given twice ({positional!r} and --{what} {option!r})[/red]")
        raise typer.Exit(2)
    return option if option is not None else positional


@app.command("list")
def list_keys() -> None:
    """List keys (ids, names, roles; never the secrets)."""
    with closing(_store()) as store:
        keys = store.list()
    table = Table("id", "name", "role", "layers", "created", "revoked")
    for k in keys:
        table.add_row(
            k.key_id, k.name, k.role, ", ".join(k.layers) or "all", k.created_at, str(k.revoked)
        )
    Console().print(table)


@app.command("revoke")
def revoke(key_id: str = typer.Argument(..., help="Key id (from keys list).")) -> None:
    """Revoke a key at once."""
    from geoservice.errors import GeoserviceError

    with closing(_store()) as store:
        try:
            store.revoke(key_id)
        except GeoserviceError as exc:
            console.print(f"[red]{exc.message}[/red]")
            raise typer.Exit(1) from None
    console.print(f"revoked {key_id}")
