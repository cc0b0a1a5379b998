"""Procedural scene pictures: one painter per class, Pillow ImageDraw and numpy.

Each picture has depth (hazy far layers, larger and more saturated near ones),
gradients (sky, ground, glow) and texture (soft shading, drawn blades, streaks
and sparks), and its
main attributes follow the item's scene parameters (see ``_sounds``): the
number of birds, the density of the rain, the height of the breaking wave,
the size of the fire, the number of lightning bolts, how far the grass bends,
the number of cars, the size of the bell.

The main source (the flock, the rain cloud, the wave, the bolts, the fire,
the gust, the cars, the church) is centred at ``source_x`` when given (a
stereo dataset puts it at ``0.5 + 0.4 * pan``), and placed at random as
before otherwise.

Every class keeps a signature in the same place from picture to picture, so
that a model trained with a pixel loss, which paints the average over the
layouts a sound cannot tell apart, still paints something recognisable: the
city's buildings fill the whole width and share one window grid, the church's
tower stands in the middle (in mono datasets).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

from a2i_studio.datasets.soundscapes._sounds import Scene

__all__ = ["PAINTERS", "SIZE", "paint"]

SIZE = 256
"""Width and height of every picture, in pixels."""

Rng = np.random.Generator
Colour = tuple[int, int, int]
Painter = Callable[[Image.Image, ImageDraw.ImageDraw, Rng, Scene, float | None], None]

BIRD = (25, 25, 30)
"""The colour every bird is drawn in (tests count birds by it)."""


def _jitter(rng: Rng, colour: Colour, amount: int = 25) -> Colour:
    r, g, b = (int(np.clip(channel + rng.integers(-amount, amount + 1), 0, 255)) for channel in colour)
    return (r, g, b)


def _mix(a: Colour, b: Colour, weight: float) -> Colour:
    r, g, bl = (int(x + (y - x) * weight) for x, y in zip(a, b, strict=True))
    return (r, g, bl)


def _place(rng: Rng, source_x: float | None, low: float, high: float) -> float:
    """The main source's centre in pixels: ``source_x`` of the width if given, else uniform in ``low..high``."""
    return source_x * SIZE if source_x is not None else float(rng.uniform(low, high))


def _gradient(image: Image.Image, top: Colour, bottom: Colour, y0: int, y1: int) -> None:
    weight = np.linspace(0.0, 1.0, max(y1 - y0, 1))[:, None, None]
    rows = np.asarray(top, np.float64) + (np.asarray(bottom, np.float64) - np.asarray(top, np.float64)) * weight
    image.paste(Image.fromarray(np.repeat(rows, SIZE, axis=1).astype(np.uint8)), (0, y0))


def _hills(draw: ImageDraw.ImageDraw, rng: Rng, base: float, height: float, colour: Colour) -> None:
    """A smooth far ridge whose top wanders ``height`` px above ``base``."""
    knots = rng.uniform(0.3, 1.0, 7) * height
    xs = np.linspace(0, SIZE, 33)
    tops = base - np.interp(xs, np.linspace(0, SIZE, 7), knots)
    draw.polygon([(0, SIZE), *zip(xs.tolist(), tops.tolist(), strict=True), (SIZE, SIZE)], fill=colour)


def _glow(image: Image.Image, x: float, y: float, radius: float, colour: Colour, strength: float) -> None:
    """Add a soft radial light of ``colour`` around ``(x, y)``."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    light = strength * np.exp(-((xx - x) ** 2 + (yy - y) ** 2) / (2 * radius**2))
    pixels = np.asarray(image, np.float64) + light[..., None] * np.asarray(colour, np.float64)
    image.paste(Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)))


def _texture(image: Image.Image, rng: Rng, shading: float = 0.06) -> Image.Image:
    """Soft low-frequency shading over the whole picture.

    No per-pixel grain: it would be noise no model can predict from the sound, and it would
    double the pictures' gradient magnitude at 256 px (the sharpness a model is measured against).
    """
    coarse = Image.fromarray(((rng.uniform(-1, 1, (8, 8)) + 1) * 127.5).astype(np.uint8))
    shade = np.asarray(coarse.resize((SIZE, SIZE), Image.Resampling.BICUBIC), np.float64) / 127.5 - 1
    pixels = np.asarray(image, np.float64) * (1 + shading * shade[..., None])
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _cloud(draw: ImageDraw.ImageDraw, rng: Rng, x: float, y: float, scale: float, colour: Colour) -> None:
    puffs = [(rng.uniform(-30, 30) * scale, rng.uniform(-8, 8) * scale, rng.uniform(14, 24) * scale) for _ in range(5)]
    for shift, fill in ((4 * scale, _mix(colour, (0, 0, 0), 0.15)), (0.0, colour)):  # a darker underside, the cloud
        for dx, dy, radius in puffs:
            box = [x + dx - radius, y + dy + shift - radius * 0.7, x + dx + radius, y + dy + shift + radius * 0.7]
            draw.ellipse(box, fill=fill)


def _streaks(draw: ImageDraw.ImageDraw, rng: Rng, xs: np.ndarray, y_range: tuple[float, float],
             length: tuple[float, float], colour: Colour, slant: float, width: int = 1) -> None:
    for x in xs:
        y, size = rng.uniform(*y_range), rng.uniform(*length)
        draw.line([(x, y), (x + slant * size, y + size)], fill=colour, width=width)


def _tree(draw: ImageDraw.ImageDraw, rng: Rng, x: float, ground: float, height: float, green: Colour) -> None:
    trunk = _jitter(rng, (95, 60, 30), 15)
    draw.rectangle([x - height * 0.05, ground - height * 0.35, x + height * 0.05, ground], fill=trunk)
    light = _mix(green, (200, 230, 120), 0.25)
    if rng.random() < 0.5:  # conifer, lit from the left
        for level in range(3):
            top = ground - height + level * height * 0.22
            half = height * (0.18 + 0.08 * level)
            draw.polygon([(x, top), (x - half, top + height * 0.35), (x + half, top + height * 0.35)], fill=green)
            draw.polygon([(x, top), (x - half, top + height * 0.35), (x - half * 0.3, top + height * 0.35)],
                         fill=light)
    else:  # broadleaf
        r = height * 0.32
        draw.ellipse([x - r, ground - height, x + r, ground - height + 2 * r], fill=green)
        draw.ellipse([x - r * 0.8, ground - height + r * 0.15, x + r * 0.2, ground - height + r * 1.1], fill=light)


def _forest(image: Image.Image, draw: ImageDraw.ImageDraw, rng: Rng, scene: Scene, source_x: float | None) -> None:
    horizon = int(rng.uniform(120, 170))
    sky_top, sky_bottom = _jitter(rng, (120, 180, 235)), _jitter(rng, (200, 230, 245))
    _gradient(image, sky_top, sky_bottom, 0, horizon)
    _hills(draw, rng, horizon, 35, _mix((70, 120, 90), sky_bottom, 0.55))  # far, hazy
    _hills(draw, rng, horizon + 4, 18, _mix((50, 110, 60), sky_bottom, 0.3))
    _gradient(image, _jitter(rng, (80, 140, 60)), _jitter(rng, (40, 105, 35)), horizon, SIZE)
    green = _jitter(rng, (30, 110, 40), 30)
    for ground in np.sort(rng.uniform(horizon + 4, SIZE, int(rng.integers(7, 14)))):  # far to near
        depth = (ground - horizon) / (SIZE - horizon)
        height = (ground - horizon) * rng.uniform(1.2, 2.0) + 25
        _tree(draw, rng, rng.uniform(0, SIZE), ground, height, _mix(sky_bottom, green, 0.45 + 0.55 * depth))
    # The birds: exactly scene["count"], one per call in the sound, apart so each can be counted.
    flock_x, spread = _place(rng, source_x, 50, 206), 45.0
    birds: list[tuple[float, float]] = []
    for attempt in range(2000):
        if len(birds) == int(scene["count"]):
            break
        spread += 15.0 * (attempt % 100 == 99)
        x = float(np.clip(flock_x + rng.uniform(-spread, spread), 12, SIZE - 12))
        y = float(rng.uniform(16, horizon - 40))
        if all((x - bx) ** 2 + (y - by) ** 2 > 26**2 for bx, by in birds):
            birds.append((x, y))
    for x, y in birds:
        wing = 5 + 4 * y / horizon  # nearer (lower) birds look bigger
        draw.line([(x - wing, y - wing / 2), (x, y), (x + wing, y - wing / 2)], fill=BIRD, width=2)


def _rain(image: Image.Image, draw: ImageDraw.ImageDraw, rng: Rng, scene: Scene, source_x: float | None) -> None:
    heavy = scene["intensity"]
    horizon = int(rng.uniform(140, 190))
    grey = int(rng.integers(110, 160) - 25 * heavy)
    _gradient(image, (grey - 30, grey - 25, grey - 15), (grey + 20, grey + 25, grey + 30), 0, horizon)
    _hills(draw, rng, horizon, 25, (grey - 5, grey, grey + 8))
    _gradient(image, _jitter(rng, (85, 95, 100), 10), _jitter(rng, (55, 62, 68), 10), horizon, SIZE)
    for _ in range(int(rng.integers(2, 5))):  # puddles
        x, y, w = rng.uniform(0, SIZE), rng.uniform(horizon + 10, SIZE - 10), rng.uniform(20, 60)
        draw.ellipse([x - w, y - w * 0.15, x + w, y + w * 0.15], fill=_jitter(rng, (120, 135, 150), 15))
    for _ in range(int(rng.integers(3, 6))):  # far, lighter clouds
        _cloud(draw, rng, rng.uniform(0, SIZE), rng.uniform(10, 50), rng.uniform(0.8, 1.2),
               _jitter(rng, (115, 120, 130), 10))
    shower = _place(rng, source_x, 40, 216)
    _cloud(draw, rng, shower, rng.uniform(35, 55), 2.0 + 0.6 * heavy, _jitter(rng, (70, 75, 85), 8))
    slant, colour = rng.uniform(-0.3, 0.3), _jitter(rng, (200, 210, 225), 15)
    count = int(60 + 440 * heavy)  # more streaks in heavier rain
    xs = rng.uniform(-20, SIZE, count)
    _streaks(draw, rng, xs[: count // 2], (60, SIZE), (6, 12), _mix(colour, (grey,) * 3, 0.4), slant)  # far
    _streaks(draw, rng, xs[count // 2 :], (60, SIZE), (16, 28), colour, slant)  # near


def _beach(image: Image.Image, draw: ImageDraw.ImageDraw, rng: Rng, scene: Scene, source_x: float | None) -> None:
    height = scene["intensity"]
    sea_top = int(rng.uniform(90, 120))
    sand_top = int(rng.uniform(sea_top + 60, 200))
    _gradient(image, _jitter(rng, (70, 150, 230)), _jitter(rng, (170, 215, 245)), 0, sea_top)
    sun_x, sun_r = rng.uniform(30, 226), rng.uniform(14, 26)
    draw.ellipse([sun_x - sun_r, 30 - sun_r, sun_x + sun_r, 30 + sun_r], fill=_jitter(rng, (255, 230, 90), 10))
    _glow(image, sun_x, 30, sun_r * 2.5, (255, 220, 120), 0.35)
    _gradient(image, _jitter(rng, (20, 90, 160)), _jitter(rng, (40, 150, 190)), sea_top, sand_top)
    _gradient(image, _jitter(rng, (235, 210, 150), 15), _jitter(rng, (200, 170, 115), 15), sand_top, SIZE)
    for y in np.linspace(sea_top + 4, sand_top - 30, int(rng.integers(3, 6))):  # far swell, smaller higher up
        scale = 0.4 + 0.6 * (y - sea_top) / max(sand_top - sea_top, 1)
        x = rng.uniform(-40, 0)
        while x < SIZE:
            draw.arc([x, y - 3 * scale, x + 30 * scale, y + 3 * scale], 180, 360, fill=(200, 225, 240), width=1)
            x += rng.uniform(30, 60) * scale
    # The breaking wave: wider and taller for a louder, slower swell; its white crest is its foam.
    centre, width, rise = _place(rng, source_x, 60, 196), 70 + 60 * height, 8 + 50 * height
    base = sand_top - 2
    xs = np.linspace(centre - width, centre + width, 25)
    tops = base - rise * np.exp(-(((xs - centre) / (width * 0.45)) ** 2))
    draw.polygon([*zip(xs.tolist(), tops.tolist(), strict=True), (centre + width, base), (centre - width, base)],
                 fill=_jitter(rng, (25, 110, 170), 15))
    for x, top in zip(xs, tops, strict=True):
        foam = 2 + (base - top) * 0.25
        draw.ellipse([x - foam * 1.4, top - foam, x + foam * 1.4, top + foam * 0.6], fill=(240, 248, 255))
    draw.line([(0, sand_top), (SIZE, sand_top)], fill=(240, 248, 255), width=2)  # the wash on the sand
    if rng.random() < 0.5:  # a palm tree
        x = rng.uniform(20, 236)
        draw.line([(x, SIZE), (x + 10, sand_top - 60)], fill=(120, 80, 40), width=6)
        for angle in np.linspace(0, 2 * np.pi, 7)[:-1]:
            end = (x + 10 + 30 * np.cos(angle), sand_top - 60 + 15 * np.sin(angle) + 8)
            draw.line([(x + 10, sand_top - 60), end], fill=(40, 140, 50), width=5)


BOLT = (255, 250, 180)
"""The colour every lightning bolt is drawn in."""


def _bolt(draw: ImageDraw.ImageDraw, rng: Rng, x: float, bottom: float) -> None:
    points, y = [(x, 40.0)], 40.0
    while y < bottom:
        y += rng.uniform(15, 30)
        x += rng.uniform(-12, 12)
        points.append((x, y))
    draw.line(points, fill=BOLT, width=int(rng.integers(3, 5)))


def _thunderstorm(image: Image.Image, draw: ImageDraw.ImageDraw, rng: Rng, scene: Scene,
                  source_x: float | None) -> None:
    horizon = int(rng.uniform(170, 215))
    _gradient(image, _jitter(rng, (25, 20, 45), 10), _jitter(rng, (60, 55, 90), 15), 0, horizon)
    _hills(draw, rng, horizon, 30, _jitter(rng, (35, 35, 50), 6))
    _gradient(image, _jitter(rng, (30, 35, 28), 8), _jitter(rng, (15, 18, 14), 6), horizon, SIZE)
    for _ in range(int(rng.integers(4, 8))):
        _cloud(draw, rng, rng.uniform(0, SIZE), rng.uniform(10, 60), rng.uniform(1.2, 2.0),
               _jitter(rng, (45, 45, 60), 10))
    # The bolts: exactly scene["count"], one per thunder clap, side by side around the source.
    count, centre = int(scene["count"]), _place(rng, source_x, 50, 206)
    spacing = 34.0
    xs = [centre + (k - (count - 1) / 2) * spacing + rng.uniform(-4, 4) for k in range(count)]
    for x in xs:
        _glow(image, x, horizon * 0.5, 22, (120, 110, 170), 0.5)
    for x in xs:
        _bolt(draw, rng, x, horizon)
    _streaks(draw, rng, rng.uniform(-20, SIZE, int(rng.integers(80, 180))), (0, SIZE), (10, 25), (140, 140, 170),
             rng.uniform(-0.4, 0.4))


def _fire(image: Image.Image, draw: ImageDraw.ImageDraw, rng: Rng, scene: Scene, source_x: float | None) -> None:
    size = scene["intensity"]
    ground = int(rng.uniform(185, 220))
    _gradient(image, _jitter(rng, (10, 10, 30), 10), _jitter(rng, (40, 25, 35), 10), 0, ground)
    for _ in range(int(rng.integers(10, 30))):
        x, y = rng.uniform(0, SIZE), rng.uniform(0, ground - 80)
        draw.point([(x, y), (x + 1, y)], fill=(230, 230, 200))
    for x in np.sort(rng.uniform(0, SIZE, int(rng.integers(3, 7)))):  # far tree silhouettes
        height = rng.uniform(50, 110)
        draw.polygon([(x, ground - height), (x - height * 0.25, ground), (x + height * 0.25, ground)],
                     fill=_jitter(rng, (15, 18, 20), 5))
    _gradient(image, _jitter(rng, (45, 32, 20), 8), _jitter(rng, (25, 18, 10), 6), ground, SIZE)
    # The fire: wider and taller for a louder roar and denser crackles.
    centre, width, scale = _place(rng, source_x, 70, 186), 45 + 60 * size, 0.55 + 0.75 * size
    _glow(image, centre, ground - 30 * scale, 35 + 45 * size, (200, 90, 30), 0.45)
    for offset in (-1, 1):
        draw.line([(centre - width * 0.6, ground + 5 + 4 * offset), (centre + width * 0.6, ground - 5 - 4 * offset)],
                  fill=_jitter(rng, (100, 55, 25), 15), width=10)
    for colour, layer in (((220, 50, 20), 1.0), ((250, 140, 20), 0.7), ((255, 230, 90), 0.4)):
        for _ in range(4):
            x = centre + rng.uniform(-0.3, 0.3) * width
            tall = rng.uniform(60, 110) * layer * scale
            half = width * 0.35 * layer
            tip = (x + rng.uniform(-15, 15), ground - tall)
            draw.polygon([(x - half, ground), tip, (x + half, ground)], fill=_jitter(rng, colour, 15))
    for _ in range(int(8 + 25 * size)):
        x, y = centre + rng.uniform(-50, 50), rng.uniform(ground - 150 * scale, ground - 60 * scale)
        draw.ellipse([x - 1.5, y - 1.5, x + 1.5, y + 1.5], fill=(255, 200, 80))


def _wind(image: Image.Image, draw: ImageDraw.ImageDraw, rng: Rng, scene: Scene, source_x: float | None) -> None:
    strength = scene["intensity"]
    horizon = int(rng.uniform(130, 180))
    sky_bottom = _jitter(rng, (215, 225, 230))
    _gradient(image, _jitter(rng, (150, 190, 220)), sky_bottom, 0, horizon)
    _hills(draw, rng, horizon, 30, _mix((110, 140, 90), sky_bottom, 0.5))
    _gradient(image, _jitter(rng, (165, 180, 95), 15), _jitter(rng, (120, 150, 60), 15), horizon, SIZE)
    # The grass leans further in a stronger wind; far blades are shorter and paler.
    lean = (3 + 22 * strength) * rng.choice([-1, 1])
    grass = _jitter(rng, (90, 130, 50), 20)
    ys = np.sort(rng.uniform(horizon, SIZE, int(rng.integers(200, 280))))
    for y in ys:
        depth = 0.4 + 0.6 * (y - horizon) / (SIZE - horizon)
        x, tall = rng.uniform(0, SIZE), rng.uniform(8, 18) * depth
        draw.line([(x, y), (x + lean * depth * rng.uniform(0.8, 1.1) * tall / 13, y - tall)],
                  fill=_mix(sky_bottom, grass, 0.5 + 0.5 * depth), width=1)
    centre = _place(rng, source_x, 50, 206)
    for _ in range(1 + int(5 * strength)):  # the gust: more swirling lines in a stronger wind
        x, y, w = centre + rng.uniform(-70, 10), rng.uniform(20, horizon - 20), rng.uniform(50, 90)
        draw.arc([x, y, x + w, y + w * 0.3], 200, 340, fill=(250, 250, 250), width=3)
        draw.arc([x + w * 0.8, y - 6, x + w * 1.1, y + 12], 270, 180, fill=(250, 250, 250), width=3)
    for _ in range(int(2 + 10 * strength)):
        x, y = centre + rng.uniform(-60, 60), rng.uniform(20, horizon)
        draw.ellipse([x, y, x + 6, y + 3], fill=_jitter(rng, (190, 120, 40), 30))


_CITY_SKIES = (((140, 180, 225), (210, 220, 230)), ((40, 40, 90), (230, 130, 90)), ((10, 15, 40), (45, 50, 90)))
_CITY_WALLS = ((70, 75, 90), (95, 80, 75), (60, 65, 70), (105, 100, 110), (80, 90, 85))


def _city(image: Image.Image, draw: ImageDraw.ImageDraw, rng: Rng, scene: Scene, source_x: float | None) -> None:
    # The signature that survives averaging over layouts: a wall of buildings across the whole width, its windows on
    # one grid shared by every building (16 x 18 px), above a road with a dashed line; heights and colours vary.
    road = int(rng.uniform(200, 212))
    sky = int(rng.integers(len(_CITY_SKIES)))  # day, dusk or night
    _gradient(image, _jitter(rng, _CITY_SKIES[sky][0]), _jitter(rng, _CITY_SKIES[sky][1]), 0, road)
    far = _mix(_CITY_SKIES[sky][1], (60, 65, 80), 0.35)
    x = rng.uniform(-20, 0)
    while x < SIZE:  # a far skyline, hazy and windowless, behind the street
        width = rng.uniform(15, 30)
        draw.rectangle([x, rng.uniform(25, 70), x + width, road], fill=far)
        x += width
    lit = (245, 230, 160) if sky == 0 else (250, 215, 110)
    x = rng.uniform(-20, 0)
    while x < SIZE:
        width, top = rng.uniform(30, 56), rng.uniform(45, 115)
        wall = _jitter(rng, _CITY_WALLS[int(rng.integers(len(_CITY_WALLS)))], 15)
        draw.rectangle([x, top, x + width - 2, road], fill=wall)
        draw.rectangle([x + width - 6, top, x + width - 2, road], fill=_mix(wall, (0, 0, 0), 0.3))  # shaded side
        dark = tuple(channel // 2 for channel in wall)
        for wy in range(int(top) // 18 * 18 + 24, road - 12, 18):
            for wx in range(int(x) // 16 * 16 + 20, int(x + width) - 10, 16):
                draw.rectangle([wx, wy, wx + 7, wy + 9], fill=lit if rng.random() < 0.7 else dark)
        x += width
    _gradient(image, _jitter(rng, (60, 60, 66), 10), _jitter(rng, (40, 40, 45), 8), road, SIZE)
    middle = (road + SIZE) // 2
    for lx in range(0, SIZE, 32):
        draw.rectangle([lx, middle - 2, lx + 16, middle + 1], fill=(240, 240, 240))
    # The cars: exactly scene["count"], one per pass in the sound, in a group around the source.
    count, centre = int(scene["count"]), _place(rng, source_x, 60, 196)
    for k in range(count):
        cx = centre + (k - (count - 1) / 2) * 40 - 17 + rng.uniform(-2, 2)
        cy = road + (4 if k % 2 == 0 else 24) + rng.uniform(-2, 2)
        body = _jitter(rng, (200, 40, 40), 80)
        draw.rectangle([cx, cy, cx + 34, cy + 12], fill=body)
        draw.rectangle([cx + 8, cy - 6, cx + 26, cy], fill=_mix(body, (0, 0, 0), 0.3))
        draw.rectangle([cx + 10, cy - 4, cx + 24, cy - 1], fill=(170, 200, 220))
        for wheel in (cx + 7, cx + 27):
            draw.ellipse([wheel - 4, cy + 8, wheel + 4, cy + 16], fill=(20, 20, 20))


_CHURCH_WALLS = ((205, 190, 165), (165, 165, 160), (165, 85, 65), (235, 230, 215))
_CHURCH_ROOFS = ((130, 50, 40), (70, 75, 90), (80, 150, 130))


def _church(image: Image.Image, draw: ImageDraw.ImageDraw, rng: Rng, scene: Scene, source_x: float | None) -> None:
    # The signature that survives averaging: one tall tower with a pointed steeple, a clock and a gold bell in its
    # belfry (bigger for a lower bell), between two lower wings; in the middle unless a stereo pan places it.
    horizon = int(rng.uniform(190, 210))
    sky_bottom = _jitter(rng, (205, 225, 240))
    _gradient(image, _jitter(rng, (110, 165, 225), 30), sky_bottom, 0, horizon)
    _hills(draw, rng, horizon, 40, _mix((90, 130, 90), sky_bottom, 0.5))
    _gradient(image, _jitter(rng, (95, 155, 75), 20), _jitter(rng, (65, 120, 55), 15), horizon, SIZE)
    wall = _jitter(rng, _CHURCH_WALLS[int(rng.integers(len(_CHURCH_WALLS)))], 15)
    shade = _mix(wall, (0, 0, 0), 0.2)
    roof = _jitter(rng, _CHURCH_ROOFS[int(rng.integers(len(_CHURCH_ROOFS)))], 15)
    mid = source_x * SIZE if source_x is not None else SIZE / 2 + rng.uniform(-8, 8)
    half = rng.uniform(24, 34)
    wing_top, wing_reach = horizon - rng.uniform(50, 70), half + rng.uniform(45, 80)
    for side in (-1, 1):
        outer = mid + side * wing_reach
        draw.rectangle([min(mid, outer), wing_top, max(mid, outer), horizon], fill=wall if side < 0 else shade)
        draw.polygon([(mid, wing_top - 25), (outer + side * 4, wing_top), (mid, wing_top)], fill=roof)
        window = mid + side * (half + (wing_reach - half) / 2)
        draw.rectangle([window - 5, wing_top + 15, window + 5, wing_top + 35], fill=(60, 70, 110))
    top = rng.uniform(60, 90)
    draw.rectangle([mid - half, top, mid + half, horizon], fill=wall)
    draw.rectangle([mid + half * 0.6, top, mid + half, horizon], fill=shade)
    spire = top - rng.uniform(40, 60)
    draw.polygon([(mid - half - 4, top), (mid, spire), (mid + half + 4, top)], fill=roof)
    draw.line([(mid, spire - 22), (mid, spire)], fill=(60, 50, 30), width=3)
    draw.line([(mid - 7, spire - 15), (mid + 7, spire - 15)], fill=(60, 50, 30), width=3)
    draw.rectangle([mid - half * 0.6, top + 10, mid + half * 0.6, top + 50], fill=(40, 35, 35))
    bell, reach = _jitter(rng, (225, 175, 40), 15), 0.3 + 0.28 * scene["intensity"]
    draw.chord([mid - half * reach, top + 62 - 92 * reach, mid + half * reach, top + 62], 180, 360, fill=bell)
    clock_y, clock_r = top + 72, half * 0.45
    draw.ellipse([mid - clock_r, clock_y - clock_r, mid + clock_r, clock_y + clock_r], fill=(245, 245, 235),
                 outline=(40, 35, 35), width=2)
    draw.line([(mid, clock_y), (mid, clock_y - clock_r * 0.8), (mid, clock_y), (mid + clock_r * 0.6, clock_y)],
              fill=(30, 30, 30), width=2)
    draw.rectangle([mid - half * 0.4, horizon - 34, mid + half * 0.4, horizon], fill=(70, 45, 30))


PAINTERS: dict[str, Painter] = {
    "forest": _forest,
    "rain": _rain,
    "beach": _beach,
    "thunderstorm": _thunderstorm,
    "fire": _fire,
    "wind": _wind,
    "city": _city,
    "church": _church,
}
"""Scene label -> ``paint(image, draw, rng, scene, source_x)`` on a ``SIZE`` x ``SIZE`` RGB canvas."""


def paint(label: str, rng: Rng, scene: Scene, source_x: float | None = None) -> Image.Image:
    """A new ``SIZE`` x ``SIZE`` RGB picture of scene ``label``.

    Args:
        label: The scene class.
        rng: The item's generator.
        scene: The item's scene parameters, as the sound used them (``_sounds.draw_parameters``).
        source_x: Horizontal centre of the main source as a fraction of the width, or None to
            place it as the class always has (at random, the church in the middle).

    Returns:
        The picture.
    """
    image = Image.new("RGB", (SIZE, SIZE))
    PAINTERS[label](image, ImageDraw.Draw(image), rng, scene, source_x)
    return _texture(image, rng)
