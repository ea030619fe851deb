"""The basemap every map draws (``geo/basemap.py``, ``maps/basemap.py``) and the page it is on."""

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (en, zh)
    "e.basemap_url": (
        "--basemap {value!r} is not a tile URL template: give http(s)://host/…/{{z}}/{{x}}/{{y}}.png",
        "--basemap {value!r} 不是瓦片地址模板：应为 http(s)://主机/…/{{z}}/{{x}}/{{y}}.png",
    ),
    "e.basemap_subdomain": (
        "--basemap {value!r}: write one server instead of {{s}} (e.g. webrd01 for Amap): "
        "which letters or digits {{s}} stands for differs between services",
        "--basemap {value!r}：请用一个服务器名代替 {{s}}（如高德的 webrd01）："
        "不同服务的 {{s}} 取值不同",
    ),
    "help.area.basemap": (
        "tile URL template drawn as the basemap instead of the one drawn from the OSM data "
        "(an intranet tile server, Tianditu; {{z}}/{{x}}/{{y}}); GCJ-02 services (Amap, Tencent) "
        "shift the map's data into GCJ-02. Default: no request to any other host",
        "底图瓦片地址模板（内网瓦片服务、天地图；{{z}}/{{x}}/{{y}}），替代由 OSM 数据绘制的底图；"
        "GCJ-02 服务（高德、腾讯）会将图上数据转换为 GCJ-02。默认：不向任何其他主机发出请求",
    ),
    "map.basemap_from_data": (
        "basemap drawn from the analysed OSM extract",
        "底图由分析所用的 OSM 数据绘制",
    ),
    "map.basemap_external": (
        "basemap tiles from the server given with --basemap",
        "底图瓦片来自 --basemap 指定的服务",
    ),
    "map.basemap_gcj02": (
        "GCJ-02 tiles: the data on this map are shifted into GCJ-02 to line up with them",
        "GCJ-02 瓦片：本图数据已转换为 GCJ-02 坐标以与底图对齐",
    ),
}
