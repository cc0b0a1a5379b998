"""Built-in backend families of a2i-studio, installed as ``a2i_plugins``.

Each family is a plugin package registered through the ``a2i_studio`` entry
point group, exactly as a third-party plugin would be.
"""
