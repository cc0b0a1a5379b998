"""The pixel transformer itself: local attention, KV-cached sampling, guidance, training, checkpoints."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from torch.nn import functional

from a2i_plugins.pixel_transformer._checkpoint import load_model, save_model
from a2i_plugins.pixel_transformer._config import START_TOKEN, PixelConfig
from a2i_plugins.pixel_transformer._layers import local_attention, local_block_mask
from a2i_plugins.pixel_transformer._model import PixelTransformer, log_magnitudes
from a2i_plugins.pixel_transformer._sampling import SamplingSettings, sample
from a2i_studio.errors import CheckpointError


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Token-by-token decoding of tiny models is all small ops: one thread avoids thread-pool waits."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny(channels: int = 1, decoder_layers: int = 2, window: int = 12, positions: str = "grid") -> PixelTransformer:
    torch.manual_seed(0)
    config = PixelConfig(
        image_size=6, channels=channels, sections=20, bins=12, audio_stride=4, d_model=32, heads=4,
        encoder_layers=1, decoder_layers=decoder_layers, window=window, dropout=0.0, positions=positions,
    )
    return PixelTransformer(config).eval()


def frames() -> torch.Tensor:
    return torch.rand(20, 12, generator=torch.Generator().manual_seed(1)) * 0.1


def generators(*seeds: int) -> list[torch.Generator]:
    return [torch.Generator().manual_seed(seed) for seed in seeds]


def test_block_mask_lets_each_position_see_itself_and_the_window_before_it() -> None:
    mask = local_block_mask(window=3, blocks=2)
    # Keys are the previous block (positions b*3-3 .. b*3-1) then the own block (b*3 .. b*3+2).
    first_block = [[0, 0, 0, 1, 0, 0], [0, 0, 0, 1, 1, 0], [0, 0, 0, 1, 1, 1]]
    second_block = [[0, 1, 1, 1, 0, 0], [0, 0, 1, 1, 1, 0], [0, 0, 0, 1, 1, 1]]
    assert mask.int().tolist() == [first_block, second_block]


@pytest.mark.parametrize(("length", "window"), [(10, 3), (9, 3), (7, 16), (12, 1)])
def test_local_attention_equals_dense_attention_with_a_band_mask(length: int, window: int) -> None:
    generator = torch.Generator().manual_seed(2)
    query, key, value = (torch.randn(2, 3, length, 4, generator=generator) for _ in range(3))
    position = torch.arange(length)
    band = (position[:, None] - position[None, :] >= 0) & (position[:, None] - position[None, :] < window)
    expected = functional.scaled_dot_product_attention(query, key, value, attn_mask=band)
    torch.testing.assert_close(local_attention(query, key, value, window), expected)


def test_output_at_t_ignores_tokens_outside_its_window() -> None:
    model = tiny(decoder_layers=1, window=5)
    memory = model.encode(model.normalise(frames()).unsqueeze(0))
    targets = torch.randint(0, 256, (1, 36), generator=torch.Generator().manual_seed(3))
    t = 20

    def logits_at_t(tokens: torch.Tensor) -> torch.Tensor:
        inputs = torch.cat([torch.tensor([[START_TOKEN]]), tokens[:, :-1]], dim=1)
        return model.decode(memory, inputs)[0, t]

    reference = logits_at_t(targets)
    outside, inside = targets.clone(), targets.clone()
    outside[0, : t - 5] = (outside[0, : t - 5] + 128) % 256  # every token before t - window
    inside[0, t - 5] = (inside[0, t - 5] + 128) % 256  # the oldest token the window holds
    torch.testing.assert_close(logits_at_t(outside), reference, rtol=0, atol=0)
    assert (logits_at_t(inside) - reference).abs().max() > 1e-3


@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize(
    "settings",
    [
        SamplingSettings(temperature=0.0),
        SamplingSettings(temperature=1.0),
        SamplingSettings(temperature=0.8, top_k=20, top_p=0.9, guidance=2.5),
    ],
)
def test_cached_and_naive_decoding_draw_the_same_tokens(channels: int, settings: SamplingSettings) -> None:
    model = tiny(channels)
    cached = sample(model, frames(), generators(5, 6), settings, cached=True)
    naive = sample(model, frames(), generators(5, 6), settings, cached=False)
    assert cached.shape == (2, 36 * channels)
    assert torch.equal(cached, naive)
    if settings.temperature > 0:
        assert not torch.equal(cached[0], cached[1])


def test_image_depends_only_on_its_own_seed() -> None:
    model = tiny(3)
    together = sample(model, frames(), generators(7, 8, 9), SamplingSettings())
    alone = sample(model, frames(), generators(8), SamplingSettings())
    assert torch.equal(together[1], alone[0])


def test_a_batch_of_clips_draws_what_each_clip_draws_alone() -> None:
    model = tiny()
    other = frames().flip(0) * 3
    together = sample(model, torch.stack([frames(), other]), generators(1, 2), SamplingSettings(guidance=2.0))
    first = sample(model, frames(), generators(1), SamplingSettings(guidance=2.0))
    second = sample(model, other, generators(2), SamplingSettings(guidance=2.0))
    assert torch.equal(together, torch.cat([first, second]))


def test_guidance_scale_one_equals_conditional_sampling_and_other_scales_differ() -> None:
    model = tiny()
    conditional = sample(model, frames(), generators(4), SamplingSettings())
    guided_one = sample(model, frames(), generators(4), SamplingSettings(guidance=1.0))
    guided_three = sample(model, frames(), generators(4), SamplingSettings(guidance=3.0))
    assert torch.equal(conditional, guided_one)
    assert not torch.equal(conditional, guided_three)


def test_top_k_one_is_greedy() -> None:
    model = tiny()
    greedy = sample(model, frames(), generators(1), SamplingSettings(temperature=0.0))
    top_one = sample(model, frames(), generators(2), SamplingSettings(top_k=1))
    assert torch.equal(greedy, top_one)


def test_rows_are_reported_as_they_finish() -> None:
    model = tiny(3)
    seen: list[tuple[int, int]] = []
    sample(model, frames(), generators(1), SamplingSettings(), lambda row, tokens: seen.append((row, tokens.shape[1])))
    assert seen == [(row, row * 18) for row in range(1, 7)]


def test_a_training_step_lowers_the_loss() -> None:
    model = tiny().train()
    torch.manual_seed(1)
    logs = log_magnitudes(torch.rand(4, 20, 12), model.config)
    targets = torch.randint(0, 256, (4, 36))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

    def loss() -> torch.Tensor:
        return functional.cross_entropy(model(logs, targets).flatten(0, 1), targets.flatten())

    before = loss()
    assert before.item() == pytest.approx(5.5, abs=0.5)  # about ln(256) for an untrained model
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    assert loss().item() < before.item() - 0.05


def test_save_and_load_round_trip_gives_identical_outputs(tmp_path: Path) -> None:
    model = tiny(3)
    model.set_audio_statistics(torch.full((12,), 2.0), torch.full((12,), 0.5))
    path = save_model(model, tmp_path / "model.safetensors", {"note": "tiny"})
    loaded, info = load_model(path)
    assert info == {"note": "tiny"}
    assert loaded.config == model.config
    torch.testing.assert_close(loaded.audio_mean, torch.full((12,), 2.0))
    settings = SamplingSettings(temperature=0.9, guidance=2.0)
    before, after = (sample(m, frames(), generators(3), settings) for m in (model, loaded))
    assert torch.equal(before, after)


def test_loading_another_kind_of_file_names_the_problem(tmp_path: Path) -> None:
    from safetensors.torch import save_file

    path = tmp_path / "other.safetensors"
    save_file({"weight": torch.zeros(2)}, str(path), metadata={"format": "something-else"})
    with pytest.raises(CheckpointError, match="not a pixel transformer checkpoint"):
        load_model(path)
