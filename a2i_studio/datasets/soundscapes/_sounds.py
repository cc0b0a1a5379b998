"""Procedural scene sounds: one synthesiser per class, numpy only.

Each synthesiser draws its own parameters (pitch, density, tempo, noise
colour) from the item's generator, so no two clips are alike, while the
spectral shape that identifies the class stays: birdsong is narrow chirps at
2-7 kHz, rain a bright hiss of drops, waves a slow swell of dark noise,
thunder a low rumble under rain, fire sparse broadband crackles over a roar,
wind a moving whistle with gusts, traffic low engine harmonics with passing
swells and horns, bells inharmonic partials that ring and decay.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["SOUNDS", "add_reverb"]

Rng = np.random.Generator
Signal = np.ndarray


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


def _forest(rng: Rng, n: int, rate: int) -> Signal:
    t = np.arange(n) / rate
    signal = 0.05 * _noise(rng, n, rng.uniform(1.0, 1.6)) * _smooth_envelope(rng, n, rate, 1.0)
    base = rng.uniform(2200, 4500)
    for _ in range(int(rng.integers(6, 20))):
        start = int(rng.uniform(0, t[-1] - 0.3) * rate)
        length = int(rng.uniform(0.05, 0.25) * rate)
        local = t[:length]
        sweep = base * rng.uniform(0.8, 1.5) + rng.uniform(-1500, 1500) * local / local[-1]
        trill = 1 + 0.08 * np.sin(2 * np.pi * rng.uniform(15, 40) * local)
        phase = 2 * np.pi * np.cumsum(sweep * trill) / rate
        envelope = np.sin(np.pi * np.linspace(0, 1, length)) ** 2
        signal[start : start + length] += rng.uniform(0.3, 1.0) * envelope * np.sin(phase)
    return signal


def _rain_layer(rng: Rng, n: int, rate: int, density: float) -> Signal:
    hiss = _band(rng, n, rate, rng.uniform(1500, 3000), 7800) * rng.uniform(0.3, 0.6)
    drop = np.exp(-np.arange(int(0.004 * rate)) / (0.0008 * rate)) * np.sin(
        2 * np.pi * rng.uniform(3000, 6000) * np.arange(int(0.004 * rate)) / rate
    )
    return hiss + _impulses(rng, n, int(density * n / rate), drop)


def _rain(rng: Rng, n: int, rate: int) -> Signal:
    return _rain_layer(rng, n, rate, rng.uniform(200, 800))


def _beach(rng: Rng, n: int, rate: int) -> Signal:
    t = np.arange(n) / rate
    swell = 0.5 + 0.5 * np.sin(2 * np.pi * t / rng.uniform(2.5, 5.0) + rng.uniform(0, 2 * np.pi))
    surf = _noise(rng, n, rng.uniform(1.2, 1.8)) * (0.15 + swell**2)
    wash = _band(rng, n, rate, 400, rng.uniform(1500, 2500)) * 0.3 * swell**4
    return surf + wash


def _thunderstorm(rng: Rng, n: int, rate: int) -> Signal:
    signal = 0.4 * _rain_layer(rng, n, rate, rng.uniform(300, 900))
    rumble = _band(rng, n, rate, 20, rng.uniform(120, 250))
    for _ in range(int(rng.integers(1, 3))):
        start = int(rng.uniform(0, 0.6) * n)
        decay = np.exp(-np.arange(n - start) / (rng.uniform(0.6, 1.5) * rate))
        attack = np.minimum(np.arange(n - start) / (0.05 * rate), 1.0)
        signal[start:] += rng.uniform(1.5, 3.0) * rumble[start:] * decay * attack
    return signal


def _fire(rng: Rng, n: int, rate: int) -> Signal:
    roar = 0.25 * _band(rng, n, rate, 30, rng.uniform(300, 600)) * _smooth_envelope(rng, n, rate, 3.0)
    pop = np.exp(-np.arange(int(0.003 * rate)) / (0.0006 * rate)) * rng.standard_normal(int(0.003 * rate))
    crackles = _impulses(rng, n, int(rng.uniform(20, 80) * n / rate), pop)
    return roar + 1.5 * crackles


def _wind(rng: Rng, n: int, rate: int) -> Signal:
    t = np.arange(n) / rate
    gusts = _smooth_envelope(rng, n, rate, rng.uniform(0.5, 1.5)) ** 2
    body = _noise(rng, n, rng.uniform(1.6, 2.2)) * gusts
    centre = rng.uniform(300, 900) * (1 + 0.4 * np.sin(2 * np.pi * t / rng.uniform(1.5, 4.0)))
    carrier = np.sin(2 * np.pi * np.cumsum(centre) / rate)
    whistle = _band(rng, n, rate, 0, rng.uniform(30, 80)) * carrier * gusts
    return body + rng.uniform(0.3, 0.8) * whistle


def _city(rng: Rng, n: int, rate: int) -> Signal:
    t = np.arange(n) / rate
    signal = 0.3 * _noise(rng, n, rng.uniform(0.8, 1.3))
    for _ in range(int(rng.integers(2, 6))):
        centre, width = rng.uniform(0, t[-1]), rng.uniform(0.5, 1.5)
        swell = np.exp(-(((t - centre) / width) ** 2))
        f0 = rng.uniform(40, 110) * (1 - 0.05 * np.tanh((t - centre) / width))
        phase = 2 * np.pi * np.cumsum(f0) / rate
        engine = sum(np.sin(k * phase) / k for k in range(1, 8))
        signal += swell * (0.6 * engine + 0.5 * _band(rng, n, rate, 200, 1200))
    if rng.random() < 0.6:
        start, length = int(rng.uniform(0, 0.8) * n), int(rng.uniform(0.2, 0.5) * rate)
        horn_f = rng.uniform(350, 500)
        local = np.arange(length) / rate
        horn = np.sign(np.sin(2 * np.pi * horn_f * local)) + np.sign(np.sin(2 * np.pi * horn_f * 1.26 * local))
        signal[start : start + length] += 0.3 * horn[: n - start]
    return signal


# Partials of a tuned church bell relative to its nominal: hum, prime, tierce, quint, nominal, upper.
_BELL_PARTIALS = ((0.25, 1.0), (0.5, 0.8), (0.6, 0.7), (0.75, 0.4), (1.0, 1.0), (1.5, 0.3), (2.0, 0.2))


def _church(rng: Rng, n: int, rate: int) -> Signal:
    t = np.arange(n) / rate
    signal = 0.02 * _noise(rng, n, 1.0)
    nominal = rng.uniform(400, 1100)
    interval = rng.uniform(0.5, 1.4)
    strike = rng.uniform(0, 0.3)
    while strike < t[-1]:
        local = t[: n - int(strike * rate)]
        pitch = nominal * rng.choice([1.0, 1.0, 0.89, 0.75])
        ring = sum(
            weight * np.sin(2 * np.pi * ratio * pitch * local) * np.exp(-local * (0.8 + 2.5 * ratio))
            for ratio, weight in _BELL_PARTIALS
        )
        signal[int(strike * rate) :] += ring
        strike += interval * rng.uniform(0.9, 1.1)
    return signal


SOUNDS: dict[str, Callable[[Rng, int, int], Signal]] = {
    "forest": _forest,
    "rain": _rain,
    "beach": _beach,
    "thunderstorm": _thunderstorm,
    "fire": _fire,
    "wind": _wind,
    "city": _city,
    "church": _church,
}
"""Scene label -> ``synth(rng, n_samples, sample_rate)`` returning an unnormalised signal."""


def add_reverb(rng: Rng, signal: Signal, rate: int) -> Signal:
    """Put ``signal`` in a random room: decaying-noise impulse response, random size and mix."""
    seconds = rng.uniform(0.1, 0.9)
    length = int(seconds * rate)
    response = rng.standard_normal(length) * np.exp(-6.9 * np.arange(length) / length)
    size = signal.size + length
    wet = np.fft.irfft(np.fft.rfft(signal, size) * np.fft.rfft(response, size), size)[: signal.size]
    wet *= np.abs(signal).max() / (np.abs(wet).max() + 1e-9)
    mix = rng.uniform(0.05, 0.35)
    return (1 - mix) * signal + mix * wet
