"""Bundled resources of a2i-studio: icons, small checkpoints with model cards, sample sounds.

Installed as the package ``a2i_resources``; find files with
:func:`a2i_studio.config.resources_dir`.
"""
