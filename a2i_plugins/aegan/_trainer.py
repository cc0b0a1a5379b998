"""The ``aegan`` trainer's declaration: its settings and presets, checked before any heavy import."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from a2i_studio.core import BoolParam, ChoiceParam, FloatParam, IntParam
from a2i_studio.training import LoopTrainer

if TYPE_CHECKING:
    from a2i_studio.training import TrainingLoop, TrainingRun

__all__ = ["ENCODER_IDS", "PRESETS", "AeganTrainer"]

ENCODER_IDS = ("mfcc", "mfcc-stereo")
"""The weight-free encoders an AE-GAN can take its features from (the ``features`` setting)."""

PRESETS: dict[str, dict[str, Any]] = {
    # The paper: Adam at 0.0625, batch 64, 100 epochs, loss = MSE x batch size, 256x256, plain MSE.
    "seed": {
        "epochs": 100, "batch_size": 64, "learning_rate": 0.0625, "beta1": 0.9, "size": "256",
        "mse_times_batch": True, "ssim_weight": 0.0, "discriminator": False,
    },
    # What we recommend on a CPU: 64x64, DCGAN's Adam settings, mean MSE plus an SSIM term.
    "default": {
        "epochs": 40, "batch_size": 32, "learning_rate": 0.0005, "beta1": 0.5, "size": "64",
        "mse_times_batch": False, "ssim_weight": 0.5, "discriminator": False,
    },
    # The bundled aegan-sharp model: 128 px from the stereo summary; L1 keeps the layout, a two-scale hinge
    # PatchGAN with feature matching (pix2pixHD) makes edges and texture, an attribute critic (AC-GAN) makes the
    # picture follow the sound's intensity, count and pan; noise teaches variation.
    "sharp": {
        "epochs": 15, "batch_size": 16, "learning_rate": 0.0005, "beta1": 0.5, "size": "128", "channels": 384,
        "features": "mfcc-stereo", "pixel_loss": "l1", "pixel_weight": 10.0, "mse_times_batch": False,
        "ssim_weight": 0.0, "discriminator": True, "gan_loss": "hinge", "discriminator_scales": 2,
        "discriminator_channels": 32, "adversarial_weight": 1.0, "feature_matching_weight": 10.0,
        "attribute_weight": 2.0, "noise": 0.2, "export": "last",
    },
}
"""Settings each ``--preset`` fills in; settings given explicitly win."""

_DEFAULT = PRESETS["default"]


class AeganTrainer(LoopTrainer):
    """Trains the MFCC AE-GAN on a dataset of audio/image pairs.

    The dataset is split by ``split_seed`` into train, validation and test sets
    (stratified by label); the test set is left for ``a2i eval``. Each epoch the
    trainer reports train and validation losses, saves a checkpoint under
    ``OUT/checkpoints/`` (the last and the best by validation MSE are kept; run
    the same command again to resume) and redraws ``OUT/loss_curve.png``. At the
    end it writes the model to ``OUT/aegan.safetensors`` (use it with ``--param
    checkpoint=...``) and ``OUT/metrics.json``. With ``--preset`` every setting
    not given explicitly comes from the preset (see :data:`PRESETS`).
    """

    id = "aegan"
    name = "AE-GAN (MFCC)"
    description = "Train the MFCC AE-GAN generator (mfcc>aegan, mfcc-stereo>aegan-sharp) on paired audio and images."
    version = "1"
    presets = PRESETS
    params = (
        ChoiceParam("preset", "default", "settings to start from: 'seed' is the paper's, 'default' ours at 64 px, "
                    "'sharp' the bundled 128 px adversarial model's (it needs metadata.csv's attribute columns)",
                    choices=tuple(PRESETS)),
        IntParam("epochs", _DEFAULT["epochs"], "passes over the training split", minimum=1, maximum=100_000),
        IntParam("batch_size", _DEFAULT["batch_size"], "pairs per optimisation step", minimum=1, maximum=65_536),
        FloatParam("learning_rate", _DEFAULT["learning_rate"], "Adam learning rate", minimum=1e-7, maximum=1.0),
        FloatParam("beta1", _DEFAULT["beta1"], "Adam's first-moment decay", minimum=0.0, maximum=0.999),
        ChoiceParam("size", _DEFAULT["size"], "image size the generator makes", choices=("32", "64", "128", "256")),
        IntParam("channels", 256, "channels of the first transposed convolution, halved at each next one",
                 minimum=8, maximum=2048),
        ChoiceParam("features", "mfcc", "the encoder the model takes: 'mfcc' (104 values, chain mfcc>aegan) or "
                    "'mfcc-stereo' (136, chain mfcc-stereo>aegan-sharp)", choices=tuple(ENCODER_IDS)),
        ChoiceParam("pixel_loss", "mse", "per-pixel loss against the target picture", choices=("mse", "l1")),
        FloatParam("pixel_weight", 1.0, "weight of the per-pixel loss", minimum=0.0, maximum=1000.0),
        BoolParam("mse_times_batch", _DEFAULT["mse_times_batch"], "loss = MSE x batch size, as in the paper"),
        FloatParam("ssim_weight", _DEFAULT["ssim_weight"], "weight of the (1 - SSIM) loss term; 0: off",
                   minimum=0.0, maximum=100.0),
        BoolParam("discriminator", _DEFAULT["discriminator"], "train a PatchGAN discriminator alongside"),
        ChoiceParam("gan_loss", "bce", "adversarial loss: 'bce' (non-saturating) or 'hinge'", choices=("bce", "hinge")),
        IntParam("discriminator_scales", 1, "PatchGAN critics at full size and at each halving", minimum=1,
                 maximum=3),
        IntParam("discriminator_channels", 64, "channels of each critic's first convolution", minimum=4,
                 maximum=512),
        FloatParam("adversarial_weight", 0.01, "weight of the generator's adversarial loss", minimum=0.0,
                   maximum=100.0),
        FloatParam("feature_matching_weight", 0.0, "weight of the L1 distance between the critics' features of "
                   "the generated and the real picture; 0: off", minimum=0.0, maximum=1000.0),
        FloatParam("attribute_weight", 0.0, "weight of the attribute critic's error on the generated picture "
                   "against the sound's intensity, count and source_x (metadata.csv columns); 0: off",
                   minimum=0.0, maximum=100.0),
        FloatParam("noise", 0.0, "standard deviation of the noise added to the normalised features while "
                   "training (what the generator's 'variation' adds)", minimum=0.0, maximum=3.0),
        FloatParam("val_fraction", 0.1, "share of each label held out for validation", minimum=0.01, maximum=0.5),
        FloatParam("test_fraction", 0.1, "share of each label held out for 'a2i eval --split test'",
                   minimum=0.0, maximum=0.5),
        IntParam("split_seed", 0, "seed of the train/val/test split"),
        IntParam("seed", 0, "seed of the initial weights and the batch order"),
    )

    def prepare(self, data: Path, out: Path, settings: dict[str, Any], run: TrainingRun) -> TrainingLoop:
        """Read the pairs and build the networks (see :class:`~a2i_plugins.aegan._training.AeganLoop`)."""
        from a2i_plugins.aegan._training import AeganLoop

        return AeganLoop(data, settings, run)
