"""The fixed vocabularies, in one place for every domain: kinds, forms, statuses, channels,
regions (and the directory's areas), licences. Types FastAPI and Pydantic validate once."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, TypedDict

from pydantic import BeforeValidator


class Kind(StrEnum):
    text = "text"
    image = "image"
    audio = "audio"
    video = "video"


# Kinds whose one file is processed off the request path (decoded, re-encoded) by the job queue.
TIME_BASED_KINDS = frozenset({Kind.audio, Kind.video})


class Form(StrEnum):
    poem = "poem"
    story = "story"
    letter = "letter"
    note = "note"
    essay = "essay"
    song = "song"
    drawing = "drawing"
    painting = "painting"
    photo = "photo"
    meme = "meme"
    film = "film"
    other = "other"


class Status(StrEnum):
    processing = "processing"
    failed = "failed"
    pending = "pending"
    held = "held"
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"


class AssetState(StrEnum):
    """Where one media file stands: its derivatives are made off the request path."""

    processing = "processing"
    ready = "ready"
    failed = "failed"


class Channel(StrEnum):
    web = "web"
    email = "email"
    post = "post"
    social = "social"


class Region(StrEnum):
    """Where a contributor is writing from: the South West's council areas, or beyond."""

    cornwall = "cornwall"
    isles_of_scilly = "isles-of-scilly"
    devon = "devon"
    plymouth = "plymouth"
    torbay = "torbay"
    somerset = "somerset"
    north_somerset = "north-somerset"
    bath_and_north_east_somerset = "bath-and-north-east-somerset"
    bristol = "bristol"
    south_gloucestershire = "south-gloucestershire"
    gloucestershire = "gloucestershire"
    wiltshire = "wiltshire"
    swindon = "swindon"
    dorset = "dorset"
    bournemouth_christchurch_and_poole = "bournemouth-christchurch-and-poole"
    elsewhere_uk = "elsewhere-uk"
    outside_uk = "outside-uk"


REGIONS: dict[str, str] = {
    Region.cornwall: "Cornwall",
    Region.isles_of_scilly: "Isles of Scilly",
    Region.devon: "Devon",
    Region.plymouth: "Plymouth",
    Region.torbay: "Torbay",
    Region.somerset: "Somerset",
    Region.north_somerset: "North Somerset",
    Region.bath_and_north_east_somerset: "Bath and North East Somerset",
    Region.bristol: "Bristol",
    Region.south_gloucestershire: "South Gloucestershire",
    Region.gloucestershire: "Gloucestershire",
    Region.wiltshire: "Wiltshire",
    Region.swindon: "Swindon",
    Region.dorset: "Dorset",
    Region.bournemouth_christchurch_and_poole: "Bournemouth, Christchurch and Poole",
    Region.elsewhere_uk: "Elsewhere in the UK",
    Region.outside_uk: "Outside the UK",
}


def _blank_is_none(value: object) -> object:
    return None if value == "" else value


# A region, or none: an empty value (a form's "Not given") means none.
OptionalRegion = Annotated[Region | None, BeforeValidator(_blank_is_none)]

# The South West areas a support service can serve: the regions less the two catch-alls for
# contributions from elsewhere; "all" marks a service for the whole South West.
AREAS: dict[str, str] = {
    code: name for code, name in REGIONS.items()
    if code not in (Region.elsewhere_uk, Region.outside_uk)
}
ALL_AREAS = "all"

class Licence(StrEnum):
    cc_by_4_0 = "cc-by-4.0"
    cc_by_sa_4_0 = "cc-by-sa-4.0"
    cc_by_nc_4_0 = "cc-by-nc-4.0"
    cc_by_nc_nd_4_0 = "cc-by-nc-nd-4.0"
    all_rights_reserved = "all-rights-reserved"


class LicenceTerms(TypedDict):
    name: str
    explanation: str  # to the contributor choosing it ("your work")
    url: str
    visitor_explanation: str  # to a visitor reading a piece under it ("this work")
    reusable: bool  # whether others may share it (every Creative Commons licence)


LICENCES: dict[str, LicenceTerms] = {
    "cc-by-4.0": {
        "name": "Creative Commons Attribution 4.0",
        "explanation": "Anyone may share and adapt your work, even commercially, "
        "as long as they credit you.",
        "url": "https://creativecommons.org/licenses/by/4.0/",
        "visitor_explanation": (
        "Anyone may share and adapt this work, even commercially, as long as they credit "
        "the author."
        ),
        "reusable": True,
    },
    "cc-by-sa-4.0": {
        "name": "Creative Commons Attribution-ShareAlike 4.0",
        "explanation": "Anyone may share and adapt your work if they credit you and share "
        "what they make under the same terms.",
        "url": "https://creativecommons.org/licenses/by-sa/4.0/",
        "visitor_explanation": (
        "Anyone may share and adapt this work if they credit the author and share what "
        "they make under the same terms."
        ),
        "reusable": True,
    },
    "cc-by-nc-4.0": {
        "name": "Creative Commons Attribution-NonCommercial 4.0",
        "explanation": "Anyone may share and adapt your work for non-commercial purposes, "
        "as long as they credit you.",
        "url": "https://creativecommons.org/licenses/by-nc/4.0/",
        "visitor_explanation": (
        "Anyone may share and adapt this work for non-commercial purposes, as long as "
        "they credit the author."
        ),
        "reusable": True,
    },
    "cc-by-nc-nd-4.0": {
        "name": "Creative Commons Attribution-NonCommercial-NoDerivatives 4.0",
        "explanation": "Anyone may share your work unchanged, for non-commercial purposes, "
        "as long as they credit you.",
        "url": "https://creativecommons.org/licenses/by-nc-nd/4.0/",
        "visitor_explanation": (
        "Anyone may share this work unchanged, for non-commercial purposes, as long as "
        "they credit the author."
        ),
        "reusable": True,
    },
    "all-rights-reserved": {
        "name": "All rights reserved",
        "explanation": "Only Scrapbook may show your work; nobody else may copy or reuse it "
        "without asking you.",
        "url": "",
        "visitor_explanation": (
        "Only Scrapbook may show this work. Please do not copy or reuse it: the author "
        "keeps every right to it."
        ),
        "reusable": False,
    },
}
DEFAULT_LICENCE = Licence.all_rights_reserved

WRITING_PROMPTS: list[str] = [
    "What does an ordinary lonely afternoon look, sound or smell like for you?",
    "Write a letter to someone you have not been able to see.",
    "What small thing has helped you feel less alone?",
    "Describe the view from your window on a day when nobody called.",
    "If your loneliness were weather, what would it be?",
    "What would you say to someone who feels the way you felt?",
    "Draw, photograph or describe an object that keeps you company.",
]

NOT_A_CRISIS_SERVICE = (
    "Scrapbook is not a crisis service and nobody watches it around the clock. "
    "If you are in danger now, call 999."
)

CARE_MESSAGE = (
    "Thank you for trusting us with this. Some of what you wrote sounds very hard. "
    "You don't have to wait for us: the people below are there to listen, free, right now."
)

FAILED_MESSAGE = (
    "We are sorry: we could not open or convert the file you sent, so it has not been kept. "
    "It may be damaged or in a form we cannot play. You are welcome to try again, perhaps "
    "with a different file."
)
