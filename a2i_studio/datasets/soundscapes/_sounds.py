"""Procedural scene sounds: one synthesiser per class, numpy only.

Each class has one or two *scene parameters* (:func:`draw_parameters`), drawn
once per item and shared with the painter, so the picture shows what the sound
says: how many birds call, how hard it rains, how big the waves and the fire
are, how many thunder claps and cars pass, how strong the wind blows, how big
(and so how low) the bell is. Everything else (pitch, timing, noise colour,
room) is drawn freely, so no two clips are alike, while the spectral shape
that identifies the class stays: birdsong is narrow chirps at 2-7 kHz, rain a
bright hiss of drops, waves a slow swell of dark noise, thunder a low rumble
under rain, fire sparse broadband crackles over a roar, wind a moving whistle
with gusts, traffic low engine harmonics with passing swells and horns, bells
inharmonic partials that ring and decay.

Each synthesiser returns the *main source* (what the picture draws at the
source position, panned in stereo) and the *ambience* (kept in the centre).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["SOUNDS", "Scene", "draw_parameters", "mix_down", "pan_gains"]

Rng = np.random.Generator
Signal = np.ndarray
Scene = dict[str, float]
"""An item's scene parameters: ``intensity`` (0..1) always, ``count`` for the classes that count things."""

_COUNTS = {"forest": (1, 8), "thunderstorm": (1, 4), "city": (1, 5)}
"""Classes whose main parameter is a count: birds calling, thunder claps, cars passing (inclusive ranges)."""


def draw_parameters(label: str, rng: Rng) -> Scene:
    """Draw the scene parameters of one item of class ``label``, shared by its sound and its picture.

    Args:
        label: The scene class.
        rng: The item's generator.

    Returns:
        ``{"intensity": x}`` with ``x`` uniform in 0..1, or for a counting class also
        ``"count"``: a whole number uniform in its range, and ``intensity`` the count
        normalised over that range. Values are rounded to the 6 significant digits that
        ``metadata.csv`` stores.
    """
    if label in _COUNTS:
        low, high = _COUNTS[label]
        count = int(rng.integers(low, high + 1))
        return {"intensity": _stored((count - low) / (high - low)), "count": float(count)}
    return {"intensity": _stored(rng.uniform(0.0, 1.0))}


def _stored(value: float) -> float:
    """``value`` to the 6 significant digits ``metadata.csv`` keeps, so the file holds what the item used."""
    return float(f"{value:.6g}")


def _noise(rng: Rng, n: int, colour: float) -> Signal:
    """Noise with power falling as ``1 / f**colour`` (0 white, 1 pink, 2 brown), unit peak."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.maximum(np.arange(spectrum.size), 1.0)
    signal = np.fft.irfft(spectrum / freqs ** (colour / 2), n)
    return signal / (np.abs(signal).max() + 1e-9)


def _band(rng: Rng, n: int, rate: int, low: float, high: float) -> Signal:
    """White noise kept between ``low`` and ``high`` Hz, unit peak."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.fft.rfftfreq(n, 1 / rate)
    spectrum[(freqs < low) | (freqs > high)] = 0
    signal = np.fft.irfft(spectrum, n)
    return signal / (np.abs(signal).max() + 1e-9)


def _smooth_envelope(rng: Rng, n: int, rate: int, changes_per_second: float) -> Signal:
    """A positive random envelope that changes about ``changes_per_second`` times a second."""
    points = max(int(n / rate * changes_per_second) + 2, 3)
    knots = rng.uniform(0.2, 1.0, points)
    return np.interp(np.linspace(0, points - 1, n), np.arange(points), knots)


def _impulses(rng: Rng, n: int, count: int, kernel: Signal) -> Signal:
    """``count`` random-amplitude impulses at random times, each ringing as ``kernel``."""
    train = np.zeros(n)
    train[rng.integers(0, n, count)] = rng.uniform(0.1, 1.0, count) * rng.choice([-1.0, 1.0], count)
    return np.convolve(train, kernel)[:n]


def _slot_starts(rng: Rng, n: int, count: int, length: int, gap: int) -> list[int]:
    """One start per ``n / count`` slot, so ``count`` events of ``length`` samples stay ``gap`` apart."""
    slot = n // count
    room = max(slot - length - gap, 1)
    return [k * slot + int(rng.integers(0, room)) for k in range(count)]


def _forest(rng: Rng, n: int, rate: int, scene: Scene) -> tuple[Signal, Signal]:
    ambience = 0.05 * _noise(rng, n, rng.uniform(1.0, 1.6)) * _smooth_envelope(rng, n, rate, 1.0)
    birds = np.zeros(n)
    count = int(scene["count"])
    length = max(min(int(rng.uniform(0.15, 0.3) * rate), n // count // 2), 1)
    for start in _slot_starts(rng, n, count, length, int(0.15 * rate)):  # one call per bird, 2.5-6.5 kHz
        local = np.arange(length) / rate
        sweep = rng.uniform(3000, 5500) + rng.uniform(-500, 500) * local / max(local[-1], 1e-3)
        trill = 1 + 0.08 * np.sin(2 * np.pi * rng.uniform(15, 40) * local)
        phase = 2 * np.pi * np.cumsum(sweep * trill) / rate
        envelope = np.sin(np.pi * np.linspace(0, 1, length)) ** 2
        birds[start : start + length] += rng.uniform(0.6, 1.0) * envelope * np.sin(phase)
    return birds, ambience


def _rain_layer(rng: Rng, n: int, rate: int, intensity: float) -> Signal:
    """A shower: hiss and drops, both heavier with ``intensity`` (100-900 drops a second)."""
    hiss = _band(rng, n, rate, rng.uniform(1500, 2500), 7800) * (0.05 + 0.35 * intensity)
    drop = np.exp(-np.arange(int(0.004 * rate)) / (0.0008 * rate)) * np.sin(
        2 * np.pi * rng.uniform(3000, 6000) * np.arange(int(0.004 * rate)) / rate
    )
    return hiss + _impulses(rng, n, int((100 + 800 * intensity) * n / rate), drop)


def _rain(rng: Rng, n: int, rate: int, scene: Scene) -> tuple[Signal, Signal]:
    return _rain_layer(rng, n, rate, scene["intensity"]), 0.2 * _band(rng, n, rate, 40, 150)  # a distant rumble


def _beach(rng: Rng, n: int, rate: int, scene: Scene) -> tuple[Signal, Signal]:
    # Bigger waves: louder surf over the far sea's steady hush (clips are peak-normalised, so loudness is heard
    # against that bed), and a longer period (2-3.5 s).
    height = scene["intensity"]
    t = np.arange(n) / rate
    swell = 0.5 + 0.5 * np.sin(2 * np.pi * t / (2.0 + 1.5 * height) + rng.uniform(0, 2 * np.pi))
    surf = _noise(rng, n, rng.uniform(1.2, 1.8)) * (0.04 + (0.3 + 1.7 * height) * swell**2)
    wash = _band(rng, n, rate, 400, rng.uniform(1500, 2500)) * 0.3 * swell**4
    return surf + wash, 0.13 * _band(rng, n, rate, 600, 1200)  # the far sea's steady hush


def _thunderstorm(rng: Rng, n: int, rate: int, scene: Scene) -> tuple[Signal, Signal]:
    ambience = 0.4 * _rain_layer(rng, n, rate, rng.uniform(0.2, 1.0))
    rumble = _band(rng, n, rate, 20, rng.uniform(120, 250))
    claps, count = np.zeros(n), int(scene["count"])
    for start in _slot_starts(rng, n, count, int(0.3 * n / count), 0):  # one clap per bolt
        decay = np.exp(-np.arange(n - start) / (rng.uniform(0.2, 0.4) * n / count))
        attack = np.minimum(np.arange(n - start) / (0.03 * rate), 1.0)
        claps[start:] += rng.uniform(2.0, 3.0) * rumble[start:] * decay * attack
    return claps, ambience


def _fire(rng: Rng, n: int, rate: int, scene: Scene) -> tuple[Signal, Signal]:
    size = scene["intensity"]
    roar = 0.25 * _band(rng, n, rate, 30, 400) * _smooth_envelope(rng, n, rate, 3.0)
    # A pop: 3 ms of noise with an exactly flat spectrum (random phases), so every fire's crackles are as bright.
    length = int(0.003 * rate)
    pop = np.fft.irfft(np.exp(2j * np.pi * rng.uniform(0, 1, length // 2 + 1)), length)
    pop /= 3 * pop.std()
    crackles = _impulses(rng, n, int((15 + 55 * size) * n / rate), pop)
    return roar + 1.5 * crackles, 0.02 * _noise(rng, n, 1.0)


def _wind(rng: Rng, n: int, rate: int, scene: Scene) -> tuple[Signal, Signal]:
    # A stronger wind: brighter gusts and a higher, louder whistle.
    strength = scene["intensity"]
    t = np.arange(n) / rate
    gusts = _smooth_envelope(rng, n, rate, rng.uniform(0.5, 1.5)) ** 2
    body = _noise(rng, n, 2.2 - 0.8 * strength + rng.uniform(-0.1, 0.1)) * gusts
    centre = (250 + 750 * strength) * (1 + 0.3 * np.sin(2 * np.pi * t / rng.uniform(1.5, 4.0)))
    carrier = np.sin(2 * np.pi * np.cumsum(centre) / rate)
    whistle = _band(rng, n, rate, 0, rng.uniform(30, 80)) * carrier * gusts
    return body + (0.4 + 0.6 * strength) * whistle, 0.1 * _noise(rng, n, 1.8)


def _city(rng: Rng, n: int, rate: int, scene: Scene) -> tuple[Signal, Signal]:
    t = np.arange(n) / rate
    ambience = 0.3 * _noise(rng, n, rng.uniform(0.8, 1.3))
    cars, count = np.zeros(n), int(scene["count"])
    width = rng.uniform(0.25, 0.4) * t[-1] / count
    for start in _slot_starts(rng, n, count, int(2 * width * rate), 0):  # one pass per car
        centre = start / rate + width
        swell = np.exp(-(((t - centre) / width) ** 2))
        f0 = rng.uniform(40, 110) * (1 - 0.05 * np.tanh((t - centre) / width))
        phase = 2 * np.pi * np.cumsum(f0) / rate
        engine = sum(np.sin(k * phase) / k for k in range(1, 8))
        cars += swell * (0.6 * engine + 0.5 * _band(rng, n, rate, 200, 1200))
    if rng.random() < 0.6:
        start, length = int(rng.uniform(0, 0.8) * n), int(rng.uniform(0.2, 0.5) * rate)
        horn_f = rng.uniform(350, 500)
        local = np.arange(length) / rate
        horn = np.sign(np.sin(2 * np.pi * horn_f * local)) + np.sign(np.sin(2 * np.pi * horn_f * 1.26 * local))
        cars[start : start + length] += 0.3 * horn[: n - start]
    return cars, ambience


# Partials of a tuned church bell relative to its nominal: hum, prime, tierce, quint, nominal, upper.
_BELL_PARTIALS = ((0.25, 1.0), (0.5, 0.8), (0.6, 0.7), (0.75, 0.4), (1.0, 1.0), (1.5, 0.3), (2.0, 0.2))


def _church(rng: Rng, n: int, rate: int, scene: Scene) -> tuple[Signal, Signal]:
    # A bigger bell sounds lower: nominal 1100 Hz for the smallest, 400 Hz for the largest.
    t = np.arange(n) / rate
    bells = np.zeros(n)
    nominal = 1100 - 700 * scene["intensity"]
    interval = rng.uniform(0.5, 1.4)
    strike = rng.uniform(0, 0.3)
    while strike < t[-1]:
        local = t[: n - int(strike * rate)]
        pitch = nominal * rng.choice([1.0, 1.0, 0.89, 0.75])
        ring = sum(
            weight * np.sin(2 * np.pi * ratio * pitch * local) * np.exp(-local * (0.8 + 2.5 * ratio))
            for ratio, weight in _BELL_PARTIALS
        )
        bells[int(strike * rate) :] += ring
        strike += interval * rng.uniform(0.9, 1.1)
    return bells, 0.02 * _noise(rng, n, 1.0)


SOUNDS: dict[str, Callable[[Rng, int, int, Scene], tuple[Signal, Signal]]] = {
    "forest": _forest,
    "rain": _rain,
    "beach": _beach,
    "thunderstorm": _thunderstorm,
    "fire": _fire,
    "wind": _wind,
    "city": _city,
    "church": _church,
}
"""Scene label -> ``synth(rng, n_samples, sample_rate, scene)`` returning unnormalised ``(main, ambience)``."""


def _fast_length(minimum: int) -> int:
    """The smallest ``2**a * 3**b * 5**c`` at least ``minimum``: a length the FFT handles quickly."""
    best = 1 << (minimum - 1).bit_length()
    power3 = 1
    while power3 < best:
        power35 = power3
        while power35 < best:
            length = power35 << max((minimum - 1) // power35, 0).bit_length()
            best = min(best, length)
            power35 *= 5
        power3 *= 3
    return best


def pan_gains(pan: float) -> tuple[float, float]:
    """Constant-power ``(left, right)`` gains for ``pan`` in -1 (left) .. +1 (right); ``cos(pi/4)`` each at 0."""
    angle = (pan + 1) * np.pi / 4
    return float(np.cos(angle)), float(np.sin(angle))


def mix_down(rng: Rng, main: Signal, ambience: Signal, rate: int, pan: float | None) -> Signal:
    """Mix a scene in a random room: mono ``(n,)`` if ``pan`` is None, else stereo ``(n, 2)``.

    The room is a decaying-noise impulse response of random length (0.1-0.9 s) and mix (5-35 %
    of the level, the wet sound scaled to the dry sound's power). In stereo the
    main source is panned by :func:`pan_gains`, while the ambience and the room's tail stay
    in the centre.
    """
    seconds = rng.uniform(0.1, 0.9)
    length = int(seconds * rate)
    response = rng.standard_normal(length) * np.exp(-6.9 * np.arange(length) / length)
    mix = rng.uniform(0.05, 0.35)
    dry = main + ambience
    size = _fast_length(dry.size + length)
    wet = np.fft.irfft(np.fft.rfft(dry, size) * np.fft.rfft(response, size), size)[: dry.size]
    wet *= dry.std() / (wet.std() + 1e-12)  # as loud as the dry sound, so ``mix`` is the share of the room
    if pan is None:
        return (1 - mix) * dry + mix * wet
    centre = np.cos(np.pi / 4)
    left, right = pan_gains(pan)
    channels = [gain * main + centre * ambience for gain in (left, right)]
    return np.stack([(1 - mix) * channel + mix * centre * wet for channel in channels], axis=1)
