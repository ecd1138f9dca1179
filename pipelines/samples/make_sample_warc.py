"""Build ``commoncrawl-sample.warc.gz``, the small sample WARC that ships with curate.

The sample imitates one Common Crawl WARC file closely enough to exercise the whole
first pipeline (read WARC -> extract main text from HTML -> language ID -> keep
English -> write Parquet), while staying small (well under 150 KB) and fully
reproducible.

What it contains
----------------
* One ``warcinfo`` record first.
* For every fetched URL a ``request`` record followed by its ``response`` record
  (``application/http; msgtype=response``: HTTP status line, headers, payload), linked
  by ``WARC-Concurrent-To``, like Common Crawl. A few responses are followed by a
  ``metadata`` record (``fetchTimeMs``, ``charset-detected``).
* 30 HTML pages (HTTP 200) on made-up ``.example`` sites, rendered with four page
  templates (blog, news, docs, forum) that carry navigation menus, headers,
  "related posts" sidebars, newsletter boxes and cookie/copyright footers around the
  main text: 19 English (16 articles or threads, an exact duplicate, a near-duplicate
  and a sign-in stub), 3 German, 3 French, 3 Spanish and 2 Japanese.
* Special cases for the reader and later stages:

  - an ISO-8859-1 German page whose charset is given only in ``<meta charset>``;
  - a Shift_JIS Japanese page (``Content-Type: text/html; charset=Shift_JIS``);
  - an HTML page served as ``text/plain`` and one with no ``Content-Type`` at all;
  - an exact duplicate (same bytes, URL with tracking parameters) and a
    near-duplicate (one sentence changed) of English articles;
  - a "sign in required" stub whose main text is nearly empty;
  - non-HTML responses (PNG, CSS, JSON, robots.txt), an empty 200 response and
    a 404 page.

All text was written for the curate project and is released under CC0 1.0; see
``SAMPLES.md`` next to this file for the full list of records.

Determinism
-----------
Dates are fixed, record IDs are ``uuid5`` values derived from a counter, there is
no randomness, and warcio compresses every record as its own gzip member with a
zero mtime, so running the script twice produces byte-identical output.

Regenerate with::

    python pipelines/samples/make_sample_warc.py

(``-o PATH`` writes somewhere else; ``--list`` prints the responses, in file order, as
the Markdown table used in ``SAMPLES.md``.)
"""

import argparse
import hashlib
import io
import struct
import sys
import textwrap
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from html import escape
from pathlib import Path
from urllib.parse import urlsplit

from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

OUTPUT_NAME = "commoncrawl-sample.warc.gz"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / OUTPUT_NAME
MAX_OUTPUT_BYTES = 150_000

CRAWL_START = datetime(2024, 4, 18, 2, 13, 7, tzinfo=timezone.utc)
RECORD_NAMESPACE = uuid.uuid5(
    uuid.NAMESPACE_URL, "https://curate.example/samples/commoncrawl-sample"
)
USER_AGENT = "curate-samplebot/1.0 (+https://curate.example/samplebot)"
UTF8_META = '<meta charset="utf-8">'


# --------------------------------------------------------------------------- model


@dataclass(frozen=True)
class Site:
    domain: str
    name: str
    lang: str
    tagline: str
    nav: tuple[tuple[str, str], ...]
    ip: str
    server: str
    content_type: str = "text/html; charset=utf-8"
    gzip_transfer: bool = False


@dataclass(frozen=True)
class Article:
    key: str
    site: Site
    path: str
    template: str  # "blog" | "news" | "docs" | "forum"
    headline: str
    author: str
    published: str
    body: str  # paragraphs separated by blank lines
    related: tuple[tuple[str, str], ...]
    code: str = ""  # docs only: shown after the second paragraph
    post_authors: tuple[str, ...] = ()  # forum only: one author per paragraph
    # How the page is delivered: "" uses the site's usual Content-Type, ``None`` omits the
    # header entirely, anything else is sent as given.
    content_type: str | None = ""
    encoding: str = "utf-8"
    meta: str = UTF8_META
    note: str = ""

    @property
    def url(self) -> str:
        return f"https://{self.site.domain}{self.path}"

    @property
    def paragraphs(self) -> tuple[str, ...]:
        sep = "" if self.site.lang == "ja" else " "
        blocks = textwrap.dedent(self.body).strip().split("\n\n")
        return tuple(sep.join(line.strip() for line in b.splitlines()) for b in blocks)


@dataclass(frozen=True)
class Fetch:
    """One request/response pair as it will be written."""

    url: str
    status: int
    reason: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    server_ip: str
    identified_type: str
    lang: str = ""
    note: str = ""
    metadata: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    template: str = ""


# --------------------------------------------------------------------------- boilerplate

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "related": "Related posts",
        "cookie": "This site uses cookies to remember your preferences and to measure traffic. "
        "By continuing to browse, you accept our use of cookies.",
        "accept": "Accept",
        "rights": "All rights reserved.",
        "privacy": "Privacy policy",
        "terms": "Terms of use",
        "by": "By",
        "published": "Published",
        "share": "Share this article",
        "newsletter": "Get new posts by email",
        "subscribe": "Subscribe",
        "search": "Search",
        "skip": "Skip to content",
        "reply": "Reply",
        "quote": "Quote",
        "joined": "Joined",
        "posts": "posts",
        "edit": "Edit this page",
        "prev": "Previous",
        "next": "Next",
        "comment": "Leave a comment",
        "most_read": "Most read",
        "top": "Back to top",
        "signin": "Sign in",
        "home": "Home",
    },
    "de": {
        "related": "Ähnliche Beiträge",
        "cookie": "Diese Website verwendet Cookies, um Ihre Einstellungen zu speichern und "
        "Besuche zu zählen. Wenn Sie weitersurfen, stimmen Sie der Verwendung zu.",
        "accept": "Akzeptieren",
        "rights": "Alle Rechte vorbehalten.",
        "privacy": "Datenschutz",
        "terms": "Impressum",
        "by": "Von",
        "published": "Veröffentlicht am",
        "share": "Artikel teilen",
        "newsletter": "Neue Beiträge per E-Mail",
        "subscribe": "Abonnieren",
        "search": "Suche",
        "skip": "Zum Inhalt springen",
        "reply": "Antworten",
        "quote": "Zitieren",
        "joined": "Dabei seit",
        "posts": "Beiträge",
        "edit": "Seite bearbeiten",
        "prev": "Zurück",
        "next": "Weiter",
        "comment": "Kommentar schreiben",
        "most_read": "Meistgelesen",
        "top": "Nach oben",
        "signin": "Anmelden",
        "home": "Startseite",
    },
    "fr": {
        "related": "Articles similaires",
        "cookie": "Ce site utilise des cookies pour mémoriser vos préférences et mesurer "
        "l'audience. En poursuivant votre navigation, vous acceptez leur utilisation.",
        "accept": "Accepter",
        "rights": "Tous droits réservés.",
        "privacy": "Politique de confidentialité",
        "terms": "Mentions légales",
        "by": "Par",
        "published": "Publié le",
        "share": "Partager cet article",
        "newsletter": "Recevoir les nouveaux articles par e-mail",
        "subscribe": "S'abonner",
        "search": "Rechercher",
        "skip": "Aller au contenu",
        "reply": "Répondre",
        "quote": "Citer",
        "joined": "Inscrit depuis",
        "posts": "messages",
        "edit": "Modifier cette page",
        "prev": "Précédent",
        "next": "Suivant",
        "comment": "Laisser un commentaire",
        "most_read": "Les plus lus",
        "top": "Haut de page",
        "signin": "Connexion",
        "home": "Accueil",
    },
    "es": {
        "related": "Artículos relacionados",
        "cookie": "Este sitio utiliza cookies para recordar sus preferencias y medir las "
        "visitas. Si continúa navegando, acepta su uso.",
        "accept": "Aceptar",
        "rights": "Todos los derechos reservados.",
        "privacy": "Política de privacidad",
        "terms": "Aviso legal",
        "by": "Por",
        "published": "Publicado el",
        "share": "Compartir",
        "newsletter": "Recibe las novedades por correo",
        "subscribe": "Suscribirse",
        "search": "Buscar",
        "skip": "Saltar al contenido",
        "reply": "Responder",
        "quote": "Citar",
        "joined": "Miembro desde",
        "posts": "mensajes",
        "edit": "Editar esta página",
        "prev": "Anterior",
        "next": "Siguiente",
        "comment": "Deja un comentario",
        "most_read": "Lo más leído",
        "top": "Volver arriba",
        "signin": "Entrar",
        "home": "Inicio",
    },
    "ja": {
        "related": "関連記事",
        "cookie": "当サイトでは、利便性の向上とアクセス解析のためにクッキーを使用しています。"
        "閲覧を続けることで、クッキーの使用に同意したものとみなします。",
        "accept": "同意する",
        "rights": "無断転載を禁じます。",
        "privacy": "プライバシーポリシー",
        "terms": "利用規約",
        "by": "投稿者:",
        "published": "公開日:",
        "share": "この記事をシェアする",
        "newsletter": "新着記事をメールで受け取る",
        "subscribe": "登録",
        "search": "検索",
        "skip": "本文へスキップ",
        "reply": "返信",
        "quote": "引用",
        "joined": "登録日",
        "posts": "件の投稿",
        "edit": "このページを編集",
        "prev": "前へ",
        "next": "次へ",
        "comment": "コメントを書く",
        "most_read": "よく読まれている記事",
        "top": "ページの先頭へ",
        "signin": "ログイン",
        "home": "ホーム",
    },
}


# --------------------------------------------------------------------------- sites

RIVERBEND = Site(
    "riverbend-gardening.example",
    "Riverbend Gardening",
    "en",
    "Growing food in a small riverside plot, one season at a time",
    (
        ("Home", "/"),
        ("Vegetables", "/vegetables/"),
        ("Fruit &amp; Herbs", "/fruit-and-herbs/"),
        ("Soil &amp; Compost", "/soil/"),
        ("Seed Swap", "/seed-swap/"),
        ("About", "/about/"),
    ),
    "192.0.2.11",
    "nginx",
)
SALTMARSH = Site(
    "saltmarsh-kitchen.example",
    "Saltmarsh Kitchen",
    "en",
    "Unfussy home cooking from a small coastal kitchen",
    (
        ("Recipes", "/recipes/"),
        ("Soups", "/recipes/soups/"),
        ("Baking", "/recipes/baking/"),
        ("Pantry Notes", "/notes/"),
        ("Shop", "/shop/"),
        ("About", "/about/"),
    ),
    "192.0.2.24",
    "Apache",
    content_type="text/html; charset=UTF-8",
)
GAZETTE = Site(
    "harbortown-gazette.example",
    "The Harbortown Gazette",
    "en",
    "News for Harbortown and the Narrows since 1889",
    (
        ("News", "/news/"),
        ("Local History", "/history/"),
        ("Community", "/community/"),
        ("Sport", "/sport/"),
        ("Opinion", "/opinion/"),
        ("Weather", "/weather/"),
        ("Subscribe", "/subscribe/"),
    ),
    "198.51.100.7",
    "nginx",
    gzip_transfer=True,
)
NORTHRIDGE = Site(
    "northridge-cyclists.example",
    "Northridge Cyclists Club",
    "en",
    "Friendly road, gravel and touring rides every weekend",
    (
        ("Home", "/"),
        ("Forum", "/forum/"),
        ("Rides Calendar", "/rides/"),
        ("Route Library", "/routes/"),
        ("Membership", "/join/"),
        ("Contact", "/contact/"),
    ),
    "198.51.100.42",
    "Caddy",
)
DARKSKY = Site(
    "darksky-notes.example",
    "Dark Sky Notes",
    "en",
    "Naked-eye and binocular astronomy for beginners",
    (
        ("Home", "/"),
        ("Observing Guides", "/guides/"),
        ("Equipment", "/equipment/"),
        ("Sky This Month", "/this-month/"),
        ("Glossary", "/glossary/"),
        ("About", "/about/"),
    ),
    "203.0.113.5",
    "Apache/2.4",
)
TINYQUEUE = Site(
    "docs.tinyqueue.example",
    "tinyqueue documentation",
    "en",
    "A small SQLite-backed job queue for Python",
    (
        ("Getting started", "/en/latest/getting-started"),
        ("Configuring retries", "/en/latest/retries"),
        ("Running workers", "/en/latest/workers"),
        ("Scheduling jobs", "/en/latest/scheduling"),
        ("API reference", "/en/latest/api"),
        ("Changelog", "/en/latest/changelog"),
    ),
    "203.0.113.80",
    "nginx",
    content_type="text/html;charset=utf-8",
)
TINYQUEUE_FR = replace(
    TINYQUEUE,
    name="Documentation de tinyqueue",
    lang="fr",
    tagline="Une petite file de tâches pour Python, adossée à SQLite",
    nav=(
        ("Premiers pas", "/fr/latest/premiers-pas"),
        ("Nouvelles tentatives", "/fr/latest/tentatives"),
        ("Travailleurs", "/fr/latest/travailleurs"),
        ("Planification", "/fr/latest/planification"),
        ("Référence de l'API", "/fr/latest/api"),
        ("Notes de version", "/fr/latest/versions"),
    ),
)
WANDERLOG = Site(
    "wanderlog-journal.example",
    "Wanderlog Journal",
    "en",
    "Slow travel on foot and by rail",
    (
        ("Stories", "/stories/"),
        ("Essays", "/essays/"),
        ("Walking", "/walking/"),
        ("Rail Travel", "/rail/"),
        ("Destinations", "/destinations/"),
        ("About", "/about/"),
    ),
    "192.0.2.130",
    "LiteSpeed",
    gzip_transfer=True,
)
MAKERBENCH = Site(
    "maker-bench.example",
    "Maker Bench",
    "en",
    "A workshop forum for people who make and mend things",
    (
        ("Forum", "/forum/"),
        ("Woodworking", "/forum/woodworking/"),
        ("Electronics", "/forum/electronics/"),
        ("Metalwork", "/forum/metalwork/"),
        ("Show &amp; Tell", "/forum/show-and-tell/"),
        ("Sign in", "/account/login"),
    ),
    "198.51.100.150",
    "nginx",
)
WALDWEG = Site(
    "waldweg-wandern.example",
    "Waldweg Wandern",
    "de",
    "Tourenberichte aus den Mittelgebirgen",
    (
        ("Startseite", "/"),
        ("Touren", "/touren/"),
        ("Ausrüstung", "/ausruestung/"),
        ("Wandertipps", "/tipps/"),
        ("Über uns", "/ueber-uns/"),
        ("Kontakt", "/kontakt/"),
    ),
    "192.0.2.201",
    "Apache",
)
BIRKENFELDE = Site(
    "stadtchronik-birkenfelde.example",
    "Stadtchronik Birkenfelde",
    "de",
    "Geschichte und Geschichten aus unserem Ort",
    (
        ("Aktuelles", "/aktuelles/"),
        ("Geschichte", "/geschichte/"),
        ("Vereine", "/vereine/"),
        ("Veranstaltungen", "/termine/"),
        ("Archiv", "/archiv/"),
        ("Impressum", "/impressum/"),
    ),
    "203.0.113.144",
    "Apache/2.2",
)
BROTZEIT = Site(
    "brotzeit-forum.example",
    "Brotzeit Forum",
    "de",
    "Das Forum für Hobbybäcker",
    (
        ("Forum", "/forum/"),
        ("Rezepte", "/rezepte/"),
        ("Sauerteig", "/forum/sauerteig/"),
        ("Mitglieder", "/mitglieder/"),
        ("Hilfe", "/hilfe/"),
    ),
    "198.51.100.88",
    "nginx",
)
POTAGER = Site(
    "carnet-du-potager.example",
    "Le Carnet du Potager",
    "fr",
    "Journal d'un petit jardin potager familial",
    (
        ("Accueil", "/"),
        ("Légumes", "/legumes/"),
        ("Semis", "/semis/"),
        ("Compost", "/compost/"),
        ("Calendrier", "/calendrier/"),
        ("À propos", "/a-propos/"),
    ),
    "192.0.2.57",
    "nginx",
)
COLLINES = Site(
    "gazette-des-collines.example",
    "La Gazette des Collines",
    "fr",
    "L'actualité de Saint-Aubin-des-Collines et des environs",
    (
        ("Actualités", "/actualites/"),
        ("Vie locale", "/vie-locale/"),
        ("Culture", "/culture/"),
        ("Sports", "/sports/"),
        ("Agenda", "/agenda/"),
        ("Contact", "/contact/"),
    ),
    "203.0.113.61",
    "Apache",
    gzip_transfer=True,
)
HUERTA = Site(
    "huerta-y-mesa.example",
    "Huerta y Mesa",
    "es",
    "Cocina de temporada y huerto urbano",
    (
        ("Inicio", "/"),
        ("Recetas", "/recetas/"),
        ("Huerto", "/huerto/"),
        ("Conservas", "/conservas/"),
        ("Temporada", "/temporada/"),
        ("Sobre nosotros", "/sobre-nosotros/"),
    ),
    "192.0.2.93",
    "nginx",
)
PUERTO = Site(
    "cronica-del-puerto.example",
    "Crónica del Puerto",
    "es",
    "Noticias de la costa desde 1952",
    (
        ("Portada", "/"),
        ("Local", "/local/"),
        ("Historia", "/historia/"),
        ("Cultura", "/cultura/"),
        ("Deportes", "/deportes/"),
        ("Opinión", "/opinion/"),
    ),
    "198.51.100.19",
    "Apache",
    content_type="text/html; charset=UTF-8",
)
ASTROFORO = Site(
    "astro-foro.example",
    "AstroForo",
    "es",
    "Comunidad de astronomía amateur",
    (
        ("Foros", "/foros/"),
        ("Observación", "/foros/observacion/"),
        ("Material", "/foros/material/"),
        ("Astrofotografía", "/foros/astrofotografia/"),
        ("Normas", "/normas/"),
        ("Entrar", "/entrar/"),
    ),
    "203.0.113.99",
    "nginx",
)
HOSHIZORA = Site(
    "hoshizora-nikki.example",
    "星空日記",
    "ja",
    "街の近くで楽しむ星空観察の記録",
    (
        ("ホーム", "/"),
        ("星座ガイド", "/seiza/"),
        ("観察のコツ", "/kotsu/"),
        ("機材", "/kizai/"),
        ("プロフィール", "/profile/"),
    ),
    "192.0.2.170",
    "nginx",
)
TETSUDO = Site(
    "tetsudo-tabi.example",
    "鉄道旅ノート",
    "ja",
    "ローカル線とのんびり旅",
    (
        ("トップ", "/"),
        ("紀行", "/kiko/"),
        ("路線ガイド", "/rosen/"),
        ("きっぷ情報", "/kippu/"),
        ("お問い合わせ", "/contact.html"),
    ),
    "203.0.113.210",
    "Apache/2.2",
)


# --------------------------------------------------------------------------- articles

TINYQUEUE_QUICKSTART = """\
from tinyqueue import Queue

queue = Queue("jobs.sqlite3")


def send_welcome_email(user_id: int) -> None:
    ...


queue.enqueue(send_welcome_email, user_id=42)"""

ARTICLES: list[Article] = [
    Article(
        "en-no-till",
        RIVERBEND,
        "/2023/09/why-i-stopped-tilling/",
        "blog",
        "Why I stopped tilling my vegetable beds",
        "Maren Holt",
        "2023-09-14",
        """
        For eleven years I started every spring the same way: I rented a rear-tine tiller,
        churned the vegetable beds into a fine brown powder, and felt very productive. By July
        the same beds were crusted, weedy and thirsty. Three seasons ago I gave the tiller back
        for good, and the difference has been bigger than I expected. This post is a plain
        account of what changed, what did not, and what I would do differently.

        The first surprise was the weeds. Tilling does not kill weed seeds so much as wake them
        up, because every pass drags a fresh layer of dormant seed into the light. Once I
        stopped turning the soil, the flush of chickweed and lambsquarters that used to follow
        each cultivation simply did not appear. I still pull weeds, but now it is a few minutes
        on a Saturday instead of an afternoon on my knees.

        Instead of digging, I now cover each bed in autumn with about five centimetres of
        compost and a layer of shredded leaves. Worms do the mixing over the winter. In spring
        I rake back the leaves where I want to sow and plant straight into the crumbly surface
        underneath. Transplants go into small holes made with a trowel, and the rest of the bed
        stays undisturbed.

        Not everything improved right away. The first year, slugs loved the leaf mulch, and my
        early lettuce suffered badly. I learned to keep the mulch pulled back from young
        seedlings until the weather warmed and the ground beetles caught up. Heavy clay also
        took a couple of seasons to loosen; the compost helped, but patience helped more.

        If you want to try it, start with one bed rather than the whole garden. Keep notes on
        watering, weeding time and harvest weights so you can compare honestly at the end of
        the season. My own notebook says I water about a third less than I used to, and the
        carrots, to my great satisfaction, have finally stopped forking.
        """,
        (
            ("Saving tomato seeds from your own harvest", "/2024/02/saving-tomato-seeds/"),
            ("Leaf mould: the free soil improver", "/2022/11/leaf-mould/"),
            ("A year of notes from the rain barrel", "/2023/01/rain-barrel-notes/"),
            ("Ground beetles are your friends", "/2021/06/ground-beetles/"),
        ),
    ),
    Article(
        "en-tomato-seeds",
        RIVERBEND,
        "/2024/02/saving-tomato-seeds/",
        "blog",
        "Saving tomato seeds from your own harvest",
        "Maren Holt",
        "2024-02-03",
        """
        Saving tomato seeds is one of the easiest ways to begin keeping your own seed, and it
        costs nothing except a jar and a bit of patience. The main rule is to start with
        open-pollinated varieties. Hybrid tomatoes, often labelled F1, will grow from saved
        seed, but the plants that come up next year can look and taste quite different from
        their parent.

        Pick two or three of the best fruits from your healthiest plants and let them ripen
        fully, even a little past the point you would eat them. Cut each tomato across its
        middle and squeeze the seeds and jelly into a labelled jar. Add a splash of water, cover
        the jar loosely with a cloth, and set it somewhere warm but out of direct sun.

        Over the next three or four days a layer of white mould will form on top. That sounds
        alarming, but this fermentation breaks down the gel coating around each seed, which
        otherwise keeps it from sprouting. When the mould covers the surface, fill the jar with
        water and stir. Good seeds sink; pour off the floating pulp and empty seeds, then rinse
        the rest in a sieve.

        Spread the clean seeds on a ceramic plate or a coffee filter, not on paper towel, which
        they stick to stubbornly. Let them dry for a week, stirring now and then, then store
        them in a paper envelope in a cool, dark cupboard. Write the variety and the year on the
        envelope. Stored this way, tomato seeds usually stay viable for four or five years.
        """,
        (
            ("Why I stopped tilling my vegetable beds", "/2023/09/why-i-stopped-tilling/"),
            ("Our spring seed swap is back", "/seed-swap/2024/"),
            ("Five tomatoes that cope with a wet summer", "/2022/08/wet-summer-tomatoes/"),
        ),
    ),
    Article(
        "en-lentil-soup",
        SALTMARSH,
        "/recipes/weeknight-lentil-soup",
        "blog",
        "A weeknight lentil soup that freezes well",
        "Tomasz Reid",
        "2023-10-22",
        """
        This is the soup I make on Sunday evenings when the fridge is nearly empty and the week
        ahead looks busy. It uses red lentils, which cook down in about twenty minutes without
        soaking, plus whatever carrots, celery and onions are still hanging around. It freezes
        beautifully in single portions, so one pot quietly turns into four or five lunches.

        Start by warming two tablespoons of olive oil in a heavy pot over medium heat. Add one
        chopped onion, two diced carrots and a stick of celery, along with a good pinch of salt.
        Let them soften slowly for eight to ten minutes; you want them sweet and translucent
        rather than browned. Stir in two cloves of garlic, a teaspoon of ground cumin and half a
        teaspoon of smoked paprika, and cook for one more minute until fragrant.

        Rinse 250 grams of red lentils until the water runs mostly clear, then add them to the
        pot with one tin of chopped tomatoes and about 1.2 litres of stock or water. Bring
        everything to a gentle simmer, partly cover, and cook for twenty to twenty-five minutes,
        stirring now and then so the lentils do not catch on the bottom.

        When the lentils have collapsed, taste and adjust the salt. You can leave the soup
        chunky or blend half of it for a creamier texture that still has some body. A squeeze of
        lemon just before serving wakes everything up, and a spoonful of yoghurt with chopped
        parsley makes it feel like a proper dinner rather than a leftover.

        To freeze, let the soup cool completely, then ladle it into containers, leaving a little
        space at the top for expansion. It keeps for about three months. Reheat it gently from
        frozen with a splash of water, since lentils keep absorbing liquid and the soup thickens
        considerably in the freezer.
        """,
        (
            ("Baking bread after moving to the mountains", "/notes/baking-bread-at-altitude"),
            ("Stock from vegetable scraps", "/recipes/scrap-stock"),
            ("Ten pantry staples worth keeping", "/notes/pantry-staples"),
            ("Smoky bean stew for cold nights", "/recipes/smoky-bean-stew"),
        ),
    ),
    Article(
        "en-altitude-bread",
        SALTMARSH,
        "/notes/baking-bread-at-altitude",
        "blog",
        "Baking bread after moving to the mountains",
        "Tomasz Reid",
        "2024-01-09",
        """
        When we moved from the coast to a town about two thousand metres above sea level, my
        reliable sandwich loaf turned into something strange. It rose wildly, collapsed in the
        oven, and came out with a coarse, crumbly texture. It took me most of a winter to work
        out why, and the answer turned out to be mostly about air pressure.

        At altitude the lower pressure lets gas bubbles expand more easily, so yeast dough rises
        faster than the recipe expects. If you wait for the usual visual cues, the gluten has
        already been stretched past its limit, and the loaf deflates once it meets the heat of
        the oven. The fix is counterintuitive: use a little less yeast, and shape the loaf
        before it looks fully ready.

        Water also evaporates faster in thin, dry mountain air, which means flour absorbs liquid
        differently and dough dries out on the counter. I now add two or three extra
        tablespoons of water per loaf and keep the bowl covered with a damp towel. Raising the
        oven temperature by about fifteen degrees helps as well, because it sets the crust
        before the bubbles can overexpand.

        None of these changes is dramatic on its own, and every kitchen is a little different.
        Keep a simple log of rise times, water and results for a few bakes, adjust one thing at
        a time, and you will find your own numbers quickly. My loaves are finally as tall and
        even as they were at sea level.
        """,
        (
            ("A weeknight lentil soup that freezes well", "/recipes/weeknight-lentil-soup"),
            ("Why I weigh flour instead of measuring cups", "/notes/weighing-flour"),
            ("Overnight oat rolls", "/recipes/baking/overnight-oat-rolls"),
        ),
    ),
    Article(
        "en-ferry",
        GAZETTE,
        "/history/the-narrows-ferry",
        "news",
        "The ferry that once crossed the Harbortown narrows",
        "Elliot Brannagh",
        "2024-03-30",
        """
        For almost ninety years, the quickest way from Harbortown to the fishing villages on the
        far shore was not a road at all but a flat-bottomed ferry that crossed the narrows
        eleven times a day. Older residents still call the landing at the foot of Chandler
        Street "the slip", even though the last boat left it decades ago.

        The first ferry was a wooden scow pulled across on a cable by two horses walking a
        treadmill on deck. According to records held by the county historical society, it began
        service in 1874 and could carry a single wagon, a handful of passengers and, on one
        famous occasion, a prize bull bound for the autumn fair.

        A steam-powered vessel, the Marigold, replaced the scow in 1902. She was larger, faster
        and noisier, and her whistle became a kind of town clock: shopkeepers opened at the
        first crossing and shuttered at the last. In hard winters the narrows sometimes froze,
        and crews would break a channel with long iron bars before the morning run.

        The ferry's end came with the opening of the Narrows Bridge in 1961. Ridership collapsed
        within a year, and the Marigold was sold for scrap. The slip itself survived, however,
        and its timber pilings can still be seen at low tide from the boardwalk.

        This spring, volunteers from the historical society plan to install an interpretive sign
        at the site, using photographs donated by families whose parents and grandparents worked
        on the boats. Anyone with pictures, tickets or stories from the ferry years is invited to
        contact the society before the end of May.
        """,
        (
            (
                "Library volunteers restore 1920s street maps",
                "/news/library-volunteers-restore-street-maps",
            ),
            ("Winter bird count sets a near record", "/news/winter-bird-count-at-the-reservoir"),
            ("Chandler Street shops through the decades", "/history/chandler-street"),
            ("Letters: keep the old boardwalk lights", "/opinion/letters-boardwalk-lights"),
        ),
    ),
    Article(
        "en-street-maps",
        GAZETTE,
        "/news/library-volunteers-restore-street-maps",
        "news",
        "Library volunteers restore hand-drawn 1920s street maps",
        "Ruth Okafor",
        "2024-04-11",
        """
        A small team of volunteers at the Harbortown Public Library has spent the past eighteen
        months restoring a set of hand-drawn street maps from the 1920s, and the first sheets
        went on public display this week in the reading room on the second floor.

        The maps were drawn by surveyors working for a fire insurance company, and they record
        every building in the old town in remarkable detail: the material of each wall, the
        number of storeys, even the position of chimneys and water tanks. For decades they were
        rolled up in a basement cupboard, and many had torn along old folds.

        Head librarian Odile Fenwick said the work was slow and careful. "Each sheet had to be
        humidified, flattened under weights, and repaired with thin tissue and wheat starch
        paste," she explained. "Our volunteers learned the techniques from a conservator who
        visited twice a month. Some of them now know the maps better than I do."

        High-resolution scans of all forty-two sheets will be published on the library's website
        later this year. In the meantime, the originals can be viewed in person on weekday
        afternoons, and staff are happy to help visitors find their own street.
        """,
        (
            ("The ferry that once crossed the Harbortown narrows", "/history/the-narrows-ferry"),
            ("Council approves new opening hours for branch libraries", "/news/library-hours"),
            ("Winter bird count sets a near record", "/news/winter-bird-count-at-the-reservoir"),
        ),
    ),
    Article(
        "en-bird-count",
        GAZETTE,
        "/news/winter-bird-count-at-the-reservoir",
        "news",
        "Winter bird count at Millbrook Reservoir sets a near record",
        "Ruth Okafor",
        "2024-01-15",
        """
        Forty-six volunteers braved freezing fog on Saturday morning for the annual winter bird
        count at Millbrook Reservoir, recording fifty-three species in four hours, the
        second-highest total since the survey began in 2009. Organisers said a cold snap had
        pushed several unusual visitors down from the hills.

        Counters worked in pairs along eight marked sections of the shoreline, noting every bird
        they saw or heard. Totals are compared with previous years to track how populations
        change, and the data are shared with a national monitoring scheme. Highlights this year
        included a pair of goosanders, a flock of around two hundred lapwings in the flooded
        meadow, and a single bittern that stood motionless in the reeds for nearly an hour.

        Coordinator Priya Castell said beginners are always welcome. "You do not need to be an
        expert," she said. "Every pair includes someone experienced, and newcomers quickly learn
        the common species. Honestly, the most important skill is being willing to stand still
        in the cold with a flask of tea."

        The full results will be published on the reservoir trust's website next month. A spring
        count is planned for late April, when the first migrating warblers are expected to
        arrive, and new volunteers can sign up at the visitor centre beside the car park.
        """,
        (
            (
                "Library volunteers restore 1920s street maps",
                "/news/library-volunteers-restore-street-maps",
            ),
            ("Footpath around the reservoir to reopen in May", "/community/reservoir-footpath"),
            ("Weather: a frosty week ahead", "/weather/frosty-week"),
        ),
    ),
    Article(
        "en-tubeless",
        NORTHRIDGE,
        "/forum/t/tubeless-tyres-for-winter-commuting/2281",
        "forum",
        "Tubeless tyres for winter commuting: worth it?",
        "gravelgeoff",
        "2024-02-12",
        """
        I commute about fourteen kilometres each way, year round, and this winter I have had four
        punctures in six weeks, mostly from the grit and glass that collects at the edge of the
        road once the snow melts. A colleague swears by tubeless tyres. Has anyone here run
        tubeless through a proper winter? I am worried about sealant freezing and about doing
        roadside repairs with cold hands.

        I have been tubeless on my commuter for three winters now. Sealant does get sluggish when
        it is well below freezing, but most brands are rated down to around minus twenty, and for
        small thorns and glass it still seals within a few turns of the wheel. I would not go
        back. Top it up in autumn, since it dries out faster than you think.

        One thing nobody mentions: carry a plug kit and still carry a spare tube. If you get a
        sidewall cut, the plug will not hold, and putting a tube into a sealant-soaked tyre at
        the side of a dark road is messy, but it gets you home. Practise it once in your garage
        so you know how the bead comes off your particular rims.

        Thanks, everyone. It sounds like the setup is worth trying. I will ask the bike shop to
        convert the wheels next weekend and report back in a month on how it handles the slush,
        the salt and the potholes on the canal road.
        """,
        (
            ("Best lights for unlit country lanes?", "/forum/t/lights-for-unlit-lanes/2190"),
            ("Mudguards that actually fit 40 mm tyres", "/forum/t/mudguards-40mm/2247"),
            ("Sunday gravel ride: reservoir loop", "/rides/2024-02-18-reservoir-loop"),
            ("Planning your first overnight bike tour", "/routes/guides/first-overnight-tour"),
        ),
        post_authors=("gravelgeoff", "ferrous_fran", "old_spokes", "gravelgeoff"),
    ),
    Article(
        "en-overnight-tour",
        NORTHRIDGE,
        "/routes/guides/first-overnight-tour",
        "blog",
        "Planning your first overnight bike tour",
        "Hana Lindqvist",
        "2023-05-02",
        """
        An overnight bike tour is the gentlest possible introduction to travelling by bicycle.
        You ride somewhere interesting, sleep there, and ride home the next day. There is no need
        for expensive gear or weeks of planning, and if something goes wrong you are never more
        than a day from your own front door.

        Choose a destination between forty and seventy kilometres away, depending on your fitness
        and how much climbing the route involves. A campsite with running water is ideal for a
        first trip, but a small guesthouse works just as well and lets you leave the tent at
        home. Plan the route along quiet roads or cycle paths, and check that there is at least
        one place to buy food along the way.

        Pack less than you think you need. A typical overnight kit is a sleeping bag, a light
        mat, a small tent or bivvy bag, a warm layer, a rain jacket, a basic tool kit and a spare
        tube. Strap it to a rear rack or spread it across a few bike bags; the point is to keep
        the weight low and centred so the bike still handles well.

        Finally, ride the first morning slowly. Loaded bikes feel heavier on hills and take
        longer to stop, so give yourself time to get used to it. Our club runs a guided
        overnight ride each June for members who would like company on their first attempt, and
        we would be delighted to see you there.
        """,
        (
            (
                "Tubeless tyres for winter commuting: worth it?",
                "/forum/t/tubeless-tyres-for-winter-commuting/2281",
            ),
            ("Route library: the three valleys loop", "/routes/three-valleys"),
            ("What to carry on a day ride", "/routes/guides/day-ride-kit"),
        ),
    ),
    Article(
        "en-andromeda",
        DARKSKY,
        "/2023/11/finding-andromeda-with-the-naked-eye",
        "blog",
        "Finding the Andromeda Galaxy with the naked eye",
        "Ines Albrecht-Moore",
        "2023-11-04",
        """
        The Andromeda Galaxy is the most distant object most people can see without any optical
        help. The light reaching your eye left it about two and a half million years ago, long
        before anyone was around to look up. From a reasonably dark site on an autumn evening it
        is surprisingly easy to find, once you know which stars point the way.

        Start with the Great Square of Pegasus, four fairly bright stars forming a large,
        slightly lopsided box high in the southern sky on autumn evenings in the northern
        hemisphere. From the star at the north-eastern corner, follow a gently curving line of
        two more stars leading away from the square. At the second star, turn towards the north
        and hop past two fainter stars.

        Just beyond them, look for a faint, elongated smudge, a little like a thumbprint on a
        window. That is the bright core of the galaxy. Use averted vision: look slightly to one
        side of where you expect it, because the edges of your eye are more sensitive to dim
        light than the centre.

        Give your eyes at least twenty minutes to adapt to the dark before you start, and avoid
        looking at your phone in the meantime. A red torch is fine for reading a chart. If you
        have binoculars, sweep them across the area afterwards and you will see the oval shape
        stretch out further than you might expect.

        On a truly dark night the galaxy's full extent is several times the width of the full
        Moon, though only its centre is visible to the eye. It is a humbling sight: hundreds of
        billions of suns, compressed into a pale blur you could cover with a fingertip held at
        arm's length.
        """,
        (
            ("What a meteor shower's radiant actually means", "/2024/07/what-is-a-meteor-radiant"),
            ("Choosing your first pair of binoculars", "/equipment/first-binoculars"),
            ("How dark is your sky? A simple star-count test", "/guides/star-count-test"),
            ("The sky this month: April", "/this-month/2024-04"),
        ),
    ),
    Article(
        "en-meteor-radiant",
        DARKSKY,
        "/2024/07/what-is-a-meteor-radiant",
        "blog",
        "What a meteor shower's radiant actually means",
        "Ines Albrecht-Moore",
        "2024-07-28",
        """
        Every meteor shower has a name that points to a constellation: the Perseids, the
        Geminids, the Orionids. That name comes from the radiant, the point in the sky from which
        the shower's meteors appear to stream. It is a useful idea, but it is often
        misunderstood, and it can lead new observers to stare in exactly the wrong place.

        Meteor showers happen when Earth passes through a trail of dust left behind by a comet.
        The particles in that trail travel on nearly parallel paths, and as we plough through
        them they burn up high in the atmosphere. Because of perspective, those parallel paths
        seem to spread out from a single point, in the same way that railway tracks appear to
        meet at the horizon.

        The radiant tells you which meteors belong to the shower, not where to look. Meteors
        close to the radiant appear short, because they are coming almost straight towards you.
        The long, spectacular streaks tend to appear thirty to sixty degrees away from it. The
        best strategy is simply to lie back, take in as much of the sky as possible, and be
        patient.

        The radiant's height also matters. A shower is richest when its radiant is high above
        the horizon, which for most showers means the hours after midnight. Early in the
        evening, when the radiant is low, you may catch a few earthgrazers: slow, long meteors
        skimming through the upper atmosphere almost parallel to the ground.
        """,
        (
            (
                "Finding the Andromeda Galaxy with the naked eye",
                "/2023/11/finding-andromeda-with-the-naked-eye",
            ),
            ("A beginner's meteor log sheet", "/guides/meteor-log"),
            ("Glossary: zenithal hourly rate", "/glossary/zhr"),
        ),
        content_type="text/plain; charset=utf-8",
        note="HTML page (starts with `<!DOCTYPE html>`) served as `text/plain`",
    ),
    Article(
        "en-tinyqueue-start",
        TINYQUEUE,
        "/en/latest/getting-started",
        "docs",
        "Getting started",
        "",
        "2024-03-01",
        """
        tinyqueue is a small job queue for Python applications that need background work without
        running a separate message broker. Jobs are stored in a single SQLite file, so the queue
        survives restarts and can be inspected with ordinary database tools. It is designed for
        scripts, small web services and scheduled tasks handling up to a few thousand jobs per
        minute.

        Install the package from your usual package index, then create a queue by pointing it at
        a database file. The file is created on first use. A job is any importable function
        whose arguments can be serialised to JSON; tinyqueue records the function's dotted path
        and the arguments, not the function object itself.

        To process jobs, start one or more workers with the command line tool, passing the same
        database path. Each worker claims a job inside a transaction, runs it, and marks it
        finished. If a worker crashes halfway through, the claim expires after a configurable
        timeout and another worker picks the job up again.

        Because jobs can occasionally run more than once, they should be idempotent wherever
        possible: sending the same email twice is annoying, but charging a card twice is much
        worse. The next page, Configuring retries, explains how to control what happens when a
        job raises an exception.
        """,
        (
            ("Configuring retries", "/en/latest/retries"),
            ("Running workers", "/en/latest/workers"),
            ("API reference: Queue", "/en/latest/api#queue"),
        ),
        code=TINYQUEUE_QUICKSTART,
    ),
    Article(
        "en-tinyqueue-retries",
        TINYQUEUE,
        "/en/latest/retries",
        "docs",
        "Configuring retries",
        "",
        "2024-03-01",
        """
        By default, a job that raises an exception is retried up to three times. Between
        attempts, tinyqueue waits for an exponentially increasing delay, starting at two seconds
        and doubling each time, with a small amount of jitter so that many failing jobs do not
        all wake up at the same moment.

        You can change these settings for the whole queue or for an individual job. Queue-wide
        settings are passed when the queue is created, while per-job settings are given as
        keyword arguments to enqueue and take precedence. Setting the maximum number of attempts
        to one disables retries entirely, which is sensible for jobs that are not safe to repeat.

        Some errors are not worth retrying. If a job raises an exception derived from
        PermanentError, it is moved straight to the failed state without further attempts. Use
        this for problems that will not fix themselves, such as a record that no longer exists
        or a request that a remote service has rejected as invalid.

        Failed jobs are never deleted automatically. You can list them with the command line
        tool, inspect the stored traceback, and requeue them once the underlying problem has
        been fixed. A maintenance command removes failed jobs older than a given number of days
        if the database file starts to grow.
        """,
        (
            ("Getting started", "/en/latest/getting-started"),
            ("Running workers", "/en/latest/workers"),
            ("API reference: PermanentError", "/en/latest/api#permanenterror"),
        ),
        code='queue = Queue("jobs.sqlite3", max_attempts=5, backoff_base=1.5)\n\n'
        "queue.enqueue(sync_inventory, store_id=7, max_attempts=10)",
        content_type=None,
        note="no Content-Type header at all (charset only in `<meta charset>`)",
    ),
    Article(
        "en-coastal-path",
        WANDERLOG,
        "/stories/three-days-on-the-coastal-path",
        "blog",
        "Three days on the coastal path",
        "Callum Ashdown",
        "2023-10-05",
        """
        I had wanted to walk the coastal path for years, and last September I finally packed a
        small rucksack and set off from the harbour at Wrenmouth with three days, two booked beds
        and no particular expectations. What follows are some notes for anyone considering the
        same stretch, along with a few things I wish someone had told me beforehand.

        The first day is the hardest. The path climbs steeply out of town onto the cliffs and
        then follows them for nearly twenty kilometres, dropping into coves and climbing out
        again more often than the map suggests. There is nowhere to buy water between the
        harbour and the village of Saltings, so carry at least two litres, more if the weather
        is warm.

        The second day is gentler and, to my mind, the most beautiful. The path runs along a
        broad headland covered in heather, with seals hauled out on the rocks below and gannets
        diving offshore. I stopped for a long lunch at a small cafe in a converted lifeboat
        station and could happily have stayed there all afternoon.

        On the third morning a sea fog rolled in and the cliffs vanished. Walking through it was
        strangely peaceful: the only sounds were the waves below and the occasional foghorn from
        a lighthouse I never actually saw. By the time I reached the bus stop at Tollstone the
        sun had burned through, and the whole coast was visible again behind me.

        If you go, book accommodation well ahead in summer, wear boots you have already broken
        in, and check the tide tables before the beach sections. Above all, leave time to stop.
        The path rewards people who are not in a hurry.
        """,
        (
            ("Night trains, reconsidered", "/essays/night-trains-reconsidered"),
            ("A packing list for hut-to-hut walking", "/walking/hut-to-hut-packing"),
            ("Wrenmouth in winter", "/destinations/wrenmouth-in-winter"),
        ),
    ),
    Article(
        "en-night-trains",
        WANDERLOG,
        "/essays/night-trains-reconsidered",
        "news",
        "Night trains, reconsidered",
        "Callum Ashdown",
        "2024-02-20",
        """
        Ten years ago the night train seemed to be on its way out. Budget airlines were cheaper
        and faster, and many long-distance sleeper routes across the continent were quietly
        cancelled. Today the picture has changed: new operators are running sleeper services
        again, older routes have been revived, and booking a couchette on a popular line in
        summer can require planning months ahead.

        Part of the appeal is practical. A train that leaves at nine in the evening and arrives
        at eight the next morning saves a night in a hotel and the trip to and from an airport.
        Travellers arrive in the middle of a city rather than on its outskirts, and there is no
        need to stand in a security queue with liquids in a plastic bag.

        The experience is not always comfortable. Six-berth couchettes can be cramped and warm,
        and an early border stop may wake everyone up for a passport check. Private compartments
        are far more pleasant but can cost as much as a mid-range hotel room. Still, few things
        match the small thrill of raising the blind at dawn to find an entirely different
        landscape outside.

        Rail operators say demand is stronger than the supply of rolling stock, and new sleeper
        carriages take years to build. Until they arrive, the advice from seasoned travellers is
        simple: book as soon as reservations open, bring earplugs and a bottle of water, and
        treat the journey as part of the trip rather than an obstacle to it.
        """,
        (
            ("Three days on the coastal path", "/stories/three-days-on-the-coastal-path"),
            ("How to read a European rail timetable", "/rail/reading-timetables"),
            ("Border towns worth a stopover", "/destinations/border-towns"),
        ),
    ),
    Article(
        "en-hand-plane",
        MAKERBENCH,
        "/forum/woodworking/restoring-a-rusty-hand-plane-t8812",
        "forum",
        "Restoring a rusty hand plane: where do I start?",
        "birchandbolt",
        "2024-03-08",
        """
        I picked up an old smoothing plane at a flea market for the price of a coffee. The body
        is covered in surface rust, the blade is chipped, and the wooden handle has a crack near
        the base. Before I start, is it worth restoring, or should I just hang it on the wall?
        If it is worth doing, where would you begin?

        Almost always worth it, as long as the sole is not cracked. Take it completely apart
        first and photograph each step so you remember how the frog and the lever cap go back
        together. For the rust, an overnight soak in white vinegar or a citric acid bath works
        well, followed by a scrub with a brass brush. Dry everything immediately and wipe on a
        thin coat of oil.

        Flattening the sole is where people overdo it. Stick some sandpaper to a flat reference
        like a piece of thick glass and rub the sole in figure eights, but only the areas in
        front of and behind the mouth, plus the toe and heel, really need to be flat. Chasing
        perfection across the whole sole just wears it away for no benefit.

        For the blade, grind back past the chips, then sharpen as usual. A crack in the handle
        can be glued with thin epoxy and clamped gently; drill across the crack and glue in a
        small pin if you want extra strength. Post a photo when you are done, because we all
        like a good before and after here.
        """,
        (
            (
                "Which sharpening stones for a beginner?",
                "/forum/woodworking/sharpening-stones-t8790",
            ),
            (
                "Show and tell: my first dovetailed box",
                "/forum/show-and-tell/first-dovetailed-box-t8801",
            ),
            (
                "Removing rust from cast iron without chemicals",
                "/forum/metalwork/rust-removal-t8655",
            ),
        ),
        post_authors=("birchandbolt", "quarter_sawn", "marta_makes", "quarter_sawn"),
    ),
    # ------------------------------------------------------------------ German
    Article(
        "de-schwarzbach",
        WALDWEG,
        "/touren/herbstrunde-am-schwarzbach/",
        "blog",
        "Herbstrunde am Schwarzbach: zwölf Kilometer durch den Buchenwald",
        "Jonas Erlbach",
        "2023-10-18",
        """
        Wer im Oktober einen ruhigen Wandertag sucht, ist am Schwarzbach gut aufgehoben. Die
        Runde beginnt am kleinen Parkplatz hinter der alten Sägemühle und führt zunächst am Bach
        entlang durch ein enges Tal. Schon nach wenigen Minuten hört man nur noch das Wasser und
        das Rascheln der Blätter unter den Schuhen.

        Nach etwa vier Kilometern verlässt der Weg das Tal und steigt in mehreren Kehren zum
        Eichkopf hinauf. Der Anstieg ist nicht lang, aber stellenweise steil und bei Nässe
        rutschig. Oben belohnt eine Schutzhütte mit Bank und Blick über die bunten Hänge. Hier
        lohnt sich eine längere Pause, denn eine Einkehrmöglichkeit gibt es unterwegs nicht.

        Der Rückweg verläuft über einen breiten Forstweg durch hohen Buchenwald. Im Herbst
        leuchtet das Laub hier in allen Farben zwischen Gelb und Kupfer, und an feuchten Stellen
        wachsen Pilze am Wegrand. Bitte bleiben Sie auf den Wegen: Teile des Waldes sind
        Schutzgebiet, und im Winter ruhen hier Rotwild und Wildschweine.

        Für die gesamte Runde sollte man mit dreieinhalb bis vier Stunden rechnen. Festes
        Schuhwerk ist Pflicht, Stöcke sind beim Abstieg hilfreich. Die Markierung, ein grünes
        Dreieck auf weißem Grund, ist fast überall gut zu erkennen, nur an der Kreuzung unterhalb
        des Eichkopfs sollte man genau hinschauen.
        """,
        (
            ("Winterwanderung zur Hohen Warte", "/touren/winterwanderung-hohe-warte/"),
            ("Die richtige Regenjacke finden", "/ausruestung/regenjacke/"),
            ("Zehn Tipps für Wanderungen mit Kindern", "/tipps/wandern-mit-kindern/"),
        ),
    ),
    Article(
        "de-wassermuehle",
        BIRKENFELDE,
        "/geschichte/die-alte-wassermuehle.html",
        "news",
        "Die alte Wassermühle: Wie Birkenfelde einst sein Mehl mahlte",
        "Gertrud Asmussen",
        "2022-06-02",
        """
        Wer heute am Mühlenteich spazieren geht, ahnt kaum, dass hier mehr als dreihundert Jahre
        lang Getreide für das ganze Umland gemahlen wurde. Die erste urkundliche Erwähnung der
        Birkenfelder Mühle stammt aus dem Jahr 1612, als ein gewisser Hans Mertens das Recht
        erhielt, das Wasser des Mühlbachs zu stauen.

        Das große Wasserrad trieb zwei Mahlgänge an. In guten Jahren kamen die Bauern aus sieben
        Dörfern mit ihren Fuhrwerken, und in der Erntezeit standen die Wagen oft bis auf die
        Dorfstraße. Der Müller erhielt für seine Arbeit keinen Lohn in Geld, sondern einen festen
        Anteil am Mehl, die sogenannte Metze.

        Mit dem Bau der Dampfmühle in der Kreisstadt begann der Niedergang. Um 1925 wurde der
        Betrieb eingestellt, das Rad verfiel, und der Teich verlandete allmählich. Erst in den
        achtziger Jahren setzte sich ein Förderverein für die Rettung des Gebäudes ein. Heute
        beherbergt die Mühle ein kleines Museum und an Sonntagen ein Café.

        Der Verein sucht weiterhin Fotos, Briefe und Erinnerungen aus der Zeit vor 1925. Wer
        etwas beitragen möchte, kann sich an die Ortschronik wenden oder die Unterlagen direkt im
        Museum abgeben. Alle Leihgaben werden sorgfältig eingescannt und anschließend an ihre
        Besitzer zurückgegeben, auf Wunsch auch persönlich.
        """,
        (
            ("Hundert Jahre Freiwillige Feuerwehr", "/geschichte/feuerwehr-100-jahre.html"),
            ("Mühlenfest am Pfingstmontag", "/termine/muehlenfest.html"),
            ("Aus dem Archiv: Die Dorfschule", "/archiv/dorfschule.html"),
        ),
        content_type="text/html",
        encoding="iso-8859-1",
        meta='<meta charset="iso-8859-1">',
        note="ISO-8859-1 body; HTTP header is just `text/html`, charset only in `<meta charset>`",
    ),
    Article(
        "de-sauerteig",
        BROTZEIT,
        "/forum/sauerteig/sauerteig-wird-nicht-aktiv-t4410",
        "forum",
        "Sauerteig wird nicht aktiv – was mache ich falsch?",
        "teigling_anna",
        "2024-01-27",
        """
        Hallo zusammen, ich versuche seit zehn Tagen, einen Roggensauerteig anzusetzen. Ich
        füttere jeden Tag mit Roggenmehl und lauwarmem Wasser im Verhältnis eins zu eins, aber
        der Teig riecht nur leicht säuerlich und bildet kaum Blasen. Die Küche ist im Moment
        recht kühl, vielleicht achtzehn Grad. Hat jemand eine Idee, woran es liegen könnte?

        Achtzehn Grad sind für den Anfang tatsächlich etwas wenig. Stell das Glas an einen
        wärmeren Ort, zum Beispiel in den Backofen mit eingeschalteter Lampe, dann sollte es
        schnell besser werden. Ich würde außerdem Vollkornroggenmehl nehmen, weil darin mehr
        Mikroorganismen stecken als in hellem Mehl. Und wirf vor jeder Fütterung einen Teil des
        alten Teigs weg.

        Danke für die Tipps! Ich habe das Glas gestern Abend in den Ofen gestellt, und heute
        Morgen war der Teig deutlich aufgegangen und roch viel frischer. Ich melde mich wieder,
        wenn das erste Brot gebacken ist, dann vielleicht sogar mit einem Foto vom Anschnitt.
        """,
        (
            ("Roggenmischbrot für Einsteiger", "/rezepte/roggenmischbrot/"),
            ("Welcher Gärkorb ist der richtige?", "/forum/zubehoer/gaerkorb-t4302"),
            ("Sauerteig im Urlaub: einfrieren oder trocknen?", "/forum/sauerteig/urlaub-t4377"),
        ),
        post_authors=("teigling_anna", "backstubenmax", "teigling_anna"),
    ),
    # ------------------------------------------------------------------ French
    Article(
        "fr-paillage",
        POTAGER,
        "/2024/07/pailler-ses-tomates/",
        "blog",
        "Pailler ses tomates en plein été : mode d'emploi",
        "Claire Vasseur",
        "2024-07-06",
        """
        Chaque été, c'est la même chose : au moment où les tomates commencent à rougir, la
        chaleur s'installe et la terre du potager se craquelle. Depuis trois ans, je paille
        systématiquement mes pieds de tomates dès la fin juin, et je ne reviendrais pour rien au
        monde à un sol nu. Voici comment je m'y prends.

        Avant de pailler, j'arrose copieusement, car le paillage conserve l'humidité mais ne la
        crée pas. J'étale ensuite une couche d'environ dix centimètres de paille ou de tontes de
        gazon bien séchées, en laissant un petit espace autour de chaque tige pour éviter
        qu'elle ne reste humide en permanence.

        Le résultat se voit très vite. J'arrose deux fois moins souvent, les fruits éclatent
        beaucoup moins après les orages et les mauvaises herbes ont du mal à percer. En prime,
        les feuilles du bas ne sont plus éclaboussées de terre quand il pleut, ce qui limite les
        risques de mildiou.

        Attention tout de même aux limaces, qui adorent se cacher sous la paille au printemps.
        C'est pour cette raison que j'attends que le sol soit bien réchauffé avant de pailler. À
        l'automne, je laisse la paille en place : elle se décompose pendant l'hiver et nourrit
        la terre pour la saison suivante.
        """,
        (
            ("Semer ses radis tout l'été", "/semis/radis-tout-l-ete/"),
            ("Réussir son premier compost", "/compost/premier-compost/"),
            ("Le calendrier des semis d'août", "/calendrier/aout/"),
        ),
    ),
    Article(
        "fr-marche-couvert",
        COLLINES,
        "/actualites/le-marche-couvert-rouvre-ses-portes",
        "news",
        "Le marché couvert rouvre ses portes après deux ans de travaux",
        "Paul Lemarchand",
        "2024-03-16",
        """
        Après vingt-six mois de chantier, le marché couvert de Saint-Aubin-des-Collines a rouvert
        ses portes samedi matin. Dès huit heures, une longue file d'habitants attendait devant
        l'entrée principale pour découvrir la halle rénovée et retrouver les commerçants qui
        s'étaient installés provisoirement sur la place de l'église.

        Les travaux ont permis de remplacer entièrement la toiture, de refaire le sol et de
        moderniser l'éclairage ainsi que les installations électriques. La charpente métallique
        d'origine, construite en 1898, a été démontée pièce par pièce, restaurée puis remontée à
        l'identique. Elle a retrouvé sa couleur vert sombre d'autrefois.

        « C'est un grand soulagement », confie Mireille Dufresne, fromagère sur le marché depuis
        trente ans. « Dehors, l'hiver a été long, et beaucoup de clients nous ont suivis malgré
        le froid. Aujourd'hui, on a l'impression de rentrer à la maison. » La halle accueille
        désormais vingt-quatre étals, dont six nouveaux producteurs de la région.

        Le marché est ouvert le mardi, le jeudi et le samedi de sept heures à treize heures. La
        mairie prévoit également une nocturne le premier vendredi de chaque mois pendant l'été,
        avec des concerts et des animations pour les enfants.
        """,
        (
            ("Fête de la musique : le programme complet", "/agenda/fete-de-la-musique"),
            ("Le club de rugby monte en division supérieure", "/sports/rugby-montee"),
            ("La bibliothèque prolonge ses horaires d'été", "/vie-locale/bibliotheque-horaires"),
        ),
    ),
    Article(
        "fr-tinyqueue",
        TINYQUEUE_FR,
        "/fr/latest/premiers-pas",
        "docs",
        "Premiers pas avec tinyqueue",
        "",
        "2024-03-01",
        """
        tinyqueue est une petite file d'attente de tâches pour les applications Python qui ont
        besoin d'exécuter du travail en arrière-plan sans installer de courtier séparé. Les
        tâches sont enregistrées dans un simple fichier SQLite : la file survit donc aux
        redémarrages et peut être consultée avec les outils habituels de base de données.

        Pour commencer, installez le paquet puis créez une file en lui indiquant le chemin d'un
        fichier de base de données, qui sera créé automatiquement. Une tâche est une fonction
        importable dont les arguments peuvent être sérialisés en JSON. La file enregistre le
        chemin de la fonction et ses arguments, et non l'objet fonction lui-même.

        Pour traiter les tâches, lancez un ou plusieurs travailleurs avec l'outil en ligne de
        commande en leur donnant le même fichier. Si un travailleur s'arrête brutalement en
        cours d'exécution, la tâche est libérée après un délai configurable et reprise par un
        autre travailleur. Pensez donc à écrire des tâches qui peuvent être exécutées deux fois
        sans dommage.
        """,
        (
            ("Nouvelles tentatives", "/fr/latest/tentatives"),
            ("Travailleurs", "/fr/latest/travailleurs"),
            ("Référence de l'API : Queue", "/fr/latest/api#queue"),
        ),
        code=TINYQUEUE_QUICKSTART,
    ),
    # ------------------------------------------------------------------ Spanish
    Article(
        "es-caldo",
        HUERTA,
        "/recetas/caldo-de-verduras-de-aprovechamiento/",
        "blog",
        "Caldo de verduras con lo que sobra en la nevera",
        "Marina Solís",
        "2023-12-01",
        """
        En casa no tiramos las pieles de cebolla, las puntas de las zanahorias ni los tallos del
        perejil. Los guardamos en una bolsa en el congelador y, cuando está llena, preparamos un
        caldo de verduras que sirve de base para sopas, arroces y guisos durante toda la semana.
        Es sencillo, barato y evita desperdiciar comida.

        Pon los restos congelados en una olla grande con una hoja de laurel, unos granos de
        pimienta y, si tienes, un trozo de corteza de queso curado, que le da un sabor profundo.
        Cubre todo con agua fría, unos dos litros y medio, y lleva a ebullición. Después baja el
        fuego y deja que hierva suavemente durante unos cuarenta y cinco minutos.

        Evita las verduras de la familia de la col, como el brócoli o la coliflor, porque dan un
        sabor amargo y un olor fuerte. Tampoco conviene usar demasiadas pieles de remolacha, que
        tiñen el caldo de rojo. Las setas, el apio y el puerro, en cambio, aportan mucho aroma y
        cuerpo.

        Cuela el caldo con un colador fino, apretando bien los restos para aprovechar todo el
        líquido, y añade sal solo al final. Se conserva cuatro días en la nevera o hasta tres
        meses congelado. Nosotros lo congelamos en cubiteras para tener siempre porciones
        pequeñas a mano.
        """,
        (
            ("Arroz caldoso de setas", "/recetas/arroz-caldoso-de-setas/"),
            ("Qué plantar en el huerto en marzo", "/huerto/que-plantar-en-marzo/"),
            ("Conserva de tomate en frascos", "/conservas/tomate-en-frascos/"),
        ),
    ),
    Article(
        "es-faro",
        PUERTO,
        "/historia/el-faro-de-punta-arena-cumple-150-anos",
        "news",
        "El faro de Punta Arena cumple ciento cincuenta años",
        "Andrés Villalba",
        "2024-04-08",
        """
        El faro de Punta Arena celebró el pasado domingo su ciento cincuenta aniversario con una
        jornada de puertas abiertas que reunió a más de dos mil visitantes. Durante todo el día,
        vecinos y turistas pudieron subir los ciento doce escalones de la torre, algo que
        normalmente solo se permite en visitas guiadas con reserva previa.

        La torre se levantó en 1874 para avisar a los barcos de los bajíos de arena que se
        extienden frente a la costa y que habían provocado varios naufragios. Durante casi un
        siglo, tres generaciones de la familia Ortega se encargaron de mantener encendida la
        lámpara, que funcionaba primero con aceite de oliva y más tarde con petróleo.

        El último farero dejó la torre en 1969, cuando el sistema se automatizó. Hoy la vivienda
        de los fareros alberga un pequeño museo con lentes, herramientas y cuadernos de guardia
        en los que se anotaban cada noche el viento, la visibilidad y los barcos que pasaban.

        El ayuntamiento ha anunciado que en otoño comenzarán las obras para reparar la fachada,
        dañada por la humedad y el salitre. Mientras tanto, el museo seguirá abierto de miércoles
        a domingo y las visitas a la torre podrán reservarse en la oficina de turismo.
        """,
        (
            ("La lonja estrena horario de tarde", "/local/lonja-horario-de-tarde"),
            ("Regata de veleros clásicos este fin de semana", "/deportes/regata-veleros-clasicos"),
            ("Opinión: el paseo marítimo que queremos", "/opinion/paseo-maritimo"),
        ),
    ),
    Article(
        "es-telescopio",
        ASTROFORO,
        "/foros/material/que-telescopio-para-empezar-1187",
        "forum",
        "¿Qué telescopio comprar para empezar?",
        "lucia_nocturna",
        "2024-02-25",
        """
        Hola a todos. Llevo unos meses aprendiendo las constelaciones a simple vista y con unos
        prismáticos, y me gustaría dar el siguiente paso. Tengo un presupuesto de unos
        trescientos euros y vivo en las afueras de una ciudad mediana. ¿Qué tipo de telescopio
        me recomendáis para empezar? No quiero algo que acabe guardado en un armario.

        Para ese presupuesto, casi todos aquí te dirán lo mismo: un reflector dobsoniano de
        ciento cincuenta o doscientos milímetros. Es sencillo de montar, no necesita baterías y
        recoge mucha luz por lo que cuesta. La Luna, los planetas y los cúmulos brillantes se
        ven de maravilla incluso desde las afueras de una ciudad.

        Estoy de acuerdo con el dobsoniano, pero añadiría un consejo: antes de comprar, acude a
        una quedada de alguna agrupación astronómica cercana. Podrás mirar por varios
        telescopios, preguntar a sus dueños y comprobar cuánto pesan de verdad. Y guarda algo de
        dinero para un buen atlas del cielo y una linterna roja.
        """,
        (
            (
                "Primeras fotos de la Luna con el móvil",
                "/foros/astrofotografia/luna-con-el-movil-1150",
            ),
            ("Cómo colimar un reflector paso a paso", "/foros/material/colimar-reflector-1102"),
            ("Quedada de observación en abril", "/foros/observacion/quedada-abril-1191"),
        ),
        post_authors=("lucia_nocturna", "reflector_pepe", "marta_cielo"),
    ),
    # ------------------------------------------------------------------ Japanese
    Article(
        "ja-orion",
        HOSHIZORA,
        "/2024/01/orion-no-sagashikata/",
        "blog",
        "冬の夜空でオリオン座を見つけよう",
        "ほしの",
        "2024-01-20",
        """
        冬の夜、南の空を見上げると、明るい星が三つ、ほぼ等間隔に並んでいるのが目に入ります。
        これがオリオン座の「三つ星」です。街明かりのある住宅地でもはっきり見えるので、
        星座探しの最初の目印としてとても便利です。今回は、この三つ星を手がかりに冬の星座を
        たどる方法を紹介します。

        三つ星を囲むように、四つの明るい星が大きな四角形を作っています。左上の赤っぽい星が
        ベテルギウス、右下の青白い星がリゲルです。色の違いは星の表面温度の違いによるもので、
        赤い星ほど温度が低く、青白い星ほど高温です。双眼鏡がなくても、じっと見比べると
        色の差がわかるはずです。

        三つ星を左下にのばしていくと、全天でいちばん明るい恒星、おおいぬ座のシリウスに
        たどり着きます。反対に右上へのばすと、おうし座の赤い星アルデバランと、小さな星の
        集まりであるすばるが見えてきます。ひとつの星座を覚えると、そこから次々に星座が
        広がっていくのが星空観察の楽しさです。

        観察するときは、暖かい服装で出かけ、目が暗さに慣れるまで十分ほど待ちましょう。
        スマートフォンの明るい画面を見ると、せっかく慣れた目が元に戻ってしまいます。
        寒い季節ですが、空気が澄んでいる冬こそ、星がいちばんきれいに見える季節です。
        """,
        (
            ("双眼鏡で楽しむすばる", "/2023/12/subaru-sogankyo/"),
            ("ふたご座流星群の見どころ", "/2023/12/futagoza-ryuseigun/"),
            ("初心者向け星座早見盤の使い方", "/kotsu/seiza-hayami/"),
        ),
    ),
    Article(
        "ja-local-line",
        TETSUDO,
        "/kiko/umibe-no-rokarusen.html",
        "news",
        "ローカル線で巡る海辺の町 一日旅のすすめ",
        "たびノート編集部",
        "2023-08-26",
        """
        朝七時すぎ、二両編成の小さな列車が駅を出発しました。窓の外には田んぼが広がり、
        やがて線路は山あいを抜けて海沿いへと出ていきます。今回は、この海辺のローカル線に
        乗って、途中の町に立ち寄りながら一日をかけて終点まで旅をしてみました。

        最初に降りたのは、漁港のある小さな町です。駅から歩いて五分ほどの市場では、朝に
        とれたばかりの魚が並び、食堂では地元の人たちに混じって海鮮丼をいただきました。
        店のおかみさんによると、冬はカニ、夏はイカがおすすめだそうです。

        午後は再び列車に乗り、海岸線ぎりぎりを走る区間へ。トンネルを抜けるたびに、青い海と
        白い灯台が窓いっぱいに現れます。この区間では列車が徐行してくれるので、写真を撮る
        乗客の姿も多く見られました。

        一日乗り放題のきっぷを使えば、何度でも途中下車ができます。ただし列車は一時間に
        一本ほどしかないため、時刻表を事前に確認しておくことが大切です。急がず、のんびりと
        海を眺める旅をしたい人にぴったりの路線です。
        """,
        (
            ("山あいの温泉駅を訪ねて", "/kiko/yamaai-onsen.html"),
            ("青春きっぷで行く日帰り旅", "/kippu/higaeri.html"),
            ("車窓から見える灯台めぐり", "/rosen/todai.html"),
        ),
        content_type="text/html; charset=Shift_JIS",
        encoding="shift_jis",
        meta='<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">',
        note="Shift_JIS body, charset given in the HTTP header and `<meta http-equiv>`",
    ),
]


def _near_duplicate(original: Article) -> Article:
    old = "The ferry's end came with the opening of the Narrows Bridge in 1961."
    new = (
        "The ferry's end came with the opening of the Narrows Bridge in the autumn of 1962, "
        "after two years of construction delays."
    )
    if old not in original.body:
        raise ValueError("near-duplicate source sentence not found")
    return replace(
        original,
        key="en-ferry-near-dup",
        path="/archive/2019/04/the-narrows-ferry",
        body=original.body.replace(old, new),
        note="near-duplicate of /history/the-narrows-ferry (one sentence changed)",
    )


# --------------------------------------------------------------------------- rendering


def _t(text: str) -> str:
    return escape(text, quote=False)


def _a(text: str) -> str:
    return escape(text, quote=True)


def _links(items: tuple[tuple[str, str], ...], tag: str = "ul") -> str:
    # Labels may already contain entities (e.g. "&amp;"), so they are not escaped again.
    rows = "".join(f'<li><a href="{_a(href)}">{label}</a></li>' for label, href in items)
    return f"<{tag}>{rows}</{tag}>"


def _related(items: tuple[tuple[str, str], ...]) -> str:
    return _links(tuple((_t(label), href) for label, href in items))


def _head(art: Article, extra: str = "") -> str:
    first = art.paragraphs[0]
    description = first if len(first) <= 150 else first[:147].rsplit(" ", 1)[0] + "..."
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{art.site.lang}">\n<head>\n{art.meta}\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_t(art.headline)} | {_t(art.site.name)}</title>\n"
        f'<meta name="description" content="{_a(description)}">\n'
        f'<link rel="canonical" href="{_a(art.url)}">\n'
        '<link rel="stylesheet" href="/assets/site.css">\n'
        f"{extra}</head>\n"
    )


def _cookie_banner(lab: dict[str, str]) -> str:
    return (
        '<div id="cookie-banner" class="cookie-notice" role="dialog">'
        f'<p>{_t(lab["cookie"])} <a href="/privacy/">{_t(lab["privacy"])}</a></p>'
        f'<button type="button" class="accept">{_t(lab["accept"])}</button></div>\n'
    )


def _site_footer(art: Article, lab: dict[str, str]) -> str:
    year = art.published[:4]
    return (
        '<footer class="site-footer">\n'
        f'<nav class="footer-links"><a href="/privacy/">{_t(lab["privacy"])}</a> | '
        f'<a href="/terms/">{_t(lab["terms"])}</a> | <a href="#top">{_t(lab["top"])}</a></nav>\n'
        f"<p>&copy; {year} {_t(art.site.name)}. {_t(lab['rights'])}</p>\n"
        "</footer>\n"
    )


def render_blog(art: Article, lab: dict[str, str]) -> str:
    paras = "\n".join(f"<p>{_t(p)}</p>" for p in art.paragraphs)
    author_slug = art.author.lower().replace(" ", "-")
    return (
        _head(art) + '<body class="blog single-post" id="top">\n'
        f'<a class="skip-link" href="#content">{_t(lab["skip"])}</a>\n'
        '<header class="site-header">\n'
        f'<a class="logo" href="/">{_t(art.site.name)}</a>\n'
        f'<p class="tagline">{_t(art.site.tagline)}</p>\n'
        f'<form class="search-form" action="/search" method="get"><input type="search" name="q" '
        f'placeholder="{_a(lab["search"])}"><button type="submit">{_t(lab["search"])}</button></form>\n'
        "</header>\n"
        f'<nav class="main-nav">{_links(art.site.nav)}</nav>\n'
        '<div class="wrap">\n<main id="content">\n<article class="post">\n'
        f'<h1 class="entry-title">{_t(art.headline)}</h1>\n'
        f'<p class="entry-meta">{_t(lab["by"])} <a href="/author/{_a(author_slug)}/">{_t(art.author)}</a>'
        f' &middot; <time datetime="{art.published}">{art.published}</time></p>\n'
        f'<div class="entry-content">\n{paras}\n</div>\n'
        f'<footer class="entry-footer"><a class="comments-link" href="#respond">{_t(lab["comment"])}</a></footer>\n'
        "</article>\n</main>\n"
        '<aside class="sidebar">\n'
        f'<section class="widget related-posts"><h2>{_t(lab["related"])}</h2>{_related(art.related)}</section>\n'
        f'<section class="widget newsletter"><h2>{_t(lab["newsletter"])}</h2>'
        '<form action="/newsletter" method="post"><input type="email" name="email">'
        f'<button type="submit">{_t(lab["subscribe"])}</button></form></section>\n'
        "</aside>\n</div>\n"
        + _site_footer(art, lab)
        + _cookie_banner(lab)
        + '<script src="/assets/app.js" defer></script>\n</body>\n</html>\n'
    )


def render_news(art: Article, lab: dict[str, str]) -> str:
    paras = "\n".join(f"<p>{_t(p)}</p>" for p in art.paragraphs)
    section_label, section_href = art.site.nav[1]
    most_read = _links(tuple((_t(label), href) for label, href in art.related), tag="ol")
    return (
        _head(art, '<meta property="og:type" content="article">\n')
        + '<body class="article-page" id="top">\n'
        f'<div id="top-bar"><span class="today">{CRAWL_START:%Y-%m-%d}</span> '
        f'<a href="/subscribe/">{_t(lab["subscribe"])}</a> <a href="/login">{_t(lab["signin"])}</a></div>\n'
        f'<header id="masthead"><div class="brand"><a href="/">{_t(art.site.name)}</a></div>'
        f'<div class="motto">{_t(art.site.tagline)}</div></header>\n'
        f'<nav id="main-menu" role="navigation">{_links(art.site.nav)}</nav>\n'
        '<div class="container">\n<div id="content" class="main-column">\n'
        f'<div class="breadcrumbs"><a href="/">{_t(lab["home"])}</a> &rsaquo; '
        f'<a href="{_a(section_href)}">{section_label}</a></div>\n'
        f'<h1 class="headline">{_t(art.headline)}</h1>\n'
        f'<div class="dateline">{_t(lab["by"])} <span class="author">{_t(art.author)}</span> | '
        f'{_t(lab["published"])} <time datetime="{art.published}">{art.published}</time></div>\n'
        f'<div class="share-tools"><span>{_t(lab["share"])}</span> <a href="#" class="share-email">Email</a> '
        '<a href="#" class="share-print">Print</a></div>\n'
        f'<div class="story-body">\n{paras}\n</div>\n'
        "</div>\n"
        f'<div id="right-rail"><div class="box most-read"><h3>{_t(lab["most_read"])}</h3>{most_read}</div>'
        f'<div class="box newsletter"><h3>{_t(lab["newsletter"])}</h3>'
        f'<a class="button" href="/subscribe/">{_t(lab["subscribe"])}</a></div></div>\n'
        "</div>\n" + _site_footer(art, lab) + _cookie_banner(lab) + "</body>\n</html>\n"
    )


def render_docs(art: Article, lab: dict[str, str]) -> str:
    parts = [f"<p>{_t(p)}</p>" for p in art.paragraphs]
    if art.code:
        parts.insert(2, f'<pre><code class="language-python">{_t(art.code)}</code></pre>')
    body = "\n".join(parts)
    nav = art.site.nav
    idx = next((i for i, (_, href) in enumerate(nav) if href == art.path), 0)
    prev_link = nav[idx - 1] if idx > 0 else None
    next_link = nav[idx + 1] if idx + 1 < len(nav) else None
    pager = ""
    if prev_link:
        pager += f'<a rel="prev" href="{_a(prev_link[1])}">&laquo; {_t(lab["prev"])}: {prev_link[0]}</a> '
    if next_link:
        pager += (
            f'<a rel="next" href="{_a(next_link[1])}">{_t(lab["next"])}: {next_link[0]} &raquo;</a>'
        )
    return (
        _head(art) + '<body class="docs" id="top">\n'
        '<header class="docs-header">'
        f'<a class="brand" href="/">{_t(art.site.name)}</a> <span class="version">v1.4.2</span> '
        '<nav class="top-links"><a href="/source/">Source</a> | <a href="/releases/">Releases</a> | '
        f'<a href="/community/">Community</a></nav>'
        f'<form action="/search" class="docs-search"><input type="search" name="q" placeholder="{_a(lab["search"])}"></form>'
        "</header>\n"
        '<div class="docs-layout">\n'
        f'<nav class="docs-sidebar">{_links(nav)}</nav>\n'
        '<main class="docs-content" role="main">\n'
        f'<div class="breadcrumbs"><a href="/">Docs</a> &raquo; {_t(art.headline)}</div>\n'
        f"<h1>{_t(art.headline)}</h1>\n{body}\n"
        f'<div class="pager">{pager}</div>\n'
        f'<p class="edit-link"><a href="/source/edit/docs{_a(art.path)}.md">{_t(lab["edit"])}</a></p>\n'
        "</main>\n"
        f'<aside class="see-also"><h2>{_t(lab["related"])}</h2>{_related(art.related)}</aside>\n'
        "</div>\n"
        '<footer class="docs-footer"><p>&copy; 2024 tinyqueue contributors. '
        "Released under the MIT license.</p></footer>\n"
        "</body>\n</html>\n"
    )


def _profile_numbers(user: str) -> tuple[int, int]:
    digest = hashlib.sha1(user.encode("utf-8")).digest()
    return 2012 + digest[0] % 12, 20 + int.from_bytes(digest[1:3], "big") % 3000


def render_forum(art: Article, lab: dict[str, str]) -> str:
    if len(art.post_authors) != len(art.paragraphs):
        raise ValueError(f"{art.key}: need one author per post")
    start = datetime.fromisoformat(art.published).replace(hour=8, minute=41)
    posts = []
    for n, (user, text) in enumerate(zip(art.post_authors, art.paragraphs, strict=True), start=1):
        joined, count = _profile_numbers(user)
        when = start + timedelta(hours=3 * n * n, minutes=7 * n)
        posts.append(
            f'<div class="topic-post" id="post_{n}">'
            f'<div class="topic-meta-data"><span class="username"><a href="/members/{_a(user)}">{_t(user)}</a></span> '
            f'<span class="joined">{_t(lab["joined"])} {joined}</span> '
            f'<span class="postcount">{count} {_t(lab["posts"])}</span> '
            f'<a class="post-date" href="#post_{n}">{when:%Y-%m-%d %H:%M}</a></div>'
            f'<div class="cooked"><p>{_t(text)}</p></div>'
            f'<div class="post-controls"><a href="#quote">{_t(lab["quote"])}</a> '
            f'<a href="#reply">{_t(lab["reply"])}</a></div></div>'
        )
    section_label, section_href = art.site.nav[1]
    return (
        _head(art) + '<body class="forum viewtopic" id="top">\n'
        f'<div id="header"><a href="/" class="forum-logo">{_t(art.site.name)}</a>'
        f'<span class="forum-tagline">{_t(art.site.tagline)}</span>'
        f'<div class="user-links"><a href="/account/login">{_t(lab["signin"])}</a></div></div>\n'
        f'<nav class="forum-nav">{_links(art.site.nav)}</nav>\n'
        f'<div class="breadcrumbs"><a href="/">{_t(lab["home"])}</a> &rsaquo; '
        f'<a href="{_a(section_href)}">{section_label}</a></div>\n'
        '<div id="page-body">\n<div class="thread">\n'
        f'<h1 class="thread-title">{_t(art.headline)}</h1>\n'
        + "\n".join(posts)
        + f'\n<div class="reply-box"><a class="button" href="#reply">{_t(lab["reply"])}</a></div>\n'
        "</div>\n"
        f'<div class="sidebar"><h3>{_t(lab["related"])}</h3>{_related(art.related)}</div>\n'
        "</div>\n" + _site_footer(art, lab) + _cookie_banner(lab) + "</body>\n</html>\n"
    )


RENDERERS = {"blog": render_blog, "news": render_news, "docs": render_docs, "forum": render_forum}


def render_article(art: Article) -> bytes:
    html = RENDERERS[art.template](art, LABELS[art.site.lang])
    return html.encode(art.encoding)  # strict: fails loudly if a character does not fit


def render_login_stub() -> bytes:
    """A page whose main content is a one-line "sign in required" notice."""
    site, lab = MAKERBENCH, LABELS["en"]
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n'
        f"{UTF8_META}\n<title>Sign in required | {site.name}</title>\n"
        '<meta name="robots" content="noindex">\n<link rel="stylesheet" href="/assets/site.css">\n'
        '</head>\n<body class="forum account">\n'
        f'<div id="header"><a href="/" class="forum-logo">{site.name}</a>'
        f'<span class="forum-tagline">{site.tagline}</span></div>\n'
        f'<nav class="forum-nav">{_links(site.nav)}</nav>\n'
        '<div id="page-body"><div class="panel login-required">\n'
        "<h1>Sign in required</h1>\n"
        "<p>You need to be signed in to view this page.</p>\n"
        '<form action="/account/login" method="post">'
        '<label>Username <input type="text" name="username"></label> '
        '<label>Password <input type="password" name="password"></label> '
        '<label><input type="checkbox" name="remember"> Remember me</label> '
        '<button type="submit">Sign in</button></form>\n'
        '<p class="small"><a href="/account/forgot">Forgot your password?</a> | '
        '<a href="/account/register">Register</a></p>\n'
        "</div></div>\n"
        f'<footer class="site-footer"><p>&copy; 2024 {site.name}. {lab["rights"]}</p></footer>\n'
        + _cookie_banner(lab)
        + "</body>\n</html>\n"
    ).encode("utf-8")


def render_not_found() -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n'
        f"{UTF8_META}\n<title>Page not found | {RIVERBEND.name}</title>\n</head>\n<body>\n"
        "<h1>Page not found</h1>\n"
        "<p>Sorry, we could not find that page. It may have been moved or removed.</p>\n"
        '<p><a href="/">Back to the home page</a></p>\n'
        "</body>\n</html>\n"
    ).encode()


# --------------------------------------------------------------------------- non-HTML payloads


def make_png(width: int = 16, height: int = 16) -> bytes:
    """A tiny valid RGB PNG (a green leaf-like gradient), built with zlib and struct."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            rows += bytes((40 + 6 * y, 110 + 8 * x, 60))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + chunk(b"IEND", b"")
    )


SITE_CSS = b"""\
/* Saltmarsh Kitchen - main stylesheet */
:root { --ink: #1f2a2e; --accent: #2f7d6d; --paper: #fbfaf7; }
body { margin: 0; font: 17px/1.6 Georgia, serif; color: var(--ink); background: var(--paper); }
.site-header, .main-nav, .site-footer { font-family: system-ui, sans-serif; }
.main-nav ul { display: flex; gap: 1.25rem; list-style: none; padding: 0; }
.wrap { display: grid; grid-template-columns: minmax(0, 1fr) 18rem; gap: 2rem; max-width: 72rem; margin: 0 auto; }
.entry-title { font-size: 2.2rem; line-height: 1.2; }
.sidebar .widget { border-top: 3px solid var(--accent); padding-top: .5rem; }
.cookie-notice { position: fixed; bottom: 0; left: 0; right: 0; padding: 1rem; background: #222; color: #fff; }
@media (max-width: 48rem) { .wrap { grid-template-columns: 1fr; } }
"""

VERSIONS_JSON = b"""\
{
  "project": "tinyqueue",
  "latest": "1.4.2",
  "versions": [
    {"version": "1.4.2", "released": "2024-02-27", "docs": "/en/latest/"},
    {"version": "1.3.0", "released": "2023-09-12", "docs": "/en/1.3/"},
    {"version": "1.2.1", "released": "2023-03-30", "docs": "/en/1.2/"}
  ],
  "languages": ["en", "fr"]
}
"""

ROBOTS_TXT = b"""\
# robots.txt for northridge-cyclists.example
User-agent: *
Disallow: /account/
Disallow: /search
Allow: /

Sitemap: https://northridge-cyclists.example/sitemap.xml
"""


# --------------------------------------------------------------------------- fetches


def _check_article(art: Article) -> None:
    paras = art.paragraphs
    if not 3 <= len(paras) <= 8:
        raise ValueError(f"{art.key}: {len(paras)} paragraphs (want 3-8)")
    for i, p in enumerate(paras, start=1):
        size = len(p) if art.site.lang == "ja" else len(p.split())
        low, high = (80, 250) if art.site.lang == "ja" else (40, 120)
        if not low <= size <= high:
            unit = "characters" if art.site.lang == "ja" else "words"
            raise ValueError(f"{art.key}: paragraph {i} has {size} {unit} (want {low}-{high})")


def _html_fetch(
    art: Article, body: bytes | None = None, url: str | None = None, note: str = ""
) -> Fetch:
    content_type = art.site.content_type if art.content_type == "" else art.content_type
    headers: list[tuple[str, str]] = []
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    return Fetch(
        url=url or art.url,
        status=200,
        reason="OK",
        headers=tuple(headers),
        body=render_article(art) if body is None else body,
        server_ip=art.site.ip,
        identified_type="text/html",
        lang=art.site.lang,
        note=note or art.note,
        template=art.template,
    )


def build_fetches() -> list[Fetch]:
    by_key = {a.key: a for a in ARTICLES}
    if len(by_key) != len(ARTICLES):
        raise ValueError("duplicate article keys")
    for art in ARTICLES:
        _check_article(art)

    fetches = [_html_fetch(a) for a in ARTICLES]

    soup = by_key["en-lentil-soup"]
    fetches.append(
        _html_fetch(
            soup,
            body=render_article(soup),
            url=soup.url + "?utm_source=newsletter&utm_medium=email&utm_campaign=autumn-soups",
            note=f"exact duplicate of {soup.url} (same bytes, tracking parameters in the URL)",
        )
    )
    near = _near_duplicate(by_key["en-ferry"])
    fetches.append(_html_fetch(near))

    fetches.append(
        Fetch(
            f"https://{MAKERBENCH.domain}/account/settings",
            200,
            "OK",
            (("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "private, no-store")),
            render_login_stub(),
            MAKERBENCH.ip,
            "text/html",
            "en",
            "stub: 'Sign in required' page, almost no main text",
            template="stub",
        )
    )
    fetches.append(
        Fetch(
            f"https://{RIVERBEND.domain}/2019/05/hedgehog-friendly-fences/",
            404,
            "Not Found",
            (("Content-Type", "text/html; charset=utf-8"),),
            render_not_found(),
            RIVERBEND.ip,
            "text/html",
            "en",
            "HTTP 404 with a small HTML error page",
            template="error",
        )
    )
    fetches.append(
        Fetch(
            f"https://{GAZETTE.domain}/live/ticker",
            200,
            "OK",
            (("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-cache")),
            b"",
            GAZETTE.ip,
            "",
            "",
            "HTTP 200 with an empty payload (`Content-Length: 0`)",
        )
    )
    fetches.append(
        Fetch(
            f"https://{RIVERBEND.domain}/static/img/logo.png",
            200,
            "OK",
            (("Content-Type", "image/png"), ("Cache-Control", "max-age=31536000")),
            make_png(),
            RIVERBEND.ip,
            "image/png",
            "",
            "non-HTML: PNG image",
        )
    )
    fetches.append(
        Fetch(
            f"https://{SALTMARSH.domain}/assets/site.css",
            200,
            "OK",
            (("Content-Type", "text/css"), ("Cache-Control", "max-age=86400")),
            SITE_CSS,
            SALTMARSH.ip,
            "text/css",
            "",
            "non-HTML: CSS stylesheet",
        )
    )
    fetches.append(
        Fetch(
            f"https://{TINYQUEUE.domain}/api/versions.json",
            200,
            "OK",
            (("Content-Type", "application/json"), ("Access-Control-Allow-Origin", "*")),
            VERSIONS_JSON,
            TINYQUEUE.ip,
            "application/json",
            "",
            "non-HTML: JSON API response",
        )
    )
    fetches.append(
        Fetch(
            f"https://{NORTHRIDGE.domain}/robots.txt",
            200,
            "OK",
            (("Content-Type", "text/plain"),),
            ROBOTS_TXT,
            NORTHRIDGE.ip,
            "text/plain",
            "",
            "non-HTML: robots.txt (`text/plain`, not HTML)",
        )
    )

    # Common Crawl writes a metadata record after every response; the sample keeps three.
    meta_for = {
        by_key["en-no-till"].url: "UTF-8",
        by_key["de-wassermuehle"].url: "ISO-8859-1",
        by_key["ja-local-line"].url: "Shift_JIS",
    }
    fetches = [
        replace(
            f,
            metadata=(
                ("fetchTimeMs", str(120 + len(f.body) % 400)),
                ("charset-detected", meta_for[f.url]),
            ),
        )
        if f.url in meta_for
        else f
        for f in fetches
    ]

    # Interleave hosts the way a crawl does, but deterministically.
    fetches.sort(key=lambda f: hashlib.sha1(f.url.encode("utf-8")).hexdigest())
    return fetches


# --------------------------------------------------------------------------- writing


class RecordIds:
    def __init__(self) -> None:
        self._n = 0

    def next(self) -> str:
        self._n += 1
        return f"<urn:uuid:{uuid.uuid5(RECORD_NAMESPACE, f'record-{self._n}')}>"


def _warc_date(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _http_date(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S GMT")


def _site_for(url: str) -> Site | None:
    host = urlsplit(url).hostname
    for site in (
        RIVERBEND,
        SALTMARSH,
        GAZETTE,
        NORTHRIDGE,
        DARKSKY,
        TINYQUEUE,
        WANDERLOG,
        MAKERBENCH,
        WALDWEG,
        BIRKENFELDE,
        BROTZEIT,
        POTAGER,
        COLLINES,
        HUERTA,
        PUERTO,
        ASTROFORO,
        HOSHIZORA,
        TETSUDO,
    ):
        if site.domain == host:
            return site
    return None


def _request_headers(url: str) -> StatusAndHeaders:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    return StatusAndHeaders(
        f"GET {target} HTTP/1.1",
        [
            ("Host", parts.netloc),
            ("User-Agent", USER_AGENT),
            ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
            ("Accept-Language", "en-US,en;q=0.5"),
            ("Accept-Encoding", "br,gzip"),
            ("Connection", "Keep-Alive"),
        ],
        is_http_request=True,
    )


def _response_headers(fetch: Fetch, moment: datetime) -> StatusAndHeaders:
    site = _site_for(fetch.url)
    headers = [("Date", _http_date(moment)), ("Server", site.server if site else "nginx")]
    headers += list(fetch.headers)
    if fetch.identified_type == "text/html" and fetch.status == 200:
        headers.append(("Last-Modified", _http_date(moment - timedelta(days=9, hours=5))))
        headers.append(("Vary", "Accept-Encoding"))
    if site and site.gzip_transfer and fetch.body:
        # Common Crawl stores the decoded payload and renames the original header.
        headers.append(("X-Crawler-Content-Encoding", "gzip"))
    headers.append(("Content-Length", str(len(fetch.body))))
    return StatusAndHeaders(f"{fetch.status} {fetch.reason}", headers, protocol="HTTP/1.1")


WARCINFO_FIELDS = (
    ("software", "curate pipelines/samples/make_sample_warc.py (warcio)"),
    ("format", "WARC File Format 1.0"),
    (
        "conformsTo",
        "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.0/",
    ),
    ("isPartOf", "curate-sample"),
    ("publisher", "curate project"),
    (
        "description",
        "Synthetic sample in the style of a Common Crawl WARC file. All pages and text "
        "were written for the curate project and are released under CC0 1.0; "
        "the .example hosts do not exist.",
    ),
    ("robots", "classic"),
    ("hostname", "sample-builder"),
)


def iter_records(writer: WARCWriter, fetches: list[Fetch]) -> Iterator[ArcWarcRecord]:
    ids = RecordIds()
    moment = CRAWL_START
    warcinfo_id = ids.next()
    info = "".join(f"{k}: {v}\r\n" for k, v in WARCINFO_FIELDS).encode("utf-8")
    yield writer.create_warc_record(
        "",
        "warcinfo",
        payload=io.BytesIO(info),
        length=len(info),
        warc_headers_dict={
            "WARC-Type": "warcinfo",
            "WARC-Date": _warc_date(moment),
            "WARC-Filename": OUTPUT_NAME,
            "WARC-Record-ID": warcinfo_id,
            "Content-Length": "0",  # placeholder, filled in by warcio; keeps CC header order
            "Content-Type": "application/warc-fields",
        },
    )

    for i, fetch in enumerate(fetches):
        moment += timedelta(seconds=11 + (i * 7) % 29)
        date = _warc_date(moment)
        request_id, response_id = ids.next(), ids.next()
        yield writer.create_warc_record(
            fetch.url,
            "request",
            http_headers=_request_headers(fetch.url),
            warc_headers_dict={
                "WARC-Type": "request",
                "WARC-Date": date,
                "WARC-Record-ID": request_id,
                "Content-Length": "0",
                "Content-Type": "application/http; msgtype=request",
                "WARC-Warcinfo-ID": warcinfo_id,
                "WARC-IP-Address": fetch.server_ip,
                "WARC-Target-URI": fetch.url,
            },
        )
        response_fields = {
            "WARC-Type": "response",
            "WARC-Date": date,
            "WARC-Record-ID": response_id,
            "Content-Length": "0",
            "Content-Type": "application/http; msgtype=response",
            "WARC-Warcinfo-ID": warcinfo_id,
            "WARC-Concurrent-To": request_id,
            "WARC-IP-Address": fetch.server_ip,
            "WARC-Target-URI": fetch.url,
        }
        if fetch.identified_type:
            response_fields["WARC-Identified-Payload-Type"] = fetch.identified_type
        yield writer.create_warc_record(
            fetch.url,
            "response",
            payload=io.BytesIO(fetch.body),
            length=len(fetch.body),
            http_headers=_response_headers(fetch, moment),
            warc_headers_dict=response_fields,
        )
        if fetch.metadata:
            fields = "".join(f"{k}: {v}\r\n" for k, v in fetch.metadata).encode("utf-8")
            yield writer.create_warc_record(
                fetch.url,
                "metadata",
                payload=io.BytesIO(fields),
                length=len(fields),
                warc_headers_dict={
                    "WARC-Type": "metadata",
                    "WARC-Date": date,
                    "WARC-Record-ID": ids.next(),
                    "Content-Length": "0",
                    "Content-Type": "application/warc-fields",
                    "WARC-Warcinfo-ID": warcinfo_id,
                    "WARC-Concurrent-To": response_id,
                    "WARC-Target-URI": fetch.url,
                },
            )


def manifest_table(fetches: list[Fetch]) -> str:
    """The responses in file order, as a Markdown table (used for SAMPLES.md)."""
    rows = [
        "| # | URL | HTTP | Content-Type header | Lang | Template | Notes |",
        "|---|-----|------|---------------------|------|----------|-------|",
    ]
    for n, fetch in enumerate(fetches, start=1):
        content_type = dict(fetch.headers).get("Content-Type", "(none)")
        note = fetch.note + (" + metadata record" if fetch.metadata else "")
        rows.append(
            f"| {n} | {fetch.url} | {fetch.status} | `{content_type}` | "
            f"{fetch.lang or '-'} | {fetch.template or '-'} | {note.strip(' +') or '-'} |"
        )
    return "\n".join(rows)


def write_sample(path: Path) -> int:
    """Write the sample WARC to ``path`` and return the number of records."""
    fetches = build_fetches()
    buffer = io.BytesIO()
    writer = WARCWriter(buffer, gzip=True, warc_version="1.0")
    count = 0
    for record in iter_records(writer, fetches):
        writer.write_record(record)
        count += 1
    data = buffer.getvalue()
    if len(data) > MAX_OUTPUT_BYTES:
        raise ValueError(f"sample grew to {len(data)} bytes (limit {MAX_OUTPUT_BYTES})")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"where to write the WARC (default: {DEFAULT_OUTPUT.name} next to this script)",
    )
    parser.add_argument(
        "--list",
        action="store_true",
        help="print the responses as a Markdown table instead of writing the WARC",
    )
    args = parser.parse_args(argv)
    if args.list:
        print(manifest_table(build_fetches()))
        return 0
    count = write_sample(args.output)
    size = args.output.stat().st_size
    print(f"wrote {args.output} ({count} records, {size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
