#!/usr/bin/env python3
"""Makes data/osm/dien-bien-phu-roads.geojson from the roads extract of Điện Biên Phủ
(OpenStreetMap, ODbL 1.0): keeps each road's class and name, coordinates at 6 decimals
(about 0.1 m; the source is precise to about 0.6 m), and drops nothing else.

    python3 data/osm/make_roads.py ROADS.geojson > data/osm/dien-bien-phu-roads.geojson
"""
import json
import sys

source = json.load(open(sys.argv[1], encoding="utf-8"))
roads = []
for feature in source["features"]:
    geometry = feature["geometry"]
    if geometry["type"] != "LineString" or len(geometry["coordinates"]) < 2:
        continue
    properties = feature["properties"]
    roads.append({
        "type": "Feature",
        "properties": {"highway": properties["highway"], "name": properties.get("name")},
        "geometry": {
            "type": "LineString",
            "coordinates": [[round(x, 6), round(y, 6)] for x, y in geometry["coordinates"]],
        },
    })
out = {
    "type": "FeatureCollection",
    "name": "Điện Biên Phủ roads",
    "attribution": source["attribution"],
    "source": source["source"],
    "data_date": "2021-08",
    "bbox": source["bbox"],
    "features": roads,
}
json.dump(out, sys.stdout, ensure_ascii=False, separators=(",", ":"))
sys.stdout.write("\n")
