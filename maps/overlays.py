"""Page furniture drawn over the map: title, legend, tooltip helper and their CSS.

Written as small branca elements with hand-made HTML rather than folium plugins, because the
plugins pull JS/CSS from CDNs that an offline intranet machine cannot reach. Every argument that
ends up in markup must already be escaped (:func:`shequ.maps.escape.esc`); the static parts here
are trusted.
"""

from __future__ import annotations

from collections.abc import Sequence

from branca.element import Element, MacroElement
from folium.template import Template

from shequ.maps.escape import script_json
from shequ.maps.style import (
    BLIND_SPOT_COLOR,
    FACILITY_COLOR,
    MINUTE_BINS,
    UNREACHABLE_COLOR,
)

FONT_STACK = (
    '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
    '"WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif'
)

_CSS = (
    """
.leaflet-container, .shequ-box { font-family: $FONTS; }
.shequ-box { position: fixed; z-index: 1001; background: rgba(255,255,255,0.92);
  border-radius: 4px; box-shadow: 0 1px 5px rgba(0,0,0,0.4); color: #222; }
.shequ-title { top: 10px; left: 50%; transform: translateX(-50%); max-width: 50%;
  padding: 6px 14px; font-size: 17px; font-weight: bold; text-align: center; }
.shequ-legend { bottom: 56px; left: 10px; padding: 8px 10px; font-size: 13px;
  line-height: 20px; max-height: 60%; overflow-y: auto; }
.shequ-legend h4 { margin: 0 0 4px; font-size: 13px; }
.shequ-legend h4.shequ-gap { margin-top: 8px; }
.shequ-legend i { display: inline-block; width: 14px; height: 14px; margin-right: 6px;
  vertical-align: -2px; box-sizing: border-box; }
.shequ-legend i.dot { border-radius: 50%; border: 1px solid #444; }
.shequ-legend i.ring { border-radius: 50%; border: 2.5px solid $BLIND; }
.shequ-legend i.fac { border-radius: 50%; border: 2px solid #fff; background: $FACILITY;
  box-shadow: 0 0 0 1px #999; }
.shequ-legend i.area { border: 2px solid #0f6b37; background: rgba(26,152,80,0.18); }
.shequ-legend i.hollow { border-radius: 50%; border: 2.5px solid #666; background: #fff; }
.shequ-completeness { top: 90px; left: 10px; max-width: 300px; padding: 6px 10px;
  font-size: 12px; line-height: 17px; }
.shequ-completeness h4 { margin: 0 0 4px; font-size: 13px; }
.shequ-completeness div { margin-bottom: 2px; }
.shequ-tip th { text-align: left; padding-right: 8px; font-weight: normal; color: #555; }
""".replace("$FONTS", FONT_STACK)
    .replace("$BLIND", BLIND_SPOT_COLOR)
    .replace("$FACILITY", FACILITY_COLOR)
)

_TOOLTIP_JS = """
function shequTooltip(rows) {
  /* Property values were HTML-escaped when the page was made; labels are trusted. */
  return function (feature, layer) {
    var props = feature.properties || {}, body = '';
    for (var i = 0; i < rows.length; i++) {
      var value = props[rows[i][0]];
      if (value === null || value === undefined || value === '') { continue; }
      body += '<tr><th>' + rows[i][1] + '</th><td>' + value + '</td></tr>';
    }
    if (body) { layer.bindTooltip('<table>' + body + '</table>', {sticky: true,
      className: 'shequ-tip'}); }
  };
}
"""


class RawHtml(Element):
    """Ready-made (escaped) HTML for the page head, emitted as is.

    ``branca.element.Element(text)`` would compile ``text`` as a Jinja template, so a ``{{`` in a
    title from data would be evaluated; this element never interprets its text.
    """

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.markup = markup

    def render(self, **kwargs: object) -> str:
        return self.markup


class PageStyle(Element):
    """Head element with the map's CSS and the tooltip helper every GeoJson layer calls."""

    def render(self, **kwargs: object) -> str:
        return f"<style>{_CSS}</style>\n<script>{_TOOLTIP_JS}</script>"


def tooltip_js(rows: Sequence[tuple[str, str]]) -> str:
    """JS for a layer's ``onEachFeature``: a tooltip of (property, escaped label) rows."""
    return f"shequTooltip({script_json([list(row) for row in rows])})"


class HtmlBox(MacroElement):
    """A fixed box of ready-made (escaped) HTML over the map."""

    _template = Template(
        """
        {% macro html(this, kwargs) %}
        <div class="shequ-box {{ this.css_class }}">{{ this.markup }}</div>
        {% endmacro %}
        """
    )

    def __init__(self, markup: str, css_class: str) -> None:
        super().__init__()
        self._name = "HtmlBox"
        self.markup = markup
        self.css_class = css_class


def title_box(title: str) -> HtmlBox:
    """The map title; ``title`` must be escaped."""
    return HtmlBox(title, "shequ-title")


def legend_box(
    *,
    heading: str,
    unreachable: str,
    blind_spots: str,
    facilities: str,
    isochrones: str,
    standard: str,
    standards: Sequence[str],
    extra: Sequence[str] = (),
) -> HtmlBox:
    """The legend: minute bins, unreachable, symbols (then the ``extra`` lines, ready HTML),
    and each kind's standard (all escaped)."""
    lines = [f"<h4>{heading}</h4>"]
    for minute_class in MINUTE_BINS:
        lines.append(
            f'<div><i class="dot" style="background:{minute_class.color}"></i>'
            f"{minute_class.label}</div>"
        )
    lines.append(
        f'<div><i class="dot" style="background:{UNREACHABLE_COLOR}"></i>{unreachable}</div>'
    )
    lines.append(f'<div><i class="ring"></i>{blind_spots}</div>')
    lines.append(f'<div><i class="fac"></i>{facilities}</div>')
    lines.append(f'<div><i class="area"></i>{isochrones}</div>')
    lines.extend(extra)
    if standards:
        lines.append(f'<h4 class="shequ-gap">{standard}</h4>')
        lines.extend(f"<div>{line}</div>" for line in standards)
    return HtmlBox("\n".join(lines), "shequ-legend")
