"""Procedural scene pictures: one painter per class, Pillow ImageDraw only.

Layouts, counts and palettes are drawn from the item's generator; what makes
each class recognisable stays: trees and birds for the forest, grey sky and
streaks for rain, sun, sea and sand for the beach, black clouds and a
lightning bolt for the storm, flames on logs at night, bent grass and gust
lines for wind, a skyline of lit windows over a road for the city, a steeple
with a bell for the church.

Every class keeps a signature in the same place from picture to picture, so
that a model trained with a pixel loss, which paints the average over the
layouts a sound cannot tell apart, still paints something recognisable: the
city's buildings fill the whole width and share one window grid, the church's
tower stands in the middle.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

__all__ = ["PAINTERS", "SIZE", "paint"]

SIZE = 256
"""Width and height of every picture, in pixels."""

Rng = np.random.Generator
Colour = tuple[int, int, int]


def _jitter(rng: Rng, colour: Colour, amount: int = 25) -> Colour:
    r, g, b = (int(np.clip(channel + rng.integers(-amount, amount + 1), 0, 255)) for channel in colour)
    return (r, g, b)


def _gradient(draw: ImageDraw.ImageDraw, top: Colour, bottom: Colour, y0: int, y1: int) -> None:
    for y in range(y0, y1):
        weight = (y - y0) / max(y1 - y0 - 1, 1)
        colour = tuple(int(a + (b - a) * weight) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (SIZE, y)], fill=colour)


def _cloud(draw: ImageDraw.ImageDraw, rng: Rng, x: float, y: float, scale: float, colour: Colour) -> None:
    for _ in range(5):
        dx, dy = rng.uniform(-30, 30) * scale, rng.uniform(-8, 8) * scale
        radius = rng.uniform(14, 24) * scale
        draw.ellipse([x + dx - radius, y + dy - radius * 0.7, x + dx + radius, y + dy + radius * 0.7], fill=colour)


def _streaks(draw: ImageDraw.ImageDraw, rng: Rng, count: int, colour: Colour, slant: float) -> None:
    for _ in range(count):
        x, y, length = rng.uniform(-20, SIZE), rng.uniform(0, SIZE), rng.uniform(10, 25)
        draw.line([(x, y), (x + slant * length, y + length)], fill=colour, width=1)


def _tree(draw: ImageDraw.ImageDraw, rng: Rng, x: float, ground: float, height: float, green: Colour) -> None:
    trunk = _jitter(rng, (95, 60, 30), 15)
    draw.rectangle([x - height * 0.05, ground - height * 0.35, x + height * 0.05, ground], fill=trunk)
    if rng.random() < 0.5:  # conifer
        for level in range(3):
            top = ground - height + level * height * 0.22
            half = height * (0.18 + 0.08 * level)
            draw.polygon([(x, top), (x - half, top + height * 0.35), (x + half, top + height * 0.35)], fill=green)
    else:  # broadleaf
        r = height * 0.32
        draw.ellipse([x - r, ground - height, x + r, ground - height + 2 * r], fill=green)


def _forest(draw: ImageDraw.ImageDraw, rng: Rng) -> None:
    horizon = int(rng.uniform(120, 170))
    _gradient(draw, _jitter(rng, (120, 180, 235)), _jitter(rng, (200, 230, 245)), 0, horizon)
    draw.rectangle([0, horizon, SIZE, SIZE], fill=_jitter(rng, (60, 130, 50)))
    for _ in range(int(rng.integers(5, 11))):
        ground = rng.uniform(horizon + 10, SIZE)
        height = (ground - horizon) * rng.uniform(1.2, 2.0) + 40
        _tree(draw, rng, rng.uniform(0, SIZE), ground, height, _jitter(rng, (30, 110, 40), 30))
    for _ in range(int(rng.integers(2, 6))):
        x, y, wing = rng.uniform(20, 230), rng.uniform(15, horizon - 30), rng.uniform(5, 10)
        draw.line([(x - wing, y - wing / 2), (x, y), (x + wing, y - wing / 2)], fill=(30, 30, 30), width=2)


def _rain(draw: ImageDraw.ImageDraw, rng: Rng) -> None:
    horizon = int(rng.uniform(140, 190))
    grey = int(rng.integers(110, 160))
    _gradient(draw, (grey - 30, grey - 25, grey - 15), (grey + 20, grey + 25, grey + 30), 0, horizon)
    draw.rectangle([0, horizon, SIZE, SIZE], fill=_jitter(rng, (70, 80, 85), 15))
    for _ in range(int(rng.integers(3, 7))):
        grey_cloud = _jitter(rng, (95, 100, 110), 12)
        _cloud(draw, rng, rng.uniform(0, SIZE), rng.uniform(10, 70), rng.uniform(1.0, 1.6), grey_cloud)
    for _ in range(int(rng.integers(2, 5))):
        x, y, w = rng.uniform(0, SIZE), rng.uniform(horizon + 10, SIZE - 10), rng.uniform(20, 60)
        draw.ellipse([x - w, y - w * 0.15, x + w, y + w * 0.15], fill=_jitter(rng, (120, 135, 150), 15))
    _streaks(draw, rng, int(rng.integers(150, 300)), _jitter(rng, (200, 210, 225), 15), rng.uniform(-0.3, 0.3))


def _beach(draw: ImageDraw.ImageDraw, rng: Rng) -> None:
    sea_top = int(rng.uniform(90, 130))
    sand_top = int(rng.uniform(sea_top + 40, 200))
    _gradient(draw, _jitter(rng, (70, 150, 230)), _jitter(rng, (170, 215, 245)), 0, sea_top)
    _gradient(draw, _jitter(rng, (20, 90, 160)), _jitter(rng, (40, 150, 190)), sea_top, sand_top)
    draw.rectangle([0, sand_top, SIZE, SIZE], fill=_jitter(rng, (235, 210, 150), 15))
    sun_x, sun_r = rng.uniform(30, 226), rng.uniform(14, 26)
    draw.ellipse([sun_x - sun_r, 30 - sun_r, sun_x + sun_r, 30 + sun_r], fill=_jitter(rng, (255, 230, 90), 10))
    for y in np.linspace(sea_top + 8, sand_top - 4, int(rng.integers(3, 7))):
        x = rng.uniform(-40, 100)
        while x < SIZE:
            draw.arc([x, y - 4, x + 30, y + 4], 180, 360, fill=(235, 245, 255), width=2)
            x += rng.uniform(35, 70)
    if rng.random() < 0.5:  # a palm tree
        x = rng.uniform(20, 236)
        draw.line([(x, SIZE), (x + 10, sand_top - 60)], fill=(120, 80, 40), width=6)
        for angle in np.linspace(0, 2 * np.pi, 7)[:-1]:
            end = (x + 10 + 30 * np.cos(angle), sand_top - 60 + 15 * np.sin(angle) + 8)
            draw.line([(x + 10, sand_top - 60), end], fill=(40, 140, 50), width=5)


def _bolt(draw: ImageDraw.ImageDraw, rng: Rng, x: float, bottom: float) -> None:
    points, y = [(x, 40.0)], 40.0
    while y < bottom:
        y += rng.uniform(15, 30)
        x += rng.uniform(-20, 20)
        points.append((x, y))
    draw.line(points, fill=(255, 250, 180), width=int(rng.integers(3, 6)))


def _thunderstorm(draw: ImageDraw.ImageDraw, rng: Rng) -> None:
    horizon = int(rng.uniform(170, 215))
    _gradient(draw, _jitter(rng, (25, 20, 45), 10), _jitter(rng, (60, 55, 90), 15), 0, horizon)
    draw.rectangle([0, horizon, SIZE, SIZE], fill=_jitter(rng, (20, 25, 20), 8))
    for _ in range(int(rng.integers(4, 8))):
        dark_cloud = _jitter(rng, (45, 45, 60), 10)
        _cloud(draw, rng, rng.uniform(0, SIZE), rng.uniform(10, 60), rng.uniform(1.2, 2.0), dark_cloud)
    for _ in range(int(rng.integers(1, 3))):
        _bolt(draw, rng, rng.uniform(40, 216), horizon)
    _streaks(draw, rng, int(rng.integers(80, 180)), (140, 140, 170), rng.uniform(-0.4, 0.4))


def _fire(draw: ImageDraw.ImageDraw, rng: Rng) -> None:
    ground = int(rng.uniform(180, 220))
    _gradient(draw, _jitter(rng, (10, 10, 30), 10), _jitter(rng, (40, 25, 35), 10), 0, ground)
    draw.rectangle([0, ground, SIZE, SIZE], fill=_jitter(rng, (35, 25, 15), 10))
    for _ in range(int(rng.integers(10, 30))):
        x, y = rng.uniform(0, SIZE), rng.uniform(0, ground - 60)
        draw.point([(x, y), (x + 1, y)], fill=(230, 230, 200))
    centre, width = rng.uniform(70, 186), rng.uniform(50, 90)
    for offset in (-1, 1):
        draw.line([(centre - width * 0.6, ground + 5 + 4 * offset), (centre + width * 0.6, ground - 5 - 4 * offset)],
                  fill=_jitter(rng, (100, 55, 25), 15), width=10)
    for colour, scale in (((220, 50, 20), 1.0), ((250, 140, 20), 0.7), ((255, 230, 90), 0.4)):
        for _ in range(4):
            x = centre + rng.uniform(-0.3, 0.3) * width
            height = rng.uniform(60, 110) * scale
            half = width * 0.35 * scale
            tip = (x + rng.uniform(-15, 15), ground - height)
            draw.polygon([(x - half, ground), tip, (x + half, ground)], fill=_jitter(rng, colour, 15))
    for _ in range(int(rng.integers(8, 25))):
        x, y = centre + rng.uniform(-50, 50), rng.uniform(ground - 150, ground - 60)
        draw.ellipse([x - 1.5, y - 1.5, x + 1.5, y + 1.5], fill=(255, 200, 80))


def _wind(draw: ImageDraw.ImageDraw, rng: Rng) -> None:
    horizon = int(rng.uniform(130, 180))
    _gradient(draw, _jitter(rng, (150, 190, 220)), _jitter(rng, (215, 225, 230)), 0, horizon)
    draw.rectangle([0, horizon, SIZE, SIZE], fill=_jitter(rng, (150, 170, 80), 20))
    lean = rng.uniform(8, 20) * rng.choice([-1, 1])
    grass = _jitter(rng, (90, 130, 50), 20)
    for _ in range(int(rng.integers(150, 260))):
        x, y = rng.uniform(0, SIZE), rng.uniform(horizon, SIZE)
        draw.line([(x, y), (x + lean * rng.uniform(0.5, 1.2), y - rng.uniform(8, 18))], fill=grass, width=1)
    for _ in range(int(rng.integers(3, 7))):
        x, y, w = rng.uniform(-40, 200), rng.uniform(20, horizon - 20), rng.uniform(60, 140)
        draw.arc([x, y, x + w, y + w * 0.3], 200, 340, fill=(250, 250, 250), width=3)
        draw.arc([x + w * 0.8, y - 6, x + w * 1.1, y + 12], 270, 180, fill=(250, 250, 250), width=3)
    for _ in range(int(rng.integers(4, 12))):
        x, y = rng.uniform(0, SIZE), rng.uniform(20, horizon)
        draw.ellipse([x, y, x + 6, y + 3], fill=_jitter(rng, (190, 120, 40), 30))


_CITY_SKIES = (((140, 180, 225), (210, 220, 230)), ((40, 40, 90), (230, 130, 90)), ((10, 15, 40), (45, 50, 90)))
_CITY_WALLS = ((70, 75, 90), (95, 80, 75), (60, 65, 70), (105, 100, 110), (80, 90, 85))


def _city(draw: ImageDraw.ImageDraw, rng: Rng) -> None:
    # The signature that survives averaging over layouts: a wall of buildings across the whole width, its windows on
    # one grid shared by every building (16 x 18 px), above a road with a dashed line; heights and colours vary.
    road = int(rng.uniform(200, 212))
    sky = int(rng.integers(len(_CITY_SKIES)))  # day, dusk or night
    _gradient(draw, _jitter(rng, _CITY_SKIES[sky][0]), _jitter(rng, _CITY_SKIES[sky][1]), 0, road)
    lit = (245, 230, 160) if sky == 0 else (250, 215, 110)
    x = rng.uniform(-20, 0)
    while x < SIZE:
        width, top = rng.uniform(30, 56), rng.uniform(45, 115)
        wall = _jitter(rng, _CITY_WALLS[int(rng.integers(len(_CITY_WALLS)))], 15)
        draw.rectangle([x, top, x + width - 2, road], fill=wall)
        dark = tuple(channel // 2 for channel in wall)
        for wy in range(int(top) // 18 * 18 + 24, road - 12, 18):
            for wx in range(int(x) // 16 * 16 + 20, int(x + width) - 10, 16):
                draw.rectangle([wx, wy, wx + 7, wy + 9], fill=lit if rng.random() < 0.7 else dark)
        x += width
    draw.rectangle([0, road, SIZE, SIZE], fill=_jitter(rng, (55, 55, 60), 10))
    middle = (road + SIZE) // 2
    for lx in range(0, SIZE, 32):
        draw.rectangle([lx, middle - 2, lx + 16, middle + 1], fill=(240, 240, 240))
    for _ in range(int(rng.integers(1, 4))):
        cx, cy = rng.uniform(0, 220), road + rng.uniform(2, 26)
        draw.rectangle([cx, cy, cx + 34, cy + 12], fill=_jitter(rng, (200, 40, 40), 80))
        for wheel in (cx + 7, cx + 27):
            draw.ellipse([wheel - 4, cy + 8, wheel + 4, cy + 16], fill=(20, 20, 20))


_CHURCH_WALLS = ((205, 190, 165), (165, 165, 160), (165, 85, 65), (235, 230, 215))
_CHURCH_ROOFS = ((130, 50, 40), (70, 75, 90), (80, 150, 130))


def _church(draw: ImageDraw.ImageDraw, rng: Rng) -> None:
    # The signature that survives averaging: one tall tower in the middle with a pointed steeple, a clock and a large
    # gold bell in its belfry, between two lower wings; widths, heights and colours vary, the position barely.
    horizon = int(rng.uniform(190, 210))
    _gradient(draw, _jitter(rng, (110, 165, 225), 30), _jitter(rng, (205, 225, 240)), 0, horizon)
    draw.rectangle([0, horizon, SIZE, SIZE], fill=_jitter(rng, (85, 145, 70), 20))
    wall = _jitter(rng, _CHURCH_WALLS[int(rng.integers(len(_CHURCH_WALLS)))], 15)
    roof = _jitter(rng, _CHURCH_ROOFS[int(rng.integers(len(_CHURCH_ROOFS)))], 15)
    mid, half = SIZE / 2 + rng.uniform(-8, 8), rng.uniform(24, 34)
    wing_top, wing_reach = horizon - rng.uniform(50, 70), half + rng.uniform(45, 80)
    for side in (-1, 1):
        outer = mid + side * wing_reach
        draw.rectangle([min(mid, outer), wing_top, max(mid, outer), horizon], fill=wall)
        draw.polygon([(mid, wing_top - 25), (outer + side * 4, wing_top), (mid, wing_top)], fill=roof)
        window = mid + side * (half + (wing_reach - half) / 2)
        draw.rectangle([window - 5, wing_top + 15, window + 5, wing_top + 35], fill=(60, 70, 110))
    top = rng.uniform(60, 90)
    draw.rectangle([mid - half, top, mid + half, horizon], fill=wall)
    spire = top - rng.uniform(40, 60)
    draw.polygon([(mid - half - 4, top), (mid, spire), (mid + half + 4, top)], fill=roof)
    draw.line([(mid, spire - 22), (mid, spire)], fill=(60, 50, 30), width=3)
    draw.line([(mid - 7, spire - 15), (mid + 7, spire - 15)], fill=(60, 50, 30), width=3)
    draw.rectangle([mid - half * 0.6, top + 10, mid + half * 0.6, top + 50], fill=(40, 35, 35))
    bell = _jitter(rng, (225, 175, 40), 15)
    draw.chord([mid - half * 0.5, top + 16, mid + half * 0.5, top + 62], 180, 360, fill=bell)
    clock_y, clock_r = top + 72, half * 0.45
    draw.ellipse([mid - clock_r, clock_y - clock_r, mid + clock_r, clock_y + clock_r], fill=(245, 245, 235),
                 outline=(40, 35, 35), width=2)
    draw.line([(mid, clock_y), (mid, clock_y - clock_r * 0.8), (mid, clock_y), (mid + clock_r * 0.6, clock_y)],
              fill=(30, 30, 30), width=2)
    draw.rectangle([mid - half * 0.4, horizon - 34, mid + half * 0.4, horizon], fill=(70, 45, 30))


PAINTERS: dict[str, Callable[[ImageDraw.ImageDraw, Rng], None]] = {
    "forest": _forest,
    "rain": _rain,
    "beach": _beach,
    "thunderstorm": _thunderstorm,
    "fire": _fire,
    "wind": _wind,
    "city": _city,
    "church": _church,
}
"""Scene label -> ``paint(draw, rng)`` on a ``SIZE`` x ``SIZE`` RGB canvas."""


def paint(label: str, rng: Rng) -> Image.Image:
    """A new ``SIZE`` x ``SIZE`` RGB picture of scene ``label``."""
    image = Image.new("RGB", (SIZE, SIZE))
    PAINTERS[label](ImageDraw.Draw(image), rng)
    return image
