#!/usr/bin/env python3
"""Moves the sample inventory's junctions to the centres computed from OpenStreetMap's named
ways (data/osm/README.md) and puts each junction camera on its approach: 40 m out along the
road that leaves the centre closest to the camera's side (N, E, S, W), looking at the centre.
Gateway cameras keep their offsets from their gateway. Positions stay "to be surveyed".

    python3 data/osm/place_samples.py   # rewrites data/sample-inventory.geojson
"""
import json
import math
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "data/sample-inventory.geojson"
ROADS = ROOT / "data/osm/dien-bien-phu-roads.geojson"

# (lat, lon) from OpenStreetMap (2021-08): crossings of the named ways, a bridge head and the
# 2021 city boundary's crossings; see data/osm/README.md.
CENTRES = {
    "DBP-J-A1": (21.38184, 103.01602),
    "DBP-J-QT75": (21.38870, 103.01573),
    "DBP-J-DUONGMOI": (21.39756, 103.02115),
    "DBP-J-SVD": (21.38610, 103.02266),
    "DBP-J-THANHBINH": (21.39233, 103.01405),
    "DBP-G-CANHQUANG": (21.40979, 103.04226),
    "DBP-G-THANHNUA": (21.42015, 103.00602),
    "DBP-G-THANHXUONG": (21.36704, 103.00532),
}
SIDES = {"N": 0.0, "E": 90.0, "S": 180.0, "W": 270.0}
OUT_M = 40.0
M_PER_DEG_LAT = 110_574.0


def metres(a, b):
    """(east, north) metres from a to b, both (lat, lon)."""
    k = 111_320.0 * math.cos(math.radians(a[0]))
    return ((b[1] - a[1]) * k, (b[0] - a[0]) * M_PER_DEG_LAT)


def offset(a, east, north):
    k = 111_320.0 * math.cos(math.radians(a[0]))
    return (a[0] + north / M_PER_DEG_LAT, a[1] + east / k)


def bearing(a, b):
    east, north = metres(a, b)
    return math.degrees(math.atan2(east, north)) % 360.0


def along(points, start, step, distance):
    """The point `distance` metres from points[start] walking in direction `step`, or None."""
    walked, i = 0.0, start
    while 0 <= i + step < len(points):
        a, b = points[i], points[i + step]
        length = math.hypot(*metres(a, b))
        if walked + length >= distance:
            t = (distance - walked) / length
            return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)
        walked += length
        i += step
    return None


def legs(centre, roads):
    """One point OUT_M along each road leaving the centre (roads passing within 30 m of it),
    legs closer than 30 degrees to one another counted once."""
    found = []
    for road in roads:
        if road["properties"]["highway"] in ("service", "footway", "track", "steps"):
            continue
        points = [(lat, lon) for lon, lat in road["geometry"]["coordinates"]]
        distances = [math.hypot(*metres(centre, p)) for p in points]
        nearest = min(range(len(points)), key=distances.__getitem__)
        if distances[nearest] > 30.0:
            continue
        for step in (1, -1):
            point = along(points, nearest, step, OUT_M)
            if point is None:
                continue
            heading = bearing(centre, point)
            if all(angle(heading, bearing(centre, q)) > 30.0 for q in found):
                found.append(point)
    return found


def angle(a, b):
    return abs((a - b + 180.0) % 360.0 - 180.0)


def main():
    inventory = json.loads(INVENTORY.read_text(encoding="utf-8"))
    roads = json.loads(ROADS.read_text(encoding="utf-8"))["features"]
    old = {}
    for feature in inventory["features"]:
        p = feature["properties"]
        if p["entity"] == "junction" and p["code"] in CENTRES:
            lon, lat = feature["geometry"]["coordinates"]
            old[p["code"]] = (lat, lon)
            lat, lon = CENTRES[p["code"]]
            feature["geometry"]["coordinates"] = [lon, lat]
    # Each junction's legs, each given to the camera whose side it is closest to.
    placed = {}
    for junction, centre in CENTRES.items():
        cameras = [
            f for f in inventory["features"]
            if f["properties"].get("junction_code") == junction
            and junction.startswith("DBP-J-")
            and f["properties"]["code"].rsplit("-", 1)[-1] in SIDES
        ]
        free = legs(centre, roads)
        pairs = sorted(
            (angle(SIDES[c["properties"]["code"].rsplit("-", 1)[-1]], bearing(centre, q)), i, j)
            for i, c in enumerate(cameras)
            for j, q in enumerate(free)
        )
        taken_cameras, taken_legs = set(), set()
        for difference, i, j in pairs:
            if i in taken_cameras or j in taken_legs or difference > 60.0:
                continue
            taken_cameras.add(i)
            taken_legs.add(j)
            placed[cameras[i]["properties"]["code"]] = (free[j], True)
        for i, camera in enumerate(cameras):
            if i not in taken_cameras:
                side = math.radians(SIDES[camera["properties"]["code"].rsplit("-", 1)[-1]])
                point = offset(centre, OUT_M * math.sin(side), OUT_M * math.cos(side))
                placed[camera["properties"]["code"]] = (point, False)
    for feature in inventory["features"]:
        p = feature["properties"]
        junction = p.get("junction_code")
        if p["entity"] != "camera" or junction not in CENTRES:
            continue
        centre = CENTRES[junction]
        lon, lat = feature["geometry"]["coordinates"]
        if p["code"] in placed:
            point, on_road = placed[p["code"]]
            feature["geometry"]["coordinates"] = [round(point[1], 6), round(point[0], 6)]
            p["heading_deg"] = round(bearing(point, centre), 0)
            print(p["code"], "on its approach" if on_road else "no road on this side in the data")
        else:
            east, north = metres(old[junction], (lat, lon))
            lat, lon = offset(centre, east, north)
            feature["geometry"]["coordinates"] = [round(lon, 6), round(lat, 6)]
    INVENTORY.write_text(
        json.dumps(inventory, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


main()
