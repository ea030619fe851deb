"""Offline assets: Leaflet inlined into the page, and a guard against external resources.

The maps are opened by officials on government intranets with no internet. A folium page links
Leaflet, jQuery, Bootstrap and Font Awesome from CDNs by default, and on such a machine it then
shows nothing at all. So the map is built with folium's CDN links switched off, the vendored
Leaflet (``shequ.data/vendor``, read through :mod:`importlib.resources` so a wheel install works)
is inlined into the page head, and the rendered HTML is checked for any ``<script src>`` or
``<link href>`` that would still reach out. Only basemap tile images may be requested: they are
optional and the data layers draw without them.
"""

from __future__ import annotations

import base64
import logging
import re
from functools import cache
from importlib import resources

import folium
from branca.element import Element

log = logging.getLogger(__name__)

LEAFLET_VERSION = "1.9.3"
"""The Leaflet version folium 0.20 links (``folium.folium._default_js``); the vendored one."""

_VENDOR_PACKAGE = "shequ.data"
_CSS_IMAGES = ("layers.png", "layers-2x.png", "marker-icon.png")

# <script ... src=...> / <link ... href=...> whose URL leaves the page: http(s) or scheme-relative.
_EXTERNAL_TAG = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?\s*(?:https?:)?//[^>]*>\s*</script\s*>"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?\s*(?:https?:)?//[^>]*>""",
    re.IGNORECASE,
)


def _vendor_bytes(name: str) -> bytes:
    return resources.files(_VENDOR_PACKAGE).joinpath("vendor", name).read_bytes()


@cache
def leaflet_js() -> str:
    """Leaflet's JS, safe to place inside a ``<script>`` element.

    The ``sourceMappingURL`` comment is dropped (it names a file that is not shipped), and any
    ``</script`` is broken up so the inlined code cannot close its own element.
    """
    text = _vendor_bytes(f"leaflet-{LEAFLET_VERSION}.js").decode("utf-8")
    text = re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


@cache
def leaflet_css() -> str:
    """Leaflet's CSS with its images as ``data:`` URIs, safe inside a ``<style>`` element.

    The layer-control toggle uses ``layers.png``; a relative ``images/`` URL would point nowhere
    once the page is copied around, so every image the stylesheet names is embedded.
    """
    text = _vendor_bytes(f"leaflet-{LEAFLET_VERSION}.css").decode("utf-8")
    for image in _CSS_IMAGES:
        payload = base64.b64encode(_vendor_bytes(f"leaflet-{LEAFLET_VERSION}-{image}"))
        text = text.replace(
            f"url(images/{image})", f"url(data:image/png;base64,{payload.decode()})"
        )
    if re.search(r"url\(\s*['\"]?(?!data:|#)", text):
        raise RuntimeError("leaflet.css references a file that is not inlined")
    return re.sub(r"</(style)", r"<\\/\1", text, flags=re.IGNORECASE)


def leaflet_license() -> str:
    """Leaflet's BSD-2-Clause licence, which must accompany the copies inlined into pages."""
    return _vendor_bytes("LICENSE-leaflet.txt").decode("utf-8")


class InlineLeaflet(Element):
    """Page-head element carrying Leaflet's CSS and JS inline, replacing folium's CDN links."""

    def render(self, **kwargs: object) -> str:
        return (
            f"<!-- Leaflet {LEAFLET_VERSION} (BSD-2-Clause, (c) Vladimir Agafonkin, CloudMade),"
            " inlined so the page works offline -->\n"
            f"<style>\n{leaflet_css()}\n</style>\n<script>\n{leaflet_js()}\n</script>"
        )


def make_offline(m: folium.Map) -> folium.Map:
    """Switch the map from CDN links to inlined Leaflet.

    folium adds a map's ``default_js``/``default_css`` to the page head as links when rendering;
    emptying them on this instance drops jQuery, Bootstrap and the icon fonts too, which the
    circle-marker maps here do not use. Inlined Leaflet goes right after the charset ``<meta>``
    (which must stay within the first 1024 bytes) and before any script that calls ``L``.
    """
    m.default_js = []
    m.default_css = []
    header = m.get_root().header
    index = 1 if "meta_http" in header._children else 0
    header.add_child(InlineLeaflet(), name="leaflet_inline", index=index)
    return m


# --- Leaflet.draw (the grid map's drawing toolbar) --------------------------------------------

LEAFLET_DRAW_VERSION = "1.0.4"
"""The vendored Leaflet.draw (npm ``leaflet-draw``, MIT); only the grid map inlines it."""

_DRAW_CSS_IMAGES = {
    "spritesheet.svg": "image/svg+xml",
    "spritesheet.png": "image/png",
    "spritesheet-2x.png": "image/png",
}


@cache
def leaflet_draw_js() -> str:
    """Leaflet.draw's JS, safe to place inside a ``<script>`` element (after Leaflet's)."""
    text = _vendor_bytes(f"leaflet-draw-{LEAFLET_DRAW_VERSION}.js").decode("utf-8")
    text = re.sub(r"^//# sourceMappingURL=.*$", "", text, flags=re.MULTILINE)
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


@cache
def leaflet_draw_css() -> str:
    """Leaflet.draw's CSS with its toolbar sprites as ``data:`` URIs, safe inside ``<style>``."""
    text = _vendor_bytes(f"leaflet-draw-{LEAFLET_DRAW_VERSION}.css").decode("utf-8")
    for image, mime in _DRAW_CSS_IMAGES.items():
        payload = base64.b64encode(_vendor_bytes(f"leaflet-draw-{LEAFLET_DRAW_VERSION}-{image}"))
        uri = f"url(data:{mime};base64,{payload.decode()})"
        for quote in ("'", '"', ""):
            text = text.replace(f"url({quote}images/{image}{quote})", uri)
    if re.search(r"url\(\s*['\"]?(?!data:|#)", text):
        raise RuntimeError("leaflet.draw.css references a file that is not inlined")
    return re.sub(r"</(style)", r"<\\/\1", text, flags=re.IGNORECASE)


def leaflet_draw_license() -> str:
    """Leaflet.draw's MIT licence, which must accompany the copies inlined into pages."""
    return _vendor_bytes("LICENSE-leaflet-draw.txt").decode("utf-8")


class InlineLeafletDraw(Element):
    """Page-head element carrying Leaflet.draw's CSS and JS inline (it needs Leaflet first)."""

    def render(self, **kwargs: object) -> str:
        return (
            f"<!-- Leaflet.draw {LEAFLET_DRAW_VERSION} (MIT, (c) Jacob Toye, Jon West, Smartrak,"
            " Leaflet), inlined so the page works offline -->\n"
            f"<style>\n{leaflet_draw_css()}\n</style>\n<script>\n{leaflet_draw_js()}\n</script>"
        )


def add_leaflet_draw(m: folium.Map) -> folium.Map:
    """Inline Leaflet.draw into an offline map (one made with :func:`make_offline`).

    It goes right after the inlined Leaflet, so ``L.Control.Draw`` exists before any map
    script runs.
    """
    header = m.get_root().header
    if "leaflet_inline" not in header._children:
        raise RuntimeError("add_leaflet_draw needs a map made offline with make_offline first")
    names = list(header._children)
    header.add_child(
        InlineLeafletDraw(), name="leaflet_draw_inline", index=names.index("leaflet_inline") + 1
    )
    return m


def external_resource_tags(html: str) -> list[str]:
    """The ``<script src>``/``<link href>`` tags of ``html`` that would fetch from the network."""
    return [match.group(0) for match in _EXTERNAL_TAG.finditer(html)]


def strip_external_resources(html: str) -> str:
    """Remove every external ``<script src>``/``<link href>`` tag from a rendered page.

    A safety net behind :func:`make_offline`: an element added to the map later (a folium
    plugin, say) may bring its own CDN links, which would hang or fail on an offline machine.
    Dropping them is logged, since whatever needed them will not work.
    """
    found = external_resource_tags(html)
    for tag in found:
        log.warning("dropped an external resource from the map page: %s", tag)
    return _EXTERNAL_TAG.sub("", html) if found else html
