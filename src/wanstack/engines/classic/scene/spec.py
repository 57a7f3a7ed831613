"""What a prompt resolves to: :class:`SceneSpec` (with its :class:`ElementSpec` rows), the
renderer's input. Always renderable; built by :func:`~.prompt.parse_prompt`."""

from __future__ import annotations

from dataclasses import dataclass

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class ElementSpec:
    """One element kind the scene scatters (petals, leaves, bokeh…)."""

    name: str  #: concept name
    shape: str  #: drawing style the renderer knows (``blossom``, ``leaf``, ``bokeh``…)
    color: RGB
    placement: str  #: ``frame`` | ``scatter`` | ``back`` | ``sky`` | ``horizon`` | ``ground``
    density: float = 1.0


@dataclass(frozen=True)
class SceneSpec:
    """What the prompt asks for, resolved to renderer parameters. Always renderable."""

    prompt: str
    concepts: tuple[str, ...]  #: names of the concepts found, prompt order, after negatives
    layout: str  #: ``studio`` | ``tabletop`` | ``outdoor`` | ``sky``
    backdrop: str  #: backdrop style (``studio``, ``gradient``, ``wall``, ``room``…)
    backdrop_color: RGB
    surface: str | None  #: material pattern of the floor/table (``marble``, ``wood``…)
    surface_color: RGB | None  #: None = the material's own colour
    glossy: bool  #: the floor reflects (water, glass, mirror, polished stone)
    props: tuple[str, ...]  #: prop styles (``podium``, ``steps``, ``arch``…)
    prop_color: RGB | None
    sky: str | None  #: sky concept name (outdoor layouts)
    time_of_day: (
        str  #: ``studio`` | ``day`` | ``morning`` | ``golden`` | ``sunset`` | ``dusk`` | ``night``
    )
    terrains: tuple[str, ...]  #: terrain styles, far to near in prompt order
    elements: tuple[ElementSpec, ...]
    colors: tuple[RGB, ...]  #: dominant colours named in the prompt (not bound to a concept)
    light_softness: float  #: 0 hard … 1 very soft
    light_warmth: float  #: -1 cool … +1 warm
    light_side: float  #: -1 light from the left … +1 from the right
    light_elevation: float  #: degrees above the horizon (low = long shadows)
    backlit: bool  #: the key light is behind the subject (sunsets, rim light)
    brightness: float  #: overall key, 1 = normal, < 1 low key
    saturation: float  #: colour multiplier of the final grade
    vignette: float  #: 0 … 1
    haze: float  #: atmospheric haze / fog 0 … 1
    ground: bool  #: the scene has a floor the subject stands on
    outdoor: bool
    detail: float  #: 0 … 1, how many elements and how fine the textures
    moods: tuple[str, ...]
    unknown: tuple[str, ...]  #: words that matched nothing
    removed: tuple[str, ...]  #: concept names dropped by the negative prompt
    is_default: bool  #: nothing scene-like was recognised; the default scene is used
