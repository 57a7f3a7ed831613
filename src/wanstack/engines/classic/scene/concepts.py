"""The prompt vocabulary of the procedural scene renderer, kept as data.

Every concept a prompt can name is one :class:`Concept` row in :data:`CONCEPTS`: a name, a kind,
its Chinese and English trigger words, and the parameters the renderer reads. Adding a concept is
adding a row; the renderer (:mod:`wanstack.engines.classic.scene.render`) only knows *styles* (a
material pattern, a terrain style, an element shape), so a new row that reuses an existing style
needs no code at all. English words of elements, props and terrains get their plurals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from wanstack.engines.classic.scene.spec import SceneSpec

KINDS = (
    "backdrop",
    "surface",
    "prop",
    "sky",
    "terrain",
    "element",
    "color",
    "light",
    "mood",
    "style",
    "meta",
)
"""Concept kinds. ``meta`` rows only swallow words that are not scene content (背景, 海报,
product…) so that they neither trigger shorter matches (海 in 海报) nor count as unknown."""


@dataclass(frozen=True)
class Concept:
    """One thing a prompt can ask for."""

    name: str
    kind: str
    words: tuple[str, ...]  #: lower-case English and Chinese triggers, plurals included
    params: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


def _p(**kw: object) -> Mapping[str, object]:
    return MappingProxyType(dict(kw))


_PLURAL_KINDS = frozenset({"element", "prop", "terrain"})


def _plural(word: str) -> str | None:
    if not word.isascii() or not word[-1:].isalpha() or word.endswith("s"):
        return None
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("x", "ch", "sh")):
        return word + "es"
    if word.endswith("f"):
        return word[:-1] + "ves"
    if word.endswith("fe"):
        return word[:-2] + "ves"
    return word + "s"


def _c(name: str, kind: str, words: str, **params: object) -> Concept:
    ws: list[str] = []
    for raw in words.split("|"):
        w = " ".join(raw.strip().lower().replace("-", " ").split())
        if w and w not in ws:
            ws.append(w)
    if kind in _PLURAL_KINDS:
        for w in list(ws):
            pl = _plural(w)
            if pl and pl not in ws:
                ws.append(pl)
    return Concept(name, kind, tuple(ws), _p(**params))


# fmt: off
CONCEPTS: tuple[Concept, ...] = (
    # ---------------------------------------------------------------- backdrops
    _c("studio", "backdrop", "影棚|摄影棚|棚拍|studio|photo studio|seamless|无缝背景|纯色背景|纯色|"
       "solid background|plain background|简约背景", style="studio"),
    _c("gradient", "backdrop", "渐变|渐变背景|渐变色|gradient|gradient background|ombre",
       style="gradient"),
    _c("paper backdrop", "backdrop", "背景纸|纸张背景|paper backdrop|paper background|kraft paper|"
       "牛皮纸", style="studio", texture="paper"),
    _c("wall", "backdrop", "墙|墙面|墙壁|wall|walls", style="wall"),
    _c("plaster wall", "backdrop", "石膏墙|艺术涂料|微水泥|plaster|stucco|plaster wall|"
       "limewash", style="wall", texture="plaster"),
    _c("brick wall", "backdrop", "砖墙|红砖|brick|bricks|brick wall", style="wall",
       texture="brick", color=(168, 98, 78)),
    _c("room", "backdrop", "室内|房间|客厅|interior|room|living room|home|家居", style="room"),
    _c("kitchen", "backdrop", "厨房|kitchen", style="room", color=(226, 220, 208)),
    _c("bathroom", "backdrop", "浴室|卫生间|洗手间|bathroom|spa", style="room",
       color=(222, 228, 230)),
    _c("bedroom", "backdrop", "卧室|bedroom|床头", style="room", color=(230, 222, 212)),
    _c("cafe", "backdrop", "咖啡馆|咖啡厅|cafe|coffee shop|restaurant|餐厅", style="room",
       color=(150, 112, 84)),
    _c("office", "backdrop", "办公室|书房|office|study room|workspace", style="room",
       color=(214, 216, 218)),
    _c("window", "backdrop", "窗户|窗边|窗台|窗前|window|windowsill|by the window", style="room",
       window=True),
    _c("curtain", "backdrop", "窗帘|幕布|帷幕|curtain|curtains|drape|drapes", style="curtain"),
    _c("abstract", "backdrop", "抽象|抽象背景|abstract|几何|geometric", style="abstract"),
    _c("shop", "backdrop", "商店|店铺|橱窗|展厅|boutique|showroom|store|shop window",
       style="room", color=(232, 226, 216)),
    # ---------------------------------------------------------------- surfaces
    _c("marble", "surface", "大理石|大理石台面|marble|marble tabletop|marble slab",
       pattern="marble", color=(236, 234, 230), glossy=True),
    _c("black marble", "surface", "黑色大理石|黑大理石|black marble|nero marquina",
       pattern="marble", color=(38, 38, 40), accent=(210, 206, 200), glossy=True),
    _c("wood", "surface", "木|木头|木质|木纹|木桌|木板|实木|原木|wood|wooden|wood grain|timber|"
       "oak|wooden table|wooden board|plank|planks", pattern="wood", color=(176, 128, 86)),
    _c("walnut", "surface", "胡桃木|深色木|walnut|dark wood|mahogany|红木", pattern="wood",
       color=(104, 70, 48)),
    _c("light wood", "surface", "浅色木|白橡木|桦木|light wood|birch|maple|ash wood|pine",
       pattern="wood", color=(214, 184, 146)),
    _c("concrete", "surface", "水泥|混凝土|水泥地|concrete|cement|concrete floor",
       pattern="concrete", color=(170, 168, 164)),
    _c("terrazzo", "surface", "水磨石|terrazzo", pattern="terrazzo", color=(226, 222, 214)),
    _c("linen", "surface", "亚麻|亚麻布|棉麻|布|布料|桌布|linen|cotton|fabric|cloth|tablecloth|"
       "canvas", pattern="linen", color=(222, 212, 196)),
    _c("silk", "surface", "丝绸|绸缎|缎面|silk|satin", pattern="silk", color=(236, 226, 214),
       glossy=False),
    _c("velvet", "surface", "丝绒|天鹅绒|绒布|velvet|velour", pattern="velvet",
       color=(96, 32, 50)),
    _c("leather", "surface", "皮革|真皮|leather", pattern="leather", color=(120, 78, 52)),
    _c("water surface", "surface", "水面|水|water|water surface|ripples|水波|涟漪",
       pattern="water", color=(120, 160, 180), glossy=True),
    _c("sand", "surface", "沙|沙子|沙地|细沙|sand|sandy|sand ground", pattern="sand",
       color=(222, 196, 156)),
    _c("snow", "surface", "雪|积雪|snow|snowy ground|snow ground", pattern="snow",
       color=(238, 242, 248)),
    _c("stone", "surface", "石|石头|石材|石板|岩板|stone|slate|rock slab|stone slab",
       pattern="stone", color=(128, 124, 120)),
    _c("granite", "surface", "花岗岩|granite", pattern="terrazzo", color=(150, 146, 142),
       glossy=True),
    _c("glass", "surface", "玻璃|亚克力|glass|acrylic|glass table|perspex", pattern="plain",
       color=(200, 210, 214), glossy=True),
    _c("mirror", "surface", "镜面|镜子|反光|倒影|mirror|reflective|reflection|reflections|glossy",
       pattern="plain", color=(180, 184, 188), glossy=True),
    _c("metal", "surface", "金属|不锈钢|拉丝|metal|metallic|steel|brushed metal|aluminium|"
       "aluminum|chrome", pattern="metal", color=(180, 182, 186), glossy=True),
    _c("lawn", "surface", "草坪|草皮|lawn|turf|grass|grass floor", pattern="grass",
       color=(96, 140, 70)),
    _c("moss", "surface", "苔藓|青苔|moss|mossy", pattern="grass", color=(92, 120, 58)),
    _c("tile", "surface", "瓷砖|地砖|砖面|tile|tiles|tiled|ceramic tile", pattern="tile",
       color=(232, 232, 228), glossy=True),
    _c("ceramic", "surface", "陶瓷|瓷|ceramic|porcelain", pattern="plain", color=(240, 238, 232),
       glossy=True),
    _c("table", "surface", "桌面|桌子|台面|餐桌|桌上|table|tabletop|table top|desk|countertop|"
       "counter", pattern="auto"),
    _c("floor", "surface", "地面|地上|地板|floor|ground|flooring", pattern="auto"),
    _c("carpet", "surface", "地毯|毯子|carpet|rug|blanket", pattern="linen", color=(206, 190, 170)),
    _c("soil", "surface", "泥土|土地|土壤|soil|dirt|earth", pattern="concrete",
       color=(120, 88, 62)),
    _c("pebbles", "surface", "鹅卵石|碎石|砾石|pebble|pebbles|gravel", pattern="pebbles",
       color=(170, 164, 156)),
    _c("ice", "surface", "冰|冰面|ice|frozen", pattern="ice", color=(214, 232, 242), glossy=True),
    _c("bamboo mat", "surface", "竹席|竹编|藤编|bamboo mat|rattan|wicker", pattern="bamboo",
       color=(206, 180, 130)),
    _c("paper", "surface", "纸|纸面|paper|cardboard|纸板", pattern="plain", color=(238, 234, 226)),
    # ---------------------------------------------------------------- props
    _c("podium", "prop", "展台|台子|展示台|圆台|底座|舞台|podium|plinth|pedestal|display stand|"
       "stage|round podium", style="podium"),
    _c("cube plinth", "prop", "方台|方块|立方体|盒子|cube|box|block|square plinth", style="cube"),
    _c("steps", "prop", "台阶|阶梯|楼梯|step|steps|stairs|staircase", style="steps"),
    _c("arch", "prop", "拱门|拱形|拱|arch|archway|arched", style="arch"),
    _c("sphere", "prop", "球|球体|圆球|sphere|ball|orb", style="sphere"),
    _c("cylinder", "prop", "圆柱|柱子|罗马柱|cylinder|column|pillar", style="cylinder"),
    _c("tray", "prop", "托盘|盘子|tray|plate|dish", style="tray"),
    _c("vase", "prop", "花瓶|瓶子|vase|jar", style="vase"),
    _c("books", "prop", "书|书本|book|books|stack of books", style="books"),
    _c("frame", "prop", "画框|相框|frame|picture frame", style="frame"),
    # ---------------------------------------------------------------- skies / time of day
    _c("clear sky", "sky", "晴天|蓝天|晴朗|天空|clear sky|blue sky|sky|skies|sunny day|daytime|"
       "白天", time="day"),
    _c("sunset", "sky", "晚霞|日落|落日|夕阳|余晖|sunset|sundown|setting sun|evening glow",
       time="sunset"),
    _c("sunrise", "sky", "日出|朝阳|朝霞|黎明|sunrise|dawn|daybreak", time="morning"),
    _c("dusk", "sky", "黄昏|傍晚|暮色|dusk|twilight|evening", time="dusk"),
    _c("night", "sky", "夜晚|夜|夜景|夜色|夜空|深夜|night|nighttime|midnight|night sky",
       time="night"),
    _c("starry sky", "sky", "星空|繁星|星星|银河|starry|starry sky|stars|milky way|galaxy",
       time="night", stars=True),
    _c("overcast", "sky", "阴天|多云|阴沉|overcast|cloudy|gloomy|grey sky", time="overcast"),
    _c("golden hour", "sky", "黄金时刻|黄金时段|金色时光|golden hour|golden light", time="golden"),
    _c("noon", "sky", "正午|中午|noon|midday|high noon", time="day", elevation=75.0),
    _c("morning", "sky", "早晨|清晨|早上|上午|morning|early morning", time="morning"),
    _c("blue hour", "sky", "蓝调时刻|蓝调|blue hour", time="dusk", cool=True),
    _c("aurora", "sky", "极光|北极光|aurora|northern lights|aurora borealis", time="night",
       aurora=True),
    _c("fog", "sky", "雾|薄雾|晨雾|雾气|云雾|fog|foggy|mist|misty|haze|hazy", haze=0.6),
    _c("rain", "sky", "雨|下雨|雨天|rain|rainy", time="overcast", haze=0.4),
    _c("moonlit", "sky", "月光下|月夜|moonlit|moonlight night", time="night", moon=True),
    # ---------------------------------------------------------------- terrains
    _c("mountains", "terrain", "山|山脉|群山|高山|山峰|远山|山峦|mountain|mountains|mountain range|"
       "peak|peaks|alps", style="mountains", floor="stone"),
    _c("snowy mountains", "terrain", "雪山|雪峰|snowy mountain|snow mountain|snow capped|"
       "snowcapped|snow capped mountain", style="mountains", snow=True, floor="snow"),
    _c("desert", "terrain", "沙漠|沙丘|荒漠|desert|dune|dunes|sahara", style="desert",
       floor="sand"),
    _c("sea", "terrain", "海|大海|海洋|海面|sea|ocean|seascape", style="sea", floor="sand"),
    _c("beach", "terrain", "海滩|沙滩|海边|海岸|beach|seaside|shore|coast|coastline",
       style="beach", floor="sand"),
    _c("forest", "terrain", "森林|树林|树木|丛林|林间|forest|woods|woodland|tree|trees|jungle",
       style="forest", floor="moss"),
    _c("grassland", "terrain", "草地|草原|牧场|草甸|grassland|meadow|prairie|pasture|field",
       style="hills", floor="lawn", green=True),
    _c("hills", "terrain", "丘陵|山丘|小山|山坡|hill|hills|rolling hills|hillside", style="hills",
       floor="lawn"),
    _c("city", "terrain", "城市|都市|高楼|街道|城市天际线|city|skyline|urban|buildings|street|"
       "downtown|cityscape", style="city", floor="concrete"),
    _c("city lights", "terrain", "城市灯光|城市夜景|万家灯火|霓虹|霓虹灯|city lights|city at night|"
       "neon|neon lights|night city", style="city", lights=True, time="night", floor="glass"),
    _c("lake", "terrain", "湖|湖泊|湖面|湖边|湖畔|lake|lakeside|pond", style="lake",
       floor="wood"),
    _c("river", "terrain", "河|河流|小溪|溪流|江|river|stream|creek", style="lake",
       floor="pebbles"),
    _c("snowfield", "terrain", "雪地|雪原|冰原|snowfield|snow field|snowy field|tundra",
       style="snowfield", floor="snow"),
    _c("canyon", "terrain", "峡谷|红岩|丹霞|canyon|red rocks|mesa", style="mountains",
       palette="red", floor="sand"),
    _c("island", "terrain", "岛|海岛|小岛|island", style="sea", island=True, floor="sand"),
    _c("countryside", "terrain", "田野|乡村|田园|农田|麦田|countryside|farmland|wheat field|"
       "rural", style="hills", floor="lawn", golden=True),
    _c("garden", "terrain", "花园|庭院|园林|garden|courtyard|backyard", style="forest",
       rounded=True, floor="lawn"),
    _c("park", "terrain", "公园|park", style="forest", rounded=True, floor="lawn"),
    _c("bamboo forest", "terrain", "竹林|竹子|bamboo|bamboo forest|bamboo grove", style="bamboo",
       floor="moss"),
    _c("tropical", "terrain", "热带|棕榈|椰子树|椰树|tropical|palm|palm tree|palm trees|tropics",
       style="beach", palms=True, floor="sand"),
    _c("glacier", "terrain", "冰川|冰山|glacier|iceberg", style="mountains", snow=True,
       palette="ice", floor="ice"),
    _c("tea garden", "terrain", "茶园|茶山|梯田|tea garden|tea field|terraces|rice terraces",
       style="hills", floor="lawn", green=True, stripes=True),
    # ---------------------------------------------------------------- elements
    _c("flowers", "element", "花|花朵|鲜花|花卉|花束|flower|flowers|floral|bouquet|blooms",
       shape="flower", color=(244, 190, 200), placement="frame"),
    _c("peach blossom", "element", "桃花|peach blossom|peach blossoms|peach flower",
       shape="blossom", color=(246, 166, 186), placement="frame"),
    _c("cherry blossom", "element", "樱花|樱桃花|cherry blossom|cherry blossoms|sakura",
       shape="blossom", color=(250, 206, 218), placement="frame"),
    _c("plum blossom", "element", "梅花|腊梅|plum blossom|plum blossoms", shape="blossom",
       color=(214, 60, 92), placement="frame"),
    _c("roses", "element", "玫瑰|玫瑰花|月季|rose|roses", shape="flower", color=(206, 44, 72),
       placement="frame"),
    _c("tulips", "element", "郁金香|tulip", shape="flower", color=(236, 94, 110),
       placement="frame"),
    _c("sunflowers", "element", "向日葵|sunflower", shape="flower", color=(246, 196, 40),
       placement="frame"),
    _c("lavender flowers", "element", "薰衣草|lavender field|lavender flowers|lavender sprigs",
       shape="flower", color=(170, 146, 210), placement="frame"),
    _c("leaves", "element", "树叶|叶子|叶|绿叶|叶片|枝叶|leaf|leaves|foliage|greenery",
       shape="leaf", color=(84, 140, 72), placement="frame"),
    _c("autumn leaves", "element", "落叶|枫叶|红叶|黄叶|autumn leaves|maple leaf|maple leaves|"
       "fallen leaves", shape="leaf", color=(214, 110, 46), placement="scatter"),
    _c("palm leaves", "element", "棕榈叶|龟背竹|芭蕉叶|monstera|palm leaf|palm leaves|"
       "banana leaf|tropical leaves", shape="leaf", color=(46, 112, 64), placement="frame",
       big=True),
    _c("petals", "element", "花瓣|petal|petals|rose petals", shape="petal", color=(248, 190, 204),
       placement="scatter"),
    _c("bokeh", "element", "光斑|散景|虚化|光晕|bokeh|blur lights|blurred lights|"
       "out of focus lights",
       shape="bokeh", color=(255, 226, 180), placement="back"),
    _c("plants", "element", "植物|绿植|盆栽|灌木|草丛|plant|plants|potted plant|shrub|bush|"
       "vegetation|succulent|多肉", shape="plant", color=(70, 112, 62), placement="horizon"),
    _c("cactus", "element", "仙人掌|cactus|cacti|saguaro", shape="cactus", color=(70, 110, 72),
       placement="horizon"),
    _c("rocks", "element", "岩石|石块|礁石|巨石|rock|rocks|boulder|boulders|stones",
       shape="rock", color=(128, 122, 116), placement="ground"),
    _c("clouds", "element", "云|云朵|白云|云彩|cloud|clouds|fluffy clouds", shape="cloud",
       color=(255, 255, 255), placement="sky"),
    _c("bubbles", "element", "泡泡|气泡|肥皂泡|bubble|bubbles|soap bubbles", shape="bubble",
       color=(230, 240, 255), placement="scatter"),
    _c("water drops", "element", "水珠|水滴|露珠|droplet|droplets|water drops|dew",
       shape="drop", color=(230, 240, 250), placement="scatter"),
    _c("dog", "element", "狗|小狗|狗狗|犬|dog|puppy|doggy|corgi", shape="dog",
       color=(214, 170, 118), placement="ground"),
    _c("cat", "element", "猫|小猫|猫咪|cat|kitten|kitty", shape="cat", color=(150, 140, 132),
       placement="ground"),
    _c("birds", "element", "鸟|小鸟|飞鸟|海鸥|bird|birds|seagull", shape="bird",
       color=(40, 40, 48), placement="sky"),
    _c("butterflies", "element", "蝴蝶|butterfly", shape="butterfly", color=(240, 170, 60),
       placement="scatter"),
    _c("balloons", "element", "气球|balloon", shape="balloon", color=(236, 110, 130),
       placement="frame"),
    _c("confetti", "element", "彩带|彩纸|五彩纸屑|confetti|streamers", shape="confetti",
       color=(240, 200, 90), placement="scatter"),
    _c("sparkles", "element", "闪光|亮片|星光|闪耀|金粉|sparkle|sparkles|glitter|shimmer|twinkle",
       shape="sparkle", color=(255, 236, 190), placement="scatter"),
    _c("lanterns", "element", "灯笼|红灯笼|lantern", shape="lantern", color=(214, 40, 36),
       placement="frame"),
    _c("snowflakes", "element", "雪花|飘雪|snowflake|snowflakes|falling snow|snowfall",
       shape="snowflake", color=(255, 255, 255), placement="scatter"),
    _c("fruit", "element", "水果|果实|fruit|fruits|berries|浆果", shape="round",
       color=(226, 120, 60), placement="ground"),
    _c("lemons", "element", "柠檬|lemon|citrus|橙子|orange slices", shape="round",
       color=(246, 214, 70), placement="ground"),
    _c("ice cubes", "element", "冰块|ice cube|ice cubes", shape="cube", color=(226, 240, 250),
       placement="ground"),
    _c("feathers", "element", "羽毛|feather", shape="petal", color=(246, 244, 240),
       placement="scatter"),
    _c("shells", "element", "贝壳|海螺|shell|seashell", shape="round", color=(240, 222, 206),
       placement="ground"),
    _c("branches", "element", "树枝|枝条|枯枝|branch|twig|driftwood", shape="branch",
       color=(96, 72, 56), placement="frame"),
    _c("string lights", "element", "灯串|串灯|小彩灯|string lights|fairy lights|light string",
       shape="string_lights", color=(255, 214, 150), placement="back"),
    _c("candles", "element", "蜡烛|烛台|candle|candlelight", shape="candle",
       color=(250, 240, 222), placement="ground"),
    _c("christmas tree", "element", "圣诞树|christmas tree|xmas tree", shape="tree",
       color=(40, 96, 60), placement="horizon"),
    _c("gifts", "element", "礼物|礼盒|礼品|gift|present|gift box", shape="cube",
       color=(200, 40, 50), placement="ground"),
    _c("pearls", "element", "珍珠|pearl", shape="round", color=(244, 240, 234),
       placement="ground"),
    _c("crystals", "element", "水晶|钻石|crystal|diamond", shape="sparkle", color=(230, 240, 255),
       placement="ground"),
    _c("sun", "element", "太阳|sun|sun disc", shape="sun", color=(255, 226, 170),
       placement="sky"),
    _c("moon", "element", "月亮|月|明月|满月|moon|full moon|crescent", shape="moon",
       color=(246, 242, 226), placement="sky"),
    _c("rainbow", "element", "彩虹|rainbow", shape="rainbow", color=(255, 255, 255),
       placement="sky"),
    _c("smoke", "element", "烟|烟雾|轻烟|smoke|steam|vapour|vapor", shape="smoke",
       color=(236, 236, 240), placement="back"),
    _c("leaf shadows", "element", "树影|光影|斑驳|叶影|leaf shadow|leaf shadows|dappled|"
       "dappled light|shadow play", shape="leaf_shadow", color=(0, 0, 0), placement="back"),
    # ---------------------------------------------------------------- colours
    _c("red", "color", "红色|红|大红|中国红|red|crimson|scarlet", rgb=(196, 42, 48)),
    _c("pink", "color", "粉色|粉红|粉红色|粉|pink|blush|rosy", rgb=(240, 184, 196)),
    _c("rose", "color", "玫红|玫瑰色|玫红色|rose pink|magenta|fuchsia", rgb=(214, 74, 124)),
    _c("coral", "color", "珊瑚色|珊瑚红|coral", rgb=(244, 128, 108)),
    _c("peach", "color", "桃色|蜜桃色|桃粉|peach|apricot|杏色", rgb=(248, 196, 164)),
    _c("orange", "color", "橙色|橘色|橙|橘黄|orange|tangerine", rgb=(240, 136, 48)),
    _c("yellow", "color", "黄色|黄|明黄|yellow|lemon yellow", rgb=(246, 214, 84)),
    _c("gold", "color", "金色|金|香槟金|gold|golden|金黄色", rgb=(212, 170, 86)),
    _c("champagne", "color", "香槟色|香槟|champagne", rgb=(232, 214, 180)),
    _c("beige", "color", "米色|米白|米黄|beige|ecru|oatmeal|sand color", rgb=(228, 214, 190)),
    _c("cream", "color", "奶油色|奶白|奶油|cream|ivory|off white|象牙白", rgb=(246, 238, 222)),
    _c("brown", "color", "棕色|咖啡色|褐色|棕|brown|coffee|chocolate|mocha|tan", rgb=(132, 92, 64)),
    _c("green", "color", "绿色|绿|翠绿|green|emerald", rgb=(72, 150, 92)),
    _c("mint", "color", "薄荷绿|薄荷色|mint|mint green", rgb=(176, 226, 204)),
    _c("sage", "color", "鼠尾草绿|灰绿色|莫兰迪绿|sage|sage green", rgb=(164, 180, 152)),
    _c("olive", "color", "橄榄绿|军绿色|olive|khaki|卡其色", rgb=(128, 128, 76)),
    _c("teal", "color", "青色|蓝绿色|孔雀蓝|teal|turquoise|cyan|aqua", rgb=(48, 156, 160)),
    _c("blue", "color", "蓝色|蓝|天蓝色|天蓝|blue|azure|sky blue|cobalt", rgb=(74, 128, 206)),
    _c("light blue", "color", "浅蓝色|浅蓝|淡蓝色|淡蓝|冰蓝|light blue|pale blue|baby blue|"
       "powder blue", rgb=(188, 214, 238)),
    _c("navy", "color", "藏青色|藏蓝|深蓝色|深蓝|海军蓝|navy|navy blue|dark blue|midnight blue",
       rgb=(30, 44, 86)),
    _c("purple", "color", "紫色|紫|purple|violet|plum", rgb=(128, 78, 168)),
    _c("lavender", "color", "淡紫色|浅紫色|香芋紫|lavender|lilac|mauve", rgb=(204, 190, 230)),
    _c("white", "color", "白色|白|纯白|洁白|white|pure white|snow white", rgb=(244, 243, 240)),
    _c("black", "color", "黑色|黑|纯黑|black|jet black|ebony", rgb=(26, 26, 28)),
    _c("grey", "color", "灰色|灰|浅灰|高级灰|grey|gray|light grey|light gray|charcoal",
       rgb=(168, 168, 170)),
    _c("silver", "color", "银色|银|silver", rgb=(200, 202, 206)),
    _c("burgundy", "color", "酒红色|酒红|勃艮第红|burgundy|wine red|maroon", rgb=(112, 30, 44)),
    _c("terracotta", "color", "陶土色|砖红色|赭石|terracotta|rust|ochre", rgb=(196, 110, 72)),
    _c("morandi", "color", "莫兰迪|莫兰迪色|morandi|muted|dusty", rgb=(190, 176, 168),
       muted=True),
    _c("pastel", "color", "马卡龙|马卡龙色|糖果色|pastel|pastels|candy colors", rgb=(236, 214, 226),
       muted=True),
    # ---------------------------------------------------------------- light
    _c("soft light", "light", "柔和的光线|柔和光线|柔光|柔和|柔和的光|散射光|漫射光|"
       "soft light|soft|"
       "softly lit|diffused|diffuse light|soft lighting|gentle light", softness=0.95),
    _c("hard light", "light", "硬光|强光|直射光|hard light|harsh light|direct sunlight|"
       "hard shadows|crisp shadows", softness=0.15),
    _c("warm light", "light", "暖光|暖色调|暖色|温暖|暖调|warm|warm light|warm tone|warm tones|"
       "cozy light", warmth=0.6),
    _c("cool light", "light", "冷光|冷色调|冷色|冷调|清冷|cool|cool light|cold|cool tones|"
       "cold light",
       warmth=-0.55),
    _c("backlit", "light", "逆光|背光|backlit|backlight|backlighting|back light|against the light",
       backlit=True),
    _c("rim light", "light", "轮廓光|边缘光|rim light|rim lighting|edge light", backlit=True,
       softness=0.5),
    _c("dramatic", "light", "戏剧性|戏剧化|戏剧|电影感|dramatic|cinematic|moody|chiaroscuro",
       softness=0.25, brightness=0.7, vignette=0.5),
    _c("sunny", "light", "阳光|阳光明媚|日光|晴|sunny|sunlight|sunshine|sunlit|bright sun",
       softness=0.35, warmth=0.35, brightness=1.08, sunbeam=True),
    _c("natural light", "light", "自然光|natural light|daylight|ambient light", softness=0.75),
    _c("window light", "light", "窗光|窗外的光|window light|light from window", softness=0.7,
       sunbeam=True),
    _c("spotlight", "light", "聚光灯|聚光|射灯|spotlight|spot light|spotlit", softness=0.3,
       spot=True, vignette=0.45),
    _c("side light", "light", "侧光|侧面光|side light|side lighting|sidelight", side=0.95,
       elevation=25.0),
    _c("top light", "light", "顶光|top light|overhead light|top down light", elevation=80.0),
    _c("bright", "light", "明亮|明亮的|光线充足|高调|bright|airy|high key|well lit|light and airy",
       brightness=1.1, softness=0.8),
    _c("dark", "light", "暗|暗调|低调|深色|昏暗|dark|dim|low key|dark tones|shadowy",
       brightness=0.55, vignette=0.4),
    _c("candlelight", "light", "烛光|candle light|candle lit|candlelit", warmth=0.8,
       brightness=0.7, softness=0.7),
    _c("moonlight", "light", "月光|moonlight|moon light", warmth=-0.5, brightness=0.6),
    _c("neon light", "light", "霓虹光|赛博朋克|cyberpunk|neon glow|neon light", warmth=-0.3,
       neon=True, brightness=0.7),
    _c("glow", "light", "发光|光芒|辉光|glow|glowing|radiant", glow=True),
    # ---------------------------------------------------------------- moods and styles
    _c("minimal", "mood", "极简|简约|简洁|简单|干净|minimal|minimalist|minimalistic|simple|clean|"
       "sleek", detail=0.25, vignette=0.1, saturation=0.9),
    _c("luxury", "mood", "奢华|高端|高级|高级感|轻奢|大气|奢侈|luxury|luxurious|premium|elegant|"
       "high end|upscale|sophisticated", vignette=0.35, saturation=0.95, contrast=1.08,
       backdrop=(46, 40, 38)),
    _c("natural", "mood", "自然|天然|有机|natural|organic|earthy|nature", saturation=0.95,
       backdrop=(222, 214, 196)),
    _c("festive", "mood", "节日|喜庆|节庆|热闹|festive|celebration|party|holiday",
       saturation=1.1, adds=("confetti",), backdrop=(178, 36, 42)),
    _c("christmas", "mood", "圣诞|圣诞节|christmas|xmas", adds=("string lights", "snowflakes"),
       warmth=0.3, backdrop=(120, 28, 34)),
    _c("chinese new year", "mood", "春节|新年|过年|国潮|中国风|chinese new year|spring festival|"
       "lunar new year|chinese style", adds=("lanterns",), backdrop=(184, 34, 38)),
    _c("valentine", "mood", "情人节|七夕|valentine|valentines day|love", adds=("petals",),
       backdrop=(232, 176, 186)),
    _c("cute", "mood", "可爱|萌|童趣|cute|adorable|lovely|playful|kawaii", saturation=0.9,
       backdrop=(246, 226, 222), pastel=True),
    _c("fresh", "mood", "清新|小清新|清爽|fresh|refreshing|crisp", saturation=0.95, warmth=-0.1,
       brightness=1.05, backdrop=(226, 238, 232)),
    _c("vintage", "mood", "复古|怀旧|老式|vintage|retro|nostalgic|film", saturation=0.8,
       warmth=0.35,
       vignette=0.35, grain=True),
    _c("modern", "mood", "现代|现代感|时尚|modern|contemporary|fashion|stylish", contrast=1.05),
    _c("romantic", "mood", "浪漫|温柔|romantic|dreamy|梦幻|ethereal", softness=0.95, warmth=0.2,
       saturation=0.9, glow=True),
    _c("zen", "mood", "禅意|禅|宁静|静谧|zen|calm|serene|tranquil|peaceful", saturation=0.85,
       detail=0.3),
    _c("tech", "mood", "科技|科技感|未来感|未来|tech|futuristic|sci fi|technology", warmth=-0.4,
       backdrop=(24, 30, 46)),
    _c("spring", "mood", "春天|春季|春|spring|springtime", adds=("flowers",), warmth=0.1),
    _c("summer", "mood", "夏天|夏日|夏季|summer|summertime", brightness=1.05, warmth=0.25),
    _c("autumn", "mood", "秋天|秋季|秋日|autumn|fall", adds=("autumn leaves",), warmth=0.45),
    _c("winter", "mood", "冬天|冬季|冬日|winter|wintry", adds=("snowflakes",), warmth=-0.4),
    _c("cozy", "mood", "温馨|舒适|惬意|cozy|cosy|homey|hygge", warmth=0.4, softness=0.85),
    _c("detailed", "style", "丰富的细节|细节丰富|丰富细节|细节|精致|高清|精细|"
       "detailed|highly detailed|"
       "rich details|intricate|8k|4k|hd", detail=0.9),
    _c("photorealistic", "style", "真实|写实|逼真|摄影|实拍|photorealistic|realistic|photo|"
       "photograph|photography|product photography|commercial", detail=0.7),
    _c("depth of field", "style", "景深|浅景深|背景虚化|depth of field|shallow depth of field|"
       "blurred background|blurry background", dof=1.0),
    _c("sharp", "style", "清晰|锐利|sharp|in focus|crisp focus", dof=0.2),
    _c("flat lay", "style", "俯拍|平铺|flat lay|top view|overhead", flat=True),
    # ---------------------------------------------------------------- meta (swallowed words)
    _c("background word", "meta", "背景|背景图|背景色|background|backdrop|backgrounds|scene|场景|"
       "画面|环境|setting|environment"),
    _c("product word", "meta", "产品|商品|主体|物体|宝贝|product|products|item|object|subject"),
    _c("image word", "meta", "图片|照片|图像|海报|主图|image|picture|poster|banner|wallpaper|"
       "壁纸|render"),
)
# fmt: on

BY_NAME: Mapping[str, Concept] = MappingProxyType({c.name: c for c in CONCEPTS})


def terrain_params(spec: SceneSpec) -> tuple[Mapping[str, object], ...]:
    """The params of the spec's terrain concepts (flags such as ``snow`` or ``lights``)."""
    return tuple(BY_NAME[n].params for n in spec.concepts if BY_NAME[n].kind == "terrain")


def concept_counts() -> dict[str, int]:
    """Number of concepts per kind."""
    counts: dict[str, int] = {}
    for c in CONCEPTS:
        counts[c.kind] = counts.get(c.kind, 0) + 1
    return counts
