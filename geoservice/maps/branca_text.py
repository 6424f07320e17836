"""Keep what Folium elements write as text: branca would compile it as a Jinja template.

branca's ``MacroElement.render`` wraps the text each element's macro wrote (its
script, with the layer's features and names in JSON) in a new ``Element``,
whose constructor compiles that text as a Jinja template, rendered again with
the page. Stored text then reaches the template engine: ``{{ 7*7 }}`` in a
feature name shows as 49, ``{{ cycler.__init__.__globals__.os... }}`` runs
Python in the service (Jinja is not sandboxed), and a stray ``{%`` stops every
map of the layer with a syntax error.

:func:`keep_written_text` makes branca compile such a template only if it is
ever rendered; :func:`geoservice.maps.builder.render_page` never renders them:
it takes each element's text as written (``Element._template_str``). The
library's own templates (class attributes, compiled at import) are unchanged.
"""

from __future__ import annotations

from typing import Any


class DeferredTemplate:
    """A Jinja template compiled on first use (never, for the text elements of our pages)."""

    __slots__ = ("_compiled", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self._compiled = None

    def _template(self):
        if self._compiled is None:
            from jinja2 import Template

            self._compiled = Template(self.source)
        return self._compiled

    def render(self, *args: Any, **kwargs: Any) -> str:
        """Compile, then render (what branca's Element does at once)."""
        return self._template().render(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._template(), name)


def keep_written_text() -> None:
    """Make branca's ``Element(template=text)`` keep ``text`` uncompiled (idempotent).

    ``branca.element.Template`` is used at run time only by ``Element.__init__``
    and ``__setstate__`` (element classes compiled theirs at import).
    """
    import branca.element

    branca.element.Template = DeferredTemplate
