#!/usr/bin/env python3
"""Writes the rule scenes of tests/fixtures/rules/scenes/ (issue 14): two junction geometries,
the signal changes, and one tracks file per scene in the `rules replay` format, its header
naming what the scene shows and the events a reviewer applying ND 168 expects (`# expect:`
lines; `# expect: nothing` for the legal version of a violation). tests/rule_scenes.rs replays
every file and compares; docs/rules-replay.md lists them.

Paths are drawn as a driver drives them: turns are arcs with a real radius (a right turn of
100-150 px, a left turn across the junction of 200 px or more, a U-turn of 50 px), vehicles
slow into a stop and wait with a few pixels of box jitter. Points every 200 ms (5 frames a
second, as the engine analyses). Plan view, 20 px a metre (the geometry's homography).

Run from the repository root: python3 tests/support/make_rule_scenes.py
"""

import json
import math
import os

OUT = "tests/fixtures/rules/scenes"
STEP_MS = 200


def pt(x, y):
    return {"x": x, "y": y}


def rect(x0, y0, x1, y1):
    return [pt(x0, y0), pt(x1, y0), pt(x1, y1), pt(x0, y1)]


JUNCTION = {
    "version": 1,
    "camera": "SCENE-J",
    "frame": {"width": 1280, "height": 720},
    "homography": [[0.05, 0, 0], [0, 0.05, 0], [0, 0, 1]],
    "speed_limit_kmh": 50,
    "approaches": [
        {"id": "S", "stop_line": [pt(640, 480), pt(760, 480)],
         "entry_direction": [pt(700, 700), pt(700, 500)], "signal_group": "NS",
         "right_turn_on_red": True, "forbidden_turns": [{"turn": "u-turn"}]},
        {"id": "N", "stop_line": [pt(520, 240), pt(640, 240)],
         "entry_direction": [pt(580, 0), pt(580, 220)], "signal_group": "NS",
         "forbidden_turns": [{"turn": "left"}, {"turn": "u-turn", "classes": ["car", "bus", "truck"]}],
         "queue_area": rect(520, 120, 640, 240)},
        {"id": "W", "stop_line": [pt(520, 360), pt(520, 480)],
         "entry_direction": [pt(300, 420), pt(500, 420)], "signal_group": "EW",
         "forbidden_turns": [{"turn": "right", "classes": ["truck"]}]},
        {"id": "E", "stop_line": [pt(760, 240), pt(760, 360)],
         "entry_direction": [pt(1000, 300), pt(780, 300)], "signal_group": "EW"},
    ],
    "lanes": [
        {"id": "S1", "approach": "S", "polygon": rect(640, 480, 700, 720),
         "direction": [pt(670, 700), pt(670, 500)], "allowed_turns": ["left", "straight"]},
        {"id": "S2", "approach": "S", "polygon": rect(700, 480, 760, 720),
         "direction": [pt(730, 700), pt(730, 500)], "allowed_turns": ["straight", "right"]},
        {"id": "N1", "approach": "N", "polygon": rect(520, 0, 640, 240),
         "direction": [pt(580, 20), pt(580, 220)],
         "allowed_turns": ["left", "straight", "right", "u-turn"]},
        {"id": "W1", "approach": "W", "polygon": rect(0, 360, 520, 480),
         "direction": [pt(20, 420), pt(500, 420)], "allowed_turns": ["left", "straight", "right"]},
        {"id": "E1", "approach": "E", "polygon": rect(760, 240, 1280, 360),
         "direction": [pt(1260, 300), pt(780, 300)], "allowed_turns": ["left", "straight", "right"]},
    ],
    "carriageway": [rect(520, 0, 760, 720), rect(0, 240, 1280, 480)],
    "zones": [
        {"id": "junction", "kind": "no-stopping", "dwell_limit_s": 10,
         "polygon": rect(500, 220, 780, 500)},
        {"id": "north-curb", "kind": "no-stopping", "sign": True, "dwell_limit_s": 5,
         "exempt": ["bus"], "polygon": rect(520, 20, 560, 110)},
        {"id": "west-curb", "kind": "no-parking", "dwell_limit_s": 60,
         "polygon": rect(100, 245, 300, 300)},
        {"id": "plaza", "kind": "crowd", "dwell_limit_s": 20, "max_people": 5,
         "polygon": rect(900, 520, 1240, 700)},
    ],
    "solid_lines": [[pt(0, 360), pt(500, 360)]],
    "lane_lines": [[pt(700, 500), pt(700, 720)]],
}

ONE_WAY = {
    "version": 1,
    "camera": "SCENE-OW",
    "frame": {"width": 1280, "height": 720},
    "approaches": [
        {"id": "E", "stop_line": [pt(760, 240), pt(760, 480)],
         "entry_direction": [pt(1000, 360), pt(780, 360)], "signal_group": "EW", "one_way": True},
        {"id": "S", "stop_line": [pt(640, 480), pt(760, 480)],
         "entry_direction": [pt(700, 700), pt(700, 500)], "signal_group": "NS"},
    ],
    "lanes": [
        {"id": "E1", "approach": "E", "polygon": rect(760, 240, 1280, 360),
         "direction": [pt(1260, 300), pt(780, 300)], "allowed_turns": ["left", "straight", "right"]},
        {"id": "E2", "approach": "E", "polygon": rect(760, 360, 1280, 480),
         "direction": [pt(1260, 420), pt(780, 420)], "allowed_turns": ["left", "straight", "u-turn"]},
    ],
}

# NS: green 0-20 s, amber 20-23 s, red 23-60 s, green from 60 s.
# EW: red 0-25 s, green 25-55 s, amber 55-58 s, red from 58 s.
SIGNALS = [
    (0, "NS", "green"), (20000, "NS", "amber"), (23000, "NS", "red"), (60000, "NS", "green"),
    (0, "EW", "red"), (25000, "EW", "green"), (55000, "EW", "amber"), (58000, "EW", "red"),
]


class Path:
    """A vehicle's ground point over time: drive lines and arcs at a speed, wait in place."""

    def __init__(self, t0_ms, x, y, heading_deg):
        self.t = t0_ms
        self.x, self.y = float(x), float(y)
        # Heading in picture degrees: 0 = +x (east), 90 = +y (down, south), -90 = up (north).
        self.h = float(heading_deg)
        self.points = [(self.t, self.x, self.y)]

    def _advance(self, length, speed, turn_rate_deg_per_px=0.0):
        """Moves `length` px at about `speed` px/s (a whole number of samples, so that an arc
        turns by its whole angle), turning at a constant rate, sampling each step."""
        steps = max(1, round(length / (speed * STEP_MS / 1000.0)))
        step_px = length / steps
        for _ in range(steps):
            n = 10  # integrate the arc in small pieces
            for _ in range(n):
                self.h += turn_rate_deg_per_px * step_px / n
                self.x += step_px / n * math.cos(math.radians(self.h))
                self.y += step_px / n * math.sin(math.radians(self.h))
            self.t += STEP_MS
            self.points.append((self.t, round(self.x, 1), round(self.y, 1)))
        return self

    def line(self, length, speed):
        return self._advance(length, speed)

    def arc(self, radius, degrees, speed):
        """Turns by `degrees` (positive: right, clockwise on the picture) on a radius."""
        length = abs(math.radians(degrees)) * radius
        return self._advance(length, speed, degrees / length)

    def wait(self, seconds, jitter=3.0):
        for i in range(int(round(seconds * 1000 / STEP_MS))):
            self.t += STEP_MS
            j = jitter if i % 2 == 0 else -jitter
            self.points.append((self.t, round(self.x + j, 1), round(self.y, 1)))
        return self

    def until(self, t_ms):
        """Waits in place until `t_ms`."""
        return self.wait(max(0, t_ms - self.t) / 1000.0)


def track(track_id, cls, path, classes=None):
    """Lines of one track; `classes` maps point index ranges to another class (a detector's
    slip), e.g. {(10, 13): "car"}."""
    lines = []
    for i, (t, x, y) in enumerate(path.points):
        c = cls
        for (a, b), other in (classes or {}).items():
            if a <= i < b:
                c = other
        lines.append({"t_ms": t, "track": track_id, "class": c, "x": x, "y": y})
    return lines


def index_near(path, y=None, x=None):
    """Index of the first point past a coordinate."""
    for i, (_, px, py) in enumerate(path.points):
        if y is not None and py <= y:
            return i
        if x is not None and px >= x:
            return i
    raise ValueError("never reached")


SCENES = []


def scene(name, title, expect, tracks, geometry="junction", args=None):
    SCENES.append((name, title, expect, tracks, geometry, args or []))


# Paths reused across scenes -------------------------------------------------------------

def from_s_straight(t_cross_ms, lane_x=670, speed=150):
    """Up a south lane, crossing the stop line (y 480) at about `t_cross_ms`, straight on."""
    start_y = 700
    t0 = t_cross_ms - int((start_y - 480) / speed * 1000)
    return Path(t0, lane_x, start_y, -90).line(700, speed)


def from_s_right(t_cross_ms, radius=90, speed=120, lane_x=735):
    start_y = 640
    t0 = t_cross_ms - int((start_y - 480) / speed * 1000)
    return Path(t0, lane_x, start_y, -90).line(start_y - 470, speed).arc(radius, 90, speed).line(450, speed)


def from_s_left(t_cross_ms, radius=220, speed=130, lane_x=665):
    start_y = 640
    t0 = t_cross_ms - int((start_y - 480) / speed * 1000)
    return Path(t0, lane_x, start_y, -90).line(start_y - 470, speed).arc(radius, -90, speed).line(400, speed)


def from_n(t_cross_ms, speed=130):
    """Down lane N1 towards the stop line (y 240) at x 590, reaching it at `t_cross_ms`."""
    start_y = 100
    t0 = t_cross_ms - int((240 - start_y) / speed * 1000)
    return Path(t0, 590, start_y, 90).line(240 - start_y + 10, speed)


def from_w(t_cross_ms, speed=150, y=430):
    start_x = 200
    t0 = t_cross_ms - int((520 - start_x) / speed * 1000)
    return Path(t0, start_x, y, 0).line(520 - start_x + 10, speed)


# Red light ---------------------------------------------------------------------------------

scene("red-light-car", "A car goes straight over S's stop line 7 s into red.",
      ["1 red-light red-light car 6.9.b"], track(1, "car", from_s_straight(30000)))
scene("red-light-motorbike", "A motorbike goes straight over S's stop line on red.",
      ["1 red-light red-light motorbike 7.7.c"], track(1, "motorbike", from_s_straight(30000)))
p = from_s_straight(30000)
i = index_near(p, y=500)
scene("red-light-majority-class",
      "A truck labelled car in the frames at the line and a motorbike labelled bicycle there "
      "are judged as their tracks' majority class.",
      ["1 red-light red-light truck 6.9.b", "2 red-light red-light motorbike 7.7.c"],
      track(1, "truck", p, {(i - 3, i + 3): "car"})
      + track(2, "motorbike", from_s_straight(35000), {(i - 3, i + 3): "bicycle"}))
scene("right-on-red-allowed",
      "A car turns right from S2 on red with a 110 px radius, where a sign allows it.",
      ["nothing"], track(1, "car", from_s_right(30000)))
p = from_w(10000).arc(100, 90, 150).line(300, 150)
scene("right-on-red-not-allowed",
      "A car turns right from W on red (no sign allows it there).",
      ["1 red-light red-light car 6.9.b"], track(1, "car", p))
scene("amber-crossing", "A car crosses S's stop line 1 s into amber: not raised by default.",
      ["nothing"], track(1, "car", from_s_straight(21000)))
scene("amber-crossing-review",
      "The same crossing with the amber policy on review: raised for the reviewer.",
      ["1 red-light amber-crossing car 6.9.b"], track(1, "car", from_s_straight(21000)),
      args=["--amber", "review"])
scene("green-crossing", "A car crosses S's stop line on green.", ["nothing"],
      track(1, "car", from_s_straight(10000)))
scene("pedestrian-on-red", "A person walks north over S's stop line on red.", ["nothing"],
      track(1, "person", from_s_straight(30000, speed=60)))

# A queue through a long red: four cars in S1 and S2, four motorbikes in S1 behind them,
# stopped from about 25 s to 60 s (the first cars inside the 5 m junction zone), away on green.
queue = []
for k, (lane_x, stop_y) in enumerate([(670, 490), (730, 490), (670, 540), (730, 540)]):
    q = Path(20000 + 400 * k, lane_x, 715, -90).line(715 - stop_y, 100).until(60000 + 300 * k)
    q.line(650, 150)
    queue += track(1 + k, "car", q)
for k, stop_y in enumerate([590, 620, 650, 680]):
    q = Path(22000 + 300 * k, 655 + 25 * (k % 2), 719, -90).line(719 - stop_y, 100)
    q.until(61500 + 300 * k).line(650, 150)
    queue += track(11 + k, "motorbike", q)
scene("queue-at-red",
      "Four cars and four motorbikes wait behind S's stop line through 35 s of red (two cars "
      "inside the 5 m junction zone), then go on green: no red light, stop or gathering.",
      ["nothing"], queue)

# Turns -------------------------------------------------------------------------------------

def n_left(t, speed=120):
    return from_n(t, speed).arc(180, -90, speed).line(400, speed)


scene("left-against-sign-car", "A car turns left from N, where a sign forbids left turns.",
      ["1 unsafe-turn left-against-sign car 6.4.k"], track(1, "car", n_left(5000)))
scene("left-against-sign-motorbike", "A motorbike turns left from N against the sign.",
      ["1 unsafe-turn left-against-sign motorbike 7.3.a"], track(1, "motorbike", n_left(5000)))


def n_uturn(t, speed=80):
    return from_n(t, speed).line(30, speed).arc(50, -180, speed).line(330, speed)


scene("u-turn-against-sign-car", "A car makes a U-turn at N, where a sign forbids it to cars.",
      ["1 unsafe-turn u-turn-against-sign car 6.4.k"], track(1, "car", n_uturn(5000)))
scene("u-turn-allowed-motorbike",
      "A motorbike makes the same U-turn: the sign is for cars and the lane's arrows allow it.",
      ["nothing"], track(1, "motorbike", n_uturn(5000)))


def s_uturn(t, speed=80):
    p = Path(t - 2000, 665, 640, -90).line(170, speed).arc(45, -180, speed)
    return p.line(400, speed)


scene("u-turn-against-sign-motorbike", "A motorbike makes a U-turn at S, where a sign forbids "
      "U-turns to every vehicle.",
      ["1 unsafe-turn u-turn-against-sign motorbike 7.2.k"], track(1, "motorbike", s_uturn(5000)))


def w_right(t, speed=120):
    return from_w(t, speed, y=455).arc(90, 90, speed).line(300, speed)


scene("right-against-sign-truck", "A truck turns right from W, where a sign forbids it to trucks.",
      ["1 unsafe-turn right-against-sign truck 6.4.k"], track(1, "truck", w_right(30000)))
scene("right-allowed-car", "A car makes the same right turn: the sign is for trucks only.",
      ["nothing"], track(1, "car", w_right(30000)))
scene("turn-against-marking-car", "A car turns right from S1, whose arrows allow left and straight.",
      ["1 unsafe-turn turn-against-marking car 6.1.a"],
      track(1, "car", from_s_right(5000, radius=100, lane_x=675)))
scene("turn-against-marking-motorbike", "A motorbike turns right from S1 against its arrows.",
      ["1 unsafe-turn turn-against-marking motorbike 7.1.a"],
      track(1, "motorbike", from_s_right(5000, radius=100, lane_x=675)))
scene("legal-turns",
      "Legal manoeuvres: right from S2 (radius 110 px), left from S1 (radius 220 px), straight "
      "from S1 with a gentle drift, all on green.",
      ["nothing"],
      track(1, "car", from_s_right(5000)) + track(2, "car", from_s_left(8000))
      + track(3, "car", Path(9000, 672, 700, -90).line(200, 150).arc(900, 8, 150).line(400, 150)))

# One-way and wrong half --------------------------------------------------------------------

def e_uturn(t, speed=80):
    p = Path(t - 2000, 960, 420, 180).line(210, speed).arc(60, 180, speed)
    return p.line(300, speed)


scene("u-turn-on-one-way-car", "A car makes a U-turn at the end of a one-way street.",
      ["1 unsafe-turn u-turn-on-one-way car 6.4.i", "1 wrong-way one-way car 6.9.d"],
      track(1, "car", e_uturn(30000)), geometry="one-way")
scene("one-way-car", "A car drives east up the one-way street (westbound only).",
      ["1 wrong-way one-way car 6.9.d"],
      track(1, "car", Path(0, 800, 300, 0).line(400, 150)), geometry="one-way")
scene("one-way-motorbike", "A motorbike drives east up the one-way street.",
      ["1 wrong-way one-way motorbike 7.7.a"],
      track(1, "motorbike", Path(0, 800, 420, 0).line(400, 150)), geometry="one-way")
scene("wrong-half-motorbike",
      "A motorbike rides west in W1, the eastbound half of a two-way road.",
      ["1 wrong-way wrong-half motorbike 7.3.d"],
      track(1, "motorbike", Path(0, 480, 440, 180).line(350, 150)))
scene("wrong-half-car", "A car drives west in W1, the eastbound half.",
      ["1 wrong-way wrong-half car 6.5.b"], track(1, "car", Path(0, 480, 440, 180).line(350, 150)))
scene("pedestrian-against-lane", "A person walks west along W1.", ["nothing"],
      track(1, "person", Path(0, 480, 440, 180).line(300, 60)))

# Solid lines -------------------------------------------------------------------------------

slow = Path(30000, 230, 430, 0).line(340, 60)
fast = Path(30000, 0, 430, 0).line(40, 200).arc(150, -35, 200).line(60, 200).arc(150, 35, 200)
fast.line(100, 200).arc(150, 35, 200).line(60, 200).arc(150, -35, 200).line(100, 200)
scene("overtaking-on-solid-line-car",
      "A car crosses W's solid centre line to pass a slower car, and comes back.",
      ["2 improper-overtaking overtaking-on-solid-line car 6.5.a"],
      track(1, "car", slow) + track(2, "car", fast))
scene("overtaking-on-solid-line-motorbike", "A motorbike passes a slower car the same way.",
      ["2 improper-overtaking overtaking-on-solid-line motorbike 7.4.c"],
      track(1, "car", slow) + track(2, "motorbike", fast))
drift = Path(0, 20, 390, 0).line(80, 150).arc(300, -12, 150).line(220, 150)
scene("centre-line-crossed", "A car drifts over W's solid centre line, passing nobody.",
      ["1 improper-overtaking centre-line-crossed car 6.5.b"], track(1, "car", drift))
lane_change = Path(0, 675, 715, -90).line(20, 150).arc(300, 15, 150).line(160, 150)
scene("lane-line-crossed", "A car changes lane over the solid line between S1 and S2.",
      ["1 improper-overtaking lane-line-crossed car 6.1.a"], track(1, "car", lane_change))

# Stopping and parking ----------------------------------------------------------------------

def park(t, x, y, seconds, speed=100):
    return Path(t, x - 150, y, 0).line(150, speed).wait(seconds).line(300, speed)


scene("parking-car", "A car parks 70 s in the no-parking bay on W.",
      ["1 illegal-parking park-against-sign car 6.3.e"], track(1, "car", park(0, 200, 270, 70)))
scene("parking-motorbike", "A motorbike parks 70 s in the no-parking bay.",
      ["1 illegal-parking park-against-sign motorbike 7.2.e"],
      track(1, "motorbike", park(0, 200, 270, 70)))
twice = Path(0, 50, 270, 0).line(150, 100).wait(70).line(100, 100).wait(5)
twice.line(100, 100)
twice.h = 180.0
twice.line(150, 100).wait(70)
twice.h = 0.0
twice.line(300, 100)
scene("parking-twice", "A car parks 70 s, drives off 100 px for 5 s, comes back and parks "
      "70 s again: two stays, two violations.",
      ["1 illegal-parking park-against-sign car 6.3.e", "1 illegal-parking park-against-sign car 6.3.e"],
      track(1, "car", twice))
three = []
for k in range(3):
    three += track(1 + k, "car", park(0, 140 + 60 * k, 270, 70))
for k in range(3):
    three += track(11 + k, "motorbike", park(1000, 130 + 60 * k, 290, 70))
scene("parked-not-gathering",
      "Three cars and three motorbikes park 70 s in the no-parking bay: six parking "
      "violations, not a gathering as well.",
      [f"{k} illegal-parking park-against-sign car 6.3.e" for k in (1, 2, 3)]
      + [f"{k} illegal-parking park-against-sign motorbike 7.2.e" for k in (11, 12, 13)],
      three)
stop_j = Path(0, 600, 60, 90).line(240, 120).wait(15).line(400, 120)
scene("stop-at-junction", "A car stops 15 s in the middle of the junction on green.",
      ["1 illegal-stopping stop-at-junction car 6.3.đ"], track(1, "car", stop_j))
curb = Path(0, 540, 0, 90).line(60, 100).wait(8).line(600, 100)
scene("stop-against-sign-car", "A car stops 8 s at the north curb under a \"no stopping\" sign.",
      ["1 illegal-stopping stop-against-sign car 6.2.đ"], track(1, "car", curb))
scene("stop-against-sign-bus", "A bus stops there: buses are exempt (its stop).", ["nothing"],
      track(1, "bus", curb))

# Gathering, crowd, racing ------------------------------------------------------------------

gathering = []
for k in range(4):
    g = Path(1000 * k, 350 + 30 * k, 245, 90).line(60 + 10 * (k % 2), 80).wait(40)
    g.h = 180.0
    g.line(200, 80)
    gathering += track(1 + k, "motorbike", g)
scene("gathering-motorbikes",
      "Four motorbikes stop together 40 s on the carriageway outside any lane (W's westbound half).",
      ["1 gathering gathering motorbike 7.2.d"], gathering)
scene("stopped-cars-not-gathering",
      "Four cars stop together there 40 s: Article 6 has no gathering point for cars.",
      ["nothing"], [dict(p, **{"class": "car"}) for p in gathering])

crowd = []
for k in range(7):
    c = Path(0, 920 + 40 * k, 540, 90).line(40 + 5 * k, 40).wait(45)
    crowd += track(1 + k, "person", c)
scene("crowd", "Seven people stand 45 s in the plaza (more than five for 20 s).",
      ["1 crowd crowd person -"], crowd)
passing = []
for k in range(40):
    c = Path(800 * k, 890, 560 + 4 * (k % 10), 0).line(360, 60)
    passing += track(1 + k, "person", c)
scene("crowd-passers-by",
      "Forty people walk through the plaza one after another, about seven inside at once, "
      "none stopping: not a crowd.",
      ["nothing"], passing)


def weave(t, speed):
    """Westbound along E1 on green, swinging ±35° on a 120 px radius."""
    p = Path(t, 1260, 300, 180)
    for k in range(8):
        p.arc(120, 35 if k % 2 == 0 else -35, speed)
        p.arc(120, -35 if k % 2 == 0 else 35, speed)
    return p


scene("weaving-motorbike", "A motorbike weaves along E at 45 km/h.",
      ["1 racing weaving motorbike 7.9.a"], track(1, "motorbike", weave(30000, 250)))
scene("weaving-car", "A car weaves the same way.",
      ["1 racing weaving car 6.12"], track(1, "car", weave(30000, 250)))
pair = track(1, "motorbike", Path(30000, 20, 400, 0).line(1200, 390))
pair += track(2, "motorbike", Path(30000, 40, 440, 0).line(1200, 390))
scene("group-speeding-motorbikes",
      "Two motorbikes ride side by side at 70 km/h where the limit is 50.",
      ["1 racing group-speeding motorbike 7.9.b"], pair)
cars = track(1, "car", Path(30000, 20, 400, 0).line(1200, 390))
cars += track(2, "car", Path(30000, 40, 440, 0).line(1200, 390))
scene("group-speeding-cars", "Two cars chase each other at 70 km/h.",
      ["1 racing group-speeding car 6.12"], cars)
slow_pair = track(1, "motorbike", Path(30000, 20, 400, 0).line(1000, 220))
slow_pair += track(2, "motorbike", Path(30000, 40, 440, 0).line(1000, 220))
scene("riding-together-under-limit", "Two motorbikes ride side by side at 40 km/h.",
      ["nothing"], slow_pair)


def write():
    os.makedirs(OUT, exist_ok=True)
    for name, geometry in (("junction", JUNCTION), ("one-way", ONE_WAY)):
        with open(f"{OUT}/{name}.geometry.json", "w") as f:
            json.dump(geometry, f, indent=1)
            f.write("\n")
    with open(f"{OUT}/signals.jsonl", "w") as f:
        for t, group, state in sorted(SIGNALS):
            f.write(json.dumps({"t_ms": t, "group": group, "state": state}) + "\n")
    for name, title, expect, lines, geometry, args in SCENES:
        with open(f"{OUT}/{name}.tracks.jsonl", "w") as f:
            f.write(f"# scene: {title}\n")
            f.write(f"# geometry: {geometry}.geometry.json\n")
            if args:
                f.write(f"# args: {' '.join(args)}\n")
            for e in expect:
                f.write(f"# expect: {e}\n")
            for line in sorted(lines, key=lambda p: (p["t_ms"], p["track"])):
                f.write(json.dumps(line) + "\n")
    print(f"{len(SCENES)} scenes in {OUT}")


if __name__ == "__main__":
    write()
