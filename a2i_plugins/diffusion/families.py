"""What differs between the Stable Diffusion families: pipeline class, weights, licence, defaults, preview.

SD 1.x, SD 2.x and SD3, and two few-step families that run the same text
spaces in 1-8 steps: SD-Turbo (SD 2.1's OpenCLIP text space, 1-4 steps) and
SD 1.5 with the LCM-LoRA merged in and the LCM scheduler (4-8 steps).

Plain data, no torch: the generators' class attributes are built from it at import.
"""

from __future__ import annotations

from dataclasses import dataclass

from a2i_studio.core import Licence, WeightSpec

__all__ = [
    "FAMILIES",
    "LCM_LORA",
    "OPEN_RAIL_M",
    "OPEN_RAIL_PP_M",
    "SCHEDULERS",
    "SD3",
    "SD15",
    "SD15_LCM",
    "SD21",
    "SD_TURBO",
    "STABILITY_COMMUNITY",
    "Family",
]

SCHEDULERS = {
    "ddim": "DDIMScheduler",
    "euler": "EulerDiscreteScheduler",
    "euler-a": "EulerAncestralDiscreteScheduler",
    "dpm++": "DPMSolverMultistepScheduler",
    "pndm": "PNDMScheduler",
}
"""Scheduler choices of SD 1.x/2.x pipelines by name, with their diffusers class (``default`` keeps the model's own)."""

# Which files of a diffusers repo a pipeline needs (fp32 safetensors; no fp16 variants, no pickles).
_SD_FILES = (
    "model_index.json", "scheduler/*.json", "tokenizer/*", "text_encoder/*.json", "text_encoder/model.safetensors",
    "unet/*.json", "unet/diffusion_pytorch_model.safetensors", "vae/*.json", "vae/diffusion_pytorch_model.safetensors",
)
_SD3_FILES = (
    "model_index.json", "scheduler/*.json", "tokenizer*/*", "text_encoder*/*.json", "text_encoder*/*.safetensors",
    "transformer/*.json", "transformer/*.safetensors",
    "vae/*.json", "vae/*.safetensors",
)


@dataclass(frozen=True)
class Family:
    """One model family.

    Attributes:
        key: Generator id and folder name under ``a2i_resources/diffusion/``.
        pipeline: The diffusers pipeline class name.
        weights: The default pipeline (a Hugging Face repo, or its folder in ``checkpoints/``).
        tokenizers: Tokenizer weights that a single-file checkpoint lacks (subfolders of a diffusers repo).
        tokenizer_classes: ``(subfolder, transformers class)`` of each tokenizer.
        steps: Default number of denoising steps.
        guidance: Default classifier-free guidance scale.
        size: Default width and height.
        latent_rgb: Per latent channel, its contribution to R, G, B (a cheap preview), then a bias row.
        licence: The terms the weights come under.
        scheduler: A diffusers scheduler class the pipeline always runs with (few-step models need
            theirs); empty keeps the model's own and offers the ``scheduler`` choices.
        scheduler_config: Settings given to that scheduler over the model's own config.
        fused_lora: A LoRA merged into the pipeline when it loads (the LCM-LoRA).
        config_key: The folder of ``a2i_resources/diffusion/`` whose configs build single-file
            checkpoints (empty: :attr:`key`); a family without such a folder loads diffusers folders only.
    """

    key: str
    pipeline: str
    weights: WeightSpec
    tokenizers: WeightSpec
    tokenizer_classes: tuple[tuple[str, str], ...]
    steps: int
    guidance: float
    size: int
    latent_rgb: tuple[tuple[float, float, float], ...]
    licence: Licence
    scheduler: str = ""
    scheduler_config: tuple[tuple[str, str], ...] = ()
    fused_lora: WeightSpec | None = None
    config_key: str = ""


# Linear latent -> RGB fits (rows: latent channels; last row: bias), as used for previews by ComfyUI.
_SD_LATENT_RGB = (
    (0.3512, 0.2297, 0.3227),
    (0.3250, 0.4974, 0.2350),
    (-0.2829, 0.1762, 0.2721),
    (-0.2120, -0.2616, -0.7177),
    (0.0, 0.0, 0.0),
)
_SD3_LATENT_RGB = (
    (-0.0922, -0.0175, 0.0749), (0.0311, 0.0633, 0.0954), (0.1994, 0.0927, 0.0458), (0.0856, 0.0339, 0.0902),
    (0.0587, 0.0272, -0.0496), (-0.0006, 0.1104, 0.0309), (0.0978, 0.0306, 0.0427), (-0.0042, 0.1038, 0.1358),
    (-0.0194, 0.0020, 0.0669), (-0.0488, 0.0130, -0.0268), (0.0922, 0.0988, 0.0951), (-0.0278, 0.0524, -0.0542),
    (0.0332, 0.0456, 0.0895), (-0.0069, -0.0030, -0.0810), (-0.0596, -0.0465, -0.0293), (-0.1448, -0.1463, -0.1189),
    (0.2394, 0.2135, 0.1925),
)


OPEN_RAIL_M = Licence(
    "CreativeML Open RAIL-M", "https://huggingface.co/spaces/CompVis/stable-diffusion-license",
    "Free use, commercial included, under use-based restrictions (nothing unlawful or harmful); you own your images.",
)
OPEN_RAIL_PP_M = Licence(
    "CreativeML Open RAIL++-M", "https://huggingface.co/stabilityai/stable-diffusion-2/blob/main/LICENSE-MODEL",
    "Free use, commercial included, under use-based restrictions (nothing unlawful or harmful); you own your images.",
)
STABILITY_COMMUNITY = Licence(
    "Stability AI Community License", "https://stability.ai/community-license-agreement",
    "Free for research, non-commercial use, and organisations with under US$1M annual revenue; others need an "
    "enterprise licence from Stability AI.",
    must_accept=True,
)


def _pipeline_spec(name: str, repo: str, description: str, files: tuple[str, ...], size: int) -> WeightSpec:
    return WeightSpec(
        name=name, filename=repo.split("/")[-1], description=description, hf_repo=repo, files=files,
        subdir="checkpoints", size_bytes=size,
    )


def _tokenizer_spec(name: str, repo: str, subfolders: tuple[str, ...]) -> WeightSpec:
    return WeightSpec(
        name=f"{name}-tokenizers", filename=f"{name}-tokenizers", hf_repo=repo,
        description=f"tokenizers for single-file {name} checkpoints", files=tuple(f"{s}/*" for s in subfolders),
        subdir="checkpoints",
    )


_SD15_REPO = "stable-diffusion-v1-5/stable-diffusion-v1-5"
_SD21_REPO = "stabilityai/stable-diffusion-2-1"
_SD3_REPO = "stabilityai/stable-diffusion-3-medium-diffusers"
_SD_TURBO_REPO = "stabilityai/sd-turbo"

# Sizes are those of the fp32 files _SD_FILES selects (fp16 for SD3, whose repository has no other), rounded.
SD15 = Family(
    key="sd15",
    pipeline="StableDiffusionPipeline",
    weights=_pipeline_spec("sd15", _SD15_REPO, "Stable Diffusion 1.5 pipeline weights", _SD_FILES, 4_270_000_000),
    tokenizers=_tokenizer_spec("sd15", _SD15_REPO, ("tokenizer",)),
    tokenizer_classes=(("tokenizer", "CLIPTokenizer"),),
    steps=25,
    guidance=7.5,
    size=512,
    latent_rgb=_SD_LATENT_RGB,
    licence=OPEN_RAIL_M,
)
SD21 = Family(
    key="sd21",
    pipeline="StableDiffusionPipeline",
    weights=_pipeline_spec(
        "sd21", _SD21_REPO, "Stable Diffusion 2.1 (768, v-prediction) pipeline weights", _SD_FILES, 5_170_000_000
    ),
    tokenizers=_tokenizer_spec("sd21", _SD21_REPO, ("tokenizer",)),
    tokenizer_classes=(("tokenizer", "CLIPTokenizer"),),
    steps=25,
    guidance=7.5,
    size=768,
    latent_rgb=_SD_LATENT_RGB,
    licence=OPEN_RAIL_PP_M,
)
SD3 = Family(
    key="sd3",
    pipeline="StableDiffusion3Pipeline",
    weights=_pipeline_spec(
        "sd3", _SD3_REPO, "Stable Diffusion 3 Medium pipeline weights (gated repo)", _SD3_FILES, 15_500_000_000
    ),
    tokenizers=_tokenizer_spec("sd3", _SD3_REPO, ("tokenizer", "tokenizer_2", "tokenizer_3")),
    tokenizer_classes=(
        ("tokenizer", "CLIPTokenizer"), ("tokenizer_2", "CLIPTokenizer"), ("tokenizer_3", "T5Tokenizer")
    ),
    steps=28,
    guidance=7.0,
    size=1024,
    latent_rgb=_SD3_LATENT_RGB,
    licence=STABILITY_COMMUNITY,
)
SD_TURBO = Family(
    key="sd-turbo",
    pipeline="StableDiffusionPipeline",
    weights=_pipeline_spec(
        "sd-turbo", _SD_TURBO_REPO, "SD-Turbo pipeline weights (SD 2.1 distilled to 1-4 steps)", _SD_FILES,
        5_170_000_000,
    ),
    tokenizers=_tokenizer_spec("sd-turbo", _SD_TURBO_REPO, ("tokenizer",)),
    tokenizer_classes=(("tokenizer", "CLIPTokenizer"),),
    steps=1,
    guidance=0.0,  # distilled without classifier-free guidance
    size=512,
    latent_rgb=_SD_LATENT_RGB,
    licence=STABILITY_COMMUNITY,
    # Few steps must start at the last timestep, or the first step sees a half-denoised image.
    scheduler="EulerAncestralDiscreteScheduler",
    scheduler_config=(("timestep_spacing", "trailing"),),
)
LCM_LORA = WeightSpec(
    name="lcm-lora-sd15", filename="lcm-lora-sdv1-5", subdir="checkpoints", files=("pytorch_lora_weights.safetensors",),
    description="LCM-LoRA for Stable Diffusion 1.5 (4-8 steps with the LCM scheduler)",
    hf_repo="latent-consistency/lcm-lora-sdv1-5", size_bytes=135_000_000,
)
SD15_LCM = Family(
    key="sd15-lcm",
    pipeline="StableDiffusionPipeline",
    weights=SD15.weights,
    tokenizers=SD15.tokenizers,
    tokenizer_classes=SD15.tokenizer_classes,
    steps=4,
    guidance=1.0,  # LCM folds guidance into the model: 1 turns classifier-free guidance off
    size=512,
    latent_rgb=_SD_LATENT_RGB,
    licence=OPEN_RAIL_M,  # SD 1.5's; the LCM-LoRA's own is Open RAIL++-M
    scheduler="LCMScheduler",
    fused_lora=LCM_LORA,
    config_key="sd15",
)
FAMILIES = {family.key: family for family in (SD15, SD21, SD3, SD_TURBO, SD15_LCM)}
