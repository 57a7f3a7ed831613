"""Engine family ``diffusers``: open-weight generative models through Hugging Face diffusers.

The only part of wanstack that imports torch or diffusers (an import-linter contract), so a
CPU-only install never does. One engine per DashScope task (``inpaint``, ``background``,
``image``), each driving any of several pipeline classes read from the weights the operator
names; :mod:`.runtime` loads them once per worker and runs them; :mod:`.pictures` holds the
image handling the engines share (framing to exact sizes, feathered composites, style prompts).
"""
