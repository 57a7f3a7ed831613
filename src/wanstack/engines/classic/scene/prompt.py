"""Prompt → :class:`~.spec.SceneSpec`: :func:`parse_prompt` turns a ``ref_prompt`` (and
``neg_ref_prompt``) into what the renderer draws.

* Words are found longest-first (:mod:`.lexicon`): ``桃花`` wins over ``花`` and ``city lights``
  over ``city``.
* A colour immediately before a concept (``粉色桃花``, ``white marble``) binds to it; other colours
  are the scene's dominant colours. ``浅``/``淡``/``light``/``pale`` and ``深``/``暗``/``dark``/
  ``deep`` before a colour lighten or darken it.
* ``远处``/``in the distance`` (and ``近处``/``foreground``) moves the elements that follow in the
  same clause to the horizon (or the foreground).
* Concepts whose words occur in the negative prompt are dropped, as are negated colours.
* Words that match nothing are listed in :attr:`SceneSpec.unknown`; a prompt with no scene
  concept at all gets the default scene, a soft neutral studio gradient on a light surface.

Precedence when one prompt names several concepts of a kind: the *first* backdrop, surface, sky
and time of day win (later ones are kept in :attr:`SceneSpec.concepts` but do not override);
terrains, props and elements accumulate; light, mood and style parameters apply in prompt order,
so the last word wins (``soft ... hard`` → hard).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from wanstack.engines.classic.scene.concepts import BY_NAME, Concept
from wanstack.engines.classic.scene.lexicon import (
    _CLAUSE,
    _DISTANCE_WORDS,
    _EN_STOP,
    _LEXICON,
    _is_cjk,
    _normalise,
    _shade,
    _unknown_words,
)
from wanstack.engines.classic.scene.spec import RGB, ElementSpec, SceneSpec

DEFAULT_BACKDROP: RGB = (234, 230, 224)
DEFAULT_SURFACE: RGB = (236, 233, 228)


def _f(params: Mapping[str, object], key: str, default: float) -> float:
    v = params.get(key, default)
    return float(v) if isinstance(v, int | float) else default


def _rgb(v: object) -> RGB | None:
    if isinstance(v, tuple) and len(v) == 3 and all(isinstance(x, int) for x in v):
        return (int(v[0]), int(v[1]), int(v[2]))
    return None


_SKY_LIGHT: Mapping[str, tuple[float, float, float, float, float]] = MappingProxyType(
    {
        # time: (warmth, elevation, brightness, softness, side)
        "day": (0.1, 55.0, 1.0, 0.55, -0.5),
        "morning": (0.3, 18.0, 1.0, 0.7, -0.7),
        "golden": (0.65, 12.0, 1.0, 0.6, 0.6),
        "sunset": (0.75, 6.0, 0.95, 0.7, 0.35),
        "dusk": (0.2, 3.0, 0.8, 0.9, 0.4),
        "night": (-0.45, 30.0, 0.65, 0.9, -0.3),
        "overcast": (-0.1, 60.0, 0.9, 1.0, -0.2),
    }
)


def parse_prompt(prompt: str, negative: str = "") -> SceneSpec:
    """Parse a prompt (Chinese, English or mixed) into a renderable :class:`SceneSpec`.

    Never raises: an empty or unintelligible prompt gives the default studio scene."""
    text = _normalise(prompt or "")
    matches = _LEXICON.match(text)
    neg_text = _normalise(negative or "")
    neg_matches = _LEXICON.match(neg_text) if neg_text.strip() else []
    banned = {c.name for _, _, c, _ in neg_matches if c.kind != "meta"}
    removed = tuple(dict.fromkeys(c.name for _, _, c, _ in matches if c.name in banned))
    unknown = tuple(_unknown_words(text, [(a, b) for a, b, _, _ in matches]))
    matches = [m for m in matches if m[2].name not in banned and m[2].kind != "meta"]

    # distance words: position -> placement, valid until the end of their clause
    distance_marks: list[tuple[int, int, str]] = []
    for w, placement in _DISTANCE_WORDS.items():
        pat = re.escape(w) if _is_cjk(w) else r"(?<![a-z])" + re.escape(w) + r"(?![a-z])"
        for m in re.finditer(pat, text):
            clause_end = len(text)
            nxt = _CLAUSE.search(text, m.end())
            if nxt:
                clause_end = nxt.start()
            distance_marks.append((m.start(), clause_end, placement))

    def placement_at(pos: int, default: str) -> str:
        for a, b, p in distance_marks:
            if a <= pos < b:
                if default in ("sky", "back") and p == "horizon":
                    return default
                return p
        return default

    # colour binding: a colour binds to the next concept (skipping modifiers) if nothing but
    # stopwords and spaces lie between them, within the same clause
    bound: dict[int, RGB] = {}
    free_colors: list[RGB] = []
    muted = False
    for i, (_a, b, c, mod) in enumerate(matches):
        if c.kind != "color":
            continue
        rgb = _rgb(c.params.get("rgb")) or DEFAULT_BACKDROP
        rgb = _shade(rgb, mod)
        muted = muted or bool(c.params.get("muted"))
        target = None
        pos = b
        for j in range(i + 1, len(matches)):
            a2, b2, c2, _ = matches[j]
            gap = text[pos:a2]
            gap_clean = re.sub(r"[\s的色]", "", gap)
            gap_words = [g for g in re.findall(r"[a-z0-9]+", gap_clean) if g not in _EN_STOP]
            if _CLAUSE.search(gap) or re.search(r"[\u3400-\u9fff]", gap_clean) or gap_words:
                break
            if c2.kind in ("color", "mood", "style", "light"):
                pos = b2
                continue
            if c2.kind in ("element", "surface", "backdrop", "prop"):
                target = j
            break
        if target is not None and target not in bound:
            bound[target] = rgb
        elif rgb not in free_colors:
            free_colors.append(rgb)

    names: list[str] = []
    backdrop: str | None = None
    backdrop_color: RGB | None = None
    surface: str | None = None
    surface_name: str | None = None
    surface_color: RGB | None = None
    glossy = False
    props: list[str] = []
    prop_color: RGB | None = None
    sky: str | None = None
    time_of_day: str | None = None
    terrains: list[str] = []
    terrain_concepts: list[Concept] = []
    elements: list[ElementSpec] = []
    element_names: set[str] = set()
    moods: list[str] = []
    window = False
    haze = 0.0
    light: dict[str, float] = {}
    mood_light: dict[str, float] = {}
    flags: dict[str, bool] = {}
    detail = 0.5
    saturation = 1.0
    vignette = 0.18
    mood_backdrop: RGB | None = None
    adds: list[str] = []

    def add_element(c: Concept, pos: int, color: RGB | None) -> None:
        if c.name in element_names:
            return
        element_names.add(c.name)
        place = placement_at(pos, str(c.params.get("placement", "scatter")))
        col = color or _rgb(c.params.get("color")) or (240, 240, 240)
        density = 1.4 if c.params.get("big") else 1.0
        elements.append(
            ElementSpec(c.name, str(c.params.get("shape", "bokeh")), col, place, density)
        )

    for i, (a, _b, c, _mod) in enumerate(matches):
        if c.name not in names:
            names.append(c.name)
        p = c.params
        col = bound.get(i)
        if c.kind == "backdrop":
            window = window or bool(p.get("window"))
            if backdrop is None:
                backdrop = str(p.get("style", "studio"))
                backdrop_color = col or _rgb(p.get("color"))
        elif c.kind == "surface":
            pat = str(p.get("pattern", "plain"))
            if surface is None or (surface == "auto" and pat != "auto"):
                surface = pat
                surface_name = c.name
                surface_color = col or _rgb(p.get("color")) or surface_color
                glossy = glossy or bool(p.get("glossy"))
            elif col is not None and surface_color is None:
                surface_color = col
            if c.name == "mirror":
                glossy = True
        elif c.kind == "prop":
            style = str(p.get("style", "podium"))
            if style not in props:
                props.append(style)
            prop_color = prop_color or col
        elif c.kind == "sky":
            t = p.get("time")
            if isinstance(t, str) and time_of_day is None:
                time_of_day = t
                sky = c.name
            haze = max(haze, _f(p, "haze", 0.0))
            for k in ("stars", "aurora", "moon", "cool"):
                if p.get(k):
                    flags[k] = True
            if "elevation" in p:
                light["elevation"] = _f(p, "elevation", 50.0)
        elif c.kind == "terrain":
            style = str(p.get("style", "hills"))
            terrain_concepts.append(c)
            if c.name not in terrains:
                terrains.append(c.name)
            if isinstance(p.get("time"), str) and time_of_day is None:
                time_of_day = str(p["time"])
            del style
        elif c.kind == "element":
            add_element(c, a, col)
        elif c.kind == "light":
            for k in ("softness", "warmth", "side", "elevation", "brightness", "vignette"):
                if k in p:
                    light[k] = _f(p, k, 0.0)
            if p.get("backlit"):
                flags["backlit"] = True
            for k in ("sunbeam", "spot", "neon", "glow"):
                if p.get(k):
                    flags[k] = True
        elif c.kind in ("mood", "style"):
            if c.kind == "mood":
                moods.append(c.name)
            detail = _f(p, "detail", detail)
            saturation *= _f(p, "saturation", 1.0)
            vignette = max(vignette, _f(p, "vignette", 0.0))
            for k in ("warmth", "softness", "brightness"):
                if k in p:
                    mood_light[k] = _f(p, k, 0.0)
            mood_backdrop = mood_backdrop or _rgb(p.get("backdrop"))
            if "dof" in p:
                flags["dof_" + ("on" if _f(p, "dof", 0.0) > 0.5 else "off")] = True
            for k in ("glow", "grain", "pastel"):
                if p.get(k):
                    flags[k] = True
            extra = p.get("adds")
            if isinstance(extra, tuple):
                adds.extend(str(x) for x in extra)
    for name in adds:
        implied = BY_NAME.get(name)
        if implied is not None and implied.kind == "element" and name not in banned:
            add_element(implied, len(text), None)

    # ------------------------------------------------------------------ layout
    scene_like = bool(backdrop or surface or props or sky or terrains or elements)
    is_default = not scene_like
    outdoor = bool(terrains) or (sky is not None and backdrop is None)
    if backdrop in ("studio", "gradient") and terrains:
        outdoor = True  # "mountains gradient" → outdoor scene, softened
    if outdoor:
        layout = "outdoor"
        if not terrains and surface is None and not props:
            layout = "sky"
    elif backdrop in (None, "studio", "gradient", "abstract"):
        layout = "tabletop" if surface not in (None, "auto") and backdrop is None else "studio"
    else:
        layout = "tabletop"
    if layout == "studio" and surface not in (None, "auto", "plain"):
        layout = "tabletop"  # a studio wall over a textured floor
    if time_of_day is None:
        time_of_day = "day" if outdoor else "studio"
    ground = layout != "sky"

    # surface
    if surface == "auto":
        surface = None
    if surface is None and outdoor and terrain_concepts:
        floor = str(terrain_concepts[-1].params.get("floor", "stone"))
        fc = BY_NAME.get(floor)
        if fc is not None:
            surface = str(fc.params.get("pattern", "plain"))
            surface_name = fc.name
            surface_color = surface_color or _rgb(fc.params.get("color"))
            glossy = glossy or bool(fc.params.get("glossy"))
    if surface is None and layout == "tabletop":
        surface = "plain"
    if surface == "water" and not outdoor:
        glossy = True

    colors = tuple(free_colors)
    if backdrop is None:
        backdrop = "studio" if layout in ("studio", "tabletop") else "sky"
    if backdrop_color is None:
        if colors:
            backdrop_color = colors[0]
        elif mood_backdrop is not None:
            backdrop_color = mood_backdrop
        elif elements and layout == "studio":
            # a pale tint of the first element's colour: 粉色桃花 → blush studio
            ec = elements[0].color
            backdrop_color = _mix(ec, (238, 236, 232), 0.78)
        else:
            backdrop_color = DEFAULT_BACKDROP
    if flags.get("pastel") or muted:
        backdrop_color = _mix(backdrop_color, (240, 236, 232), 0.35)
    if surface_color is None and surface in ("plain", None) and layout in ("studio", "tabletop"):
        surface_color = _mix(backdrop_color, (240, 238, 234), 0.35)
    if prop_color is None and props:
        base = colors[1] if len(colors) > 1 else backdrop_color
        prop_color = _mix(base, (255, 255, 255), 0.12)

    warmth, elevation, brightness, softness, side = _SKY_LIGHT.get(
        time_of_day, (0.08, 50.0, 1.0, 0.75, -0.5)
    )
    if flags.get("cool"):
        warmth = -0.4
    for k, v in mood_light.items():
        if k == "warmth":
            warmth = v
        elif k == "softness":
            softness = v
        elif k == "brightness":
            brightness = v
    warmth = light.get("warmth", warmth)
    softness = light.get("softness", softness)
    brightness = light.get("brightness", brightness)
    elevation = light.get("elevation", elevation)
    side = light.get("side", side)
    vignette = max(vignette, light.get("vignette", 0.0))
    backlit = bool(flags.get("backlit")) or time_of_day in ("sunset", "dusk", "golden")
    if layout in ("studio", "tabletop") and "brightness" not in light:
        lum = sum(backdrop_color) / 765.0
        if lum < 0.3:
            vignette = max(vignette, 0.3)
    for extra_flag in ("stars", "aurora", "moon", "sunbeam", "spot", "neon", "glow", "grain"):
        if flags.get(extra_flag):
            moods.append("+" + extra_flag)
    if window:
        moods.append("+window")
    if flags.get("dof_on"):
        moods.append("+dof")
    if flags.get("dof_off"):
        moods.append("+sharp")
    del surface_name

    return SceneSpec(
        prompt=prompt or "",
        concepts=tuple(names),
        layout=layout,
        backdrop=backdrop,
        backdrop_color=backdrop_color,
        surface=surface,
        surface_color=surface_color,
        glossy=glossy,
        props=tuple(props),
        prop_color=prop_color,
        sky=sky,
        time_of_day=time_of_day,
        terrains=tuple(str(BY_NAME[t].params.get("style", "hills")) for t in terrains),
        elements=tuple(elements),
        colors=colors,
        light_softness=min(max(softness, 0.0), 1.0),
        light_warmth=min(max(warmth, -1.0), 1.0),
        light_side=min(max(side, -1.0), 1.0),
        light_elevation=min(max(elevation, 2.0), 89.0),
        backlit=backlit,
        brightness=min(max(brightness, 0.3), 1.3),
        saturation=min(max(saturation, 0.4), 1.5),
        vignette=min(max(vignette, 0.0), 1.0),
        haze=min(max(haze, 0.0), 1.0),
        ground=ground,
        outdoor=outdoor,
        detail=min(max(detail, 0.0), 1.0),
        moods=tuple(dict.fromkeys(moods)),
        unknown=unknown,
        removed=removed,
        is_default=is_default,
    )


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    """``a`` moved toward ``b`` by ``t``."""
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )
