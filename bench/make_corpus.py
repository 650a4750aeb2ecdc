"""Synthetic announcements for benchmarks: realistic, varied, deterministic from a seed.

Article ``i`` depends only on ``(seed, i)``, so a corpus of 1,500 articles starts with the
same 1,000 articles as a corpus of 1,000. Each article is Markdown with front matter
(``doc_id``, ``title``, ``source``, ``date``, ``url``, ``sample: true``), 200–1,500 words,
about one event (an investment, a partnership, an acquisition, an appointment, results, a
funding round, a product launch or a research grant) with its organisation, place, amounts,
dates and people, plus background paragraphs and a little page furniture.

``.questions.jsonl`` in the same folder (hidden, so ingest skips it) holds one question per
article with its answer, in the project's test-set format, to drive the query benchmarks.

    python bench/make_corpus.py OUT_DIR --articles 1000 --seed 7
    python bench/make_corpus.py OUT_DIR --passages /work/shared/devsets/rgb/corpus --chunks 10000 --stats

``--passages DIR`` writes real text instead: the passages in DIR (read at run time, never copied
into the project) replicated with their names changed up to ``--chunks`` chunks (replicate.py).
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

_SYLLABLES = (
    "al ar ba bel cor dan dor el en fal fen gal hal har is kel kes lan lor mar mer nor nov "
    "or pel quil ran rav sel sor tal tes thal ul val vel ven wyn xan yor zel"
).split()
_ORG_SUFFIX = (
    "Labs",
    "Systems",
    "Robotics",
    "Analytics",
    "Bio",
    "Energy",
    "Semiconductor",
    "Mobility",
    "Health",
    "Networks",
    "Capital",
    "Software",
    "Materials",
    "Foods",
    "Logistics",
    "Aerospace",
    "Pharma",
    "Cloud",
    "Insurance",
    "Holdings",
)
_SECTORS = {
    "Labs": "applied artificial intelligence",
    "Systems": "industrial control systems",
    "Robotics": "warehouse and surgical robotics",
    "Analytics": "data analytics software",
    "Bio": "biotechnology",
    "Energy": "renewable energy",
    "Semiconductor": "chip design",
    "Mobility": "electric vehicle drivetrains",
    "Health": "digital health services",
    "Networks": "telecommunications equipment",
    "Capital": "growth investment",
    "Software": "enterprise software",
    "Materials": "advanced materials",
    "Foods": "plant-based foods",
    "Logistics": "freight and logistics",
    "Aerospace": "satellite and aircraft components",
    "Pharma": "specialty medicines",
    "Cloud": "cloud infrastructure",
    "Insurance": "insurance technology",
    "Holdings": "diversified industrial holdings",
}
# (city, country, currency symbol, currency word)
_PLACES = (
    ("Singapore", "Singapore", "S$", "Singapore dollars"),
    ("Nairobi", "Kenya", "US$", "US dollars"),
    ("Lyon", "France", "€", "euros"),
    ("Manchester", "the United Kingdom", "£", "pounds"),
    ("Penang", "Malaysia", "RM", "ringgit"),
    ("Tokyo", "Japan", "¥", "yen"),
    ("Austin", "the United States", "$", "dollars"),
    ("Toronto", "Canada", "C$", "Canadian dollars"),
    ("Munich", "Germany", "€", "euros"),
    ("Bangalore", "India", "₹", "rupees"),
    ("São Paulo", "Brazil", "R$", "reais"),
    ("Melbourne", "Australia", "A$", "Australian dollars"),
    ("Seoul", "South Korea", "₩", "won"),
    ("Dublin", "Ireland", "€", "euros"),
    ("Lagos", "Nigeria", "US$", "US dollars"),
    ("Warsaw", "Poland", "zł", "zloty"),
    ("Eindhoven", "the Netherlands", "€", "euros"),
    ("Monterrey", "Mexico", "US$", "US dollars"),
    ("Cape Town", "South Africa", "R", "rand"),
    ("Tallinn", "Estonia", "€", "euros"),
    ("Osaka", "Japan", "¥", "yen"),
    ("Gothenburg", "Sweden", "kr", "kronor"),
    ("Denver", "the United States", "$", "dollars"),
    ("Hanoi", "Vietnam", "US$", "US dollars"),
)
_FIRST = (
    "Amara Daniel Wanjiru Claire Hiroshi Priya Lucas Sofia Mateus Ingrid Tomasz Aisha Kwame "
    "Elena Rahul Mei Jonas Fatima Oliver Chloe Kenji Nadia Samuel Grace Arjun Leila Felipe "
    "Hannah Yusuf Marta"
).split()
_LAST = (
    "Mwangi Kamau Dubois Tanaka Sharma Moreau Silva Lindqvist Kowalski Okafor Mensah Petrova "
    "Iyer Chen Becker Haddad Clarke Martin Nakamura Rahman Adeyemi Walsh Nair Karimi Costa "
    "Schneider Osei Yamamoto Novak Ferreira"
).split()
_TITLES = (
    "Chief Executive Officer",
    "Chief Financial Officer",
    "Chief Technology Officer",
    "Chief Operating Officer",
    "Head of Research",
    "Managing Director",
    "President",
    "General Manager for Asia Pacific",
)
_SOURCES = (
    "Example Business Wire",
    "Regional Tech Journal",
    "Industry Daily",
    "The Markets Desk",
    "Company Newsroom",
    "Metro Economic Review",
)
_FURNITURE = (
    "Share this article",
    "Subscribe to our newsletter",
    "Sign up for free. No spam, unsubscribe anytime.",
    "We use cookies to improve your experience. Accept all cookies",
    "Read more: the latest business news",
)
_FACILITIES = (
    "research and development centre",
    "manufacturing plant",
    "regional headquarters",
    "innovation hub",
    "data centre",
    "training academy",
    "engineering campus",
    "logistics centre",
)
_PRODUCTS = ("platform", "sensor", "assistant", "chip", "suite", "service", "battery", "scanner")
_ROLES = (
    "software engineers",
    "data scientists",
    "technicians",
    "researchers",
    "sales staff",
    "machine learning specialists",
    "production workers",
    "clinical specialists",
)
_TOPICS = (
    "supply chains",
    "customer demand",
    "regulation",
    "hiring",
    "energy prices",
    "interest rates",
    "competition",
    "export markets",
    "skills shortages",
    "public funding",
    "cybersecurity",
    "sustainability targets",
)
QUESTIONS = ".questions.jsonl"  # hidden: ingest skips it
_KINDS = ("investment", "partnership", "acquisition", "appointment", "results", "funding", "launch", "grant")


@dataclass
class Facts:
    """What one article is about, and what its generated question asks."""

    org: str
    sector: str
    city: str
    country: str
    symbol: str
    currency: str
    day: date
    people: list[tuple[str, str]] = field(default_factory=list)  # (name, title)
    question: str = ""
    answer: str = ""


def _org_name(rng: random.Random) -> tuple[str, str]:
    stem = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize()
    suffix = rng.choice(_ORG_SUFFIX)
    return f"{stem} {suffix}", _SECTORS[suffix]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"


def _money(rng: random.Random, facts: Facts, low: int = 5, high: int = 900) -> str:
    amount = rng.randint(low, high)
    unit = rng.choice(("million", "million", "billion")) if amount < 20 else "million"
    return f"{facts.symbol}{amount} {unit}"


def _long_date(day: date) -> str:
    return f"{day.strftime('%B')} {day.day}, {day.year}"


def _quote(rng: random.Random, facts: Facts, name: str, title: str) -> str:
    openers = (
        f"This is a milestone for {facts.org} and for our customers in {facts.country}",
        f"{facts.city} gives us the talent and the partners we need to grow",
        f"We have been working towards this for {rng.randint(2, 9)} years",
        f"Demand for {facts.sector} has never been stronger, and we intend to meet it",
        f"Our teams in {facts.city} have shown what is possible",
        "We are investing for the long term, not for the next quarter",
    )
    closers = (
        f"we expect the first results before the end of {facts.day.year + 1}",
        f"we will keep hiring and training local {rng.choice(_ROLES)}",
        "the next step is to bring the work to more markets",
        f"our priority remains {rng.choice(_TOPICS)}",
        "this would not have been possible without our partners",
    )
    return f'"{rng.choice(openers)}, and {rng.choice(closers)}," said {name}, {title} of {facts.org}.'


def _event(rng: random.Random, facts: Facts, kind: str) -> tuple[str, list[str]]:
    """Title and lead paragraphs of one event; sets the question and answer on ``facts``."""
    org, city = facts.org, facts.city
    jobs = rng.randint(3, 60) * 10
    years = rng.randint(2, 7)
    money = _money(rng, facts)
    when = _long_date(facts.day)
    ceo, title = facts.people[0]
    facility = rng.choice(_FACILITIES)
    if kind == "investment":
        head = f"{org} to Open a {facility.title()} in {city}"
        lead = [
            f"{city.upper()}, {when} — {org} will invest {money} over {years} years in a new {facility} "
            f"in {city}, the company announced on {facts.day.strftime('%A')}.",
            f"The {facility} is expected to create {jobs} jobs, most of them for {rng.choice(_ROLES)} "
            f"and {rng.choice(_ROLES)}, and to open in {rng.choice(('early', 'mid', 'late'))} "
            f"{facts.day.year + 1}.",
        ]
        facts.question, facts.answer = f"How many jobs will the {org} {facility} in {city} create?", str(jobs)
    elif kind == "partnership":
        partner, _ = _org_name(rng)
        head = f"{org} and {partner} Sign a {years}-Year Partnership in {facts.country.replace('the ', '')}"
        lead = [
            f"{city.upper()}, {when} — {org} has signed a {years}-year partnership with {partner} to "
            f"develop {facts.sector} for customers in {facts.country}.",
            f"The two companies will share a combined budget of {money} and a joint team of "
            f"{jobs} staff based in {city}.",
        ]
        facts.question, facts.answer = f"Which company did {org} sign a partnership with?", partner
    elif kind == "acquisition":
        target, _ = _org_name(rng)
        head = f"{org} Acquires {target} for {money}"
        lead = [
            f"{city.upper()}, {when} — {org} has agreed to acquire {target}, a {city}-based specialist "
            f"in {facts.sector}, for {money} in cash and shares.",
            f"The deal, expected to close within {rng.randint(2, 9)} months, brings {jobs} employees "
            f"of {target} into {org}.",
        ]
        facts.question, facts.answer = f"How much will {org} pay for {target}?", money
    elif kind == "appointment":
        new = _person(rng)
        role = rng.choice(_TITLES)
        head = f"{org} Appoints {new} as {role}"
        lead = [
            f"{city.upper()}, {when} — {org} has appointed {new} as {role}, effective "
            f"{_long_date(facts.day + timedelta(days=rng.randint(14, 120)))}.",
            f"{new} joins from a {rng.randint(8, 25)}-year career in {facts.sector} and will be based "
            f"in {city}.",
        ]
        facts.question, facts.answer = f"Who did {org} appoint as {role}?", new
    elif kind == "results":
        quarter = rng.randint(1, 4)
        growth = rng.randint(2, 48)
        head = f"{org} Reports Q{quarter} {facts.day.year} Results"
        lead = [
            f"{city.upper()}, {when} — {org} reported revenue of {money} for the "
            f"{['first', 'second', 'third', 'fourth'][quarter - 1]} quarter of {facts.day.year}, "
            f"up {growth} per cent from a year earlier.",
            f"Operating margin was {rng.randint(4, 35)} per cent and the company ended the quarter "
            f"with {jobs * 10} employees.",
        ]
        facts.question, facts.answer = (
            f"By how much did {org}'s revenue grow in Q{quarter}?",
            f"{growth} per cent",
        )
    elif kind == "funding":
        series = rng.choice("ABCD")
        investor, _ = _org_name(rng)
        head = f"{org} Raises {money} in Series {series} Funding"
        lead = [
            f"{city.upper()}, {when} — {org}, the {city}-based {facts.sector} start-up, has raised "
            f"{money} in a Series {series} round led by {investor}.",
            f"The company plans to use the money to grow its team from {jobs // 2} to {jobs} people "
            f"within {years} years.",
        ]
        facts.question, facts.answer = f"Who led {org}'s Series {series} round?", investor
    elif kind == "launch":
        product = f"{org.split()[0]} {rng.choice(_PRODUCTS).title()} {rng.randint(2, 9)}"
        head = f"{org} Launches {product}"
        lead = [
            f"{city.upper()}, {when} — {org} has launched {product}, a new {rng.choice(_PRODUCTS)} "
            f"for {facts.sector}, priced from {facts.symbol}{rng.randint(9, 900)} per month.",
            f"The product will be available in {rng.randint(3, 40)} countries from "
            f"{_long_date(facts.day + timedelta(days=rng.randint(7, 90)))}.",
        ]
        facts.question, facts.answer = f"What product did {org} launch?", product
    else:  # grant
        agency = f"the {facts.country.replace('the ', '').title()} Innovation Agency"
        head = f"{org} Wins {money} Research Grant"
        lead = [
            f"{city.upper()}, {when} — {agency} has awarded {org} a grant of {money} to fund "
            f"{years} years of research into {facts.sector}.",
            f"The programme will support {jobs // 10} doctoral researchers at universities in {city}.",
        ]
        facts.question, facts.answer = f"How much is the research grant awarded to {org}?", money
    lead.append(_quote(rng, facts, ceo, title))
    return head, lead


_NATIONALITIES = (
    "Japanese", "French", "German", "Kenyan", "Brazilian", "Indian", "Canadian", "Swedish", "Polish",
    "Korean", "Nigerian", "Australian", "Dutch", "Irish", "Mexican", "Vietnamese", "American", "British",
)  # fmt: skip
_EVENTS = ("Web Summit", "World Economic Forum", "Mobile World Congress", "CES", "Paris Air Show", "COP")
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday")
_ORDINALS = ("first", "second", "third", "fourth", "fifth")


def _short_sentence(rng: random.Random, facts: Facts) -> str:
    """Five to ten words, as news writes between longer sentences: most name someone or something."""
    last = rng.choice(facts.people)[0].split()[-1]
    year = facts.day.year
    return rng.choice(
        (
            f"{last} declined to comment.",
            f"{facts.org} shares rose {rng.randint(1, 9)} per cent on {rng.choice(_WEEKDAYS)}.",
            f"The talks began in {rng.choice(('January', 'April', 'July', 'October'))} {year - 1}.",
            f"{facts.city} officials welcomed the news.",
            f"It is the company's {rng.choice(_ORDINALS)} deal this year.",
            f"{rng.choice(_NATIONALITIES)} rivals have yet to respond.",
            f"The board approved the plan on {_long_date(facts.day - timedelta(days=rng.randint(3, 60)))}.",
            f"{last} joined {facts.org} in {year - rng.randint(2, 15)}.",
        )
    )


def _long_sentence(rng: random.Random, facts: Facts) -> str:
    """Twenty to thirty words with a clause and several names, as in agency copy."""
    rival, _ = _org_name(rng)
    backer, _ = _org_name(rng)
    analyst = _person(rng)
    other = rng.choice(_PLACES)[0]
    return rng.choice(
        (
            f"The decision comes {rng.randint(2, 18)} months after {rival}, the {rng.choice(_NATIONALITIES)} "
            f"rival backed by {backer}, opened a {rng.choice(_FACILITIES)} in {other}.",
            f"Speaking at the {facts.day.year} {rng.choice(_EVENTS)} in {other}, {analyst}, who advises "
            f"{backer}, said {facts.country} was now one of the region's top markets.",
            f"{facts.org}, which listed in {other} in {facts.day.year - rng.randint(2, 20)}, has spent "
            f"{_money(rng, facts, 20, 400)} on acquisitions since {facts.day.year - rng.randint(2, 6)}, "
            f"according to {rng.choice(_SOURCES)}.",
            f"The {rng.choice(_NATIONALITIES)} statistics office said on {rng.choice(_WEEKDAYS)} that "
            f"spending on {facts.sector} in {facts.country} grew {rng.randint(2, 30)} per cent in "
            f"{facts.day.year - 1}.",
        )
    )


def _background(rng: random.Random, facts: Facts) -> str:
    """One paragraph of context: varied enough that no long line repeats across articles."""
    a, b = rng.sample(_TOPICS, 2)
    other_name, other_title = facts.people[rng.randrange(len(facts.people))]
    analyst = _person(rng)
    sentences = [
        f"Analysts said the move reflects changes in {a} across {facts.country}, where {facts.sector} "
        f"spending rose {rng.randint(2, 30)} per cent last year.",
        f"{facts.org} has worked with {rng.randint(3, 90)} customers in {facts.city} since "
        f"{facts.day.year - rng.randint(1, 12)}.",
        f"{other_name} said {b} remained the main concern for {facts.day.year + 1}.",
        f"{other_name}, {other_title}, said the team had reviewed {rng.randint(4, 40)} sites in "
        f"{rng.choice(_PLACES)[1]} and {rng.choice(_PLACES)[1]} before choosing {facts.city}.",
        f"{facts.city} Mayor {_person(rng)} expects the project to support about "
        f"{rng.randint(2, 30) * 100} indirect jobs by {facts.day.year + rng.randint(2, 6)}.",
        f"{facts.org} did not disclose how much of the budget would come from {b} programmes.",
        f"Training will start with a cohort of {rng.randint(10, 120)} {rng.choice(_ROLES)} in "
        f"{rng.choice(('January', 'March', 'June', 'September', 'November'))}.",
        f"The announcement follows a {rng.randint(2, 40)} per cent rise in the company's order book "
        f"over the past {rng.randint(2, 18)} months, {analyst} of {rng.choice(_SOURCES)} said.",
        f"The {rng.choice(_NATIONALITIES)} Chamber of Commerce welcomed the decision on "
        f"{rng.choice(_WEEKDAYS)}, citing {a} and {b}.",
        f"Shares in {facts.org} closed {rng.choice(('up', 'down'))} {rng.randint(1, 9)}.{rng.randint(0, 9)} "
        f"per cent in {rng.choice(_PLACES)[0]} on {rng.choice(_WEEKDAYS)}.",
        _short_sentence(rng, facts),
        _short_sentence(rng, facts),
        _short_sentence(rng, facts),
        _long_sentence(rng, facts),
    ]
    rng.shuffle(sentences)
    return " ".join(sentences[: rng.randint(3, 6)])


def make_article(seed: int, index: int) -> tuple[str, dict[str, object]]:
    """The Markdown text of article ``index`` and its question (test-set format)."""
    rng = random.Random(f"{seed}:{index}")
    org, sector = _org_name(rng)
    city, country, symbol, currency = rng.choice(_PLACES)
    day = date(2022, 1, 1) + timedelta(days=rng.randint(0, 4 * 365))
    facts = Facts(org, sector, city, country, symbol, currency, day)
    facts.people = [(_person(rng), title) for title in rng.sample(_TITLES, 3)]
    kind = rng.choice(_KINDS)
    head, lead = _event(rng, facts, kind)
    # Body words; the last paragraph and the "About" line may add up to ~150, so 200-1,500 in all.
    target_words = rng.randint(230, 1350)
    # A byline and a dateline, as news pages carry: short lines, each a name or a date.
    paragraphs = [f"By {_person(rng)}", _long_date(day), *lead]
    words = sum(len(p.split()) for p in paragraphs)
    while words < target_words:
        if rng.random() < 0.15 and not paragraphs[-1].startswith("#"):
            paragraphs.append(f"## {rng.choice(_TOPICS).capitalize()} in {facts.city}")
        elif rng.random() < 0.08 and not paragraphs[-1].startswith("#"):
            paragraphs.append(rng.choice(_FURNITURE))
        elif rng.random() < 0.2:
            name, title = rng.choice(facts.people)
            paragraphs.append(_quote(rng, facts, name, title))
        else:
            paragraphs.append(_background(rng, facts))
        words += len(paragraphs[-1].split())
    paragraphs.append(
        f"About {org}: {org} was founded in {day.year - rng.randint(3, 40)} and works in {sector}. "
        f"It employs about {rng.randint(40, 9000)} people in {rng.randint(1, 30)} countries."
    )
    doc_id = f"bench-{index:07d}"
    source = rng.choice(_SOURCES)
    slug = "-".join(head.lower().replace("$", "").split()[:8])
    front = {
        "doc_id": doc_id,
        "title": head,
        "source": source,
        "date": day.isoformat(),
        "url": f"https://example.com/{day.year}/{day.month:02d}/{slug}",
        "sample": True,
    }
    lines = ["---", *(f"{k}: {json.dumps(v, ensure_ascii=False)}" for k, v in front.items()), "---"]
    text = "\n".join(lines) + f"\n# {head}\n\n" + "\n\n".join(paragraphs) + "\n"
    question = {
        "id": doc_id,
        "question": facts.question,
        "answers": [facts.answer],
        "doc_ids": [doc_id],
        "answerable": True,
        "type": kind,
    }
    return text, question


def write_corpus(out: Path, articles: int, seed: int = 7) -> Path:
    """Write ``articles`` Markdown files and ``.questions.jsonl`` into ``out``; return ``out``.

    Files already present with the same content are left alone, so a larger corpus can be
    grown from a smaller one with the same seed.
    """
    out.mkdir(parents=True, exist_ok=True)
    with (out / QUESTIONS).open("w", encoding="utf-8") as questions:
        for index in range(articles):
            text, question = make_article(seed, index)
            path = out / f"{question['id']}.md"
            if not path.is_file() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
            questions.write(json.dumps(question, ensure_ascii=False) + "\n")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path, help="folder to write the articles into")
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--passages",
        type=Path,
        help="real passages to replicate with changed names instead (e.g. /work/shared/devsets/rgb/corpus)",
    )
    parser.add_argument("--chunks", type=int, default=10000, help="with --passages: chunks to reach")
    parser.add_argument(
        "--stats",
        action="store_true",
        help="with --passages: text statistics of the copies beside the source",
    )
    args = parser.parse_args()
    if args.passages is None:
        write_corpus(args.out, args.articles, args.seed)
        print(f"wrote {args.articles} articles and {QUESTIONS} to {args.out}")
        return
    from replicate import PassagesError, write_replicated

    try:
        done = write_replicated(args.out, args.passages, args.chunks, args.seed)
    except PassagesError as exc:
        parser.error(str(exc))
    print(
        f"wrote {done.documents} documents (~{done.chunks} chunks, up to copy {done.copies}) and "
        f"{done.questions} questions to {args.out}"
    )
    if args.stats:
        from text_stats import print_stats, text_stats

        from qa.language.spans import SpanFinder

        nlp = SpanFinder().nlp
        print_stats(
            {str(args.passages): text_stats(args.passages, nlp), str(args.out): text_stats(args.out, nlp)}
        )


if __name__ == "__main__":
    main()
