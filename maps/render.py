"""Render a folium map to HTML without ever treating data as a template.

branca, under folium, renders each ``MacroElement`` through its Jinja2 macros and then wraps the
*rendered* text in ``branca.element.Element(text)``, which compiles that text as a new Jinja2
template and renders it a second time (``MacroElement.render``). Text from the data (an OSM
``name``, a CSV cell, a grid code) is part of the rendered text, so ``{{ … }}`` or ``{% … %}``
in a name would be evaluated on the planner's machine: ``{{ 7*7 }}`` would show as 49, and
``{{ lipsum.__globals__.os… }}`` would run code. HTML escaping does not help: braces are not
HTML.

:func:`render_page` renders the page with every ``MacroElement`` placing its macro output on
the page as it is (:class:`~shequ.maps.overlays.RawHtml`), never compiled again. Every value
still enters the page exactly once, as the value of a ``{{ … }}`` expression in one of
shequ's or folium's own templates, and Jinja2 never parses the output of an expression.
Elements that re-parse their output by routes of their own (``folium.Popup``,
``GeoJsonTooltip``, Vega charts …) or a plain branca ``Element`` whose text holds template
syntax are refused before anything is rendered: only the folium classes listed here, after
reading their ``render``, and shequ's own elements may reach a page.

Written by hand because neither folium nor branca has an option to render without the second
pass (branca 0.8). ``MacroElement.render`` is wrapped once, the first time a page is rendered;
the wrapper takes the single-pass route only inside :func:`render_page` (a context variable,
so other threads and other folium users in the process render exactly as before).
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator

import folium
import folium.elements
import folium.features
import folium.map
import folium.raster_layers
import folium.vector_layers
from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement

from shequ.maps.overlays import RawHtml

_SINGLE_PASS: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "shequ_single_pass", default=False
)
_TEMPLATE_SYNTAX = re.compile(r"\{[{%#]")


# folium classes known to pass data only as template values, through MacroElement.render (made
# single-pass here) or a plain Element template; a class of shequ's own (boxes, legends, tools) is
# allowed when it is defined in shequ.maps. Anything else (folium.Popup, GeoJsonTooltip, Vega …
# re-render their output by routes of their own) is refused until it has been checked.
_FOLIUM_CHECKED: tuple[type, ...] = (
    folium.Map,
    folium.raster_layers.TileLayer,
    folium.map.CustomPane,
    folium.map.FeatureGroup,
    folium.map.FitBounds,
    folium.map.LayerControl,
    folium.map.Marker,
    folium.features.GeoJson,
    folium.features.DivIcon,
    folium.vector_layers.CircleMarker,
    # added by folium while a page renders (so present when a map is rendered again):
    folium.elements.ElementAddToElement,
    folium.map.Marker.SetIcon,
    JavascriptLink,  # folium's CDN links (shequ's pages drop them; see maps/assets.py)
    CssLink,
)


def _checked(element: Element) -> bool:
    kind = type(element)
    if kind is Element:  # compiles its own text: fine only if that text has no template syntax
        return not _TEMPLATE_SYNTAX.search(element._template_str or "")
    if kind is Figure or kind in _FOLIUM_CHECKED:
        return True
    return kind.__module__.startswith("shequ.maps.")


def _render_macro_once(self: MacroElement, **kwargs: object) -> None:
    """``MacroElement.render`` without the second pass: macro output is placed verbatim."""
    figure = self.get_root()
    if not isinstance(figure, Figure):
        msg = "You cannot render this Element if it is not in a Figure."
        raise TypeError(msg)
    module = self._template.module.__dict__
    for part in ("header", "html", "script"):
        macro = module.get(part)
        if macro is not None:
            getattr(figure, part).add_child(RawHtml(macro(self, kwargs)), name=self.get_name())
    for element in list(self._children.values()):
        element.render(**kwargs)


def _install_wrapper() -> None:
    """Wrap ``MacroElement.render`` once: single pass inside :func:`render_page`, else as is."""
    if getattr(MacroElement.render, "_shequ_wrapper", False):
        return
    original = MacroElement.render

    def render(self: MacroElement, **kwargs: object) -> None:
        if _SINGLE_PASS.get():
            return _render_macro_once(self, **kwargs)
        return original(self, **kwargs)

    render._shequ_wrapper = True  # type: ignore[attr-defined]
    MacroElement.render = render  # type: ignore[method-assign]


def _walk(element: Element) -> Iterator[Element]:
    yield element
    children = list(element._children.values())
    if isinstance(element, Figure):  # the page's head, body and script hold elements too
        children += [element.header, element.html, element.script]
    for child in children:
        yield from _walk(child)


def check_elements(root: Element) -> None:
    """Refuse a page holding an element that would render its output as a template again."""
    for element in _walk(root):
        if not _checked(element):
            name = f"{type(element).__module__}.{type(element).__name__}"
            msg = f"map element {name} is not checked for single-pass rendering"
            raise TypeError(msg)


def render_page(m: folium.Map) -> str:
    """The map's whole HTML page, rendered in one pass: no text is ever compiled twice.

    Parameters
    ----------
    m : folium.Map
        A map built by one of shequ's map builders.

    Returns
    -------
    str
        The page, with every data value exactly as escaped by the builders.

    Raises
    ------
    TypeError
        When the map holds an element type not checked for single-pass rendering (a
        programming error, not bad input).
    """
    root = m.get_root()
    check_elements(root)
    _install_wrapper()
    token = _SINGLE_PASS.set(True)
    try:
        page = root.render()
    finally:
        _SINGLE_PASS.reset(token)
    lang = getattr(root, "shequ_lang", None)  # shequ.maps.page.new_map
    if lang is not None:
        page = page.replace("<html>", f'<html lang="{lang}">', 1)
    return page
